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

-- A check-in is held on a running pairing, from its first day.
CREATE FUNCTION check_in_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pairing p WHERE p.id = NEW.pairing_id AND p.status = 'active'
                   AND p.started_on <= NEW.held_on) THEN
        RAISE EXCEPTION 'a check-in is held on an active pairing, from its first day'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'check_in_on_active_pairing';
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
