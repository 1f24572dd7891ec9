-- Stations (驿站): where children and volunteers meet, in a township or a village.
--
-- Rules: a station sits in a township or a village (`station_region_level`); it is open two to
-- seven days a week (`station_open_days`); its planned week is a JSON array; edits are versioned.

CREATE TYPE station_build_mode AS ENUM ('standalone', 'joint', 'embedded');
CREATE TYPE station_status AS ENUM ('active', 'paused', 'closed');

CREATE TABLE station (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name               text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    -- a station sits in a township or a village
    region_code        text NOT NULL REFERENCES region (code)
                       CONSTRAINT station_region_level CHECK (char_length(region_code) IN (9, 12)),
    address            text CHECK (char_length(address) <= 200),
    build_mode         station_build_mode NOT NULL,
    host_site          text CHECK (char_length(host_site) <= 100),
    open_days_per_week smallint NOT NULL
                       CONSTRAINT station_open_days CHECK (open_days_per_week BETWEEN 2 AND 7),
    -- planned week: [{"weekday": 1..7, "opens": "14:00", "closes": "17:30"}, ...]
    schedule           jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(schedule) = 'array'),
    phone              text CHECK (phone ~ '^[0-9+-]{7,20}$'),
    status             station_status NOT NULL DEFAULT 'active',
    opened_on          date,
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX station_region_code ON station (region_code text_pattern_ops);
CREATE INDEX station_name_trgm ON station USING gin (name gin_trgm_ops);
CREATE TRIGGER station_touch BEFORE UPDATE ON station
    FOR EACH ROW EXECUTE FUNCTION touch_versioned();
