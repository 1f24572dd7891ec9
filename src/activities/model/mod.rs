//! Station sessions, trainings and events (活动) and who came. What a log form or an API call
//! types, and how it is checked, is in `input`.

mod input;

use serde::{Serialize, Serializer};
use time::{Date, OffsetDateTime, Time};
use uuid::Uuid;

pub use input::{ActivityInput, Attendance, ValidActivity};

use crate::domain::{self, word_enum};
use crate::stations::model::Slot;
pub use crate::volunteers::model::Topic;
use crate::web::error::FieldError;

word_enum!(
    /// What kind of session it was, in the order forms offer them (the everyday sessions
    /// first): 学业辅导, 谈心交流, 安全照护, 心理疏导, 行为引导, 非遗技艺, 文艺, 普法宣传,
    /// 故事分享, 破冰 (the meeting that starts a pairing), 节假日活动, 赋能培训 of volunteers,
    /// anything else.
    Kind, "activity_kind", "activity.kind",
    [Tutoring = "tutoring", HeartToHeart = "heart_to_heart", SafetyCare = "safety_care",
     Psychological = "psychological", Behaviour = "behaviour", HeritageCraft = "heritage_craft",
     Arts = "arts", LegalEducation = "legal_education", StorySharing = "story_sharing",
     IceBreaking = "ice_breaking", Holiday = "holiday", Training = "training", Other = "other"]
);

/// `HH:MM`, as forms and the API write times of day.
pub fn hhmm(t: &Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

fn serialize_hhmm<S: Serializer>(t: &Option<Time>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&hhmm(t)),
        None => s.serialize_none(),
    }
}

/// Parses `HH:MM` (or `H:MM`).
pub fn parse_hhmm(text: &str) -> Result<Time, FieldError> {
    let (h, m) = text
        .trim()
        .split_once(':')
        .ok_or(FieldError::new("error.time_format"))?;
    let (Ok(h), Ok(m)) = (h.parse::<u8>(), m.get(..2).unwrap_or(m).parse::<u8>()) else {
        return Err(FieldError::new("error.time_format"));
    };
    Time::from_hms(h, m, 0).map_err(|_| FieldError::new("error.time_format"))
}

/// A session's hours as pages show them: `14:30–16:00`, the start alone, or nothing.
pub fn hours(starts_at: Option<&str>, ends_at: Option<&str>) -> String {
    match (starts_at, ends_at) {
        (Some(s), Some(e)) => format!("{s}–{e}"),
        (Some(s), None) => s.to_owned(),
        _ => String::new(),
    }
}

/// The planned opening hours of a station on a day's weekday, for the log form's defaults.
pub fn planned_hours(schedule: &[Slot], day: Date) -> Option<(Time, Time)> {
    let weekday = day.weekday().number_from_monday();
    let slot = schedule.iter().find(|s| s.weekday == weekday)?;
    let opens = parse_hhmm(&slot.opens).ok()?;
    let closes = parse_hhmm(&slot.closes).ok()?;
    Some((opens, closes))
}

/// A person who came.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Attendee {
    /// The child's or volunteer's id.
    pub id: Uuid,
    pub name: String,
    /// Whether this volunteer hosted the session (always false for children).
    pub is_host: bool,
}

/// An activity as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    pub id: Uuid,
    /// The station it was held at.
    pub station_id: Uuid,
    /// That station's name.
    pub station_name: String,
    pub kind: Kind,
    pub title: String,
    /// Topic, for a training.
    pub topic: Option<Topic>,
    /// The day.
    pub held_on: Date,
    /// Start, `HH:MM`.
    #[serde(serialize_with = "serialize_hhmm")]
    pub starts_at: Option<Time>,
    /// End, `HH:MM`.
    #[serde(serialize_with = "serialize_hhmm")]
    pub ends_at: Option<Time>,
    /// What happened.
    pub description: Option<String>,
    /// Partner organizations.
    pub partners: Option<String>,
    /// Guardians who came (counted, not named).
    pub guardian_count: i32,
    /// Other participants (counted, not named).
    pub other_count: i32,
    /// Children who came.
    pub child_count: i32,
    /// Volunteers who came.
    pub volunteer_count: i32,
    /// 人次: children + volunteers + guardians + others, derived by the database.
    pub person_visits: i32,
    /// The children who came, by name.
    pub children: Vec<Attendee>,
    /// The volunteers who came, hosts marked.
    pub volunteers: Vec<Attendee>,
    /// Until when the station's manager may correct the log; staff may at any time.
    #[serde(with = "time::serde::rfc3339")]
    pub editable_until: OffsetDateTime,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Logged.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last corrected.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Activity {
    /// Whether the day is still to come (a planned session has no attendance yet).
    pub fn is_planned(&self) -> bool {
        self.held_on > domain::today()
    }

    /// The hosting volunteers' names.
    pub fn hosts(&self) -> Vec<&str> {
        self.volunteers
            .iter()
            .filter(|v| v.is_host)
            .map(|v| v.name.as_str())
            .collect()
    }

    /// Its hours, as pages show them.
    pub fn hours(&self) -> String {
        let (s, e) = (self.starts_at.as_ref(), self.ends_at.as_ref());
        hours(s.map(hhmm).as_deref(), e.map(hhmm).as_deref())
    }
}

/// Filters of the activity list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// At this station.
    pub station_id: Option<Uuid>,
    /// Of this kind.
    pub kind: Option<Kind>,
    /// On or after this day.
    pub from: Option<Date>,
    /// On or before this day.
    pub to: Option<Date>,
    /// Part of the title.
    pub q: Option<String>,
}

/// An activity in a list: what happened and how many came, not who.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListedActivity {
    pub id: Uuid,
    pub station_id: Uuid,
    pub station_name: String,
    pub kind: Kind,
    pub title: String,
    /// Training topic.
    pub topic: Option<Topic>,
    pub held_on: Date,
    /// Start, `HH:MM`.
    pub starts_at: Option<String>,
    /// End, `HH:MM`.
    pub ends_at: Option<String>,
    pub child_count: i32,
    pub volunteer_count: i32,
    pub guardian_count: i32,
    pub other_count: i32,
    /// 人次.
    pub person_visits: i32,
    pub version: i32,
}

impl ListedActivity {
    /// Its hours, as the list shows them.
    pub fn hours(&self) -> String {
        hours(self.starts_at.as_deref(), self.ends_at.as_deref())
    }
}

/// A page of the activities a filter selects: the rows, how many there are in all, and their
/// person-visits in all.
#[derive(Debug, Clone)]
pub struct ActivityPage {
    pub items: Vec<ListedActivity>,
    pub total: i64,
    pub person_visits: i64,
}

/// Someone the quick log form offers to tick.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: Uuid,
    pub name: String,
    /// Age (children) or pipeline status key (volunteers), to tell namesakes apart.
    pub note: String,
    /// Came to one of the station's sessions in the last eight weeks.
    pub regular: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_hours_and_minutes() {
        assert_eq!(hhmm(&parse_hhmm("9:05").unwrap()), "09:05");
        assert_eq!(hhmm(&parse_hhmm("14:30:00").unwrap()), "14:30");
        assert!(parse_hhmm("25:00").is_err());
        assert!(parse_hhmm("noon").is_err());
        assert_eq!(hours(Some("14:30"), Some("16:00")), "14:30–16:00");
        assert_eq!(hours(Some("14:30"), None), "14:30");
        assert_eq!(hours(None, Some("16:00")), "");
    }

    #[test]
    fn kinds_keep_their_words_and_order() {
        assert_eq!(Kind::ALL.len(), 13);
        assert_eq!(Kind::ALL[0], Kind::Tutoring);
        assert_eq!(Kind::parse(" ice_breaking "), Some(Kind::IceBreaking));
        assert_eq!(Kind::Training.label_key(), "activity.kind.training");
    }
}
