-- Accounts and what guards them: users and the stations a manager runs, the session store,
-- login attempts (for throttling) and the audit trail.
--
-- Rules: usernames are unique whatever their case (`app_user_username_key`); an admin or staff
-- member has a region and nobody else does (`app_user_region_for_role`); a volunteer's account
-- belongs to exactly one volunteer (`app_user_volunteer_for_role`, `app_user_volunteer_key`);
-- only station managers are linked to stations (`user_station_manager_only`,
-- `user_station_user`); the audit trail is append-only (`audit_event_append_only`) and never
-- holds a sensitive value.

CREATE TYPE user_role AS ENUM ('admin', 'staff', 'station_manager', 'volunteer');
CREATE TYPE audit_action AS ENUM
    ('login', 'login_failed', 'logout', 'view', 'reveal', 'create', 'update', 'delete', 'export');

CREATE TABLE app_user (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username             text NOT NULL
                         CONSTRAINT app_user_username_format CHECK (username ~ '^[A-Za-z0-9_.@-]{3,64}$'),
    display_name         text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 50),
    password_hash        text NOT NULL,
    role                 user_role NOT NULL,
    -- the subtree an admin or staff member works in
    region_code          text REFERENCES region (code),
    volunteer_id         uuid REFERENCES volunteer (id),
    active               boolean NOT NULL DEFAULT true,
    must_change_password boolean NOT NULL DEFAULT false,
    last_login_at        timestamptz,
    version              integer NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    -- Bumped when a user is disabled or their password changes: every session opened before
    -- carries the old value and is refused from then on.
    session_epoch        integer NOT NULL DEFAULT 0,
    CONSTRAINT app_user_region_for_role CHECK ((role IN ('admin', 'staff')) = (region_code IS NOT NULL)),
    CONSTRAINT app_user_volunteer_for_role CHECK ((role = 'volunteer') = (volunteer_id IS NOT NULL)),
    CONSTRAINT app_user_volunteer_key UNIQUE (volunteer_id),
    CONSTRAINT app_user_id_role_key UNIQUE (id, role)
);
CREATE UNIQUE INDEX app_user_username_key ON app_user (lower(username));
CREATE INDEX app_user_region_code ON app_user (region_code text_pattern_ops);
CREATE TRIGGER app_user_touch BEFORE UPDATE ON app_user
    FOR EACH ROW EXECUTE FUNCTION touch_versioned();

-- The stations a station manager runs; only station managers can be linked.
CREATE TABLE user_station (
    user_id    uuid NOT NULL,
    role       user_role NOT NULL DEFAULT 'station_manager'
               CONSTRAINT user_station_manager_only CHECK (role = 'station_manager'),
    station_id uuid NOT NULL REFERENCES station (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, station_id),
    CONSTRAINT user_station_user FOREIGN KEY (user_id, role)
        REFERENCES app_user (id, role) ON DELETE CASCADE
);
CREATE INDEX user_station_station_id ON user_station (station_id);

-- The session store (tower-sessions' PostgreSQL store reads and writes this table). Created
-- here rather than by the store at start-up so that instances starting together never race.
CREATE SCHEMA IF NOT EXISTS tower_sessions;
CREATE TABLE tower_sessions.session (
    id          text PRIMARY KEY NOT NULL,
    data        bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);
CREATE INDEX session_expiry_date ON tower_sessions.session (expiry_date);

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

-- The audit trail: append-only, never a sensitive value in it.
CREATE TABLE audit_event (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid REFERENCES app_user (id),
    -- the actor's scope at the time, so an admin reads the events of their subtree
    region_code text,
    action      audit_action NOT NULL,
    entity      text NOT NULL CHECK (char_length(entity) <= 50),
    entity_id   uuid,
    ip          inet,
    -- changed field names and the like, never a value
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_event_at ON audit_event (at DESC);
CREATE INDEX audit_event_actor ON audit_event (actor_id, at DESC);
CREATE INDEX audit_event_region ON audit_event (region_code text_pattern_ops, at DESC);
CREATE INDEX audit_event_entity ON audit_event (entity_id) WHERE entity_id IS NOT NULL;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
