-- The dashboard's figures at province scale.
--
-- Contacts (about a million a year in Sichuan) are the one count too large to aggregate on
-- every request: a station's contacts per day are kept here, exact, by a trigger on contact.
-- Everything else is a plain indexed query over the records themselves.

CREATE TABLE contact_day (
    station_id uuid NOT NULL REFERENCES station (id),
    day        date NOT NULL,
    contacts   integer NOT NULL CHECK (contacts >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_id, day)
);
-- A province's range is read by day, with the station to group by in the index itself.
CREATE INDEX contact_day_day ON contact_day (day) INCLUDE (station_id, contacts);

-- A contact counts at the station of its pairing on the day it took place.
CREATE FUNCTION contact_day_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE contact_day d SET contacts = d.contacts - 1, updated_at = now()
        FROM pairing p
        WHERE p.id = OLD.pairing_id AND d.station_id = p.station_id AND d.day = OLD.contacted_on;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO contact_day (station_id, day, contacts)
        SELECT p.station_id, NEW.contacted_on, 1 FROM pairing p WHERE p.id = NEW.pairing_id
        ON CONFLICT (station_id, day)
        DO UPDATE SET contacts = contact_day.contacts + 1, updated_at = now();
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER contact_day_count AFTER INSERT OR DELETE OR UPDATE OF pairing_id, contacted_on
    ON contact FOR EACH ROW EXECUTE FUNCTION contact_day_count();

-- A pairing that moves to another station takes its contacts with it.
CREATE FUNCTION pairing_moves_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contact_day d SET contacts = d.contacts - k.n, updated_at = now()
    FROM (SELECT contacted_on, count(*)::int AS n FROM contact WHERE pairing_id = NEW.id
          GROUP BY contacted_on) k
    WHERE d.station_id = OLD.station_id AND d.day = k.contacted_on;
    INSERT INTO contact_day (station_id, day, contacts)
    SELECT NEW.station_id, contacted_on, count(*) FROM contact WHERE pairing_id = NEW.id
    GROUP BY contacted_on
    ON CONFLICT (station_id, day)
    DO UPDATE SET contacts = contact_day.contacts + excluded.contacts, updated_at = now();
    RETURN NULL;
END $$;
CREATE TRIGGER pairing_moves_contacts AFTER UPDATE OF station_id ON pairing
    FOR EACH ROW WHEN (OLD.station_id IS DISTINCT FROM NEW.station_id)
    EXECUTE FUNCTION pairing_moves_contacts();

-- Contacts logged before this migration.
INSERT INTO contact_day (station_id, day, contacts)
SELECT p.station_id, k.contacted_on, count(*)
FROM contact k JOIN pairing p ON p.id = k.pairing_id
GROUP BY p.station_id, k.contacted_on;

-- Counting a region's people reads these indexes only (no table rows) for its figures.
CREATE INDEX volunteer_region_tally ON volunteer (region_code text_pattern_ops)
    INCLUDE (station_id, status, trained_on);
CREATE INDEX child_region_tally ON child (region_code text_pattern_ops)
    INCLUDE (station_id, category, status);
CREATE INDEX pairing_station_tally ON pairing (station_id) INCLUDE (status, started_on);
CREATE INDEX activity_held_on_tally ON activity (held_on) INCLUDE (station_id, kind, person_visits);
CREATE INDEX wish_fulfilled_on ON wish (fulfilled_on) WHERE status = 'fulfilled';
-- Alerts: active volunteers whose background check is getting old.
CREATE INDEX volunteer_active_checked_on ON volunteer (background_check_on) WHERE status = 'active';
