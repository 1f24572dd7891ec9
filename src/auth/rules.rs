//! The accounts' rules that the database enforces too: a username is taken once (whatever its
//! case), a volunteer has at most one login, and the audit trail is never rewritten.

use crate::web::Refusal;

/// A username is unique, compared without case.
pub const USERNAME_TAKEN: Refusal = Refusal::conflict("username_taken", "error.username_taken")
    .on("username", "error.username_taken")
    .enforced_by("app_user_username_key");

/// A volunteer has one login at most.
pub const ACCOUNT_EXISTS: Refusal = Refusal::conflict("account_exists", "error.account_exists")
    .enforced_by("app_user_volunteer_key");

/// The audit trail is append-only: an entry is never changed or removed.
pub const AUDIT_APPEND_ONLY: Refusal =
    Refusal::conflict("append_only", "error.append_only").enforced_by("audit_event_append_only");

inventory::submit! { USERNAME_TAKEN }
inventory::submit! { AUDIT_APPEND_ONLY }
inventory::submit! { ACCOUNT_EXISTS }
