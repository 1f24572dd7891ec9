-- Volunteers (爱心妈妈) and their recruitment pipeline: applied → screened → trained → active.
--
-- Rules: a unique mobile number (`volunteer_phone_key`) and ID number (kept encrypted, found by a
-- keyed hash: `volunteer_id_number_hash_key`, `volunteer_id_number_pair`); screened means the
-- no-criminal-record check and the interview are on record (`volunteer_screening_recorded`),
-- trained or active means training is on record (`volunteer_training_recorded`); one to ten
-- children at a time (`volunteer_capacity_range`). Every change is counted in `volunteer_tally`
-- (figures) by the trigger below.

CREATE TYPE gender AS ENUM ('female', 'male');
CREATE TYPE volunteer_status AS ENUM ('applied', 'screened', 'trained', 'active', 'paused', 'withdrawn');

CREATE TABLE volunteer (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
    gender              gender NOT NULL DEFAULT 'female',
    phone               text NOT NULL
                        CONSTRAINT volunteer_phone_format CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    -- AES-256-GCM ciphertext (nonce ‖ ciphertext ‖ tag) and a keyed HMAC that finds duplicates
    id_number           bytea,
    id_number_hash      bytea,
    birth_date          date,
    region_code         text NOT NULL REFERENCES region (code),
    station_id          uuid REFERENCES station (id),
    organization        text CHECK (char_length(organization) <= 100),
    occupation          text CHECK (char_length(occupation) <= 50),
    skills              text[] NOT NULL DEFAULT '{}' CHECK (cardinality(skills) <= 20),
    status              volunteer_status NOT NULL DEFAULT 'applied',
    background_check_on date,
    interviewed_on      date,
    trained_on          date,
    capacity            smallint NOT NULL DEFAULT 2
                        CONSTRAINT volunteer_capacity_range CHECK (capacity BETWEEN 1 AND 10),
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT volunteer_phone_key UNIQUE (phone),
    CONSTRAINT volunteer_id_number_hash_key UNIQUE (id_number_hash),
    CONSTRAINT volunteer_id_number_pair CHECK ((id_number IS NULL) = (id_number_hash IS NULL)),
    -- screened means the no-criminal-record check and the interview are on record
    CONSTRAINT volunteer_screening_recorded CHECK (
        status NOT IN ('screened', 'trained', 'active')
        OR (background_check_on IS NOT NULL AND interviewed_on IS NOT NULL)),
    -- nobody is trained, let alone active, without training on record
    CONSTRAINT volunteer_training_recorded CHECK (
        status NOT IN ('trained', 'active') OR trained_on IS NOT NULL)
);
CREATE INDEX volunteer_region_code ON volunteer (region_code text_pattern_ops);
CREATE INDEX volunteer_station_id ON volunteer (station_id);
CREATE INDEX volunteer_status_idx ON volunteer (status);
CREATE INDEX volunteer_name_trgm ON volunteer USING gin (name gin_trgm_ops);
-- Lists ordered by name, or newest first, walk an index rather than sort a province's rows.
CREATE INDEX volunteer_name_order ON volunteer (name, id);
CREATE INDEX volunteer_created_at ON volunteer (created_at DESC, id DESC);
-- Alerts: active volunteers whose background check is getting old, counted from the index alone.
CREATE INDEX volunteer_checks_due ON volunteer (background_check_on) INCLUDE (region_code, station_id)
    WHERE status = 'active';

CREATE TRIGGER volunteer_touch BEFORE UPDATE ON volunteer
    FOR EACH ROW EXECUTE FUNCTION touch_versioned();

-- Volunteers counted by region, station, status and whether their training is on record
-- (`volunteer_tally`, in figures).
CREATE FUNCTION volunteer_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE volunteer_tally SET n = n - 1, updated_at = now()
        WHERE region_code = OLD.region_code AND station_id IS NOT DISTINCT FROM OLD.station_id
          AND status = OLD.status AND trained = (OLD.trained_on IS NOT NULL);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO volunteer_tally (region_code, station_id, status, trained, n)
        VALUES (NEW.region_code, NEW.station_id, NEW.status, NEW.trained_on IS NOT NULL, 1)
        ON CONFLICT ON CONSTRAINT volunteer_tally_key
        DO UPDATE SET n = volunteer_tally.n + 1, updated_at = now();
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER volunteer_tally_count AFTER INSERT OR DELETE ON volunteer
    FOR EACH ROW EXECUTE FUNCTION volunteer_tally_count();
CREATE TRIGGER volunteer_tally_moves AFTER UPDATE OF region_code, station_id, status, trained_on ON volunteer
    FOR EACH ROW WHEN ((OLD.region_code, OLD.station_id, OLD.status, OLD.trained_on IS NOT NULL)
                       IS DISTINCT FROM (NEW.region_code, NEW.station_id, NEW.status, NEW.trained_on IS NOT NULL))
    EXECUTE FUNCTION volunteer_tally_count();
