-- A person's data from consent to deletion (PIPL arts. 15, 31, 44–47): the requests a guardian
-- or a volunteer makes about it, the one operation that erases a person's values, and what
-- retention needs to find the records whose time is up.
--
-- Rules: a request is about one child or one volunteer (`data_request_one_subject`); an access
-- or a deletion request says how the requester's identity was checked, unless it was opened by
-- a recorded withdrawal of consent (`data_request_identity_checked`); a handled request has a
-- handler and a time, and only a refusal a reason (`data_request_handled`,
-- `data_request_refusal_reason`); it is due no earlier than it was received
-- (`data_request_due_after_received`).
--
-- Anonymising (`anonymise_child`, `anonymise_volunteer`) is the only change the guards of kept
-- records (a contact after its correction window, a raised concern) let through, and only to
-- blank the person's values: the flag `aixin.anonymising` names the person for the length of
-- the transaction. What the federation counts (people by status, pairings and their dates,
-- contacts and minutes, attendance and person-visits) is left as it was.
--
-- An anonymised child or volunteer, and her guardians, take no values again
-- (`anonymised_stays_erased`). A guardian is removed softly (`removed_on`); a volunteer carries
-- the day she withdrew (`withdrawn_on`, kept by `volunteer_withdrawn_on`), from which retention
-- counts.

ALTER TYPE pairing_closure_reason ADD VALUE 'consent_withdrawn';

-- What replaces an erased value (names, a wish, a concern's description).
CREATE FUNCTION erased() RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '（已删除）';

ALTER TABLE guardian ADD COLUMN removed_on date;

ALTER TABLE child ADD COLUMN anonymised_at timestamptz;
-- An anonymised child keeps her category (counted) but not what made her situation difficult.
ALTER TABLE child DROP CONSTRAINT child_difficulty_types_given,
    ADD CONSTRAINT child_difficulty_types_given CHECK (
        category = 'left_behind' OR cardinality(difficulty_types) > 0 OR anonymised_at IS NOT NULL);
ALTER TABLE volunteer ADD COLUMN anonymised_at timestamptz,
                      ADD COLUMN withdrawn_on date;
-- An anonymised volunteer has no phone; everyone else has one.
ALTER TABLE volunteer ALTER COLUMN phone DROP NOT NULL,
    ADD CONSTRAINT volunteer_phone_given CHECK (phone IS NOT NULL OR anonymised_at IS NOT NULL);

CREATE FUNCTION volunteer_withdrawn_on() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> 'withdrawn' THEN
        NEW.withdrawn_on := NULL;
    ELSIF TG_OP = 'INSERT' OR OLD.status <> 'withdrawn' OR NEW.withdrawn_on IS NULL THEN
        NEW.withdrawn_on := coalesce(NEW.withdrawn_on, (now() AT TIME ZONE 'Asia/Shanghai')::date);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER volunteer_withdrawn_on BEFORE INSERT OR UPDATE OF status ON volunteer
    FOR EACH ROW EXECUTE FUNCTION volunteer_withdrawn_on();
-- Volunteers who withdrew before this column: the day their record last changed.
UPDATE volunteer SET withdrawn_on = (updated_at AT TIME ZONE 'Asia/Shanghai')::date,
                     version = version - 1
WHERE status = 'withdrawn';

CREATE INDEX child_retention ON child (exited_on) WHERE anonymised_at IS NULL;
CREATE INDEX child_birth_retention ON child (birth_date) WHERE anonymised_at IS NULL;
CREATE INDEX volunteer_retention ON volunteer (withdrawn_on)
    WHERE anonymised_at IS NULL AND status = 'withdrawn';

CREATE TYPE data_request_kind AS ENUM ('access', 'correction', 'deletion', 'withdrawal');
CREATE TYPE data_request_channel AS ENUM ('phone', 'in_person', 'letter', 'online');
CREATE TYPE data_request_status AS ENUM ('open', 'done', 'refused');
CREATE TYPE requester_relation AS ENUM
    ('self', 'father', 'mother', 'grandfather', 'grandmother', 'relative', 'other');

CREATE TABLE data_request (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind               data_request_kind NOT NULL,
    child_id           uuid REFERENCES child (id),
    volunteer_id       uuid REFERENCES volunteer (id),
    requester_name     text NOT NULL CHECK (char_length(requester_name) BETWEEN 1 AND 50),
    requester_relation requester_relation NOT NULL,
    channel            data_request_channel NOT NULL,
    received_on        date NOT NULL,
    identity_check     text CHECK (char_length(identity_check) <= 200),
    note               text CHECK (char_length(note) <= 2000),
    due_on             date NOT NULL,
    status             data_request_status NOT NULL DEFAULT 'open',
    reason             text CHECK (char_length(reason) <= 1000),
    -- the withdrawal of a registration consent that opened it
    consent_id         uuid REFERENCES consent (id),
    handled_by         uuid REFERENCES app_user (id),
    handled_at         timestamptz,
    created_by         uuid REFERENCES app_user (id),
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT data_request_one_subject CHECK ((child_id IS NULL) <> (volunteer_id IS NULL)),
    CONSTRAINT data_request_identity_checked CHECK (
        kind NOT IN ('access', 'deletion') OR identity_check IS NOT NULL OR consent_id IS NOT NULL),
    CONSTRAINT data_request_handled CHECK ((status = 'open') = (handled_at IS NULL)
                                           AND (status = 'open' OR handled_by IS NOT NULL)),
    CONSTRAINT data_request_refusal_reason CHECK ((status = 'refused') = (reason IS NOT NULL)),
    CONSTRAINT data_request_due_after_received CHECK (due_on >= received_on)
);
CREATE INDEX data_request_child ON data_request (child_id) WHERE child_id IS NOT NULL;
CREATE INDEX data_request_volunteer ON data_request (volunteer_id) WHERE volunteer_id IS NOT NULL;
CREATE INDEX data_request_open ON data_request (due_on) WHERE status = 'open';
CREATE INDEX data_request_received ON data_request (received_on DESC, id DESC);
CREATE TRIGGER data_request_touch BEFORE UPDATE ON data_request
    FOR EACH ROW EXECUTE FUNCTION touch_versioned();

-- What each retention run did (a dry run changes nothing and is not recorded).
CREATE TABLE retention_run (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    started_at            timestamptz NOT NULL DEFAULT now(),
    finished_at           timestamptz,
    started_by            text NOT NULL CHECK (started_by IN ('schedule', 'command')),
    -- records that ended before this day were due
    cutoff                date NOT NULL,
    children_anonymised   integer NOT NULL DEFAULT 0,
    volunteers_anonymised integer NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX retention_run_started ON retention_run (started_at DESC);
CREATE TRIGGER retention_run_touch BEFORE UPDATE ON retention_run
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Whether this transaction is anonymising the person `p_id`.
CREATE FUNCTION anonymising(p_id uuid) RETURNS boolean LANGUAGE sql STABLE
RETURN coalesce(current_setting('aixin.anonymising', true), '') = p_id::text;

-- The kept contacts let the anonymising of their child blank the note, the concern's
-- description and its resolution, and change nothing else.
CREATE OR REPLACE FUNCTION contact_concern_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND anonymising((SELECT child_id FROM pairing WHERE id = OLD.pairing_id))
       AND NEW.concern_category IS NOT DISTINCT FROM OLD.concern_category
       AND NEW.concern_detail IS NOT DISTINCT FROM (CASE WHEN OLD.concern_detail IS NOT NULL
                                                         THEN erased() END) THEN
        RETURN NEW;
    END IF;
    IF OLD.concern_category IS NOT NULL AND (TG_OP = 'DELETE'
        OR NEW.concern_category IS DISTINCT FROM OLD.concern_category
        OR NEW.concern_detail IS DISTINCT FROM OLD.concern_detail) THEN
        RAISE EXCEPTION 'a raised concern cannot be removed'
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'contact_concern_kept';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION contact_correction_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF anonymising((SELECT child_id FROM pairing WHERE id = OLD.pairing_id))
       AND (NEW.pairing_id, NEW.contacted_on, NEW.mode, NEW.duration_minutes, NEW.topics,
            NEW.concern_category, NEW.created_by, NEW.created_at)
           IS NOT DISTINCT FROM
           (OLD.pairing_id, OLD.contacted_on, OLD.mode, OLD.duration_minutes, OLD.topics,
            OLD.concern_category, OLD.created_by, OLD.created_at)
       AND NEW.note IS NULL
       AND NEW.concern_detail IS NOT DISTINCT FROM (CASE WHEN OLD.concern_detail IS NOT NULL
                                                         THEN erased() END) THEN
        RETURN NEW;
    END IF;
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

-- Erases a child's values and her guardians', keeping what the federation counts. She must
-- have exited the programme (so no pairing of hers is active). Answers false when there was
-- nothing to do: she is already anonymised, or unknown.
CREATE FUNCTION anonymise_child(p_child uuid) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM child WHERE id = p_child AND anonymised_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM child WHERE id = p_child AND status <> 'exited') THEN
        RAISE EXCEPTION 'a child is anonymised only after she has exited'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'anonymise_after_exit';
    END IF;
    PERFORM set_config('aixin.anonymising', p_child::text, true);
    UPDATE child SET name = erased(), id_number = NULL, id_number_hash = NULL,
                     birth_date = make_date(extract(year FROM birth_date)::int, 1, 1),
                     difficulty_types = '{}',
                     school = NULL, grade = NULL, needs = '{}', living_with = NULL,
                     parents_status = NULL, anonymised_at = now()
    WHERE id = p_child;
    UPDATE guardian SET name = erased(), phone = NULL, share_contact_with_volunteer = false
    WHERE child_id = p_child;
    UPDATE pairing SET closure_note = NULL, version = version - 1
    WHERE child_id = p_child AND closure_note IS NOT NULL;
    UPDATE contact k SET note = NULL,
                         concern_detail = CASE WHEN k.concern_detail IS NOT NULL THEN erased() END,
                         concern_resolution = CASE WHEN k.concern_resolution IS NOT NULL
                                                   THEN erased() END
    FROM pairing p
    WHERE p.id = k.pairing_id AND p.child_id = p_child
      AND (k.note IS NOT NULL OR k.concern_detail IS NOT NULL OR k.concern_resolution IS NOT NULL);
    UPDATE wish SET text = erased(), fulfilment_note = NULL WHERE child_id = p_child;
    UPDATE data_request SET requester_name = erased(),
                            identity_check = CASE WHEN identity_check IS NOT NULL THEN erased() END,
                            note = NULL,
                            reason = CASE WHEN reason IS NOT NULL THEN erased() END
    WHERE child_id = p_child;
    PERFORM set_config('aixin.anonymising', '', true);
    RETURN true;
END $$;

-- Erases a volunteer's values and closes her login for good, keeping what the federation
-- counts. She must have withdrawn (so no pairing of hers is active).
CREATE FUNCTION anonymise_volunteer(p_volunteer uuid) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_username text;
    v_phone    text;
BEGIN
    SELECT phone INTO v_phone FROM volunteer
    WHERE id = p_volunteer AND anonymised_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM volunteer WHERE id = p_volunteer AND status <> 'withdrawn') THEN
        RAISE EXCEPTION 'a volunteer is anonymised only after she has withdrawn'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'anonymise_after_withdrawal';
    END IF;
    PERFORM set_config('aixin.anonymising', p_volunteer::text, true);
    UPDATE volunteer SET name = erased(), phone = NULL, id_number = NULL, id_number_hash = NULL,
                         birth_date = make_date(extract(year FROM birth_date)::int, 1, 1),
                         organization = NULL, occupation = NULL, skills = '{}',
                         anonymised_at = now()
    WHERE id = p_volunteer;
    UPDATE pairing SET closure_note = NULL, version = version - 1
    WHERE volunteer_id = p_volunteer AND closure_note IS NOT NULL;
    -- She may have logged in with her username or her mobile number: both are keys of tries.
    DELETE FROM login_attempt WHERE username_key = v_phone;
    SELECT username INTO v_username FROM app_user WHERE volunteer_id = p_volunteer;
    IF FOUND THEN
        DELETE FROM login_attempt WHERE username_key = lower(v_username);
        UPDATE app_user SET username = 'erased.' || replace(id::text, '-', ''),
                            display_name = erased(), password_hash = '!', active = false,
                            session_epoch = session_epoch + 1
        WHERE volunteer_id = p_volunteer;
    END IF;
    UPDATE data_request SET requester_name = erased(),
                            identity_check = CASE WHEN identity_check IS NOT NULL THEN erased() END,
                            note = NULL,
                            reason = CASE WHEN reason IS NOT NULL THEN erased() END
    WHERE volunteer_id = p_volunteer;
    PERFORM set_config('aixin.anonymising', '', true);
    RETURN true;
END $$;

-- An anonymised person stays erased: her record, and her guardians', take no values again (a
-- child who comes back is registered anew).
-- A guardian or a request added to a person waits for an anonymising of that person that is
-- under way (the row lock), and is refused once she is anonymised.
CREATE FUNCTION anonymised_stays_erased() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_child     uuid;
    v_volunteer uuid;
BEGIN
    IF TG_TABLE_NAME IN ('child', 'volunteer') THEN
        IF OLD.anonymised_at IS NULL OR anonymising(OLD.id) THEN
            RETURN NEW;
        END IF;
    ELSE
        IF TG_TABLE_NAME = 'guardian' THEN
            v_child := NEW.child_id;
        ELSE
            v_child := NEW.child_id;
            v_volunteer := NEW.volunteer_id;
        END IF;
        IF anonymising(coalesce(v_child, v_volunteer)) THEN
            RETURN NEW;
        END IF;
        PERFORM 1 FROM child WHERE id = v_child FOR SHARE;
        PERFORM 1 FROM volunteer WHERE id = v_volunteer FOR SHARE;
        IF NOT EXISTS (SELECT 1 FROM child WHERE id = v_child AND anonymised_at IS NOT NULL)
           AND NOT EXISTS (SELECT 1 FROM volunteer
                           WHERE id = v_volunteer AND anonymised_at IS NOT NULL) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'an anonymised record takes no personal data again'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'anonymised_stays_erased';
END $$;
CREATE TRIGGER child_anonymised_stays_erased BEFORE UPDATE ON child
    FOR EACH ROW EXECUTE FUNCTION anonymised_stays_erased();
CREATE TRIGGER volunteer_anonymised_stays_erased BEFORE UPDATE ON volunteer
    FOR EACH ROW EXECUTE FUNCTION anonymised_stays_erased();
CREATE TRIGGER guardian_anonymised_stays_erased BEFORE INSERT OR UPDATE ON guardian
    FOR EACH ROW EXECUTE FUNCTION anonymised_stays_erased();
CREATE TRIGGER data_request_anonymised_stays_erased BEFORE INSERT ON data_request
    FOR EACH ROW EXECUTE FUNCTION anonymised_stays_erased();

-- A request's events are filed under the region of the person it is about.
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
