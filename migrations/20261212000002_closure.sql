-- Closure done well: whether a closing conversation was held with the child and with the
-- guardian, who decided to end it, whether the child is to be paired again first (she then
-- heads the waiting list, the reason kept on the pairing), and who closed it. A closure for a
-- safeguarding concern suspends the pairing (the volunteer loses the child and can log nothing)
-- and takes effect only when a second person confirms it; cancelled, the pairing runs again.
CREATE TYPE closure_decided_by AS ENUM ('volunteer', 'guardian', 'child', 'staff');

ALTER TABLE pairing
    ADD COLUMN closing_talk_child boolean,
    ADD COLUMN closing_talk_guardian boolean,
    ADD COLUMN closure_decided_by closure_decided_by,
    ADD COLUMN re_pair boolean NOT NULL DEFAULT false,
    ADD COLUMN closed_by uuid REFERENCES app_user (id) ON DELETE SET NULL,
    ADD COLUMN closure_confirmed_by uuid REFERENCES app_user (id) ON DELETE SET NULL;

-- A suspended pairing carries the closing it waits on.
ALTER TABLE pairing DROP CONSTRAINT pairing_closure_recorded;
ALTER TABLE pairing ADD CONSTRAINT pairing_closure_recorded
    CHECK ((status IN ('suspended', 'closed')) = (ended_on IS NOT NULL AND closure_reason IS NOT NULL));
ALTER TABLE pairing ADD CONSTRAINT pairing_suspended_for_safeguarding
    CHECK (status <> 'suspended' OR closure_reason = 'safeguarding_concern');

-- A child has one pairing running or suspended: a suspension cancelled must find her free.
DROP INDEX pairing_one_active_per_child;
CREATE UNIQUE INDEX pairing_one_active_per_child ON pairing (child_id)
    WHERE status IN ('active', 'suspended');

-- A safeguarding closure passes through suspension and is confirmed by someone other than the
-- person who suspended it; a suspended pairing is closed by that confirmation only (no other
-- closing — a transfer, a withdrawn consent, an erasure — settles it or rewrites its reason).
CREATE FUNCTION pairing_closure_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.status = 'closed' AND NEW.closure_reason = 'safeguarding_concern'
        AND OLD.status = 'active')
       OR (OLD.status = 'suspended' AND NEW.status = 'closed'
           AND (NEW.closure_reason IS DISTINCT FROM OLD.closure_reason
                OR NEW.closure_confirmed_by IS NULL
                OR NEW.closure_confirmed_by IS NOT DISTINCT FROM NEW.closed_by)) THEN
        RAISE EXCEPTION 'a safeguarding closure is confirmed by a second person'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'pairing_safeguarding_confirmed';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER pairing_closure_guard BEFORE UPDATE OF status ON pairing
    FOR EACH ROW EXECUTE FUNCTION pairing_closure_guard();

-- While suspended the child is neither paired nor waiting: she stays `paired` until the closing
-- is confirmed, so nobody pairs her meanwhile.
CREATE OR REPLACE FUNCTION pairing_sync_child() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE child SET status = CASE
        WHEN EXISTS (SELECT 1 FROM pairing WHERE child_id = NEW.child_id
                                              AND status IN ('active', 'suspended'))
        THEN 'paired'::child_status ELSE 'registered'::child_status END
    WHERE id = NEW.child_id AND status <> 'exited';
    RETURN NULL;
END $$;

-- Her waiting starts when a pairing has ended for good, not while one is suspended.
CREATE OR REPLACE FUNCTION child_waiting_since(of_child uuid, registered timestamptz) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT max(p.ended_on) FROM pairing p
                     WHERE p.child_id = of_child AND p.status = 'closed'),
                    (registered AT TIME ZONE 'Asia/Shanghai')::date)
$$;
DROP TRIGGER pairing_sets_waiting_since ON pairing;
CREATE TRIGGER pairing_sets_waiting_since AFTER INSERT OR DELETE OR UPDATE OF child_id, ended_on, status
    ON pairing FOR EACH ROW EXECUTE FUNCTION pairing_sets_waiting_since();

-- Nothing is logged on a pairing that is not running: a contact lands on an active pairing only
-- (its row locked first, so a contact and a suspension or closing come one after the other).
CREATE FUNCTION contact_on_running_pairing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT status FROM pairing WHERE id = NEW.pairing_id FOR SHARE) IS DISTINCT FROM 'active' THEN
        RAISE EXCEPTION 'a contact is logged on an active pairing'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'contact_on_active_pairing';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER contact_on_running_pairing BEFORE INSERT ON contact
    FOR EACH ROW EXECUTE FUNCTION contact_on_running_pairing();

-- The few pairings closed asking to pair the child again first, for the waiting list's head.
CREATE INDEX pairing_re_pair ON pairing (child_id, ended_on) WHERE re_pair AND status = 'closed';

-- A child whose pairing is suspended stays in the programme until the suspension is settled.
CREATE OR REPLACE FUNCTION child_exit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'exited' AND OLD.status <> 'exited' AND EXISTS (
        SELECT 1 FROM pairing WHERE child_id = NEW.id AND status IN ('active', 'suspended')) THEN
        RAISE EXCEPTION 'close the active pairing before the child exits'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'child_exit_without_active_pairing';
    END IF;
    RETURN NEW;
END $$;

-- A suspended pairing keeps its place in the volunteer's capacity (cancelled, it runs again),
-- and a volunteer under a safeguarding suspension is paired with no other child meanwhile.
CREATE OR REPLACE FUNCTION pairing_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
    IF EXISTS (SELECT 1 FROM pairing WHERE volunteer_id = NEW.volunteer_id
                                       AND status = 'suspended' AND id <> NEW.id) THEN
        RAISE EXCEPTION 'the volunteer has a pairing suspended for a safeguarding concern'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'pairing_volunteer_suspended';
    END IF;
    SELECT count(*) INTO v_taken FROM pairing
    WHERE volunteer_id = NEW.volunteer_id AND status IN ('active', 'suspended') AND id <> NEW.id;
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
