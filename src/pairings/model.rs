//! Pairings (结对): a child with a trained volunteer, from the first meeting to the closing.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::domain::{self, text};
use crate::web::error::{FieldError, FieldErrors};

pub use crate::domain::pairing::{ClosureReason, Health, PairingStatus};

/// A pairing as `GET /api/v1/pairings/{id}` answers it.
#[derive(Debug, Clone, Serialize)]
pub struct Pairing {
    /// Id.
    pub id: Uuid,
    /// The child.
    pub child_id: Uuid,
    /// The child's name.
    pub child_name: String,
    /// The volunteer.
    pub volunteer_id: Uuid,
    /// The volunteer's name.
    pub volunteer_name: String,
    /// The station the pairing belongs to (the child's).
    pub station_id: Uuid,
    /// That station's name.
    pub station_name: String,
    /// Active or closed.
    pub status: PairingStatus,
    /// First day of the pairing.
    pub started_on: Date,
    /// Last day, once closed.
    pub ended_on: Option<Date>,
    /// Why it closed.
    pub closure_reason: Option<ClosureReason>,
    /// What the closing staff member wrote.
    pub closure_note: Option<String>,
    /// When the pairing agreement was signed.
    pub agreement_signed_on: Option<Date>,
    /// The ice-breaking activity where they first met, if any.
    pub first_activity_id: Option<Uuid>,
    /// Its title.
    pub first_activity_title: Option<String>,
    /// Its date.
    pub first_activity_on: Option<Date>,
    /// Contacts logged so far.
    pub contact_count: i32,
    /// The latest contact's date.
    pub last_contact_on: Option<Date>,
    /// How it is doing (active pairings only).
    pub health: Option<Health>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A new pairing as typed (`POST /api/v1/pairings`, the pairing form).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PairingInput {
    /// The child.
    pub child_id: Option<String>,
    /// The volunteer.
    pub volunteer_id: Option<String>,
    /// First day (default today).
    pub started_on: Option<String>,
    /// When the agreement was signed.
    pub agreement_signed_on: Option<String>,
    /// The ice-breaking activity where they met.
    pub first_activity_id: Option<String>,
}

/// A checked new pairing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPairing {
    /// The child.
    pub child_id: Uuid,
    /// The volunteer.
    pub volunteer_id: Uuid,
    /// First day.
    pub started_on: Date,
    /// Agreement signed.
    pub agreement_signed_on: Option<Date>,
    /// First meeting.
    pub first_activity_id: Option<Uuid>,
}

/// An id field: required, and a well-formed id.
fn id_field(fields: &mut FieldErrors, name: &str, value: &Option<String>) -> Option<Uuid> {
    match value.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            fields.insert(name.into(), FieldError::new("error.required"));
            None
        }
        Some(text) => {
            let id = Uuid::parse_str(text).ok();
            if id.is_none() {
                fields.insert(name.into(), FieldError::new(unknown_key(name)));
            }
            id
        }
    }
}

/// The message for an id that names nothing the caller may see.
pub fn unknown_key(field: &str) -> &'static str {
    match field {
        "child_id" => "error.child_unknown",
        "volunteer_id" => "error.volunteer_unknown",
        "first_activity_id" => "error.activity_unknown",
        _ => "error.choice",
    }
}

/// An optional past date.
fn past_date_field(fields: &mut FieldErrors, name: &str, value: &Option<String>) -> Option<Date> {
    let text = value.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    domain::past_date(text)
        .map_err(|e| fields.insert(name.into(), e))
        .ok()
}

impl PairingInput {
    /// Checks the input; `started_on` defaults to today.
    pub fn validate(&self) -> Result<NewPairing, FieldErrors> {
        let mut fields = FieldErrors::new();
        let child_id = id_field(&mut fields, "child_id", &self.child_id);
        let volunteer_id = id_field(&mut fields, "volunteer_id", &self.volunteer_id);
        let started_on = match self.started_on.as_deref().map(str::trim) {
            None | Some("") => Some(domain::today()),
            Some(_) => past_date_field(&mut fields, "started_on", &self.started_on),
        };
        let agreement_signed_on = past_date_field(
            &mut fields,
            "agreement_signed_on",
            &self.agreement_signed_on,
        );
        let first_activity_id = match self.first_activity_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(_) => id_field(&mut fields, "first_activity_id", &self.first_activity_id),
        };
        match (child_id, volunteer_id, started_on) {
            (Some(child_id), Some(volunteer_id), Some(started_on)) if fields.is_empty() => {
                Ok(NewPairing {
                    child_id,
                    volunteer_id,
                    started_on,
                    agreement_signed_on,
                    first_activity_id,
                })
            }
            _ => Err(fields),
        }
    }
}

/// Closing a pairing as typed (`POST /api/v1/pairings/{id}/close`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CloseInput {
    /// Last day (default today).
    pub ended_on: Option<String>,
    /// One of the closure reasons.
    pub closure_reason: Option<String>,
    /// What happened (required for `safeguarding_concern` and `other`).
    pub closure_note: Option<String>,
    /// The version the caller saw.
    pub version: Option<i32>,
}

/// A checked closing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    /// Last day.
    pub ended_on: Date,
    /// Why.
    pub reason: ClosureReason,
    /// Note.
    pub note: Option<String>,
    /// The version the caller saw.
    pub version: i32,
}

impl CloseInput {
    /// Checks the input; `ended_on` defaults to today.
    pub fn validate(&self) -> Result<Closing, FieldErrors> {
        let mut fields = FieldErrors::new();
        let ended_on = match self.ended_on.as_deref().map(str::trim) {
            None | Some("") => Some(domain::today()),
            Some(_) => past_date_field(&mut fields, "ended_on", &self.ended_on),
        };
        let reason = match self.closure_reason.as_deref().map(str::trim) {
            None | Some("") => {
                fields.insert("closure_reason".into(), FieldError::new("error.required"));
                None
            }
            Some(word) => ClosureReason::parse(word).or_else(|| {
                fields.insert("closure_reason".into(), FieldError::new("error.choice"));
                None
            }),
        };
        let note = text::optional(self.closure_note.as_deref(), 1000)
            .map_err(|e| fields.insert("closure_note".into(), e))
            .ok()
            .flatten();
        if reason.is_some_and(ClosureReason::needs_note) && note.is_none() {
            fields.insert(
                "closure_note".into(),
                FieldError::new("error.closure_note_required"),
            );
        }
        if self.version.is_none() {
            fields.insert("version".into(), FieldError::new("error.required"));
        }
        match (ended_on, reason, self.version) {
            (Some(ended_on), Some(reason), Some(version)) if fields.is_empty() => Ok(Closing {
                ended_on,
                reason,
                note,
                version,
            }),
            _ => Err(fields),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closing_needs_a_reason_and_a_note_for_concerns() {
        let input = CloseInput {
            closure_reason: Some("safeguarding_concern".into()),
            version: Some(1),
            ..Default::default()
        };
        let fields = input.validate().unwrap_err();
        assert_eq!(fields["closure_note"].key, "error.closure_note_required");
        let input = CloseInput {
            closure_reason: Some("family_moved".into()),
            version: Some(1),
            ..Default::default()
        };
        assert_eq!(input.validate().unwrap().reason, ClosureReason::FamilyMoved);
        assert!(CloseInput::default().validate().is_err());
    }

    #[test]
    fn a_pairing_needs_a_child_and_a_volunteer() {
        let fields = PairingInput::default().validate().unwrap_err();
        assert!(fields.contains_key("child_id") && fields.contains_key("volunteer_id"));
        let input = PairingInput {
            child_id: Some(Uuid::nil().to_string()),
            volunteer_id: Some("nonsense".into()),
            ..Default::default()
        };
        assert_eq!(
            input.validate().unwrap_err()["volunteer_id"].key,
            "error.volunteer_unknown"
        );
    }
}
