//! A follow-up as the API answers it, as it is typed, and the list's filters.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::domain::{self, text, word_enum};
use crate::web::error::{AppError, FieldError, FieldErrors};
use crate::web::paging::{Filters, PageRequest, Paging};

/// The longest action.
pub const ACTION_MAX: usize = 500;
/// The longest note a follow-up is done with.
pub const NOTE_MAX: usize = 2000;

word_enum!(
    /// Whether a follow-up is still to do.
    FollowUpStatus, "follow_up_status", "follow_up.status", [Open = "open", Done = "done"]
);
word_enum!(
    /// The list's `status=` filter: overdue is open and past its day.
    StatusFilter, "follow_up_filter", "follow_up.filter",
    [Open = "open", Overdue = "overdue", Done = "done"]
);

/// A follow-up as the API answers it.
#[derive(Debug, Clone, Serialize)]
pub struct FollowUp {
    pub id: Uuid,
    pub pairing_id: Uuid,
    /// The contact it follows up, or…
    pub contact_id: Option<Uuid>,
    /// …the check-in (exactly one of the two).
    pub check_in_id: Option<Uuid>,
    pub assignee_id: Uuid,
    pub assignee_name: String,
    /// What is to be done.
    pub action: String,
    pub due_on: Date,
    /// `open` or `done`.
    pub status: FollowUpStatus,
    /// Open and past its day (China's today, when read).
    pub overdue: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub done_at: Option<OffsetDateTime>,
    /// What was done.
    pub done_note: Option<String>,
    /// Who marked it done, by name.
    pub done_by: Option<String>,
    /// Who flagged it, by name.
    pub created_by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Optimistic-concurrency version.
    pub version: i32,
    pub child_name: String,
    pub volunteer_name: String,
    pub station_name: String,
}

impl FollowUp {
    /// Whether it is still to do.
    pub fn is_open(&self) -> bool {
        self.status == FollowUpStatus::Open
    }
}

/// A follow-up as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FollowUpInput {
    pub contact_id: Option<String>,
    pub check_in_id: Option<String>,
    pub assignee_id: Option<String>,
    pub action: Option<String>,
    /// ISO date, today or later.
    pub due_on: Option<String>,
}

/// What a follow-up is flagged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flagged {
    Contact(Uuid),
    CheckIn(Uuid),
}

impl Flagged {
    /// The field that names it.
    pub fn field(self) -> &'static str {
        match self {
            Flagged::Contact(_) => "contact_id",
            Flagged::CheckIn(_) => "check_in_id",
        }
    }
}

/// A checked follow-up.
#[derive(Debug, Clone)]
pub struct ValidFollowUp {
    pub entry: Flagged,
    pub assignee_id: Uuid,
    pub action: String,
    pub due_on: Date,
}

fn id(
    fields: &mut FieldErrors,
    name: &str,
    value: &Option<String>,
    unknown: &'static str,
) -> Option<Uuid> {
    let text = Filters::text(value)?;
    let id = Uuid::parse_str(&text).ok();
    if id.is_none() {
        fields.insert(name.into(), FieldError::new(unknown));
    }
    id
}

impl FollowUpInput {
    /// Checks the input against `today` (China's): one entry, an assignee, an action, a day
    /// no earlier than today.
    pub fn validate(&self, today: Date) -> Result<ValidFollowUp, FieldErrors> {
        let mut fields = FieldErrors::new();
        let contact = id(
            &mut fields,
            "contact_id",
            &self.contact_id,
            "error.contact_unknown",
        );
        let check_in = id(
            &mut fields,
            "check_in_id",
            &self.check_in_id,
            "error.check_in_unknown",
        );
        let given = |v: &Option<String>| Filters::text(v).is_some();
        let entry = match (given(&self.contact_id), given(&self.check_in_id)) {
            (true, true) | (false, false) => {
                fields.insert(
                    "contact_id".into(),
                    FieldError::new("error.follow_up_one_entry"),
                );
                None
            }
            _ => contact
                .map(Flagged::Contact)
                .or(check_in.map(Flagged::CheckIn)),
        };
        let assignee_id = match Filters::text(&self.assignee_id) {
            None => {
                fields.insert("assignee_id".into(), FieldError::new("error.required"));
                None
            }
            Some(_) => id(
                &mut fields,
                "assignee_id",
                &self.assignee_id,
                "error.assignee_unknown",
            ),
        };
        let action = text::long_required(self.action.as_deref().unwrap_or(""), ACTION_MAX)
            .map_err(|e| fields.insert("action".into(), e))
            .ok();
        let due_on = domain::parse_date(self.due_on.as_deref().unwrap_or(""))
            .and_then(|d| {
                if d < today {
                    Err(FieldError::new("error.due_before_today"))
                } else {
                    Ok(d)
                }
            })
            .map_err(|e| fields.insert("due_on".into(), e))
            .ok();
        match (entry, assignee_id, action, due_on) {
            (Some(entry), Some(assignee_id), Some(action), Some(due_on)) if fields.is_empty() => {
                Ok(ValidFollowUp {
                    entry,
                    assignee_id,
                    action,
                    due_on,
                })
            }
            _ => Err(fields),
        }
    }
}

/// Marking a follow-up done, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DoneInput {
    /// What was done.
    pub note: Option<String>,
    /// The version the caller saw.
    pub version: Option<i32>,
}

impl DoneInput {
    /// The note and the version, both required.
    pub fn validate(&self) -> Result<(String, i32), FieldErrors> {
        let mut fields = FieldErrors::new();
        let note = text::long_required(self.note.as_deref().unwrap_or(""), NOTE_MAX)
            .map_err(|e| fields.insert("note".into(), e))
            .ok();
        if self.version.is_none() {
            fields.insert("version".into(), FieldError::new("error.required"));
        }
        match (note, self.version) {
            (Some(note), Some(version)) if fields.is_empty() => Ok((note, version)),
            _ => Err(fields),
        }
    }
}

/// Query of the follow-up list (page and API).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// `open`, `overdue` or `done`; none: all, the open first.
    pub status: Option<String>,
    /// `me`: assigned to the caller.
    pub assignee: Option<String>,
    /// Of this pairing.
    pub pairing_id: Option<String>,
    #[serde(flatten)]
    pub paging: Paging,
}

/// Checked filters of the list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<StatusFilter>,
    /// Assigned to the caller only.
    pub mine: bool,
    pub pairing_id: Option<Uuid>,
}

impl ListQuery {
    /// Checks filters and paging.
    pub fn checked(&self) -> Result<(Filter, PageRequest), AppError> {
        let mut check = Filters::default();
        let status = check.choice("status", &self.status, StatusFilter::parse);
        let mine = check
            .choice("assignee", &self.assignee, |w| match w {
                "me" => Some(true),
                "all" => Some(false),
                _ => None,
            })
            .unwrap_or(false);
        let pairing_id = check.id("pairing_id", &self.pairing_id, "error.choice");
        check.finish(
            Filter {
                status,
                mine,
                pairing_id,
            },
            &self.paging,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn input(contact: Option<&str>, check_in: Option<&str>, due: &str) -> FollowUpInput {
        FollowUpInput {
            contact_id: contact.map(str::to_owned),
            check_in_id: check_in.map(str::to_owned),
            assignee_id: Some(Uuid::nil().to_string()),
            action: Some("给班主任打电话".into()),
            due_on: Some(due.into()),
        }
    }

    #[test]
    fn a_follow_up_names_one_entry_and_a_day_from_today() {
        let today = date!(2026 - 12 - 10);
        let id = Uuid::new_v4().to_string();
        let ok = input(Some(&id), None, "2026-12-10")
            .validate(today)
            .unwrap();
        assert!(matches!(ok.entry, Flagged::Contact(_)));
        let ok = input(None, Some(&id), "2027-01-05")
            .validate(today)
            .unwrap();
        assert!(matches!(ok.entry, Flagged::CheckIn(_)));
        let both = input(Some(&id), Some(&id), "2026-12-10")
            .validate(today)
            .unwrap_err();
        assert!(both.contains_key("contact_id"));
        let none = input(None, None, "2026-12-10").validate(today).unwrap_err();
        assert!(none.contains_key("contact_id"));
        let past = input(Some(&id), None, "2026-12-09")
            .validate(today)
            .unwrap_err();
        assert!(past.contains_key("due_on"));
        let mut long = input(Some(&id), None, "2026-12-10");
        long.action = Some("做".repeat(ACTION_MAX + 1));
        assert!(long.validate(today).unwrap_err().contains_key("action"));
    }

    #[test]
    fn done_needs_a_note_and_the_version_seen() {
        let done = DoneInput {
            note: Some("已联系学校".into()),
            version: Some(1),
        };
        assert_eq!(done.validate().unwrap(), ("已联系学校".to_owned(), 1));
        let blank = DoneInput {
            note: Some("  ".into()),
            version: None,
        };
        let fields = blank.validate().unwrap_err();
        assert!(fields.contains_key("note") && fields.contains_key("version"));
    }
}
