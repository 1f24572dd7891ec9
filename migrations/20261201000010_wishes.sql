-- Micro-wishes (微心愿): a child's small wish, claimed by a volunteer or a partner organization,
-- then fulfilled.
--
-- Rules: claimed by one volunteer or one named organization, not both (`wish_claimed_by_one`);
-- a claimed or fulfilled wish has its claim on record (`wish_claim_recorded`) and a fulfilled
-- one its date (`wish_fulfilment_recorded`); a posted wish can be claimed, fulfilled or
-- cancelled, a claimed one fulfilled, cancelled or released back to posted, and fulfilled and
-- cancelled are final (`wish_status_transition`). Every fulfilled wish is counted at its child's
-- station on the day it was fulfilled in `station_day` / `station_month` (figures) by the
-- triggers below, and the count moves with the child to another station.

CREATE TYPE wish_category AS ENUM
    ('study', 'books', 'clothing', 'daily', 'toys', 'sports', 'arts', 'other');
CREATE TYPE wish_status AS ENUM ('posted', 'claimed', 'fulfilled', 'cancelled');

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
-- Wishes fulfilled per day, for the dashboard.
CREATE INDEX wish_fulfilled_on ON wish (fulfilled_on) WHERE status = 'fulfilled';
CREATE TRIGGER wish_touch BEFORE UPDATE ON wish
    FOR EACH ROW EXECUTE FUNCTION touch_versioned();

-- A wish moves forward only: posted → claimed → fulfilled, or to cancelled before fulfilment
-- (a claim can also be released).
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

-- Wishes: a fulfilled wish counts at its child's station on the day it was fulfilled.
CREATE FUNCTION wish_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'fulfilled' THEN
        PERFORM station_add(c.station_id, OLD.fulfilled_on, wishes_fulfilled => -1)
        FROM child c WHERE c.id = OLD.child_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'fulfilled' THEN
        PERFORM station_add(c.station_id, NEW.fulfilled_on, wishes_fulfilled => 1)
        FROM child c WHERE c.id = NEW.child_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER wish_count AFTER INSERT OR DELETE ON wish
    FOR EACH ROW EXECUTE FUNCTION wish_count();
CREATE TRIGGER wish_count_moves AFTER UPDATE OF child_id, status, fulfilled_on ON wish
    FOR EACH ROW WHEN ((OLD.child_id, OLD.status, OLD.fulfilled_on)
                       IS DISTINCT FROM (NEW.child_id, NEW.status, NEW.fulfilled_on))
    EXECUTE FUNCTION wish_count();

-- A child who moves to another station takes her fulfilled wishes with her.
CREATE FUNCTION child_moves_wishes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM station_add(OLD.station_id, fulfilled_on, wishes_fulfilled => -count(*)::int)
    FROM wish WHERE child_id = NEW.id AND status = 'fulfilled' GROUP BY fulfilled_on;
    PERFORM station_add(NEW.station_id, fulfilled_on, wishes_fulfilled => count(*)::int)
    FROM wish WHERE child_id = NEW.id AND status = 'fulfilled' GROUP BY fulfilled_on;
    RETURN NULL;
END $$;
CREATE TRIGGER child_moves_wishes AFTER UPDATE OF station_id ON child
    FOR EACH ROW WHEN (OLD.station_id IS DISTINCT FROM NEW.station_id)
    EXECUTE FUNCTION child_moves_wishes();
