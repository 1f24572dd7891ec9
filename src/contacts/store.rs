//! The SQL of contacts. A contact is in scope when its pairing is: the pairing's station for
//! staff and managers, the pairing's volunteer for a volunteer.

use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::model::{
    CORRECTION_WINDOW, ConcernCategory, Contact, ContactMode, ContactOutcome, NotReachedReason,
    Topic, ValidContact,
};
use crate::auth::Scope;
use crate::domain::pairing::PairingStatus;

/// A contact row, with who logged it.
struct Row {
    id: Uuid,
    pairing_id: Uuid,
    contacted_on: Date,
    mode: ContactMode,
    outcome: ContactOutcome,
    not_reached_reason: Option<NotReachedReason>,
    duration_minutes: Option<i32>,
    topics: Vec<Topic>,
    note: Option<String>,
    concern_category: Option<ConcernCategory>,
    concern_detail: Option<String>,
    concern_resolved_at: Option<OffsetDateTime>,
    concern_resolution: Option<String>,
    seen_at: Option<OffsetDateTime>,
    created_by: Option<Uuid>,
    version: i32,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl Row {
    fn into_contact(self) -> (Contact, Option<Uuid>) {
        let contact = Contact {
            id: self.id,
            pairing_id: self.pairing_id,
            contacted_on: self.contacted_on,
            mode: self.mode,
            outcome: self.outcome,
            not_reached_reason: self.not_reached_reason,
            duration_minutes: self.duration_minutes,
            topics: self.topics,
            note: self.note,
            concern_category: self.concern_category,
            concern_detail: self.concern_detail,
            concern_resolved_at: self.concern_resolved_at,
            concern_resolution: self.concern_resolution,
            seen_at: self.seen_at,
            editable_until: self.created_at + CORRECTION_WINDOW,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        };
        (contact, self.created_by)
    }
}

/// A query for contact rows: the shared SELECT (with the pairing and its station joined for
/// scope), then `$tail`.
macro_rules! contacts_where {
    ($tail:literal, $($arg:expr),* $(,)?) => {
        sqlx::query_as!(
            Row,
            r#"SELECT k.id, k.pairing_id, k.contacted_on, k.mode AS "mode: ContactMode",
                      k.outcome AS "outcome: ContactOutcome",
                      k.not_reached_reason AS "not_reached_reason: NotReachedReason",
                      k.duration_minutes,
                      k.topics AS "topics: Vec<Topic>", k.note,
                      k.concern_category AS "concern_category: ConcernCategory", k.concern_detail,
                      k.concern_resolved_at, k.concern_resolution, k.seen_at, k.created_by,
                      k.version, k.created_at, k.updated_at
               FROM contact k
               JOIN pairing p ON p.id = k.pairing_id
               JOIN station s ON s.id = p.station_id
               "# + $tail,
            $($arg),*
        )
    };
}

/// A contact in scope, and who logged it.
pub async fn find(
    db: impl sqlx::PgExecutor<'_>,
    scope: &Scope,
    id: Uuid,
) -> sqlx::Result<Option<(Contact, Option<Uuid>)>> {
    // A volunteer no longer reaches the entries of a pairing suspended for a safeguarding
    // concern: she neither reads nor corrects them.
    let row = contacts_where!(
        "WHERE k.id = $1
           AND ($2::text IS NULL OR s.region_code LIKE $2)
           AND ($3::uuid[] IS NULL OR p.station_id = ANY($3))
           AND ($4::uuid IS NULL OR (p.volunteer_id = $4 AND p.status <> 'suspended'))",
        id,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(Row::into_contact))
}

/// What the contact rules need of a pairing: whether it runs, and since when.
#[derive(Debug, Clone, Copy)]
pub struct PairingFacts {
    pub status: PairingStatus,
    pub started_on: Date,
}

/// A pairing the caller may reach, with what the contact rules need of it. Whom the caller
/// reaches is the scope auth gives her: a region's or a manager's stations, a volunteer's own
/// pairings (the same conditions as every other read of a pairing), but not one suspended for a
/// safeguarding concern.
pub async fn pairing(db: &PgPool, scope: &Scope, id: Uuid) -> sqlx::Result<Option<PairingFacts>> {
    sqlx::query_as!(
        PairingFacts,
        r#"SELECT p.status AS "status: PairingStatus", p.started_on
           FROM pairing p JOIN station s ON s.id = p.station_id
           WHERE p.id = $1
             AND ($2::text IS NULL OR s.region_code LIKE $2)
             AND ($3::uuid[] IS NULL OR p.station_id = ANY($3))
             AND ($4::uuid IS NULL OR (p.volunteer_id = $4 AND p.status <> 'suspended'))"#,
        id,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
    )
    .fetch_optional(db)
    .await
}

/// The contacts of a pairing, newest first (the caller has checked the pairing is in scope).
pub async fn of_pairing(db: &PgPool, pairing: Uuid) -> sqlx::Result<Vec<(Contact, Option<Uuid>)>> {
    let rows = contacts_where!(
        "WHERE k.pairing_id = $1 ORDER BY k.contacted_on DESC, k.created_at DESC LIMIT 500",
        pairing
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Row::into_contact).collect())
}

/// Writes a contact.
pub async fn insert(
    tx: &mut PgConnection,
    pairing: Uuid,
    c: &ValidContact,
    by: Uuid,
) -> sqlx::Result<Uuid> {
    let (category, detail) = c.concern.clone().unzip();
    sqlx::query_scalar!(
        "INSERT INTO contact (pairing_id, contacted_on, mode, duration_minutes, topics, note,
                              concern_category, concern_detail, created_by, outcome,
                              not_reached_reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        pairing,
        c.contacted_on,
        c.mode as ContactMode,
        c.duration_minutes,
        &c.topics as &[Topic],
        c.note,
        category as Option<ConcernCategory>,
        detail,
        by,
        c.outcome as ContactOutcome,
        c.not_reached_reason as Option<NotReachedReason>
    )
    .fetch_one(tx)
    .await
}

/// Rewrites a contact the volunteer is correcting, if it is still at `version`; false when
/// someone saved it since.
pub async fn update(
    tx: &mut PgConnection,
    id: Uuid,
    c: &ValidContact,
    version: i32,
) -> sqlx::Result<bool> {
    let (category, detail) = c.concern.clone().unzip();
    let done = sqlx::query!(
        "UPDATE contact SET contacted_on = $3, mode = $4, duration_minutes = $5, topics = $6,
                            note = $7, concern_category = $8, concern_detail = $9,
                            outcome = $10, not_reached_reason = $11
         WHERE id = $1 AND version = $2",
        id,
        version,
        c.contacted_on,
        c.mode as ContactMode,
        c.duration_minutes,
        &c.topics as &[Topic],
        c.note,
        category as Option<ConcernCategory>,
        detail,
        c.outcome as ContactOutcome,
        c.not_reached_reason as Option<NotReachedReason>
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a contact as read by staff (once; bookkeeping, so the version stays).
pub async fn mark_seen(db: &PgPool, id: Uuid, by: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE contact SET seen_at = now(), seen_by = $2, version = version - 1
         WHERE id = $1 AND seen_at IS NULL",
        id,
        by
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Resolves an open concern; false when there is none open (resolved meanwhile).
pub async fn resolve(
    tx: &mut PgConnection,
    id: Uuid,
    by: Uuid,
    resolution: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE contact SET concern_resolved_at = now(), concern_resolved_by = $2,
                            concern_resolution = $3
         WHERE id = $1 AND concern_category IS NOT NULL AND concern_resolved_at IS NULL",
        id,
        by,
        resolution
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A volunteer's contacts (attempts not counted) and minutes (theirs too: effort) since `from`
/// (for the month's encouragement).
pub async fn volunteer_totals(
    db: &PgPool,
    volunteer: Uuid,
    from: Date,
) -> sqlx::Result<(i64, i64)> {
    let row = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE k.outcome = 'reached') AS "contacts!",
                  coalesce(sum(k.duration_minutes), 0)::bigint AS "minutes!"
           FROM contact k JOIN pairing p ON p.id = k.pairing_id
           WHERE p.volunteer_id = $1 AND k.contacted_on >= $2"#,
        volunteer,
        from
    )
    .fetch_one(db)
    .await?;
    Ok((row.contacts, row.minutes))
}

/// Locks pairings (in the order of their ids) for entries about to be written on them, and
/// answers what the contact rules need of each.
pub async fn lock_pairings(tx: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<Vec<PairingFacts>> {
    sqlx::query_as!(
        PairingFacts,
        r#"SELECT status AS "status: PairingStatus", started_on FROM pairing
           WHERE id = ANY($1) ORDER BY id FOR SHARE"#,
        ids
    )
    .fetch_all(tx)
    .await
}
