//! Spreadsheet imports, shared by the areas that import (volunteers, children): the page, the
//! template, reading an upload against its columns, and the error report a refused import
//! keeps for a week for the person who uploaded the file to download.

use std::collections::{HashMap, HashSet};

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use askama::Template;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::auth::CurrentUser;
use crate::i18n::Lang;
use crate::web::error::AppError;
use crate::web::{Access, Routes};
use crate::web::{PageContext, Prefs, export, render};

/// The import routes shared by every area.
pub fn routes() -> Routes {
    Routes::new().get("/imports/{id}/report", Access::REGISTRARS, report)
}

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
        let codes: Vec<String> = rows
            .iter()
            .skip(1)
            .filter_map(|r| sheet.cell(r, "region_code"))
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

/// Saves a refused import's errors; returns the report's id.
pub async fn save(
    db: &PgPool,
    user: &CurrentUser,
    entity: &str,
    errors: &[RowError],
) -> Result<Uuid, AppError> {
    let json = serde_json::to_value(errors).map_err(anyhow::Error::from)?;
    Ok(sqlx::query_scalar!(
        "INSERT INTO import_report (user_id, entity, errors) VALUES ($1, $2, $3) RETURNING id",
        user.id,
        entity,
        json
    )
    .fetch_one(db)
    .await?)
}

/// `GET /imports/{id}/report`: the error report as `.xlsx`, to its author only.
pub async fn report(
    State(db): State<PgPool>,
    user: CurrentUser,
    prefs: Prefs,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let errors = sqlx::query_scalar!(
        "SELECT errors FROM import_report WHERE id = $1 AND user_id = $2 AND created_at > now() - interval '7 days'",
        id,
        user.id
    )
    .fetch_optional(&db)
    .await?
    .ok_or(AppError::NotFound)?;
    let errors: Vec<serde_json::Value> = serde_json::from_value(errors).unwrap_or_default();
    let t = |k: &str| prefs.lang.t(k);
    let rows: Vec<Vec<String>> = errors
        .iter()
        .map(|e| {
            vec![
                e["row"].to_string(),
                e["column"].as_str().unwrap_or("").to_owned(),
                e["message"].as_str().unwrap_or("").to_owned(),
            ]
        })
        .collect();
    let bytes = export::xlsx(
        t("import.report"),
        &[t("import.row"), t("import.column"), t("import.message")],
        &rows,
    )?;
    Ok(export::download("import-errors", bytes))
}

/// What a spreadsheet imports, declared by the area whose records it writes
/// (`volunteers::import::KIND`, `children::import::KIND`).
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// The list's path, without its slash (`children`); the import lives under it.
    pub path: &'static str,
    /// Message key of the import page's title.
    pub title_key: &'static str,
    /// Message key of the list's title.
    pub list_key: &'static str,
    /// The template's columns.
    pub columns: &'static [Column],
    /// The template's example row.
    pub example: &'static [&'static str],
}

#[derive(Template)]
#[template(path = "imports/page.html")]
struct ImportPage {
    ctx: PageContext,
    kind: Kind,
    imported: Option<usize>,
    errors: Vec<RowError>,
    problem: Option<String>,
    report: Option<Uuid>,
}

impl ImportPage {
    fn path(&self) -> &'static str {
        self.kind.path
    }

    fn title(&self) -> &'static str {
        self.ctx.t(self.kind.title_key)
    }

    fn list_title(&self) -> &'static str {
        self.ctx.t(self.kind.list_key)
    }

    fn columns(&self) -> Vec<(&'static str, bool)> {
        let en = self.ctx.lang == crate::i18n::Lang::En;
        self.kind
            .columns
            .iter()
            .map(|(_, zh, e, required)| (if en { *e } else { *zh }, *required))
            .collect()
    }
}

/// The import page: how it works, the template, the upload form.
pub fn form(kind: Kind, ctx: PageContext) -> Response {
    render(&ImportPage {
        ctx,
        kind,
        imported: None,
        errors: Vec::new(),
        problem: None,
        report: None,
    })
}

/// The template: the columns and one example row.
pub fn template(kind: Kind, prefs: Prefs) -> Result<Response, AppError> {
    let en = prefs.lang == crate::i18n::Lang::En;
    let headers: Vec<&str> = kind
        .columns
        .iter()
        .map(|(_, zh, e, _)| if en { *e } else { *zh })
        .collect();
    let example: Vec<String> = kind.example.iter().map(|s| (*s).to_owned()).collect();
    let bytes = export::xlsx(kind.path, &headers, &[example])?;
    Ok(export::download(
        &format!("{}-import-template", kind.path),
        bytes,
    ))
}

/// Reads the uploaded file (multipart field `file`) and hands its rows to `run`, the owning
/// area's import, which checks every row and imports all or none; a refusal lists each row's
/// problems and keeps a downloadable report.
pub async fn upload(
    kind: Kind,
    db: &PgPool,
    ctx: PageContext,
    user: &CurrentUser,
    mut multipart: axum::extract::Multipart,
    run: impl AsyncFnOnce(&[Vec<String>], Lang) -> Result<Outcome, AppError>,
) -> Result<Response, AppError> {
    let mut bytes = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?
    {
        if field.name() == Some("file") {
            bytes = Some(
                field
                    .bytes()
                    .await
                    .map_err(|e| AppError::BadRequest(e.body_text()))?,
            );
        }
    }
    let refuse = |ctx: PageContext, key: &str| {
        let problem = Some(ctx.t(key).to_owned());
        let page = ImportPage {
            ctx,
            kind,
            imported: None,
            errors: Vec::new(),
            problem,
            report: None,
        };
        (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
    };
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return Ok(refuse(ctx, "import.no_file"));
    };
    let rows = match crate::web::sheet::read(&bytes) {
        Ok(rows) => rows,
        Err(e) => return Ok(refuse(ctx, e.key())),
    };
    let outcome = run(&rows, ctx.lang).await?;
    match outcome {
        Outcome::Imported(n) => Ok(render(&ImportPage {
            ctx,
            kind,
            imported: Some(n),
            errors: Vec::new(),
            problem: None,
            report: None,
        })),
        Outcome::Refused(errors) => {
            let report = save(db, user, kind.path, &errors).await?;
            let page = ImportPage {
                ctx,
                kind,
                imported: None,
                errors,
                problem: None,
                report: Some(report),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
    }
}

/// `aixin import volunteers|children FILE --as USERNAME`: reads the file and hands its rows to
/// `run`, the owning area's import, with the same checks as the page; prints the count
/// imported, or every problem (and fails).
pub async fn from_command_line(
    db: &PgPool,
    kind: Kind,
    file: &std::path::Path,
    username: &str,
    run: impl AsyncFnOnce(&CurrentUser, &[Vec<String>], Lang) -> Result<Outcome, AppError>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let user = crate::auth::acting_as(db, username).await?;
    anyhow::ensure!(
        user.role != crate::domain::Role::Volunteer,
        "a volunteer's account cannot import"
    );
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let rows =
        crate::web::sheet::read(&bytes).map_err(|e| anyhow::anyhow!(Lang::ZhCn.t(e.key())))?;
    let outcome = run(&user, &rows, Lang::ZhCn)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match outcome {
        Outcome::Imported(n) => {
            println!("imported {n} {}", kind.path);
            Ok(())
        }
        Outcome::Refused(errors) => {
            for e in &errors {
                eprintln!("row {} · {} · {}", e.row, e.column, e.message);
            }
            anyhow::bail!("{} problems; nothing was imported", errors.len())
        }
    }
}
