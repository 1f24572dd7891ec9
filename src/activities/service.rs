//! The rules and transactions of this area: what its pages and API call.

use super::store;
pub use super::store::open_days;
use std::collections::BTreeSet;
use std::net::IpAddr;

use sqlx::PgPool;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use super::model::{
    Activity, ActivityInput, Attendance, Kind, MANAGER_CORRECTION_DAYS, ValidActivity,
};
use crate::audit::{self, Action, Entry};
use crate::auth::{CurrentUser, Role};
use crate::stations::model::{Station, StationStatus};
use crate::web::error::{AppError, FieldError, FieldErrors};

/// The moment after which only federation staff may correct a log: seven days after the
/// session's day ends (China time), or after it was logged when it was logged late.
pub fn editable_until(created_at: OffsetDateTime, held_on: Date) -> OffsetDateTime {
    let day_over = held_on
        .next_day()
        .unwrap_or(held_on)
        .midnight()
        .assume_offset(time::macros::offset!(+8));
    created_at.max(day_over) + Duration::days(MANAGER_CORRECTION_DAYS)
}

/// Whether `user` may correct `activity` now (the scope is checked by loading it).
pub fn may_edit(user: &CurrentUser, activity: &Activity) -> bool {
    match user.role {
        Role::Admin | Role::Staff => true,
        Role::StationManager => OffsetDateTime::now_utc() <= activity.editable_until,
        Role::Volunteer => false,
    }
}

/// Refuses children of other stations and volunteers the user may not reach.
async fn check_people(
    db: &PgPool,
    user: &CurrentUser,
    station: Uuid,
    who: &Attendance,
) -> Result<(), AppError> {
    if !store::children_elsewhere(db, station, &who.children)
        .await?
        .is_empty()
    {
        return Err(AppError::Unprocessable {
            code: "child_not_at_station",
            fields: FieldErrors::from([(
                "child_ids".to_owned(),
                FieldError::new("error.child_not_at_station"),
            )]),
        });
    }
    if !store::volunteers_out_of_reach(db, &user.scope, &who.volunteers)
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
    store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Corrects a log (fields left out keep their value; attendance lists given replace it). A
/// station manager may do so until [`editable_until`], staff always; a stale version is a 409
/// with the current record.
pub async fn update(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    input: ActivityInput,
    ip: Option<IpAddr>,
) -> Result<Activity, AppError> {
    let current = store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !may_edit(user, &current) {
        return Err(AppError::Forbidden("correction_window_closed"));
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
    if !store::update(&mut tx, id, version, &a).await? {
        drop(tx);
        let now = store::find(db, &user.scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
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
    store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)
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

/// Open days in one of the last four weeks.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WeekOpening {
    /// First day of the week (rolling: the last week ends today).
    pub from: Date,
    /// Last day.
    pub to: Date,
    /// Days with a session logged.
    pub actual: i64,
    /// Days planned.
    pub planned: i64,
}

/// A station's open days over the last four weeks against its plan, with its sessions and
/// person-visits in that time.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Opening {
    /// Week by week, oldest first.
    pub weeks: Vec<WeekOpening>,
    /// Days open in the four weeks.
    pub actual: i64,
    /// Days planned in the four weeks.
    pub planned: i64,
    /// Sessions logged (trainings included).
    pub sessions: i64,
    /// 人次 of those sessions.
    pub person_visits: i64,
}

impl Opening {
    /// Whether the station opened fewer days than planned.
    pub fn below_plan(&self) -> bool {
        self.actual < self.planned
    }
}

/// Open days of a station over the four weeks ending today.
pub async fn opening(db: &PgPool, station: &Station) -> Result<Opening, AppError> {
    let today = crate::domain::today();
    let from = today - Duration::days(27);
    let days = store::open_days(db, &[station.id], from, today)
        .await?
        .remove(&station.id)
        .unwrap_or_default();
    // A paused or closed station plans no opening.
    let planned = match station.status {
        StationStatus::Active => i64::from(station.open_days_per_week),
        StationStatus::Paused | StationStatus::Closed => 0,
    };
    let weeks: Vec<WeekOpening> = (0..4)
        .map(|w| {
            let start = from + Duration::weeks(w);
            let end = start + Duration::days(6);
            WeekOpening {
                from: start,
                to: end,
                actual: days.iter().filter(|d| **d >= start && **d <= end).count() as i64,
                planned,
            }
        })
        .collect();
    let (sessions, person_visits) = store::station_totals(db, station.id, from, today).await?;
    Ok(Opening {
        actual: days.len() as i64,
        planned: planned * 4,
        weeks,
        sessions,
        person_visits,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn a_manager_has_seven_days_after_the_session_or_after_a_late_log() {
        let on_the_day = datetime!(2026-03-04 09:00 UTC);
        assert_eq!(
            editable_until(on_the_day, date!(2026 - 03 - 04)),
            datetime!(2026-03-12 00:00 +8)
        );
        let late = datetime!(2026-03-20 09:00 UTC);
        assert_eq!(
            editable_until(late, date!(2026 - 03 - 04)),
            datetime!(2026-03-27 09:00 UTC)
        );
    }
}
