-- Sessions, login throttling and session revocation.

-- The session store (tower-sessions' PostgreSQL store reads and writes this table). Created
-- here rather than by the store at start-up so that instances starting together never race.
CREATE SCHEMA IF NOT EXISTS tower_sessions;
CREATE TABLE tower_sessions.session (
    id          text PRIMARY KEY NOT NULL,
    data        bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);
CREATE INDEX session_expiry_date ON tower_sessions.session (expiry_date);

-- Bumped when a user is disabled or their password changes: every session opened before
-- carries the old value and is refused from then on.
ALTER TABLE app_user ADD COLUMN session_epoch integer NOT NULL DEFAULT 0;

-- Every login attempt, for throttling by account and by client address.
CREATE TABLE login_attempt (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- lower-cased username (or mobile number) as typed, known account or not
    username_key text NOT NULL CHECK (char_length(username_key) <= 128),
    ip           inet,
    succeeded    boolean NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempt_username ON login_attempt (username_key, at DESC) WHERE NOT succeeded;
CREATE INDEX login_attempt_ip ON login_attempt (ip, at DESC) WHERE NOT succeeded;
CREATE INDEX login_attempt_at ON login_attempt (at);

-- Bookkeeping updates (a login's timestamp) are not edits: an UPDATE that sets
-- `version = version - 1` keeps the version, so nobody editing the record meets a false conflict.
CREATE OR REPLACE FUNCTION touch_versioned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version = OLD.version - 1 THEN
        NEW.version := OLD.version;
    ELSE
        NEW.version := OLD.version + 1;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;
