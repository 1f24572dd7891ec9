//! What the report pages ask: the focus and the months to offer, a month's report (the
//! dashboard's figures for that month), and its audited download.

use std::net::IpAddr;

use sqlx::PgPool;
use time::Date;

use super::model::Monthly;
use crate::audit::{Action, Entry};
use crate::auth::CurrentUser;
use crate::dashboard::model::{Focus, Period};
use crate::i18n::Lang;
use crate::web::error::{AppError, FieldError, FieldErrors};

/// `YYYY-MM` of the month before `today`'s, and of the eleven before it, newest first.
pub fn recent_months(today: Date) -> Vec<String> {
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

/// The focus a user asks for (a region or a station, as the dashboard takes it) and its name.
pub async fn focus(
    db: &PgPool,
    user: &CurrentUser,
    (region, station): (Option<&str>, Option<&str>),
) -> Result<(Focus, Option<String>), AppError> {
    let focus = crate::dashboard::service::focus(db, user, region, station).await?;
    let name = crate::dashboard::service::focus_name(db, &focus).await?;
    Ok((focus, name))
}

/// The report of a focus for `month` (`YYYY-MM`; last month when not given). A month that has
/// not begun is refused. The figures are read on `figures`, the dashboard's pool.
pub async fn monthly(
    (db, figures): (&PgPool, &PgPool),
    user: &CurrentUser,
    (region, station): (Option<&str>, Option<&str>),
    month: Option<&str>,
    today: Date,
) -> Result<Monthly, AppError> {
    let focus = crate::dashboard::service::focus(db, user, region, station).await?;
    let month = month
        .filter(|m| !m.trim().is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| recent_months(today).remove(0));
    let period = Period::month(&month).map_err(AppError::validation)?;
    if period.from > today {
        return Err(AppError::validation(FieldErrors::from([(
            "month".to_owned(),
            FieldError::new("error.month_future"),
        )])));
    }
    let breakdown =
        crate::dashboard::service::breakdown(figures, &focus, focus.report_len(), period, today)
            .await?;
    let name = crate::dashboard::service::focus_name(db, &focus).await?;
    Ok(Monthly {
        focus,
        month,
        period,
        name,
        areas: breakdown.areas,
        total: breakdown.total,
    })
}

/// The report as an `.xlsx` workbook titled `title`; the export is audited.
pub async fn download(
    db: &PgPool,
    user: &CurrentUser,
    ip: Option<IpAddr>,
    (lang, title): (Lang, &str),
    report: &Monthly,
) -> Result<Vec<u8>, AppError> {
    let bytes = super::sheet::workbook(lang, title, &report.areas, &report.total)?;
    let entry = Entry::by(user, Action::Export, "monthly_report", None, ip).with_detail(
        serde_json::json!({
            "month": report.month,
            "focus": report.focus.query(),
            "rows": report.areas.len()
        }),
    );
    crate::audit::record(db, entry).await?;
    Ok(bytes)
}
