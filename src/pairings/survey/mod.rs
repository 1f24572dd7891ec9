//! Relationship quality (结对关系问卷): five statements about the pairing, each answered 1–5
//! (1 很不同意 … 5 很同意). The volunteer answers them about herself and the child three months
//! into the pairing and then every twelve months (`rule::volunteer_due`); staff or the station's
//! manager record the guardian's answers, often at a check-in. The pairing's page shows each
//! survey's score over time and raises an alert on a sharp drop (`rule::is_drop`), which the
//! pairing's row keeps for figures (`relationship_score`, `relationship_drop`).

mod model;
pub mod rule;

pub use model::{
    Answers, DueNow, QUESTIONS, Survey, SurveyForm, SurveyInput, SurveyRespondent, Surveys,
    ValidSurvey,
};

use std::net::IpAddr;

use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use self::rule::Due;
use crate::audit::{self, Action, Entry};
use crate::auth::{CurrentUser, Role, Scope};
use crate::domain;
use crate::domain::pairing::PairingStatus;
use crate::web::error::AppError;

/// A pairing's surveys and their trend, if the caller reaches the pairing. A volunteer sees her
/// own answers only.
pub async fn of_pairing(
    db: &PgPool,
    user: &CurrentUser,
    pairing: Uuid,
) -> Result<Surveys, AppError> {
    let facts = pairing_facts(db, &user.scope, pairing)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut items = surveys(db, pairing).await?;
    if user.role == Role::Volunteer {
        items.retain(|s| s.respondent == SurveyRespondent::Volunteer);
    }
    Ok(Surveys::of(items, facts, domain::today()))
}

/// Records a survey on an active pairing in the caller's scope (audited). A volunteer answers
/// as herself only (403 for the guardian's); staff and managers record either.
pub async fn create(
    db: &PgPool,
    user: &CurrentUser,
    pairing: Uuid,
    input: &SurveyInput,
    ip: Option<IpAddr>,
) -> Result<Survey, AppError> {
    let (status, started_on) = pairing_facts(db, &user.scope, pairing)
        .await?
        .ok_or(AppError::NotFound)?;
    if user.role == Role::Volunteer && input.respondent() == Some(SurveyRespondent::Guardian) {
        return Err(super::rules::SURVEY_AS_GUARDIAN.error());
    }
    let valid = input.validate().map_err(AppError::validation)?;
    if status != PairingStatus::Active {
        return Err(super::rules::SURVEY_CLOSED.error());
    }
    let at_check_in = match valid.check_in_id {
        None => None,
        Some(id) => Some(
            check_in_day(db, pairing, id, valid.respondent)
                .await?
                .ok_or_else(|| super::rules::SURVEY_CHECK_IN.error())?,
        ),
    };
    let answered_on = valid
        .answered_on
        .or(at_check_in)
        .unwrap_or_else(domain::today);
    if answered_on < started_on {
        return Err(super::rules::SURVEY_BEFORE_PAIRING.error());
    }
    let mut tx = db.begin().await?;
    let id = insert_survey(&mut tx, pairing, &valid, answered_on, user.id).await?;
    // The answers are the child's personal data: the trail says who recorded whose, not what.
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Create, "survey", Some(id), ip).with_detail(serde_json::json!({
            "pairing_id": pairing,
            "respondent": valid.respondent.as_str(),
            "check_in_id": valid.check_in_id,
        })),
    )
    .await?;
    tx.commit().await?;
    survey(db, id).await?.ok_or(AppError::NotFound)
}

/// When the volunteer's survey falls due on each of these pairings (id, first day), as of
/// `today`: for her portal.
pub async fn volunteer_dues(
    db: &PgPool,
    pairings: &[(Uuid, Date)],
    today: Date,
) -> Result<Vec<(Uuid, Due)>, AppError> {
    let ids: Vec<Uuid> = pairings.iter().map(|(id, _)| *id).collect();
    let last = last_volunteer_surveys(db, &ids).await?;
    Ok(pairings
        .iter()
        .map(|(id, started_on)| {
            let answered = last.iter().find(|(p, _)| p == id).map(|(_, d)| *d);
            (*id, rule::volunteer_due(*started_on, answered, today))
        })
        .collect())
}

// The SQL of surveys.

/// A pairing in the caller's scope (a volunteer's: her active pairing): its status and first day.
async fn pairing_facts(
    db: &PgPool,
    scope: &Scope,
    id: Uuid,
) -> sqlx::Result<Option<(PairingStatus, Date)>> {
    Ok(sqlx::query!(
        r#"SELECT p.status AS "status: PairingStatus", p.started_on
           FROM pairing p JOIN station s ON s.id = p.station_id
           WHERE p.id = $1
             AND ($2::text IS NULL OR s.region_code LIKE $2)
             AND ($3::uuid[] IS NULL OR p.station_id = ANY($3))
             AND ($4::uuid IS NULL OR (p.volunteer_id = $4 AND p.status = 'active'))"#,
        id,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id()
    )
    .fetch_optional(db)
    .await?
    .map(|r| (r.status, r.started_on)))
}

/// The day of a check-in of `pairing` held with `respondent`, if there is one.
async fn check_in_day(
    db: &PgPool,
    pairing: Uuid,
    id: Uuid,
    respondent: SurveyRespondent,
) -> sqlx::Result<Option<Date>> {
    sqlx::query_scalar!(
        "SELECT held_on FROM check_in
         WHERE id = $1 AND pairing_id = $2 AND held_with::text = $3",
        id,
        pairing,
        respondent.as_str()
    )
    .fetch_optional(db)
    .await
}

/// A row of `survey` with its recorder's name.
struct Row {
    id: Uuid,
    pairing_id: Uuid,
    respondent: SurveyRespondent,
    trust: i16,
    enjoy: i16,
    talks: i16,
    support: i16,
    change: i16,
    answered_on: Date,
    check_in_id: Option<Uuid>,
    recorded_by: Option<String>,
    created_at: OffsetDateTime,
}

impl From<Row> for Survey {
    fn from(r: Row) -> Survey {
        let answers = Answers::from_list([r.trust, r.enjoy, r.talks, r.support, r.change]);
        Survey {
            id: r.id,
            pairing_id: r.pairing_id,
            respondent: r.respondent,
            score: answers.score(),
            answers,
            answered_on: r.answered_on,
            check_in_id: r.check_in_id,
            recorded_by: r.recorded_by,
            created_at: r.created_at,
        }
    }
}

/// A pairing's surveys, the latest first (as `survey_rollup` orders them).
async fn surveys(db: &PgPool, pairing: Uuid) -> sqlx::Result<Vec<Survey>> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT s.id, s.pairing_id, s.respondent AS "respondent: SurveyRespondent",
                  s.trust, s.enjoy, s.talks, s.support, s.change, s.answered_on, s.check_in_id,
                  u.display_name AS "recorded_by?", s.created_at
           FROM survey s LEFT JOIN app_user u ON u.id = s.created_by
           WHERE s.pairing_id = $1
           ORDER BY s.answered_on DESC, s.created_at DESC, s.id DESC"#,
        pairing
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Survey::from).collect())
}

/// One survey.
async fn survey(db: &PgPool, id: Uuid) -> sqlx::Result<Option<Survey>> {
    let row = sqlx::query_as!(
        Row,
        r#"SELECT s.id, s.pairing_id, s.respondent AS "respondent: SurveyRespondent",
                  s.trust, s.enjoy, s.talks, s.support, s.change, s.answered_on, s.check_in_id,
                  u.display_name AS "recorded_by?", s.created_at
           FROM survey s LEFT JOIN app_user u ON u.id = s.created_by
           WHERE s.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(Survey::from))
}

/// The day of the volunteer's last survey on each of these pairings that has one.
async fn last_volunteer_surveys(db: &PgPool, pairings: &[Uuid]) -> sqlx::Result<Vec<(Uuid, Date)>> {
    Ok(sqlx::query!(
        r#"SELECT pairing_id, max(answered_on) AS "last!"
           FROM survey WHERE pairing_id = ANY($1) AND respondent = 'volunteer'
           GROUP BY pairing_id"#,
        pairings
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.pairing_id, r.last))
    .collect())
}

/// Writes a survey.
async fn insert_survey(
    tx: &mut PgConnection,
    pairing: Uuid,
    s: &ValidSurvey,
    answered_on: Date,
    by: Uuid,
) -> sqlx::Result<Uuid> {
    let a = s.answers;
    sqlx::query_scalar!(
        "INSERT INTO survey (pairing_id, respondent, trust, enjoy, talks, support, change,
                             answered_on, check_in_id, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        pairing,
        s.respondent as SurveyRespondent,
        a.trust,
        a.enjoy,
        a.talks,
        a.support,
        a.change,
        answered_on,
        s.check_in_id,
        by
    )
    .fetch_one(tx)
    .await
}
