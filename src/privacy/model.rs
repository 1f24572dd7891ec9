//! Data-subject requests: what a guardian asks about a child's data, or a volunteer about her
//! own — to see it, correct it, delete it or withdraw a consent — and how each was answered.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::domain::{self, text, word_enum};
use crate::web::error::{FieldError, FieldErrors};

word_enum!(
    /// What the requester asks for.
    RequestKind, "data_request_kind", "request.kind",
    [Access = "access", Correction = "correction", Deletion = "deletion", Withdrawal = "withdrawal"]
);
word_enum!(
    /// How the request came in.
    Channel, "data_request_channel", "request.channel",
    [Phone = "phone", InPerson = "in_person", Letter = "letter", Online = "online"]
);
word_enum!(
    /// Where the request stands.
    RequestStatus, "data_request_status", "request.status",
    [Open = "open", Done = "done", Refused = "refused"]
);
word_enum!(
    /// Who the requester is to the person the request is about.
    RequesterRelation, "requester_relation", "request.relation",
    [Myself = "self", Father = "father", Mother = "mother", Grandfather = "grandfather",
     Grandmother = "grandmother", Relative = "relative", Other = "other"]
);

impl RequestKind {
    /// Whether the requester's identity must be checked first: before showing or erasing.
    pub fn needs_identity_check(self) -> bool {
        matches!(self, RequestKind::Access | RequestKind::Deletion)
    }
}

/// A request as `GET /api/v1/requests/{id}` answers it.
#[derive(Debug, Clone, Serialize)]
pub struct DataRequest {
    pub id: Uuid,
    pub kind: RequestKind,
    /// The child it is about, or
    pub child_id: Option<Uuid>,
    /// the volunteer it is about.
    pub volunteer_id: Option<Uuid>,
    /// That person's name as it is on record now.
    pub subject_name: String,
    pub requester_name: String,
    pub requester_relation: RequesterRelation,
    pub channel: Channel,
    pub received_on: Date,
    /// How the requester's identity was checked.
    pub identity_check: Option<String>,
    pub note: Option<String>,
    /// `received_on` and the days a request may take.
    pub due_on: Date,
    /// Still open after `due_on`.
    pub overdue: bool,
    pub status: RequestStatus,
    /// Why it was refused.
    pub reason: Option<String>,
    /// The withdrawal of a consent that opened it, if one did.
    pub consent_id: Option<Uuid>,
    pub handled_by: Option<Uuid>,
    pub handled_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub handled_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub version: i32,
}

/// A request as typed (`POST /api/v1/requests`, the page's form).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RequestInput {
    pub kind: Option<String>,
    pub child_id: Option<String>,
    pub volunteer_id: Option<String>,
    pub requester_name: Option<String>,
    pub requester_relation: Option<String>,
    pub channel: Option<String>,
    pub received_on: Option<String>,
    pub identity_check: Option<String>,
    pub note: Option<String>,
}

/// Who a request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Child(Uuid),
    Volunteer(Uuid),
}

impl Subject {
    /// The child, the volunteer.
    pub fn ids(self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            Subject::Child(id) => (Some(id), None),
            Subject::Volunteer(id) => (None, Some(id)),
        }
    }
}

/// A checked request.
#[derive(Debug, Clone)]
pub struct ValidRequest {
    pub kind: RequestKind,
    pub subject: Subject,
    pub requester_name: String,
    pub requester_relation: RequesterRelation,
    pub channel: Channel,
    pub received_on: Date,
    pub identity_check: Option<String>,
    pub note: Option<String>,
}

impl RequestInput {
    /// Checks every field; all errors at once.
    pub fn validate(&self) -> Result<ValidRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = word(&self.kind, RequestKind::parse, "kind", &mut errors);
        let id = |text: &Option<String>, field: &str, errors: &mut FieldErrors| {
            let text = text.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
            Uuid::parse_str(text)
                .map_err(|_| errors.insert(field.to_owned(), FieldError::new("error.not_found")))
                .ok()
        };
        let child = id(&self.child_id, "child_id", &mut errors);
        let volunteer = id(&self.volunteer_id, "volunteer_id", &mut errors);
        let subject = match (child, volunteer) {
            (Some(c), None) => Some(Subject::Child(c)),
            (None, Some(v)) => Some(Subject::Volunteer(v)),
            _ => {
                if !errors.contains_key("child_id") && !errors.contains_key("volunteer_id") {
                    errors.insert(
                        "child_id".into(),
                        FieldError::new("error.request_one_subject"),
                    );
                }
                None
            }
        };
        let requester_name = text::required(self.requester_name.as_deref().unwrap_or(""), 50)
            .map_err(|e| errors.insert("requester_name".into(), e))
            .ok();
        let requester_relation = word(
            &self.requester_relation,
            RequesterRelation::parse,
            "requester_relation",
            &mut errors,
        );
        let channel = word(&self.channel, Channel::parse, "channel", &mut errors);
        let received_on = domain::past_date(self.received_on.as_deref().unwrap_or(""))
            .map_err(|e| errors.insert("received_on".into(), e))
            .ok();
        let identity_check = text::optional(self.identity_check.as_deref(), 200)
            .map_err(|e| errors.insert("identity_check".into(), e))
            .ok()
            .flatten();
        if kind.is_some_and(RequestKind::needs_identity_check) && identity_check.is_none() {
            errors
                .entry("identity_check".into())
                .or_insert_with(|| FieldError::new("error.identity_check_required"));
        }
        let note = text::long_optional(self.note.as_deref(), 2000)
            .map_err(|e| errors.insert("note".into(), e))
            .ok()
            .flatten();
        match (
            kind,
            subject,
            requester_name,
            requester_relation,
            channel,
            received_on,
        ) {
            (Some(kind), Some(subject), Some(name), Some(relation), Some(channel), Some(on))
                if errors.is_empty() =>
            {
                Ok(ValidRequest {
                    kind,
                    subject,
                    requester_name: name,
                    requester_relation: relation,
                    channel,
                    received_on: on,
                    identity_check,
                    note,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Carrying out a request (`POST /api/v1/requests/{id}/complete`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CompleteInput {
    /// The version the caller saw.
    pub version: Option<i32>,
}

/// Refusing a request (`POST /api/v1/requests/{id}/refuse`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RefuseInput {
    pub version: Option<i32>,
    /// Why: told to the requester, kept with the request.
    pub reason: Option<String>,
}

impl RefuseInput {
    /// The version and the reason, both required.
    pub fn validate(&self) -> Result<(i32, String), FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.version.is_none() {
            errors.insert("version".into(), FieldError::new("error.required"));
        }
        let reason = text::long_optional(self.reason.as_deref(), 1000)
            .and_then(|r| r.ok_or_else(|| FieldError::new("error.required")))
            .map_err(|e| errors.insert("reason".into(), e))
            .ok();
        match (self.version, reason) {
            (Some(v), Some(r)) if errors.is_empty() => Ok((v, r)),
            _ => Err(errors),
        }
    }
}

/// The filter of the request list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<RequestStatus>,
    pub kind: Option<RequestKind>,
    /// Only open requests past their due day.
    pub overdue: bool,
    pub child_id: Option<Uuid>,
    pub volunteer_id: Option<Uuid>,
}

/// A word of a closed list: required, one of the list's.
fn word<T>(
    text: &Option<String>,
    parse: impl Fn(&str) -> Option<T>,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<T> {
    match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => {
            errors.insert(field.to_owned(), FieldError::new("error.required"));
            None
        }
        Some(t) => parse(t).or_else(|| {
            errors.insert(field.to_owned(), FieldError::new("error.choice"));
            None
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> RequestInput {
        RequestInput {
            kind: Some("deletion".into()),
            child_id: Some(Uuid::nil().to_string()),
            requester_name: Some("王秀英".into()),
            requester_relation: Some("grandmother".into()),
            channel: Some("phone".into()),
            received_on: Some("2026-11-20".into()),
            identity_check: Some("回拨登记电话核实".into()),
            ..RequestInput::default()
        }
    }

    #[test]
    fn a_deletion_needs_the_identity_check_and_one_subject() {
        assert!(input().validate().is_ok());
        let unchecked = RequestInput {
            identity_check: None,
            ..input()
        };
        let errors = unchecked.validate().unwrap_err();
        assert_eq!(
            errors["identity_check"].key,
            "error.identity_check_required"
        );
        let both = RequestInput {
            volunteer_id: Some(Uuid::nil().to_string()),
            ..input()
        };
        assert_eq!(
            both.validate().unwrap_err()["child_id"].key,
            "error.request_one_subject"
        );
        let correction = RequestInput {
            kind: Some("correction".into()),
            identity_check: None,
            ..input()
        };
        assert!(
            correction.validate().is_ok(),
            "a correction is checked by its outcome"
        );
    }

    #[test]
    fn a_refusal_says_why() {
        let none = RefuseInput {
            version: Some(1),
            reason: Some("  ".into()),
        };
        assert_eq!(none.validate().unwrap_err()["reason"].key, "error.required");
        assert!(
            RefuseInput {
                version: Some(1),
                reason: Some("身份无法核实".into())
            }
            .validate()
            .is_ok()
        );
    }
}
