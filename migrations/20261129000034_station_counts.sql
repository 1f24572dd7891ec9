-- Every figure and alert of a province's dashboard read from counts and small sets kept exact
-- by triggers in the writing transaction, instead of walking a province's activities, wishes,
-- contacts and children on each request:
--
-- * `station_day` (was `contact_day`) and `station_month` count, per station, contacts,
--   pairings started, activities held, their person-visits and wishes fulfilled;
-- * `open_concern` lists the concerns nobody has resolved yet, with the station they belong to;
-- * a child carries the day she began waiting for a pairing (`waiting_since`), and a pairing the
--   day it last had news (`quiet_since`: its last contact, or its start).

ALTER TABLE contact_day RENAME TO station_day;
ALTER TABLE station_day RENAME CONSTRAINT contact_day_pkey TO station_day_pkey;

ALTER TABLE station_day
    ADD COLUMN activities       integer NOT NULL DEFAULT 0 CHECK (activities >= 0),
    ADD COLUMN person_visits    integer NOT NULL DEFAULT 0 CHECK (person_visits >= 0),
    ADD COLUMN wishes_fulfilled integer NOT NULL DEFAULT 0 CHECK (wishes_fulfilled >= 0);
ALTER TABLE station_month
    ADD COLUMN activities       integer NOT NULL DEFAULT 0 CHECK (activities >= 0),
    ADD COLUMN person_visits    integer NOT NULL DEFAULT 0 CHECK (person_visits >= 0),
    ADD COLUMN wishes_fulfilled integer NOT NULL DEFAULT 0 CHECK (wishes_fulfilled >= 0);
DROP INDEX contact_day_day;
CREATE INDEX station_day_day ON station_day (day)
    INCLUDE (station_id, contacts, pairings_started, activities, person_visits, wishes_fulfilled);
DROP INDEX station_month_month;
CREATE INDEX station_month_month ON station_month (month)
    INCLUDE (station_id, contacts, pairings_started, activities, person_visits, wishes_fulfilled);

-- Adds counts at a station on a day, to the day's and the month's rows. A call either adds
-- (every count ≥ 0) or removes (every count ≤ 0); a removal only updates, because CHECK
-- constraints judge an upsert's proposed row before the conflict is found.
CREATE FUNCTION station_add(
    station uuid, on_day date,
    contacts integer DEFAULT 0, pairings_started integer DEFAULT 0,
    activities integer DEFAULT 0, person_visits integer DEFAULT 0,
    wishes_fulfilled integer DEFAULT 0
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    first_day date := date_trunc('month', on_day)::date;
BEGIN
    IF least(station_add.contacts, station_add.pairings_started, station_add.activities,
             station_add.person_visits, station_add.wishes_fulfilled) < 0 THEN
        UPDATE station_day d SET
            contacts = d.contacts + station_add.contacts,
            pairings_started = d.pairings_started + station_add.pairings_started,
            activities = d.activities + station_add.activities,
            person_visits = d.person_visits + station_add.person_visits,
            wishes_fulfilled = d.wishes_fulfilled + station_add.wishes_fulfilled,
            updated_at = now()
        WHERE d.station_id = station AND d.day = on_day;
        UPDATE station_month m SET
            contacts = m.contacts + station_add.contacts,
            pairings_started = m.pairings_started + station_add.pairings_started,
            activities = m.activities + station_add.activities,
            person_visits = m.person_visits + station_add.person_visits,
            wishes_fulfilled = m.wishes_fulfilled + station_add.wishes_fulfilled,
            updated_at = now()
        WHERE m.station_id = station AND m.month = first_day;
        RETURN;
    END IF;
    INSERT INTO station_day AS d
        (station_id, day, contacts, pairings_started, activities, person_visits, wishes_fulfilled)
    VALUES (station, on_day, station_add.contacts, station_add.pairings_started,
            station_add.activities, station_add.person_visits, station_add.wishes_fulfilled)
    ON CONFLICT (station_id, day) DO UPDATE SET
        contacts = d.contacts + excluded.contacts,
        pairings_started = d.pairings_started + excluded.pairings_started,
        activities = d.activities + excluded.activities,
        person_visits = d.person_visits + excluded.person_visits,
        wishes_fulfilled = d.wishes_fulfilled + excluded.wishes_fulfilled,
        updated_at = now();
    INSERT INTO station_month AS m
        (station_id, month, contacts, pairings_started, activities, person_visits, wishes_fulfilled)
    VALUES (station, first_day, station_add.contacts, station_add.pairings_started,
            station_add.activities, station_add.person_visits, station_add.wishes_fulfilled)
    ON CONFLICT (station_id, month) DO UPDATE SET
        contacts = m.contacts + excluded.contacts,
        pairings_started = m.pairings_started + excluded.pairings_started,
        activities = m.activities + excluded.activities,
        person_visits = m.person_visits + excluded.person_visits,
        wishes_fulfilled = m.wishes_fulfilled + excluded.wishes_fulfilled,
        updated_at = now();
END $$;

-- The concerns nobody has resolved yet, each with its pairing's station: the queue staff and
-- managers work through, and what the dashboard counts. A row lives exactly as long as its
-- contact holds an unresolved concern.
CREATE TABLE open_concern (
    contact_id uuid PRIMARY KEY REFERENCES contact (id) ON DELETE CASCADE,
    station_id uuid NOT NULL REFERENCES station (id),
    raised_at  timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX open_concern_raised ON open_concern (raised_at, contact_id) INCLUDE (station_id);
CREATE INDEX open_concern_station ON open_concern (station_id, raised_at, contact_id);
DROP INDEX contact_open_concern;

-- Contacts: counted at their pairing's station on the day they took place; an unresolved
-- concern is queued with that station.
CREATE OR REPLACE FUNCTION contact_day_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- A resolution changes the queue, not the counts.
    moved boolean := TG_OP <> 'UPDATE'
        OR (OLD.pairing_id, OLD.contacted_on) IS DISTINCT FROM (NEW.pairing_id, NEW.contacted_on);
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF moved THEN
            PERFORM station_add(p.station_id, OLD.contacted_on, contacts => -1)
            FROM pairing p WHERE p.id = OLD.pairing_id;
        END IF;
        DELETE FROM open_concern WHERE contact_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF moved THEN
            PERFORM station_add(p.station_id, NEW.contacted_on, contacts => 1)
            FROM pairing p WHERE p.id = NEW.pairing_id;
        END IF;
        IF NEW.concern_category IS NOT NULL AND NEW.concern_resolved_at IS NULL THEN
            INSERT INTO open_concern (contact_id, station_id, raised_at)
            SELECT NEW.id, p.station_id, NEW.created_at FROM pairing p WHERE p.id = NEW.pairing_id;
        END IF;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER contact_day_count ON contact;
ALTER FUNCTION contact_day_count() RENAME TO contact_count;
CREATE TRIGGER contact_count AFTER INSERT OR DELETE ON contact
    FOR EACH ROW EXECUTE FUNCTION contact_count();
CREATE TRIGGER contact_count_moves AFTER UPDATE OF pairing_id, contacted_on, concern_category,
    concern_resolved_at, created_at ON contact
    FOR EACH ROW WHEN ((OLD.pairing_id, OLD.contacted_on, OLD.concern_category, OLD.concern_resolved_at,
                        OLD.created_at)
                       IS DISTINCT FROM (NEW.pairing_id, NEW.contacted_on, NEW.concern_category,
                                         NEW.concern_resolved_at, NEW.created_at))
    EXECUTE FUNCTION contact_count();

-- A pairing that moves to another station takes its contacts and open concerns with it.
CREATE OR REPLACE FUNCTION pairing_moves_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM station_add(OLD.station_id, contacted_on, contacts => -count(*)::int)
    FROM contact WHERE pairing_id = NEW.id GROUP BY contacted_on;
    PERFORM station_add(NEW.station_id, contacted_on, contacts => count(*)::int)
    FROM contact WHERE pairing_id = NEW.id GROUP BY contacted_on;
    UPDATE open_concern o SET station_id = NEW.station_id, updated_at = now()
    FROM contact k WHERE k.pairing_id = NEW.id AND o.contact_id = k.id;
    RETURN NULL;
END $$;

-- Pairings: active ones per station, and those started per station and day.
CREATE OR REPLACE FUNCTION pairing_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM station_add(OLD.station_id, OLD.started_on, pairings_started => -1);
        UPDATE pairing_tally SET active = active - 1, updated_at = now()
        WHERE station_id = OLD.station_id AND OLD.status = 'active';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM station_add(NEW.station_id, NEW.started_on, pairings_started => 1);
        INSERT INTO pairing_tally (station_id, active)
        VALUES (NEW.station_id, (NEW.status = 'active')::int)
        ON CONFLICT (station_id)
        DO UPDATE SET active = pairing_tally.active + excluded.active, updated_at = now();
    END IF;
    RETURN NULL;
END $$;
DROP FUNCTION station_count(uuid, date, integer, integer);

-- Activities: counted, with their person-visits, at their station on the day they were held.
CREATE FUNCTION activity_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM station_add(OLD.station_id, OLD.held_on, activities => -1,
                            person_visits => -OLD.person_visits);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM station_add(NEW.station_id, NEW.held_on, activities => 1,
                            person_visits => NEW.person_visits);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER activity_count AFTER INSERT OR DELETE ON activity
    FOR EACH ROW EXECUTE FUNCTION activity_count();
-- `person_visits` is generated: the trigger fires when a column it depends on is updated.
CREATE TRIGGER activity_count_moves AFTER UPDATE OF station_id, held_on, person_visits ON activity
    FOR EACH ROW WHEN ((OLD.station_id, OLD.held_on, OLD.person_visits)
                       IS DISTINCT FROM (NEW.station_id, NEW.held_on, NEW.person_visits))
    EXECUTE FUNCTION activity_count();

-- Wishes: a fulfilled wish counts at its child's station on the day it was fulfilled.
CREATE FUNCTION wish_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'fulfilled' THEN
        PERFORM station_add(c.station_id, OLD.fulfilled_on, wishes_fulfilled => -1)
        FROM child c WHERE c.id = OLD.child_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'fulfilled' THEN
        PERFORM station_add(c.station_id, NEW.fulfilled_on, wishes_fulfilled => 1)
        FROM child c WHERE c.id = NEW.child_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER wish_count AFTER INSERT OR DELETE ON wish
    FOR EACH ROW EXECUTE FUNCTION wish_count();
CREATE TRIGGER wish_count_moves AFTER UPDATE OF child_id, status, fulfilled_on ON wish
    FOR EACH ROW WHEN ((OLD.child_id, OLD.status, OLD.fulfilled_on)
                       IS DISTINCT FROM (NEW.child_id, NEW.status, NEW.fulfilled_on))
    EXECUTE FUNCTION wish_count();

-- A child who moves to another station takes her fulfilled wishes with her.
CREATE FUNCTION child_moves_wishes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM station_add(OLD.station_id, fulfilled_on, wishes_fulfilled => -count(*)::int)
    FROM wish WHERE child_id = NEW.id AND status = 'fulfilled' GROUP BY fulfilled_on;
    PERFORM station_add(NEW.station_id, fulfilled_on, wishes_fulfilled => count(*)::int)
    FROM wish WHERE child_id = NEW.id AND status = 'fulfilled' GROUP BY fulfilled_on;
    RETURN NULL;
END $$;
CREATE TRIGGER child_moves_wishes AFTER UPDATE OF station_id ON child
    FOR EACH ROW WHEN (OLD.station_id IS DISTINCT FROM NEW.station_id)
    EXECUTE FUNCTION child_moves_wishes();

-- The day a child began waiting for a pairing: the day her last pairing ended, or the day she
-- was registered. Kept by the child's own insert and by every change to her pairings' ends.
ALTER TABLE child ADD COLUMN waiting_since date;

CREATE FUNCTION child_waiting_since(of_child uuid, registered timestamptz) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT max(p.ended_on) FROM pairing p WHERE p.child_id = of_child),
                    (registered AT TIME ZONE 'Asia/Shanghai')::date)
$$;

CREATE FUNCTION child_set_waiting_since() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.waiting_since := child_waiting_since(NEW.id, NEW.created_at);
    RETURN NEW;
END $$;
CREATE TRIGGER child_set_waiting_since BEFORE INSERT OR UPDATE OF created_at ON child
    FOR EACH ROW EXECUTE FUNCTION child_set_waiting_since();

CREATE FUNCTION pairing_sets_waiting_since() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- `version - 1`: bookkeeping, not an edit (see touch_versioned).
    UPDATE child c SET waiting_since = child_waiting_since(c.id, c.created_at), version = c.version - 1
    WHERE c.id IN (OLD.child_id, NEW.child_id)
      AND c.waiting_since IS DISTINCT FROM child_waiting_since(c.id, c.created_at);
    RETURN NULL;
END $$;
CREATE TRIGGER pairing_sets_waiting_since AFTER INSERT OR DELETE OR UPDATE OF child_id, ended_on
    ON pairing FOR EACH ROW EXECUTE FUNCTION pairing_sets_waiting_since();

-- Counts every table from scratch: after a migration, and after a bulk load that wrote rows
-- with the triggers off.
CREATE OR REPLACE FUNCTION tally_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM volunteer_tally;
    INSERT INTO volunteer_tally (region_code, station_id, status, trained, n)
    SELECT region_code, station_id, status, trained_on IS NOT NULL, count(*) FROM volunteer GROUP BY 1, 2, 3, 4;
    DELETE FROM child_tally;
    INSERT INTO child_tally (region_code, station_id, category, status, n)
    SELECT region_code, station_id, category, status, count(*) FROM child GROUP BY 1, 2, 3, 4;
    DELETE FROM pairing_tally;
    INSERT INTO pairing_tally (station_id, active)
    SELECT station_id, count(*) FILTER (WHERE status = 'active') FROM pairing GROUP BY 1;
    DELETE FROM open_concern;
    INSERT INTO open_concern (contact_id, station_id, raised_at)
    SELECT k.id, p.station_id, k.created_at FROM contact k JOIN pairing p ON p.id = k.pairing_id
    WHERE k.concern_category IS NOT NULL AND k.concern_resolved_at IS NULL;
    DELETE FROM station_day;
    INSERT INTO station_day (station_id, day, contacts, pairings_started, activities, person_visits, wishes_fulfilled)
    SELECT station_id, day, sum(contacts), sum(started), sum(activities), sum(visits), sum(wishes) FROM (
        SELECT p.station_id, k.contacted_on AS day, 1 AS contacts, 0 AS started, 0 AS activities,
               0 AS visits, 0 AS wishes
        FROM contact k JOIN pairing p ON p.id = k.pairing_id
        UNION ALL
        SELECT station_id, started_on, 0, 1, 0, 0, 0 FROM pairing
        UNION ALL
        SELECT station_id, held_on, 0, 0, 1, person_visits, 0 FROM activity
        UNION ALL
        SELECT c.station_id, w.fulfilled_on, 0, 0, 0, 0, 1 FROM wish w JOIN child c ON c.id = w.child_id
        WHERE w.status = 'fulfilled') x
    GROUP BY 1, 2;
    DELETE FROM station_month;
    INSERT INTO station_month (station_id, month, contacts, pairings_started, activities, person_visits, wishes_fulfilled)
    SELECT station_id, date_trunc('month', day)::date, sum(contacts), sum(pairings_started),
           sum(activities), sum(person_visits), sum(wishes_fulfilled)
    FROM station_day GROUP BY 1, 2;
$$;
SELECT tally_rebuild();
-- The children registered before this migration (`version - 1`: bookkeeping, not an edit).
UPDATE child c SET waiting_since = w.since, version = c.version - 1
FROM (SELECT c.id, coalesce(max(p.ended_on), (c.created_at AT TIME ZONE 'Asia/Shanghai')::date) AS since
      FROM child c LEFT JOIN pairing p ON p.child_id = c.id GROUP BY c.id) w
WHERE c.id = w.id;
ALTER TABLE child ALTER COLUMN waiting_since SET NOT NULL;

-- Children waiting for a pairing, longest first: province-wide by the day, within a county or
-- a station by their region or station.
DROP INDEX child_registered_since;
CREATE INDEX child_waiting ON child (waiting_since) INCLUDE (region_code, station_id)
    WHERE status = 'registered';
CREATE INDEX child_waiting_station ON child (station_id, waiting_since) WHERE status = 'registered';

-- The day an active pairing last had news: its last contact, or its start. A column (not an
-- expression index) so that counting a province's quiet pairings reads the index alone.
ALTER TABLE pairing ADD COLUMN quiet_since date
    GENERATED ALWAYS AS (coalesce(last_contact_on, started_on)) STORED;
DROP INDEX pairing_active_quiet_since;
DROP INDEX pairing_quiet_station;
-- A province walks its quiet pairings by the day; a county by its stations, from the index alone.
CREATE INDEX pairing_quiet ON pairing (quiet_since, station_id) WHERE status = 'active';
CREATE INDEX pairing_station_quiet ON pairing (station_id, quiet_since)
    INCLUDE (id, child_id, volunteer_id) WHERE status = 'active';
-- The cities, counties or townships of a region, for the areas table.
CREATE INDEX region_level_code ON region (level, code text_pattern_ops);
-- Every contact rewrites its pairing's row (its last contact), so each index on pairing costs a
-- write per contact: this one repeated `pairing_station_id (station_id, status)`.
DROP INDEX pairing_station_tally;
-- People are counted from their tallies now, not from these.
DROP INDEX volunteer_region_tally;
DROP INDEX child_region_tally;
