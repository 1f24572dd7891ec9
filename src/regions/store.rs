//! The SQL of regions.

use sqlx::PgPool;

use super::model::{Region, RegionCode, RegionLevel};

/// One region by code.
#[tracing::instrument(skip(db))]
pub async fn find(db: &PgPool, code: &RegionCode) -> sqlx::Result<Option<Region>> {
    sqlx::query_as!(
        Region,
        r#"SELECT code, name, level AS "level: RegionLevel", parent_code
           FROM region WHERE code = $1"#,
        code.as_str()
    )
    .fetch_optional(db)
    .await
}

/// The ancestors of a region, from the province down (the region itself excluded). The code's
/// prefixes are its ancestors' codes, so this is one index lookup.
#[tracing::instrument(skip(db))]
pub async fn ancestors(db: &PgPool, code: &RegionCode) -> sqlx::Result<Vec<Region>> {
    let prefixes: Vec<String> = [2, 4, 6, 9]
        .into_iter()
        .filter(|&len| len < code.as_str().len())
        .map(|len| code.as_str()[..len].to_owned())
        .collect();
    sqlx::query_as!(
        Region,
        r#"SELECT code, name, level AS "level: RegionLevel", parent_code
           FROM region WHERE code = ANY($1) ORDER BY length(code)"#,
        &prefixes
    )
    .fetch_all(db)
    .await
}

/// A page of the regions directly under `parent` (the provinces when `parent` is `None`), in
/// code order, with the total count.
#[tracing::instrument(skip(db))]
pub async fn children(
    db: &PgPool,
    parent: Option<&RegionCode>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Region>, i64)> {
    let parent = parent.map(RegionCode::as_str);
    let items = sqlx::query_as!(
        Region,
        r#"SELECT code, name, level AS "level: RegionLevel", parent_code
           FROM region
           WHERE parent_code IS NOT DISTINCT FROM $1
           ORDER BY code LIMIT $2 OFFSET $3"#,
        parent,
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM region WHERE parent_code IS NOT DISTINCT FROM $1"#,
        parent
    )
    .fetch_one(db)
    .await?;
    Ok((items, total))
}

/// A place to choose in a form: code, name, level.
#[derive(Debug, Clone)]
pub struct Choice {
    pub code: String,
    pub name: String,
    pub level: RegionLevel,
}

/// The townships and villages of a county, each township followed by its villages.
pub async fn places_in_county(db: &PgPool, county: &str) -> sqlx::Result<Vec<Choice>> {
    sqlx::query_as!(
        Choice,
        r#"SELECT code, name, level AS "level: RegionLevel" FROM region
           WHERE code LIKE $1 || '%' AND level IN ('township', 'village') AND length($1) = 6
           ORDER BY code"#,
        county
    )
    .fetch_all(db)
    .await
}

/// The counties inside a region (the region itself when it is a county or below).
pub async fn counties_in(db: &PgPool, region: &str) -> sqlx::Result<Vec<Choice>> {
    sqlx::query_as!(
        Choice,
        r#"SELECT code, region_path(code) AS "name!", level AS "level: RegionLevel" FROM region
           WHERE level = 'county' AND (code LIKE $1 || '%' OR starts_with($1, code))
           ORDER BY code"#,
        region
    )
    .fetch_all(db)
    .await
}
