-- The audit trail filed under the record's region as well as the actor's: the admins of the
-- region that holds a child, a volunteer, a station (or anything hanging from them) see who
-- opened or changed it, wherever the actor sits; the actor's admins still see what she did.
--
-- Rules: `region_code` stays the actor's region at the time; `record_region_code` is the region
-- of the record the event names, filled when the event is written (`audit_event_file`, from
-- `audit_record_region`) unless the writer gives it. A failed login of a known account names
-- that account, so it is filed under the account's region. Events already written are filed
-- once here by their record's current region; nothing else of them changes.

ALTER TABLE audit_event ADD COLUMN record_region_code text;
COMMENT ON COLUMN audit_event.region_code IS 'the actor''s region at the time';
COMMENT ON COLUMN audit_event.record_region_code IS 'the region of the record the event names';
CREATE INDEX audit_event_record_region ON audit_event (record_region_code text_pattern_ops, at DESC);

-- The region a record belongs to, as the scope reads it: a child's, guardian's, consent's and
-- wish's is the child's; a volunteer's her own; a station's, activity's, pairing's and
-- contact's the station's; an account's (and its sessions') the one its actions are filed under.
-- PL/pgSQL plans only the branch it takes, so writing an event reads (and locks) only the
-- tables of the record it names.
CREATE FUNCTION audit_record_region(p_entity text, p_id uuid) RETURNS text
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

CREATE FUNCTION audit_event_file() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.record_region_code IS NULL AND NEW.entity_id IS NOT NULL THEN
        NEW.record_region_code := audit_record_region(NEW.entity, NEW.entity_id);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_event_file BEFORE INSERT ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_file();

-- The events already written, filed once by their record's region (the column is new: what
-- they recorded is untouched).
ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only;
UPDATE audit_event SET record_region_code = audit_record_region(entity, entity_id)
    WHERE entity_id IS NOT NULL;
ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only;
