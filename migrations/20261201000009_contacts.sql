-- Contacts a volunteer logs with her paired child, the concerns they raise, and the queue of
-- concerns nobody has resolved yet.
--
-- Rules: a concern has a category and a description together (`contact_concern_described`); a
-- resolution has a time and a text together, and only for a concern
-- (`contact_concern_resolution`); a raised concern cannot be withdrawn, nor its contact deleted
-- (`contact_concern_kept`); what a volunteer logged can be corrected for 24 hours after it was
-- logged and is the record after that (`contact_correction_window`); a contact lasts 1 to 1440
-- minutes (`contact_duration_range`).
--
-- Kept by triggers: the pairing's contact count and last contact (`contact_rollup`); contacts
-- per station and day (`station_day` / `station_month`, in figures) and `open_concern`, which
-- holds a row exactly as long as its contact holds an unresolved concern (`contact_count`).

CREATE TYPE contact_mode AS ENUM ('home_visit', 'call', 'video', 'station', 'school', 'message');
CREATE TYPE contact_topic AS ENUM ('study', 'emotions', 'safety', 'health', 'daily_life');
CREATE TYPE concern_category AS ENUM
    ('safety', 'health', 'abuse_neglect', 'school', 'family', 'other');

CREATE TABLE contact (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    pairing_id          uuid NOT NULL REFERENCES pairing (id),
    contacted_on        date NOT NULL,
    mode                contact_mode NOT NULL,
    duration_minutes    integer CONSTRAINT contact_duration_range
                        CHECK (duration_minutes BETWEEN 1 AND 1440),
    topics              contact_topic[] NOT NULL DEFAULT '{}',
    note                text CHECK (char_length(note) <= 2000),
    concern_category    concern_category,
    concern_detail      text CHECK (char_length(concern_detail) <= 2000),
    concern_resolved_at timestamptz,
    concern_resolved_by uuid REFERENCES app_user (id),
    concern_resolution  text CHECK (char_length(concern_resolution) <= 2000),
    seen_at             timestamptz,
    seen_by             uuid REFERENCES app_user (id),
    created_by          uuid REFERENCES app_user (id),
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT contact_concern_described CHECK ((concern_category IS NULL) = (concern_detail IS NULL)),
    CONSTRAINT contact_concern_resolution CHECK (
        (concern_resolved_at IS NULL) = (concern_resolution IS NULL)
        AND (concern_resolved_at IS NULL OR concern_category IS NOT NULL))
);
CREATE INDEX contact_pairing_on ON contact (pairing_id, contacted_on DESC);
CREATE INDEX contact_contacted_on ON contact (contacted_on);
CREATE TRIGGER contact_touch BEFORE UPDATE ON contact
    FOR EACH ROW EXECUTE FUNCTION touch_versioned();

-- A raised concern stays: it cannot be withdrawn from its contact, and a contact that carries
-- one cannot be deleted.
CREATE FUNCTION contact_concern_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.concern_category IS NOT NULL AND (TG_OP = 'DELETE'
        OR NEW.concern_category IS DISTINCT FROM OLD.concern_category
        OR NEW.concern_detail IS DISTINCT FROM OLD.concern_detail) THEN
        RAISE EXCEPTION 'a raised concern cannot be removed'
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'contact_concern_kept';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER contact_concern_guard BEFORE UPDATE OR DELETE ON contact
    FOR EACH ROW EXECUTE FUNCTION contact_concern_guard();

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

-- A pairing carries its contact count and last contact date (read instead of aggregating a
-- million contacts).
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

-- Contacts: counted at their pairing's station on the day they took place; an unresolved
-- concern is queued with that station.
CREATE FUNCTION contact_count() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER contact_count AFTER INSERT OR DELETE ON contact
    FOR EACH ROW EXECUTE FUNCTION contact_count();
CREATE TRIGGER contact_count_moves AFTER UPDATE OF pairing_id, contacted_on, concern_category,
    concern_resolved_at, created_at ON contact
    FOR EACH ROW WHEN ((OLD.pairing_id, OLD.contacted_on, OLD.concern_category, OLD.concern_resolved_at,
                        OLD.created_at)
                       IS DISTINCT FROM (NEW.pairing_id, NEW.contacted_on, NEW.concern_category,
                                         NEW.concern_resolved_at, NEW.created_at))
    EXECUTE FUNCTION contact_count();
