-- Follow-ups: staff or a station's manager flag a contact or a check-in for follow-up — who
-- does what by when — and the person it is assigned to marks it done with a note. A follow-up
-- hangs from its entry's pairing (kept here so that lists and figures need no detour through
-- the entry), is assigned to a staff member or a station manager whose reach holds that
-- pairing, and is flagged while the pairing runs. The action and the note are personal data:
-- erased with the child or the volunteer (erasure keeps contacts and check-ins, and so their
-- follow-ups; were an entry ever deleted, its follow-ups would go with it).
CREATE TABLE follow_up (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- filled from the entry by follow_up_guard
    pairing_id uuid NOT NULL REFERENCES pairing (id) ON DELETE CASCADE,
    contact_id uuid REFERENCES contact (id) ON DELETE CASCADE,
    check_in_id uuid REFERENCES check_in (id) ON DELETE CASCADE,
    assignee_id uuid NOT NULL REFERENCES app_user (id),
    action text NOT NULL CHECK (char_length(action) BETWEEN 1 AND 500),
    due_on date NOT NULL,
    done_at timestamptz,
    done_note text CHECK (char_length(done_note) <= 2000),
    done_by uuid REFERENCES app_user (id),
    created_by uuid REFERENCES app_user (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT follow_up_one_entry CHECK (num_nonnulls(contact_id, check_in_id) = 1),
    -- done with a note, by someone; open without either
    CONSTRAINT follow_up_done_noted CHECK (
        (done_at IS NULL) = (done_note IS NULL) AND (done_at IS NOT NULL OR done_by IS NULL))
);
-- The open ones by pairing and due date: what counting open and overdue follow-ups per station
-- (and so per region, through pairing → station) reads; and a person's own open list.
CREATE INDEX follow_up_open ON follow_up (pairing_id, due_on) WHERE done_at IS NULL;
CREATE INDEX follow_up_assignee_open ON follow_up (assignee_id, due_on) WHERE done_at IS NULL;
CREATE INDEX follow_up_pairing ON follow_up (pairing_id, created_at);
CREATE INDEX follow_up_contact ON follow_up (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX follow_up_check_in ON follow_up (check_in_id) WHERE check_in_id IS NOT NULL;
CREATE TRIGGER follow_up_touch BEFORE UPDATE ON follow_up
    FOR EACH ROW EXECUTE FUNCTION touch_versioned();

-- A follow-up is flagged on an entry of a pairing that is not closed, due no earlier than
-- today (China's day), for an active staff member whose region holds the pairing's station or
-- a manager of that station. The pairing's row is locked first, so a follow-up never lands on
-- a pairing closed (or a person erased) meanwhile.
CREATE FUNCTION follow_up_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
    v_station uuid;
    v_region text;
BEGIN
    NEW.pairing_id := coalesce((SELECT pairing_id FROM contact WHERE id = NEW.contact_id),
                               (SELECT pairing_id FROM check_in WHERE id = NEW.check_in_id));
    IF NEW.pairing_id IS NULL THEN
        RETURN NEW; -- no such entry: the keys refuse it
    END IF;
    SELECT p.status::text, p.station_id, s.region_code INTO v_status, v_station, v_region
    FROM pairing p JOIN station s ON s.id = p.station_id
    WHERE p.id = NEW.pairing_id FOR SHARE OF p;
    IF v_status = 'closed' THEN
        RAISE EXCEPTION 'a follow-up is flagged while its pairing runs'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'follow_up_on_running_pairing';
    END IF;
    IF NEW.due_on < (now() AT TIME ZONE 'Asia/Shanghai')::date THEN
        RAISE EXCEPTION 'a follow-up is due no earlier than today'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'follow_up_due_from_today';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM app_user u
        WHERE u.id = NEW.assignee_id AND u.active
          AND ((u.role = 'staff' AND v_region LIKE u.region_code || '%')
               OR (u.role = 'station_manager' AND EXISTS (
                       SELECT 1 FROM user_station us
                       WHERE us.user_id = u.id AND us.station_id = v_station)))) THEN
        RAISE EXCEPTION 'a follow-up is assigned to staff or a manager who reaches its pairing'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'follow_up_assignee_reaches_pairing';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER follow_up_guard BEFORE INSERT ON follow_up
    FOR EACH ROW EXECUTE FUNCTION follow_up_guard();

-- What was asked, of whom, by when, stays; a follow-up is done once. The only other change is
-- the erasure of its text (to erased()).
CREATE FUNCTION follow_up_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.done_at IS NOT NULL
       AND (NEW.done_at, NEW.done_by) IS DISTINCT FROM (OLD.done_at, OLD.done_by) THEN
        RAISE EXCEPTION 'a follow-up is done once'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'follow_up_done_once';
    END IF;
    IF (NEW.pairing_id, NEW.contact_id, NEW.check_in_id, NEW.assignee_id, NEW.due_on,
        NEW.created_by, NEW.created_at)
       IS DISTINCT FROM
       (OLD.pairing_id, OLD.contact_id, OLD.check_in_id, OLD.assignee_id, OLD.due_on,
        OLD.created_by, OLD.created_at)
       OR (NEW.action IS DISTINCT FROM OLD.action AND NEW.action IS DISTINCT FROM erased())
       OR (OLD.done_at IS NOT NULL AND NEW.done_note IS DISTINCT FROM OLD.done_note
           AND NEW.done_note IS DISTINCT FROM erased()) THEN
        RAISE EXCEPTION 'a follow-up keeps what was asked, of whom and by when'
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'follow_up_kept';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER follow_up_kept BEFORE UPDATE ON follow_up
    FOR EACH ROW EXECUTE FUNCTION follow_up_kept();

-- Erasing a child or a volunteer erases the action and the note of her pairings' follow-ups,
-- and closes the open ones.
-- `version - 1` tells touch_versioned this is bookkeeping, not an edit by a person.
CREATE FUNCTION follow_up_erase() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- An open one is closed with it: nothing is written on it after the erasure.
    UPDATE follow_up f SET action = erased(),
                           done_at = coalesce(f.done_at, now()),
                           done_note = erased(),
                           version = f.version - 1
    FROM pairing p
    WHERE p.id = f.pairing_id
      AND (f.action <> erased() OR f.done_note IS DISTINCT FROM erased())
      AND ((TG_TABLE_NAME = 'child' AND p.child_id = NEW.id)
           OR (TG_TABLE_NAME = 'volunteer' AND p.volunteer_id = NEW.id));
    RETURN NULL;
END $$;
CREATE TRIGGER follow_up_erase_child AFTER UPDATE OF anonymised_at ON child
    FOR EACH ROW WHEN (OLD.anonymised_at IS NULL AND NEW.anonymised_at IS NOT NULL)
    EXECUTE FUNCTION follow_up_erase();
CREATE TRIGGER follow_up_erase_volunteer AFTER UPDATE OF anonymised_at ON volunteer
    FOR EACH ROW WHEN (OLD.anonymised_at IS NULL AND NEW.anonymised_at IS NOT NULL)
    EXECUTE FUNCTION follow_up_erase();

-- A follow-up's audit events are filed under its pairing's station's region.
CREATE OR REPLACE FUNCTION audit_record_region(p_entity text, p_id uuid) RETURNS text
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    found text;
BEGIN
    CASE p_entity
    WHEN 'child' THEN
        SELECT c.region_code INTO found FROM child c WHERE c.id = p_id;
    WHEN 'guardian' THEN
        SELECT c.region_code INTO found FROM guardian g JOIN child c ON c.id = g.child_id
        WHERE g.id = p_id;
    WHEN 'consent' THEN
        SELECT c.region_code INTO found FROM consent k JOIN child c ON c.id = k.child_id
        WHERE k.id = p_id;
    WHEN 'wish' THEN
        SELECT c.region_code INTO found FROM wish w JOIN child c ON c.id = w.child_id
        WHERE w.id = p_id;
    WHEN 'volunteer' THEN
        SELECT v.region_code INTO found FROM volunteer v WHERE v.id = p_id;
    WHEN 'station' THEN
        SELECT s.region_code INTO found FROM station s WHERE s.id = p_id;
    WHEN 'activity' THEN
        SELECT s.region_code INTO found FROM activity a JOIN station s ON s.id = a.station_id
        WHERE a.id = p_id;
    WHEN 'pairing' THEN
        SELECT s.region_code INTO found FROM pairing p JOIN station s ON s.id = p.station_id
        WHERE p.id = p_id;
    WHEN 'contact' THEN
        SELECT s.region_code INTO found FROM contact k JOIN pairing p ON p.id = k.pairing_id
            JOIN station s ON s.id = p.station_id
        WHERE k.id = p_id;
    WHEN 'check_in' THEN
        SELECT s.region_code INTO found FROM check_in c JOIN pairing p ON p.id = c.pairing_id
            JOIN station s ON s.id = p.station_id
        WHERE c.id = p_id;
    WHEN 'follow_up' THEN
        SELECT s.region_code INTO found FROM follow_up f JOIN pairing p ON p.id = f.pairing_id
            JOIN station s ON s.id = p.station_id
        WHERE f.id = p_id;
    WHEN 'data_request' THEN
        SELECT coalesce(c.region_code, v.region_code) INTO found
        FROM data_request r LEFT JOIN child c ON c.id = r.child_id
            LEFT JOIN volunteer v ON v.id = r.volunteer_id
        WHERE r.id = p_id;
    -- a session event names its account
    WHEN 'user', 'session' THEN
        SELECT coalesce(u.region_code, v.region_code,
                        (SELECT min(s.region_code) FROM user_station us
                             JOIN station s ON s.id = us.station_id
                         WHERE us.user_id = u.id))
        INTO found
        FROM app_user u LEFT JOIN volunteer v ON v.id = u.volunteer_id
        WHERE u.id = p_id;
    ELSE
        found := NULL;
    END CASE;
    RETURN found;
END
$$;
