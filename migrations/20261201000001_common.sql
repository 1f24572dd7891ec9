-- What every area below shares: trigram search, and the trigger functions that keep the
-- bookkeeping columns honest.
--
-- Rules: a versioned record's `version` goes up by one on every edit (optimistic concurrency:
-- callers update `WHERE id = $1 AND version = $2`, so a stale edit touches no row), except for
-- bookkeeping updates that say so; `updated_at` follows every update; evidence (consents, the
-- audit trail) is never rewritten or removed.
--
-- The whole model keeps its rules in the database, as constraints and triggers, so that no code
-- path (a page, the API, an import, a psql session) can break them. Each area declares the
-- refusal that answers a rule's constraint, by its name, in its src/<area>/rules.rs: keep the
-- names.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Every edit bumps `version` and `updated_at`. Bookkeeping updates (a login's timestamp, a
-- count kept by a trigger) are not edits: an UPDATE that sets `version = version - 1` keeps the
-- version, so nobody editing the record meets a false conflict.
CREATE FUNCTION touch_versioned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version = OLD.version - 1 THEN
        NEW.version := OLD.version;
    ELSE
        NEW.version := OLD.version + 1;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

-- Records that are evidence are never rewritten or removed: the constraint is named after the
-- table (`<table>_append_only`).
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation',
              CONSTRAINT = TG_TABLE_NAME || '_append_only';
END $$;
