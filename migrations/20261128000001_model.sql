-- The whole model of the 爱心妈妈 service (DESIGN §3).
--
-- Rules that must never break live here as constraints and triggers, so that no code path
-- (a page, the API, an import, a psql session) can break them. Named constraints are mapped to
-- HTTP errors by name in src/error.rs.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- ---------------------------------------------------------------------------------------------
-- Shared triggers
-- ---------------------------------------------------------------------------------------------

-- Every edit bumps `version` (optimistic concurrency) and `updated_at`; callers update with
-- `WHERE id = $1 AND version = $2`, so a stale edit touches no row.
CREATE FUNCTION touch_versioned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

-- Records that are evidence (consents, the audit trail) are never rewritten or removed.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation',
              CONSTRAINT = TG_TABLE_NAME || '_append_only';
END $$;

-- ---------------------------------------------------------------------------------------------
-- Enumerations (the English words of DESIGN §3 are the API's words too)
-- ---------------------------------------------------------------------------------------------

CREATE TYPE region_level AS ENUM ('province', 'city', 'county', 'township', 'village');
CREATE TYPE user_role AS ENUM ('admin', 'staff', 'station_manager', 'volunteer');
CREATE TYPE gender AS ENUM ('female', 'male');
CREATE TYPE station_build_mode AS ENUM ('standalone', 'joint', 'embedded');
CREATE TYPE station_status AS ENUM ('active', 'paused', 'closed');
CREATE TYPE volunteer_status AS ENUM ('applied', 'screened', 'trained', 'active', 'paused', 'withdrawn');
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
CREATE TYPE pairing_status AS ENUM ('active', 'closed');
CREATE TYPE pairing_closure_reason AS ENUM
    ('child_aged_out', 'family_moved', 'parents_returned', 'volunteer_withdrew',
     'guardian_request', 'safeguarding_concern', 'other');
CREATE TYPE activity_kind AS ENUM
    ('tutoring', 'heart_to_heart', 'safety_care', 'psychological', 'behaviour', 'heritage_craft',
     'arts', 'legal_education', 'story_sharing', 'ice_breaking', 'holiday', 'training', 'other');
CREATE TYPE training_topic AS ENUM
    ('minors_protection_law', 'delinquency_prevention_law', 'care_precautions', 'mental_health',
     'safety_education', 'other');
CREATE TYPE contact_mode AS ENUM ('home_visit', 'call', 'video', 'station', 'school', 'message');
CREATE TYPE contact_topic AS ENUM ('study', 'emotions', 'safety', 'health', 'daily_life');
CREATE TYPE concern_category AS ENUM
    ('safety', 'health', 'abuse_neglect', 'school', 'family', 'other');
CREATE TYPE wish_category AS ENUM
    ('study', 'books', 'clothing', 'daily', 'toys', 'sports', 'arts', 'other');
CREATE TYPE wish_status AS ENUM ('posted', 'claimed', 'fulfilled', 'cancelled');
CREATE TYPE audit_action AS ENUM
    ('login', 'login_failed', 'logout', 'view', 'reveal', 'create', 'update', 'delete', 'export');

-- ---------------------------------------------------------------------------------------------
-- Regions: all of China to county level, Sichuan to village level (loaded by the service).
-- The code is hierarchical by prefix: 2 digits province, 4 city, 6 county, 9 township, 12 village.
-- ---------------------------------------------------------------------------------------------

CREATE TABLE region (
    code        text PRIMARY KEY,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    level       region_level NOT NULL,
    parent_code text REFERENCES region (code),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT region_code_digits CHECK (code ~ '^[0-9]+$'),
    CONSTRAINT region_code_length_matches_level CHECK (char_length(code) = CASE level
        WHEN 'province' THEN 2 WHEN 'city' THEN 4 WHEN 'county' THEN 6
        WHEN 'township' THEN 9 ELSE 12 END),
    CONSTRAINT region_parent_is_prefix CHECK (
        CASE WHEN level = 'province' THEN parent_code IS NULL
             ELSE parent_code IS NOT NULL AND starts_with(code, parent_code) END)
);
CREATE INDEX region_parent_code ON region (parent_code);
CREATE INDEX region_code_prefix ON region (code text_pattern_ops);
CREATE TRIGGER region_touch BEFORE UPDATE ON region
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Stations (驿站)
-- ---------------------------------------------------------------------------------------------

CREATE TABLE station (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name               text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    -- a station sits in a township or a village
    region_code        text NOT NULL REFERENCES region (code)
                       CONSTRAINT station_region_level CHECK (char_length(region_code) IN (9, 12)),
    address            text CHECK (char_length(address) <= 200),
    build_mode         station_build_mode NOT NULL,
    host_site          text CHECK (char_length(host_site) <= 100),
    open_days_per_week smallint NOT NULL
                       CONSTRAINT station_open_days CHECK (open_days_per_week BETWEEN 2 AND 7),
    -- planned week: [{"weekday": 1..7, "opens": "14:00", "closes": "17:30"}, ...]
    schedule           jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(schedule) = 'array'),
    phone              text CHECK (phone ~ '^[0-9+-]{7,20}$'),
    status             station_status NOT NULL DEFAULT 'active',
    opened_on          date,
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX station_region_code ON station (region_code text_pattern_ops);
CREATE INDEX station_name_trgm ON station USING gin (name gin_trgm_ops);
CREATE TRIGGER station_touch BEFORE UPDATE ON station
    FOR EACH ROW EXECUTE FUNCTION touch_versioned();

-- ---------------------------------------------------------------------------------------------
-- Volunteers (爱心妈妈) and their recruitment pipeline
-- ---------------------------------------------------------------------------------------------

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
CREATE TRIGGER volunteer_touch BEFORE UPDATE ON volunteer
    FOR EACH ROW EXECUTE FUNCTION touch_versioned();

-- ---------------------------------------------------------------------------------------------
-- Children (留守儿童 / 困境儿童)
-- ---------------------------------------------------------------------------------------------

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
CREATE TRIGGER child_touch BEFORE UPDATE ON child
    FOR EACH ROW EXECUTE FUNCTION touch_versioned();

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

-- ---------------------------------------------------------------------------------------------
-- Accounts
-- ---------------------------------------------------------------------------------------------

CREATE TABLE app_user (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username             text NOT NULL
                         CONSTRAINT app_user_username_format CHECK (username ~ '^[A-Za-z0-9_.@-]{3,64}$'),
    display_name         text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 50),
    password_hash        text NOT NULL,
    role                 user_role NOT NULL,
    -- the subtree an admin or staff member works in
    region_code          text REFERENCES region (code),
    volunteer_id         uuid REFERENCES volunteer (id),
    active               boolean NOT NULL DEFAULT true,
    must_change_password boolean NOT NULL DEFAULT false,
    last_login_at        timestamptz,
    version              integer NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT app_user_region_for_role CHECK ((role IN ('admin', 'staff')) = (region_code IS NOT NULL)),
    CONSTRAINT app_user_volunteer_for_role CHECK ((role = 'volunteer') = (volunteer_id IS NOT NULL)),
    CONSTRAINT app_user_volunteer_key UNIQUE (volunteer_id),
    CONSTRAINT app_user_id_role_key UNIQUE (id, role)
);
CREATE UNIQUE INDEX app_user_username_key ON app_user (lower(username));
CREATE INDEX app_user_region_code ON app_user (region_code text_pattern_ops);
CREATE TRIGGER app_user_touch BEFORE UPDATE ON app_user
    FOR EACH ROW EXECUTE FUNCTION touch_versioned();

-- The stations a station manager runs; only station managers can be linked.
CREATE TABLE user_station (
    user_id    uuid NOT NULL,
    role       user_role NOT NULL DEFAULT 'station_manager'
               CONSTRAINT user_station_manager_only CHECK (role = 'station_manager'),
    station_id uuid NOT NULL REFERENCES station (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, station_id),
    CONSTRAINT user_station_user FOREIGN KEY (user_id, role)
        REFERENCES app_user (id, role) ON DELETE CASCADE
);
CREATE INDEX user_station_station_id ON user_station (station_id);

-- ---------------------------------------------------------------------------------------------
-- Activities (station sessions, trainings, ice-breaking events) and who came
-- ---------------------------------------------------------------------------------------------

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
    CONSTRAINT activity_topic_for_training CHECK ((kind = 'training') = (topic IS NOT NULL)),
    CONSTRAINT activity_time_order CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX activity_station_held_on ON activity (station_id, held_on);
CREATE INDEX activity_held_on ON activity (held_on);
-- Only people's edits bump the version: the attendance counts, kept by a trigger, do not.
CREATE TRIGGER activity_touch BEFORE UPDATE ON activity
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION touch_versioned();

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

-- ---------------------------------------------------------------------------------------------
-- Pairings (结对): one child, one trained volunteer, at a station
-- ---------------------------------------------------------------------------------------------

CREATE TABLE pairing (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    child_id            uuid NOT NULL REFERENCES child (id),
    volunteer_id        uuid NOT NULL REFERENCES volunteer (id),
    station_id          uuid NOT NULL REFERENCES station (id),
    status              pairing_status NOT NULL DEFAULT 'active',
    started_on          date NOT NULL,
    ended_on            date,
    closure_reason      pairing_closure_reason,
    closure_note        text CHECK (char_length(closure_note) <= 1000),
    agreement_signed_on date,
    -- the ice-breaking event where they first met, when there was one
    first_activity_id   uuid REFERENCES activity (id),
    created_by          uuid REFERENCES app_user (id),
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pairing_closure_recorded CHECK (
        (status = 'closed') = (ended_on IS NOT NULL AND closure_reason IS NOT NULL)),
    CONSTRAINT pairing_dates_order CHECK (ended_on IS NULL OR ended_on >= started_on)
);
-- The heart of the model: a child has at most one active pairing.
CREATE UNIQUE INDEX pairing_one_active_per_child ON pairing (child_id) WHERE status = 'active';
CREATE INDEX pairing_volunteer_active ON pairing (volunteer_id) WHERE status = 'active';
CREATE INDEX pairing_volunteer_id ON pairing (volunteer_id);
CREATE INDEX pairing_station_id ON pairing (station_id, status);
CREATE TRIGGER pairing_touch BEFORE UPDATE ON pairing
    FOR EACH ROW EXECUTE FUNCTION touch_versioned();

-- Guards of a new (or reopened) pairing, checked under a lock on the volunteer row so that two
-- simultaneous pairings cannot both take a volunteer's last place.
CREATE FUNCTION pairing_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_status   volunteer_status;
    v_capacity smallint;
    v_taken    integer;
BEGIN
    IF NEW.status <> 'active' OR (TG_OP = 'UPDATE' AND OLD.status = 'active'
                                   AND OLD.volunteer_id = NEW.volunteer_id
                                   AND OLD.child_id = NEW.child_id) THEN
        RETURN NEW;
    END IF;

    SELECT status, capacity INTO v_status, v_capacity
    FROM volunteer WHERE id = NEW.volunteer_id FOR UPDATE;
    IF v_status IS DISTINCT FROM 'active' THEN
        RAISE EXCEPTION 'the volunteer is not active'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'pairing_volunteer_active';
    END IF;
    SELECT count(*) INTO v_taken FROM pairing
    WHERE volunteer_id = NEW.volunteer_id AND status = 'active' AND id <> NEW.id;
    IF v_taken >= v_capacity THEN
        RAISE EXCEPTION 'the volunteer has no place left'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'pairing_volunteer_capacity';
    END IF;

    IF EXISTS (SELECT 1 FROM child WHERE id = NEW.child_id AND status = 'exited') THEN
        RAISE EXCEPTION 'the child has exited the programme'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'pairing_child_not_exited';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM consent WHERE child_id = NEW.child_id AND scope = 'pairing'
                   AND withdrawn_on IS NULL AND given_on <= NEW.started_on) THEN
        RAISE EXCEPTION 'no current pairing consent from a guardian'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'pairing_consent_current';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER pairing_guard BEFORE INSERT OR UPDATE ON pairing
    FOR EACH ROW EXECUTE FUNCTION pairing_guard();

-- A child's status follows their pairings: paired while one is active.
CREATE FUNCTION pairing_sync_child() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE child SET status = CASE
        WHEN EXISTS (SELECT 1 FROM pairing WHERE child_id = NEW.child_id AND status = 'active')
        THEN 'paired'::child_status ELSE 'registered'::child_status END
    WHERE id = NEW.child_id AND status <> 'exited';
    RETURN NULL;
END $$;
CREATE TRIGGER pairing_sync_child AFTER INSERT OR UPDATE OF status ON pairing
    FOR EACH ROW EXECUTE FUNCTION pairing_sync_child();

-- An exited child has no active pairing.
CREATE FUNCTION child_exit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'exited' AND OLD.status <> 'exited' AND EXISTS (
        SELECT 1 FROM pairing WHERE child_id = NEW.id AND status = 'active') THEN
        RAISE EXCEPTION 'close the active pairing before the child exits'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'child_exit_without_active_pairing';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER child_exit_guard BEFORE UPDATE OF status ON child
    FOR EACH ROW EXECUTE FUNCTION child_exit_guard();

-- ---------------------------------------------------------------------------------------------
-- Contacts a volunteer logs with her paired child, and the concerns they raise
-- ---------------------------------------------------------------------------------------------

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
CREATE INDEX contact_open_concern ON contact (created_at)
    WHERE concern_category IS NOT NULL AND concern_resolved_at IS NULL;
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

-- ---------------------------------------------------------------------------------------------
-- Micro-wishes (微心愿)
-- ---------------------------------------------------------------------------------------------

CREATE TABLE wish (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    child_id                uuid NOT NULL REFERENCES child (id),
    text                    text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 200),
    category                wish_category NOT NULL,
    estimated_cost          numeric(10, 2) CHECK (estimated_cost >= 0),
    status                  wish_status NOT NULL DEFAULT 'posted',
    -- claimed by a volunteer in the system, or by a named partner organization
    claimed_by              uuid REFERENCES volunteer (id),
    claimed_by_organization text CHECK (char_length(claimed_by_organization) <= 100),
    claimed_on              date,
    fulfilled_on            date,
    fulfilment_note         text CHECK (char_length(fulfilment_note) <= 500),
    created_by              uuid REFERENCES app_user (id),
    version                 integer NOT NULL DEFAULT 1,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT wish_claimed_by_one CHECK (claimed_by IS NULL OR claimed_by_organization IS NULL),
    CONSTRAINT wish_claim_recorded CHECK (
        status NOT IN ('claimed', 'fulfilled')
        OR ((claimed_by IS NOT NULL OR claimed_by_organization IS NOT NULL) AND claimed_on IS NOT NULL)),
    CONSTRAINT wish_fulfilment_recorded CHECK ((status = 'fulfilled') = (fulfilled_on IS NOT NULL))
);
CREATE INDEX wish_child_id ON wish (child_id);
CREATE INDEX wish_status_idx ON wish (status);
CREATE TRIGGER wish_touch BEFORE UPDATE ON wish
    FOR EACH ROW EXECUTE FUNCTION touch_versioned();

-- A wish moves forward only: posted → claimed → fulfilled, or to cancelled before fulfilment.
CREATE FUNCTION wish_status_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
        (OLD.status = 'posted' AND NEW.status IN ('claimed', 'cancelled', 'fulfilled'))
        OR (OLD.status = 'claimed' AND NEW.status IN ('fulfilled', 'cancelled', 'posted'))) THEN
        RAISE EXCEPTION 'a % wish cannot become %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'wish_status_transition';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER wish_status_guard BEFORE UPDATE OF status ON wish
    FOR EACH ROW EXECUTE FUNCTION wish_status_guard();

-- ---------------------------------------------------------------------------------------------
-- The audit trail: append-only, never a sensitive value in it
-- ---------------------------------------------------------------------------------------------

CREATE TABLE audit_event (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid REFERENCES app_user (id),
    -- the actor's scope at the time, so an admin reads the events of their subtree
    region_code text,
    action      audit_action NOT NULL,
    entity      text NOT NULL CHECK (char_length(entity) <= 50),
    entity_id   uuid,
    ip          inet,
    -- changed field names and the like, never a value
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_event_at ON audit_event (at DESC);
CREATE INDEX audit_event_actor ON audit_event (actor_id, at DESC);
CREATE INDEX audit_event_region ON audit_event (region_code text_pattern_ops, at DESC);
CREATE INDEX audit_event_entity ON audit_event (entity_id) WHERE entity_id IS NOT NULL;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
