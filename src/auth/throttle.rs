//! Login throttling: after 5 failures for one account within 15 minutes, or 50 from one
//! address, further attempts are refused until the window has passed (429 with Retry-After).
//! The refusal is the same whether the account exists or not.

use std::net::IpAddr;

use sqlx::PgPool;

use crate::web::error::AppError;

/// Failures per account before attempts are refused.
pub const ACCOUNT_LIMIT: i64 = 5;
/// Failures per client address before attempts are refused.
pub const ADDRESS_LIMIT: i64 = 50;
/// The window failures are counted in, in seconds.
pub const WINDOW_SECONDS: i64 = 15 * 60;

/// Refuses the attempt when the account or the address has failed too often lately. Failures
/// before the account's last successful login do not count.
#[tracing::instrument(skip_all)]
pub async fn check(db: &PgPool, username_key: &str, ip: Option<IpAddr>) -> Result<(), AppError> {
    let wait = sqlx::query_scalar!(
        r#"
        WITH account AS (
            SELECT at FROM login_attempt
            WHERE username_key = $1 AND NOT succeeded
              AND at > now() - make_interval(secs => $3)
              AND at > coalesce((SELECT max(at) FROM login_attempt
                                 WHERE username_key = $1 AND succeeded), '-infinity')
            ORDER BY at DESC LIMIT $4
        ), address AS (
            SELECT at FROM login_attempt
            WHERE ip = $2 AND NOT succeeded AND at > now() - make_interval(secs => $3)
            ORDER BY at DESC LIMIT $5
        )
        SELECT greatest(
            CASE WHEN (SELECT count(*) FROM account) >= $4
                 THEN extract(epoch FROM (SELECT min(at) FROM account) + make_interval(secs => $3) - now()) END,
            CASE WHEN (SELECT count(*) FROM address) >= $5
                 THEN extract(epoch FROM (SELECT min(at) FROM address) + make_interval(secs => $3) - now()) END
        )::float8 AS "wait"
        "#,
        username_key,
        ip.map(sqlx::types::ipnetwork::IpNetwork::from) as _,
        WINDOW_SECONDS as f64,
        ACCOUNT_LIMIT,
        ADDRESS_LIMIT,
    )
    .fetch_one(db)
    .await?;
    match wait {
        Some(seconds) if seconds > 0.0 => Err(AppError::TooManyRequests {
            retry_after: seconds.ceil() as u64,
        }),
        _ => Ok(()),
    }
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
