//! The access copy as an `.xlsx` workbook: one sheet per section, its columns headed.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::read::Section;
use crate::i18n::Lang;
use crate::web::error::AppError;

/// The copy as a workbook.
pub fn workbook(lang: Lang, title: &str, sections: &[Section]) -> Result<Vec<u8>, AppError> {
    fn build(lang: Lang, title: &str, sections: &[Section]) -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        let bold = Format::new().set_bold();
        for (i, section) in sections.iter().enumerate() {
            let ws = book.add_worksheet();
            // A sheet's name is at most 31 characters and unique: numbered.
            let name: String = format!("{} {}", i + 1, lang.t(section.title))
                .chars()
                .filter(|c| !"[]:*?/\\".contains(*c))
                .take(31)
                .collect();
            ws.set_name(name)?;
            ws.write_string_with_format(
                0,
                0,
                format!("{title} · {}", lang.t(section.title)),
                &bold,
            )?;
            for (c, column) in section.columns.iter().enumerate() {
                let c = u16::try_from(c).unwrap_or(u16::MAX);
                ws.write_string_with_format(1, c, lang.t(column), &bold)?;
                ws.set_column_width(c, 16)?;
            }
            for (r, row) in section.rows.iter().enumerate() {
                let r = u32::try_from(r + 2).unwrap_or(u32::MAX);
                for (c, value) in row.iter().enumerate() {
                    ws.write_string(r, u16::try_from(c).unwrap_or(u16::MAX), value)?;
                }
            }
            ws.set_freeze_panes(2, 0)?;
        }
        book.save_to_buffer()
    }
    build(lang, title, sections)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing the access copy: {e}")))
}
