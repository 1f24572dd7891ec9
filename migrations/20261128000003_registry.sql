-- Helpers of the registry.

-- The full name of a region (四川省 / 德阳市 / 广汉市 / 汉州街道): the ancestors are the code's
-- prefixes, so this is a handful of primary-key lookups. ($1, not a parameter name: inside
-- the body a name would lose to the column `code`.)
CREATE FUNCTION region_path(text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT string_agg(r.name, ' / ' ORDER BY length(r.code))
    FROM region r
    WHERE r.code IN (left($1, 2), left($1, 4), left($1, 6), left($1, 9), $1)
      AND length(r.code) <= length($1)
$$;
