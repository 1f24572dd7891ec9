//! The SQL of the audit trail.

use sqlx::types::ipnetwork::IpNetwork;
use sqlx::{PgExecutor, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::{Action, Entry};

/// Appends one event.
pub async fn insert(db: impl PgExecutor<'_>, e: &Entry) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO audit_event (actor_id, region_code, action, entity, entity_id, ip, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        e.actor_id,
        e.region_code,
        e.action as Action,
        e.entity,
        e.entity_id,
        e.ip.map(IpNetwork::from),
        e.detail
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Appends a view of a record unless the same actor's view of it was recorded within
/// `every`. Views of one actor and record are serialised (a transaction-scoped advisory lock),
/// so two requests at once still write one event.
pub async fn insert_view(db: &PgPool, e: &Entry, every: time::Duration) -> sqlx::Result<bool> {
    let mut tx = db.begin().await?;
    let key = format!("audit-view:{:?}:{:?}", e.actor_id, e.entity_id);
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)
        .execute(&mut *tx)
        .await?;
    let since = OffsetDateTime::now_utc() - every;
    let written = sqlx::query!(
        "INSERT INTO audit_event (actor_id, region_code, action, entity, entity_id, ip, detail)
         SELECT $1, $2, $3, $4, $5, $6, $7
         WHERE NOT EXISTS (SELECT 1 FROM audit_event
                           WHERE actor_id = $1 AND entity_id = $5 AND action = $3 AND at > $8)",
        e.actor_id,
        e.region_code,
        e.action as Action,
        e.entity,
        e.entity_id,
        e.ip.map(IpNetwork::from),
        e.detail,
        since
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(written == 1)
}

/// Filters of the audit log.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Part of the actor's username or name.
    pub actor: Option<String>,
    /// Only this action.
    pub action: Option<Action>,
    /// Only this kind of record.
    pub entity: Option<String>,
    /// From this day (inclusive).
    pub from: Option<Date>,
    /// To this day (inclusive).
    pub to: Option<Date>,
}

/// An event as the log page shows it.
#[derive(Debug, Clone)]
pub struct Event {
    /// When.
    pub at: OffsetDateTime,
    /// Who (username), if anyone.
    pub actor: Option<String>,
    /// Who, by name.
    pub actor_name: Option<String>,
    /// The record, by name (a child's, a station's, an activity's title…), while it exists.
    pub record: Option<String>,
    /// What.
    pub action: Action,
    /// Which kind of record.
    pub entity: String,
    /// Which record.
    pub entity_id: Option<Uuid>,
    /// The account a session or account event names (its username).
    pub account: Option<String>,
    /// From where.
    pub ip: Option<String>,
    /// Field names changed, etc.
    pub detail: serde_json::Value,
}

/// A page of the events filed under the region subtree `like`, by the actor's region or by the
/// record's (and, for a province-level admin, the events filed under neither: failed logins of
/// unknown accounts).
pub async fn list(
    db: &PgPool,
    like: &str,
    include_unfiled: bool,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Event>, i64)> {
    let actor = filter
        .actor
        .as_deref()
        .map(|a| format!("%{}%", crate::db::escape_like(a)));
    let rows = sqlx::query!(
        r#"SELECT e.at, u.username AS "actor?", u.display_name AS "actor_name?",
                  e.action AS "action: Action", e.entity, e.entity_id,
                  host(e.ip) AS ip, e.detail, t.username AS "account?",
                  CASE e.entity
                    WHEN 'child' THEN (SELECT name FROM child WHERE id = e.entity_id)
                    WHEN 'volunteer' THEN (SELECT name FROM volunteer WHERE id = e.entity_id)
                    WHEN 'station' THEN (SELECT name FROM station WHERE id = e.entity_id)
                    WHEN 'activity' THEN (SELECT title FROM activity WHERE id = e.entity_id)
                    WHEN 'guardian' THEN (SELECT name FROM guardian WHERE id = e.entity_id)
                    WHEN 'user' THEN t.display_name
                    WHEN 'session' THEN t.display_name
                    WHEN 'pairing' THEN (SELECT c.name || ' · ' || v.name FROM pairing p
                                         JOIN child c ON c.id = p.child_id
                                         JOIN volunteer v ON v.id = p.volunteer_id
                                         WHERE p.id = e.entity_id)
                    WHEN 'contact' THEN (SELECT c.name FROM contact k JOIN pairing p ON p.id = k.pairing_id
                                         JOIN child c ON c.id = p.child_id WHERE k.id = e.entity_id)
                    WHEN 'consent' THEN (SELECT c.name FROM consent k JOIN child c ON c.id = k.child_id
                                         WHERE k.id = e.entity_id)
                    WHEN 'wish' THEN (SELECT c.name FROM wish w JOIN child c ON c.id = w.child_id
                                      WHERE w.id = e.entity_id)
                    WHEN 'data_request' THEN (SELECT requester_name FROM data_request WHERE id = e.entity_id)
                  END AS "record?"
           FROM audit_event e LEFT JOIN app_user u ON u.id = e.actor_id
                LEFT JOIN app_user t ON e.entity IN ('session', 'user') AND t.id = e.entity_id
           WHERE (e.region_code LIKE $1 OR e.record_region_code LIKE $1
                  OR ($2 AND e.region_code IS NULL AND e.record_region_code IS NULL))
             AND ($3::text IS NULL OR u.username ILIKE $3 OR u.display_name ILIKE $3)
             AND ($4::audit_action IS NULL OR e.action = $4)
             AND ($5::text IS NULL OR e.entity = $5)
             AND ($6::date IS NULL OR e.at >= $6::date)
             AND ($7::date IS NULL OR e.at < $7::date + 1)
           ORDER BY e.at DESC, e.id
           LIMIT $8 OFFSET $9"#,
        like,
        include_unfiled,
        actor,
        filter.action as Option<Action>,
        filter.entity,
        filter.from,
        filter.to,
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!"
           FROM audit_event e LEFT JOIN app_user u ON u.id = e.actor_id
           WHERE (e.region_code LIKE $1 OR e.record_region_code LIKE $1
                  OR ($2 AND e.region_code IS NULL AND e.record_region_code IS NULL))
             AND ($3::text IS NULL OR u.username ILIKE $3 OR u.display_name ILIKE $3)
             AND ($4::audit_action IS NULL OR e.action = $4)
             AND ($5::text IS NULL OR e.entity = $5)
             AND ($6::date IS NULL OR e.at >= $6::date)
             AND ($7::date IS NULL OR e.at < $7::date + 1)"#,
        like,
        include_unfiled,
        actor,
        filter.action as Option<Action>,
        filter.entity,
        filter.from,
        filter.to,
    )
    .fetch_one(db)
    .await?;
    let events = rows
        .into_iter()
        .map(|r| Event {
            at: r.at,
            actor: r.actor,
            actor_name: r.actor_name,
            record: r.record,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            account: r.account,
            ip: r.ip,
            detail: r.detail,
        })
        .collect();
    Ok((events, total))
}
