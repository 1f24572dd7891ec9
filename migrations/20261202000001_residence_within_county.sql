-- A person lives in the county of her station; moving further is a transfer.
--
-- Rules: a child's residence lies in the county of her station
-- (`child_residence_in_station_county`), and so does a volunteer's when she has a station
-- (`volunteer_residence_in_station_county`); a station where people are registered stays in its
-- county (`station_keeps_its_county`), so that it cannot carry them into another county's
-- records. The county of a code is its first six digits.
--
-- The rules are checked when a row is inserted and when its residence or station (a station's
-- region) changes, not on other edits: a row registered before this rule and lying outside its
-- station's county can still be edited otherwise, and must comply when it moves.
--
-- A transfer (staff whose scope covers both stations, in the pairings area) moves a person to a
-- station of another county; a pairing it ends is closed with the reason `transferred`.

ALTER TYPE pairing_closure_reason ADD VALUE 'transferred';

CREATE FUNCTION residence_within_station_county() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_station_region text;
BEGIN
    IF NEW.station_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT region_code INTO v_station_region FROM station WHERE id = NEW.station_id;
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

CREATE TRIGGER child_residence_in_station_county BEFORE INSERT ON child
    FOR EACH ROW EXECUTE FUNCTION residence_within_station_county();
CREATE TRIGGER child_residence_moves BEFORE UPDATE OF region_code, station_id ON child
    FOR EACH ROW WHEN ((OLD.region_code, OLD.station_id) IS DISTINCT FROM (NEW.region_code, NEW.station_id))
    EXECUTE FUNCTION residence_within_station_county();
CREATE TRIGGER volunteer_residence_in_station_county BEFORE INSERT ON volunteer
    FOR EACH ROW EXECUTE FUNCTION residence_within_station_county();
CREATE TRIGGER volunteer_residence_moves BEFORE UPDATE OF region_code, station_id ON volunteer
    FOR EACH ROW WHEN ((OLD.region_code, OLD.station_id) IS DISTINCT FROM (NEW.region_code, NEW.station_id))
    EXECUTE FUNCTION residence_within_station_county();

CREATE FUNCTION station_keeps_its_county() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM child WHERE station_id = NEW.id)
       OR EXISTS (SELECT 1 FROM volunteer WHERE station_id = NEW.id) THEN
        RAISE EXCEPTION 'a station with people registered at it stays in its county'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'station_keeps_its_county';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER station_keeps_its_county BEFORE UPDATE OF region_code ON station
    FOR EACH ROW WHEN (left(OLD.region_code, 6) IS DISTINCT FROM left(NEW.region_code, 6))
    EXECUTE FUNCTION station_keeps_its_county();
