-- Two rules the service kept alone, now held by the database as well, so that no other writer
-- (a script, a hand-made fix) can break them.

-- A pairing's first meeting is an ice-breaking event at the pairing's station, held no later
-- than the pairing starts (children are matched only after everyone has met).
CREATE FUNCTION pairing_first_meeting_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM activity a
                   WHERE a.id = NEW.first_activity_id AND a.kind = 'ice_breaking'
                     AND a.station_id = NEW.station_id AND a.held_on <= NEW.started_on) THEN
        RAISE EXCEPTION 'the first meeting must be an ice-breaking event at the station, before the pairing starts'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'pairing_first_meeting';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER pairing_first_meeting_guard
    BEFORE INSERT OR UPDATE OF first_activity_id, station_id, started_on ON pairing
    FOR EACH ROW WHEN (NEW.first_activity_id IS NOT NULL)
    EXECUTE FUNCTION pairing_first_meeting_guard();

-- Nor can the event be corrected into something else once a pairing counts it as its first
-- meeting: another kind, another station, or a day after the pairing started.
CREATE FUNCTION activity_first_meeting_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pairing p WHERE p.first_activity_id = NEW.id
               AND (NEW.kind <> 'ice_breaking' OR NEW.station_id <> p.station_id
                    OR NEW.held_on > p.started_on)) THEN
        RAISE EXCEPTION 'this event is the first meeting of a pairing'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'activity_first_meeting';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER activity_first_meeting_guard BEFORE UPDATE OF kind, station_id, held_on ON activity
    FOR EACH ROW WHEN ((OLD.kind, OLD.station_id, OLD.held_on) IS DISTINCT FROM
                       (NEW.kind, NEW.station_id, NEW.held_on))
    EXECUTE FUNCTION activity_first_meeting_guard();
CREATE INDEX pairing_first_activity ON pairing (first_activity_id) WHERE first_activity_id IS NOT NULL;

-- What a volunteer logged about a contact can be corrected for 24 hours; after that it is the
-- record. Marks others add (seen, a concern's resolution) are not corrections.
CREATE FUNCTION contact_correction_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.pairing_id, NEW.contacted_on, NEW.mode, NEW.duration_minutes, NEW.topics, NEW.note,
        NEW.concern_category, NEW.concern_detail, NEW.created_by, NEW.created_at)
       IS DISTINCT FROM
       (OLD.pairing_id, OLD.contacted_on, OLD.mode, OLD.duration_minutes, OLD.topics, OLD.note,
        OLD.concern_category, OLD.concern_detail, OLD.created_by, OLD.created_at)
       AND now() > OLD.created_at + interval '24 hours' THEN
        RAISE EXCEPTION 'a contact can be corrected for 24 hours after it was logged'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'contact_correction_window';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER contact_correction_guard BEFORE UPDATE ON contact
    FOR EACH ROW EXECUTE FUNCTION contact_correction_guard();
