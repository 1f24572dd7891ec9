//! The words of a pairing that every page showing one uses: whether it runs, why it ended,
//! and its health mark. The health rule lives here, once, so that the child's and the
//! volunteer's pages and the pairing's own show the same mark.

use serde::{Deserialize, Serialize};
use time::Date;

use super::word_enum;

word_enum!(
    /// Whether a pairing is running.
    PairingStatus, "pairing_status", "pairing.status", [Active = "active", Closed = "closed"]
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

/// How a pairing is doing, from its contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Started recently, no contact yet.
    New,
    /// In touch within the check-in window.
    OnTrack,
    /// No contact for the check-in window (30 days by default).
    NeedsCheckIn,
}

impl Health {
    /// Every mark.
    pub const ALL: &'static [Health] = &[Health::New, Health::OnTrack, Health::NeedsCheckIn];

    /// The API word.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::New => "new",
            Health::OnTrack => "on_track",
            Health::NeedsCheckIn => "needs_check_in",
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
            Health::NeedsCheckIn => "pairing.health.needs_check_in",
        }
    }

    /// The mark of an active pairing started on `started_on`, last in touch on `last_contact`,
    /// seen on `today` with a check-in window of `days`.
    pub fn of(started_on: Date, last_contact: Option<Date>, today: Date, days: u16) -> Health {
        let window = time::Duration::days(i64::from(days));
        match last_contact {
            None if today - started_on < window => Health::New,
            Some(last) if today - last < window => Health::OnTrack,
            _ => Health::NeedsCheckIn,
        }
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
    /// The health mark of a pairing in `status`, started on `started_on` and last in touch on
    /// `last_contact`, seen on `today` with a check-in window of `days`: only a running pairing
    /// has one.
    pub fn health(
        status: PairingStatus,
        started_on: Date,
        last_contact: Option<Date>,
        today: Date,
        days: u16,
    ) -> Option<Health> {
        (status == PairingStatus::Active).then(|| Health::of(started_on, last_contact, today, days))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn health_follows_the_last_contact() {
        let today = date!(2026 - 11 - 29);
        assert_eq!(
            Health::of(date!(2026 - 11 - 20), None, today, 30),
            Health::New
        );
        assert_eq!(
            Health::of(date!(2026 - 10 - 01), None, today, 30),
            Health::NeedsCheckIn
        );
        assert_eq!(
            Health::of(
                date!(2026 - 01 - 01),
                Some(date!(2026 - 10 - 31)),
                today,
                30
            ),
            Health::OnTrack
        );
        assert_eq!(
            Health::of(
                date!(2026 - 01 - 01),
                Some(date!(2026 - 10 - 30)),
                today,
                30
            ),
            Health::NeedsCheckIn
        );
    }
}
