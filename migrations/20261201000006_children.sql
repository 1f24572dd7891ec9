-- Children (留守儿童 left behind / 困境儿童 in difficulty), their guardians, and the guardians'
-- consents.
--
-- Rules: a unique ID number, kept encrypted (`child_id_number_hash_key`, `child_id_number_pair`);
-- a child lives in a county, township or village (`child_region_level`); a child in difficulty
-- is registered with what makes it difficult (`child_difficulty_types_given`); an exit has a
-- reason and a date (`child_exit_recorded`); a guardian's phone is shared only when there is one
-- (`guardian_share_needs_phone`); a consent comes from one of the child's own guardians
-- (`consent_guardian_of_child`), is never deleted (`consent_append_only`) and can only be
-- withdrawn, once, no earlier than it was given (`consent_only_withdrawn`,
-- `consent_withdrawn_after_given`). `consent_current` is the one definition of a consent in
-- force, which pairings require (`pairing_consent_current`, in pairings). Every change to a
-- child is counted in `child_tally` (figures) by the trigger below.
--
-- Kept elsewhere, with the rules they belong to: `waiting_since` and the rule that an exited
-- child has no active pairing (pairings); a fulfilled wish's count moving with its child (wishes).

CREATE TYPE child_category AS ENUM ('left_behind', 'in_difficulty');
CREATE TYPE child_difficulty AS ENUM
    ('orphan', 'unsupported', 'disabled', 'low_income', 'serious_illness', 'other');
CREATE TYPE child_need AS ENUM ('academic', 'emotional', 'behavioural', 'safety', 'companionship');
CREATE TYPE child_status AS ENUM ('registered', 'paired', 'exited');
CREATE TYPE child_living_with AS ENUM
    ('one_parent', 'grandparents', 'relatives', 'alone', 'institution', 'other');
CREATE TYPE child_parents_status AS ENUM
    ('both_migrant', 'father_migrant', 'mother_migrant', 'divorced', 'one_deceased',
     'both_deceased', 'incarcerated', 'disabled_or_ill', 'other');
CREATE TYPE child_exit_reason AS ENUM
    ('aged_out', 'family_moved', 'parents_returned', 'guardian_request', 'other');
CREATE TYPE guardian_relation AS ENUM
    ('father', 'mother', 'grandfather', 'grandmother', 'relative', 'other');
CREATE TYPE consent_scope AS ENUM ('registration', 'pairing');
CREATE TYPE consent_method AS ENUM ('signed_form', 'in_person', 'phone', 'electronic');

CREATE TABLE child (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name             text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
    gender           gender NOT NULL,
    birth_date       date NOT NULL,
    id_number        bytea,
    id_number_hash   bytea,
    category         child_category NOT NULL,
    difficulty_types child_difficulty[] NOT NULL DEFAULT '{}',
    -- residence: a county, township or village
    region_code      text NOT NULL REFERENCES region (code)
                     CONSTRAINT child_region_level CHECK (char_length(region_code) IN (6, 9, 12)),
    station_id       uuid NOT NULL REFERENCES station (id),
    school           text CHECK (char_length(school) <= 100),
    grade            text CHECK (char_length(grade) <= 20),
    living_with      child_living_with,
    parents_status   child_parents_status,
    needs            child_need[] NOT NULL DEFAULT '{}',
    status           child_status NOT NULL DEFAULT 'registered',
    exit_reason      child_exit_reason,
    exited_on        date,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- The day she began waiting for a pairing: the day her last pairing ended, or the day she
    -- was registered. Set by triggers (child_set_waiting_since, pairing_sets_waiting_since, in
    -- pairings), never by a writer.
    waiting_since    date NOT NULL,
    CONSTRAINT child_id_number_hash_key UNIQUE (id_number_hash),
    CONSTRAINT child_id_number_pair CHECK ((id_number IS NULL) = (id_number_hash IS NULL)),
    -- 困境儿童 are registered with what makes their situation difficult
    CONSTRAINT child_difficulty_types_given CHECK (
        category = 'left_behind' OR cardinality(difficulty_types) > 0),
    CONSTRAINT child_exit_recorded CHECK (
        (status = 'exited') = (exit_reason IS NOT NULL AND exited_on IS NOT NULL))
);
CREATE INDEX child_region_code ON child (region_code text_pattern_ops);
CREATE INDEX child_station_id ON child (station_id);
CREATE INDEX child_status_idx ON child (status);
CREATE INDEX child_name_trgm ON child USING gin (name gin_trgm_ops);
-- Lists ordered by name, newest first or by birth date walk an index rather than sort a
-- province's rows for each page.
CREATE INDEX child_name_order ON child (name, id);
CREATE INDEX child_created_at ON child (created_at DESC, id DESC);
CREATE INDEX child_birth_date ON child (birth_date, id);
-- Children waiting for a pairing, longest first: province-wide by the day, within a county or
-- a station by their region or station.
CREATE INDEX child_waiting ON child (waiting_since) INCLUDE (region_code, station_id)
    WHERE status = 'registered';
CREATE INDEX child_waiting_station ON child (station_id, waiting_since) WHERE status = 'registered';

CREATE TRIGGER child_touch BEFORE UPDATE ON child
    FOR EACH ROW EXECUTE FUNCTION touch_versioned();

-- Children counted by region, station, category and status (`child_tally`, in figures).
CREATE FUNCTION child_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE child_tally SET n = n - 1, updated_at = now()
        WHERE region_code = OLD.region_code AND station_id = OLD.station_id
          AND category = OLD.category AND status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO child_tally (region_code, station_id, category, status, n)
        VALUES (NEW.region_code, NEW.station_id, NEW.category, NEW.status, 1)
        ON CONFLICT ON CONSTRAINT child_tally_key
        DO UPDATE SET n = child_tally.n + 1, updated_at = now();
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER child_tally_count AFTER INSERT OR DELETE ON child
    FOR EACH ROW EXECUTE FUNCTION child_tally_count();
CREATE TRIGGER child_tally_moves AFTER UPDATE OF region_code, station_id, category, status ON child
    FOR EACH ROW WHEN ((OLD.region_code, OLD.station_id, OLD.category, OLD.status)
                       IS DISTINCT FROM (NEW.region_code, NEW.station_id, NEW.category, NEW.status))
    EXECUTE FUNCTION child_tally_count();

CREATE TABLE guardian (
    id                           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    child_id                     uuid NOT NULL REFERENCES child (id),
    name                         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
    relation                     guardian_relation NOT NULL,
    phone                        text
                                 CONSTRAINT guardian_phone_format CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    share_contact_with_volunteer boolean NOT NULL DEFAULT false,
    version                      integer NOT NULL DEFAULT 1,
    created_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                   timestamptz NOT NULL DEFAULT now(),
    -- a phone nobody has cannot be shared
    CONSTRAINT guardian_share_needs_phone CHECK (NOT share_contact_with_volunteer OR phone IS NOT NULL),
    CONSTRAINT guardian_id_child_key UNIQUE (id, child_id)
);
CREATE INDEX guardian_child_id ON guardian (child_id);
CREATE TRIGGER guardian_touch BEFORE UPDATE ON guardian
    FOR EACH ROW EXECUTE FUNCTION touch_versioned();

-- Consent is evidence: a withdrawal is recorded on the row, which is never deleted.
CREATE TABLE consent (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    child_id     uuid NOT NULL,
    guardian_id  uuid NOT NULL,
    scope        consent_scope NOT NULL,
    given_on     date NOT NULL,
    method       consent_method NOT NULL,
    withdrawn_on date,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    -- the consenting guardian is this child's guardian
    CONSTRAINT consent_guardian_of_child FOREIGN KEY (guardian_id, child_id)
        REFERENCES guardian (id, child_id),
    CONSTRAINT consent_withdrawn_after_given CHECK (withdrawn_on IS NULL OR withdrawn_on >= given_on)
);
CREATE INDEX consent_child_id ON consent (child_id, scope);

-- Only a withdrawal may change a consent, and only once.
CREATE FUNCTION consent_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.withdrawn_on IS NOT NULL
       OR NEW.withdrawn_on IS NULL
       OR (NEW.child_id, NEW.guardian_id, NEW.scope, NEW.given_on, NEW.method, NEW.created_at)
          IS DISTINCT FROM
          (OLD.child_id, OLD.guardian_id, OLD.scope, OLD.given_on, OLD.method, OLD.created_at) THEN
        RAISE EXCEPTION 'a consent can only be withdrawn, once'
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'consent_only_withdrawn';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER consent_update BEFORE UPDATE ON consent
    FOR EACH ROW EXECUTE FUNCTION consent_guard();
CREATE TRIGGER consent_no_delete BEFORE DELETE ON consent
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Whether a child has a consent of `p_scope` in force for something that starts on `p_on`: one
-- given on or before that day, and not withdrawn. A withdrawal counts whatever day it carries:
-- once a guardian has withdrawn a consent it supports nothing made or reopened after that, not
-- even a pairing dated back to before the withdrawal. The one definition of the rule: the
-- pairing trigger calls it, and so should any code that asks the same question.
CREATE FUNCTION consent_current(p_child uuid, p_scope consent_scope, p_on date) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (SELECT 1 FROM consent c
                   WHERE c.child_id = p_child AND c.scope = p_scope
                     AND c.given_on <= p_on AND c.withdrawn_on IS NULL)
$$;
