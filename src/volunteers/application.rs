//! A volunteer who applies herself, on a station's public page: she becomes a volunteer in
//! `applied` at the station, unless her mobile number is already known — then nothing is
//! written, and she is told the same as anyone (nothing reveals whether the number was known).
//! The station's manager sees her among the new applicants until she is screened.

use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::audit::{self, Action, Entry};
use crate::auth::Scope;
use crate::domain::Phone;
use crate::web::error::AppError;

/// An applicant still in `applied` this many months after she applied is erased by the
/// retention run (she was told so when she applied).
pub const KEEP_MONTHS: u16 = 12;

/// The times an applicant can give, as the form offers them.
pub const AVAILABLE: &[&str] = &["weekday_daytime", "weekday_evening", "weekend", "holidays"];

/// A checked application.
#[derive(Debug, Clone)]
pub struct Application {
    pub name: String,
    pub phone: Phone,
    /// Her township (in the station's county).
    pub region_code: String,
    pub station_id: Uuid,
    /// As typed, or the known skills' words.
    pub skills: Vec<String>,
    /// Words of [`AVAILABLE`].
    pub available: Vec<String>,
}

/// Records an application: her id when she is new, `None` when her number was known (nothing
/// written then). One statement, so two sent at once with one number write one volunteer.
pub async fn apply(db: &PgPool, a: &Application) -> Result<Option<Uuid>, AppError> {
    let mut tx = db.begin().await?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO volunteer (name, phone, region_code, station_id, skills, available, status,
                                  applied_online_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'applied', now())
           ON CONFLICT ON CONSTRAINT volunteer_phone_key DO NOTHING
           RETURNING id"#,
        a.name,
        a.phone.as_str(),
        a.region_code,
        a.station_id,
        &a.skills,
        &a.available
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = id {
        audit::record(
            &mut *tx,
            Entry::system(Action::Create, "volunteer", Some(id))
                .with_detail(serde_json::json!({ "source": "application" })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// A new applicant, as the manager's alert lists her.
#[derive(Debug, Clone, Serialize)]
pub struct Applicant {
    pub id: Uuid,
    pub name: String,
    pub station_name: String,
    pub applied_online_at: time::OffsetDateTime,
}

/// The applicants still in `applied` at the stations within `scope`, newest first (at most
/// `limit`), and how many there are.
pub async fn new_applicants(
    db: &PgPool,
    scope: &Scope,
    limit: i64,
) -> Result<(Vec<Applicant>, i64), AppError> {
    let (region_like, station_ids) = (scope.region_like(), scope.station_ids());
    let rows = sqlx::query!(
        r#"SELECT v.id, v.name, s.name AS station_name,
                  v.applied_online_at AS "applied_online_at!", count(*) OVER () AS "total!"
           FROM volunteer v JOIN station s ON s.id = v.station_id
           WHERE v.status = 'applied' AND v.applied_online_at IS NOT NULL
             AND ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR v.station_id = ANY($2))
           ORDER BY v.applied_online_at DESC, v.id
           LIMIT $3"#,
        region_like,
        station_ids.map(<[Uuid]>::to_vec) as Option<Vec<Uuid>>,
        limit
    )
    .fetch_all(db)
    .await?;
    let total = rows.first().map_or(0, |r| r.total);
    Ok((
        rows.into_iter()
            .map(|r| Applicant {
                id: r.id,
                name: r.name,
                station_name: r.station_name,
                applied_online_at: r.applied_online_at,
            })
            .collect(),
        total,
    ))
}
