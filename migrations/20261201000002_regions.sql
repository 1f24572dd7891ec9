-- Regions: all of China to county level, Sichuan to village level (the rows are loaded by the
-- service on first start, not by a migration).
--
-- Rules: the code is hierarchical by prefix (2 digits province, 4 city, 6 county, 9 township,
-- 12 village), its length matches the level, and a region's parent is the code's prefix.

CREATE TYPE region_level AS ENUM ('province', 'city', 'county', 'township', 'village');

CREATE TABLE region (
    code        text PRIMARY KEY,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    level       region_level NOT NULL,
    parent_code text REFERENCES region (code),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT region_code_digits CHECK (code ~ '^[0-9]+$'),
    CONSTRAINT region_code_length_matches_level CHECK (char_length(code) = CASE level
        WHEN 'province' THEN 2 WHEN 'city' THEN 4 WHEN 'county' THEN 6
        WHEN 'township' THEN 9 ELSE 12 END),
    CONSTRAINT region_parent_is_prefix CHECK (
        CASE WHEN level = 'province' THEN parent_code IS NULL
             ELSE parent_code IS NOT NULL AND starts_with(code, parent_code) END)
);
CREATE INDEX region_parent_code ON region (parent_code);
CREATE INDEX region_code_prefix ON region (code text_pattern_ops);
-- The cities, counties or townships of a region, for the dashboard's areas table.
CREATE INDEX region_level_code ON region (level, code text_pattern_ops);
CREATE TRIGGER region_touch BEFORE UPDATE ON region
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- The full name of a region (四川省 / 德阳市 / 广汉市 / 汉州街道): the ancestors are the code's
-- prefixes, so this is a handful of primary-key lookups. ($1, not a parameter name: inside
-- the body a name would lose to the column `code`.)
CREATE FUNCTION region_path(text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT string_agg(r.name, ' / ' ORDER BY length(r.code))
    FROM region r
    WHERE r.code IN (left($1, 2), left($1, 4), left($1, 6), left($1, 9), $1)
      AND length(r.code) <= length($1)
$$;
