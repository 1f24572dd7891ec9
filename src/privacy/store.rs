//! The SQL of data-subject requests and retention runs. Lists and loads take the caller's
//! [`Scope`], applied to the region and station of the person a request is about (and, for a
//! volunteer, to requests about herself).

use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::model::{
    Channel, DataRequest, Filter, RequestKind, RequestStatus, RequesterRelation, ValidRequest,
};
use crate::auth::Scope;

/// A request's row with its subject's and handler's names; `$today` marks it overdue.
macro_rules! requests {
    ($query:ident!($select:literal $(, $tail:literal)*), $scope:expr, $today:expr $(, $arg:expr)* $(,)?) => {
        sqlx::$query!(
            DataRequest,
            r#"SELECT r.id, r.kind AS "kind: RequestKind", r.child_id, r.volunteer_id,
                      coalesce(c.name, v.name) AS "subject_name!", r.requester_name,
                      r.requester_relation AS "requester_relation: RequesterRelation",
                      r.channel AS "channel: Channel", r.received_on, r.identity_check, r.note,
                      r.due_on, (r.status = 'open' AND r.due_on < $4) AS "overdue!",
                      r.status AS "status: RequestStatus", r.reason, r.consent_id, r.handled_by,
                      u.display_name AS "handled_by_name?", r.handled_at, r.created_at, r.version
               FROM data_request r
               LEFT JOIN child c ON c.id = r.child_id
               LEFT JOIN volunteer v ON v.id = r.volunteer_id
               LEFT JOIN app_user u ON u.id = r.handled_by
               WHERE ($1::text IS NULL OR coalesce(c.region_code, v.region_code) LIKE $1)
                 AND ($2::uuid[] IS NULL OR coalesce(c.station_id, v.station_id) = ANY($2))
                 AND ($3::uuid IS NULL OR r.volunteer_id = $3)
               "# + $select $(+ $tail)*,
            $scope.region_like(),
            $scope.station_ids(),
            $scope.volunteer_id(),
            $today
            $(, $arg)*
        )
    };
}

/// A page of the requests in scope that pass `filter`, due first, and their total.
pub async fn list(
    db: &PgPool,
    scope: &Scope,
    filter: &Filter,
    today: Date,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<DataRequest>, i64)> {
    let rows = requests!(
        query_as!(
            "AND ($5::data_request_status IS NULL OR r.status = $5)
             AND ($6::data_request_kind IS NULL OR r.kind = $6)
             AND (NOT $7 OR (r.status = 'open' AND r.due_on < $4))
             AND ($8::uuid IS NULL OR r.child_id = $8)
             AND ($9::uuid IS NULL OR r.volunteer_id = $9)",
            " ORDER BY r.status = 'open' DESC, r.due_on, r.received_on DESC, r.id
             LIMIT $10 OFFSET $11"
        ),
        scope,
        today,
        filter.status as Option<RequestStatus>,
        filter.kind as Option<RequestKind>,
        filter.overdue,
        filter.child_id,
        filter.volunteer_id,
        limit,
        offset,
    )
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM data_request r
           LEFT JOIN child c ON c.id = r.child_id
           LEFT JOIN volunteer v ON v.id = r.volunteer_id
           WHERE ($1::text IS NULL OR coalesce(c.region_code, v.region_code) LIKE $1)
             AND ($2::uuid[] IS NULL OR coalesce(c.station_id, v.station_id) = ANY($2))
             AND ($3::uuid IS NULL OR r.volunteer_id = $3)
             AND ($5::data_request_status IS NULL OR r.status = $5)
             AND ($6::data_request_kind IS NULL OR r.kind = $6)
             AND (NOT $7 OR (r.status = 'open' AND r.due_on < $4))
             AND ($8::uuid IS NULL OR r.child_id = $8)
             AND ($9::uuid IS NULL OR r.volunteer_id = $9)"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        today,
        filter.status as Option<RequestStatus>,
        filter.kind as Option<RequestKind>,
        filter.overdue,
        filter.child_id,
        filter.volunteer_id,
    )
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}

/// One request in scope.
pub async fn find(
    db: impl sqlx::PgExecutor<'_>,
    scope: &Scope,
    id: Uuid,
    today: Date,
) -> sqlx::Result<Option<DataRequest>> {
    requests!(query_as!("AND r.id = $5"), scope, today, id)
        .fetch_optional(db)
        .await
}

/// Records a request; returns its id.
pub async fn insert(
    tx: &mut PgConnection,
    r: &ValidRequest,
    due_on: Date,
    consent: Option<Uuid>,
    created_by: Uuid,
) -> sqlx::Result<Uuid> {
    let (child, volunteer) = r.subject.ids();
    sqlx::query_scalar!(
        "INSERT INTO data_request (kind, child_id, volunteer_id, requester_name, requester_relation,
                                   channel, received_on, identity_check, note, due_on, consent_id,
                                   created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        r.kind as RequestKind,
        child,
        volunteer,
        r.requester_name,
        r.requester_relation as RequesterRelation,
        r.channel as Channel,
        r.received_on,
        r.identity_check,
        r.note,
        due_on,
        consent,
        created_by
    )
    .fetch_one(&mut *tx)
    .await
}

/// The status and version of a request, locked while it is answered.
pub async fn lock(tx: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<(RequestStatus, i32)>> {
    let row = sqlx::query!(
        r#"SELECT status AS "status: RequestStatus", version FROM data_request
           WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(|r| (r.status, r.version)))
}

/// Records the answer: done, or refused with a reason.
pub async fn answer(
    tx: &mut PgConnection,
    id: Uuid,
    status: RequestStatus,
    reason: Option<&str>,
    by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE data_request SET status = $2, reason = $3, handled_by = $4, handled_at = now()
         WHERE id = $1",
        id,
        status as RequestStatus,
        reason,
        by
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Children whose time is up on `cutoff` (exited before it, or 18 before it; not anonymised),
/// the next `limit` after `after` by id.
pub async fn children_due(
    db: &PgPool,
    cutoff: Date,
    after: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM child
         WHERE anonymised_at IS NULL AND id > $2
           AND (exited_on < $1 OR birth_date < ($1 - interval '18 years')::date)
         ORDER BY id LIMIT $3",
        cutoff,
        after,
        limit
    )
    .fetch_all(db)
    .await
}

/// Volunteers whose time is up on `cutoff` (withdrawn before it, not anonymised), the next
/// `limit` after `after` by id.
pub async fn volunteers_due(
    db: &PgPool,
    (cutoff, applied_before): (Date, Date),
    after: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM volunteer
         WHERE anonymised_at IS NULL AND id > $2
           AND ((status = 'withdrawn' AND withdrawn_on < $1)
                OR (status = 'applied' AND applied_online_at < $4::date))
         ORDER BY id LIMIT $3",
        cutoff,
        after,
        limit,
        applied_before
    )
    .fetch_all(db)
    .await
}

/// How many children and volunteers are due on `cutoff` within a region (all with `None`);
/// applicants from the public page never screened are due when they applied before
/// `applied_before`.
pub async fn due_counts(
    db: &PgPool,
    (cutoff, applied_before): (Date, Date),
    region_like: Option<&str>,
) -> sqlx::Result<(i64, i64, i64)> {
    let r = sqlx::query!(
        r#"SELECT
             (SELECT count(*) FROM child WHERE anonymised_at IS NULL AND exited_on < $1
                AND ($2::text IS NULL OR region_code LIKE $2)) AS "exited!",
             (SELECT count(*) FROM child WHERE anonymised_at IS NULL
                AND (exited_on IS NULL OR exited_on >= $1)
                AND birth_date < ($1 - interval '18 years')::date
                AND ($2::text IS NULL OR region_code LIKE $2)) AS "grown!",
             (SELECT count(*) FROM volunteer WHERE anonymised_at IS NULL
                AND ((status = 'withdrawn' AND withdrawn_on < $1)
                     OR (status = 'applied' AND applied_online_at < $3::date))
                AND ($2::text IS NULL OR region_code LIKE $2)) AS "withdrawn!""#,
        cutoff,
        region_like,
        applied_before
    )
    .fetch_one(db)
    .await?;
    Ok((r.exited, r.grown, r.withdrawn))
}

/// A retention run as the page lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Run {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    pub started_by: String,
    pub cutoff: Date,
    pub children_anonymised: i32,
    pub volunteers_anonymised: i32,
}

/// Starts recording a run.
pub async fn run_started(db: &PgPool, started_by: &str, cutoff: Date) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO retention_run (started_by, cutoff) VALUES ($1, $2) RETURNING id",
        started_by,
        cutoff
    )
    .fetch_one(db)
    .await
}

/// Records what a run did.
pub async fn run_finished(
    db: &PgPool,
    id: Uuid,
    children: i32,
    volunteers: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE retention_run SET finished_at = now(), children_anonymised = $2,
                                  volunteers_anonymised = $3
         WHERE id = $1",
        id,
        children,
        volunteers
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The latest runs, newest first.
pub async fn runs(db: &PgPool, limit: i64) -> sqlx::Result<Vec<Run>> {
    sqlx::query_as!(
        Run,
        "SELECT id, started_at, finished_at, started_by, cutoff, children_anonymised,
                volunteers_anonymised
         FROM retention_run ORDER BY started_at DESC LIMIT $1",
        limit
    )
    .fetch_all(db)
    .await
}

/// Writes an erasure into the log that a restore re-applies: the record's id, why, the day.
pub async fn log_erasure(
    tx: &mut PgConnection,
    kind: &str,
    id: Uuid,
    why: &str,
    on: Date,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO erasure_log (subject_kind, subject_id, why, erased_on) VALUES ($1, $2, $3, $4)",
        kind,
        id,
        why,
        on
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// The erasure log, oldest first.
pub async fn erasures(db: &PgPool) -> sqlx::Result<Vec<(String, Uuid, String, Date)>> {
    let rows = sqlx::query!(
        "SELECT subject_kind, subject_id, why, erased_on FROM erasure_log ORDER BY id"
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.subject_kind, r.subject_id, r.why, r.erased_on))
        .collect())
}

/// The newest entry of the erasure log (0 when empty): whether a copy of it is current.
pub async fn last_erasure(db: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT coalesce(max(id), 0) AS "id!" FROM erasure_log"#)
        .fetch_one(db)
        .await
}

/// Whether a child's (`kind` "child") or a volunteer's record is anonymised; `None` when the
/// database holds no such record.
pub async fn anonymised(tx: &mut PgConnection, kind: &str, id: Uuid) -> sqlx::Result<Option<bool>> {
    sqlx::query_scalar!(
        r#"SELECT anonymised_at IS NOT NULL AS "erased!" FROM child WHERE $1 = 'child' AND id = $2
           UNION ALL
           SELECT anonymised_at IS NOT NULL FROM volunteer WHERE $1 = 'volunteer' AND id = $2"#,
        kind,
        id
    )
    .fetch_optional(tx)
    .await
}
