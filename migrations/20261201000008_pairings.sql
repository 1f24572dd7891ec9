-- Pairings (结对): one child, one trained volunteer, at a station. Every trigger on `pairing`
-- is here, and the rules on children and activities that exist for pairings' sake.
--
-- Rules: a child has at most one active pairing (`pairing_one_active_per_child`); a new or
-- reopened pairing needs an active volunteer (`pairing_volunteer_active`) with a place left
-- (`pairing_volunteer_capacity`, checked under a lock on the volunteer row), a child who has not
-- exited (`pairing_child_not_exited`) and a guardian's pairing consent in force on the start
-- date (`pairing_consent_current`, by `consent_current` in children); a closure has an end date
-- and a reason (`pairing_closure_recorded`) and ends no earlier than the start
-- (`pairing_dates_order`); the first meeting is an ice-breaking event at the pairing's station
-- no later than the start (`pairing_first_meeting`), and that event cannot be corrected into
-- something else afterwards (`activity_first_meeting`); an exited child has no active pairing
-- (`child_exit_without_active_pairing`).
--
-- Kept by triggers: a child's status (paired while a pairing is active) and `waiting_since`;
-- the pairing's contact count, last contact and `quiet_since` (with contacts); active pairings
-- per station (`pairing_tally`) and pairings started per station and day (`station_day` /
-- `station_month`, in figures).

CREATE TYPE pairing_status AS ENUM ('active', 'closed');
CREATE TYPE pairing_closure_reason AS ENUM
    ('child_aged_out', 'family_moved', 'parents_returned', 'volunteer_withdrew',
     'guardian_request', 'safeguarding_concern', 'other');

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
    -- Kept exact by a trigger on contact (contact_rollup, in contacts), so that lists, health
    -- marks and dashboards read one row instead of aggregating a million contacts.
    contact_count       integer NOT NULL DEFAULT 0,
    last_contact_on     date,
    -- The day an active pairing last had news: its last contact, or its start. A column (not an
    -- expression index) so that counting a province's quiet pairings reads the index alone.
    quiet_since         date GENERATED ALWAYS AS (coalesce(last_contact_on, started_on)) STORED,
    CONSTRAINT pairing_closure_recorded CHECK (
        (status = 'closed') = (ended_on IS NOT NULL AND closure_reason IS NOT NULL)),
    CONSTRAINT pairing_dates_order CHECK (ended_on IS NULL OR ended_on >= started_on)
);
-- The heart of the model: a child has at most one active pairing.
CREATE UNIQUE INDEX pairing_one_active_per_child ON pairing (child_id) WHERE status = 'active';
CREATE INDEX pairing_volunteer_active ON pairing (volunteer_id) WHERE status = 'active';
CREATE INDEX pairing_volunteer_id ON pairing (volunteer_id);
CREATE INDEX pairing_station_id ON pairing (station_id, status);
-- The pairing list, newest first.
CREATE INDEX pairing_started_on ON pairing (started_on DESC, id);
-- A child's pairing history (and when the last one ended, for the waiting list).
CREATE INDEX pairing_child_id ON pairing (child_id, ended_on);
-- A province walks its quiet pairings by the day; a county by its stations, from the index alone.
CREATE INDEX pairing_quiet ON pairing (quiet_since, station_id) WHERE status = 'active';
CREATE INDEX pairing_station_quiet ON pairing (station_id, quiet_since)
    INCLUDE (id, child_id, volunteer_id) WHERE status = 'active';
CREATE INDEX pairing_first_activity ON pairing (first_activity_id) WHERE first_activity_id IS NOT NULL;
-- Every contact rewrites its pairing's row (its last contact), so each further index on pairing
-- costs a write per contact.

-- ---------------------------------------------------------------------------------------------
-- The triggers on pairing
-- ---------------------------------------------------------------------------------------------

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
    IF NOT consent_current(NEW.child_id, 'pairing', NEW.started_on) THEN
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

-- The day a child began waiting for a pairing: the day her last pairing ended, or the day she
-- was registered. Kept by the child's own insert and by every change to her pairings' ends.
CREATE FUNCTION child_waiting_since(of_child uuid, registered timestamptz) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT max(p.ended_on) FROM pairing p WHERE p.child_id = of_child),
                    (registered AT TIME ZONE 'Asia/Shanghai')::date)
$$;

CREATE FUNCTION pairing_sets_waiting_since() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- `version - 1`: bookkeeping, not an edit (see touch_versioned).
    UPDATE child c SET waiting_since = child_waiting_since(c.id, c.created_at), version = c.version - 1
    WHERE c.id IN (OLD.child_id, NEW.child_id)
      AND c.waiting_since IS DISTINCT FROM child_waiting_since(c.id, c.created_at);
    RETURN NULL;
END $$;
CREATE TRIGGER pairing_sets_waiting_since AFTER INSERT OR DELETE OR UPDATE OF child_id, ended_on
    ON pairing FOR EACH ROW EXECUTE FUNCTION pairing_sets_waiting_since();

-- Pairings: active ones per station, and those started per station and day.
CREATE FUNCTION pairing_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM station_add(OLD.station_id, OLD.started_on, pairings_started => -1);
        UPDATE pairing_tally SET active = active - 1, updated_at = now()
        WHERE station_id = OLD.station_id AND OLD.status = 'active';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM station_add(NEW.station_id, NEW.started_on, pairings_started => 1);
        INSERT INTO pairing_tally (station_id, active)
        VALUES (NEW.station_id, (NEW.status = 'active')::int)
        ON CONFLICT (station_id)
        DO UPDATE SET active = pairing_tally.active + excluded.active, updated_at = now();
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER pairing_tally_count AFTER INSERT OR DELETE ON pairing
    FOR EACH ROW EXECUTE FUNCTION pairing_tally_count();
CREATE TRIGGER pairing_tally_moves AFTER UPDATE OF station_id, status, started_on ON pairing
    FOR EACH ROW WHEN ((OLD.station_id, OLD.status, OLD.started_on)
                       IS DISTINCT FROM (NEW.station_id, NEW.status, NEW.started_on))
    EXECUTE FUNCTION pairing_tally_count();

-- A pairing that moves to another station takes its contacts and open concerns with it.
CREATE FUNCTION pairing_moves_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM station_add(OLD.station_id, contacted_on, contacts => -count(*)::int)
    FROM contact WHERE pairing_id = NEW.id GROUP BY contacted_on;
    PERFORM station_add(NEW.station_id, contacted_on, contacts => count(*)::int)
    FROM contact WHERE pairing_id = NEW.id GROUP BY contacted_on;
    UPDATE open_concern o SET station_id = NEW.station_id, updated_at = now()
    FROM contact k WHERE k.pairing_id = NEW.id AND o.contact_id = k.id;
    RETURN NULL;
END $$;
CREATE TRIGGER pairing_moves_contacts AFTER UPDATE OF station_id ON pairing
    FOR EACH ROW WHEN (OLD.station_id IS DISTINCT FROM NEW.station_id)
    EXECUTE FUNCTION pairing_moves_contacts();

-- ---------------------------------------------------------------------------------------------
-- The pairing rules held on other tables
-- ---------------------------------------------------------------------------------------------

-- A child's `waiting_since` from her own insert (or a corrected registration time).
CREATE FUNCTION child_set_waiting_since() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.waiting_since := child_waiting_since(NEW.id, NEW.created_at);
    RETURN NEW;
END $$;
CREATE TRIGGER child_set_waiting_since BEFORE INSERT OR UPDATE OF created_at ON child
    FOR EACH ROW EXECUTE FUNCTION child_set_waiting_since();

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

-- The event a pairing counts as its first meeting cannot be corrected into something else
-- afterwards: another kind, another station, or a day after the pairing started.
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
