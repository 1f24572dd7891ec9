//! The rules and transactions of this area: what its pages and API call.

use super::{read, rules, store};
use std::collections::BTreeSet;
use std::net::IpAddr;

use sqlx::PgPool;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::model::{
    Activity, ActivityInput, ActivityPage, Attendance, Candidate, Filter, Kind, ValidActivity,
};
use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::stations::model::Station;
use crate::web::error::{AppError, FieldError, FieldErrors};

/// A page of the activities in the user's scope that `filter` selects.
pub async fn list(
    db: &PgPool,
    user: &CurrentUser,
    filter: &Filter,
    (limit, offset): (i64, i64),
) -> Result<ActivityPage, AppError> {
    Ok(store::list(db, &user.scope, filter, limit, offset).await?)
}

/// One activity in the user's scope, with who came.
pub async fn find(db: &PgPool, user: &CurrentUser, id: Uuid) -> Result<Activity, AppError> {
    let mut a = store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    (a.children, a.volunteers) = read::attendees(db, id).await?;
    Ok(a)
}

/// Whether `user` may correct `activity` now (the scope is checked by loading it).
pub fn may_edit(user: &CurrentUser, activity: &Activity) -> bool {
    rules::may_correct(
        user.role,
        activity.editable_until,
        OffsetDateTime::now_utc(),
    )
}

/// A log the user may correct now, with its station (for the correction form).
pub async fn editable(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
) -> Result<(Activity, Station), AppError> {
    let a = find(db, user, id).await?;
    if !may_edit(user, &a) {
        return Err(rules::CORRECTION_WINDOW_CLOSED.error());
    }
    let station = crate::stations::service::find(db, &user.scope, a.station_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((a, station))
}

/// Whom the quick log form offers to tick at a station: its children, then its volunteers,
/// the regulars first.
pub async fn candidates(
    db: &PgPool,
    station: Uuid,
) -> Result<(Vec<Candidate>, Vec<Candidate>), AppError> {
    Ok(tokio::try_join!(
        read::child_candidates(db, station),
        read::volunteer_candidates(db, station)
    )?)
}

/// Who came to the station's latest session for children held on or before `before` (the
/// form's "same as last time").
pub async fn last_attendance(
    db: &PgPool,
    station: Uuid,
    before: Date,
) -> Result<Attendance, AppError> {
    Ok(store::last_attendance(db, station, before).await?)
}

/// Refuses children of other stations and volunteers the user may not reach (outside the
/// scope, or withdrawn): the children's and the volunteers' areas answer.
async fn check_people(
    db: &PgPool,
    user: &CurrentUser,
    station: Uuid,
    who: &Attendance,
) -> Result<(), AppError> {
    let elsewhere = crate::children::service::not_registered_at(db, station, &who.children).await?;
    if !elsewhere.is_empty() {
        return Err(rules::CHILD_NOT_AT_STATION.error());
    }
    if !crate::volunteers::service::out_of_reach(db, &user.scope, &who.volunteers)
        .await?
        .is_empty()
    {
        return Err(AppError::validation(FieldErrors::from([(
            "volunteer_ids".to_owned(),
            FieldError::new("error.unknown_person"),
        )])));
    }
    Ok(())
}

/// Records the training of the volunteers who attended a held training on a required topic,
/// moving the screened ones to trained; each change audited.
async fn record_training(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    activity: Uuid,
    a: &ValidActivity,
    volunteers: &[Uuid],
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    let qualifies = a.kind == Kind::Training
        && a.topic.is_some_and(|t| t.is_required())
        && a.held_on <= crate::domain::today();
    if !qualifies || volunteers.is_empty() {
        return Ok(());
    }
    for (volunteer, promoted) in
        crate::volunteers::service::record_training(&mut *tx, volunteers, a.held_on).await?
    {
        let fields: &[&str] = if promoted {
            &["status", "trained_on"]
        } else {
            &["trained_on"]
        };
        audit::record(
            &mut *tx,
            Entry::by(user, Action::Update, "volunteer", Some(volunteer), ip)
                .with_detail(serde_json::json!({ "fields": fields, "activity_id": activity })),
        )
        .await?;
    }
    Ok(())
}

/// Logs an activity at a station in the user's scope, with who came.
pub async fn create(
    db: &PgPool,
    user: &CurrentUser,
    station: Uuid,
    input: &ActivityInput,
    ip: Option<IpAddr>,
) -> Result<Activity, AppError> {
    crate::stations::service::find(db, &user.scope, station)
        .await?
        .ok_or(AppError::NotFound)?;
    let a = input.validate().map_err(AppError::validation)?;
    let who = a.attendance.clone().unwrap_or_default();
    check_people(db, user, station, &who).await?;
    let mut tx = db.begin().await?;
    let id = store::insert(&mut tx, station, &a, user.id).await?;
    store::set_attendance(&mut tx, id, &who).await?;
    record_training(&mut tx, user, id, &a, &who.volunteers, ip).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Create, "activity", Some(id), ip).with_detail(serde_json::json!({
            "station_id": station,
            "children": who.children.len(),
            "volunteers": who.volunteers.len(),
        })),
    )
    .await?;
    tx.commit().await?;
    find(db, user, id).await
}

/// Corrects a log (fields left out keep their value; attendance lists given replace it). A
/// station manager may do so until the log's `editable_until`, staff always (the database
/// refuses a manager's late correction too); a stale version is a 409 with the current record.
pub async fn update(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    input: ActivityInput,
    ip: Option<IpAddr>,
) -> Result<Activity, AppError> {
    let current = find(db, user, id).await?;
    if !may_edit(user, &current) {
        return Err(rules::CORRECTION_WINDOW_CLOSED.error());
    }
    let Some(version) = input.version else {
        return Err(AppError::validation(FieldErrors::from([(
            "version".to_owned(),
            FieldError::new("error.required"),
        )])));
    };
    let a = input
        .over(&current)
        .validate()
        .map_err(AppError::validation)?;
    let people_now = current.child_count + current.volunteer_count > 0;
    if a.held_on > crate::domain::today() && a.attendance.is_none() && people_now {
        return Err(AppError::validation(FieldErrors::from([(
            "held_on".to_owned(),
            FieldError::new("error.attendance_planned"),
        )])));
    }
    if let Some(who) = &a.attendance {
        check_people(db, user, current.station_id, who).await?;
    }
    let mut tx = db.begin().await?;
    if !store::update(&mut tx, id, version, &a, user.id).await? {
        drop(tx);
        let now = find(db, user, id).await?;
        return Err(AppError::Stale {
            current: serde_json::to_value(now).map_err(anyhow::Error::from)?,
        });
    }
    let volunteers: Vec<Uuid> = match &a.attendance {
        Some(who) => {
            store::set_attendance(&mut tx, id, who).await?;
            who.volunteers.clone()
        }
        None => current.volunteers.iter().map(|v| v.id).collect(),
    };
    record_training(&mut tx, user, id, &a, &volunteers, ip).await?;
    let late = OffsetDateTime::now_utc() > current.editable_until;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "activity", Some(id), ip).with_detail(serde_json::json!({
            "fields": changed_fields(&current, &a),
            "after_manager_window": late,
        })),
    )
    .await?;
    tx.commit().await?;
    find(db, user, id).await
}

fn changed_fields(old: &Activity, new: &ValidActivity) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |name, changed: bool| {
        if changed {
            out.push(name);
        }
    };
    check("kind", old.kind != new.kind);
    check("title", old.title != new.title);
    check("topic", old.topic != new.topic);
    check("held_on", old.held_on != new.held_on);
    check("starts_at", old.starts_at != new.starts_at);
    check("ends_at", old.ends_at != new.ends_at);
    check("description", old.description != new.description);
    check("partners", old.partners != new.partners);
    check("guardian_count", old.guardian_count != new.guardian_count);
    check("other_count", old.other_count != new.other_count);
    if let Some(who) = &new.attendance {
        let set = |ids: &[Uuid]| ids.iter().copied().collect::<BTreeSet<_>>();
        let old_children = set(&old.children.iter().map(|c| c.id).collect::<Vec<_>>());
        let old_volunteers: BTreeSet<(Uuid, bool)> =
            old.volunteers.iter().map(|v| (v.id, v.is_host)).collect();
        let new_volunteers: BTreeSet<(Uuid, bool)> = who
            .volunteers
            .iter()
            .map(|v| (*v, who.hosts.contains(v)))
            .collect();
        check("child_ids", old_children != set(&who.children));
        check("volunteer_ids", old_volunteers != new_volunteers);
    }
    out
}

/// Whether an activity of `station` is an ice-breaking event, and the day it was held: what a
/// pairing asks of the event it names as its first meeting (none when the station held no such
/// activity).
pub async fn event_at(
    db: impl sqlx::PgExecutor<'_>,
    activity: Uuid,
    station: Uuid,
) -> Result<Option<(bool, Date)>, AppError> {
    Ok(store::event_at(db, activity, station).await?)
}
