//! The rules and transactions of this area: what its pages and API call.

use super::{model, read};
use std::collections::HashMap;

use sqlx::PgPool;
use time::{Date, Duration};
use uuid::Uuid;

use super::model::{Area, Breakdown, Figures, Focus, Month, Period, RosterFigures};
use super::read::{ByArea, CheckDue, QuietPairing, StationRow, WaitingChild};
use crate::auth::{CurrentUser, Role};
use crate::contacts::model::UNREACHED_ALERT;
use crate::contacts::service::OpenConcern;
use crate::regions::model::RegionCode;
use crate::roster::model::Coverage;
use crate::stations::service::{OPEN_DAYS_WEEKS, held_to_plan, planned_days};
use crate::web::error::AppError;

/// How many records each alert lists (the rest are counted, and linked to their list).
pub const ALERT_ROWS: i64 = 10;

/// The focus a user asks for: a region in their subtree, a station in their scope, or by
/// default their own region (or their stations, for a station manager). Anything else is a 404.
pub async fn focus(
    db: &PgPool,
    user: &CurrentUser,
    region: Option<&str>,
    station: Option<&str>,
) -> Result<Focus, AppError> {
    if let Some(station) = station.map(str::trim).filter(|s| !s.is_empty()) {
        let id = crate::web::parse_id(station)?;
        let s = crate::stations::service::find(db, &user.scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        return Ok(Focus::Stations {
            ids: vec![id],
            name: Some(s.name),
            region_code: Some(s.region_code),
        });
    }
    let asked = region.map(str::trim).filter(|r| !r.is_empty());
    let code = match (asked, user.role) {
        (Some(code), Role::Admin | Role::Staff) if user.scope.covers_region(code) => code,
        (Some(_), _) => return Err(AppError::NotFound),
        (None, Role::Admin | Role::Staff) => user.region_code.as_deref().unwrap_or_default(),
        (None, _) => {
            let ids = user.station_ids.clone();
            let name = match ids.as_slice() {
                [only] => crate::stations::service::find(db, &user.scope, *only)
                    .await?
                    .map(|s| (s.name, s.region_code)),
                _ => None,
            };
            return Ok(Focus::Stations {
                ids,
                region_code: name.as_ref().map(|n| n.1.clone()),
                name: name.map(|n| n.0),
            });
        }
    };
    let code = RegionCode::parse(code).map_err(|_| AppError::NotFound)?;
    let region = crate::regions::service::find(db, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Focus::Region(region))
}

/// Up to this many stations, a focus's station records are read station by station through
/// their `(station_id, …)` indexes; a wider focus hashes its stations against the period's rows.
const FEW_STATIONS: usize = 40;

/// The ids of a focus's stations, when there are few enough to read their records one by one.
fn few(stations: &[StationRow]) -> Option<Vec<Uuid>> {
    (stations.len() <= FEW_STATIONS).then(|| stations.iter().map(|s| s.id).collect())
}

/// The stations of a focus, each keyed by the area `len` splits the focus into (see
/// [`Focus::drill_len`]): what [`breakdown`] and [`alerts`] start from.
pub async fn stations(db: &PgPool, focus: &Focus, len: i32) -> Result<Vec<StationRow>, AppError> {
    Ok(read::stations(db, focus, len).await?)
}

/// The figures of a focus over a period, split by `len` (see [`Focus::drill_len`]).
pub async fn breakdown(
    db: &PgPool,
    focus: &Focus,
    len: i32,
    period: Period,
    today: Date,
) -> Result<Breakdown, AppError> {
    let stations = stations(db, focus, len).await?;
    let open = open_days(db, &stations, period.open_days_window(today)).await?;
    breakdown_of(db, focus, &stations, &open, len, (period, today)).await
}

/// The days each active station of a focus opened for children in a window (four weeks).
#[derive(Debug)]
pub struct OpenDays {
    /// The window.
    pub window: Period,
    /// Days opened, by station (stations that did not open are absent).
    pub days: HashMap<Uuid, Vec<Date>>,
}

impl OpenDays {
    /// How many days a station opened.
    fn of(&self, station: Uuid) -> i64 {
        self.days.get(&station).map_or(0, Vec::len) as i64
    }
}

/// The open days, in `window`, of the stations held against their plan then.
pub async fn open_days(
    db: &PgPool,
    stations: &[StationRow],
    window: Period,
) -> Result<OpenDays, AppError> {
    let ids: Vec<Uuid> = stations
        .iter()
        .filter(|s| is_assessed(s, window))
        .map(|s| s.id)
        .collect();
    let days = crate::stations::service::open_days(db, &ids, window.from, window.to).await?;
    Ok(OpenDays { window, days })
}

/// [`breakdown`] of a focus whose `stations` (keyed by the same `len`) and their open days in
/// the period's window were read already; what is running is counted as on `today`.
pub async fn breakdown_of(
    db: &PgPool,
    focus: &Focus,
    stations: &[StationRow],
    open: &OpenDays,
    len: i32,
    (period, today): (Period, Date),
) -> Result<Breakdown, AppError> {
    let mut people = ByArea::new();
    let mut children = ByArea::new();
    let mut pairings = ByArea::new();
    let mut activities = ByArea::new();
    let mut counts = ByArea::new();
    let few = few(stations);
    // Independent passes over different tables: run side by side, each on its connection.
    let ((), (), (), (), (), (support, median), (roster, roster_by)) = tokio::try_join!(
        read::volunteers(db, focus, len, &mut people),
        read::children(db, focus, len, &mut children),
        read::pairings(db, focus, len, today, &mut pairings),
        read::activities(db, focus, few.as_deref(), len, period, &mut activities),
        read::station_counts(db, focus, few.as_deref(), len, period, &mut counts),
        super::support::read(
            db,
            (focus.region_like(), focus.station_ids()),
            len,
            (period.from, period.to),
            today,
        ),
        roster_figures(db, focus, len),
    )?;
    let mut by_area = station_figures(stations, open);
    for part in [people, children, pairings, activities, counts] {
        for (key, figures) in part {
            by_area.entry(key).or_default().add(&figures);
        }
    }
    // Each area's follow-ups and closings, its median with them (a median does not add up).
    for (key, figures) in support {
        let own = &mut by_area.entry(key).or_default().support;
        own.add(&figures);
        own.median_pairing_days = figures.median_pairing_days;
    }

    let listed: Vec<(Option<String>, Option<Uuid>, String)> = match (focus, len) {
        (_, 0) => stations
            .iter()
            .map(|s| (None, Some(s.id), s.name.clone()))
            .collect(),
        (Focus::Region(r), len) => read::regions_in(db, &r.code, len)
            .await?
            .into_iter()
            .map(|(code, name)| (Some(code), None, name))
            .collect(),
        (Focus::Stations { .. }, _) => Vec::new(),
    };
    let mut total = Figures::default();
    let mut areas = Vec::with_capacity(listed.len() + 1);
    for (region_code, station_id, name) in listed {
        let key = region_code.clone().or(station_id.map(|id| id.to_string()));
        let figures = by_area.remove(&key).unwrap_or_default();
        total.add(&figures);
        let roster = region_code
            .as_ref()
            .filter(|_| roster.is_some())
            .map(|code| roster_by.get(code).copied().unwrap_or_default());
        areas.push(Area {
            region_code,
            station_id,
            name: Some(name),
            figures,
            roster: roster.into(),
        });
    }
    let mut rest = Figures::default();
    for figures in by_area.values() {
        rest.add(figures);
    }
    if rest != Figures::default() {
        total.add(&rest);
        areas.push(Area {
            region_code: None,
            station_id: None,
            name: None,
            figures: rest,
            roster: RosterFigures::default(),
        });
    }
    total.support.median_pairing_days = median;
    Ok(Breakdown {
        total,
        roster,
        areas,
    })
}

/// The roster's figures of a region focus and of its areas one level down (`len`, none below
/// a county); a focus of stations has none.
async fn roster_figures(
    db: &PgPool,
    focus: &Focus,
    len: i32,
) -> sqlx::Result<(Option<Coverage>, HashMap<String, Coverage>)> {
    let Focus::Region(r) = focus else {
        return Ok((None, HashMap::new()));
    };
    let total = crate::roster::service::coverage(db, &r.code).await?;
    let by = match (&total, len) {
        (Some(_), 4 | 6 | 9) => crate::roster::service::coverage_by(db, &r.code, len).await?,
        _ => HashMap::new(),
    };
    Ok((total, by))
}

/// The stations' own figures by area: counts by build mode and status, and whether the
/// active ones opened on their planned days in the window.
fn station_figures(stations: &[StationRow], open: &OpenDays) -> ByArea {
    let mut out = ByArea::new();
    for s in stations {
        let f = out.entry(s.key.clone()).or_default();
        f.stations += 1;
        *f.stations_by_build_mode
            .entry(s.build_mode.as_str())
            .or_default() += 1;
        *f.stations_by_status.entry(s.status.as_str()).or_default() += 1;
        if is_assessed(s, open.window) {
            f.stations_assessed += 1;
            if open.of(s.id) >= planned(s) {
                f.stations_open_as_planned += 1;
            }
        }
    }
    out
}

/// Whether a station is held against its plan in the window (the stations area's rule).
fn is_assessed(s: &StationRow, window: Period) -> bool {
    held_to_plan(s.status, s.opened_on, window.from)
}

/// The days a station plans to open in the window.
fn planned(s: &StationRow) -> i64 {
    planned_days(s.status, s.open_days_per_week, OPEN_DAYS_WEEKS)
}

/// The twelve months ending with `today`'s, at a focus whose `stations` are given.
pub async fn trends(
    db: &PgPool,
    focus: &Focus,
    stations: &[StationRow],
    today: Date,
) -> Result<Vec<Month>, AppError> {
    let months = model::last_twelve_months(today);
    let few = few(stations);
    Ok(read::months(db, focus, few.as_deref(), months[0], months[11]).await?)
}

/// Everything the dashboard page shows of a focus over a period.
#[derive(Debug)]
pub struct Dashboard {
    /// The figures, split into the areas one level down.
    pub breakdown: Breakdown,
    /// The twelve months ending with this one.
    pub months: Vec<Month>,
    /// Where help is needed.
    pub alerts: Alerts,
    /// The focus's name (`None`: a manager's stations).
    pub name: Option<String>,
    /// The regions above it, as [`names`] gives them.
    pub crumbs: Vec<(String, String)>,
}

/// The dashboard of a focus: its stations and their open days are read once, then the
/// figures, the trends, the alerts and the names side by side.
pub async fn dashboard(
    db: &PgPool,
    user: &CurrentUser,
    focus: &Focus,
    period: Period,
    today: Date,
) -> Result<Dashboard, AppError> {
    let len = focus.drill_len();
    let stations = stations(db, focus, len).await?;
    let open = open_days(db, &stations, period.open_days_window(today)).await?;
    let (breakdown, months, mut alerts, (name, crumbs)) = tokio::try_join!(
        breakdown_of(db, focus, &stations, &open, len, (period, today)),
        trends(db, focus, &stations, today),
        alerts(db, focus, &stations, &open, today),
        names(db, user, focus),
    )?;
    // The overdue pairings are counted with the focus's figures (kept per station).
    alerts.check_ins.1 = breakdown.total.support.pairings_overdue;
    Ok(Dashboard {
        breakdown,
        months,
        alerts,
        name,
        crumbs,
    })
}

/// A station short of its planned open days.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ShortStation {
    /// The station.
    pub id: Uuid,
    pub name: String,
    /// Days it planned to open in the window.
    pub planned: i64,
    /// Days it opened.
    pub opened: i64,
}

/// Where help is needed, each with the first records and the count.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Alerts {
    /// Open safeguarding concerns.
    pub concerns: (Vec<OpenConcern>, i64),
    /// Active pairings with something overdue under their standard (the count filled in by
    /// [`dashboard`] from the focus's figures).
    pub check_ins: (Vec<QuietPairing>, i64),
    /// Active pairings whose volunteer has not reached the child in three attempts in a row.
    pub unreached: (Vec<read::UnreachedPairing>, i64),
    /// Children waiting for a pairing over [`model::WAITING_DAYS`] days.
    pub waiting: (Vec<WaitingChild>, i64),
    /// Active stations below their planned open days in the last four weeks.
    pub short_stations: (Vec<ShortStation>, i64),
    /// Active volunteers whose background check is older than three years.
    pub checks_due: (Vec<CheckDue>, i64),
    /// Data-subject requests still open after their due day.
    pub requests_overdue: (Vec<crate::privacy::model::DataRequest>, i64),
    /// Women who applied on a station's public page and are not yet screened.
    pub applicants: (Vec<crate::volunteers::application::Applicant>, i64),
    /// The four weeks the open days were counted in.
    pub window: (Date, Date),
}

impl Alerts {
    /// Whether nothing needs attention.
    pub fn is_empty(&self) -> bool {
        self.concerns.1
            + self.check_ins.1
            + self.unreached.1
            + self.waiting.1
            + self.short_stations.1
            + self.checks_due.1
            + self.requests_overdue.1
            + self.applicants.1
            == 0
    }
}

/// The alerts of a focus, whose `stations` are given with their open days in some window (read
/// again unless that window is the alerts' own, the last four weeks).
async fn alerts(
    db: &PgPool,
    focus: &Focus,
    stations: &[StationRow],
    open: &OpenDays,
    today: Date,
) -> Result<Alerts, AppError> {
    let window = Period::this_year(today).open_days_window(today);
    let waited = today - Duration::days(model::WAITING_DAYS + 1);
    let checked = today
        .replace_year(today.year() - model::CHECK_VALID_YEARS)
        .unwrap_or_else(|_| today - Duration::days(365 * 3 + 1));
    let own;
    let open = if open.window == window {
        open
    } else {
        own = open_days(db, stations, window).await?;
        &own
    };
    let few = few(stations);
    let records = async {
        Ok::<_, AppError>(tokio::try_join!(
            read::quiet_pairings(db, focus, few.as_deref(), today, ALERT_ROWS),
            read::waiting_since_before(db, focus, waited, ALERT_ROWS),
            read::checks_due(db, focus, checked, ALERT_ROWS),
            read::unreached_pairings(db, focus, few.as_deref(), UNREACHED_ALERT, ALERT_ROWS),
        )?)
    };
    let scope = focus.scope();
    let (concerns, (quiet, waiting, checks_due, unreached), requests_overdue, applicants) = tokio::try_join!(
        crate::contacts::service::open_concerns(db, &scope, (ALERT_ROWS, 0)),
        records,
        crate::privacy::service::overdue(db, &scope, ALERT_ROWS),
        crate::volunteers::application::new_applicants(db, &scope, ALERT_ROWS),
    )?;
    let mut short: Vec<ShortStation> = stations
        .iter()
        .filter(|s| is_assessed(s, window))
        .map(|s| ShortStation {
            id: s.id,
            name: s.name.clone(),
            planned: planned(s),
            opened: open.of(s.id),
        })
        .filter(|s| s.opened < s.planned)
        .collect();
    // Stable: stations that fell short by as much keep the pinyin order of their names.
    short.sort_by_key(|s| s.opened - s.planned);
    let short_total = short.len() as i64;
    short.truncate(ALERT_ROWS as usize);

    Ok(Alerts {
        concerns,
        check_ins: (quiet, 0),
        unreached,
        waiting,
        short_stations: (short, short_total),
        checks_due,
        requests_overdue,
        applicants,
        window: (window.from, window.to),
    })
}

/// The name of a focus: the region's full path, the station's name, or none (a manager's
/// stations, which the page names in its language).
pub async fn focus_name(db: &PgPool, focus: &Focus) -> Result<Option<String>, AppError> {
    Ok(match focus {
        Focus::Region(r) => {
            let code = RegionCode::parse(&r.code).map_err(|_| AppError::NotFound)?;
            let mut names: Vec<String> = crate::regions::service::ancestors(db, &code)
                .await?
                .into_iter()
                .map(|a| a.name)
                .collect();
            names.push(r.name.clone());
            Some(names.join(" / "))
        }
        Focus::Stations { name, .. } => name.clone(),
    })
}

/// The name of a focus ([`focus_name`]) and the breadcrumbs above it: (query string, name) of
/// each region above it, from the top of the user's scope down. One read of the region's
/// ancestors serves both.
pub async fn names(
    db: &PgPool,
    user: &CurrentUser,
    focus: &Focus,
) -> Result<(Option<String>, Vec<(String, String)>), AppError> {
    let (code, include_self) = match focus {
        Focus::Region(r) => (r.code.as_str(), false),
        Focus::Stations {
            region_code: Some(code),
            ..
        } => (code.as_str(), true),
        Focus::Stations { name, .. } => return Ok((name.clone(), Vec::new())),
    };
    let Ok(code) = RegionCode::parse(code) else {
        return Ok((focus_name(db, focus).await?, Vec::new()));
    };
    let mut chain = crate::regions::service::ancestors(db, &code).await?;
    let name = match focus {
        Focus::Region(r) => {
            let mut names: Vec<&str> = chain.iter().map(|a| a.name.as_str()).collect();
            names.push(&r.name);
            Some(names.join(" / "))
        }
        Focus::Stations { name, .. } => name.clone(),
    };
    if include_self && let Some(region) = crate::regions::service::find(db, &code).await? {
        chain.push(region);
    }
    let crumbs = chain
        .into_iter()
        // Station managers and staff see only what lies in their own scope.
        .filter(|r| user.scope.covers_region(&r.code))
        // Villages are not a level of the dashboard: stations are listed by township.
        .filter(|r| r.code.len() <= 9)
        .map(|r| (format!("region={}", r.code), r.name))
        .collect();
    Ok((name, crumbs))
}

/// Counts the running pairings' kept figures again for `today` at every station whose figures
/// hold for another day (the scheduled `figures` job, just after midnight).
pub async fn refresh_day(db: &PgPool, today: time::Date) -> Result<(), AppError> {
    Ok(super::support::recount(db, (None, None), today).await?)
}
