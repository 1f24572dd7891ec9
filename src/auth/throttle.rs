//! Login throttling. Failures are counted per account *and* client address: after a few
//! failures from one address, that address waits before its next try of that account, longer
//! after each failure and never more than a minute (429 with Retry-After). The account is never
//! locked: its owner, from another address, logs in as usual — so nobody can lock `admin` out by
//! guessing. One address that fails 50 times within 15 minutes, over any accounts, is refused
//! until the window has passed. The refusal is the same whether the account exists or not.

use std::net::IpAddr;

use sqlx::PgPool;
use sqlx::types::ipnetwork::IpNetwork;

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

/// An attempt admitted by [`admit`]: recorded as a failure until [`succeeded`] says otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Attempt(uuid::Uuid);

/// The address an attempt is counted under: an IPv4 address itself; for IPv6 its /64 network,
/// since one subscriber is given a whole /64 and could otherwise try from a new address each time.
pub fn counted_address(ip: IpAddr) -> IpNetwork {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpNetwork::from(IpAddr::V4(v4)),
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !((1u128 << 64) - 1);
            IpNetwork::new(IpAddr::V6(network.into()), 64).expect("64 is a valid IPv6 prefix")
        }
    }
}

/// Admits an attempt, or refuses it while this address must still wait before trying this
/// account again, or when the address has failed too often lately. Failures before the last
/// successful login of the account from this address do not count.
///
/// An admitted attempt is recorded at once, as a failure, before the password is checked: the
/// check and the record are one step under a lock on the address, so that attempts sent all at
/// once count one another and a burst gets no more tries than a sequence.
#[tracing::instrument(skip_all)]
pub async fn admit(
    db: &PgPool,
    username_key: &str,
    ip: Option<IpAddr>,
) -> Result<Attempt, AppError> {
    let key: String = username_key.chars().take(128).collect();
    let address = ip.map(counted_address);
    let mut tx = db.begin().await?;
    let lock = match address {
        Some(address) => format!("login {address}"),
        None => format!("login account {key}"),
    };
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        lock
    )
    .execute(&mut *tx)
    .await?;
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
               extract(epoch FROM clock_timestamp() - (SELECT max(at) FROM pair))::float8
                   AS since_last,
               CASE WHEN (SELECT count(*) FROM address) >= $4
                    THEN extract(epoch FROM (SELECT min(at) FROM address)
                                            + make_interval(secs => $3) - clock_timestamp())::float8
               END AS address_wait
        "#,
        key,
        address as _,
        WINDOW_SECONDS as f64,
        ADDRESS_LIMIT,
    )
    .fetch_one(&mut *tx)
    .await?;
    let pair_wait = delay_seconds(row.failures) as f64 - row.since_last.unwrap_or(f64::INFINITY);
    let wait = pair_wait.max(row.address_wait.unwrap_or(0.0));
    if wait > 0.0 {
        return Err(AppError::TooManyRequests {
            retry_after: (wait.ceil() as u64).max(1),
        });
    }
    // `at` is the clock's time, not the transaction's: the next attempt, waiting on the lock,
    // measures its wait from when this one was admitted.
    let id = sqlx::query_scalar!(
        "INSERT INTO login_attempt (username_key, ip, succeeded, at)
         VALUES ($1, $2, false, clock_timestamp()) RETURNING id",
        key,
        address as _,
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Attempt(id))
}

/// Records that an admitted attempt gave the right password of an active account.
pub async fn succeeded(db: &PgPool, attempt: Attempt) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE login_attempt SET succeeded = true, updated_at = now() WHERE id = $1",
        attempt.0
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

    #[test]
    fn an_ipv6_address_is_counted_by_its_64_network_and_ipv4_by_itself() {
        let counted = |ip: &str| counted_address(ip.parse().unwrap()).to_string();
        assert_eq!(counted("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(counted("2001:db8:1:2:ffff:1:2:3"), "2001:db8:1:2::/64");
        assert_ne!(counted("2001:db8:1:3::1"), counted("2001:db8:1:2::1"));
        assert_eq!(counted("203.0.113.9"), "203.0.113.9/32");
        assert_eq!(counted("::ffff:203.0.113.9"), "203.0.113.9/32");
    }
}
