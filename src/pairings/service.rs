//! The rules and transactions of this area: what its pages and API call.

use super::{model, store};
use std::net::IpAddr;

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::model::{CloseInput, NewPairing, Pairing, PairingInput, PairingStatus};
use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::children::model::Need;
use crate::i18n::Lang;
use crate::volunteers::model::VolunteerStatus;
use crate::web::error::{AppError, FieldError, FieldErrors};

/// A field error on `field` for a refused pairing, with the rule's code.
fn refused(conflict: bool, code: &'static str, field: &str, error: FieldError) -> AppError {
    let fields = FieldErrors::from([(field.to_owned(), error)]);
    if conflict {
        AppError::Conflict { code, fields }
    } else {
        AppError::Unprocessable { code, fields }
    }
}

/// Checks every guard of `new` under locks and writes it; the caller owns the transaction.
async fn pair_in(
    tx: &mut PgConnection,
    user: &CurrentUser,
    new: &NewPairing,
    station: Option<Uuid>,
) -> Result<Uuid, AppError> {
    let unknown = |field: &str| {
        AppError::validation(FieldErrors::from([(
            field.to_owned(),
            FieldError::new(model::unknown_key(field)),
        )]))
    };
    let child = store::lock_child(tx, &user.scope, new.child_id)
        .await?
        .ok_or_else(|| unknown("child_id"))?;
    if station.is_some_and(|s| s != child.station_id) {
        return Err(refused(
            false,
            "child_not_at_station",
            "child_id",
            FieldError::new("error.child_not_at_station_named").with("name", &child.name),
        ));
    }
    if child.exited {
        return Err(refused(
            false,
            "child_exited",
            "child_id",
            FieldError::new("error.child_exited_named").with("name", &child.name),
        ));
    }
    if let Some(partner) = store::active_partner(tx, new.child_id).await? {
        return Err(refused(
            true,
            "child_already_paired",
            "child_id",
            FieldError::new("error.child_paired_with")
                .with("name", &child.name)
                .with("volunteer", partner),
        ));
    }
    let volunteer = store::lock_volunteer(tx, &user.scope, new.volunteer_id)
        .await?
        .ok_or_else(|| unknown("volunteer_id"))?;
    if volunteer.status != VolunteerStatus::Active {
        return Err(refused(
            false,
            "volunteer_not_active",
            "volunteer_id",
            FieldError::new("error.volunteer_not_active_named").with("name", &volunteer.name),
        ));
    }
    if volunteer.paired >= i64::from(volunteer.capacity) {
        return Err(refused(
            true,
            "volunteer_at_capacity",
            "volunteer_id",
            FieldError::new("error.volunteer_full_named")
                .with("name", &volunteer.name)
                .with("capacity", volunteer.capacity),
        ));
    }
    if !crate::children::service::has_current_consent(
        &mut *tx,
        new.child_id,
        crate::children::model::ConsentScope::Pairing,
        new.started_on,
    )
    .await?
    {
        return Err(refused(
            false,
            "consent_missing",
            "child_id",
            FieldError::new("error.consent_missing_named").with("name", &child.name),
        ));
    }
    if let Some(activity) = new.first_activity_id {
        match store::activity_at(tx, activity, child.station_id).await? {
            None => return Err(unknown("first_activity_id")),
            Some((false, _)) => {
                return Err(AppError::validation(FieldErrors::from([(
                    "first_activity_id".to_owned(),
                    FieldError::new("error.activity_not_ice_breaking"),
                )])));
            }
            Some((true, held_on)) if held_on > new.started_on => {
                return Err(AppError::validation(FieldErrors::from([(
                    "first_activity_id".to_owned(),
                    FieldError::new("error.activity_after_start"),
                )])));
            }
            Some(_) => {}
        }
    }
    Ok(store::insert(tx, new, child.station_id, user.id).await?)
}

/// Records a new pairing in the audit log.
async fn audit_created(
    tx: &mut PgConnection,
    user: &CurrentUser,
    id: Uuid,
    new: &NewPairing,
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Create, "pairing", Some(id), ip).with_detail(serde_json::json!({
            "child_id": new.child_id,
            "volunteer_id": new.volunteer_id,
        })),
    )
    .await?;
    Ok(())
}

/// Pairs a child with a volunteer.
#[tracing::instrument(skip_all)]
pub async fn create(
    db: &PgPool,
    user: &CurrentUser,
    input: &PairingInput,
    ip: Option<IpAddr>,
    check_in_days: u16,
) -> Result<Pairing, AppError> {
    let new = input.validate().map_err(AppError::validation)?;
    let mut tx = db.begin().await?;
    let id = pair_in(&mut tx, user, &new, None).await?;
    audit_created(&mut tx, user, id, &new, ip).await?;
    tx.commit().await?;
    let today = crate::domain::today();
    store::find(db, &user.scope, id, today, check_in_days)
        .await?
        .ok_or(AppError::NotFound)
}

/// Several pairs from one station's event, confirmed together.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct BatchInput {
    /// The station every child belongs to.
    pub station_id: Option<String>,
    /// The ice-breaking event where they met, if any.
    pub activity_id: Option<String>,
    /// First day of every pairing (default today).
    pub started_on: Option<String>,
    /// When the agreements were signed.
    pub agreement_signed_on: Option<String>,
    /// The pairs.
    pub pairs: Vec<BatchPair>,
}

/// One pair of a batch.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct BatchPair {
    /// The child.
    pub child_id: Option<String>,
    /// The volunteer.
    pub volunteer_id: Option<String>,
}

/// Pairs every pair of the batch, or none: each refused pair is explained under `pairs.N`
/// (N counting from 1), and nothing is written unless all are good.
#[tracing::instrument(skip_all)]
pub async fn batch(
    db: &PgPool,
    user: &CurrentUser,
    input: &BatchInput,
    ip: Option<IpAddr>,
) -> Result<Vec<Uuid>, AppError> {
    let mut fields = FieldErrors::new();
    let station = match input.station_id.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Uuid::parse_str(s).ok(),
        _ => None,
    };
    if station.is_none() {
        fields.insert(
            "station_id".into(),
            FieldError::new("error.station_unknown"),
        );
    }
    if input.pairs.is_empty() {
        fields.insert("pairs".into(), FieldError::new("error.no_pairs"));
    }
    let mut news = Vec::new();
    for (i, pair) in input.pairs.iter().enumerate() {
        let one = PairingInput {
            child_id: pair.child_id.clone(),
            volunteer_id: pair.volunteer_id.clone(),
            started_on: input.started_on.clone(),
            agreement_signed_on: input.agreement_signed_on.clone(),
            first_activity_id: input.activity_id.clone(),
        };
        match one.validate() {
            Ok(new) => news.push((i, new)),
            Err(errors) => {
                for (field, e) in errors {
                    let key = match field.as_str() {
                        "child_id" | "volunteer_id" => format!("pairs.{}", i + 1),
                        _ => field,
                    };
                    fields.entry(key).or_insert(e);
                }
            }
        }
    }
    if !fields.is_empty() {
        return Err(AppError::validation(fields));
    }

    let mut tx = db.begin().await?;
    // Lock every child, then every volunteer, each in id order, before any check: batches
    // and single pairings (child, then volunteer) then never wait on each other in a circle.
    let mut children: Vec<Uuid> = news.iter().map(|(_, n)| n.child_id).collect();
    let mut volunteers: Vec<Uuid> = news.iter().map(|(_, n)| n.volunteer_id).collect();
    children.sort();
    children.dedup();
    volunteers.sort();
    volunteers.dedup();
    for child in children {
        store::lock_child(&mut tx, &user.scope, child).await?;
    }
    for volunteer in volunteers {
        store::lock_volunteer(&mut tx, &user.scope, volunteer).await?;
    }
    let mut ids = Vec::new();
    let mut refusals = FieldErrors::new();
    for (i, new) in &news {
        let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
        match pair_in(&mut savepoint, user, new, station).await {
            Ok(id) => {
                savepoint.commit().await?;
                audit_created(&mut tx, user, id, new, ip).await?;
                ids.push(id);
            }
            Err(e) => {
                savepoint.rollback().await?;
                refusals.insert(format!("pairs.{}", i + 1), explanation(&e));
            }
        }
    }
    if !refusals.is_empty() {
        tx.rollback().await?;
        return Err(AppError::Unprocessable {
            code: "pairs_refused",
            fields: refusals,
        });
    }
    tx.commit().await?;
    Ok(ids)
}

/// The field message of a refused pairing (or its code's message when it carries none).
fn explanation(e: &AppError) -> FieldError {
    match e {
        AppError::Conflict { fields, code } | AppError::Unprocessable { fields, code } => fields
            .values()
            .next()
            .cloned()
            .unwrap_or_else(|| FieldError::new(code_key(code))),
        _ => FieldError::new("error.internal_error"),
    }
}

/// The message key of a pairing rule's code.
fn code_key(code: &str) -> &'static str {
    match code {
        "child_already_paired" => "error.child_already_paired",
        "volunteer_at_capacity" => "error.volunteer_at_capacity",
        "volunteer_not_active" => "error.volunteer_not_active",
        "consent_missing" => "error.consent_missing",
        "child_exited" => "error.child_exited",
        _ => "error.validation_failed",
    }
}

/// Closes a pairing; the child returns to waiting for a pairing.
#[tracing::instrument(skip_all)]
pub async fn close(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    input: &CloseInput,
    ip: Option<IpAddr>,
    check_in_days: u16,
) -> Result<Pairing, AppError> {
    let today = crate::domain::today();
    let mut tx = db.begin().await?;
    // Out of scope is 404 whatever the input: nobody learns a pairing exists by a 422.
    let (status, started_on, version) = store::lock_active(&mut tx, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let closing = input.validate().map_err(AppError::validation)?;
    let current = || async {
        let current = store::find(db, &user.scope, id, today, check_in_days).await?;
        Ok::<_, AppError>(serde_json::to_value(current).unwrap_or_default())
    };
    if version != closing.version {
        tx.rollback().await?;
        return Err(AppError::Stale {
            current: current().await?,
        });
    }
    if status == PairingStatus::Closed {
        return Err(AppError::conflict("pairing_closed"));
    }
    if closing.ended_on < started_on {
        return Err(AppError::validation(FieldErrors::from([(
            "ended_on".to_owned(),
            FieldError::new("error.ended_before_start"),
        )])));
    }
    store::close(&mut tx, id, &closing).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "pairing", Some(id), ip).with_detail(serde_json::json!({
            "fields": ["status", "ended_on", "closure_reason", "closure_note"],
            "closure_reason": closing.reason.as_str(),
        })),
    )
    .await?;
    tx.commit().await?;
    store::find(db, &user.scope, id, today, check_in_days)
        .await?
        .ok_or(AppError::NotFound)
}

/// A pairing in the caller's scope.
pub async fn find(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    check_in_days: u16,
) -> Result<Pairing, AppError> {
    store::find(db, &user.scope, id, crate::domain::today(), check_in_days)
        .await?
        .ok_or(AppError::NotFound)
}

/// Every pairing of a child, newest first, for the child's page (the caller has loaded the
/// child within scope).
pub async fn of_child(
    db: &PgPool,
    child: Uuid,
    check_in_days: u16,
) -> Result<Vec<Pairing>, AppError> {
    Ok(store::of_child(db, child, crate::domain::today(), check_in_days).await?)
}

/// Every pairing of a volunteer, newest first, for her page (the caller has loaded her within
/// scope).
pub async fn of_volunteer(
    db: &PgPool,
    volunteer: Uuid,
    check_in_days: u16,
) -> Result<Vec<Pairing>, AppError> {
    Ok(store::of_volunteer(db, volunteer, crate::domain::today(), check_in_days).await?)
}

/// How near a volunteer serves to a child's station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Proximity {
    /// Outside the county.
    Elsewhere,
    /// In the same county.
    SameCounty,
    /// In the same township (乡镇/街道).
    SameTownship,
    /// At the child's station.
    SameStation,
}

impl Proximity {
    fn label_key(self) -> &'static str {
        match self {
            Proximity::SameStation => "match.same_station",
            Proximity::SameTownship => "match.same_township",
            Proximity::SameCounty => "match.same_county",
            Proximity::Elsewhere => "match.elsewhere",
        }
    }

    fn weight(self) -> i32 {
        match self {
            Proximity::SameStation => 300,
            Proximity::SameTownship => 200,
            Proximity::SameCounty => 100,
            Proximity::Elsewhere => 0,
        }
    }
}

/// Skill tags (in part) that serve each need: a skill fits when it contains one of them.
const NEED_SKILLS: &[(Need, &[&str])] = &[
    (Need::Academic, &["学业", "辅导", "教", "阅读", "作业"]),
    (Need::Emotional, &["心理", "谈心", "情感", "陪伴"]),
    (Need::Behavioural, &["心理", "行为", "教"]),
    (Need::Safety, &["安全", "法律", "普法", "医疗", "护理"]),
    (
        Need::Companionship,
        &[
            "陪伴", "文艺", "非遗", "手工", "体育", "故事", "阅读", "音乐", "舞蹈",
        ],
    ),
];

/// The volunteer's skills that serve the child's needs, and how many of the needs they serve.
pub fn fitting_skills(needs: &[Need], skills: &[String]) -> (Vec<String>, usize) {
    let fits = |need: Need, skill: &str| {
        NEED_SKILLS
            .iter()
            .filter(|(n, _)| *n == need)
            .any(|(_, words)| words.iter().any(|w| skill.contains(w)))
    };
    let fitting: Vec<String> = skills
        .iter()
        .filter(|s| needs.iter().any(|n| fits(*n, s)))
        .cloned()
        .collect();
    let needs_met = needs
        .iter()
        .filter(|n| skills.iter().any(|s| fits(**n, s)))
        .count();
    (fitting, needs_met)
}

/// A volunteer suggested for a child, with why she ranks where she does.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Suggestion {
    /// The volunteer.
    pub volunteer_id: Uuid,
    /// Her name.
    pub name: String,
    /// Her station.
    pub station_id: Option<Uuid>,
    /// Its name.
    pub station_name: Option<String>,
    /// How near she serves.
    pub proximity: Proximity,
    /// Her skills that serve the child's needs.
    pub fitting_skills: Vec<String>,
    /// Children paired with her now.
    pub active_pairings: i64,
    /// Children she may take.
    pub capacity: i16,
    /// Rank score: nearness first, then fitting skills, then free places.
    pub score: i32,
    /// Whether she may be paired with this child now.
    pub eligible: bool,
    /// Why she ranks here, or why she cannot be paired (codes).
    pub reasons: Vec<&'static str>,
    /// The same, in words.
    pub explanation: String,
}

/// Ranked suggestions of volunteers for a child. Without `q`: eligible volunteers of the
/// station's county, best first. With `q`: every volunteer in scope of that name, eligible
/// first, the others with the reason they cannot be paired.
#[tracing::instrument(skip_all)]
pub async fn suggestions(
    db: &PgPool,
    user: &CurrentUser,
    child: &crate::children::model::Child,
    q: Option<&str>,
    lang: Lang,
) -> Result<Vec<Suggestion>, AppError> {
    let station_region = store::station_region(db, child.station_id).await?;
    let county = &station_region[..6.min(station_region.len())];
    let township = &station_region[..9.min(station_region.len())];
    let candidates = store::candidates(db, &user.scope, child.id, county, q).await?;
    let mut out: Vec<Suggestion> = candidates
        .into_iter()
        .map(|c| {
            let proximity = if c.station_id == Some(child.station_id) {
                Proximity::SameStation
            } else if c.place.starts_with(township) && township.len() == 9 {
                Proximity::SameTownship
            } else if c.place.starts_with(county) {
                Proximity::SameCounty
            } else {
                Proximity::Elsewhere
            };
            let (fitting, needs_met) = fitting_skills(&child.needs, &c.skills);
            let places_left = (i64::from(c.capacity) - c.paired).max(0);
            let mut reasons = Vec::new();
            let mut words = vec![lang.t(proximity.label_key()).to_owned()];
            if c.status != VolunteerStatus::Active {
                reasons.push("not_active");
                words.push(lang.tf(
                    "match.not_active",
                    &[("status", lang.t(c.status.label_key()))],
                ));
            }
            if c.paired_with_child {
                reasons.push("paired_with_child");
                words.push(lang.t("match.paired_with_child").to_owned());
            } else if places_left == 0 {
                reasons.push("at_capacity");
            }
            if proximity == Proximity::Elsewhere {
                reasons.push("outside_county");
            }
            let eligible = reasons.is_empty();
            reasons.insert(
                0,
                match proximity {
                    Proximity::SameStation => "same_station",
                    Proximity::SameTownship => "same_township",
                    Proximity::SameCounty => "same_county",
                    Proximity::Elsewhere => "elsewhere",
                },
            );
            if !fitting.is_empty() {
                reasons.push("skills_fit");
                words.push(lang.tf("match.skills_fit", &[("skills", &fitting.join("、"))]));
            }
            words.push(lang.tf(
                "match.load",
                &[
                    ("paired", &c.paired.to_string()),
                    ("capacity", &c.capacity.to_string()),
                ],
            ));
            Suggestion {
                volunteer_id: c.id,
                name: c.name,
                station_id: c.station_id,
                station_name: c.station_name,
                proximity,
                fitting_skills: fitting,
                active_pairings: c.paired,
                capacity: c.capacity,
                score: proximity.weight() + 20 * needs_met as i32 + 5 * places_left.min(3) as i32,
                eligible,
                reasons,
                explanation: words.join(" · "),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.eligible
            .cmp(&a.eligible)
            .then(b.score.cmp(&a.score))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skills_are_matched_to_needs_by_their_words() {
        let skills = vec![
            "学业辅导".to_owned(),
            "烹饪".to_owned(),
            "心理疏导".to_owned(),
        ];
        let (fitting, met) = fitting_skills(&[Need::Academic, Need::Emotional], &skills);
        assert_eq!(fitting, ["学业辅导", "心理疏导"]);
        assert_eq!(met, 2);
        let (fitting, met) = fitting_skills(&[Need::Safety], &skills);
        assert!(fitting.is_empty());
        assert_eq!(met, 0);
    }
}
