//! The monthly report as an `.xlsx` workbook.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::model::{COLUMNS, row_name};
use crate::dashboard::model::{Area, Figures};
use crate::i18n::Lang;
use crate::web::error::AppError;

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
