-- Who corrects a session's log, and until when a station manager may.
--
-- Rule: a station manager may correct a log until seven days after the session's day ends
-- (midnight, China time), or after it was logged when it was logged later than that; federation
-- staff and admins may at any time; a volunteer never (`activity_correction_window`). An update
-- that says who makes it (it sets `updated_by`, as the service always does) is judged by that
-- account's role; bookkeeping (the attendance counts) and fixes that name nobody are not
-- corrections by anyone.

ALTER TABLE activity ADD COLUMN updated_by uuid REFERENCES app_user (id);

CREATE FUNCTION activity_correction_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    by_role user_role;
    -- The end of the session's day in China (UTC+8), as an instant.
    day_over timestamptz := ((OLD.held_on + 1)::timestamp - interval '8 hours') AT TIME ZONE 'UTC';
BEGIN
    SELECT u.role INTO by_role FROM app_user u WHERE u.id = NEW.updated_by;
    IF by_role = 'volunteer' OR (by_role = 'station_manager'
                                 AND now() > greatest(OLD.created_at, day_over) + interval '7 days') THEN
        RAISE EXCEPTION 'a station manager corrects a log for seven days after the session'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'activity_correction_window';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER activity_correction_guard BEFORE UPDATE OF updated_by ON activity
    FOR EACH ROW EXECUTE FUNCTION activity_correction_guard();
