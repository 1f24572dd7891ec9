//! Login throttling. Failures are counted per account *and* client address: after a few
//! failures from one address, that address waits before its next try of that account, longer
//! after each failure and never more than a minute (429 with Retry-After). The account is never
//! locked: its owner, from another address, logs in as usual — so nobody can lock `admin` out by
//! guessing. One address that fails 50 times within 15 minutes, over any accounts, is refused
//! until the window has passed. The refusal is the same whether the account exists or not.

use std::net::IpAddr;

use sqlx::PgPool;

use crate::web::error::AppError;

/// Failures of one account from one address that cost no wait (typing mistakes).
pub const FREE_FAILURES: i64 = 3;
/// The first wait, in seconds; each further failure doubles it.
pub const FIRST_DELAY_SECONDS: i64 = 5;
/// The longest wait, in seconds.
pub const MAX_DELAY_SECONDS: i64 = 60;
/// Failures per client address, over all accounts, before attempts are refused.
pub const ADDRESS_LIMIT: i64 = 50;
/// The window failures are counted in, in seconds.
pub const WINDOW_SECONDS: i64 = 15 * 60;

/// How long an address waits after `failures` failures of one account: nothing for the first
/// few, then 5, 10, 20, 40 seconds, then a minute.
pub fn delay_seconds(failures: i64) -> i64 {
    if failures <= FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES - 1).min(8) as u32;
    (FIRST_DELAY_SECONDS << doublings).min(MAX_DELAY_SECONDS)
}

/// Refuses the attempt while this address must still wait before trying this account again,
/// or when the address has failed too often lately. Failures before the last successful login
/// of the account from this address do not count.
#[tracing::instrument(skip_all)]
pub async fn check(db: &PgPool, username_key: &str, ip: Option<IpAddr>) -> Result<(), AppError> {
    let row = sqlx::query!(
        r#"
        WITH pair AS (
            SELECT at FROM login_attempt
            WHERE username_key = $1 AND ip IS NOT DISTINCT FROM $2 AND NOT succeeded
              AND at > now() - make_interval(secs => $3)
              AND at > coalesce((SELECT max(at) FROM login_attempt
                                 WHERE username_key = $1 AND ip IS NOT DISTINCT FROM $2
                                   AND succeeded), '-infinity')
            ORDER BY at DESC LIMIT 16
        ), address AS (
            SELECT at FROM login_attempt
            WHERE ip = $2 AND NOT succeeded AND at > now() - make_interval(secs => $3)
            ORDER BY at DESC LIMIT $4
        )
        SELECT (SELECT count(*) FROM pair) AS "failures!",
               extract(epoch FROM now() - (SELECT max(at) FROM pair))::float8 AS since_last,
               CASE WHEN (SELECT count(*) FROM address) >= $4
                    THEN extract(epoch FROM (SELECT min(at) FROM address)
                                            + make_interval(secs => $3) - now())::float8
               END AS address_wait
        "#,
        username_key,
        ip.map(sqlx::types::ipnetwork::IpNetwork::from) as _,
        WINDOW_SECONDS as f64,
        ADDRESS_LIMIT,
    )
    .fetch_one(db)
    .await?;
    let pair_wait = delay_seconds(row.failures) as f64 - row.since_last.unwrap_or(f64::INFINITY);
    let wait = pair_wait.max(row.address_wait.unwrap_or(0.0));
    if wait > 0.0 {
        return Err(AppError::TooManyRequests {
            retry_after: (wait.ceil() as u64).max(1),
        });
    }
    Ok(())
}

/// Records an attempt.
pub async fn record(
    db: &PgPool,
    username_key: &str,
    ip: Option<IpAddr>,
    succeeded: bool,
) -> Result<(), AppError> {
    let key: String = username_key.chars().take(128).collect();
    sqlx::query!(
        "INSERT INTO login_attempt (username_key, ip, succeeded) VALUES ($1, $2, $3)",
        key,
        ip.map(sqlx::types::ipnetwork::IpNetwork::from) as _,
        succeeded
    )
    .execute(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_grows_with_each_failure_up_to_a_minute() {
        let waits: Vec<i64> = (0..=12).map(delay_seconds).collect();
        assert_eq!(waits, [0, 0, 0, 0, 5, 10, 20, 40, 60, 60, 60, 60, 60]);
        assert_eq!(delay_seconds(i64::MAX), MAX_DELAY_SECONDS);
    }
}
