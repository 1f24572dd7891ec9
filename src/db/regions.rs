//! Region data: all of China to county level and Sichuan to village level, shipped in `data/`.

use anyhow::Context;
use sqlx::PgPool;

/// Every province, city and county of China (`code,name,level,parent_code`).
const CHINA_TO_COUNTY: &str = include_str!("../../data/regions/china-to-county.csv");
/// Every township and village of Sichuan.
const SICHUAN_TOWNSHIP_VILLAGE: &str =
    include_str!("../../data/regions/sichuan-township-village.csv");

/// The shipped region files, for fingerprinting.
pub fn data() -> [&'static str; 2] {
    [CHINA_TO_COUNTY, SICHUAN_TOWNSHIP_VILLAGE]
}

/// Loads the region tree with COPY when the table is empty; returns the rows loaded.
///
/// Runs under a transaction-scoped advisory lock, so two instances starting together load it
/// once.
pub async fn load_if_empty(pool: &PgPool) -> anyhow::Result<u64> {
    let mut tx = pool.begin().await?;
    // Loading every region of the country is not bound by the statement timeout of requests.
    sqlx::query("SET LOCAL statement_timeout = 0")
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('aixin.region_load'))")
        .execute(&mut *tx)
        .await?;
    let present: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM region)")
        .fetch_one(&mut *tx)
        .await?;
    if present {
        return Ok(0);
    }
    let mut loaded = 0;
    // Parents before children: the county file holds every parent of the Sichuan file.
    for csv in [CHINA_TO_COUNTY, SICHUAN_TOWNSHIP_VILLAGE] {
        let mut copy = tx
            .copy_in_raw(
                "COPY region (code, name, level, parent_code) FROM STDIN \
                 WITH (FORMAT csv, HEADER true)",
            )
            .await?;
        copy.send(csv.as_bytes()).await?;
        loaded += copy.finish().await.context("loading region data")?;
    }
    tx.commit().await?;
    tracing::info!(regions = loaded, "loaded region data");
    Ok(loaded)
}
