-- A pairing's health is judged against its station's contact standard (the region's own, the
-- nearest one above it, or the service's default). Each running pairing carries the days its
-- next contact, home visit and staff check-in fall due; the earliest of them is `due_on`. The
-- mark moves with the calendar and is read against today: overdue once `due_on` has passed, due
-- soon in the week up to it, new in the first month, on track otherwise. The due days are
-- kept by triggers whenever what they follow changes: the pairing's last contact, home visit or
-- check-in, its station, its status, the standard of a region above it, or the default. (A
-- station stays in its county, and standards are set no lower than counties: moving a station
-- within its county does not change its standard.)

-- The default standard of regions that set none: a contact every `AIXIN_CHECK_IN_DAYS` days,
-- written by the service when it starts.
CREATE TABLE contact_standard_default (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    contact_gap_days integer NOT NULL DEFAULT 30 CHECK (contact_gap_days BETWEEN 1 AND 365),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO contact_standard_default DEFAULT VALUES;

ALTER TABLE pairing
    ADD COLUMN last_home_visit_on date,
    ADD COLUMN contact_due_on date,
    ADD COLUMN home_visit_due_on date,
    ADD COLUMN check_in_due_on date,
    ADD COLUMN due_on date GENERATED ALWAYS AS (least(contact_due_on, home_visit_due_on, check_in_due_on)) STORED;

-- A region's standard as the days allowed between two of each (NULL: not asked). A month is 30
-- days and a quarter 91; the first three months of a pairing are its first 91 days.
CREATE FUNCTION standard_gaps(p_region text, OUT contact_gap integer, OUT home_visit_gap integer,
                              OUT first_quarter_check_in_gap integer, OUT check_in_gap integer)
    LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN s.region_code IS NULL THEN d.contact_gap_days
                WHEN s.contacts_per_month > 0 THEN greatest(1, 30 / s.contacts_per_month) END,
           CASE WHEN s.home_visits_per_quarter > 0 THEN greatest(1, 91 / s.home_visits_per_quarter) END,
           CASE WHEN s.check_ins_per_month_first_quarter > 0
                THEN greatest(1, 30 / s.check_ins_per_month_first_quarter) END,
           CASE WHEN s.check_ins_per_quarter > 0 THEN greatest(1, 91 / s.check_ins_per_quarter) END
    FROM contact_standard_default d
    LEFT JOIN LATERAL (
        SELECT * FROM contact_standard c
        WHERE c.region_code IN (left(p_region, 2), left(p_region, 4), left(p_region, 6))
        ORDER BY char_length(c.region_code) DESC LIMIT 1) s ON true
$$;

-- The days a running pairing's next contact, home visit and check-in fall due, by those gaps:
-- the last day of a gap that starts with the last one (or with the first day, before any). With a
-- 30-day gap, a contact on 1 November is due again by 30 November, overdue from 1 December. A check-in held in the first
-- three months is followed by the first quarter's rhythm, later ones by the quarterly one.
CREATE FUNCTION pairing_due_days(p_started date, p_last_contact date, p_last_home_visit date,
                                 p_last_check_in date, contact_gap integer, home_visit_gap integer,
                                 first_quarter_check_in_gap integer, check_in_gap integer,
                                 OUT contact_due_on date, OUT home_visit_due_on date,
                                 OUT check_in_due_on date)
    LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(p_last_contact, p_started) + contact_gap - 1,
           coalesce(p_last_home_visit, p_started) + home_visit_gap - 1,
           coalesce(p_last_check_in, p_started) - 1
               + CASE WHEN coalesce(p_last_check_in, p_started) < p_started + 91
                      THEN coalesce(first_quarter_check_in_gap, check_in_gap)
                      ELSE check_in_gap END
$$;

CREATE FUNCTION pairing_dues() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    g record;
    d record;
BEGIN
    IF NEW.status <> 'active' THEN
        NEW.contact_due_on := NULL;
        NEW.home_visit_due_on := NULL;
        NEW.check_in_due_on := NULL;
        RETURN NEW;
    END IF;
    SELECT * INTO g FROM standard_gaps((SELECT region_code FROM station WHERE id = NEW.station_id));
    SELECT * INTO d FROM pairing_due_days(NEW.started_on, NEW.last_contact_on, NEW.last_home_visit_on,
        NEW.last_check_in_on, g.contact_gap, g.home_visit_gap, g.first_quarter_check_in_gap,
        g.check_in_gap);
    NEW.contact_due_on := d.contact_due_on;
    NEW.home_visit_due_on := d.home_visit_due_on;
    NEW.check_in_due_on := d.check_in_due_on;
    RETURN NEW;
END $$;
CREATE TRIGGER pairing_dues BEFORE INSERT OR UPDATE OF status, started_on, station_id, last_contact_on,
    last_home_visit_on, last_check_in_on ON pairing
    FOR EACH ROW EXECUTE FUNCTION pairing_dues();

-- The running pairings at stations in `p_region` (every one when NULL) judged again, after a
-- standard above them changed: one pass, each station's standard read once.
CREATE FUNCTION pairing_dues_refresh(p_region text) RETURNS void LANGUAGE sql AS $$
    WITH gaps AS MATERIALIZED (
        SELECT s.id AS station_id, g.*
        FROM station s, LATERAL standard_gaps(s.region_code) g
        WHERE p_region IS NULL OR s.region_code LIKE p_region || '%')
    UPDATE pairing p SET
        (contact_due_on, home_visit_due_on, check_in_due_on) =
            (SELECT d.contact_due_on, d.home_visit_due_on, d.check_in_due_on
             FROM pairing_due_days(p.started_on, p.last_contact_on, p.last_home_visit_on,
                                   p.last_check_in_on, gaps.contact_gap, gaps.home_visit_gap,
                                   gaps.first_quarter_check_in_gap, gaps.check_in_gap) d),
        -- `version - 1` tells touch_versioned this is bookkeeping, not an edit by a person.
        version = p.version - 1
    FROM gaps
    WHERE p.station_id = gaps.station_id AND p.status = 'active';
$$;

CREATE FUNCTION contact_standard_moves_dues() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'contact_standard_default' THEN
        PERFORM pairing_dues_refresh(NULL);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pairing_dues_refresh(OLD.region_code);
    ELSE
        PERFORM pairing_dues_refresh(NEW.region_code);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER contact_standard_moves_dues AFTER INSERT OR UPDATE OR DELETE ON contact_standard
    FOR EACH ROW EXECUTE FUNCTION contact_standard_moves_dues();
CREATE TRIGGER contact_standard_default_moves_dues AFTER UPDATE OF contact_gap_days
    ON contact_standard_default
    FOR EACH ROW WHEN (OLD.contact_gap_days IS DISTINCT FROM NEW.contact_gap_days)
    EXECUTE FUNCTION contact_standard_moves_dues();

-- A pairing's last home visit is the last contact in person at home that reached the child.
CREATE OR REPLACE FUNCTION contact_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
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
        contact_count = k.reached,
        last_contact_on = k.last_reached,
        last_home_visit_on = k.last_home_visit,
        unreached_streak = k.streak,
        version = p.version - 1
    FROM (SELECT t.id,
                 (SELECT count(*) FROM contact c
                  WHERE c.pairing_id = t.id AND c.outcome = 'reached') AS reached,
                 (SELECT max(c.contacted_on) FROM contact c
                  WHERE c.pairing_id = t.id AND c.outcome = 'reached') AS last_reached,
                 (SELECT max(c.contacted_on) FROM contact c
                  WHERE c.pairing_id = t.id AND c.outcome = 'reached'
                    AND c.mode = 'home_visit') AS last_home_visit,
                 (SELECT count(*) FROM contact c
                  WHERE c.pairing_id = t.id AND c.outcome = 'not_reached'
                    AND c.contacted_on > coalesce(
                        (SELECT max(r.contacted_on) FROM contact r
                         WHERE r.pairing_id = t.id AND r.outcome = 'reached'), '-infinity'::date)
                 ) AS streak
          FROM unnest(touched) AS t(id)) k
    WHERE p.id = k.id;
    RETURN NULL;
END $$;
DROP TRIGGER contact_rollup ON contact;
CREATE TRIGGER contact_rollup AFTER INSERT OR DELETE OR UPDATE OF pairing_id, contacted_on, outcome, mode
    ON contact FOR EACH ROW EXECUTE FUNCTION contact_rollup();

-- The records as they stand.
UPDATE pairing p SET last_home_visit_on = k.last, version = p.version - 1
FROM (SELECT pairing_id, max(contacted_on) AS last FROM contact
      WHERE outcome = 'reached' AND mode = 'home_visit' GROUP BY pairing_id) k
WHERE k.pairing_id = p.id;
SELECT pairing_dues_refresh(NULL);

-- Lists by mark and the dashboard's counts read running pairings by their due day.
CREATE INDEX pairing_station_due ON pairing (station_id, due_on) WHERE status = 'active';
CREATE INDEX pairing_station_check_in_due ON pairing (station_id, check_in_due_on)
    WHERE status = 'active' AND check_in_due_on IS NOT NULL;
