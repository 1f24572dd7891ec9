//! Pairing after an ice-breaking event: the pairs of one station confirmed together, all or
//! none, and what the batch page offers at a station.

use std::net::IpAddr;

use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use super::super::model::{BatchInput, PairingInput, WaitingChild};
use super::super::rules::{PAIR_RULES, PAIRS_REFUSED};
use super::super::{read, store};
use super::pairing::{audit_created, pair_in};
use crate::auth::CurrentUser;
use crate::volunteers::model::VolunteerStatus;
use crate::web::error::{AppError, FieldError, FieldErrors};

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
            code: PAIRS_REFUSED.code,
            fields: refusals,
        });
    }
    tx.commit().await?;
    Ok(ids)
}

/// The message of a refused pair: the one naming who and why, or, for a refusal that names
/// no one (the database's), its rule's own message.
fn explanation(e: &AppError) -> FieldError {
    match e {
        AppError::Conflict { fields, code } | AppError::Unprocessable { fields, code } => {
            fields.values().next().cloned().unwrap_or_else(|| {
                let rule = PAIR_RULES.iter().find(|r| r.code == *code);
                FieldError::new(rule.map_or("error.validation_failed", |r| r.message_key))
            })
        }
        _ => FieldError::new("error.internal_error"),
    }
}

/// A volunteer the batch page offers: active, at the station, with a place left.
#[derive(Debug, Clone)]
pub struct BatchVolunteer {
    pub id: Uuid,
    pub name: String,
    /// Places left.
    pub places: i64,
    /// Whether she came to the chosen event.
    pub came: bool,
}

/// What the batch page offers: the stations the caller may choose and, at the chosen one,
/// what can be paired there.
#[derive(Debug, Clone, Default)]
pub struct BatchChoices {
    /// The stations she may choose (id, name).
    pub stations: Vec<(Uuid, String)>,
    /// The chosen station, when it is one of them.
    pub station_id: Option<Uuid>,
    /// Its ice-breaking events, newest first.
    pub events: Vec<(Uuid, String, Date)>,
    /// The chosen event, when it is one of them.
    pub activity_id: Option<Uuid>,
    /// The children waiting there whose pairing consent is in force, each with whether she
    /// came to the event: those who came first.
    pub children: Vec<(WaitingChild, bool)>,
    /// Its volunteers who may take a child: those who came first.
    pub volunteers: Vec<BatchVolunteer>,
}

/// What the batch page offers at `station` after `activity` (both as typed; either may name
/// nothing the caller may choose).
pub async fn batch_choices(
    db: &PgPool,
    user: &CurrentUser,
    station: &str,
    activity: &str,
) -> Result<BatchChoices, AppError> {
    let stations = crate::stations::service::choices(db, &user.scope).await?;
    let Some(station) = Uuid::parse_str(station.trim())
        .ok()
        .filter(|id| stations.iter().any(|(s, _)| s == id))
    else {
        return Ok(BatchChoices {
            stations,
            ..Default::default()
        });
    };
    let events = read::ice_breakers(db, station).await?;
    let activity_id = Uuid::parse_str(activity.trim())
        .ok()
        .filter(|id| events.iter().any(|(e, ..)| e == id));
    let (came_children, came_volunteers) = match activity_id {
        Some(a) => read::attendees(db, a).await?,
        None => Default::default(),
    };
    let today = crate::domain::today();
    let (waiting, _) = read::waiting(db, &user.scope, Some(station), (500, 0), today).await?;
    let mut children: Vec<(WaitingChild, bool)> = waiting
        .into_iter()
        .filter(|c| c.has_pairing_consent)
        .map(|c| {
            let came = came_children.contains(&c.id);
            (c, came)
        })
        .collect();
    children.sort_by_key(|(_, came)| !came);
    let filter = crate::volunteers::service::Filter {
        station_id: Some(station),
        status: Some(VolunteerStatus::Active),
        ..Default::default()
    };
    let (volunteers, _) =
        crate::volunteers::service::list(db, &user.scope, &filter, 500, 0).await?;
    let mut volunteers: Vec<BatchVolunteer> = volunteers
        .into_iter()
        .map(|v| BatchVolunteer {
            came: came_volunteers.contains(&v.id),
            places: (i64::from(v.capacity) - v.active_pairings).max(0),
            id: v.id,
            name: v.name,
        })
        .filter(|v| v.places > 0)
        .collect();
    volunteers.sort_by_key(|v| !v.came);
    Ok(BatchChoices {
        stations,
        station_id: Some(station),
        events,
        activity_id,
        children,
        volunteers,
    })
}
