//! What a volunteer's portal reads: her active pairings with just enough of each child, the
//! guardians' phones that were agreed to be shared, open micro-wishes, the station's week, and
//! the replies to her entries.
//! Everything is keyed by her volunteer id, never by an id she sends. The portal has no table
//! of its own: these are display reads across the areas below it.

use sqlx::PgPool;
use sqlx::types::Json;
use time::Date;
use uuid::Uuid;

use crate::children::model::{Need, Relation};
use crate::contacts::model::{ConcernCategory, ContactMode};
use crate::stations::model::Slot;

/// One active pairing of the volunteer, with the child and the station it shows.
#[derive(Debug, Clone)]
pub struct PairingRow {
    pub pairing_id: Uuid,
    pub started_on: Date,
    pub last_contact_on: Option<Date>,
    /// When her next contact and home visit fall due under the standard.
    pub contact_due_on: Option<Date>,
    pub home_visit_due_on: Option<Date>,
    pub unreached_streak: i32,
    pub child_id: Uuid,
    /// The child's full name (the portal shows the given name only).
    pub child_name: String,
    pub birth_date: Date,
    pub school: Option<String>,
    pub grade: Option<String>,
    pub needs: Vec<Need>,
    pub station_id: Uuid,
    pub station_name: String,
    /// Its planned week.
    pub schedule: Json<Vec<Slot>>,
}

/// The volunteer's active pairings, oldest first.
pub async fn active_pairings(db: &PgPool, volunteer: Uuid) -> sqlx::Result<Vec<PairingRow>> {
    sqlx::query_as!(
        PairingRow,
        r#"SELECT p.id AS pairing_id, p.started_on, p.last_contact_on, p.contact_due_on,
                  p.home_visit_due_on, p.unreached_streak, c.id AS child_id,
                  c.name AS child_name, c.birth_date, c.school, c.grade, c.needs AS "needs: Vec<Need>",
                  s.id AS station_id, s.name AS station_name, s.schedule AS "schedule: Json<Vec<Slot>>"
           FROM pairing p
           JOIN child c ON c.id = p.child_id
           JOIN station s ON s.id = p.station_id
           WHERE p.volunteer_id = $1 AND p.status = 'active'
           ORDER BY p.started_on, p.created_at, p.id"#,
        volunteer
    )
    .fetch_all(db)
    .await
}

/// A guardian's phone that the guardian agreed to share with the paired volunteer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SharedContact {
    #[serde(skip)]
    pub child_id: Uuid,
    /// How the guardian is related to the child.
    pub relation: Relation,
    pub phone: String,
}

/// The shared guardian phones of these children.
pub async fn shared_contacts(db: &PgPool, children: &[Uuid]) -> sqlx::Result<Vec<SharedContact>> {
    sqlx::query_as!(
        SharedContact,
        r#"SELECT child_id, relation AS "relation: Relation", phone AS "phone!"
           FROM guardian
           WHERE child_id = ANY($1) AND share_contact_with_volunteer AND phone IS NOT NULL
             AND removed_on IS NULL
           ORDER BY created_at"#,
        children
    )
    .fetch_all(db)
    .await
}

/// An open micro-wish of one of her children.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OpenWish {
    pub id: Uuid,
    #[serde(skip)]
    pub child_id: Uuid,
    pub text: String,
    /// `posted` or `claimed`.
    pub status: String,
}

/// The posted or claimed wishes of these children.
pub async fn open_wishes(db: &PgPool, children: &[Uuid]) -> sqlx::Result<Vec<OpenWish>> {
    sqlx::query_as!(
        OpenWish,
        r#"SELECT id, child_id, text, status::text AS "status!"
           FROM wish WHERE child_id = ANY($1) AND status IN ('posted', 'claimed')
           ORDER BY created_at"#,
        children
    )
    .fetch_all(db)
    .await
}

/// A reply to an entry of hers: a concern she raised, resolved, or a follow-up on one of her
/// contacts, done.
#[derive(Debug, Clone)]
pub struct ReplyRow {
    pub pairing_id: Uuid,
    /// The child's full name (the portal shows the given name only).
    pub child_name: String,
    /// Her entry: its day and how it was made.
    pub contacted_on: Date,
    pub mode: ContactMode,
    /// The concern she raised, when the reply answers it.
    pub concern: Option<ConcernCategory>,
    /// The reply, and when it came.
    pub reply: String,
    pub replied_at: time::OffsetDateTime,
}

/// The latest replies to her entries on her active pairings, the newest first.
pub async fn replies(db: &PgPool, volunteer: Uuid, limit: i64) -> sqlx::Result<Vec<ReplyRow>> {
    sqlx::query_as!(
        ReplyRow,
        r#"SELECT r.pairing_id AS "pairing_id!", r.child_name AS "child_name!",
                  r.contacted_on AS "contacted_on!", r.mode AS "mode!: ContactMode",
                  r.concern AS "concern: ConcernCategory", r.reply AS "reply!",
                  r.replied_at AS "replied_at!"
           FROM (
               SELECT p.id AS pairing_id, c.name AS child_name, k.contacted_on, k.mode,
                      k.concern_category AS concern, k.concern_resolution AS reply,
                      k.concern_resolved_at AS replied_at
               FROM contact k JOIN pairing p ON p.id = k.pairing_id
               JOIN child c ON c.id = p.child_id
               WHERE p.volunteer_id = $1 AND p.status = 'active'
                 AND k.concern_resolved_at IS NOT NULL
               UNION ALL
               SELECT p.id, c.name, k.contacted_on, k.mode, NULL, f.done_note, f.done_at
               FROM follow_up f JOIN contact k ON k.id = f.contact_id
               JOIN pairing p ON p.id = f.pairing_id
               JOIN child c ON c.id = p.child_id
               WHERE p.volunteer_id = $1 AND p.status = 'active' AND f.done_at IS NOT NULL
           ) r
           ORDER BY r.replied_at DESC
           LIMIT $2"#,
        volunteer,
        limit
    )
    .fetch_all(db)
    .await
}
