//! `GET /dashboard`: the figures, the areas table, the trends and the alerts.

use crate::web::Query;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::api::StatsQuery;
use super::model::{Area, Column, Figures, Month, Period, focus_link, sort_areas};
use super::service::Alerts;
use crate::activities::model::Kind;
use crate::auth::CurrentUser;
use crate::children::model::Category;
use crate::stations::model::{BuildMode, StationStatus};
use crate::volunteers::model::VolunteerStatus;
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::{PageContext, render};

/// Query of the dashboard: the focus and period, and how the areas table is sorted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DashboardQuery {
    #[serde(flatten)]
    stats: StatsQuery,
    /// A column of the areas table.
    sort: Option<String>,
    /// `asc` or `desc` (numbers sort largest first by default).
    dir: Option<String>,
}

/// A figure with its label (message key).
pub struct Labelled {
    /// Message key.
    pub key: &'static str,
    /// Count.
    pub n: i64,
}

fn labelled(
    words: &super::model::Tally,
    label: impl Fn(&str) -> Option<&'static str>,
) -> Vec<Labelled> {
    words
        .iter()
        .filter_map(|(w, n)| label(w).map(|key| Labelled { key, n: *n }))
        .collect()
}

#[derive(Template)]
#[template(path = "dashboard/page.html")]
struct DashboardPage {
    ctx: PageContext,
    /// The focus's name (`None`: a manager's stations).
    name: Option<String>,
    crumbs: Vec<(String, String)>,
    focus_query: String,
    /// Whether the focus is a single station (no areas below it).
    is_station: bool,
    /// The one station the dashboard is about, whose record it links to.
    station_record: Option<Uuid>,
    period: Period,
    total: Figures,
    /// The civil-affairs roster's figures, and the county whose roster page shows them.
    roster: Option<(crate::roster::model::Coverage, String)>,
    areas: Vec<Area>,
    by_build_mode: Vec<Labelled>,
    by_station_status: Vec<Labelled>,
    by_volunteer_status: Vec<Labelled>,
    by_category: Vec<Labelled>,
    by_kind: Vec<Labelled>,
    sort: Column,
    descending: bool,
    months: Vec<Month>,
    alerts: Alerts,
    /// Seconds the read replica the figures come from is behind, when more than a few.
    lag: Option<i64>,
}

impl DashboardPage {
    /// A roster share as the page shows it.
    fn roster_share(&self, paired: bool) -> String {
        let share = self.roster.as_ref().and_then(|(c, _)| {
            if paired {
                c.paired_share()
            } else {
                c.registered_share()
            }
        });
        super::model::percent(share)
    }

    /// Running pairings meeting their standard, per hundred, as the page shows it.
    fn meeting_text(&self) -> String {
        super::model::percent(self.total.support.meeting_rate(self.total.pairings_active))
    }

    /// Message key of a pairing-length bucket.
    fn length_key(&self, bucket: &str) -> String {
        format!("dashboard.length.{bucket}")
    }

    /// Message key of a closure reason's label.
    fn reason_key(&self, reason: &str) -> String {
        format!("pairing.reason.{reason}")
    }

    /// Whether a month of the trends (`2026-12`) is the current one, counted only so far.
    fn partial(&self, month: &str) -> bool {
        crate::domain::today().to_string().starts_with(month)
    }

    fn columns(&self) -> &'static [Column] {
        Column::ALL
    }

    /// The link a column heading sorts by: the other direction when already sorted by it.
    fn sort_link(&self, column: &Column) -> String {
        let descending = if *column == self.sort {
            !self.descending
        } else {
            *column != Column::Name
        };
        let dir = if descending { "desc" } else { "asc" };
        let (from, to, sort) = (self.period.from, self.period.to, column.as_str());
        focus_link(
            "/dashboard",
            &self.focus_query,
            &format!("from={from}&to={to}&sort={sort}&dir={dir}"),
        )
    }

    fn sort_state(&self, column: &Column) -> &'static str {
        match (*column == self.sort, self.descending) {
            (false, _) => "none",
            (true, true) => "descending",
            (true, false) => "ascending",
        }
    }

    fn drill_link(&self, area: &Area) -> Option<String> {
        let (from, to) = (self.period.from, self.period.to);
        area.drill()
            .map(|q| focus_link("/dashboard", &q, &format!("from={from}&to={to}")))
    }

    fn report_link(&self) -> String {
        let month = last_month(self.period.to);
        focus_link(
            "/reports/monthly",
            &self.focus_query,
            &format!("month={month}"),
        )
    }

    fn cell(&self, figures: &Figures, column: &Column) -> String {
        let n = |v: i64| self.ctx.num(&v);
        match column {
            Column::Name => String::new(),
            Column::Stations => n(figures.stations),
            Column::VolunteersActive => n(figures.volunteers_active),
            Column::VolunteersTrained => n(figures.volunteers_trained),
            Column::ChildrenRegistered => n(figures.children_registered),
            Column::ChildrenPaired => n(figures.children_paired),
            Column::Coverage => figures.coverage_text(),
            Column::Activities => n(figures.activities),
            Column::PersonVisits => n(figures.person_visits),
            Column::Contacts => n(figures.contacts),
            Column::WishesFulfilled => n(figures.wishes_fulfilled),
            Column::OpenDays => figures.open_days_text(),
        }
    }
}

/// The month before the one `day` falls in, `YYYY-MM` (the report people usually want).
fn last_month(day: time::Date) -> String {
    let (year, month) = match day.month() {
        time::Month::January => (day.year() - 1, time::Month::December),
        m => (day.year(), m.previous()),
    };
    format!("{year:04}-{:02}", u8::from(month))
}

/// A replica this many seconds behind or less is not worth a word.
const LAG_SHOWN: i64 = 5;

/// `GET /dashboard`.
#[tracing::instrument(skip(state, ctx, user))]
pub async fn dashboard(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(query): Query<DashboardQuery>,
) -> Result<Response, AppError> {
    let (focus, period) = query.stats.resolve(&state, &user).await?;
    let sort = query
        .sort
        .as_deref()
        .and_then(Column::parse)
        .unwrap_or(Column::Name);
    let descending = match query.dir.as_deref() {
        Some("asc") => false,
        Some("desc") => true,
        _ => sort != Column::Name,
    };
    let today = crate::domain::today();
    let page = super::service::dashboard(&state.figures, &user, &focus, period, today).await?;
    let lag = match &state.config.read_database_url {
        Some(_) => crate::db::replica_lag(&state.figures)
            .await
            .map(|s| s.round() as i64)
            .filter(|s| *s > LAG_SHOWN),
        None => None,
    };
    let (breakdown, months, alerts) = (page.breakdown, page.months, page.alerts);
    let (name, crumbs) = (page.name, page.crumbs);
    let mut areas = breakdown.areas;
    sort_areas(&mut areas, sort, descending);
    let total = breakdown.total;
    let roster = breakdown.roster.map(|c| {
        let code = focus.region_like().unwrap_or_default();
        let code = code.trim_end_matches('%');
        (c, code.get(..6).unwrap_or("").to_owned())
    });
    let station_record = match focus.station_ids() {
        Some([one]) => Some(*one),
        _ => None,
    };
    let is_station = station_record.is_some();
    Ok(render(&DashboardPage {
        lag,
        by_build_mode: labelled(&total.stations_by_build_mode, |w| {
            BuildMode::parse(w).map(BuildMode::label_key)
        }),
        by_station_status: labelled(&total.stations_by_status, |w| {
            StationStatus::parse(w).map(StationStatus::label_key)
        }),
        by_volunteer_status: labelled(&total.volunteers_by_status, |w| {
            VolunteerStatus::parse(w).map(VolunteerStatus::label_key)
        }),
        by_category: labelled(&total.children_by_category, |w| {
            Category::parse(w).map(Category::label_key)
        }),
        by_kind: labelled(&total.activities_by_kind, |w| {
            Kind::parse(w).map(Kind::label_key)
        }),
        ctx,
        name,
        crumbs,
        focus_query: focus.query(),
        is_station,
        station_record,
        period,
        total,
        roster,
        areas,
        sort,
        descending,
        months,
        alerts,
    }))
}
