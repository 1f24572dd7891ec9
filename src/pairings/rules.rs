//! The rules of pairing, as their refusals. The service checks each one under row locks, so
//! that the caller is told who and why (`RULE.at(field, message)`); the database enforces the
//! same rule by the constraint the refusal names (see the pairings migration), and a refusal
//! from there is answered by the same refusal, without the names.

use crate::web::Refusal;

/// A transfer moves a person to another station than her own.
pub const TRANSFER_SAME_STATION: Refusal =
    Refusal::unprocessable("validation_failed", "error.transfer_same_station")
        .on("station_id", "error.transfer_same_station");

/// A child has at most one active pairing.
pub const CHILD_ALREADY_PAIRED: Refusal =
    Refusal::conflict("child_already_paired", "error.child_already_paired")
        .enforced_by("pairing_one_active_per_child");
inventory::submit! { CHILD_ALREADY_PAIRED }

/// A volunteer takes no more children than her capacity.
pub const VOLUNTEER_AT_CAPACITY: Refusal =
    Refusal::conflict("volunteer_at_capacity", "error.volunteer_at_capacity")
        .enforced_by("pairing_volunteer_capacity");
inventory::submit! { VOLUNTEER_AT_CAPACITY }

/// Only an active volunteer (screened, trained, not paused) is paired.
pub const VOLUNTEER_NOT_ACTIVE: Refusal =
    Refusal::unprocessable("volunteer_not_active", "error.volunteer_not_active")
        .enforced_by("pairing_volunteer_active");
inventory::submit! { VOLUNTEER_NOT_ACTIVE }

/// A pairing needs a guardian's pairing consent in force on its first day (the children
/// area's `consent_current`).
pub const CONSENT_MISSING: Refusal =
    Refusal::unprocessable("consent_missing", "error.consent_missing")
        .enforced_by("pairing_consent_current");
inventory::submit! { CONSENT_MISSING }

/// A child who has left the programme is not paired.
pub const CHILD_EXITED: Refusal = Refusal::unprocessable("child_exited", "error.child_exited")
    .enforced_by("pairing_child_not_exited");
inventory::submit! { CHILD_EXITED }

/// A child leaves the programme only once her active pairing is closed. The exit is recorded
/// by the children area, which only the database's check refuses; the rule is the pairings',
/// and lives in their migration.
pub const CHILD_HAS_ACTIVE_PAIRING: Refusal =
    Refusal::conflict("child_has_active_pairing", "error.child_has_active_pairing")
        .enforced_by("child_exit_without_active_pairing");
inventory::submit! { CHILD_HAS_ACTIVE_PAIRING }

/// The first meeting is an ice-breaking event at the pairing's station, held no later than the
/// pairing starts.
pub const FIRST_MEETING: Refusal =
    Refusal::unprocessable("validation_failed", "error.first_meeting_rule")
        .on("first_activity_id", "error.first_meeting_rule")
        .enforced_by("pairing_first_meeting");
inventory::submit! { FIRST_MEETING }

/// A pairing ends no earlier than it started.
pub const ENDED_BEFORE_START: Refusal =
    Refusal::unprocessable("validation_failed", "error.ended_before_start")
        .on("ended_on", "error.ended_before_start")
        .enforced_by("pairing_dates_order");
inventory::submit! { ENDED_BEFORE_START }

/// Every child of a batch belongs to the batch's station.
pub const CHILD_NOT_AT_STATION: Refusal =
    Refusal::unprocessable("child_not_at_station", "error.child_not_at_station");

/// A closed pairing is not closed again.
pub const PAIRING_CLOSED: Refusal = Refusal::conflict("pairing_closed", "error.pairing_closed");

/// A suspended pairing is confirmed closed or returned to active, not closed again.
pub const PAIRING_SUSPENDED: Refusal =
    Refusal::conflict("pairing_suspended", "error.pairing_suspended");

/// A volunteer under a safeguarding suspension is paired with no other child meanwhile.
pub const VOLUNTEER_SUSPENDED: Refusal =
    Refusal::conflict("volunteer_suspended", "error.volunteer_suspended")
        .enforced_by("pairing_volunteer_suspended");
inventory::submit! { VOLUNTEER_SUSPENDED }

/// Only a suspended pairing has a safeguarding closure to confirm or cancel.
pub const PAIRING_NOT_SUSPENDED: Refusal =
    Refusal::conflict("pairing_not_suspended", "error.pairing_not_suspended");

/// A safeguarding closure takes effect, or is cancelled, when someone other than the person
/// who suspended the pairing says so.
pub const SECOND_PERSON_NEEDED: Refusal =
    Refusal::forbidden("second_person_needed", "error.second_person_needed")
        .enforced_by("pairing_safeguarding_confirmed");
inventory::submit! { SECOND_PERSON_NEEDED }

/// A batch is written whole or not at all: one refused pair refuses it.
pub const PAIRS_REFUSED: Refusal = Refusal::unprocessable("pairs_refused", "error.pairs_refused");

/// The rules the database may refuse a pair of a batch by, with no message naming anyone: such
/// a pair is explained by its rule's own message.
pub const PAIR_RULES: &[Refusal] = &[
    CHILD_ALREADY_PAIRED,
    VOLUNTEER_AT_CAPACITY,
    VOLUNTEER_NOT_ACTIVE,
    CONSENT_MISSING,
    CHILD_EXITED,
];

/// A check-in is held on an active pairing (the database's `check_in_guard` too).
pub const CHECK_IN_CLOSED: Refusal = Refusal::conflict("pairing_closed", "error.check_in_closed")
    .enforced_by("check_in_on_active_pairing");
inventory::submit! { CHECK_IN_CLOSED }

/// A check-in is held no earlier than the pairing's first day.
pub const CHECK_IN_BEFORE_PAIRING: Refusal =
    Refusal::unprocessable("validation_failed", "error.check_in_before_pairing")
        .on("held_on", "error.check_in_before_pairing")
        .enforced_by("check_in_from_first_day");
inventory::submit! { CHECK_IN_BEFORE_PAIRING }

/// A survey is answered on an active pairing (the database's `survey_guard` too).
pub const SURVEY_CLOSED: Refusal = Refusal::conflict("pairing_closed", "error.survey_closed")
    .enforced_by("survey_on_active_pairing");
inventory::submit! { SURVEY_CLOSED }

/// A survey is answered no earlier than the pairing's first day.
pub const SURVEY_BEFORE_PAIRING: Refusal =
    Refusal::unprocessable("validation_failed", "error.survey_before_pairing")
        .on("answered_on", "error.survey_before_pairing")
        .enforced_by("survey_from_first_day");
inventory::submit! { SURVEY_BEFORE_PAIRING }

/// A survey recorded at a check-in names a check-in of the same pairing, held with the same
/// person.
pub const SURVEY_CHECK_IN: Refusal =
    Refusal::unprocessable("validation_failed", "error.survey_check_in")
        .on("check_in_id", "error.survey_check_in")
        .enforced_by("survey_at_own_check_in");
inventory::submit! { SURVEY_CHECK_IN }

/// A volunteer answers her own survey; the guardian's is recorded by staff or the manager.
pub const SURVEY_AS_GUARDIAN: Refusal =
    Refusal::forbidden("survey_respondent", "error.survey_respondent");
/// A follow-up is flagged while its pairing runs (the database's `follow_up_guard` too).
pub const FOLLOW_UP_CLOSED: Refusal = Refusal::conflict("pairing_closed", "error.follow_up_closed")
    .enforced_by("follow_up_on_running_pairing");
inventory::submit! { FOLLOW_UP_CLOSED }

/// A follow-up is due today or later (China's day).
pub const FOLLOW_UP_DUE: Refusal =
    Refusal::unprocessable("validation_failed", "error.due_before_today")
        .on("due_on", "error.due_before_today")
        .enforced_by("follow_up_due_from_today");
inventory::submit! { FOLLOW_UP_DUE }

/// A follow-up is assigned to an active staff member whose region holds the pairing's station,
/// or to a manager of that station.
pub const FOLLOW_UP_ASSIGNEE: Refusal =
    Refusal::unprocessable("validation_failed", "error.assignee_unknown")
        .on("assignee_id", "error.assignee_unknown")
        .enforced_by("follow_up_assignee_reaches_pairing");
inventory::submit! { FOLLOW_UP_ASSIGNEE }

/// A follow-up is done once.
pub const FOLLOW_UP_DONE: Refusal =
    Refusal::conflict("follow_up_done", "error.follow_up_done").enforced_by("follow_up_done_once");
inventory::submit! { FOLLOW_UP_DONE }

/// What a follow-up asked, of whom and by when, is kept (only erasure blanks its text).
pub const FOLLOW_UP_KEPT: Refusal =
    Refusal::conflict("follow_up_kept", "error.follow_up_kept").enforced_by("follow_up_kept");
inventory::submit! { FOLLOW_UP_KEPT }
