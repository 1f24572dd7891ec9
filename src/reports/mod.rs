//! The monthly report (月度报表): for a region (or a station) and a calendar month, one row per
//! county — per station at county level and below — with the dashboard's figures and their
//! totals, as a printable page and as an `.xlsx` download.
//!
//! The figures are the dashboard's own ([`crate::dashboard::service::breakdown`]), so a report's totals
//! are the dashboard's for the same month, by construction.

pub mod pages;

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::dashboard::model::{Area, Figures};
use crate::i18n::Lang;
use crate::web::error::AppError;
use crate::web::{Access, Routes};

/// The report routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/reports", Access::REGISTRARS, pages::index)
        .get("/reports/monthly", Access::REGISTRARS, pages::monthly)
}

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

/// The report's columns, in order.
pub const COLUMNS: &[ReportColumn] = &[
    count("dashboard.stations", |f| f.stations as f64),
    count("dashboard.volunteers_active", |f| {
        f.volunteers_active as f64
    }),
    count("dashboard.volunteers_trained", |f| {
        f.volunteers_trained as f64
    }),
    count("dashboard.children_registered", |f| {
        f.children_registered as f64
    }),
    count("dashboard.children_paired", |f| f.children_paired as f64),
    ReportColumn {
        key: "dashboard.coverage",
        value: |f| f.coverage().unwrap_or(0.0),
        percent: true,
    },
    count("dashboard.pairings_active", |f| f.pairings_active as f64),
    count("dashboard.pairings_started", |f| f.pairings_started as f64),
    count("dashboard.activities", |f| f.activities as f64),
    count("dashboard.person_visits", |f| f.person_visits as f64),
    count("dashboard.trainings", |f| f.trainings as f64),
    count("dashboard.contacts", |f| f.contacts as f64),
    count("dashboard.wishes_fulfilled", |f| f.wishes_fulfilled as f64),
    ReportColumn {
        key: "dashboard.open_days",
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

/// The report as a workbook: a title row, the headings, one row per area, the totals. Counts
/// are written as numbers, so the sheet adds up in Excel too.
pub fn workbook(
    lang: Lang,
    title: &str,
    areas: &[Area],
    total: &Figures,
) -> Result<Vec<u8>, AppError> {
    fn build(
        lang: Lang,
        title: &str,
        areas: &[Area],
        total: &Figures,
    ) -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        ws.set_name(lang.t("reports.sheet"))?;
        let bold = Format::new().set_bold();
        let percent = Format::new().set_num_format("0.0\"%\"");
        let bold_percent = Format::new().set_bold().set_num_format("0.0\"%\"");
        ws.write_string_with_format(0, 0, title, &bold)?;
        ws.write_string_with_format(1, 0, lang.t("dashboard.col.name"), &bold)?;
        ws.set_column_width(0, 28)?;
        for (i, c) in COLUMNS.iter().enumerate() {
            let col = (i + 1) as u16;
            ws.write_string_with_format(1, col, lang.t(c.key), &bold)?;
            ws.set_column_width(col, 14)?;
        }
        let rows = areas
            .iter()
            .map(|a| (row_name(lang, a), &a.figures, false))
            .chain(std::iter::once((
                lang.t("dashboard.total").to_owned(),
                total,
                true,
            )));
        for (r, (name, figures, is_total)) in rows.enumerate() {
            let row = (r + 2) as u32;
            if is_total {
                ws.write_string_with_format(row, 0, &name, &bold)?;
            } else {
                ws.write_string(row, 0, &name)?;
            }
            for (i, c) in COLUMNS.iter().enumerate() {
                let col = (i + 1) as u16;
                let value = (c.value)(figures);
                match (c.percent, is_total) {
                    (true, true) => ws.write_number_with_format(row, col, value, &bold_percent)?,
                    (true, false) => ws.write_number_with_format(row, col, value, &percent)?,
                    (false, true) => ws.write_number_with_format(row, col, value, &bold)?,
                    (false, false) => ws.write_number(row, col, value)?,
                };
            }
        }
        ws.set_freeze_panes(2, 1)?;
        book.save_to_buffer()
    }
    build(lang, title, areas, total)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing the monthly report: {e}")))
}
