//! Stations (驿站): where they are, how they were built, when they open.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::rules;
use crate::domain::{self, text, word_enum};
use crate::regions::model::{RegionCode, RegionLevel};
use crate::web::error::{FieldError, FieldErrors};
use crate::web::paging::sort_order;

word_enum!(
    /// How a station was set up: 单独建 (a station of its own), 联合建 (built with partners),
    /// 嵌入建 (inside another site: a 阳光驿站, a school, a community centre).
    BuildMode, "station_build_mode", "station.build_mode",
    [Standalone = "standalone", Joint = "joint", Embedded = "embedded"]
);

word_enum!(
    /// Whether a station is running: open on its planned days, temporarily not opening, or
    /// closed for good.
    StationStatus, "station_status", "station.status",
    [Active = "active", Paused = "paused", Closed = "closed"]
);

/// One opening in the planned week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// 1 = Monday … 7 = Sunday.
    pub weekday: u8,
    /// Opening time, `HH:MM`.
    pub opens: String,
    /// Closing time, `HH:MM`.
    pub closes: String,
}

/// A station as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Station {
    pub id: Uuid,
    pub name: String,
    /// Township or village it sits in.
    pub region_code: String,
    /// Full name of that region (四川省 / 德阳市 / …).
    pub region_name: String,
    pub address: Option<String>,
    /// How it was set up.
    pub build_mode: BuildMode,
    /// The site hosting it (阳光驿站, a school…).
    pub host_site: Option<String>,
    /// Planned open days a week (from the schedule).
    pub open_days_per_week: i16,
    /// The planned week.
    pub schedule: Vec<Slot>,
    pub phone: Option<String>,
    /// Running, paused or closed.
    pub status: StationStatus,
    /// Opening date.
    pub opened_on: Option<Date>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A station as typed (JSON or form); every field optional so a PATCH can send a few.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StationInput {
    pub name: Option<String>,
    /// Township or village code.
    pub region_code: Option<String>,
    pub address: Option<String>,
    /// `standalone`, `joint` or `embedded`.
    pub build_mode: Option<String>,
    pub host_site: Option<String>,
    /// The planned week.
    pub schedule: Option<Vec<SlotInput>>,
    pub phone: Option<String>,
    /// `active`, `paused` or `closed`.
    pub status: Option<String>,
    /// Opening date, ISO.
    pub opened_on: Option<String>,
    /// The version edited (PATCH).
    pub version: Option<i32>,
}

/// One opening as typed.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct SlotInput {
    /// 1–7.
    pub weekday: u8,
    /// `HH:MM`.
    pub opens: String,
    /// `HH:MM`.
    pub closes: String,
}

/// A checked station, ready to store.
#[derive(Debug, Clone)]
pub struct ValidStation {
    pub name: String,
    pub region_code: RegionCode,
    pub address: Option<String>,
    pub build_mode: BuildMode,
    pub host_site: Option<String>,
    /// The planned week, one slot per weekday, Monday first.
    pub schedule: Vec<Slot>,
    pub phone: Option<String>,
    pub status: StationStatus,
    /// Opening date.
    pub opened_on: Option<Date>,
}

impl ValidStation {
    /// Open days a week the schedule plans.
    pub fn open_days(&self) -> i16 {
        self.schedule.len() as i16
    }
}

fn parse_time(text: &str) -> Option<(u8, u8)> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u8, u8) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

/// Checks a schedule: at least two distinct weekdays, each closing after it opens.
pub fn parse_schedule(slots: &[SlotInput]) -> Result<Vec<Slot>, FieldError> {
    let mut out: Vec<Slot> = Vec::new();
    for slot in slots {
        if !(1..=7).contains(&slot.weekday) {
            return Err(FieldError::new("error.schedule_weekday"));
        }
        let (Some(opens), Some(closes)) = (parse_time(&slot.opens), parse_time(&slot.closes))
        else {
            return Err(FieldError::new("error.schedule_time"));
        };
        if closes <= opens {
            return Err(FieldError::new("error.schedule_order"));
        }
        if out.iter().any(|s| s.weekday == slot.weekday) {
            return Err(FieldError::new("error.schedule_duplicate"));
        }
        out.push(Slot {
            weekday: slot.weekday,
            opens: format!("{:02}:{:02}", opens.0, opens.1),
            closes: format!("{:02}:{:02}", closes.0, closes.1),
        });
    }
    if out.len() < 2 {
        return Err(rules::named(&rules::OPEN_DAYS).1);
    }
    out.sort_by_key(|s| s.weekday);
    Ok(out)
}

impl StationInput {
    /// Fills the fields this input leaves out from the current record (for a PATCH).
    pub fn over(mut self, current: &Station) -> StationInput {
        self.name.get_or_insert_with(|| current.name.clone());
        self.region_code
            .get_or_insert_with(|| current.region_code.clone());
        if self.address.is_none() {
            self.address = current.address.clone();
        }
        self.build_mode
            .get_or_insert_with(|| current.build_mode.as_str().to_owned());
        if self.host_site.is_none() {
            self.host_site = current.host_site.clone();
        }
        self.schedule.get_or_insert_with(|| {
            current
                .schedule
                .iter()
                .map(|s| SlotInput {
                    weekday: s.weekday,
                    opens: s.opens.clone(),
                    closes: s.closes.clone(),
                })
                .collect()
        });
        if self.phone.is_none() {
            self.phone = current.phone.clone();
        }
        self.status
            .get_or_insert_with(|| current.status.as_str().to_owned());
        if self.opened_on.is_none() {
            self.opened_on = current.opened_on.map(|d| d.to_string());
        }
        self
    }

    /// Checks every field; the region's existence is the service's to check.
    pub fn validate(&self) -> Result<ValidStation, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut field = |name: &str, e: FieldError| {
            errors.insert(name.to_owned(), e);
        };
        let name = text::required(self.name.as_deref().unwrap_or(""), 100)
            .map_err(|e| field("name", e))
            .ok();
        let region_code = match RegionCode::parse(self.region_code.as_deref().unwrap_or("")) {
            Ok(code) if matches!(code.level(), RegionLevel::Township | RegionLevel::Village) => {
                Some(code)
            }
            Ok(_) => {
                let (name, e) = rules::named(&rules::REGION_LEVEL);
                field(name, e);
                None
            }
            Err(e) if self.region_code.as_deref().unwrap_or("").trim().is_empty() => {
                let _ = e;
                field("region_code", FieldError::new("error.required"));
                None
            }
            Err(e) => {
                field("region_code", e);
                None
            }
        };
        let address = text::optional(self.address.as_deref(), 200)
            .map_err(|e| field("address", e))
            .ok()
            .flatten();
        let build_mode = match self
            .build_mode
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => {
                field("build_mode", FieldError::new("error.required"));
                None
            }
            Some(m) => BuildMode::parse(m).or_else(|| {
                field("build_mode", FieldError::new("error.choice"));
                None
            }),
        };
        let host_site = text::optional(self.host_site.as_deref(), 100)
            .map_err(|e| field("host_site", e))
            .ok()
            .flatten();
        let schedule = parse_schedule(self.schedule.as_deref().unwrap_or(&[]))
            .map_err(|e| field("schedule", e))
            .ok();
        let phone = match self
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            None => None,
            Some(p) => {
                let ok = p.len() <= 20
                    && p.chars()
                        .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
                    && p.chars().filter(char::is_ascii_digit).count() >= 7;
                if ok {
                    Some(p.to_owned())
                } else {
                    field("phone", FieldError::new("error.station_phone"));
                    None
                }
            }
        };
        let status = match self
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(StationStatus::Active),
            Some(s) => StationStatus::parse(s).or_else(|| {
                field("status", FieldError::new("error.choice"));
                None
            }),
        };
        let opened_on = match self
            .opened_on
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(d) => domain::past_date(d).map_err(|e| field("opened_on", e)).ok(),
        };
        match (name, region_code, build_mode, schedule, status) {
            (Some(name), Some(region_code), Some(build_mode), Some(schedule), Some(status))
                if errors.is_empty() =>
            {
                Ok(ValidStation {
                    name,
                    region_code,
                    address,
                    build_mode,
                    host_site,
                    schedule,
                    phone,
                    status,
                    opened_on,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Filters of the station list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Within this region (prefix).
    pub region_code: Option<String>,
    /// Only this build mode.
    pub build_mode: Option<BuildMode>,
    /// Only this status.
    pub status: Option<StationStatus>,
    /// Part of the name.
    pub q: Option<String>,
    /// Order of the rows.
    pub sort: StationOrder,
}

sort_order!(
    /// Orders of the station list.
    StationOrder, "station.sort", [Region = "region", Name = "name", OpenedOn = "opened_on"]
);

/// A station in a list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListedStation {
    pub id: Uuid,
    pub name: String,
    /// Township or village code.
    pub region_code: String,
    /// Full region name.
    pub region_name: String,
    pub build_mode: BuildMode,
    pub status: StationStatus,
    /// Planned open days a week.
    pub open_days_per_week: i16,
    /// Volunteers registered at the station.
    pub volunteers: i64,
    /// Children registered at the station (exited ones not counted).
    pub children: i64,
    pub version: i32,
}

/// What the station page shows besides the station itself.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    /// Station managers: (name, username).
    pub managers: Vec<(String, String)>,
    /// Volunteers by status: (status, count).
    pub volunteers_by_status: Vec<(String, i64)>,
    /// Children by status: (status, count).
    pub children_by_status: Vec<(String, i64)>,
    pub active_pairings: i64,
    /// The latest sessions: (date, title, person-visits).
    pub recent_activities: Vec<(time::Date, String, i32)>,
}

/// Open days in one of the last four weeks.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WeekOpening {
    /// First day of the week (rolling: the last week ends today).
    pub from: Date,
    /// Last day.
    pub to: Date,
    /// Days with a session for children logged.
    pub actual: i64,
    /// Days planned.
    pub planned: i64,
}

/// A station's open days over the last four weeks against its plan, with its sessions and
/// person-visits in that time.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Opening {
    /// Week by week, oldest first.
    pub weeks: Vec<WeekOpening>,
    /// Days open in the four weeks.
    pub actual: i64,
    /// Days planned in the four weeks.
    pub planned: i64,
    /// Sessions logged (trainings included).
    pub sessions: i64,
    /// 人次 of those sessions.
    pub person_visits: i64,
}

impl Opening {
    /// Whether the station opened fewer days than planned.
    pub fn below_plan(&self) -> bool {
        self.actual < self.planned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(weekday: u8, opens: &str, closes: &str) -> SlotInput {
        SlotInput {
            weekday,
            opens: opens.into(),
            closes: closes.into(),
        }
    }

    #[test]
    fn a_schedule_needs_two_days_in_order() {
        let ok = parse_schedule(&[slot(6, "9:00", "11:30"), slot(3, "14:00", "17:00")]).unwrap();
        assert_eq!(ok.iter().map(|s| s.weekday).collect::<Vec<_>>(), [3, 6]);
        assert_eq!(ok[1].opens, "09:00");
        assert_eq!(
            parse_schedule(&[slot(3, "14:00", "17:00")])
                .unwrap_err()
                .key,
            "error.schedule_min_days"
        );
        assert_eq!(
            parse_schedule(&[slot(3, "17:00", "14:00"), slot(4, "1:00", "2:00")])
                .unwrap_err()
                .key,
            "error.schedule_order"
        );
        assert_eq!(
            parse_schedule(&[slot(3, "14:00", "17:00"), slot(3, "18:00", "19:00")])
                .unwrap_err()
                .key,
            "error.schedule_duplicate"
        );
        assert_eq!(
            parse_schedule(&[slot(8, "14:00", "17:00"), slot(3, "18:00", "19:00")])
                .unwrap_err()
                .key,
            "error.schedule_weekday"
        );
        assert_eq!(
            parse_schedule(&[slot(1, "25:00", "26:00"), slot(3, "18:00", "19:00")])
                .unwrap_err()
                .key,
            "error.schedule_time"
        );
    }

    #[test]
    fn a_station_is_checked_field_by_field() {
        let input = StationInput {
            name: Some(" ".into()),
            region_code: Some("510681".into()),
            build_mode: Some("tent".into()),
            schedule: Some(vec![slot(1, "14:00", "17:00")]),
            phone: Some("abc".into()),
            opened_on: Some("2999-01-01".into()),
            ..Default::default()
        };
        let errors = input.validate().unwrap_err();
        for field in [
            "name",
            "region_code",
            "build_mode",
            "schedule",
            "phone",
            "opened_on",
        ] {
            assert!(errors.contains_key(field), "{field}: {errors:?}");
        }
    }
}
