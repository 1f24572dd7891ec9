//! The figures the federation reports, for a region or a few stations and a period.

use std::collections::BTreeMap;

use serde::Serialize;
use time::{Date, Duration};
use uuid::Uuid;

use crate::activities::model::Kind;
use crate::auth::scope::Scope;
use crate::children::model::Category;
use crate::regions::model::{Region, RegionLevel};
use crate::stations::model::{BuildMode, StationStatus};
use crate::stations::service::OPEN_DAYS_WEEKS;
use crate::volunteers::model::VolunteerStatus;
use crate::web::error::{FieldError, FieldErrors};

/// A child registered this long without a pairing is waiting too long.
pub const WAITING_DAYS: i64 = 30;
/// A background check older than this many years is due again.
pub const CHECK_VALID_YEARS: i32 = 3;

/// What the figures are about.
#[derive(Debug, Clone)]
pub enum Focus {
    /// A region subtree.
    Region(Region),
    /// Some stations: one drilled into, or a station manager's own.
    Stations {
        /// The stations.
        ids: Vec<Uuid>,
        /// The station's name, when there is one.
        name: Option<String>,
        /// Its region, for the breadcrumbs.
        region_code: Option<String>,
    },
}

impl Focus {
    /// `LIKE` pattern of the region, when the focus is a region.
    pub fn region_like(&self) -> Option<String> {
        match self {
            Focus::Region(r) => Some(format!("{}%", r.code)),
            Focus::Stations { .. } => None,
        }
    }

    /// The stations, when the focus is a set of stations.
    pub fn station_ids(&self) -> Option<&[Uuid]> {
        match self {
            Focus::Region(_) => None,
            Focus::Stations { ids, .. } => Some(ids),
        }
    }

    /// The same records as a [`Scope`], for the lists other areas keep.
    pub fn scope(&self) -> Scope {
        match self {
            Focus::Region(r) => Scope::Region(r.code.clone()),
            Focus::Stations { ids, .. } => Scope::Stations(ids.clone()),
        }
    }

    /// How the dashboard splits the focus: by the code length of the next level down
    /// (province → cities → counties → townships), or by station (0) below a county.
    pub fn drill_len(&self) -> i32 {
        match self {
            Focus::Region(r) => match r.level {
                RegionLevel::Province => 4,
                RegionLevel::City => 6,
                RegionLevel::County => 9,
                RegionLevel::Township | RegionLevel::Village => 0,
            },
            Focus::Stations { .. } => 0,
        }
    }

    /// How the monthly report splits the focus: one row per county, or per station at county
    /// level and below.
    pub fn report_len(&self) -> i32 {
        match self {
            Focus::Region(r) if matches!(r.level, RegionLevel::Province | RegionLevel::City) => 6,
            _ => 0,
        }
    }

    /// The query string that selects this focus (`region=5106` or `station=…`).
    pub fn query(&self) -> String {
        match self {
            Focus::Region(r) => format!("region={}", r.code),
            Focus::Stations { ids, .. } if ids.len() == 1 => format!("station={}", ids[0]),
            Focus::Stations { .. } => String::new(),
        }
    }
}

/// A link to `path` that keeps a focus — its query string ([`Focus::query`], empty for a
/// manager's own stations) — and adds `rest`.
pub fn focus_link(path: &str, focus_query: &str, rest: &str) -> String {
    if focus_query.is_empty() {
        format!("{path}?{rest}")
    } else {
        format!("{path}?{focus_query}&{rest}")
    }
}

/// The longest period figures are counted over: a longer one costs the database more than any
/// report needs, and is refused naming `from`.
pub const MAX_PERIOD_YEARS: i32 = 5;

/// The same day `years` years before `day` (28 February for a 29 February).
fn years_before(day: Date, years: i32) -> Date {
    let year = day.year() - years;
    Date::from_calendar_date(year, day.month(), day.day())
        .or_else(|_| Date::from_calendar_date(year, day.month(), day.month().length(year)))
        .unwrap_or(Date::MIN)
}

/// The dates figures of activity are counted in (both days included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
}

impl Period {
    /// This year so far (China time).
    pub fn this_year(today: Date) -> Period {
        Period {
            from: Date::from_ordinal_date(today.year(), 1).unwrap_or(today),
            to: today,
        }
    }

    /// A calendar month, `YYYY-MM`.
    pub fn month(text: &str) -> Result<Period, FieldErrors> {
        let bad = || FieldErrors::from([("month".to_owned(), FieldError::new("error.month"))]);
        let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        let month = time::Month::try_from(month).map_err(|_| bad())?;
        let from = Date::from_calendar_date(year, month, 1).map_err(|_| bad())?;
        let to = Date::from_calendar_date(year, month, month.length(year)).map_err(|_| bad())?;
        Ok(Period { from, to })
    }

    /// The period asked for: both ends optional (this year by default), in order.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: Date) -> Result<Period, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut period = Period::this_year(today);
        for (field, text, end) in [("from", from, &mut period.from), ("to", to, &mut period.to)] {
            match text.map(str::trim).filter(|t| !t.is_empty()) {
                None => {}
                Some(t) => match crate::domain::parse_date(t) {
                    Ok(d) => *end = d,
                    Err(e) => {
                        errors.insert(field.to_owned(), e);
                    }
                },
            }
        }
        if errors.is_empty() && period.from > period.to {
            errors.insert("to".to_owned(), FieldError::new("error.period_order"));
        }
        if errors.is_empty() && period.from < years_before(period.to, MAX_PERIOD_YEARS) {
            errors.insert(
                "from".to_owned(),
                FieldError::new("error.period_length").with("years", MAX_PERIOD_YEARS),
            );
        }
        if errors.is_empty() {
            Ok(period)
        } else {
            Err(errors)
        }
    }

    /// The first days of the months the period starts and ends in.
    pub fn months(&self) -> (Date, Date) {
        let first = |d: Date| d.replace_day(1).unwrap_or(d);
        (first(self.from), first(self.to))
    }

    /// The four weeks, ending on the period's last day (or today, if sooner), that stations'
    /// open days are held against their plan.
    pub fn open_days_window(&self, today: Date) -> Period {
        let to = self.to.min(today);
        Period {
            from: to - Duration::days(OPEN_DAYS_WEEKS * 7 - 1),
            to,
        }
    }
}

/// Counts by the API words of an enumeration: every word present, zero or not.
pub type Tally = BTreeMap<&'static str, i64>;

fn tally(words: impl IntoIterator<Item = &'static str>) -> Tally {
    words.into_iter().map(|w| (w, 0)).collect()
}

fn add_tally(into: &mut Tally, from: &Tally) {
    for (k, v) in from {
        *into.entry(k).or_default() += v;
    }
}

/// The figures of a region, a station or a row of the table. People, stations and active
/// pairings are counted as they are today; everything that happens (activities, contacts,
/// new pairings, trainings, fulfilled wishes) within the period.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Figures {
    /// Stations (every status).
    pub stations: i64,
    /// By build mode.
    pub stations_by_build_mode: Tally,
    /// By status.
    pub stations_by_status: Tally,
    /// Active stations open long enough to be held against their plan.
    pub stations_assessed: i64,
    /// Of those, the ones open on at least their planned days in the last four weeks.
    pub stations_open_as_planned: i64,
    /// Volunteers on the register (every status).
    pub volunteers: i64,
    /// Active volunteers.
    pub volunteers_active: i64,
    /// Volunteers with their training on record.
    pub volunteers_trained: i64,
    /// By pipeline status.
    pub volunteers_by_status: Tally,
    /// Children in the programme (registered or paired; exited children are not).
    pub children_registered: i64,
    /// Those by category.
    pub children_by_category: Tally,
    /// Children with an active pairing.
    pub children_paired: i64,
    /// Children who have left the programme.
    pub children_exited: i64,
    /// Active pairings.
    pub pairings_active: i64,
    /// Pairings started within the period.
    pub pairings_started: i64,
    /// Activities held within the period.
    pub activities: i64,
    /// Those by kind.
    pub activities_by_kind: Tally,
    /// Person-visits (人次) of those activities.
    pub person_visits: i64,
    /// Trainings held within the period.
    pub trainings: i64,
    /// Contacts volunteers logged within the period.
    pub contacts: i64,
    /// Micro-wishes fulfilled within the period.
    pub wishes_fulfilled: i64,
    /// Whether pairing works: standards met, check-ins and follow-ups due, relationship
    /// scores, how long pairings lasted.
    #[serde(flatten)]
    pub support: super::support::Support,
}

impl Default for Figures {
    fn default() -> Self {
        Figures {
            stations: 0,
            stations_by_build_mode: tally(BuildMode::ALL.iter().map(|m| m.as_str())),
            stations_by_status: tally(StationStatus::ALL.iter().map(|s| s.as_str())),
            stations_assessed: 0,
            stations_open_as_planned: 0,
            volunteers: 0,
            volunteers_active: 0,
            volunteers_trained: 0,
            volunteers_by_status: tally(VolunteerStatus::ALL.iter().map(|s| s.as_str())),
            children_registered: 0,
            children_by_category: tally(Category::ALL.iter().map(|c| c.as_str())),
            children_paired: 0,
            children_exited: 0,
            pairings_active: 0,
            pairings_started: 0,
            activities: 0,
            activities_by_kind: tally(Kind::ALL.iter().map(|k| k.as_str())),
            person_visits: 0,
            trainings: 0,
            contacts: 0,
            wishes_fulfilled: 0,
            support: Default::default(),
        }
    }
}

impl Figures {
    /// Adds another row's figures to these.
    pub fn add(&mut self, o: &Figures) {
        self.stations += o.stations;
        add_tally(&mut self.stations_by_build_mode, &o.stations_by_build_mode);
        add_tally(&mut self.stations_by_status, &o.stations_by_status);
        self.stations_assessed += o.stations_assessed;
        self.stations_open_as_planned += o.stations_open_as_planned;
        self.volunteers += o.volunteers;
        self.volunteers_active += o.volunteers_active;
        self.volunteers_trained += o.volunteers_trained;
        add_tally(&mut self.volunteers_by_status, &o.volunteers_by_status);
        self.children_registered += o.children_registered;
        add_tally(&mut self.children_by_category, &o.children_by_category);
        self.children_paired += o.children_paired;
        self.children_exited += o.children_exited;
        self.pairings_active += o.pairings_active;
        self.pairings_started += o.pairings_started;
        self.activities += o.activities;
        add_tally(&mut self.activities_by_kind, &o.activities_by_kind);
        self.person_visits += o.person_visits;
        self.trainings += o.trainings;
        self.contacts += o.contacts;
        self.wishes_fulfilled += o.wishes_fulfilled;
        self.support.add(&o.support);
    }

    /// Paired children per hundred in the programme, to one decimal (none without children).
    pub fn coverage(&self) -> Option<f64> {
        (self.children_registered > 0).then(|| {
            (self.children_paired as f64 * 1000.0 / self.children_registered as f64).round() / 10.0
        })
    }

    /// Coverage as the page shows it (`85.3%`, or a dash).
    pub fn coverage_text(&self) -> String {
        percent(self.coverage())
    }

    /// Stations open as planned, per hundred assessed.
    pub fn open_days_rate(&self) -> Option<f64> {
        (self.stations_assessed > 0).then(|| {
            (self.stations_open_as_planned as f64 * 1000.0 / self.stations_assessed as f64).round()
                / 10.0
        })
    }

    /// That rate as the page shows it.
    pub fn open_days_text(&self) -> String {
        percent(self.open_days_rate())
    }

    /// The value a table column sorts by.
    pub fn sort_value(&self, column: Column) -> f64 {
        match column {
            Column::Name => 0.0,
            Column::Stations => self.stations as f64,
            Column::VolunteersActive => self.volunteers_active as f64,
            Column::VolunteersTrained => self.volunteers_trained as f64,
            Column::ChildrenRegistered => self.children_registered as f64,
            Column::ChildrenPaired => self.children_paired as f64,
            Column::Coverage => self.coverage().unwrap_or(-1.0),
            Column::Activities => self.activities as f64,
            Column::PersonVisits => self.person_visits as f64,
            Column::Contacts => self.contacts as f64,
            Column::WishesFulfilled => self.wishes_fulfilled as f64,
            Column::OpenDays => self.open_days_rate().unwrap_or(-1.0),
        }
    }
}

pub use crate::web::percent;

/// The civil-affairs roster's figures of a region: its children, those registered here and
/// those paired — each `None` where no county of the region has a roster (and for stations).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RosterFigures {
    pub roster_children: Option<i64>,
    pub roster_registered: Option<i64>,
    pub roster_paired: Option<i64>,
}

impl From<Option<crate::roster::model::Coverage>> for RosterFigures {
    fn from(c: Option<crate::roster::model::Coverage>) -> Self {
        RosterFigures {
            roster_children: c.map(|c| c.roster_children),
            roster_registered: c.map(|c| c.roster_registered),
            roster_paired: c.map(|c| c.roster_paired),
        }
    }
}

/// A row of the table under the figures: a region one level down, or a station.
#[derive(Debug, Clone, Serialize)]
pub struct Area {
    /// The region code, for a region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    /// The station, for a station.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub station_id: Option<Uuid>,
    /// Its name; `None` for the records held directly at the focus's own level (registered
    /// to the region itself, or a volunteer with no station).
    pub name: Option<String>,
    /// Its figures.
    #[serde(flatten)]
    pub figures: Figures,
    /// Its roster's figures.
    #[serde(flatten)]
    pub roster: RosterFigures,
}

impl Area {
    /// The dashboard query string that drills into this row.
    pub fn drill(&self) -> Option<String> {
        match (&self.region_code, self.station_id) {
            (Some(code), _) => Some(format!("region={code}")),
            (None, Some(id)) => Some(format!("station={id}")),
            (None, None) => None,
        }
    }
}

/// The figures of a focus, split into its areas.
#[derive(Debug, Clone)]
pub struct Breakdown {
    /// The whole focus.
    pub total: Figures,
    /// The whole focus's roster figures.
    pub roster: Option<crate::roster::model::Coverage>,
    /// The areas one level down (or stations), in code or name order; a last row without a
    /// name holds what belongs to no listed area, so the rows always add up to the total.
    pub areas: Vec<Area>,
}

macro_rules! columns {
    ($($variant:ident = $word:literal),+ $(,)?) => {
        /// A sortable column of the areas table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Column { $(#[doc = $word] $variant),+ }

        impl Column {
            /// Every column, in the table's order.
            pub const ALL: &'static [Column] = &[$(Column::$variant),+];

            /// The word in the query string.
            pub fn as_str(self) -> &'static str {
                match self { $(Column::$variant => $word),+ }
            }

            /// Parses the word in the query string.
            pub fn parse(text: &str) -> Option<Column> {
                Column::ALL.iter().copied().find(|c| c.as_str() == text)
            }

            /// Message key of the column's heading.
            pub fn label_key(self) -> &'static str {
                match self { $(Column::$variant => concat!("dashboard.col.", $word)),+ }
            }
        }
    };
}

columns!(
    Name = "name",
    Stations = "stations",
    VolunteersActive = "volunteers_active",
    VolunteersTrained = "volunteers_trained",
    ChildrenRegistered = "children_registered",
    ChildrenPaired = "children_paired",
    Coverage = "coverage",
    Activities = "activities",
    PersonVisits = "person_visits",
    Contacts = "contacts",
    WishesFulfilled = "wishes_fulfilled",
    OpenDays = "open_days",
);

/// Sorts areas by a column (names by code or name order when not sorting by number); the
/// row of records held at the focus's own level stays last.
pub fn sort_areas(areas: &mut [Area], column: Column, descending: bool) {
    if column == Column::Name {
        if descending {
            let end = areas.iter().take_while(|a| a.name.is_some()).count();
            areas[..end].reverse();
        }
        return;
    }
    areas.sort_by(|a, b| {
        let (x, y) = (a.figures.sort_value(column), b.figures.sort_value(column));
        let order = if descending {
            y.total_cmp(&x)
        } else {
            x.total_cmp(&y)
        };
        a.name.is_none().cmp(&b.name.is_none()).then(order)
    });
}

/// One month of the trends.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    /// Activities held.
    pub activities: i64,
    /// Their person-visits.
    pub person_visits: i64,
    pub pairings_started: i64,
    /// Contacts logged.
    pub contacts: i64,
}

/// The first days of the twelve months ending with `today`'s, oldest first.
pub fn last_twelve_months(today: Date) -> Vec<Date> {
    let mut months = Vec::with_capacity(12);
    let (mut year, mut month) = (today.year(), today.month());
    for _ in 0..12 {
        months.push(Date::from_calendar_date(year, month, 1).unwrap_or(today));
        if month == time::Month::January {
            year -= 1;
        }
        month = month.previous();
    }
    months.reverse();
    months
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_period_defaults_to_this_year_and_refuses_its_ends_swapped() {
        let today = date!(2026 - 11 - 29);
        assert_eq!(
            Period::parse(None, Some(""), today).unwrap(),
            Period {
                from: date!(2026 - 01 - 01),
                to: today
            }
        );
        assert!(Period::parse(Some("2026-05-01"), Some("2026-04-01"), today).is_err());
        assert!(Period::parse(Some("2026-13-01"), None, today).is_err());
        assert!(Period::parse(Some("2021-11-30"), Some("2026-11-30"), today).is_ok());
        let long = Period::parse(Some("2021-11-29"), Some("2026-11-30"), today).unwrap_err();
        assert_eq!(long["from"].key, "error.period_length");
        assert!(Period::parse(Some("2023-02-28"), Some("2028-02-29"), today).is_ok());
        assert!(Period::parse(Some("0001-01-01"), None, today).is_err());
    }

    #[test]
    fn a_month_is_its_first_to_its_last_day() {
        let feb = Period::month("2028-02").unwrap();
        assert_eq!(
            (feb.from, feb.to),
            (date!(2028 - 02 - 01), date!(2028 - 02 - 29))
        );
        assert!(Period::month("2026-00").is_err());
        assert!(Period::month("May").is_err());
    }

    #[test]
    fn a_period_names_the_months_it_touches() {
        let p = |from, to| Period { from, to }.months();
        assert_eq!(
            p(date!(2026 - 01 - 01), date!(2026 - 11 - 29)),
            (date!(2026 - 01 - 01), date!(2026 - 11 - 01))
        );
        assert_eq!(
            p(date!(2025 - 12 - 31), date!(2026 - 01 - 01)),
            (date!(2025 - 12 - 01), date!(2026 - 01 - 01))
        );
        assert_eq!(
            p(date!(2026 - 05 - 03), date!(2026 - 05 - 20)),
            (date!(2026 - 05 - 01), date!(2026 - 05 - 01))
        );
    }

    #[test]
    fn twelve_months_cross_the_new_year() {
        let months = last_twelve_months(date!(2026 - 03 - 15));
        assert_eq!(months.len(), 12);
        assert_eq!(months[0], date!(2025 - 04 - 01));
        assert_eq!(months[11], date!(2026 - 03 - 01));
    }

    #[test]
    fn rows_add_up_and_coverage_rounds() {
        let mut a = Figures {
            children_registered: 3,
            children_paired: 2,
            ..Figures::default()
        };
        *a.activities_by_kind.get_mut("arts").unwrap() = 2;
        let b = a.clone();
        a.add(&b);
        assert_eq!(a.children_registered, 6);
        assert_eq!(a.activities_by_kind["arts"], 4);
        assert_eq!(a.coverage(), Some(66.7));
        assert_eq!(Figures::default().coverage_text(), "—");
    }
}
