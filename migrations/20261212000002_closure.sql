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
-- person who suspended it.
CREATE FUNCTION pairing_closure_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'closed' AND NEW.closure_reason = 'safeguarding_concern'
       AND OLD.status IS DISTINCT FROM 'closed'
       AND (OLD.status <> 'suspended' OR NEW.closure_confirmed_by IS NULL
            OR NEW.closure_confirmed_by IS NOT DISTINCT FROM NEW.closed_by) THEN
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
