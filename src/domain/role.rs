//! The four roles. What each may call is declared with each route; what each may see is the
//! scope auth gives a user.

use super::word_enum;

word_enum!(
    /// What a user is, which decides which routes she may call (each route declares it) and
    /// what she may see (her scope): an admin manages accounts and everything else within a
    /// region subtree; federation staff register, pair and report within a region subtree; a
    /// station manager runs one or more stations; a volunteer mother sees her own pairings.
    Role, "user_role", "role",
    [Admin = "admin", Staff = "staff", StationManager = "station_manager", Volunteer = "volunteer"]
);

impl Role {
    /// Whether the role works within a region subtree.
    pub fn has_region(self) -> bool {
        matches!(self, Role::Admin | Role::Staff)
    }
}
