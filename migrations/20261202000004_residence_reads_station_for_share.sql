-- The residence rule reads the station's county under a share lock.
--
-- Rules: `residence_within_station_county` (the triggers `child_residence_in_station_county`
-- and `volunteer_residence_in_station_county`) reads its station `FOR SHARE`. A person
-- registered while her station's county is being changed then waits for that change and is
-- checked against the county it leaves the station in; and a change of the station's county
-- (`station_keeps_its_county`, which locks the station's row before it looks for people there)
-- waits for a registration in flight and sees the person it registered. Without the lock, both
-- could commit and leave a person outside her station's county.

CREATE OR REPLACE FUNCTION residence_within_station_county() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_station_region text;
BEGIN
    IF NEW.station_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT region_code INTO v_station_region FROM station WHERE id = NEW.station_id FOR SHARE;
    -- A missing station is the foreign key's refusal.
    IF NOT FOUND OR left(NEW.region_code, 6) = left(v_station_region, 6) THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'child' THEN
        RAISE EXCEPTION 'a child lives in the county of her station'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'child_residence_in_station_county';
    END IF;
    RAISE EXCEPTION 'a volunteer lives in the county of her station'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'volunteer_residence_in_station_county';
END $$;
