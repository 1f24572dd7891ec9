//! The rules of contacts, as their refusals. Where the database enforces the same rule (see
//! the contacts migration), the refusal names its constraint and is registered, so that the
//! database's refusal answers like the service's own check.

use crate::web::Refusal;

/// A contact is logged only on an active pairing (not a closed one, nor one suspended while a
/// safeguarding closure waits for its confirmation).
pub const PAIRING_CLOSED: Refusal = Refusal::conflict("pairing_closed", "error.pairing_closed")
    .enforced_by("contact_on_active_pairing");
inventory::submit! { PAIRING_CLOSED }

/// A contact is dated on or after its pairing's first day.
pub const CONTACT_BEFORE_PAIRING: Refusal =
    Refusal::unprocessable("validation_failed", "error.contact_before_pairing")
        .on("contacted_on", "error.contact_before_pairing");

/// Only the volunteer who logged a contact corrects it.
pub const NOT_YOUR_CONTACT: Refusal =
    Refusal::forbidden("not_your_contact", "error.not_your_contact");

/// What a volunteer logged can be corrected for 24 hours after it was logged, and is the
/// record after that.
pub const CORRECTION_WINDOW_CLOSED: Refusal =
    Refusal::forbidden("correction_window_closed", "error.correction_window_closed")
        .enforced_by("contact_correction_window");
inventory::submit! { CORRECTION_WINDOW_CLOSED }

/// A raised concern stays as it was: it is never withdrawn, changed, or deleted with its
/// contact.
pub const CONCERN_KEPT: Refusal =
    Refusal::conflict("concern_kept", "error.concern_kept").enforced_by("contact_concern_kept");
inventory::submit! { CONCERN_KEPT }

/// Only a contact that raised a concern has one to resolve.
pub const NO_CONCERN: Refusal = Refusal::conflict("no_concern", "error.no_concern");

/// A concern is resolved once.
pub const CONCERN_RESOLVED: Refusal =
    Refusal::conflict("concern_resolved", "error.concern_resolved");
