//! `/reports` (choose a month) and `/reports/monthly` (the printable report, or its `.xlsx`).

use crate::web::Query;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::model::{COLUMNS, ReportColumn, row_name};
use super::service;
use crate::auth::{ClientIp, CurrentUser};
use crate::dashboard::model::{Area, Figures, focus_link};
use crate::web::AppState;
use crate::web::error::AppError;
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
        focus_link(
            "/reports/monthly",
            &self.focus_query,
            &format!("month={month}"),
        )
    }
}

/// `GET /reports`: the months to report on, for the user's region (or `region=`/`station=`).
pub async fn index(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let asked = (q.region.as_deref(), q.station.as_deref());
    let (focus, name) = service::focus(&state.db, &user, asked).await?;
    Ok(render(&IndexPage {
        ctx,
        name,
        focus_query: focus.query(),
        months: service::recent_months(crate::domain::today()),
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
        let rest = format!("month={}&format=xlsx", self.month);
        focus_link("/reports/monthly", &self.focus_query, &rest)
    }
}

/// `GET /reports/monthly?region=CODE&month=YYYY-MM` (`format=xlsx`: the download, audited).
#[tracing::instrument(skip(state, ctx, user))]
pub async fn monthly(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    exporting: export::Export,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let xlsx = exporting.wanted(q.format.as_deref())?;
    // The download counts among its user's running exports.
    let _running = xlsx.then(|| exporting.start()).transpose()?;
    let asked = (q.region.as_deref(), q.station.as_deref());
    let report = service::monthly(
        (&state.db, &state.figures),
        &user,
        asked,
        q.month.as_deref(),
        crate::domain::today(),
    )
    .await?;
    let name = report
        .name
        .clone()
        .unwrap_or_else(|| ctx.t("dashboard.my_stations").to_owned());
    let title = ctx
        .tf(
            "reports.title_of",
            "month",
            &month_label(&ctx, report.period.from),
        )
        .replace("{name}", &name);
    if xlsx {
        let bytes = service::download(&state.db, &user, ip, (ctx.lang, &title), &report).await?;
        return Ok(export::download(
            &format!("monthly-report-{}", report.month),
            bytes,
        ));
    }
    Ok(render(&MonthlyPage {
        ctx,
        title,
        focus_query: report.focus.query(),
        by_station: report.focus.report_len() == 0,
        month: report.month,
        areas: report.areas,
        total: report.total,
    }))
}

/// 2026年10月 / 2026-10.
fn month_label(ctx: &PageContext, first: time::Date) -> String {
    match ctx.lang {
        crate::i18n::Lang::ZhCn => format!("{}年{}月", first.year(), u8::from(first.month())),
        crate::i18n::Lang::En => format!("{:04}-{:02}", first.year(), u8::from(first.month())),
    }
}
