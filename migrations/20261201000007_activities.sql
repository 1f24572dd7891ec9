-- Activities (station sessions, trainings of volunteers, ice-breaking events) and who came.
--
-- Rules: a training has a topic and nothing else does (`activity_topic_for_training`); a
-- session ends after it starts (`activity_time_order`); an attendance row is one child or one
-- volunteer (`attendance_one_person`), once per activity (`attendance_child_once`,
-- `attendance_volunteer_once`), only volunteers host (`attendance_host_is_volunteer`), and a
-- child attends sessions of the station that registered them (`attendance_child_same_station`);
-- a station manager corrects a log for seven days, staff at any time (`activity_correction_window`).
-- An activity's child and volunteer counts follow its attendance rows exactly, and its
-- person-visits (人次) are derived, never typed. Every activity is counted at its station and day
-- in `station_day` / `station_month` (figures) by the trigger below.
--
-- Kept with pairings: an ice-breaking event a pairing counts as its first meeting cannot be
-- corrected into something else (`activity_first_meeting`).

CREATE TYPE activity_kind AS ENUM
    ('tutoring', 'heart_to_heart', 'safety_care', 'psychological', 'behaviour', 'heritage_craft',
     'arts', 'legal_education', 'story_sharing', 'ice_breaking', 'holiday', 'training', 'other');
CREATE TYPE training_topic AS ENUM
    ('minors_protection_law', 'delinquency_prevention_law', 'care_precautions', 'mental_health',
     'safety_education', 'other');

CREATE TABLE activity (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    station_id      uuid NOT NULL REFERENCES station (id),
    kind            activity_kind NOT NULL,
    title           text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 100),
    topic           training_topic,
    held_on         date NOT NULL,
    starts_at       time,
    ends_at         time,
    description     text CHECK (char_length(description) <= 2000),
    partners        text CHECK (char_length(partners) <= 200),
    guardian_count  integer NOT NULL DEFAULT 0 CHECK (guardian_count BETWEEN 0 AND 10000),
    other_count     integer NOT NULL DEFAULT 0 CHECK (other_count BETWEEN 0 AND 10000),
    -- kept by the attendance trigger; person-visits (人次) are derived, never typed
    child_count     integer NOT NULL DEFAULT 0 CHECK (child_count >= 0),
    volunteer_count integer NOT NULL DEFAULT 0 CHECK (volunteer_count >= 0),
    person_visits   integer GENERATED ALWAYS AS
                    (child_count + volunteer_count + guardian_count + other_count) STORED,
    created_by      uuid REFERENCES app_user (id),
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- who made the last correction: a correction is judged by that account's role (below)
    updated_by      uuid REFERENCES app_user (id),
    CONSTRAINT activity_topic_for_training CHECK ((kind = 'training') = (topic IS NOT NULL)),
    CONSTRAINT activity_time_order CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX activity_station_held_on ON activity (station_id, held_on);
CREATE INDEX activity_held_on ON activity (held_on);
CREATE INDEX activity_held_on_tally ON activity (held_on) INCLUDE (station_id, kind, person_visits);
-- Only people's edits bump the version: the attendance counts, kept by a trigger, do not.
CREATE TRIGGER activity_touch BEFORE UPDATE ON activity
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION touch_versioned();

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

CREATE TABLE attendance (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    activity_id  uuid NOT NULL REFERENCES activity (id) ON DELETE CASCADE,
    child_id     uuid REFERENCES child (id),
    volunteer_id uuid REFERENCES volunteer (id),
    -- the volunteers who hosted the session
    is_host      boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT attendance_one_person CHECK ((child_id IS NULL) <> (volunteer_id IS NULL)),
    CONSTRAINT attendance_host_is_volunteer CHECK (NOT is_host OR volunteer_id IS NOT NULL),
    CONSTRAINT attendance_child_once UNIQUE (activity_id, child_id),
    CONSTRAINT attendance_volunteer_once UNIQUE (activity_id, volunteer_id)
);
CREATE INDEX attendance_child_id ON attendance (child_id) WHERE child_id IS NOT NULL;
CREATE INDEX attendance_volunteer_id ON attendance (volunteer_id) WHERE volunteer_id IS NOT NULL;
CREATE TRIGGER attendance_touch BEFORE UPDATE ON attendance
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- A child attends sessions of the station that registered them.
CREATE FUNCTION attendance_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.child_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM child c JOIN activity a ON a.station_id = c.station_id
        WHERE c.id = NEW.child_id AND a.id = NEW.activity_id) THEN
        RAISE EXCEPTION 'the child is not registered at the station of this activity'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'attendance_child_same_station';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER attendance_guard BEFORE INSERT OR UPDATE ON attendance
    FOR EACH ROW EXECUTE FUNCTION attendance_guard();

-- The attendance counts on an activity follow its attendance rows exactly.
CREATE FUNCTION attendance_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE activity SET
            child_count = child_count - (OLD.child_id IS NOT NULL)::int,
            volunteer_count = volunteer_count - (OLD.volunteer_id IS NOT NULL)::int
        WHERE id = OLD.activity_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE activity SET
            child_count = child_count + (NEW.child_id IS NOT NULL)::int,
            volunteer_count = volunteer_count + (NEW.volunteer_id IS NOT NULL)::int
        WHERE id = NEW.activity_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER attendance_count AFTER INSERT OR UPDATE OR DELETE ON attendance
    FOR EACH ROW EXECUTE FUNCTION attendance_count();

-- Who corrects a session's log, and until when: a station manager may correct a log until seven
-- days after the session's day ends (midnight, China time), or after it was logged when it was
-- logged later than that; federation staff and admins may at any time; a volunteer never
-- (`activity_correction_window`). An update that says who makes it (it sets `updated_by`, as the
-- service always does) is judged by that account's role; bookkeeping (the attendance counts) and
-- fixes that name nobody are not corrections by anyone.
CREATE FUNCTION activity_correction_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    by_role user_role;
    -- The end of the session's day in China (UTC+8), as an instant.
    day_over timestamptz := ((OLD.held_on + 1)::timestamp - interval '8 hours') AT TIME ZONE 'UTC';
BEGIN
    SELECT u.role INTO by_role FROM app_user u WHERE u.id = NEW.updated_by;
    IF by_role = 'volunteer' OR (by_role = 'station_manager'
                                 AND now() > greatest(OLD.created_at, day_over) + interval '7 days') THEN
        RAISE EXCEPTION 'a station manager corrects a log for seven days after the session'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'activity_correction_window';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER activity_correction_guard BEFORE UPDATE OF updated_by ON activity
    FOR EACH ROW EXECUTE FUNCTION activity_correction_guard();
