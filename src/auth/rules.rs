//! The accounts' rules: those the database enforces too (a username is taken once, whatever its
//! case; a volunteer has at most one login; the audit trail is never rewritten), and that a
//! volunteer's login is given within the region of her station.

use crate::web::Refusal;

/// A username is unique, compared without case.
pub const USERNAME_TAKEN: Refusal = Refusal::conflict("username_taken", "error.username_taken")
    .on("username", "error.username_taken")
    .enforced_by("app_user_username_key");

/// A volunteer has one login at most.
pub const ACCOUNT_EXISTS: Refusal = Refusal::conflict("account_exists", "error.account_exists")
    .enforced_by("app_user_volunteer_key");

/// A volunteer's login is given only by those whose region holds her station too: the login
/// reaches her pairings there.
pub const STATION_OUTSIDE_SCOPE: Refusal =
    Refusal::forbidden("station_outside_scope", "error.station_outside_scope");

/// The audit trail is append-only: an entry is never changed or removed.
pub const AUDIT_APPEND_ONLY: Refusal =
    Refusal::conflict("append_only", "error.append_only").enforced_by("audit_event_append_only");

inventory::submit! { USERNAME_TAKEN }
inventory::submit! { AUDIT_APPEND_ONLY }
inventory::submit! { ACCOUNT_EXISTS }
