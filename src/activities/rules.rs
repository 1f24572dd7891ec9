//! The rules of station life and what a caller is told when one says no.
//!
//! * The correction window: a station manager may correct a session's log until seven days
//!   after the session's day ends (China time), or after it was logged when it was logged
//!   late; federation staff and admins may at any time; volunteers never. The service checks
//!   it before writing; the database refuses the same update when it says a manager makes it
//!   (`activity_correction_window`).
//! * Attendance: a child attends sessions of the station that registered them
//!   (`attendance_child_same_station`).
//! * The first meeting: an ice-breaking event a pairing counts as its first meeting stays one —
//!   the same kind, at the same station, on or before the pairing's start
//!   (`activity_first_meeting`). Only the database can tell which event is a pairing's first
//!   meeting (the pairings area, above this one, keeps that); its refusal is this area's,
//!   because what is refused is a correction of the activity.

use time::{Date, Duration, OffsetDateTime};

use crate::domain::Role;
use crate::web::Refusal;

/// How long after a session a station manager may still correct its log.
pub const MANAGER_CORRECTION_DAYS: i64 = 7;

/// A station manager's correction after the window, or any correction by a volunteer.
pub const CORRECTION_WINDOW_CLOSED: Refusal =
    Refusal::forbidden("correction_window_closed", "error.correction_window_closed")
        .enforced_by("activity_correction_window");
inventory::submit! { CORRECTION_WINDOW_CLOSED }

/// A child registered at another station, ticked as present.
pub const CHILD_NOT_AT_STATION: Refusal =
    Refusal::unprocessable("child_not_at_station", "error.child_not_at_station")
        .on("child_ids", "error.child_not_at_station")
        .enforced_by("attendance_child_same_station");
inventory::submit! { CHILD_NOT_AT_STATION }

/// A pairing's first meeting corrected into another kind, another station or a later day.
pub const FIRST_MEETING_KEPT: Refusal =
    Refusal::unprocessable("validation_failed", "error.first_meeting_kept")
        .on("kind", "error.first_meeting_kept")
        .enforced_by("activity_first_meeting");
inventory::submit! { FIRST_MEETING_KEPT }

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

/// Whether someone with `role` may correct, at `now`, a log editable by its manager until
/// `until` (the scope is checked by loading the log).
pub fn may_correct(role: Role, until: OffsetDateTime, now: OffsetDateTime) -> bool {
    match role {
        Role::Admin | Role::Staff => true,
        Role::StationManager => now <= until,
        Role::Volunteer => false,
    }
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

    #[test]
    fn staff_correct_at_any_time_a_manager_within_the_window_a_volunteer_never() {
        let until = datetime!(2026-03-12 00:00 +8);
        let inside = until - Duration::seconds(1);
        let after = until + Duration::seconds(1);
        for role in [Role::Admin, Role::Staff] {
            assert!(may_correct(role, until, after));
        }
        assert!(may_correct(Role::StationManager, until, inside));
        assert!(may_correct(Role::StationManager, until, until));
        assert!(!may_correct(Role::StationManager, until, after));
        assert!(!may_correct(Role::Volunteer, until, inside));
    }

    #[test]
    fn the_refusals_answer_as_before() {
        use axum::http::StatusCode;
        let closed = CORRECTION_WINDOW_CLOSED.error();
        assert_eq!(closed.status(), StatusCode::FORBIDDEN);
        assert_eq!(closed.code(), "correction_window_closed");
        let elsewhere = CHILD_NOT_AT_STATION.error();
        assert_eq!(elsewhere.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(elsewhere.code(), "child_not_at_station");
        let kept = FIRST_MEETING_KEPT.error();
        assert_eq!(kept.code(), "validation_failed");
        assert_eq!(
            Refusal::of_constraint("activity_first_meeting"),
            Some(&FIRST_MEETING_KEPT)
        );
    }
}
