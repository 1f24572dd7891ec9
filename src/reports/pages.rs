//! `/reports` (choose a month) and `/reports/monthly` (the printable report, or its `.xlsx`).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{COLUMNS, ReportColumn, row_name};
use crate::audit::{Action, Entry};
use crate::auth::{ClientIp, CurrentUser};
use crate::dashboard::model::{Area, Figures, Period};
use crate::web::AppState;
use crate::web::error::{AppError, FieldError, FieldErrors};
use crate::web::{PageContext, export, render};

/// Which report: the focus (as the dashboard takes it) and the month.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportQuery {
    /// A region in the caller's subtree (default: the caller's own).
    pub region: Option<String>,
    /// A station in the caller's scope, instead of a region.
    pub station: Option<String>,
    /// `YYYY-MM` (default: last month).
    pub month: Option<String>,
    /// `xlsx` for the download.
    pub format: Option<String>,
}

/// `YYYY-MM` of the month before `today`'s, and of the eleven before it, newest first.
fn recent_months(today: time::Date) -> Vec<String> {
    let mut months = crate::dashboard::model::last_twelve_months(today);
    months.pop();
    if let Some(first) = months.first().copied() {
        let before = first.previous_day().unwrap_or(first);
        months.insert(0, before.replace_day(1).unwrap_or(before));
    }
    months
        .into_iter()
        .rev()
        .map(|d| format!("{:04}-{:02}", d.year(), u8::from(d.month())))
        .collect()
}

#[derive(Template)]
#[template(path = "reports/index.html")]
struct IndexPage {
    ctx: PageContext,
    name: Option<String>,
    focus_query: String,
    months: Vec<String>,
}

impl IndexPage {
    fn link(&self, month: &str) -> String {
        if self.focus_query.is_empty() {
            format!("/reports/monthly?month={month}")
        } else {
            format!("/reports/monthly?{}&month={month}", self.focus_query)
        }
    }
}

/// `GET /reports`: the months to report on, for the user's region (or `region=`/`station=`).
pub async fn index(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let focus = crate::dashboard::service::focus(
        &state.db,
        &user,
        q.region.as_deref(),
        q.station.as_deref(),
    )
    .await?;
    let name = crate::dashboard::service::focus_name(&state.db, &focus).await?;
    Ok(render(&IndexPage {
        ctx,
        name,
        focus_query: focus.query(),
        months: recent_months(crate::domain::today()),
    }))
}

#[derive(Template)]
#[template(path = "reports/monthly.html")]
struct MonthlyPage {
    ctx: PageContext,
    title: String,
    month: String,
    focus_query: String,
    areas: Vec<Area>,
    total: Figures,
    by_station: bool,
}

impl MonthlyPage {
    fn columns(&self) -> &'static [ReportColumn] {
        COLUMNS
    }

    fn cell(&self, figures: &Figures, column: &ReportColumn) -> String {
        let value = (column.value)(figures);
        if column.percent {
            format!("{value:.1}%")
        } else {
            self.ctx.num(&(value as i64))
        }
    }

    fn name(&self, area: &Area) -> String {
        row_name(self.ctx.lang, area)
    }

    fn download_link(&self) -> String {
        let focus = if self.focus_query.is_empty() {
            String::new()
        } else {
            format!("{}&", self.focus_query)
        };
        format!("/reports/monthly?{focus}month={}&format=xlsx", self.month)
    }
}

/// `GET /reports/monthly?region=CODE&month=YYYY-MM` (`format=xlsx`: the download, audited).
#[tracing::instrument(skip(state, ctx, user))]
pub async fn monthly(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let focus = crate::dashboard::service::focus(
        &state.db,
        &user,
        q.region.as_deref(),
        q.station.as_deref(),
    )
    .await?;
    let today = crate::domain::today();
    let month = q
        .month
        .clone()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| recent_months(today).remove(0));
    let period = Period::month(&month).map_err(AppError::validation)?;
    if period.from > today {
        return Err(AppError::validation(FieldErrors::from([(
            "month".to_owned(),
            FieldError::new("error.month_future"),
        )])));
    }
    let xlsx = export::wanted(q.format.as_deref())?;
    let breakdown = crate::dashboard::service::breakdown(
        &state.figures,
        &focus,
        focus.report_len(),
        period,
        today,
    )
    .await?;
    let name = crate::dashboard::service::focus_name(&state.db, &focus)
        .await?
        .unwrap_or_else(|| ctx.t("dashboard.my_stations").to_owned());
    let title = ctx
        .tf("reports.title_of", "month", &month_label(&ctx, period.from))
        .replace("{name}", &name);
    if xlsx {
        let bytes = super::workbook(ctx.lang, &title, &breakdown.areas, &breakdown.total)?;
        let entry = Entry::by(&user, Action::Export, "monthly_report", None, ip).with_detail(
            serde_json::json!({ "month": month, "focus": focus.query(), "rows": breakdown.areas.len() }),
        );
        crate::audit::record(&state.db, entry).await?;
        return Ok(export::download(&format!("monthly-report-{month}"), bytes));
    }
    Ok(render(&MonthlyPage {
        ctx,
        title,
        month,
        focus_query: focus.query(),
        by_station: focus.report_len() == 0,
        areas: breakdown.areas,
        total: breakdown.total,
    }))
}

/// 2026年10月 / 2026-10.
fn month_label(ctx: &PageContext, first: time::Date) -> String {
    match ctx.lang {
        crate::i18n::Lang::ZhCn => format!("{}年{}月", first.year(), u8::from(first.month())),
        crate::i18n::Lang::En => format!("{:04}-{:02}", first.year(), u8::from(first.month())),
    }
}
