//! Spreadsheet imports, shared by the areas that import (volunteers, children): the page, the
//! template, reading an upload against its columns, and the error report a refused import
//! keeps for a week for the person who uploaded the file to download. Each area declares what
//! it imports (an [`Kind`]) and checks and writes its own rows; this area knows none of them.
//! A sheet is read as clerks make it (`clean`): a title above the header, headers wrapped or
//! with full-width brackets, dates and choices in the forms people type, full-width digits,
//! totals under the list.

mod clean;
mod command_line;
mod page;
mod report;
mod sheet;

pub use command_line::from_command_line;
pub use page::{Kind, Upload, UploadForm, form, read_form, read_off_the_workers, template, upload};
pub use report::save as save_report;
pub use sheet::{Column, Outcome, RowError, Sheet, Variant, word};

use crate::web::{Access, Routes};

/// The import routes shared by every area.
pub fn routes() -> Routes {
    Routes::new().get("/imports/{id}/report", Access::REGISTRARS, report::report)
}
