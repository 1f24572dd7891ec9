//! The monthly report's columns, and a month's report as the page and the download show it.

use crate::dashboard::model::{Area, Figures, Focus, Period};
use crate::i18n::Lang;

/// A column of the report: its heading's message key and its value in a row.
pub struct ReportColumn {
    /// Message key of the heading.
    pub key: &'static str,
    /// The value.
    pub value: fn(&Figures) -> f64,
    /// Whether the value is a percentage (one decimal) rather than a count.
    pub percent: bool,
}

const fn count(key: &'static str, value: fn(&Figures) -> f64) -> ReportColumn {
    ReportColumn {
        key,
        value,
        percent: false,
    }
}

/// The report's columns, in order, with headings short enough to stay whole in a printed
/// column (a heading never breaks inside a word).
pub const COLUMNS: &[ReportColumn] = &[
    count("reports.col.stations", |f| f.stations as f64),
    count("reports.col.volunteers_active", |f| {
        f.volunteers_active as f64
    }),
    count("reports.col.volunteers_trained", |f| {
        f.volunteers_trained as f64
    }),
    count("reports.col.children_registered", |f| {
        f.children_registered as f64
    }),
    count("reports.col.children_paired", |f| f.children_paired as f64),
    ReportColumn {
        key: "reports.col.coverage",
        value: |f| f.coverage().unwrap_or(0.0),
        percent: true,
    },
    count("reports.col.pairings_active", |f| f.pairings_active as f64),
    count("reports.col.pairings_started", |f| {
        f.pairings_started as f64
    }),
    count("reports.col.activities", |f| f.activities as f64),
    count("reports.col.person_visits", |f| f.person_visits as f64),
    count("reports.col.trainings", |f| f.trainings as f64),
    count("reports.col.contacts", |f| f.contacts as f64),
    count("reports.col.wishes_fulfilled", |f| {
        f.wishes_fulfilled as f64
    }),
    ReportColumn {
        key: "reports.col.open_days",
        value: |f| f.open_days_rate().unwrap_or(0.0),
        percent: true,
    },
];

/// The name of a row as the report prints it.
pub fn row_name(lang: Lang, area: &Area) -> String {
    area.name
        .clone()
        .unwrap_or_else(|| lang.t("dashboard.unassigned").to_owned())
}

/// A month's report of a focus.
#[derive(Debug)]
pub struct Monthly {
    pub focus: Focus,
    /// `YYYY-MM`.
    pub month: String,
    pub period: Period,
    /// The name of the focus (`None`: a manager's stations, which the page names in its
    /// language).
    pub name: Option<String>,
    /// One row per county, or per station at county level and below.
    pub areas: Vec<Area>,
    pub total: Figures,
}
