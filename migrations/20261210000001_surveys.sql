-- Relationship quality: a short survey of five statements (trust, enjoy, talks, support,
-- change), each answered 1–5, that the volunteer answers three months into a pairing and then
-- every twelve months, and that staff record for the guardian (often at a check-in). Its score
-- is the mean of the five, one decimal. The pairing carries its latest survey's score and
-- whether that survey was a sharp drop (`relationship_score`, `relationship_drop`), kept by a
-- trigger, so that figures over active pairings read one row each.
--
-- Rules: a survey is answered on an active pairing (`survey_on_active_pairing`), no earlier
-- than its first day (`survey_from_first_day`); one recorded at a check-in names a check-in of
-- the same pairing held with the same person (`survey_at_own_check_in`). The answers are
-- personal data about the child: they go when the child or the volunteer is erased.
CREATE TYPE survey_respondent AS ENUM ('volunteer', 'guardian');

CREATE TABLE survey (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    pairing_id uuid NOT NULL REFERENCES pairing (id),
    respondent survey_respondent NOT NULL,
    trust smallint NOT NULL CHECK (trust BETWEEN 1 AND 5),
    enjoy smallint NOT NULL CHECK (enjoy BETWEEN 1 AND 5),
    talks smallint NOT NULL CHECK (talks BETWEEN 1 AND 5),
    support smallint NOT NULL CHECK (support BETWEEN 1 AND 5),
    change smallint NOT NULL CHECK (change BETWEEN 1 AND 5),
    -- The mean of the five: a sum of five whole numbers over five is exact to one decimal.
    score numeric(2, 1) GENERATED ALWAYS AS
        (((trust + enjoy + talks + support + change) * 2)::numeric / 10) STORED,
    answered_on date NOT NULL,
    check_in_id uuid REFERENCES check_in (id),
    created_by uuid REFERENCES app_user (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX survey_pairing ON survey (pairing_id, answered_on DESC, created_at DESC);
CREATE INDEX survey_check_in ON survey (check_in_id) WHERE check_in_id IS NOT NULL;

ALTER TABLE pairing ADD COLUMN relationship_score numeric(2, 1),
                    ADD COLUMN relationship_drop boolean NOT NULL DEFAULT false;
-- The dashboard's count of running pairings whose latest survey dropped, by station.
CREATE INDEX pairing_relationship_drop ON pairing (station_id)
    WHERE status = 'active' AND relationship_drop;

-- A sharp drop: a score of 2.0 or less, or one at least 1.0 below the same respondent's
-- previous score on the pairing (`pairings::survey::rule::is_drop` says the same).
CREATE FUNCTION survey_is_drop(p_score numeric, p_previous numeric) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN p_score <= 2.0 OR coalesce(p_previous - p_score >= 1.0, false);

-- A survey is answered on a running pairing, from its first day. The pairing's row is locked
-- first (as for a check-in), so a survey never lands on a pairing closed or erased meanwhile.
CREATE FUNCTION survey_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_status pairing_status;
    v_started date;
BEGIN
    SELECT status, started_on INTO v_status, v_started FROM pairing
    WHERE id = NEW.pairing_id FOR SHARE;
    IF v_status IS DISTINCT FROM 'active' THEN
        RAISE EXCEPTION 'a survey is answered on an active pairing'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'survey_on_active_pairing';
    END IF;
    IF NEW.answered_on < v_started THEN
        RAISE EXCEPTION 'a survey is answered no earlier than the pairing''s first day'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'survey_from_first_day';
    END IF;
    IF NEW.check_in_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM check_in c
        WHERE c.id = NEW.check_in_id AND c.pairing_id = NEW.pairing_id
          AND c.held_with::text = NEW.respondent::text) THEN
        RAISE EXCEPTION 'a survey recorded at a check-in names a check-in of its pairing with its respondent'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'survey_at_own_check_in';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER survey_guard BEFORE INSERT OR UPDATE ON survey
    FOR EACH ROW EXECUTE FUNCTION survey_guard();

-- The pairing keeps its latest survey's score and whether it dropped; the latest is the last
-- answered (then the last recorded), as the pairing's page orders them.
CREATE FUNCTION survey_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_pairing uuid;
    v_latest survey;
    v_previous numeric;
BEGIN
    IF TG_OP = 'DELETE' THEN
        v_pairing := OLD.pairing_id;
    ELSE
        v_pairing := NEW.pairing_id;
    END IF;
    SELECT * INTO v_latest FROM survey WHERE pairing_id = v_pairing
    ORDER BY answered_on DESC, created_at DESC, id DESC LIMIT 1;
    IF FOUND THEN
        SELECT score INTO v_previous FROM survey
        WHERE pairing_id = v_pairing AND respondent = v_latest.respondent
          AND (answered_on, created_at, id) < (v_latest.answered_on, v_latest.created_at, v_latest.id)
        ORDER BY answered_on DESC, created_at DESC, id DESC LIMIT 1;
    END IF;
    -- `version - 1` tells touch_versioned this is bookkeeping, not an edit by a person.
    UPDATE pairing p SET
        relationship_score = v_latest.score,
        relationship_drop = coalesce(survey_is_drop(v_latest.score, v_previous), false),
        version = p.version - 1
    WHERE p.id = v_pairing
      AND (p.relationship_score IS DISTINCT FROM v_latest.score
           OR p.relationship_drop IS DISTINCT FROM
              coalesce(survey_is_drop(v_latest.score, v_previous), false));
    RETURN NULL;
END $$;
CREATE TRIGGER survey_rollup AFTER INSERT OR UPDATE OR DELETE ON survey
    FOR EACH ROW EXECUTE FUNCTION survey_rollup();

-- Erasing a child or a volunteer deletes the surveys of her pairings: the answers are all they
-- hold, and each is about the child.
CREATE FUNCTION survey_erase() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM survey s
    USING pairing p
    WHERE p.id = s.pairing_id
      AND ((TG_TABLE_NAME = 'child' AND p.child_id = NEW.id)
           OR (TG_TABLE_NAME = 'volunteer' AND p.volunteer_id = NEW.id));
    RETURN NULL;
END $$;
CREATE TRIGGER survey_erase_child AFTER UPDATE OF anonymised_at ON child
    FOR EACH ROW WHEN (OLD.anonymised_at IS NULL AND NEW.anonymised_at IS NOT NULL)
    EXECUTE FUNCTION survey_erase();
CREATE TRIGGER survey_erase_volunteer AFTER UPDATE OF anonymised_at ON volunteer
    FOR EACH ROW WHEN (OLD.anonymised_at IS NULL AND NEW.anonymised_at IS NOT NULL)
    EXECUTE FUNCTION survey_erase();

-- A survey's audit events are filed under its pairing's station's region.
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
    WHEN 'follow_up' THEN
        SELECT s.region_code INTO found FROM follow_up f JOIN pairing p ON p.id = f.pairing_id
            JOIN station s ON s.id = p.station_id
        WHERE f.id = p_id;
    WHEN 'survey' THEN
        SELECT s.region_code INTO found FROM survey v JOIN pairing p ON p.id = v.pairing_id
            JOIN station s ON s.id = p.station_id
        WHERE v.id = p_id;
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
