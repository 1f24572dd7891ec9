-- Running the service: what an operator relies on beyond the records themselves.
--
-- `erasure_log`: every erasure of a person, by record id only (no personal value), so that a
-- restore of a backup made before it can erase her again (`aixin restore` re-applies the log
-- kept beside the backups). Written in the erasure's own transaction; never updated.
--
-- `job_run`: the scheduled jobs (retention, housekeeping, backups), one row each: when one
-- last started and finished. Several instances share one database; an instance claims a run
-- by moving `started_at` past the slot it is due for, in one statement, so each run happens
-- once whichever instance claims it.
--
-- `idempotency_key`: an API `POST` sent with an `Idempotency-Key` header, per user and key:
-- the request's fingerprint, and once answered the answer, replayed to a retry for 24 hours
-- (then deleted by housekeeping; a stored answer that names an erased person is deleted with
-- her erasure).

CREATE TABLE erasure_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_kind text NOT NULL CONSTRAINT erasure_log_kind CHECK (subject_kind IN ('child', 'volunteer')),
    subject_id   uuid NOT NULL,
    why          text NOT NULL CONSTRAINT erasure_log_why CHECK (why IN ('deletion_request', 'retention')),
    erased_on    date NOT NULL,
    logged_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX erasure_log_subject ON erasure_log (subject_id);

CREATE TABLE job_run (
    job         text PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    ok          boolean,
    detail      text
);

CREATE TABLE idempotency_key (
    user_id      uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    key          text NOT NULL CONSTRAINT idempotency_key_format CHECK (key ~ '^[\x21-\x7e]{1,255}$'),
    request_hash bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- The answer, once there is one.
    status       smallint,
    content_type text,
    location     text,
    body         bytea,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_key_created ON idempotency_key (created_at);
