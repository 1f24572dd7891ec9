//! The SQL of micro-wishes. A wish is in scope when its child is: in the region, at one of the
//! manager's stations, or paired with the volunteer now.

use sqlx::PgPool;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::model::{Category, ChildRef, Claimant, Filter, ValidWish, Wish, WishStatus, Yuan};
use super::rules::Step;
use crate::auth::Scope;

/// A query over the wishes in scope that a filter selects: `$select` of them, then `$tail`.
/// The scope binds `$1`–`$3` and the filter `$4`–`$6`; `$extra` binds the tail's.
macro_rules! filtered {
    ($macro:ident, [$($record:ident)?], $select:literal, $tail:literal, $scope:expr, $f:expr $(, $extra:expr)*) => {
        sqlx::$macro!(
            $($record,)?
            $select
                + " FROM wish w JOIN child c ON c.id = w.child_id LEFT JOIN volunteer v ON v.id = w.claimed_by
           WHERE ($1::text IS NULL OR c.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR c.station_id = ANY($2))
             AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM pairing p WHERE p.child_id = c.id
                                               AND p.volunteer_id = $3 AND p.status = 'active'))
             AND ($4::uuid IS NULL OR w.child_id = $4)
             AND ($5::uuid IS NULL OR c.station_id = $5)
             AND ($6::wish_status IS NULL OR w.status = $6) "
                + $tail,
            $scope.region_like(),
            $scope.station_ids(),
            $scope.volunteer_id(),
            $f.child_id,
            $f.station_id,
            $f.status as Option<WishStatus>
            $(, $extra)*
        )
    };
}

struct Row {
    id: Uuid,
    child_id: Uuid,
    child_name: String,
    station_id: Uuid,
    text: String,
    category: Category,
    cost_fen: Option<i64>,
    status: WishStatus,
    claimed_by: Option<Uuid>,
    claimed_by_name: Option<String>,
    claimed_by_organization: Option<String>,
    claimed_on: Option<Date>,
    fulfilled_on: Option<Date>,
    fulfilment_note: Option<String>,
    version: i32,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl Row {
    fn wish(self, given_names_only: bool) -> Wish {
        Wish {
            id: self.id,
            child_id: self.child_id,
            child_name: if given_names_only {
                crate::domain::given_name(&self.child_name)
            } else {
                self.child_name
            },
            station_id: self.station_id,
            text: self.text,
            category: self.category,
            estimated_cost: self.cost_fen.map(Yuan::from_fen),
            status: self.status,
            claimed_by: self.claimed_by,
            claimed_by_name: self.claimed_by_name,
            claimed_by_organization: self.claimed_by_organization,
            claimed_on: self.claimed_on,
            fulfilled_on: self.fulfilled_on,
            fulfilment_note: self.fulfilment_note,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A page of the wishes in scope, open ones first, and their total. Volunteers see their
/// children's given names only.
pub async fn list(
    db: &PgPool,
    scope: &Scope,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Wish>, i64)> {
    let rows = filtered!(
        query_as,
        [Row],
        r#"SELECT w.id, w.child_id, c.name AS child_name, c.station_id, w.text,
                  w.category AS "category: Category", (w.estimated_cost * 100)::bigint AS cost_fen,
                  w.status AS "status: WishStatus", w.claimed_by, v.name AS "claimed_by_name?",
                  w.claimed_by_organization, w.claimed_on, w.fulfilled_on, w.fulfilment_note, w.version,
                  w.created_at, w.updated_at"#,
        "ORDER BY w.status IN ('fulfilled', 'cancelled'), w.created_at DESC, w.id
           LIMIT $7 OFFSET $8",
        scope,
        f,
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    let total = filtered!(query_scalar, [], r#"SELECT count(*) AS "n!""#, "", scope, f)
        .fetch_one(db)
        .await?;
    let volunteer = scope.volunteer_id().is_some();
    Ok((rows.into_iter().map(|r| r.wish(volunteer)).collect(), total))
}

/// One wish, if in `scope`.
pub async fn find(db: &PgPool, scope: &Scope, id: Uuid) -> sqlx::Result<Option<Wish>> {
    let row = sqlx::query_as!(
        Row,
        r#"SELECT w.id, w.child_id, c.name AS child_name, c.station_id, w.text,
                  w.category AS "category: Category", (w.estimated_cost * 100)::bigint AS cost_fen,
                  w.status AS "status: WishStatus", w.claimed_by, v.name AS "claimed_by_name?",
                  w.claimed_by_organization, w.claimed_on, w.fulfilled_on, w.fulfilment_note, w.version,
                  w.created_at, w.updated_at
           FROM wish w JOIN child c ON c.id = w.child_id LEFT JOIN volunteer v ON v.id = w.claimed_by
           WHERE w.id = $4
             AND ($1::text IS NULL OR c.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR c.station_id = ANY($2))
             AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM pairing p WHERE p.child_id = c.id
                                               AND p.volunteer_id = $3 AND p.status = 'active'))"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| r.wish(scope.volunteer_id().is_some())))
}

/// The child, if in `scope` — her name as the caller may see it, her station, and whether she
/// has left the programme — read with the scope the wishes' own queries use.
pub async fn child(db: &PgPool, scope: &Scope, id: Uuid) -> sqlx::Result<Option<ChildRef>> {
    let row = sqlx::query!(
        r#"SELECT c.id, c.name, c.station_id, s.name AS station_name, c.status = 'exited' AS "exited!"
           FROM child c JOIN station s ON s.id = c.station_id
           WHERE c.id = $4
             AND ($1::text IS NULL OR c.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR c.station_id = ANY($2))
             AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM pairing p WHERE p.child_id = c.id
                                               AND p.volunteer_id = $3 AND p.status = 'active'))"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        id
    )
    .fetch_optional(db)
    .await?;
    let volunteer = scope.volunteer_id().is_some();
    Ok(row.map(|r| ChildRef {
        id: r.id,
        name: if volunteer {
            crate::domain::given_name(&r.name)
        } else {
            r.name
        },
        station_id: r.station_id,
        station_name: r.station_name,
        exited: r.exited,
    }))
}

/// Posts a wish; returns its id.
pub async fn insert(
    tx: &mut sqlx::PgConnection,
    child: Uuid,
    w: &ValidWish,
    created_by: Uuid,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        r#"INSERT INTO wish (child_id, text, category, estimated_cost, created_by)
           VALUES ($1, $2, $3, $4::bigint / 100.0, $5) RETURNING id"#,
        child,
        w.text,
        w.category as Category,
        w.estimated_cost.map(|y| y.fen()),
        created_by
    )
    .fetch_one(&mut *tx)
    .await
}

/// Claims a wish (at `version`, when given); `false` when its status does not allow the
/// claim any more or the version is stale.
pub async fn claim(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    version: Option<i32>,
    by: &Claimant,
    on: Date,
) -> sqlx::Result<bool> {
    let (volunteer, organization) = match by {
        Claimant::Volunteer(v) => (Some(*v), None),
        Claimant::Organization(o) => (None, Some(o.as_str())),
    };
    let done = sqlx::query!(
        r#"UPDATE wish SET status = 'claimed', claimed_by = $4, claimed_by_organization = $5, claimed_on = $6
           WHERE id = $1 AND status = ANY($3) AND ($2::int IS NULL OR version = $2)"#,
        id,
        version,
        Step::Claim.from() as &[WishStatus],
        volunteer,
        organization,
        on
    )
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the fulfilment of a wish; `false` when its status does not allow it or the version
/// is stale.
pub async fn fulfil(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    version: Option<i32>,
    on: Date,
    note: Option<&str>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"UPDATE wish SET status = 'fulfilled', fulfilled_on = $4, fulfilment_note = $5
           WHERE id = $1 AND status = ANY($3) AND ($2::int IS NULL OR version = $2)"#,
        id,
        version,
        Step::Fulfil.from() as &[WishStatus],
        on,
        note
    )
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Cancels a wish; `false` when its status does not allow it or the version is stale.
pub async fn cancel(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    version: Option<i32>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"UPDATE wish SET status = 'cancelled'
           WHERE id = $1 AND status = ANY($3) AND ($2::int IS NULL OR version = $2)"#,
        id,
        version,
        Step::Cancel.from() as &[WishStatus]
    )
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
