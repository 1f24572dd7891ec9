-- The standard a region's pairings are held to (match support): contacts a month, home visits
-- a quarter, and staff check-ins — monthly in a pairing's first three months, quarterly after.
-- Set by a province, a city or a county; a region without its own follows the nearest one above
-- it, and the service's default (`AIXIN_CHECK_IN_DAYS`) where none is set at all.
CREATE TABLE contact_standard (
    region_code text PRIMARY KEY REFERENCES region (code),
    contacts_per_month smallint NOT NULL CHECK (contacts_per_month BETWEEN 0 AND 31),
    home_visits_per_quarter smallint NOT NULL CHECK (home_visits_per_quarter BETWEEN 0 AND 13),
    check_ins_per_month_first_quarter smallint NOT NULL
        CHECK (check_ins_per_month_first_quarter BETWEEN 0 AND 31),
    check_ins_per_quarter smallint NOT NULL CHECK (check_ins_per_quarter BETWEEN 0 AND 13),
    updated_by uuid REFERENCES app_user (id) ON DELETE SET NULL,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Provinces, cities and counties set standards; townships and villages follow theirs.
    CONSTRAINT contact_standard_level CHECK (char_length(region_code) IN (2, 4, 6))
);
CREATE TRIGGER contact_standard_touch BEFORE UPDATE ON contact_standard
    FOR EACH ROW EXECUTE FUNCTION touch_versioned();
