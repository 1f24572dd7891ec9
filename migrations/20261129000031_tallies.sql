-- Counts the dashboard reads instead of a province's rows, each kept exact by a trigger on the
-- records it counts (in the writing transaction, so a count never disagrees with the rows).
--
-- People are counted by their region, station and state: a province holds a few thousand such
-- keys against 170,000 children and 173,000 volunteers. Contacts and new pairings are counted
-- per station by month, with the per-day counts for the ends of a period that split a month.

-- Volunteers by region, station, status and whether their training is on record.
CREATE TABLE volunteer_tally (
    region_code text NOT NULL,
    station_id  uuid,
    status      volunteer_status NOT NULL,
    trained     boolean NOT NULL,
    n           integer NOT NULL CHECK (n >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT volunteer_tally_key UNIQUE NULLS NOT DISTINCT (region_code, station_id, status, trained)
);
CREATE INDEX volunteer_tally_region ON volunteer_tally (region_code text_pattern_ops);
CREATE INDEX volunteer_tally_station ON volunteer_tally (station_id);

CREATE FUNCTION volunteer_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE volunteer_tally SET n = n - 1, updated_at = now()
        WHERE region_code = OLD.region_code AND station_id IS NOT DISTINCT FROM OLD.station_id
          AND status = OLD.status AND trained = (OLD.trained_on IS NOT NULL);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO volunteer_tally (region_code, station_id, status, trained, n)
        VALUES (NEW.region_code, NEW.station_id, NEW.status, NEW.trained_on IS NOT NULL, 1)
        ON CONFLICT ON CONSTRAINT volunteer_tally_key
        DO UPDATE SET n = volunteer_tally.n + 1, updated_at = now();
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER volunteer_tally_count AFTER INSERT OR DELETE ON volunteer
    FOR EACH ROW EXECUTE FUNCTION volunteer_tally_count();
CREATE TRIGGER volunteer_tally_moves AFTER UPDATE OF region_code, station_id, status, trained_on ON volunteer
    FOR EACH ROW WHEN ((OLD.region_code, OLD.station_id, OLD.status, OLD.trained_on IS NOT NULL)
                       IS DISTINCT FROM (NEW.region_code, NEW.station_id, NEW.status, NEW.trained_on IS NOT NULL))
    EXECUTE FUNCTION volunteer_tally_count();

-- Children by region, station, category and status.
CREATE TABLE child_tally (
    region_code text NOT NULL,
    station_id  uuid NOT NULL,
    category    child_category NOT NULL,
    status      child_status NOT NULL,
    n           integer NOT NULL CHECK (n >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT child_tally_key UNIQUE (region_code, station_id, category, status)
);
CREATE INDEX child_tally_region ON child_tally (region_code text_pattern_ops);
CREATE INDEX child_tally_station ON child_tally (station_id);

CREATE FUNCTION child_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE child_tally SET n = n - 1, updated_at = now()
        WHERE region_code = OLD.region_code AND station_id = OLD.station_id
          AND category = OLD.category AND status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO child_tally (region_code, station_id, category, status, n)
        VALUES (NEW.region_code, NEW.station_id, NEW.category, NEW.status, 1)
        ON CONFLICT ON CONSTRAINT child_tally_key
        DO UPDATE SET n = child_tally.n + 1, updated_at = now();
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER child_tally_count AFTER INSERT OR DELETE ON child
    FOR EACH ROW EXECUTE FUNCTION child_tally_count();
CREATE TRIGGER child_tally_moves AFTER UPDATE OF region_code, station_id, category, status ON child
    FOR EACH ROW WHEN ((OLD.region_code, OLD.station_id, OLD.category, OLD.status)
                       IS DISTINCT FROM (NEW.region_code, NEW.station_id, NEW.category, NEW.status))
    EXECUTE FUNCTION child_tally_count();

-- Active pairings per station.
CREATE TABLE pairing_tally (
    station_id uuid PRIMARY KEY REFERENCES station (id),
    active     integer NOT NULL CHECK (active >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Pairings started and contacts logged, per station and month, and per station and day.
CREATE TABLE station_month (
    station_id       uuid NOT NULL REFERENCES station (id),
    month            date NOT NULL CHECK (extract(day FROM month) = 1),
    contacts         integer NOT NULL DEFAULT 0 CHECK (contacts >= 0),
    pairings_started integer NOT NULL DEFAULT 0 CHECK (pairings_started >= 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_id, month)
);
CREATE INDEX station_month_month ON station_month (month) INCLUDE (station_id, contacts, pairings_started);
ALTER TABLE contact_day ADD COLUMN pairings_started integer NOT NULL DEFAULT 0
    CHECK (pairings_started >= 0);
DROP INDEX contact_day_day;
CREATE INDEX contact_day_day ON contact_day (day) INCLUDE (station_id, contacts, pairings_started);

-- Adds `contacts` and `started` at a station on a day, to the day's and the month's counts.
-- (A removal only updates: CHECK constraints judge an upsert's proposed row before the
-- conflict is found, so a negative proposal would be refused even where a row exists.)
CREATE FUNCTION station_count(station uuid, on_day date, contacts integer, started integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF contacts < 0 OR started < 0 THEN
        UPDATE contact_day d SET contacts = d.contacts + station_count.contacts,
               pairings_started = d.pairings_started + started, updated_at = now()
        WHERE d.station_id = station AND d.day = on_day;
        UPDATE station_month m SET contacts = m.contacts + station_count.contacts,
               pairings_started = m.pairings_started + started, updated_at = now()
        WHERE m.station_id = station AND m.month = date_trunc('month', on_day)::date;
        RETURN;
    END IF;
    INSERT INTO contact_day AS d (station_id, day, contacts, pairings_started)
    VALUES (station, on_day, station_count.contacts, started)
    ON CONFLICT (station_id, day) DO UPDATE SET
        contacts = d.contacts + excluded.contacts,
        pairings_started = d.pairings_started + excluded.pairings_started,
        updated_at = now();
    INSERT INTO station_month AS m (station_id, month, contacts, pairings_started)
    VALUES (station, date_trunc('month', on_day)::date, station_count.contacts, started)
    ON CONFLICT (station_id, month) DO UPDATE SET
        contacts = m.contacts + excluded.contacts,
        pairings_started = m.pairings_started + excluded.pairings_started,
        updated_at = now();
END $$;

CREATE OR REPLACE FUNCTION contact_day_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM station_count(p.station_id, OLD.contacted_on, -1, 0)
        FROM pairing p WHERE p.id = OLD.pairing_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM station_count(p.station_id, NEW.contacted_on, 1, 0)
        FROM pairing p WHERE p.id = NEW.pairing_id;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION pairing_moves_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM station_count(OLD.station_id, contacted_on, -count(*)::int, 0)
    FROM contact WHERE pairing_id = NEW.id GROUP BY contacted_on;
    PERFORM station_count(NEW.station_id, contacted_on, count(*)::int, 0)
    FROM contact WHERE pairing_id = NEW.id GROUP BY contacted_on;
    RETURN NULL;
END $$;

CREATE FUNCTION pairing_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM station_count(OLD.station_id, OLD.started_on, 0, -1);
        UPDATE pairing_tally SET active = active - 1, updated_at = now()
        WHERE station_id = OLD.station_id AND OLD.status = 'active';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM station_count(NEW.station_id, NEW.started_on, 0, 1);
        INSERT INTO pairing_tally (station_id, active)
        VALUES (NEW.station_id, (NEW.status = 'active')::int)
        ON CONFLICT (station_id)
        DO UPDATE SET active = pairing_tally.active + excluded.active, updated_at = now();
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER pairing_tally_count AFTER INSERT OR DELETE ON pairing
    FOR EACH ROW EXECUTE FUNCTION pairing_tally_count();
CREATE TRIGGER pairing_tally_moves AFTER UPDATE OF station_id, status, started_on ON pairing
    FOR EACH ROW WHEN ((OLD.station_id, OLD.status, OLD.started_on)
                       IS DISTINCT FROM (NEW.station_id, NEW.status, NEW.started_on))
    EXECUTE FUNCTION pairing_tally_count();

-- Counts every table from scratch: after a migration, and after a bulk load that wrote rows
-- with the triggers off.
CREATE FUNCTION tally_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM volunteer_tally;
    INSERT INTO volunteer_tally (region_code, station_id, status, trained, n)
    SELECT region_code, station_id, status, trained_on IS NOT NULL, count(*) FROM volunteer GROUP BY 1, 2, 3, 4;
    DELETE FROM child_tally;
    INSERT INTO child_tally (region_code, station_id, category, status, n)
    SELECT region_code, station_id, category, status, count(*) FROM child GROUP BY 1, 2, 3, 4;
    DELETE FROM pairing_tally;
    INSERT INTO pairing_tally (station_id, active)
    SELECT station_id, count(*) FILTER (WHERE status = 'active') FROM pairing GROUP BY 1;
    DELETE FROM contact_day;
    INSERT INTO contact_day (station_id, day, contacts, pairings_started)
    SELECT station_id, day, sum(contacts), sum(started) FROM (
        SELECT p.station_id, k.contacted_on AS day, 1 AS contacts, 0 AS started
        FROM contact k JOIN pairing p ON p.id = k.pairing_id
        UNION ALL
        SELECT station_id, started_on, 0, 1 FROM pairing) x
    GROUP BY 1, 2;
    DELETE FROM station_month;
    INSERT INTO station_month (station_id, month, contacts, pairings_started)
    SELECT station_id, date_trunc('month', day)::date, sum(contacts), sum(pairings_started)
    FROM contact_day GROUP BY 1, 2;
$$;
SELECT tally_rebuild();
