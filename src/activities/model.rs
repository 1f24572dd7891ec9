//! Station sessions, trainings and events (活动), who came, and what makes a log correct.

use serde::{Deserialize, Serialize, Serializer};
use time::{Date, OffsetDateTime, Time};
use uuid::Uuid;

use crate::domain::{self, text};
use crate::i18n::Lang;
pub use crate::volunteers::model::Topic;
use crate::web::error::{FieldError, FieldErrors};

/// What kind of session it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "activity_kind", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 学业辅导
    Tutoring,
    /// 谈心交流
    HeartToHeart,
    /// 安全照护
    SafetyCare,
    /// 心理疏导
    Psychological,
    /// 行为引导
    Behaviour,
    /// 非遗技艺
    HeritageCraft,
    /// 文艺
    Arts,
    /// 普法宣传
    LegalEducation,
    /// 故事分享
    StorySharing,
    /// 破冰 / 结对见面
    IceBreaking,
    /// 节假日活动
    Holiday,
    /// 赋能培训 of volunteers
    Training,
    /// Anything else.
    Other,
}

impl Kind {
    /// Every kind, in the order forms offer them (the everyday sessions first).
    pub const ALL: [Kind; 13] = [
        Kind::Tutoring,
        Kind::HeartToHeart,
        Kind::SafetyCare,
        Kind::Psychological,
        Kind::Behaviour,
        Kind::HeritageCraft,
        Kind::Arts,
        Kind::LegalEducation,
        Kind::StorySharing,
        Kind::IceBreaking,
        Kind::Holiday,
        Kind::Training,
        Kind::Other,
    ];

    /// The API word.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Tutoring => "tutoring",
            Kind::HeartToHeart => "heart_to_heart",
            Kind::SafetyCare => "safety_care",
            Kind::Psychological => "psychological",
            Kind::Behaviour => "behaviour",
            Kind::HeritageCraft => "heritage_craft",
            Kind::Arts => "arts",
            Kind::LegalEducation => "legal_education",
            Kind::StorySharing => "story_sharing",
            Kind::IceBreaking => "ice_breaking",
            Kind::Holiday => "holiday",
            Kind::Training => "training",
            Kind::Other => "other",
        }
    }

    /// Parses the API word.
    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text.trim())
    }

    /// Message key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            Kind::Tutoring => "activity.kind.tutoring",
            Kind::HeartToHeart => "activity.kind.heart_to_heart",
            Kind::SafetyCare => "activity.kind.safety_care",
            Kind::Psychological => "activity.kind.psychological",
            Kind::Behaviour => "activity.kind.behaviour",
            Kind::HeritageCraft => "activity.kind.heritage_craft",
            Kind::Arts => "activity.kind.arts",
            Kind::LegalEducation => "activity.kind.legal_education",
            Kind::StorySharing => "activity.kind.story_sharing",
            Kind::IceBreaking => "activity.kind.ice_breaking",
            Kind::Holiday => "activity.kind.holiday",
            Kind::Training => "activity.kind.training",
            Kind::Other => "activity.kind.other",
        }
    }
}

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

/// A person who came.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Attendee {
    /// The child's or volunteer's id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Whether this volunteer hosted the session (always false for children).
    pub is_host: bool,
}

/// An activity as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    /// Id.
    pub id: Uuid,
    /// The station it was held at.
    pub station_id: Uuid,
    /// That station's name.
    pub station_name: String,
    /// Kind.
    pub kind: Kind,
    /// Title.
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
}

/// How long after a session a station manager may still correct its log.
pub const MANAGER_CORRECTION_DAYS: i64 = 7;

/// An activity as typed (JSON or form); every field optional so that a PATCH can send a few.
/// Absent attendance lists keep the attendance; a list given replaces it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ActivityInput {
    /// Kind.
    pub kind: Option<String>,
    /// Title (the kind's name when left empty).
    pub title: Option<String>,
    /// Training topic (trainings only).
    pub topic: Option<String>,
    /// ISO date.
    pub held_on: Option<String>,
    /// `HH:MM`.
    pub starts_at: Option<String>,
    /// `HH:MM`.
    pub ends_at: Option<String>,
    /// What happened.
    pub description: Option<String>,
    /// Partner organizations.
    pub partners: Option<String>,
    /// Guardians who came.
    pub guardian_count: Option<i64>,
    /// Other participants.
    pub other_count: Option<i64>,
    /// The children who came.
    pub child_ids: Option<Vec<String>>,
    /// The volunteers who came.
    pub volunteer_ids: Option<Vec<String>>,
    /// The volunteers who hosted (they came, whether listed in `volunteer_ids` or not).
    pub host_ids: Option<Vec<String>>,
    /// The version edited (PATCH).
    pub version: Option<i32>,
}

/// Who came, checked: no repeats, hosts among the volunteers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attendance {
    /// Children.
    pub children: Vec<Uuid>,
    /// Volunteers.
    pub volunteers: Vec<Uuid>,
    /// Volunteers who hosted (a subset of `volunteers`).
    pub hosts: Vec<Uuid>,
}

impl Attendance {
    /// Nobody named.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty() && self.volunteers.is_empty()
    }
}

/// A checked activity, ready to store.
#[derive(Debug, Clone)]
pub struct ValidActivity {
    /// Kind.
    pub kind: Kind,
    /// Title.
    pub title: String,
    /// Topic, exactly when a training.
    pub topic: Option<Topic>,
    /// Day.
    pub held_on: Date,
    /// Start.
    pub starts_at: Option<Time>,
    /// End.
    pub ends_at: Option<Time>,
    /// Description.
    pub description: Option<String>,
    /// Partners.
    pub partners: Option<String>,
    /// Guardians.
    pub guardian_count: i32,
    /// Others.
    pub other_count: i32,
    /// Who came; `None` keeps the stored attendance (a PATCH without lists).
    pub attendance: Option<Attendance>,
}

fn ids(list: &[String], field: &str, errors: &mut FieldErrors) -> Vec<Uuid> {
    let mut out: Vec<Uuid> = Vec::with_capacity(list.len());
    for text in list.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        match Uuid::parse_str(text) {
            Ok(id) if !out.contains(&id) => out.push(id),
            Ok(_) => {}
            Err(_) => {
                errors.insert(field.to_owned(), FieldError::new("error.unknown_person"));
            }
        }
    }
    out
}

fn count(value: Option<i64>, field: &str, errors: &mut FieldErrors) -> i32 {
    match value {
        None => 0,
        Some(n) if (0..=10_000).contains(&n) => n as i32,
        Some(_) => {
            errors.insert(field.to_owned(), FieldError::new("error.count_range"));
            0
        }
    }
}

impl ActivityInput {
    /// Fills what a PATCH leaves out from the current record (attendance lists stay absent:
    /// absent means unchanged).
    pub fn over(mut self, current: &Activity) -> ActivityInput {
        self.kind
            .get_or_insert_with(|| current.kind.as_str().to_owned());
        self.title.get_or_insert_with(|| current.title.clone());
        if self.topic.is_none() {
            self.topic = current.topic.map(|t| t.as_str().to_owned());
        }
        self.held_on
            .get_or_insert_with(|| current.held_on.to_string());
        if self.starts_at.is_none() {
            self.starts_at = current.starts_at.as_ref().map(hhmm);
        }
        if self.ends_at.is_none() {
            self.ends_at = current.ends_at.as_ref().map(hhmm);
        }
        if self.description.is_none() {
            self.description = current.description.clone();
        }
        if self.partners.is_none() {
            self.partners = current.partners.clone();
        }
        self.guardian_count
            .get_or_insert(i64::from(current.guardian_count));
        self.other_count
            .get_or_insert(i64::from(current.other_count));
        // Each list left out keeps who is on record; all three left out keep the attendance
        // as it is without touching it.
        if self.child_ids.is_some() || self.volunteer_ids.is_some() || self.host_ids.is_some() {
            let ids = |people: &mut dyn Iterator<Item = &Attendee>| {
                people.map(|p| p.id.to_string()).collect::<Vec<_>>()
            };
            self.child_ids
                .get_or_insert_with(|| ids(&mut current.children.iter()));
            match (&self.volunteer_ids, &self.host_ids) {
                (Some(volunteers), None) => {
                    // Hosts on record stay hosts only if they are still listed as present.
                    let hosts = current
                        .volunteers
                        .iter()
                        .filter(|v| v.is_host && volunteers.contains(&v.id.to_string()));
                    self.host_ids = Some(ids(&mut hosts.into_iter()));
                }
                (None, _) => {
                    self.volunteer_ids = Some(ids(&mut current.volunteers.iter()));
                    self.host_ids.get_or_insert_with(|| {
                        ids(&mut current.volunteers.iter().filter(|v| v.is_host))
                    });
                }
                (Some(_), Some(_)) => {}
            }
        }
        self
    }

    /// Checks every field. Attendance is checked against the station by the service.
    pub fn validate(&self) -> Result<ValidActivity, FieldErrors> {
        let mut errors = FieldErrors::new();
        let nonempty = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let kind = match nonempty(&self.kind) {
            None => {
                errors.insert("kind".into(), FieldError::new("error.required"));
                None
            }
            Some(k) => Kind::parse(&k).or_else(|| {
                errors.insert("kind".into(), FieldError::new("error.choice"));
                None
            }),
        };
        let topic = match (kind, nonempty(&self.topic)) {
            (Some(Kind::Training), None) => {
                errors.insert("topic".into(), FieldError::new("error.topic_required"));
                None
            }
            (Some(Kind::Training), Some(t)) => Topic::parse(&t).or_else(|| {
                errors.insert("topic".into(), FieldError::new("error.choice"));
                None
            }),
            // A topic belongs to trainings only; a form may still post the select's value.
            _ => None,
        };
        let title = match nonempty(&self.title) {
            // The kind's name serves when nobody typed a title (quick logging on a phone).
            None => kind.map(|k| Lang::ZhCn.t(k.label_key()).to_owned()),
            Some(t) => text::required(&t, 100)
                .map_err(|e| errors.insert("title".into(), e))
                .ok(),
        };
        let held_on = match domain::parse_date(self.held_on.as_deref().unwrap_or("")) {
            Ok(d) if d > domain::today() + time::Duration::days(366) => {
                errors.insert("held_on".into(), FieldError::new("error.date_too_far"));
                None
            }
            Ok(d) if d.year() < 2000 => {
                errors.insert("held_on".into(), FieldError::new("error.date_format"));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                errors.insert("held_on".into(), e);
                None
            }
        };
        let mut time = |value: &Option<String>, field: &str| {
            nonempty(value).and_then(|t| {
                parse_hhmm(&t)
                    .map_err(|e| errors.insert(field.to_owned(), e))
                    .ok()
            })
        };
        let starts_at = time(&self.starts_at, "starts_at");
        let ends_at = time(&self.ends_at, "ends_at");
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            errors.insert("ends_at".into(), FieldError::new("error.time_order"));
        }
        let description = text::optional(self.description.as_deref(), 2000)
            .map_err(|e| errors.insert("description".into(), e))
            .ok()
            .flatten();
        let partners = text::optional(self.partners.as_deref(), 200)
            .map_err(|e| errors.insert("partners".into(), e))
            .ok()
            .flatten();
        let guardian_count = count(self.guardian_count, "guardian_count", &mut errors);
        let other_count = count(self.other_count, "other_count", &mut errors);
        let lists = (
            self.child_ids.as_deref(),
            self.volunteer_ids.as_deref(),
            self.host_ids.as_deref(),
        );
        let attendance = match lists {
            (None, None, None) => None,
            (children, volunteers, hosts) => {
                let children = ids(children.unwrap_or(&[]), "child_ids", &mut errors);
                let mut volunteers = ids(volunteers.unwrap_or(&[]), "volunteer_ids", &mut errors);
                let hosts = ids(hosts.unwrap_or(&[]), "host_ids", &mut errors);
                for host in &hosts {
                    if !volunteers.contains(host) {
                        volunteers.push(*host);
                    }
                }
                Some(Attendance {
                    children,
                    volunteers,
                    hosts,
                })
            }
        };
        // Nobody has come to a session that has not happened yet.
        if let Some(day) = held_on
            && day > domain::today()
        {
            if attendance.as_ref().is_some_and(|a| !a.is_empty()) {
                errors.insert(
                    "child_ids".into(),
                    FieldError::new("error.attendance_planned"),
                );
            }
            if guardian_count + other_count > 0 {
                errors.insert(
                    "guardian_count".into(),
                    FieldError::new("error.attendance_planned"),
                );
            }
        }
        match (kind, title, held_on) {
            (Some(kind), Some(title), Some(held_on)) if errors.is_empty() => Ok(ValidActivity {
                kind,
                title,
                topic,
                held_on,
                starts_at,
                ends_at,
                description,
                partners,
                guardian_count,
                other_count,
                attendance,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ActivityInput {
        ActivityInput {
            kind: Some("tutoring".into()),
            held_on: Some("2026-03-04".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_quick_log_needs_only_a_kind_and_a_day() {
        let a = input().validate().unwrap();
        assert_eq!(a.title, "学业辅导");
        assert_eq!(a.attendance, None);
        assert_eq!((a.guardian_count, a.other_count), (0, 0));
    }

    #[test]
    fn a_training_needs_its_topic_and_only_a_training_keeps_one() {
        let mut i = input();
        i.kind = Some("training".into());
        assert_eq!(
            i.validate().unwrap_err()["topic"].key,
            "error.topic_required"
        );
        i.topic = Some("care_precautions".into());
        assert_eq!(i.validate().unwrap().topic, Some(Topic::CarePrecautions));
        i.kind = Some("arts".into());
        assert_eq!(i.validate().unwrap().topic, None);
    }

    #[test]
    fn required_topics_are_the_laws_and_the_care_precautions() {
        let required: Vec<_> = Topic::ALL.iter().filter(|t| t.is_required()).collect();
        assert_eq!(
            required,
            [
                &Topic::MinorsProtectionLaw,
                &Topic::DelinquencyPreventionLaw,
                &Topic::CarePrecautions
            ]
        );
    }

    #[test]
    fn times_counts_and_people_are_checked() {
        let mut i = input();
        i.starts_at = Some("15:00".into());
        i.ends_at = Some("14:30".into());
        i.guardian_count = Some(-1);
        i.child_ids = Some(vec!["not-an-id".into()]);
        let errors = i.validate().unwrap_err();
        for field in ["ends_at", "guardian_count", "child_ids"] {
            assert!(errors.contains_key(field), "{field}: {errors:?}");
        }
    }

    #[test]
    fn hosts_come_and_repeats_count_once() {
        let a = Uuid::new_v4();
        let b = Uuid::new_v4();
        let mut i = input();
        i.volunteer_ids = Some(vec![a.to_string(), a.to_string()]);
        i.host_ids = Some(vec![b.to_string()]);
        let att = i.validate().unwrap().attendance.unwrap();
        assert_eq!(att.volunteers, [a, b]);
        assert_eq!(att.hosts, [b]);
        assert!(att.children.is_empty());
    }

    #[test]
    fn a_planned_session_has_nobody_yet() {
        let mut i = input();
        i.held_on = Some((domain::today() + time::Duration::days(3)).to_string());
        assert!(i.validate().is_ok());
        i.child_ids = Some(vec![Uuid::new_v4().to_string()]);
        assert_eq!(
            i.validate().unwrap_err()["child_ids"].key,
            "error.attendance_planned"
        );
    }

    #[test]
    fn times_read_as_hours_and_minutes() {
        assert_eq!(hhmm(&parse_hhmm("9:05").unwrap()), "09:05");
        assert_eq!(hhmm(&parse_hhmm("14:30:00").unwrap()), "14:30");
        assert!(parse_hhmm("25:00").is_err());
        assert!(parse_hhmm("noon").is_err());
    }
}
