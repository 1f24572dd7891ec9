//! The rules of a wish and what a caller is told when one says no.
//!
//! A wish moves forward only: a posted wish can be claimed, fulfilled or cancelled, a claimed
//! one fulfilled, cancelled or released back to posted, and fulfilled and cancelled are final
//! (`wish_status_transition`, which the database enforces on every update). The steps the
//! service offers keep within that rule: a posted wish is claimed, a claimed one fulfilled,
//! either cancelled. A wish is posted only for a child still in the programme.

use super::model::WishStatus;
use crate::web::Refusal;
use crate::web::error::{AppError, FieldError};

/// A step a wish's status does not allow.
pub const INVALID_TRANSITION: Refusal =
    Refusal::conflict("invalid_transition", "error.invalid_transition")
        .enforced_by("wish_status_transition");
inventory::submit! { INVALID_TRANSITION }

/// A wish for a child who has left the programme.
pub const CHILD_EXITED: Refusal = Refusal::unprocessable("child_exited", "error.child_exited");

/// Whether a wish in `from` may become `to`: forward only, as the database's
/// `wish_status_guard` has it.
pub fn may_become(from: WishStatus, to: WishStatus) -> bool {
    use WishStatus::{Cancelled, Claimed, Fulfilled, Posted};
    from == to
        || matches!(
            (from, to),
            (Posted, Claimed | Cancelled | Fulfilled) | (Claimed, Fulfilled | Cancelled | Posted)
        )
}

/// A step the service takes on a wish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Someone takes a posted wish on.
    Claim,
    /// The child received a claimed wish.
    Fulfil,
    /// The station withdraws a wish not yet fulfilled.
    Cancel,
}

impl Step {
    /// The statuses a wish takes this step from.
    pub fn from(self) -> &'static [WishStatus] {
        match self {
            Step::Claim => &[WishStatus::Posted],
            Step::Fulfil => &[WishStatus::Claimed],
            Step::Cancel => &[WishStatus::Posted, WishStatus::Claimed],
        }
    }

    /// The status it leads to.
    pub fn to(self) -> WishStatus {
        match self {
            Step::Claim => WishStatus::Claimed,
            Step::Fulfil => WishStatus::Fulfilled,
            Step::Cancel => WishStatus::Cancelled,
        }
    }

    /// Whether a wish in `status` can take this step.
    pub fn allowed(self, status: WishStatus) -> bool {
        self.from().contains(&status)
    }
}

/// The refusal of a step for a wish that is `now` in a status that does not allow it: a 409
/// that says, on `status`, why.
pub fn refused(now: WishStatus) -> AppError {
    let why = match now {
        WishStatus::Posted => "error.wish_not_claimed",
        WishStatus::Claimed => "error.wish_already_claimed",
        WishStatus::Fulfilled => "error.wish_already_fulfilled",
        WishStatus::Cancelled => "error.wish_cancelled",
    };
    INVALID_TRANSITION.at("status", FieldError::new(why))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_moves_a_wish_forward() {
        for step in [Step::Claim, Step::Fulfil, Step::Cancel] {
            for &from in step.from() {
                assert!(may_become(from, step.to()), "{step:?} from {from:?}");
            }
        }
    }

    #[test]
    fn fulfilled_and_cancelled_are_final() {
        for &end in &[WishStatus::Fulfilled, WishStatus::Cancelled] {
            for &to in WishStatus::ALL {
                assert_eq!(may_become(end, to), end == to, "{end:?} → {to:?}");
            }
            for step in [Step::Claim, Step::Fulfil, Step::Cancel] {
                assert!(!step.allowed(end));
            }
        }
    }

    #[test]
    fn a_refused_step_says_why_on_the_status() {
        let e = refused(WishStatus::Cancelled);
        assert_eq!(e.code(), "invalid_transition");
        match e {
            AppError::Conflict { fields, .. } => {
                assert_eq!(fields["status"].key, "error.wish_cancelled")
            }
            other => panic!("{other:?}"),
        }
    }
}
