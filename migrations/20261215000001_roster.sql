-- The civil-affairs roster of a county: the left-behind children and children in difficulty that
-- village child directors registered in the national information system, imported by the
-- county's federation to see how many of them Aixin reaches (应结尽结).
--
-- * `roster_import`: a county's current roster — one per county; an import replaces the last
--   one (its rows go with it, `ON DELETE CASCADE`).
-- * `roster_child`: a child on it. Her ID number is kept encrypted with its keyed hash, as a
--   child's record keeps it (never plain); a residence of a township or village of the county.
--   `child_id` names the registered child she is (`matched_by`: the ID number's keyed hash, or,
--   where either side has no ID number, her name and birth date within the county), and
--   `status` follows that child: `not_registered` (none, or one who left the programme),
--   `registered_waiting`, `paired` (a pairing running or suspended holds her).
-- * `roster_tally`: per township, the roster's children, and those registered and paired —
--   what the dashboard and `GET /api/v1/stats` read, kept exact by the triggers below in the
--   writing transaction. A region has roster figures when it has a row here.
--
-- Rules: one roster per county (`roster_import_county_key`); one row per ID number in a roster
-- (`roster_child_id_number_key`) and ID and hash together (`roster_child_id_number_pair`); a
-- residence within the roster's county (`roster_child_in_county`); a match says how it was made
-- (`roster_child_matched`).
--
-- Matching follows the children: a child registered, paired, exited, or whose ID number, name,
-- birth date or residence changes moves the roster rows she matches (`roster_follow_child`); an
-- import matches its rows once (`roster_match`). A child's erasure deletes her roster rows (the
-- roster is personal data held here too), and a roster is deleted with its county's next import
-- or, by the retention run, once older than its keeping period.

CREATE TYPE roster_status AS ENUM ('not_registered', 'registered_waiting', 'paired');
CREATE TYPE roster_matched_by AS ENUM ('id_number', 'name_birth');

CREATE TABLE roster_import (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    county_code   text NOT NULL REFERENCES region (code),
    imported_by   uuid REFERENCES app_user (id) ON DELETE SET NULL,
    imported_at   timestamptz NOT NULL DEFAULT now(),
    -- The file's name as uploaded, for the page to recall.
    file_name     text CHECK (char_length(file_name) <= 200),
    rows          integer NOT NULL CHECK (rows >= 0),
    CONSTRAINT roster_import_county_key UNIQUE (county_code),
    CONSTRAINT roster_import_of_county CHECK (char_length(county_code) = 6)
);

CREATE TABLE roster_child (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    import_id      uuid NOT NULL REFERENCES roster_import (id) ON DELETE CASCADE,
    county_code    text NOT NULL,
    -- The row of the spreadsheet she was on.
    sheet_row      integer NOT NULL CHECK (sheet_row > 0),
    name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
    id_number      bytea,
    id_number_hash bytea,
    birth_date     date NOT NULL,
    gender         gender,
    category       child_category NOT NULL,
    region_code    text NOT NULL REFERENCES region (code),
    guardian_name  text CHECK (char_length(guardian_name) <= 50),
    guardian_phone text CHECK (char_length(guardian_phone) <= 20),
    child_id       uuid REFERENCES child (id) ON DELETE SET NULL,
    matched_by     roster_matched_by,
    status         roster_status NOT NULL DEFAULT 'not_registered',
    CONSTRAINT roster_child_id_number_pair CHECK ((id_number IS NULL) = (id_number_hash IS NULL)),
    CONSTRAINT roster_child_id_number_key UNIQUE (import_id, id_number_hash),
    CONSTRAINT roster_child_in_county CHECK (
        char_length(region_code) IN (9, 12) AND left(region_code, 6) = county_code),
    CONSTRAINT roster_child_matched CHECK ((child_id IS NULL) = (matched_by IS NULL)),
    CONSTRAINT roster_child_unmatched_not_registered CHECK (
        child_id IS NOT NULL OR status = 'not_registered')
);
CREATE INDEX roster_child_import ON roster_child (import_id);
CREATE INDEX roster_child_hash ON roster_child (id_number_hash) WHERE id_number_hash IS NOT NULL;
CREATE INDEX roster_child_person ON roster_child (county_code, name, birth_date);
CREATE INDEX roster_child_child ON roster_child (child_id) WHERE child_id IS NOT NULL;
CREATE INDEX roster_child_place ON roster_child (region_code text_pattern_ops, status);

-- A roster child's status as her registered child's status makes it.
CREATE FUNCTION roster_status_of(child_status) RETURNS roster_status
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE $1 WHEN 'registered' THEN 'registered_waiting'::roster_status
               WHEN 'paired' THEN 'paired'::roster_status
               ELSE 'not_registered'::roster_status END;

-- Matches the unmatched rows of a county's roster (all counties with NULL) to the children
-- registered in that county: by the keyed hash of the ID number, then, where the row or the child has no
-- ID number, by name and birth date in the county. A child who left the programme is matched
-- too (her row counts as not registered), so that she is found again if she comes back. A child
-- is matched to one row at most, and a row to the child registered first.
CREATE FUNCTION roster_match(p_county text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
    m integer;
BEGIN
    UPDATE roster_child r
    SET child_id = c.id, matched_by = 'id_number', status = roster_status_of(c.status)
    FROM child c
    WHERE r.child_id IS NULL AND (p_county IS NULL OR r.county_code = p_county)
      AND c.id_number_hash = r.id_number_hash AND left(c.region_code, 6) = r.county_code
      AND NOT EXISTS (SELECT 1 FROM roster_child o WHERE o.child_id = c.id);
    GET DIAGNOSTICS n = ROW_COUNT;
    WITH candidate AS (
        SELECT DISTINCT ON (r.id) r.id AS row_id, c.id AS child_id, c.status
        FROM roster_child r
        JOIN child c ON c.name = r.name AND c.birth_date = r.birth_date
                    AND c.region_code LIKE r.county_code || '%'
        WHERE r.child_id IS NULL AND (p_county IS NULL OR r.county_code = p_county)
          AND (r.id_number_hash IS NULL OR c.id_number_hash IS NULL)
          AND c.anonymised_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM roster_child o WHERE o.child_id = c.id)
        ORDER BY r.id, c.created_at, c.id
    ), one_each AS (
        SELECT DISTINCT ON (child_id) row_id, child_id, status
        FROM candidate ORDER BY child_id, row_id
    )
    UPDATE roster_child r
    SET child_id = o.child_id, matched_by = 'name_birth', status = roster_status_of(o.status)
    FROM one_each o WHERE r.id = o.row_id;
    GET DIAGNOSTICS m = ROW_COUNT;
    RETURN n + m;
END $$;

-- Matches one child to a free row of her county's roster: by her ID number's keyed hash, else,
-- where the row or she has no ID number, by name and birth date. Two index probes when her
-- county has no roster.
CREATE FUNCTION roster_match_child(p_child uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    c child;
BEGIN
    SELECT * INTO c FROM child WHERE id = p_child;
    IF NOT FOUND OR c.anonymised_at IS NOT NULL
       OR EXISTS (SELECT 1 FROM roster_child WHERE child_id = p_child) THEN
        RETURN;
    END IF;
    IF c.id_number_hash IS NOT NULL THEN
        UPDATE roster_child
        SET child_id = c.id, matched_by = 'id_number', status = roster_status_of(c.status)
        WHERE id = (SELECT id FROM roster_child
                    WHERE id_number_hash = c.id_number_hash AND child_id IS NULL
                      AND county_code = left(c.region_code, 6)
                    ORDER BY sheet_row, id LIMIT 1);
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;
    UPDATE roster_child
    SET child_id = c.id, matched_by = 'name_birth', status = roster_status_of(c.status)
    WHERE id = (SELECT id FROM roster_child
                WHERE county_code = left(c.region_code, 6) AND name = c.name
                  AND birth_date = c.birth_date AND child_id IS NULL
                  AND (id_number_hash IS NULL OR c.id_number_hash IS NULL)
                ORDER BY sheet_row, id LIMIT 1);
END $$;

-- A child registered, or whose status, ID number, name, birth date or residence changed: her
-- roster rows follow her. A status alone moves her rows' status; anything else frees her rows
-- (the county she left is matched again, so another child may take them) and matches her again
-- within her county.
--
-- Rule: an import and a child's change never interleave on a county. An import holds its county
-- (`roster_lock`, exclusive) from before it deletes the last roster until it commits; a child's
-- change holds her county, and the one she left, shared (so children's writes never wait for
-- each other), before it reads the roster. Whichever comes second sees what the first wrote.
CREATE FUNCTION roster_lock(p_county text, p_exclusive boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_exclusive THEN
        PERFORM pg_advisory_xact_lock(7301, left(p_county, 6)::integer);
    ELSE
        PERFORM pg_advisory_xact_lock_shared(7301, left(p_county, 6)::integer);
    END IF;
END $$;

CREATE FUNCTION roster_follow_child() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM roster_lock(NEW.region_code, false);
    IF TG_OP = 'UPDATE' AND left(OLD.region_code, 6) <> left(NEW.region_code, 6) THEN
        PERFORM roster_lock(OLD.region_code, false);
    END IF;
    IF TG_OP = 'UPDATE'
       AND NEW.id_number_hash IS NOT DISTINCT FROM OLD.id_number_hash
       AND NEW.name = OLD.name AND NEW.birth_date = OLD.birth_date
       AND left(NEW.region_code, 6) = left(OLD.region_code, 6) THEN
        UPDATE roster_child SET status = roster_status_of(NEW.status)
        WHERE child_id = NEW.id AND status <> roster_status_of(NEW.status);
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        UPDATE roster_child SET child_id = NULL, matched_by = NULL, status = 'not_registered'
        WHERE child_id = NEW.id;
        IF FOUND THEN
            PERFORM roster_match(left(OLD.region_code, 6));
        END IF;
    END IF;
    PERFORM roster_match_child(NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER roster_follow_child AFTER INSERT ON child
    FOR EACH ROW EXECUTE FUNCTION roster_follow_child();
CREATE TRIGGER roster_follow_child_change
    AFTER UPDATE OF status, id_number_hash, name, birth_date, region_code ON child
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.id_number_hash IS DISTINCT FROM NEW.id_number_hash
          OR OLD.name IS DISTINCT FROM NEW.name
          OR OLD.birth_date IS DISTINCT FROM NEW.birth_date
          OR OLD.region_code IS DISTINCT FROM NEW.region_code)
    EXECUTE FUNCTION roster_follow_child();

-- The roster's figures per township.
CREATE TABLE roster_tally (
    region_code text PRIMARY KEY REFERENCES region (code),
    children    integer NOT NULL DEFAULT 0 CHECK (children >= 0),
    registered  integer NOT NULL DEFAULT 0 CHECK (registered >= 0),
    paired      integer NOT NULL DEFAULT 0 CHECK (paired >= 0),
    CONSTRAINT roster_tally_township CHECK (char_length(region_code) = 9),
    CONSTRAINT roster_tally_within CHECK (paired <= registered AND registered <= children)
);

-- Moves rows between townships and states (an update's old rows out, its new rows in). The
-- townships' rows are updated in order, and a township that had none gets one (a move only
-- adds to it then). Deltas are not inserted as rows: a row's checks hold its totals.
CREATE FUNCTION roster_tally_moves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM roster_tally
    WHERE region_code IN (SELECT left(region_code, 9) FROM roster_new
                          UNION SELECT left(region_code, 9) FROM roster_old)
    ORDER BY region_code FOR UPDATE;
    WITH moved AS (
        SELECT township, sum(sign)::integer AS children,
               coalesce(sum(sign) FILTER (WHERE status <> 'not_registered'), 0)::integer
                   AS registered,
               coalesce(sum(sign) FILTER (WHERE status = 'paired'), 0)::integer AS paired
        FROM (SELECT left(region_code, 9) AS township, 1 AS sign, status FROM roster_new
              UNION ALL
              SELECT left(region_code, 9), -1, status FROM roster_old) m
        GROUP BY township
    )
    UPDATE roster_tally t
    SET children = t.children + m.children, registered = t.registered + m.registered,
        paired = t.paired + m.paired
    FROM moved m
    WHERE t.region_code = m.township AND (m.children, m.registered, m.paired) <> (0, 0, 0);
    INSERT INTO roster_tally (region_code, children, registered, paired)
    SELECT left(region_code, 9), count(*),
           count(*) FILTER (WHERE status <> 'not_registered'),
           count(*) FILTER (WHERE status = 'paired')
    FROM roster_new n
    WHERE NOT EXISTS (SELECT 1 FROM roster_tally t WHERE t.region_code = left(n.region_code, 9))
    GROUP BY 1 ORDER BY 1;
    RETURN NULL;
END $$;
-- The three events need their own triggers: a trigger with transition tables names one event.
CREATE FUNCTION roster_tally_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO roster_tally AS t (region_code, children, registered, paired)
    SELECT left(region_code, 9), count(*),
           count(*) FILTER (WHERE status <> 'not_registered'),
           count(*) FILTER (WHERE status = 'paired')
    FROM roster_new GROUP BY 1 ORDER BY 1
    ON CONFLICT (region_code) DO UPDATE
    SET children = t.children + excluded.children,
        registered = t.registered + excluded.registered,
        paired = t.paired + excluded.paired;
    RETURN NULL;
END $$;
CREATE FUNCTION roster_tally_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE roster_tally AS t
    SET children = t.children - d.children, registered = t.registered - d.registered,
        paired = t.paired - d.paired
    FROM (SELECT left(region_code, 9) AS township, count(*) AS children,
                 count(*) FILTER (WHERE status <> 'not_registered') AS registered,
                 count(*) FILTER (WHERE status = 'paired') AS paired
          FROM roster_old GROUP BY 1) d
    WHERE t.region_code = d.township;
    -- A township left with no roster child has no figures (a region without a roster has none).
    DELETE FROM roster_tally t
    WHERE t.children = 0 AND t.region_code IN (SELECT left(region_code, 9) FROM roster_old);
    RETURN NULL;
END $$;
CREATE TRIGGER roster_tally_insert AFTER INSERT ON roster_child
    REFERENCING NEW TABLE AS roster_new
    FOR EACH STATEMENT EXECUTE FUNCTION roster_tally_insert();
CREATE TRIGGER roster_tally_update AFTER UPDATE ON roster_child
    REFERENCING OLD TABLE AS roster_old NEW TABLE AS roster_new
    FOR EACH STATEMENT EXECUTE FUNCTION roster_tally_moves();
CREATE TRIGGER roster_tally_delete AFTER DELETE ON roster_child
    REFERENCING OLD TABLE AS roster_old
    FOR EACH STATEMENT EXECUTE FUNCTION roster_tally_delete();

-- Recounts the roster's figures from its rows.
CREATE FUNCTION roster_tally_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM roster_tally;
    INSERT INTO roster_tally (region_code, children, registered, paired)
    SELECT left(region_code, 9), count(*),
           count(*) FILTER (WHERE status <> 'not_registered'),
           count(*) FILTER (WHERE status = 'paired')
    FROM roster_child GROUP BY 1;
$$;

-- A child's erasure deletes her roster rows too.
CREATE FUNCTION roster_erase_child() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Her county first, as every child's change holds it (an import waits, or is waited for).
    PERFORM roster_lock(NEW.region_code, false);
    DELETE FROM roster_child WHERE child_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER roster_erase_child AFTER UPDATE OF anonymised_at ON child
    FOR EACH ROW WHEN (OLD.anonymised_at IS NULL AND NEW.anonymised_at IS NOT NULL)
    EXECUTE FUNCTION roster_erase_child();

-- An event about a roster is filed under its county (a city's staff may import for a county).
CREATE OR REPLACE FUNCTION audit_record_region(p_entity text, p_id uuid) RETURNS text
    LANGUAGE plpgsql STABLE
    AS $$
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
    WHEN 'roster_import' THEN
        SELECT i.county_code INTO found FROM roster_import i WHERE i.id = p_id;
    WHEN 'roster_child' THEN
        SELECT r.region_code INTO found FROM roster_child r WHERE r.id = p_id;
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
