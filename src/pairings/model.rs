//! Pairings (结对): a child with a trained volunteer, from the first meeting to the closing.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::domain::{self, text};
use crate::web::error::{AppError, FieldError, FieldErrors};
use crate::web::paging::{Filters, PageRequest, Paging};

pub use crate::domain::pairing::{ClosureDecidedBy, ClosureReason, Health, PairingStatus};

/// A pairing as `GET /api/v1/pairings/{id}` answers it.
#[derive(Debug, Clone, Serialize)]
pub struct Pairing {
    pub id: Uuid,
    pub child_id: Uuid,
    pub child_name: String,
    pub volunteer_id: Uuid,
    pub volunteer_name: String,
    /// The station the pairing belongs to (the child's).
    pub station_id: Uuid,
    /// That station's name.
    pub station_name: String,
    pub status: PairingStatus,
    /// First day of the pairing.
    pub started_on: Date,
    /// Last day, once closed.
    pub ended_on: Option<Date>,
    pub closure_reason: Option<ClosureReason>,
    /// What the closing staff member wrote.
    pub closure_note: Option<String>,
    /// Whether a closing conversation was held with the child, and with the guardian.
    pub closing_talk_child: Option<bool>,
    pub closing_talk_guardian: Option<bool>,
    /// Who decided to end it.
    pub closure_decided_by: Option<ClosureDecidedBy>,
    /// Whether the child is to be paired again first.
    pub re_pair: bool,
    /// Who closed it (or suspended it, for a safeguarding concern), by name.
    pub closed_by: Option<String>,
    /// Who confirmed a safeguarding closure, by name.
    pub closure_confirmed_by: Option<String>,
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
    /// The latest home visit that reached the child.
    pub last_home_visit_on: Option<Date>,
    /// The latest staff check-in.
    pub last_check_in_on: Option<Date>,
    /// When the next contact falls due under the pairing's standard (running pairings).
    pub contact_due_on: Option<Date>,
    /// When the next home visit falls due (none when the standard asks none).
    pub home_visit_due_on: Option<Date>,
    /// When the next staff check-in falls due (none when the standard asks none).
    pub check_in_due_on: Option<Date>,
    /// How it is doing against its standard: `new`, `on_track`, `due_soon` or `overdue`
    /// (running pairings only).
    pub health: Option<Health>,
    /// Why, in words: what is overdue or due within the week, and attempts without reaching
    /// the child.
    pub health_reasons: Vec<String>,
    /// The mark and its reasons as the volunteer reads them: by her contacts and home visits
    /// (staff's check-ins are staff's to keep).
    #[serde(skip)]
    pub own_health: Option<Health>,
    #[serde(skip)]
    pub own_reasons: Vec<String>,
    /// Optimistic-concurrency version.
    pub version: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A pairing as its own volunteer reads it through the API: what her portal shows of it. The
/// child's given name only, and nothing of a closing (a closed pairing is no longer hers to
/// read; staff's closing note is about her and never shown to her).
#[derive(Debug, Clone, Serialize)]
pub struct OwnPairing {
    pub id: Uuid,
    pub child_id: Uuid,
    /// Given name only (名, without the family name).
    pub child_name: String,
    pub volunteer_id: Uuid,
    pub volunteer_name: String,
    pub station_id: Uuid,
    pub station_name: String,
    pub status: PairingStatus,
    pub started_on: Date,
    pub agreement_signed_on: Option<Date>,
    pub first_activity_id: Option<Uuid>,
    pub first_activity_title: Option<String>,
    pub first_activity_on: Option<Date>,
    pub contact_count: i32,
    pub last_contact_on: Option<Date>,
    pub contact_due_on: Option<Date>,
    pub home_visit_due_on: Option<Date>,
    pub health: Option<Health>,
    pub health_reasons: Vec<String>,
    pub version: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Pairing> for OwnPairing {
    fn from(p: Pairing) -> OwnPairing {
        OwnPairing {
            id: p.id,
            child_id: p.child_id,
            child_name: domain::given_name(&p.child_name),
            volunteer_id: p.volunteer_id,
            volunteer_name: p.volunteer_name,
            station_id: p.station_id,
            station_name: p.station_name,
            status: p.status,
            started_on: p.started_on,
            agreement_signed_on: p.agreement_signed_on,
            first_activity_id: p.first_activity_id,
            first_activity_title: p.first_activity_title,
            first_activity_on: p.first_activity_on,
            contact_count: p.contact_count,
            last_contact_on: p.last_contact_on,
            contact_due_on: p.contact_due_on,
            home_visit_due_on: p.home_visit_due_on,
            health: p.own_health,
            health_reasons: p.own_reasons,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A pairing as the API answers it to its reader: the whole record to staff and station
/// managers, [`OwnPairing`] to the pairing's volunteer.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PairingView {
    Full(Pairing),
    Own(OwnPairing),
}

/// A new pairing as typed (`POST /api/v1/pairings`, the pairing form).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PairingInput {
    pub child_id: Option<String>,
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
    pub child_id: Uuid,
    pub volunteer_id: Uuid,
    pub started_on: Date,
    pub agreement_signed_on: Option<Date>,
    pub first_activity_id: Option<Uuid>,
}

/// Filters of the pairing list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Part of the child's or the volunteer's name.
    pub q: Option<String>,
    pub station_id: Option<Uuid>,
    pub child_id: Option<Uuid>,
    pub volunteer_id: Option<Uuid>,
    pub status: Option<PairingStatus>,
    /// With this health mark (active pairings only).
    pub health: Option<Health>,
}

/// Query of the pairing list.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// Part of the child's or the volunteer's name.
    pub q: Option<String>,
    /// At this station.
    pub station_id: Option<String>,
    /// Of this child.
    pub child_id: Option<String>,
    /// Of this volunteer.
    pub volunteer_id: Option<String>,
    /// `active`, `suspended` or `closed`.
    pub status: Option<String>,
    /// `new`, `on_track`, `due_soon` or `overdue`.
    pub health: Option<String>,
    /// `xlsx` for a spreadsheet of the whole list.
    pub format: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

impl ListQuery {
    /// Checks filters and paging.
    pub fn checked(&self) -> Result<(Filter, PageRequest), AppError> {
        let mut check = Filters::default();
        let filter = Filter {
            q: Filters::text(&self.q),
            station_id: check.id("station_id", &self.station_id, "error.station_unknown"),
            child_id: check.id("child_id", &self.child_id, "error.child_unknown"),
            volunteer_id: check.id(
                "volunteer_id",
                &self.volunteer_id,
                "error.volunteer_unknown",
            ),
            status: check.choice("status", &self.status, PairingStatus::parse),
            health: check.choice("health", &self.health, Health::parse),
        };
        check.finish(filter, &self.paging)
    }
    /// The filters asked for, as an export's audit event records them.
    pub fn filters(&self) -> serde_json::Value {
        crate::web::export::filters(&[
            ("q", self.q.as_deref()),
            ("station_id", self.station_id.as_deref()),
            ("child_id", self.child_id.as_deref()),
            ("volunteer_id", self.volunteer_id.as_deref()),
            ("status", self.status.as_deref()),
            ("health", self.health.as_deref()),
        ])
    }
}

/// A child waiting for a pairing.
#[derive(Debug, Clone, Serialize)]
pub struct WaitingChild {
    pub id: Uuid,
    pub name: String,
    /// Age today.
    pub age: i32,
    pub station_id: Uuid,
    pub station_name: String,
    /// Waiting since: registration, or the end of the last pairing.
    pub waiting_since: Date,
    /// Days waited so far.
    pub days_waiting: i64,
    /// Whether a guardian's pairing consent is in force today (else that comes first).
    pub has_pairing_consent: bool,
    /// When her last pairing closed asking to pair her again first: why it closed (she then
    /// heads the list).
    pub re_pair_reason: Option<ClosureReason>,
}

/// Several pairs from one station's event, confirmed together (`POST /api/v1/pairings/batch`,
/// the batch page).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BatchInput {
    /// The station every child belongs to.
    pub station_id: Option<String>,
    /// The ice-breaking event where they met, if any.
    pub activity_id: Option<String>,
    /// First day of every pairing (default today).
    pub started_on: Option<String>,
    /// When the agreements were signed.
    pub agreement_signed_on: Option<String>,
    pub pairs: Vec<BatchPair>,
}

/// One pair of a batch.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BatchPair {
    pub child_id: Option<String>,
    pub volunteer_id: Option<String>,
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
    /// Whether a closing conversation was held with the child.
    pub closing_talk_child: Option<bool>,
    /// Whether a closing conversation was held with the guardian.
    pub closing_talk_guardian: Option<bool>,
    /// Who decided to end it: `volunteer`, `guardian`, `child` or `staff`.
    pub closure_decided_by: Option<String>,
    /// Whether the child is to be paired again first: she heads the waiting list.
    pub re_pair: Option<bool>,
    /// The version the caller saw.
    pub version: Option<i32>,
}

/// A checked closing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    pub ended_on: Date,
    pub reason: ClosureReason,
    pub note: Option<String>,
    pub talk_child: Option<bool>,
    pub talk_guardian: Option<bool>,
    pub decided_by: Option<ClosureDecidedBy>,
    pub re_pair: bool,
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
            Some(word) => ClosureReason::parse(word)
                .filter(|r| r.chosen_by_hand())
                .or_else(|| {
                    fields.insert("closure_reason".into(), FieldError::new("error.choice"));
                    None
                }),
        };
        let note = text::long_optional(self.closure_note.as_deref(), 1000)
            .map_err(|e| fields.insert("closure_note".into(), e))
            .ok()
            .flatten();
        if reason.is_some_and(ClosureReason::needs_note) && note.is_none() {
            fields.insert(
                "closure_note".into(),
                FieldError::new("error.closure_note_required"),
            );
        }
        let decided_by = match self.closure_decided_by.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(word) => ClosureDecidedBy::parse(word).or_else(|| {
                fields.insert("closure_decided_by".into(), FieldError::new("error.choice"));
                None
            }),
        };
        if self.version.is_none() {
            fields.insert("version".into(), FieldError::new("error.required"));
        }
        match (ended_on, reason, self.version) {
            (Some(ended_on), Some(reason), Some(version)) if fields.is_empty() => Ok(Closing {
                ended_on,
                reason,
                note,
                talk_child: self.closing_talk_child,
                talk_guardian: self.closing_talk_guardian,
                decided_by,
                re_pair: self.re_pair.unwrap_or(false),
                version,
            }),
            _ => Err(fields),
        }
    }
}

/// Moving a child or a volunteer to another station, as typed
/// (`POST /api/v1/children/{id}/transfer`, `POST /api/v1/volunteers/{id}/transfer`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TransferInput {
    /// The station she moves to.
    pub station_id: Option<String>,
    /// Her new residence, in that station's county.
    pub region_code: Option<String>,
    /// The version of her record the caller saw.
    pub version: Option<i32>,
}

/// A checked transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub station_id: Uuid,
    pub region_code: domain::region::RegionCode,
    pub version: i32,
}

impl TransferInput {
    /// Checks the three fields, naming each one that is missing or malformed.
    pub fn validate(&self) -> Result<Transfer, FieldErrors> {
        let mut fields = FieldErrors::new();
        let station = match self.station_id.as_deref().map(str::trim) {
            None | Some("") => {
                fields.insert("station_id".into(), FieldError::new("error.required"));
                None
            }
            Some(id) => Uuid::parse_str(id).ok().or_else(|| {
                fields.insert(
                    "station_id".into(),
                    FieldError::new("error.station_unknown"),
                );
                None
            }),
        };
        let region = match self.region_code.as_deref().map(str::trim) {
            None | Some("") => {
                fields.insert("region_code".into(), FieldError::new("error.required"));
                None
            }
            Some(code) => domain::region::RegionCode::parse(code)
                .map_err(|e| fields.insert("region_code".into(), e))
                .ok(),
        };
        if self.version.is_none() {
            fields.insert("version".into(), FieldError::new("error.required"));
        }
        match (station, region, self.version) {
            (Some(station_id), Some(region_code), Some(version)) if fields.is_empty() => {
                Ok(Transfer {
                    station_id,
                    region_code,
                    version,
                })
            }
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
