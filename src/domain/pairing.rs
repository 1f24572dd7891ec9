//! The words of a pairing that every page showing one uses: whether it runs, why it ended,
//! and its health mark. The health rule lives here, once, so that the child's and the
//! volunteer's pages and the pairing's own show the same mark.

use serde::{Deserialize, Serialize};
use time::Date;

use super::word_enum;

word_enum!(
    /// Whether a pairing is running.
    PairingStatus, "pairing_status", "pairing.status",
    [Active = "active", Suspended = "suspended", Closed = "closed"]
);
word_enum!(
    /// Who decided to end a pairing.
    ClosureDecidedBy, "closure_decided_by", "pairing.decided_by",
    [Volunteer = "volunteer", Guardian = "guardian", Child = "child", Staff = "staff"]
);
word_enum!(
    /// Why a pairing ended.
    ClosureReason, "pairing_closure_reason", "pairing.reason",
    [ChildAgedOut = "child_aged_out", FamilyMoved = "family_moved", ParentsReturned = "parents_returned",
     VolunteerWithdrew = "volunteer_withdrew", GuardianRequest = "guardian_request",
     SafeguardingConcern = "safeguarding_concern", Other = "other", Transferred = "transferred",
     ConsentWithdrawn = "consent_withdrawn"]
);

impl ClosureReason {
    /// Reasons a person closing a pairing may choose: a transfer and a withdrawn consent close
    /// their pairings themselves.
    pub fn chosen_by_hand(self) -> bool {
        !matches!(
            self,
            ClosureReason::Transferred | ClosureReason::ConsentWithdrawn
        )
    }

    /// The reasons [`ClosureReason::chosen_by_hand`], in order.
    pub fn by_hand() -> impl Iterator<Item = ClosureReason> {
        ClosureReason::ALL
            .iter()
            .copied()
            .filter(|r| r.chosen_by_hand())
    }

    /// Reasons that must be explained in the note: the record has to say what happened.
    pub fn needs_note(self) -> bool {
        matches!(
            self,
            ClosureReason::SafeguardingConcern | ClosureReason::Other
        )
    }
}

/// How a pairing is doing against its contact standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// In its first month, nothing overdue.
    New,
    /// Nothing due within a week.
    OnTrack,
    /// A contact, a home visit or a staff check-in falls due within a week.
    DueSoon,
    /// A contact, a home visit or a staff check-in is overdue.
    Overdue,
}

/// How many days before a due day a pairing is marked due soon (the figures kept per station
/// count check-ins due by the database's `due_soon_days()`, which is held to it by a test).
pub const DUE_SOON_DAYS: i64 = 7;

/// How long a pairing counts as new.
pub const NEW_DAYS: i64 = 30;

/// Attempts in a row without reaching the child that bring a pairing to staff's attention.
pub const UNREACHED_ALERT: i32 = 3;

/// The last days by which a running pairing's next contact, home visit and staff check-in are due under its
/// standard (none where the standard asks for none). The database keeps them on the pairing
/// (`pairing_dues`), from its last ones and its station's standard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dues {
    pub contact: Option<Date>,
    pub home_visit: Option<Date>,
    pub check_in: Option<Date>,
}

/// Why a pairing carries its mark, in words through [`Reason::words`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// What falls due, and on which day.
    DueSoon(Due, Date),
    /// What is overdue, and by how many days.
    Overdue(Due, i64),
    /// Attempts in a row without reaching the child.
    Unreached(i32),
}

/// What a standard asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Due {
    Contact,
    HomeVisit,
    CheckIn,
}

impl Due {
    fn key(self) -> &'static str {
        match self {
            Due::Contact => "contact",
            Due::HomeVisit => "home_visit",
            Due::CheckIn => "check_in",
        }
    }
}

impl Reason {
    /// The reason as a sentence: 家访已逾期 12 天, 12月8日前应联系, 连续 3 次未联系上.
    pub fn words(self, lang: crate::i18n::Lang) -> String {
        match self {
            Reason::DueSoon(due, on) => lang.tf(
                &format!("pairing.reason.{}_due_soon", due.key()),
                &[("date", &lang.date(on))],
            ),
            Reason::Overdue(due, days) => lang.tf(
                &format!("pairing.reason.{}_overdue", due.key()),
                &[("days", &days.to_string())],
            ),
            Reason::Unreached(n) => lang.tf("pairing.reason.unreached", &[("n", &n.to_string())]),
        }
    }
}

impl Health {
    /// Every mark.
    pub const ALL: &'static [Health] = &[
        Health::New,
        Health::OnTrack,
        Health::DueSoon,
        Health::Overdue,
    ];

    /// The API word.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::New => "new",
            Health::OnTrack => "on_track",
            Health::DueSoon => "due_soon",
            Health::Overdue => "overdue",
        }
    }

    /// Parses the API word.
    pub fn parse(text: &str) -> Option<Health> {
        Health::ALL
            .iter()
            .copied()
            .find(|h| h.as_str() == text.trim())
    }

    /// Message key of its label.
    pub fn label_key(self) -> &'static str {
        match self {
            Health::New => "pairing.health.new",
            Health::OnTrack => "pairing.health.on_track",
            Health::DueSoon => "pairing.health.due_soon",
            Health::Overdue => "pairing.health.overdue",
        }
    }

    /// The mark of a running pairing started on `started_on`, with its `dues`, seen on `today`:
    /// overdue once a due day has passed, due soon in the week up to one, new in its first month,
    /// on track otherwise. The pairing list's `health=` filter and the dashboard's counts ask the
    /// same of `pairing.due_on` (the earliest due day), in SQL.
    pub fn of(started_on: Date, dues: Dues, today: Date) -> Health {
        match [dues.contact, dues.home_visit, dues.check_in]
            .into_iter()
            .flatten()
            .min()
        {
            Some(due) if due < today => Health::Overdue,
            _ if (today - started_on).whole_days() < NEW_DAYS => Health::New,
            Some(due) if (due - today).whole_days() <= DUE_SOON_DAYS => Health::DueSoon,
            _ => Health::OnTrack,
        }
    }

    /// Why: each requirement overdue or due within the week (earliest first), and a run of
    /// attempts without reaching the child.
    pub fn reasons(dues: Dues, unreached_streak: i32, today: Date) -> Vec<Reason> {
        let mut due: Vec<(Date, Due)> = [
            (dues.contact, Due::Contact),
            (dues.home_visit, Due::HomeVisit),
            (dues.check_in, Due::CheckIn),
        ]
        .into_iter()
        .filter_map(|(on, what)| on.map(|on| (on, what)))
        .filter(|(on, _)| (*on - today).whole_days() <= DUE_SOON_DAYS)
        .collect();
        due.sort();
        let mut reasons: Vec<Reason> = due
            .into_iter()
            .map(|(on, what)| {
                if on < today {
                    Reason::Overdue(what, (today - on).whole_days())
                } else {
                    Reason::DueSoon(what, on)
                }
            })
            .collect();
        if unreached_streak >= UNREACHED_ALERT {
            reasons.push(Reason::Unreached(unreached_streak));
        }
        reasons
    }
}

/// One line of a pairing history, as the child's page and the volunteer's page list it
/// (`templates/pairings/history.html`).
#[derive(Debug, Clone)]
pub struct PairingLine {
    pub id: uuid::Uuid,
    pub child_name: String,
    pub volunteer_name: String,
    pub status: PairingStatus,
    pub started_on: Date,
    pub ended_on: Option<Date>,
    pub closure_reason: Option<ClosureReason>,
    /// Its health mark while it runs; none once closed.
    pub health: Option<Health>,
}

impl PairingLine {
    /// The health mark of a pairing in `status`, started on `started_on`, with its `dues`,
    /// seen on `today`: only a running pairing has one.
    pub fn health(
        status: PairingStatus,
        started_on: Date,
        dues: Dues,
        today: Date,
    ) -> Option<Health> {
        (status == PairingStatus::Active).then(|| Health::of(started_on, dues, today))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 29);

    fn dues(contact: Option<Date>, home_visit: Option<Date>, check_in: Option<Date>) -> Dues {
        Dues {
            contact,
            home_visit,
            check_in,
        }
    }

    #[test]
    fn the_earliest_due_day_sets_the_mark() {
        let long_ago = date!(2026 - 01 - 01);
        // Due by eight days from now: on track; by seven, or today: due soon; by yesterday:
        // overdue.
        let on = |d| dues(Some(d), None, None);
        assert_eq!(
            Health::of(long_ago, on(date!(2026 - 12 - 07)), TODAY),
            Health::OnTrack
        );
        assert_eq!(
            Health::of(long_ago, on(date!(2026 - 12 - 06)), TODAY),
            Health::DueSoon
        );
        assert_eq!(Health::of(long_ago, on(TODAY), TODAY), Health::DueSoon);
        assert_eq!(
            Health::of(long_ago, on(date!(2026 - 11 - 28)), TODAY),
            Health::Overdue
        );
        // A home visit overdue makes the pairing overdue though its contacts are fine.
        let visit_late = dues(
            Some(date!(2026 - 12 - 20)),
            Some(date!(2026 - 11 - 17)),
            None,
        );
        assert_eq!(Health::of(long_ago, visit_late, TODAY), Health::Overdue);
        assert_eq!(
            Health::reasons(visit_late, 0, TODAY),
            vec![Reason::Overdue(Due::HomeVisit, 12)]
        );
        // Nothing asked: on track.
        assert_eq!(
            Health::of(long_ago, Dues::default(), TODAY),
            Health::OnTrack
        );
    }

    #[test]
    fn a_first_month_is_new_unless_something_is_overdue() {
        let started = date!(2026 - 11 - 20);
        let contact_soon = dues(Some(date!(2026 - 12 - 01)), None, None);
        assert_eq!(Health::of(started, contact_soon, TODAY), Health::New);
        let check_in_late = dues(
            Some(date!(2026 - 12 - 20)),
            None,
            Some(date!(2026 - 11 - 27)),
        );
        assert_eq!(Health::of(started, check_in_late, TODAY), Health::Overdue);
    }

    #[test]
    fn reasons_name_what_is_due_earliest_first_and_the_attempts() {
        let d = dues(
            Some(date!(2026 - 12 - 03)),
            Some(date!(2026 - 11 - 25)),
            Some(date!(2027 - 01 - 10)),
        );
        assert_eq!(
            Health::reasons(d, 3, TODAY),
            vec![
                Reason::Overdue(Due::HomeVisit, 4),
                Reason::DueSoon(Due::Contact, date!(2026 - 12 - 03)),
                Reason::Unreached(3),
            ]
        );
        assert_eq!(Health::reasons(d, 2, TODAY).len(), 2);
    }
}
