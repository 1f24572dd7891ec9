-- A pairing carries its contact count and last contact date, kept exact by a trigger on
-- contact, so that lists, health marks and dashboards read one row instead of aggregating a
-- million contacts.
ALTER TABLE pairing
    ADD COLUMN contact_count   integer NOT NULL DEFAULT 0,
    ADD COLUMN last_contact_on date;

CREATE FUNCTION contact_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
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
        contact_count = (SELECT count(*) FROM contact c WHERE c.pairing_id = p.id),
        last_contact_on = (SELECT max(c.contacted_on) FROM contact c WHERE c.pairing_id = p.id),
        version = p.version - 1
    WHERE p.id = ANY(touched);
    RETURN NULL;
END $$;
CREATE TRIGGER contact_rollup AFTER INSERT OR DELETE OR UPDATE OF pairing_id, contacted_on ON contact
    FOR EACH ROW EXECUTE FUNCTION contact_rollup();

-- Pairings due a check-in: active ones by the date of their last contact (or their start).
CREATE INDEX pairing_active_quiet_since ON pairing ((coalesce(last_contact_on, started_on)))
    WHERE status = 'active';
-- Children waiting for a pairing, longest first.
CREATE INDEX child_registered_since ON child (created_at) WHERE status = 'registered';
-- The pairing list, newest first.
CREATE INDEX pairing_started_on ON pairing (started_on DESC, id);
-- A child's pairing history (and when the last one ended, for the waiting list).
CREATE INDEX pairing_child_id ON pairing (child_id, ended_on);
