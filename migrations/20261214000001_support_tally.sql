-- The pairing-support figures of running pairings, kept per station in `pairing_tally` beside
-- their count, so that a dashboard reads a row per station instead of every running pairing:
--
-- * `scored`, `score_sum`: running pairings with a relationship score, and their scores' sum;
-- * `overdue`, `check_ins_due`, `check_ins_overdue`: running pairings with a due day passed,
--   with a staff check-in due within the week (the service's `DUE_SOON_DAYS`), and with a
--   check-in past due — on the day `due_as_of`.
--
-- A due day passes with the calendar, not with a write, so the last three hold for one day: the
-- first read of a station's figures on another day counts the station again from its pairings
-- (`pairing_support_refresh`); until then, every write to a pairing adjusts them as of the day
-- they hold for (`pairing_support_add`). A NULL `due_as_of` has not been counted yet.
--
-- Rule: a writer and a recount never interleave on a station. Both hold the station's row
-- (`FOR UPDATE`, in station order) before they read the day it holds for; a recount counts in a
-- statement after that, so it sees every write that committed first, and a write that waited
-- for it adjusts the recounted day. A recount passes over a row a writer holds.

ALTER TABLE pairing_tally
    ADD COLUMN scored            integer NOT NULL DEFAULT 0 CHECK (scored >= 0),
    ADD COLUMN score_sum         numeric NOT NULL DEFAULT 0 CHECK (score_sum >= 0),
    ADD COLUMN due_as_of         date,
    ADD COLUMN overdue           integer NOT NULL DEFAULT 0 CHECK (overdue >= 0),
    ADD COLUMN check_ins_due     integer NOT NULL DEFAULT 0 CHECK (check_ins_due >= 0),
    ADD COLUMN check_ins_overdue integer NOT NULL DEFAULT 0 CHECK (check_ins_overdue >= 0);

-- A check-in falls due "soon" within this many days of the day (the service's `DUE_SOON_DAYS`).
CREATE FUNCTION due_soon_days() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 7';

-- A pairing as it counts, `sign` 1 to add it and -1 to take it away.
CREATE TYPE pairing_support_row AS (
    station_id         uuid,
    status             pairing_status,
    due_on             date,
    check_in_due_on    date,
    relationship_score numeric,
    sign               integer
);

-- Adds pairings to (or takes them from) their stations' figures, each as of the day its station
-- holds for.
CREATE FUNCTION pairing_support_add(p_rows pairing_support_row[]) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(cardinality(p_rows), 0) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO pairing_tally (station_id, active)
    SELECT DISTINCT r.station_id, 0 FROM unnest(p_rows) r
    ON CONFLICT (station_id) DO NOTHING;
    PERFORM 1 FROM pairing_tally
    WHERE station_id IN (SELECT r.station_id FROM unnest(p_rows) r)
    ORDER BY station_id FOR UPDATE;
    UPDATE pairing_tally t SET
        scored = t.scored + x.scored,
        score_sum = t.score_sum + x.score_sum,
        overdue = t.overdue + x.overdue,
        check_ins_due = t.check_ins_due + x.check_ins_due,
        check_ins_overdue = t.check_ins_overdue + x.check_ins_overdue,
        updated_at = now()
    FROM (
        SELECT r.station_id,
               coalesce(sum(r.sign) FILTER (WHERE r.relationship_score IS NOT NULL), 0) AS scored,
               coalesce(sum(r.sign * r.relationship_score), 0) AS score_sum,
               coalesce(sum(r.sign) FILTER (WHERE r.due_on < d.due_as_of), 0) AS overdue,
               coalesce(sum(r.sign) FILTER (
                   WHERE r.check_in_due_on BETWEEN d.due_as_of AND d.due_as_of + due_soon_days()), 0)
                   AS check_ins_due,
               coalesce(sum(r.sign) FILTER (WHERE r.check_in_due_on < d.due_as_of), 0)
                   AS check_ins_overdue
        FROM unnest(p_rows) r JOIN pairing_tally d USING (station_id)
        WHERE r.status = 'active'
        GROUP BY r.station_id) x
    WHERE t.station_id = x.station_id;
END $$;

-- Counts again, on `p_day`, the stations of a focus (by region `LIKE` pattern or ids, NULL for
-- either: every one) whose figures hold for another day — those a writer is not holding: a
-- recount never waits (so it neither deadlocks with a write over several stations nor queues
-- behind a new standard re-judging a region), and a reader counts the stations it skipped from
-- their pairings (see the service's `dashboard::support::running`).
CREATE FUNCTION pairing_support_refresh(p_region text, p_stations uuid[], p_day date) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    stale uuid[];
BEGIN
    SELECT array_agg(station_id) INTO stale FROM (
        SELECT t.station_id FROM pairing_tally t JOIN station s ON s.id = t.station_id
        WHERE t.due_as_of IS DISTINCT FROM p_day
          AND (p_region IS NULL OR s.region_code LIKE p_region)
          AND (p_stations IS NULL OR s.id = ANY (p_stations))
        ORDER BY t.station_id FOR UPDATE OF t SKIP LOCKED) k;
    IF stale IS NULL THEN
        RETURN;
    END IF;
    UPDATE pairing_tally SET scored = 0, score_sum = 0, overdue = 0, check_ins_due = 0,
                             check_ins_overdue = 0, due_as_of = p_day, updated_at = now()
    WHERE station_id = ANY (stale);
    PERFORM pairing_support_add(array_agg(
        ROW(station_id, status, due_on, check_in_due_on, relationship_score, 1)::pairing_support_row))
    FROM pairing WHERE station_id = ANY (stale) AND status = 'active';
END $$;

-- Every write to pairings moves its stations' figures: one pass per statement, so that a new
-- standard re-judging a province's pairings adds up its changes once.
CREATE FUNCTION pairing_support_moves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM pairing_support_add(array_agg(
            ROW(n.station_id, n.status, n.due_on, n.check_in_due_on, n.relationship_score, 1)::pairing_support_row))
        FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pairing_support_add(array_agg(
            ROW(o.station_id, o.status, o.due_on, o.check_in_due_on, o.relationship_score, -1)::pairing_support_row))
        FROM old_rows o;
    ELSE
        PERFORM pairing_support_add(array_agg(x.r))
        FROM old_rows o JOIN new_rows n USING (id),
             LATERAL (VALUES
                 (ROW(o.station_id, o.status, o.due_on, o.check_in_due_on, o.relationship_score, -1)::pairing_support_row),
                 (ROW(n.station_id, n.status, n.due_on, n.check_in_due_on, n.relationship_score, 1)::pairing_support_row)) x (r)
        WHERE (o.station_id, o.status, o.due_on, o.check_in_due_on, o.relationship_score)
              IS DISTINCT FROM (n.station_id, n.status, n.due_on, n.check_in_due_on, n.relationship_score);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER pairing_support_insert AFTER INSERT ON pairing REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pairing_support_moves();
CREATE TRIGGER pairing_support_update AFTER UPDATE ON pairing
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pairing_support_moves();
CREATE TRIGGER pairing_support_delete AFTER DELETE ON pairing REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pairing_support_moves();

-- A county's few stations read the pairings they closed within a period station by station.
CREATE INDEX pairing_station_closed ON pairing (station_id, ended_on)
    INCLUDE (started_on, closure_reason) WHERE status = 'closed';

-- The scores of every station's running pairings counted again, and their due days left to the
-- first read: after a bulk load with the triggers off, and now, for the pairings there are.
CREATE FUNCTION pairing_support_rebuild() RETURNS void LANGUAGE sql AS $$
    UPDATE pairing_tally t SET scored = x.scored, score_sum = x.score_sum, due_as_of = NULL,
                               overdue = 0, check_ins_due = 0, check_ins_overdue = 0,
                               updated_at = now()
    FROM (SELECT t.station_id, count(p.relationship_score) AS scored,
                 coalesce(sum(p.relationship_score), 0) AS score_sum
          FROM pairing_tally t
          LEFT JOIN pairing p ON p.station_id = t.station_id AND p.status = 'active'
          GROUP BY 1) x
    WHERE t.station_id = x.station_id;
$$;
ALTER FUNCTION tally_rebuild() RENAME TO tally_rebuild_counts;
CREATE FUNCTION tally_rebuild() RETURNS void LANGUAGE sql AS $$
    SELECT tally_rebuild_counts();
    SELECT pairing_support_rebuild();
$$;
SELECT pairing_support_rebuild();
