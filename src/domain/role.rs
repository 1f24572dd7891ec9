//! The four roles. What each may call is declared with each route; what each may see is the
//! scope auth gives a user.

use serde::{Deserialize, Serialize};

/// What a user is, which decides which routes she may call (each route declares it) and what she
/// may see (her scope).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "user_role", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages accounts and everything else within a region subtree.
    Admin,
    /// Federation staff: registers, pairs and reports within a region subtree.
    Staff,
    /// Runs one or more stations.
    StationManager,
    /// A volunteer mother: sees her own pairings.
    Volunteer,
}

impl Role {
    /// Every role, in the order pages list them.
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Staff,
        Role::StationManager,
        Role::Volunteer,
    ];

    /// The API word.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::StationManager => "station_manager",
            Role::Volunteer => "volunteer",
        }
    }

    /// Parses the API word.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text.trim())
    }

    /// Message key of the role's name.
    pub fn label_key(self) -> &'static str {
        match self {
            Role::Admin => "role.admin",
            Role::Staff => "role.staff",
            Role::StationManager => "role.station_manager",
            Role::Volunteer => "role.volunteer",
        }
    }

    /// Whether the role works within a region subtree.
    pub fn has_region(self) -> bool {
        matches!(self, Role::Admin | Role::Staff)
    }
}
