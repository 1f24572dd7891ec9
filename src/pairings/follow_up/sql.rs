//! The SQL of follow-ups. Every read takes the caller's scope, applied to the pairing's
//! station and volunteer as the pairings' own queries apply it.

use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::model::{Filter, FollowUp, FollowUpStatus, ValidFollowUp};
use crate::auth::{Role, Scope};
use crate::domain::pairing::PairingStatus;

/// A follow-up as stored, with the names it is shown with.
struct Row {
    id: Uuid,
    pairing_id: Uuid,
    contact_id: Option<Uuid>,
    check_in_id: Option<Uuid>,
    assignee_id: Uuid,
    assignee_name: String,
    action: String,
    due_on: Date,
    done_at: Option<OffsetDateTime>,
    done_note: Option<String>,
    done_by: Option<String>,
    created_by: Option<String>,
    created_at: OffsetDateTime,
    version: i32,
    child_name: String,
    volunteer_name: String,
    station_name: String,
}

impl Row {
    fn shown(self, today: Date) -> FollowUp {
        let open = self.done_at.is_none();
        FollowUp {
            id: self.id,
            pairing_id: self.pairing_id,
            contact_id: self.contact_id,
            check_in_id: self.check_in_id,
            assignee_id: self.assignee_id,
            assignee_name: self.assignee_name,
            action: self.action,
            due_on: self.due_on,
            status: if open {
                FollowUpStatus::Open
            } else {
                FollowUpStatus::Done
            },
            overdue: open && self.due_on < today,
            done_at: self.done_at,
            done_note: self.done_note,
            done_by: self.done_by,
            created_by: self.created_by,
            created_at: self.created_at,
            version: self.version,
            child_name: self.child_name,
            volunteer_name: self.volunteer_name,
            station_name: self.station_name,
        }
    }
}

/// Which follow-ups to read: one, a pairing's, or a list's filters.
pub(super) struct Select<'a> {
    pub scope: &'a Scope,
    pub id: Option<Uuid>,
    pub filter: &'a Filter,
    /// The caller, for `assignee=me`.
    pub me: Uuid,
    pub today: Date,
}

impl Select<'_> {
    fn mine(&self) -> Option<Uuid> {
        self.filter.mine.then_some(self.me)
    }

    fn status(&self) -> Option<&'static str> {
        self.filter.status.map(|s| s.as_str())
    }
}

/// A page of the follow-ups selected: the open first, by due day; then the done, the latest
/// first.
pub(super) async fn rows(
    db: &PgPool,
    s: &Select<'_>,
    (limit, offset): (i64, i64),
) -> sqlx::Result<Vec<FollowUp>> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT f.id, f.pairing_id, f.contact_id, f.check_in_id, f.assignee_id,
                  a.display_name AS assignee_name, f.action, f.due_on, f.done_at, f.done_note,
                  d.display_name AS "done_by?", u.display_name AS "created_by?", f.created_at,
                  f.version, c.name AS child_name, v.name AS volunteer_name,
                  s.name AS station_name
           FROM follow_up f
           JOIN pairing p ON p.id = f.pairing_id
           JOIN station s ON s.id = p.station_id
           JOIN child c ON c.id = p.child_id
           JOIN volunteer v ON v.id = p.volunteer_id
           JOIN app_user a ON a.id = f.assignee_id
           LEFT JOIN app_user d ON d.id = f.done_by
           LEFT JOIN app_user u ON u.id = f.created_by
           WHERE ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR p.station_id = ANY($2))
             AND ($3::uuid IS NULL OR p.volunteer_id = $3)
             AND ($4::uuid IS NULL OR f.id = $4)
             AND ($5::uuid IS NULL OR f.pairing_id = $5)
             AND ($6::uuid IS NULL OR f.assignee_id = $6)
             AND ($7::text IS NULL
                  OR ($7 = 'open' AND f.done_at IS NULL)
                  OR ($7 = 'overdue' AND f.done_at IS NULL AND f.due_on < $8)
                  OR ($7 = 'done' AND f.done_at IS NOT NULL))
           ORDER BY f.done_at IS NOT NULL, f.due_on, f.done_at DESC, f.created_at, f.id
           LIMIT $9 OFFSET $10"#,
        s.scope.region_like(),
        s.scope.station_ids(),
        s.scope.volunteer_id(),
        s.id,
        s.filter.pairing_id,
        s.mine(),
        s.status(),
        s.today,
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| r.shown(s.today)).collect())
}

/// How many follow-ups the selection holds.
pub(super) async fn count(db: &PgPool, s: &Select<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!"
           FROM follow_up f
           JOIN pairing p ON p.id = f.pairing_id
           JOIN station s ON s.id = p.station_id
           WHERE ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR p.station_id = ANY($2))
             AND ($3::uuid IS NULL OR p.volunteer_id = $3)
             AND ($4::uuid IS NULL OR f.id = $4)
             AND ($5::uuid IS NULL OR f.pairing_id = $5)
             AND ($6::uuid IS NULL OR f.assignee_id = $6)
             AND ($7::text IS NULL
                  OR ($7 = 'open' AND f.done_at IS NULL)
                  OR ($7 = 'overdue' AND f.done_at IS NULL AND f.due_on < $8)
                  OR ($7 = 'done' AND f.done_at IS NOT NULL))"#,
        s.scope.region_like(),
        s.scope.station_ids(),
        s.scope.volunteer_id(),
        s.id,
        s.filter.pairing_id,
        s.mine(),
        s.status(),
        s.today
    )
    .fetch_one(db)
    .await
}

/// The pairing a check-in was held on.
pub(super) async fn pairing_of_check_in(db: &PgPool, id: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!("SELECT pairing_id FROM check_in WHERE id = $1", id)
        .fetch_optional(db)
        .await
}

/// A pairing in the caller's scope, locked against its closing (in a transaction): its status.
pub(super) async fn lock_pairing(
    tx: impl sqlx::PgExecutor<'_>,
    scope: &Scope,
    id: Uuid,
) -> sqlx::Result<Option<PairingStatus>> {
    sqlx::query_scalar!(
        r#"SELECT p.status AS "status: PairingStatus"
           FROM pairing p JOIN station s ON s.id = p.station_id
           WHERE p.id = $1
             AND ($2::text IS NULL OR s.region_code LIKE $2)
             AND ($3::uuid[] IS NULL OR p.station_id = ANY($3))
             AND ($4::uuid IS NULL OR p.volunteer_id = $4)
           FOR SHARE OF p"#,
        id,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id()
    )
    .fetch_optional(tx)
    .await
}

/// Someone a follow-up on a pairing may be assigned to: an active staff member whose region
/// holds the pairing's station, or a manager of that station.
#[derive(Debug, Clone)]
pub struct Assignee {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    /// A staff member's region, by name.
    pub region_name: Option<String>,
}

/// Everyone a follow-up on this pairing may be assigned to: the station's managers, then staff
/// from the county up, each by name.
pub(super) async fn assignees(
    db: impl sqlx::PgExecutor<'_>,
    pairing: Uuid,
    only: Option<Uuid>,
) -> sqlx::Result<Vec<Assignee>> {
    sqlx::query_as!(
        Assignee,
        r#"SELECT u.id, u.display_name AS name, u.role AS "role: Role", r.name AS "region_name?"
           FROM pairing p
           JOIN station s ON s.id = p.station_id
           JOIN app_user u ON u.active AND (
                    (u.role = 'staff' AND s.region_code LIKE u.region_code || '%')
                 OR (u.role = 'station_manager' AND EXISTS (
                        SELECT 1 FROM user_station us
                        WHERE us.user_id = u.id AND us.station_id = p.station_id)))
           LEFT JOIN region r ON r.code = u.region_code
           WHERE p.id = $1 AND ($2::uuid IS NULL OR u.id = $2)
           ORDER BY u.role = 'staff', length(u.region_code) DESC,
                    u.display_name COLLATE zh_pinyin, u.id"#,
        pairing,
        only
    )
    .fetch_all(db)
    .await
}

/// Writes a follow-up on an entry of `pairing` (which the database takes from the entry).
pub(super) async fn insert(
    tx: &mut PgConnection,
    pairing: Uuid,
    f: &ValidFollowUp,
    (contact, check_in): (Option<Uuid>, Option<Uuid>),
    by: Uuid,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO follow_up (pairing_id, contact_id, check_in_id, assignee_id, action, due_on,
                                created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id",
        pairing,
        contact,
        check_in,
        f.assignee_id,
        f.action,
        f.due_on,
        by
    )
    .fetch_one(tx)
    .await
}

/// A follow-up in the caller's scope, locked: whether it is done, and its version.
pub(super) async fn lock(
    tx: &mut PgConnection,
    scope: &Scope,
    id: Uuid,
) -> sqlx::Result<Option<(bool, i32)>> {
    Ok(sqlx::query!(
        r#"SELECT f.done_at IS NOT NULL AS "done!", f.version
           FROM follow_up f JOIN pairing p ON p.id = f.pairing_id
           JOIN station s ON s.id = p.station_id
           WHERE f.id = $1
             AND ($2::text IS NULL OR s.region_code LIKE $2)
             AND ($3::uuid[] IS NULL OR p.station_id = ANY($3))
             AND ($4::uuid IS NULL OR p.volunteer_id = $4)
           FOR UPDATE OF f"#,
        id,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id()
    )
    .fetch_optional(tx)
    .await?
    .map(|r| (r.done, r.version)))
}

/// Marks a follow-up done with its note.
pub(super) async fn mark_done(
    tx: &mut PgConnection,
    id: Uuid,
    note: &str,
    by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE follow_up SET done_at = now(), done_note = $2, done_by = $3 WHERE id = $1",
        id,
        note,
        by
    )
    .execute(tx)
    .await?;
    Ok(())
}
