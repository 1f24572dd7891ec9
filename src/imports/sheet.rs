//! Reading an uploaded sheet against an import's columns, and the problems found in its rows.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::domain::region::same_county;
use crate::i18n::Lang;
use crate::web::error::AppError;

/// One problem in the file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RowError {
    /// Spreadsheet row number (the header is row 1).
    pub row: usize,
    /// Column header.
    pub column: String,
    /// What is wrong, in the reader's language.
    pub message: String,
}

/// What an import did.
#[derive(Debug)]
pub enum Outcome {
    /// Every row was written.
    Imported(usize),
    /// Nothing was written; these rows need fixing.
    Refused(Vec<RowError>),
}

/// A column of an import template: field, Chinese header, English header, required.
pub type Column = (&'static str, &'static str, &'static str, bool);

/// An uploaded sheet read against its template: where each column sits, what its rows refer
/// to (stations by name, region codes), and the problems found so far.
pub struct Sheet {
    columns: &'static [Column],
    index: HashMap<&'static str, usize>,
    lang: Lang,
    stations: HashMap<String, Uuid>,
    station_regions: HashMap<Uuid, String>,
    known_regions: HashSet<String>,
    errors: Vec<RowError>,
}

impl Sheet {
    /// Locates the template's columns in the header row (`rows[0]`) and loads, for the whole
    /// file at once, the stations in the importer's scope and which of its region codes exist.
    pub async fn open(
        db: &PgPool,
        user: &CurrentUser,
        columns: &'static [Column],
        rows: &[Vec<String>],
        lang: Lang,
    ) -> Result<Sheet, AppError> {
        let header = rows.first().map(Vec::as_slice).unwrap_or_default();
        let index: HashMap<&str, usize> = columns
            .iter()
            .filter_map(|(field, zh, en, _)| {
                header
                    .iter()
                    .position(|h| h == zh || h == en)
                    .map(|i| (*field, i))
            })
            .collect();
        let mut sheet = Sheet {
            columns,
            index,
            lang,
            stations: HashMap::new(),
            station_regions: HashMap::new(),
            known_regions: HashSet::new(),
            errors: Vec::new(),
        };
        for (field, ..) in columns.iter().filter(|(.., required)| *required) {
            if !sheet.index.contains_key(field) {
                let message = lang.t("import.missing_column").to_owned();
                sheet.error(1, field, message);
            }
        }
        sheet.stations = crate::stations::service::choices(db, &user.scope)
            .await?
            .into_iter()
            .map(|(id, name)| (name, id))
            .collect();
        let ids: Vec<Uuid> = sheet.stations.values().copied().collect();
        sheet.station_regions = crate::stations::service::regions_of(db, &ids).await?;
        let codes: Vec<String> = rows
            .iter()
            .skip(1)
            .filter_map(|r| sheet.cell(r, "region_code"))
            // Only digits can be a code; anything else is an unknown region, not a query.
            .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        sheet.known_regions =
            sqlx::query_scalar!("SELECT code FROM region WHERE code = ANY($1)", &codes)
                .fetch_all(db)
                .await?
                .into_iter()
                .collect();
        Ok(sheet)
    }

    /// The language of the report.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Whether a required column is missing (then no row is worth reading).
    pub fn lacks_columns(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The trimmed text of `field` in `row`, if any.
    pub fn cell(&self, row: &[String], field: &str) -> Option<String> {
        self.index
            .get(field)
            .and_then(|&i| row.get(i))
            .cloned()
            .filter(|c| !c.is_empty())
    }

    /// The station in the importer's scope with this name.
    pub fn station(&self, name: &str) -> Option<Uuid> {
        self.stations.get(name).copied()
    }

    /// Records a problem with `field` (a template field, or a form field such as
    /// `guardian.phone`, shown under its column header) in spreadsheet row `row`.
    pub fn error(&mut self, row: usize, field: &str, message: String) {
        let field = field.replace('.', "_");
        let column = self
            .columns
            .iter()
            .find(|(f, ..)| *f == field)
            .map(|(_, zh, en, _)| if self.lang == Lang::En { *en } else { *zh })
            .map(str::to_owned)
            .unwrap_or(field);
        self.errors.push(RowError {
            row,
            column,
            message,
        });
    }

    /// Records a problem with a translated message.
    pub fn error_t(&mut self, row: usize, field: &str, key: &str) {
        let message = self.lang.t(key).to_owned();
        self.error(row, field, message);
    }

    /// Records a value that repeats the one in an earlier row of the file.
    pub fn duplicate_of(&mut self, row: usize, field: &str, first_row: usize) {
        let message = self.lang.tf(
            "import.duplicate_in_file",
            &[("row", &first_row.to_string())],
        );
        self.error(row, field, message);
    }

    /// Checks that a residence code exists and lies in the importer's region.
    pub fn check_region(&mut self, row: usize, user: &CurrentUser, code: &str) {
        if user.region_code.is_some() && !user.scope.covers_region(code) {
            self.error_t(row, "region_code", "error.region_outside_scope");
        } else if !self.known_regions.contains(code) {
            self.error_t(row, "region_code", "error.region_unknown");
        }
    }

    /// Records a row whose residence (a known region) lies outside its station's county.
    pub fn check_residence(&mut self, row: usize, station: Uuid, code: &str) {
        if self.known_regions.contains(code)
            && self
                .station_regions
                .get(&station)
                .is_some_and(|at| !same_county(at, code))
        {
            self.error_t(row, "region_code", "error.residence_outside_county");
        }
    }

    /// The verdict so far: `Some(Refused)`, rows in order, when anything is wrong.
    pub fn refusal(&mut self) -> Option<Outcome> {
        if self.errors.is_empty() {
            return None;
        }
        let mut errors = std::mem::take(&mut self.errors);
        errors.sort_by(|a, b| a.row.cmp(&b.row).then_with(|| a.column.cmp(&b.column)));
        Some(Outcome::Refused(errors))
    }
}

/// The data rows of a sheet with their spreadsheet row numbers (the header is row 1).
pub fn numbered(rows: &[Vec<String>]) -> impl Iterator<Item = (usize, &[String])> {
    rows.iter()
        .enumerate()
        .skip(1)
        .map(|(i, r)| (i + 1, r.as_slice()))
}

/// A status or choice typed in a spreadsheet: the API word, or its Chinese or English label.
pub fn word<T: Copy>(
    text: &str,
    all: &[T],
    word: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Option<T> {
    let text = text.trim();
    all.iter().copied().find(|v| {
        word(*v) == text
            || crate::i18n::Lang::ZhCn.t(label(*v)) == text
            || crate::i18n::Lang::En.t(label(*v)) == text
    })
}
