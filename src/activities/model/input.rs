//! What a log form or an API call types about a session, and how it is checked.

use serde::Deserialize;
use time::{Date, Time};
use uuid::Uuid;

use super::{Activity, Attendee, Kind, Topic, hhmm, parse_hhmm};
use crate::domain::{self, text};
use crate::i18n::Lang;
use crate::web::error::{FieldError, FieldErrors};

/// An activity as typed (JSON or form); every field optional so that a PATCH can send a few.
/// Absent attendance lists keep the attendance; a list given replaces it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ActivityInput {
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
    pub children: Vec<Uuid>,
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
    pub kind: Kind,
    pub title: String,
    /// Topic, exactly when a training.
    pub topic: Option<Topic>,
    pub held_on: Date,
    pub starts_at: Option<Time>,
    pub ends_at: Option<Time>,
    pub description: Option<String>,
    pub partners: Option<String>,
    pub guardian_count: i32,
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
        let description = text::long_optional(self.description.as_deref(), 2000)
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
}
