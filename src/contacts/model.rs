//! Contacts a volunteer logs with her paired child (the "five hearts" service), and the
//! concerns they raise.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::domain::{self, text, word_enum};
use crate::web::error::{AppError, FieldError, FieldErrors};

word_enum!(
    /// How the volunteer was in touch.
    ContactMode, "contact_mode", "contact.mode",
    [HomeVisit = "home_visit", Call = "call", Video = "video", Station = "station", School = "school", Message = "message"]
);
word_enum!(
    /// What they talked about.
    Topic, "contact_topic", "contact.topic",
    [Study = "study", Emotions = "emotions", Safety = "safety", Health = "health", DailyLife = "daily_life"]
);
word_enum!(
    /// What kind of worry a contact raises.
    ConcernCategory, "concern_category", "concern",
    [Safety = "safety", Health = "health", AbuseNeglect = "abuse_neglect", School = "school", Family = "family", Other = "other"]
);

word_enum!(
    /// Whether a contact reached the child, or was an attempt.
    ContactOutcome, "contact_outcome", "contact.outcome",
    [Reached = "reached", NotReached = "not_reached"]
);
word_enum!(
    /// Why an attempt did not reach the child.
    NotReachedReason, "contact_not_reached_reason", "contact.not_reached",
    [NoAnswer = "no_answer", ChildAway = "child_away", GuardianDeclined = "guardian_declined",
     Other = "other"]
);

/// Attempts in a row, since the last contact that reached the child, that bring a pairing to
/// staff's attention (the database keeps the count: `pairing.unreached_streak`).
pub use crate::domain::pairing::UNREACHED_ALERT;

impl ConcernCategory {
    /// The order staff meet concerns in: the gravest first.
    pub const BY_SERIOUSNESS: [ConcernCategory; 6] = [
        ConcernCategory::AbuseNeglect,
        ConcernCategory::Safety,
        ConcernCategory::Health,
        ConcernCategory::Family,
        ConcernCategory::School,
        ConcernCategory::Other,
    ];

    /// [`Self::BY_SERIOUSNESS`] as SQL orders by it (`array_position`).
    pub fn by_seriousness() -> Vec<String> {
        Self::BY_SERIOUSNESS
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect()
    }
}

/// How long a volunteer may correct her own entry.
pub const CORRECTION_WINDOW: time::Duration = time::Duration::hours(24);

/// A contact as the API answers it.
#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub id: Uuid,
    pub pairing_id: Uuid,
    pub contacted_on: Date,
    pub mode: ContactMode,
    /// `reached`, or `not_reached` (an attempt: effort, not a contact).
    pub outcome: ContactOutcome,
    /// Why an attempt did not reach the child.
    pub not_reached_reason: Option<NotReachedReason>,
    pub duration_minutes: Option<i32>,
    pub topics: Vec<Topic>,
    /// What happened.
    pub note: Option<String>,
    /// A concern raised, if any.
    pub concern_category: Option<ConcernCategory>,
    /// The concern, described.
    pub concern_detail: Option<String>,
    /// When staff resolved it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub concern_resolved_at: Option<OffsetDateTime>,
    /// How staff resolved it.
    pub concern_resolution: Option<String>,
    /// When staff read the contact.
    #[serde(with = "time::serde::rfc3339::option")]
    pub seen_at: Option<OffsetDateTime>,
    /// Until when the volunteer may correct it.
    #[serde(with = "time::serde::rfc3339")]
    pub editable_until: OffsetDateTime,
    /// Optimistic-concurrency version.
    pub version: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A contact as typed (create, or a correction that sends all of it again).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ContactInput {
    /// ISO date (default today).
    pub contacted_on: Option<String>,
    /// One of the modes.
    pub mode: Option<String>,
    /// `reached` (the default) or `not_reached`.
    pub outcome: Option<String>,
    /// For an attempt: `no_answer`, `child_away`, `guardian_declined` or `other`.
    pub not_reached_reason: Option<String>,
    /// Minutes, 1 to 1440.
    pub duration_minutes: Option<i64>,
    pub topics: Vec<String>,
    /// What happened (up to 2000 characters).
    pub note: Option<String>,
    /// A concern's category.
    pub concern_category: Option<String>,
    /// The concern, described.
    pub concern_detail: Option<String>,
    /// For a correction: the version edited.
    pub version: Option<i32>,
}

/// A checked contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidContact {
    pub contacted_on: Date,
    pub mode: ContactMode,
    pub outcome: ContactOutcome,
    pub not_reached_reason: Option<NotReachedReason>,
    /// Minutes: required of a contact, optional for an attempt.
    pub duration_minutes: Option<i32>,
    /// Topics, each once.
    pub topics: Vec<Topic>,
    pub note: Option<String>,
    pub concern: Option<(ConcernCategory, String)>,
}

impl ContactInput {
    /// Checks the input; `contacted_on` defaults to today.
    pub fn validate(&self) -> Result<ValidContact, FieldErrors> {
        let mut fields = FieldErrors::new();
        let contacted_on = match self.contacted_on.as_deref().map(str::trim) {
            None | Some("") => Some(domain::today()),
            Some(text) => domain::past_date(text)
                .map_err(|e| fields.insert("contacted_on".into(), e))
                .ok(),
        };
        let mode = match self.mode.as_deref().map(str::trim) {
            None | Some("") => {
                fields.insert("mode".into(), FieldError::new("error.required"));
                None
            }
            Some(word) => ContactMode::parse(word).or_else(|| {
                fields.insert("mode".into(), FieldError::new("error.choice"));
                None
            }),
        };
        let outcome = match self.outcome.as_deref().map(str::trim) {
            None | Some("") => Some(ContactOutcome::Reached),
            Some(word) => ContactOutcome::parse(word).or_else(|| {
                fields.insert("outcome".into(), FieldError::new("error.choice"));
                None
            }),
        };
        let reason = match self.not_reached_reason.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(word) => NotReachedReason::parse(word).or_else(|| {
                fields.insert("not_reached_reason".into(), FieldError::new("error.choice"));
                None
            }),
        };
        match (outcome, reason) {
            (Some(ContactOutcome::NotReached), None) => {
                fields
                    .entry("not_reached_reason".into())
                    .or_insert(FieldError::new("error.required"));
            }
            (Some(ContactOutcome::Reached), Some(_)) => {
                fields.insert(
                    "not_reached_reason".into(),
                    FieldError::new("error.reason_only_when_not_reached"),
                );
            }
            _ => {}
        }
        let attempt = outcome == Some(ContactOutcome::NotReached);
        let duration = match self.duration_minutes {
            None if attempt => Some(None),
            None => {
                fields.insert("duration_minutes".into(), FieldError::new("error.required"));
                None
            }
            Some(n) if (1..=1440).contains(&n) => Some(Some(n as i32)),
            Some(_) => {
                fields.insert(
                    "duration_minutes".into(),
                    FieldError::new("error.duration_range"),
                );
                None
            }
        };
        let mut topics = Vec::new();
        for word in self
            .topics
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
        {
            match Topic::parse(word) {
                Some(t) if !topics.contains(&t) => topics.push(t),
                Some(_) => {}
                None => {
                    fields.insert("topics".into(), FieldError::new("error.choice"));
                }
            }
        }
        let note = text::long_optional(self.note.as_deref(), 2000)
            .map_err(|e| fields.insert("note".into(), e))
            .ok()
            .flatten();
        let category = match self.concern_category.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(word) => ConcernCategory::parse(word).or_else(|| {
                fields.insert("concern_category".into(), FieldError::new("error.choice"));
                None
            }),
        };
        let detail = text::long_optional(self.concern_detail.as_deref(), 2000)
            .map_err(|e| fields.insert("concern_detail".into(), e))
            .ok()
            .flatten();
        let concern = match (category, detail) {
            (Some(c), Some(d)) => Some((c, d)),
            (None, None) => None,
            (Some(_), None) => {
                fields
                    .entry("concern_detail".into())
                    .or_insert(FieldError::new("error.concern_detail_required"));
                None
            }
            (None, Some(_)) => {
                fields
                    .entry("concern_category".into())
                    .or_insert(FieldError::new("error.concern_category_required"));
                None
            }
        };
        match (contacted_on, mode, duration, outcome) {
            (Some(contacted_on), Some(mode), Some(duration_minutes), Some(outcome))
                if fields.is_empty() =>
            {
                Ok(ValidContact {
                    contacted_on,
                    mode,
                    outcome,
                    not_reached_reason: reason,
                    duration_minutes,
                    topics,
                    note,
                    concern,
                })
            }
            _ => Err(fields),
        }
    }
}

/// An open concern, as staff and managers see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OpenConcern {
    pub contact_id: Uuid,
    pub pairing_id: Uuid,
    pub child_id: Uuid,
    pub child_name: String,
    pub volunteer_name: String,
    pub station_id: Uuid,
    pub station_name: String,
    pub concern_category: ConcernCategory,
    /// Description.
    pub concern_detail: String,
    /// The contact's date.
    pub contacted_on: Date,
    /// When it was raised.
    #[serde(with = "time::serde::rfc3339")]
    pub raised_at: OffsetDateTime,
    /// When staff resolved it (`status=resolved`; null while open).
    #[serde(with = "time::serde::rfc3339::option")]
    pub resolved_at: Option<OffsetDateTime>,
    /// Who resolved it, by name.
    pub resolved_by: Option<String>,
    /// What was done.
    pub resolution: Option<String>,
}

/// Which concerns a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConcernStatus {
    /// Still open: the gravest first, the newest first within each category.
    #[default]
    Open,
    /// Resolved: the latest resolved first, with who resolved it and how.
    Resolved,
}

impl ConcernStatus {
    /// `status=` of a list (`open` when absent).
    pub fn parse(word: Option<&str>) -> Result<ConcernStatus, AppError> {
        match word.map(str::trim) {
            None | Some("") | Some("open") => Ok(ConcernStatus::Open),
            Some("resolved") => Ok(ConcernStatus::Resolved),
            Some(_) => Err(AppError::validation(FieldErrors::from([(
                "status".to_owned(),
                FieldError::new("error.choice"),
            )]))),
        }
    }
}

/// `?status=open|resolved` and paging of the concern lists (page and API).
#[derive(Debug, Default, Deserialize)]
pub struct ConcernsQuery {
    pub status: Option<String>,
    #[serde(flatten)]
    pub paging: crate::web::paging::Paging,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ContactInput {
        ContactInput {
            mode: Some("home_visit".into()),
            duration_minutes: Some(45),
            topics: vec!["study".into(), "study".into(), "emotions".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_contact_needs_a_mode_and_a_duration() {
        let c = input().validate().unwrap();
        assert_eq!(c.contacted_on, domain::today());
        assert_eq!(c.topics, [Topic::Study, Topic::Emotions]);
        let fields = ContactInput::default().validate().unwrap_err();
        assert!(fields.contains_key("mode") && fields.contains_key("duration_minutes"));
        let mut long = input();
        long.duration_minutes = Some(1441);
        assert_eq!(
            long.validate().unwrap_err()["duration_minutes"].key,
            "error.duration_range"
        );
    }

    #[test]
    fn a_concern_is_a_category_with_a_description() {
        let mut i = input();
        i.concern_category = Some("abuse_neglect".into());
        assert_eq!(
            i.validate().unwrap_err()["concern_detail"].key,
            "error.concern_detail_required"
        );
        i.concern_detail = Some("孩子身上有淤青".into());
        assert_eq!(
            i.validate().unwrap().concern,
            Some((ConcernCategory::AbuseNeglect, "孩子身上有淤青".into()))
        );
    }
}
