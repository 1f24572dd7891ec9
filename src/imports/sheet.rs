//! Reading an uploaded sheet against an import's columns, and the problems found in its rows.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::clean;
use crate::auth::CurrentUser;
use crate::domain::FieldErrors;
use crate::domain::region::same_county;
use crate::i18n::Lang;
use crate::web::error::AppError;
use crate::web::sheet::Row;

/// How many rows at the top of a sheet may hold its header (a title above it, a line saying
/// who filled it in and when).
const HEADER_WITHIN: usize = 10;

/// One problem in the file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RowError {
    /// Spreadsheet row number, as the spreadsheet shows it.
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

/// Another header clerks give a column (身份证号码 for 身份证号): the field and the header.
pub type Variant = (&'static str, &'static str);

/// Header cells that name no data (a row's number): never reported as columns not read.
const NO_DATA: &[&str] = &["序号", "编号", "No.", "No", "#"];

/// An uploaded sheet read against its template: where each column sits, what its rows refer
/// to (stations by name, region codes), and the problems found so far.
pub struct Sheet {
    columns: &'static [Column],
    index: HashMap<&'static str, usize>,
    /// Where the header row is among the rows read.
    header: usize,
    lang: Lang,
    stations: HashMap<String, Uuid>,
    station_regions: HashMap<Uuid, String>,
    known_regions: HashSet<String>,
    errors: Vec<RowError>,
}

impl Sheet {
    /// Finds the header row (among the first rows, the one naming the most of the template's
    /// columns: a title may stand above it) and the template's columns in it, and loads, for
    /// the whole file at once, the stations in the importer's scope and which of its region
    /// codes exist.
    pub async fn open(
        db: &PgPool,
        user: &CurrentUser,
        columns: &'static [Column],
        rows: &[Row],
        lang: Lang,
    ) -> Result<Sheet, AppError> {
        Sheet::open_with(db, user, (columns, &[]), rows, lang).await
    }

    /// [`Sheet::open`], with the other headers each column may have.
    pub async fn open_with(
        db: &PgPool,
        user: &CurrentUser,
        (columns, variants): (&'static [Column], &'static [Variant]),
        rows: &[Row],
        lang: Lang,
    ) -> Result<Sheet, AppError> {
        let (header, index) = find_header(columns, variants, rows);
        let header_number = rows.get(header).map_or(1, |r| r.number);
        let mut sheet = Sheet {
            columns,
            index,
            header,
            lang,
            stations: HashMap::new(),
            station_regions: HashMap::new(),
            known_regions: HashSet::new(),
            errors: Vec::new(),
        };
        for (field, ..) in columns.iter().filter(|(.., required)| *required) {
            if !sheet.index.contains_key(field) {
                let message = lang.t("import.missing_column").to_owned();
                sheet.error(header_number, field, message);
            }
        }
        sheet.stations = crate::stations::service::choices(db, &user.scope)
            .await?
            .into_iter()
            .map(|(id, name)| (name, id))
            .collect();
        let ids: Vec<Uuid> = sheet.stations.values().copied().collect();
        sheet.station_regions = crate::stations::service::regions_of(db, &ids).await?;
        let codes: Vec<String> = sheet
            .rows(rows)
            .filter_map(|(_, r)| sheet.cell(r, "region_code"))
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

    /// Whether the header has a column for `field`.
    pub fn has(&self, field: &str) -> bool {
        self.index.contains_key(field)
    }

    /// The header cells that name none of the columns, as they were written: what the import
    /// did not read (a row's number, 序号, is not reported).
    pub fn unknown_headers(&self, rows: &[Row]) -> Vec<String> {
        let Some(header) = rows.get(self.header) else {
            return Vec::new();
        };
        header
            .cells
            .iter()
            .enumerate()
            .filter(|(i, cell)| {
                !cell.trim().is_empty()
                    && !self.index.values().any(|at| at == i)
                    && !NO_DATA.iter().any(|n| clean::same_header(cell, n))
            })
            .map(|(_, cell)| cell.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    /// The data rows under the header with their spreadsheet row numbers, without the totals
    /// under the list (合计, 小计).
    pub fn rows<'r>(
        &self,
        rows: &'r [Row],
    ) -> impl Iterator<Item = (usize, &'r [String])> + use<'r> {
        rows.iter()
            .skip(self.header + 1)
            .filter(|r| !clean::is_total(&r.cells))
            .map(|r| (r.number, r.cells.as_slice()))
    }

    /// The trimmed text of `field` in `row`, if any, with full-width digits and letters as
    /// ordinary ones.
    pub fn cell(&self, row: &[String], field: &str) -> Option<String> {
        self.index
            .get(field)
            .and_then(|&i| row.get(i))
            .map(|c| clean::half_width(c).trim().to_owned())
            .filter(|c| !c.is_empty())
    }

    /// The date in `field` of `row` as an ISO date, however it was typed (2016/5/6,
    /// 2017年1月2日, a date cell); text that is no date is kept, for the checks to name.
    pub fn date(&self, row: &[String], field: &str) -> Option<String> {
        self.cell(row, field).map(|c| clean::date(&c).unwrap_or(c))
    }

    /// The gender in `field` of `row` as the form takes it (女性: 女); other text is kept, for
    /// the checks to name.
    pub fn gender(&self, row: &[String], field: &str) -> Option<String> {
        self.cell(row, field)
            .map(|c| clean::gender(&c).map_or(c, str::to_owned))
    }

    /// Yes or no in `field` of `row` (是/否, 同意/不同意, …): `Err` with the cell's text when
    /// it is neither.
    pub fn yes_no(&self, row: &[String], field: &str) -> Result<Option<bool>, String> {
        match self.cell(row, field) {
            None => Ok(None),
            Some(c) => clean::yes_no(&c).map(Some).ok_or(c),
        }
    }

    /// Records the problems the form's checks found in `row`; an ID number Excel stored as a
    /// number is told so, whatever its check digit says.
    pub fn invalid(&mut self, n: usize, row: &[String], fields: &FieldErrors) {
        let lost = self
            .cell(row, "id_number")
            .is_some_and(|id| clean::lost_digits(&id));
        for (field, e) in fields {
            if field == "id_number" && lost {
                self.error_t(n, field, "import.id_number_as_number");
            } else {
                let message = e.message(self.lang);
                self.error(n, field, message);
            }
        }
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

/// The header row among the first [`HEADER_WITHIN`] rows (the first naming the most of the
/// template's columns; the first row when none names any) and where each column sits in it.
fn find_header(
    columns: &'static [Column],
    variants: &'static [Variant],
    rows: &[Row],
) -> (usize, HashMap<&'static str, usize>) {
    let located = |row: &Row| -> HashMap<&'static str, usize> {
        columns
            .iter()
            .filter_map(|(field, zh, en, _)| {
                let names = |h: &String| {
                    clean::same_header(h, zh)
                        || clean::same_header(h, en)
                        || variants
                            .iter()
                            .any(|(f, v)| f == field && clean::same_header(h, v))
                };
                row.cells.iter().position(names).map(|i| (*field, i))
            })
            .collect()
    };
    let mut best = (0, HashMap::new());
    for (i, row) in rows.iter().take(HEADER_WITHIN).enumerate() {
        let index = located(row);
        if index.len() > best.1.len() {
            best = (i, index);
        }
    }
    best
}

/// A status or choice typed in a spreadsheet: the API word, its Chinese or English label, or
/// their short or long forms (留守 and 留守儿童, 报名 and 已报名; see
/// [`clean::names_option`]), or one of the area's `aliases` (a colloquial form and the API
/// word it means: 奶奶, `grandmother`).
pub fn word<T: Copy>(
    text: &str,
    all: &[T],
    word: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
    aliases: &[(&str, &str)],
) -> Option<T> {
    let text = text.trim();
    let labels = |v: T| [Lang::ZhCn.t(label(v)), Lang::En.t(label(v))];
    let alias = aliases
        .iter()
        .find(|(typed, _)| clean::names_option(text, typed))
        .map(|(_, w)| *w);
    all.iter()
        .copied()
        .find(|v| word(*v) == text || alias == Some(word(*v)) || labels(*v).contains(&text))
        .or_else(|| {
            all.iter().copied().find(|v| {
                clean::names_option(text, word(*v))
                    || labels(*v).iter().any(|l| clean::names_option(text, l))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[
        ("name", "姓名", "name", true),
        ("birth_date", "出生日期", "birth_date", true),
        (
            "guardian_phone",
            "联系电话(监护人)",
            "guardian_phone",
            false,
        ),
    ];

    fn row(number: usize, cells: &[&str]) -> Row {
        Row {
            number,
            cells: cells.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn the_header_is_the_row_naming_the_most_columns_under_a_title() {
        let rows = [
            row(1, &["XX县留守儿童花名册"]),
            row(2, &["填报单位：XX镇", "姓名"]),
            row(3, &["序号", " 姓 名", "出生\n日期", "联系电话（监护人）"]),
            row(4, &["1", "李小雨", "2016/5/4", "13812345678"]),
        ];
        let (header, index) = find_header(COLUMNS, &[], &rows);
        assert_eq!(header, 2);
        assert_eq!(index["name"], 1);
        assert_eq!(index["birth_date"], 2);
        assert_eq!(index["guardian_phone"], 3);
        let (header, index) = find_header(COLUMNS, &[], &[row(1, &["甲", "乙"])]);
        assert_eq!((header, index.len()), (0, 0), "no header: the first row");
    }

    #[test]
    fn a_choice_by_its_word_label_short_form_or_alias() {
        #[derive(Clone, Copy, Debug, PartialEq)]
        enum Status {
            Applied,
            Active,
        }
        let words = |s: Status| match s {
            Status::Applied => "applied",
            Status::Active => "active",
        };
        let labels = |s: Status| match s {
            Status::Applied => "volunteer.status.applied",
            Status::Active => "volunteer.status.active",
        };
        let all = [Status::Applied, Status::Active];
        let aliases = [("活跃", "active")];
        let find = |text| word(text, &all, words, labels, &aliases);
        assert_eq!(find("applied"), Some(Status::Applied));
        assert_eq!(find("已报名"), Some(Status::Applied));
        assert_eq!(find("报名"), Some(Status::Applied));
        assert_eq!(find("Applied"), Some(Status::Applied));
        assert_eq!(find("活跃"), Some(Status::Active));
        assert_eq!(find("在 岗"), Some(Status::Active));
        assert_eq!(find("退休"), None);
    }
}
