-- Tried but not reached: a contact's outcome. An attempt (no answer, the child away, the
-- guardian declined) is effort, not contact: it is not counted among a pairing's contacts, its
-- last contact or a station's day, and three attempts in a row since the last contact bring the
-- pairing to staff's attention (`pairing.unreached_streak`).

CREATE TYPE contact_outcome AS ENUM ('reached', 'not_reached');
CREATE TYPE contact_not_reached_reason AS ENUM ('no_answer', 'child_away', 'guardian_declined', 'other');

ALTER TABLE contact
    ADD COLUMN outcome contact_outcome NOT NULL DEFAULT 'reached',
    ADD COLUMN not_reached_reason contact_not_reached_reason,
    ADD CONSTRAINT contact_not_reached_reason_given
        CHECK ((outcome = 'not_reached') = (not_reached_reason IS NOT NULL));

-- Attempts since the pairing's last contact that reached the child.
ALTER TABLE pairing ADD COLUMN unreached_streak integer NOT NULL DEFAULT 0;

-- The outcome is what the volunteer logged: corrected within 24 hours like the rest.
CREATE OR REPLACE FUNCTION contact_correction_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF anonymising((SELECT child_id FROM pairing WHERE id = OLD.pairing_id))
       AND (NEW.pairing_id, NEW.contacted_on, NEW.mode, NEW.duration_minutes, NEW.topics,
            NEW.concern_category, NEW.created_by, NEW.created_at, NEW.outcome,
            NEW.not_reached_reason)
           IS NOT DISTINCT FROM
           (OLD.pairing_id, OLD.contacted_on, OLD.mode, OLD.duration_minutes, OLD.topics,
            OLD.concern_category, OLD.created_by, OLD.created_at, OLD.outcome,
            OLD.not_reached_reason)
       AND NEW.note IS NULL
       AND NEW.concern_detail IS NOT DISTINCT FROM (CASE WHEN OLD.concern_detail IS NOT NULL
                                                         THEN erased() END) THEN
        RETURN NEW;
    END IF;
    IF (NEW.pairing_id, NEW.contacted_on, NEW.mode, NEW.duration_minutes, NEW.topics, NEW.note,
        NEW.concern_category, NEW.concern_detail, NEW.created_by, NEW.created_at, NEW.outcome,
        NEW.not_reached_reason)
       IS DISTINCT FROM
       (OLD.pairing_id, OLD.contacted_on, OLD.mode, OLD.duration_minutes, OLD.topics, OLD.note,
        OLD.concern_category, OLD.concern_detail, OLD.created_by, OLD.created_at, OLD.outcome,
        OLD.not_reached_reason)
       AND now() > OLD.created_at + interval '24 hours' THEN
        RAISE EXCEPTION 'a contact can be corrected for 24 hours after it was logged'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'contact_correction_window';
    END IF;
    RETURN NEW;
END $$;

-- A station's day counts the contacts that reached a child.
CREATE OR REPLACE FUNCTION contact_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- A resolution changes the queue, not the counts.
    moved boolean := TG_OP <> 'UPDATE'
        OR (OLD.pairing_id, OLD.contacted_on, OLD.outcome)
           IS DISTINCT FROM (NEW.pairing_id, NEW.contacted_on, NEW.outcome);
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF moved AND OLD.outcome = 'reached' THEN
            PERFORM station_add(p.station_id, OLD.contacted_on, contacts => -1)
            FROM pairing p WHERE p.id = OLD.pairing_id;
        END IF;
        DELETE FROM open_concern WHERE contact_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF moved AND NEW.outcome = 'reached' THEN
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
DROP TRIGGER contact_count_moves ON contact;
CREATE TRIGGER contact_count_moves
    AFTER UPDATE OF pairing_id, contacted_on, concern_category, concern_resolved_at, created_at,
                    outcome ON contact
    FOR EACH ROW
    WHEN (OLD.pairing_id IS DISTINCT FROM NEW.pairing_id
          OR OLD.contacted_on IS DISTINCT FROM NEW.contacted_on
          OR OLD.concern_category IS DISTINCT FROM NEW.concern_category
          OR OLD.concern_resolved_at IS DISTINCT FROM NEW.concern_resolved_at
          OR OLD.created_at IS DISTINCT FROM NEW.created_at
          OR OLD.outcome IS DISTINCT FROM NEW.outcome)
    EXECUTE FUNCTION contact_count();

-- A pairing's contacts and last contact count the contacts that reached the child; the attempts
-- after the last of them are its streak (attempts on the day of a contact do not count).
CREATE OR REPLACE FUNCTION contact_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        touched := ARRAY[NEW.pairing_id];
    ELSIF TG_OP = 'DELETE' THEN
        touched := ARRAY[OLD.pairing_id];
    ELSE
        touched := ARRAY[OLD.pairing_id, NEW.pairing_id];
    END IF;
    -- `version - 1` tells touch_versioned this is bookkeeping, not an edit by a person.
    UPDATE pairing p SET
        contact_count = k.reached,
        last_contact_on = k.last_reached,
        unreached_streak = k.streak,
        version = p.version - 1
    FROM (SELECT t.id,
                 (SELECT count(*) FROM contact c
                  WHERE c.pairing_id = t.id AND c.outcome = 'reached') AS reached,
                 (SELECT max(c.contacted_on) FROM contact c
                  WHERE c.pairing_id = t.id AND c.outcome = 'reached') AS last_reached,
                 (SELECT count(*) FROM contact c
                  WHERE c.pairing_id = t.id AND c.outcome = 'not_reached'
                    AND c.contacted_on > coalesce(
                        (SELECT max(r.contacted_on) FROM contact r
                         WHERE r.pairing_id = t.id AND r.outcome = 'reached'), '-infinity'::date)
                 ) AS streak
          FROM unnest(touched) AS t(id)) k
    WHERE p.id = k.id;
    RETURN NULL;
END $$;
DROP TRIGGER contact_rollup ON contact;
CREATE TRIGGER contact_rollup AFTER INSERT OR DELETE OR UPDATE OF pairing_id, contacted_on, outcome
    ON contact FOR EACH ROW EXECUTE FUNCTION contact_rollup();

-- A pairing moved to another station takes its contacts' days along: contacts only.
CREATE OR REPLACE FUNCTION pairing_moves_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM station_add(OLD.station_id, contacted_on, contacts => -count(*)::int)
    FROM contact WHERE pairing_id = NEW.id AND outcome = 'reached' GROUP BY contacted_on;
    PERFORM station_add(NEW.station_id, contacted_on, contacts => count(*)::int)
    FROM contact WHERE pairing_id = NEW.id AND outcome = 'reached' GROUP BY contacted_on;
    UPDATE open_concern o SET station_id = NEW.station_id, updated_at = now()
    FROM contact k WHERE k.pairing_id = NEW.id AND o.contact_id = k.id;
    RETURN NULL;
END $$;

-- The tallies, rebuilt from scratch (after a bulk load), count the same contacts.
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
        FROM contact k JOIN pairing p ON p.id = k.pairing_id WHERE k.outcome = 'reached'
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

-- The pairings whose volunteer keeps trying without reaching the child, for staff's attention.
CREATE INDEX pairing_unreached ON pairing (station_id) WHERE status = 'active' AND unreached_streak >= 3;
