//! Volunteer mothers (爱心妈妈) and their recruitment pipeline:
//! applied → screened → trained → active → paused / withdrawn.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::domain::{self, Gender, IdNumber, Phone, text, word_enum};
use crate::regions::model::{RegionCode, RegionLevel};
use crate::web::error::{FieldError, FieldErrors};
use crate::web::paging::sort_order;

pub use super::training::Topic;

word_enum!(
    /// Where a volunteer stands in the pipeline: signed up; screened (the no-criminal-record
    /// check and the interview done); trained; active (may be paired); paused (taking on no
    /// children for now); withdrawn (left the programme).
    VolunteerStatus, "volunteer_status", "volunteer.status",
    [Applied = "applied", Screened = "screened", Trained = "trained", Active = "active", Paused = "paused",
     Withdrawn = "withdrawn"]
);

impl VolunteerStatus {
    /// The statuses a volunteer in this one may move to.
    pub fn next(self) -> &'static [VolunteerStatus] {
        use VolunteerStatus::*;
        match self {
            Applied => &[Screened, Withdrawn],
            Screened => &[Trained, Withdrawn],
            Trained => &[Active, Paused, Withdrawn],
            Active => &[Paused, Withdrawn],
            Paused => &[Active, Withdrawn],
            Withdrawn => &[Applied],
        }
    }
}

/// A volunteer as the API shows it: ID number and phone masked.
#[derive(Debug, Clone, Serialize)]
pub struct Volunteer {
    pub id: Uuid,
    pub name: String,
    pub gender: Gender,
    /// Mobile number, masked (138****5678).
    pub phone_masked: String,
    /// ID number, masked (510623********1234), when one is on record.
    pub id_number_masked: Option<String>,
    pub birth_date: Option<Date>,
    /// Residence: county, township or village.
    pub region_code: String,
    /// Full name of that region.
    pub region_name: String,
    /// Station she serves at.
    pub station_id: Option<Uuid>,
    /// That station's name.
    pub station_name: Option<String>,
    /// Employer or organisation.
    pub organization: Option<String>,
    pub occupation: Option<String>,
    /// Skills (学业辅导, 心理, …).
    pub skills: Vec<String>,
    /// Pipeline status.
    pub status: VolunteerStatus,
    /// No-criminal-record check date.
    pub background_check_on: Option<Date>,
    pub interviewed_on: Option<Date>,
    pub trained_on: Option<Date>,
    /// Children she may be paired with.
    pub capacity: i16,
    /// Children paired now.
    pub active_pairings: i64,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A volunteer in a list (phone masked, no ID number).
#[derive(Debug, Clone, Serialize)]
pub struct ListedVolunteer {
    pub id: Uuid,
    pub name: String,
    pub gender: Gender,
    /// 138****5678.
    pub phone_masked: String,
    pub region_code: String,
    pub station_id: Option<Uuid>,
    pub station_name: Option<String>,
    pub skills: Vec<String>,
    pub status: VolunteerStatus,
    pub capacity: i16,
    /// Children paired now.
    pub active_pairings: i64,
    pub version: i32,
}

/// Filters of the volunteer list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Part of the name, or a whole mobile number.
    pub q: Option<String>,
    /// At this station.
    pub station_id: Option<Uuid>,
    /// In this status.
    pub status: Option<VolunteerStatus>,
    /// Within this region.
    pub region_code: Option<String>,
    /// With this skill.
    pub skill: Option<String>,
    /// Order of the rows.
    pub sort: VolunteerOrder,
}

sort_order!(
    /// Orders of the volunteer list.
    VolunteerOrder, "volunteer.sort",
    [Name = "name", Newest = "newest", BackgroundCheckOn = "background_check_on"]
);

/// A volunteer as typed; every field optional so that a PATCH can send a few.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VolunteerInput {
    pub name: Option<String>,
    /// `female` or `male`.
    pub gender: Option<String>,
    /// Mobile number.
    pub phone: Option<String>,
    /// Resident ID number (write only).
    pub id_number: Option<String>,
    /// Birth date, ISO.
    pub birth_date: Option<String>,
    pub region_code: Option<String>,
    pub station_id: Option<String>,
    pub organization: Option<String>,
    pub occupation: Option<String>,
    pub skills: Option<Vec<String>>,
    pub status: Option<String>,
    pub background_check_on: Option<String>,
    pub interviewed_on: Option<String>,
    pub trained_on: Option<String>,
    pub capacity: Option<i64>,
    /// The version edited (PATCH).
    pub version: Option<i32>,
}

/// A checked volunteer, ready to store.
#[derive(Debug, Clone)]
pub struct ValidVolunteer {
    pub name: String,
    pub gender: Gender,
    /// Mobile number.
    pub phone: Phone,
    /// ID number, when given in this input.
    pub id_number: Option<IdNumber>,
    pub birth_date: Option<Date>,
    pub region_code: RegionCode,
    pub station_id: Option<Uuid>,
    pub organization: Option<String>,
    pub occupation: Option<String>,
    /// Skills, trimmed and without repeats.
    pub skills: Vec<String>,
    pub status: VolunteerStatus,
    pub background_check_on: Option<Date>,
    pub interviewed_on: Option<Date>,
    pub trained_on: Option<Date>,
    pub capacity: i16,
}

fn optional_date(text: Option<&str>, field: &str, errors: &mut FieldErrors) -> Option<Date> {
    let text = text.map(str::trim).filter(|t| !t.is_empty())?;
    domain::past_date(text)
        .map_err(|e| errors.insert(field.to_owned(), e))
        .ok()
}

/// Splits skills typed as one line (、，, or spaces) or given as a list.
pub fn parse_skills(skills: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for raw in skills {
        for skill in raw
            .split(['、', '，', ',', ';', '；'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            crate::domain::text::no_control(skill, crate::domain::text::Lines::One)?;
            if skill.chars().count() > 20 {
                return Err(FieldError::new("error.skill_length").with("max", 20));
            }
            if !out.iter().any(|s| s == skill) {
                out.push(skill.to_owned());
            }
        }
    }
    if out.len() > 20 {
        return Err(FieldError::new("error.skills_count").with("max", 20));
    }
    Ok(out)
}

impl VolunteerInput {
    /// Checks every field. `current_status` is the status before this edit (none on create):
    /// a status may only move along the pipeline, and each step needs its dates on record.
    pub fn validate(
        &self,
        current_status: Option<VolunteerStatus>,
    ) -> Result<ValidVolunteer, FieldErrors> {
        let mut errors = FieldErrors::new();
        let field = |errors: &mut FieldErrors, name: &str, e: FieldError| {
            errors.insert(name.to_owned(), e);
        };
        let name = text::required(self.name.as_deref().unwrap_or(""), 50)
            .map_err(|e| field(&mut errors, "name", e))
            .ok();
        let gender = match self
            .gender
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
        {
            None => Some(Gender::Female),
            Some(g) => Gender::parse(g)
                .map_err(|e| field(&mut errors, "gender", e))
                .ok(),
        };
        let phone = Phone::parse(self.phone.as_deref().unwrap_or(""))
            .map_err(|e| field(&mut errors, "phone", e))
            .ok();
        let mut birth_date = optional_date(self.birth_date.as_deref(), "birth_date", &mut errors);
        let id_number = match self
            .id_number
            .as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty())
        {
            None => None,
            Some(text) => match IdNumber::parse(text) {
                Ok(id) => match id.matches(birth_date, gender) {
                    Ok(()) => {
                        birth_date = birth_date.or(id.birth_date());
                        Some(id)
                    }
                    Err(e) => {
                        field(&mut errors, "id_number", e);
                        None
                    }
                },
                Err(e) => {
                    field(&mut errors, "id_number", e);
                    None
                }
            },
        };
        if let Some(born) = birth_date {
            let age = domain::age_on(born, domain::today());
            if !(18..=80).contains(&age) {
                field(
                    &mut errors,
                    "birth_date",
                    FieldError::new("error.volunteer_age"),
                );
            }
        }
        let region_code = match self
            .region_code
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            None => {
                field(
                    &mut errors,
                    "region_code",
                    FieldError::new("error.required"),
                );
                None
            }
            Some(text) => match RegionCode::parse(text) {
                Ok(code) if code.level() >= RegionLevel::County => Some(code),
                Ok(_) => {
                    field(
                        &mut errors,
                        "region_code",
                        FieldError::new("error.residence_region_level"),
                    );
                    None
                }
                Err(e) => {
                    field(&mut errors, "region_code", e);
                    None
                }
            },
        };
        let station_id = match self
            .station_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(text) => Uuid::parse_str(text)
                .map_err(|_| {
                    field(
                        &mut errors,
                        "station_id",
                        FieldError::new("error.station_unknown"),
                    )
                })
                .ok(),
        };
        let organization = text::optional(self.organization.as_deref(), 100)
            .map_err(|e| field(&mut errors, "organization", e))
            .ok()
            .flatten();
        let occupation = text::optional(self.occupation.as_deref(), 50)
            .map_err(|e| field(&mut errors, "occupation", e))
            .ok()
            .flatten();
        let skills = parse_skills(self.skills.as_deref().unwrap_or(&[]))
            .map_err(|e| field(&mut errors, "skills", e))
            .ok();
        let background_check_on = optional_date(
            self.background_check_on.as_deref(),
            "background_check_on",
            &mut errors,
        );
        let interviewed_on = optional_date(
            self.interviewed_on.as_deref(),
            "interviewed_on",
            &mut errors,
        );
        let trained_on = optional_date(self.trained_on.as_deref(), "trained_on", &mut errors);
        let capacity = match self.capacity {
            None => Some(2),
            Some(n) if (1..=10).contains(&n) => Some(n as i16),
            Some(_) => {
                field(
                    &mut errors,
                    "capacity",
                    FieldError::new("error.capacity_range"),
                );
                None
            }
        };
        let status = match self
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(current_status.unwrap_or(VolunteerStatus::Applied)),
            Some(text) => match VolunteerStatus::parse(text) {
                None => {
                    field(&mut errors, "status", FieldError::new("error.choice"));
                    None
                }
                Some(next) => {
                    let allowed = match current_status {
                        None => true,
                        Some(now) => now == next || now.next().contains(&next),
                    };
                    if allowed {
                        Some(next)
                    } else {
                        field(
                            &mut errors,
                            "status",
                            FieldError::new("error.volunteer_transition"),
                        );
                        None
                    }
                }
            },
        };
        // Each step of the pipeline needs its evidence.
        if let Some(status) = status {
            use VolunteerStatus::*;
            if matches!(status, Screened | Trained | Active) {
                if background_check_on.is_none() && !errors.contains_key("background_check_on") {
                    field(
                        &mut errors,
                        "background_check_on",
                        FieldError::new("error.needed_for_status"),
                    );
                }
                if interviewed_on.is_none() && !errors.contains_key("interviewed_on") {
                    field(
                        &mut errors,
                        "interviewed_on",
                        FieldError::new("error.needed_for_status"),
                    );
                }
            }
            if matches!(status, Trained | Active)
                && trained_on.is_none()
                && !errors.contains_key("trained_on")
            {
                field(
                    &mut errors,
                    "trained_on",
                    FieldError::new("error.needed_for_status"),
                );
            }
        }
        match (name, gender, phone, region_code, skills, capacity, status) {
            (
                Some(name),
                Some(gender),
                Some(phone),
                Some(region_code),
                Some(skills),
                Some(capacity),
                Some(status),
            ) if errors.is_empty() => Ok(ValidVolunteer {
                name,
                gender,
                phone,
                id_number,
                birth_date,
                region_code,
                station_id,
                organization,
                occupation,
                skills,
                status,
                background_check_on,
                interviewed_on,
                trained_on,
                capacity,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> VolunteerInput {
        VolunteerInput {
            name: Some("王秀兰".into()),
            phone: Some("13912345678".into()),
            region_code: Some("510681002".into()),
            ..Default::default()
        }
    }

    #[test]
    fn an_applicant_needs_little_and_skills_are_split() {
        let mut i = input();
        i.skills = Some(vec!["学业辅导、心理，学业辅导".into()]);
        let v = i.validate(None).unwrap();
        assert_eq!(v.status, VolunteerStatus::Applied);
        assert_eq!(v.skills, ["学业辅导", "心理"]);
        assert_eq!(v.capacity, 2);
    }

    #[test]
    fn nobody_becomes_active_without_screening_and_training() {
        let mut i = input();
        i.status = Some("active".into());
        let errors = i.validate(Some(VolunteerStatus::Applied)).unwrap_err();
        assert_eq!(errors["status"].key, "error.volunteer_transition");
        let errors = i.validate(Some(VolunteerStatus::Trained)).unwrap_err();
        for f in ["background_check_on", "interviewed_on", "trained_on"] {
            assert_eq!(errors[f].key, "error.needed_for_status", "{f}");
        }
        i.background_check_on = Some("2026-03-01".into());
        i.interviewed_on = Some("2026-03-02".into());
        i.trained_on = Some("2026-03-10".into());
        assert_eq!(
            i.validate(Some(VolunteerStatus::Trained)).unwrap().status,
            VolunteerStatus::Active
        );
    }

    #[test]
    fn the_pipeline_moves_step_by_step() {
        assert!(
            VolunteerStatus::Applied
                .next()
                .contains(&VolunteerStatus::Screened)
        );
        assert!(
            !VolunteerStatus::Applied
                .next()
                .contains(&VolunteerStatus::Trained)
        );
        assert!(
            VolunteerStatus::Paused
                .next()
                .contains(&VolunteerStatus::Active)
        );
        assert_eq!(
            VolunteerStatus::Withdrawn.next(),
            [VolunteerStatus::Applied]
        );
    }
}
