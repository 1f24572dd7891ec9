//! Users, roles and what a new or edited account must satisfy.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::FieldError;
pub use crate::domain::Role;

/// A username: 3–64 letters, digits and `_ . @ -`, compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Parses a username.
    pub fn parse(text: &str) -> Result<Username, FieldError> {
        let text = text.trim();
        let ok = (3..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.@-".contains(&b));
        if ok {
            Ok(Username(text.to_owned()))
        } else {
            Err(FieldError::new("error.username_format"))
        }
    }

    /// The username as typed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's display name: 1–50 characters.
pub fn parse_display_name(text: &str) -> Result<String, FieldError> {
    crate::domain::text::required(text, 50)
}

/// An account as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: Uuid,
    /// Login name.
    pub username: String,
    /// Name shown in the header and lists.
    pub display_name: String,
    pub role: Role,
    /// Region subtree of an admin or staff member.
    pub region_code: Option<String>,
    /// Name of that region.
    pub region_name: Option<String>,
    /// The volunteer record of a volunteer.
    pub volunteer_id: Option<Uuid>,
    /// The stations a station manager runs.
    pub station_ids: Vec<Uuid>,
    /// Whether the account may log in.
    pub active: bool,
    /// Whether the next login must set a new password.
    pub must_change_password: bool,
    /// Last successful login.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_login_at: Option<OffsetDateTime>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A station an account may be given, with where it is (two stations may share a name).
#[derive(Debug, Clone)]
pub struct StationChoice {
    pub id: Uuid,
    pub name: String,
    /// Township, and village when the station sits in one.
    pub place: String,
}

/// The stations of one county, as the account form's picker groups them.
#[derive(Debug, Clone)]
pub struct CountyStations {
    /// The county's code.
    pub code: String,
    /// City and county, by name.
    pub county: String,
    pub stations: Vec<StationChoice>,
}
