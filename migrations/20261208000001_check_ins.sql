-- Staff check-ins (match support): county staff or the station's manager talk with the volunteer
-- or the guardian about how a pairing is going — when, how, a 1–5 rating as that person sees
-- it, a note, and flags (a safety worry, wanting to end, needing help). A pairing carries its
-- last check-in. The notes are personal data: erased with the child or the volunteer.
CREATE TYPE check_in_with AS ENUM ('volunteer', 'guardian');
CREATE TYPE check_in_flag AS ENUM ('safety', 'wants_to_end', 'needs_help');

CREATE TABLE check_in (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    pairing_id uuid NOT NULL REFERENCES pairing (id),
    held_with check_in_with NOT NULL,
    mode contact_mode NOT NULL,
    held_on date NOT NULL,
    rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    note text CHECK (char_length(note) <= 2000),
    flags check_in_flag[] NOT NULL DEFAULT '{}',
    created_by uuid REFERENCES app_user (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX check_in_pairing ON check_in (pairing_id, held_on DESC);

ALTER TABLE pairing ADD COLUMN last_check_in_on date;

-- A check-in is held on a running pairing, from its first day. The pairing's row is locked
-- first, so a check-in and the pairing's closing (or the child's erasure, which closes it) come
-- one after the other: a check-in never lands on a pairing closed meanwhile.
CREATE FUNCTION check_in_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_status pairing_status;
    v_started date;
BEGIN
    SELECT status, started_on INTO v_status, v_started FROM pairing
    WHERE id = NEW.pairing_id FOR SHARE;
    IF v_status IS DISTINCT FROM 'active' THEN
        RAISE EXCEPTION 'a check-in is held on an active pairing'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'check_in_on_active_pairing';
    END IF;
    IF NEW.held_on < v_started THEN
        RAISE EXCEPTION 'a check-in is held no earlier than the pairing''s first day'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'check_in_from_first_day';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER check_in_guard BEFORE INSERT ON check_in
    FOR EACH ROW EXECUTE FUNCTION check_in_guard();

CREATE FUNCTION check_in_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- `version - 1` tells touch_versioned this is bookkeeping, not an edit by a person.
    UPDATE pairing p SET
        last_check_in_on = (SELECT max(held_on) FROM check_in c WHERE c.pairing_id = p.id),
        version = p.version - 1
    WHERE p.id = NEW.pairing_id;
    RETURN NULL;
END $$;
CREATE TRIGGER check_in_rollup AFTER INSERT ON check_in
    FOR EACH ROW EXECUTE FUNCTION check_in_rollup();

-- Erasing a child or a volunteer blanks the notes of her pairings' check-ins.
CREATE FUNCTION check_in_erase() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE check_in c SET note = NULL
    FROM pairing p
    WHERE p.id = c.pairing_id AND c.note IS NOT NULL
      AND ((TG_TABLE_NAME = 'child' AND p.child_id = NEW.id)
           OR (TG_TABLE_NAME = 'volunteer' AND p.volunteer_id = NEW.id));
    RETURN NULL;
END $$;
CREATE TRIGGER check_in_erase_child AFTER UPDATE OF anonymised_at ON child
    FOR EACH ROW WHEN (OLD.anonymised_at IS NULL AND NEW.anonymised_at IS NOT NULL)
    EXECUTE FUNCTION check_in_erase();
CREATE TRIGGER check_in_erase_volunteer AFTER UPDATE OF anonymised_at ON volunteer
    FOR EACH ROW WHEN (OLD.anonymised_at IS NULL AND NEW.anonymised_at IS NOT NULL)
    EXECUTE FUNCTION check_in_erase();

-- A check-in's audit events are filed under its pairing's station's region.
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
