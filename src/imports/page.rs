//! The import page of an area: how it works, its template, and the upload with its outcome.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;
use uuid::Uuid;

use super::sheet::{Column, Outcome, RowError};
use crate::auth::CurrentUser;
use crate::i18n::Lang;
use crate::web::error::AppError;
use crate::web::sheet::{self, MAX_FILE_BYTES, Row, SheetError};
use crate::web::{PageContext, Prefs, export, render};

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

    /// The template's columns in the page's language, a required one marked `*`.
    fn column_list(&self) -> String {
        let en = self.ctx.lang == crate::i18n::Lang::En;
        self.ctx
            .lang
            .list(self.kind.columns.iter().map(|(_, zh, e, required)| {
                let name = if en { *e } else { *zh };
                if *required {
                    format!("{name}*")
                } else {
                    name.to_owned()
                }
            }))
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
    run: impl AsyncFnOnce(&[Row], Lang) -> Result<Outcome, AppError>,
) -> Result<Response, AppError> {
    let bytes = match read_file(&mut multipart).await? {
        Upload::Missing => {
            let message = ctx.t("import.no_file").to_owned();
            return Ok(refuse(ctx, kind, message));
        }
        Upload::TooLarge => {
            let message = SheetError::TooLarge.message(ctx.lang);
            return Ok(refuse(ctx, kind, message));
        }
        Upload::File(bytes) => bytes,
    };
    let rows = match read_off_the_workers(bytes).await? {
        Ok(rows) => rows,
        Err(e) => {
            let message = e.message(ctx.lang);
            return Ok(refuse(ctx, kind, message));
        }
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
            let report = super::report::save(db, user, kind.path, &errors).await?;
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

/// The page again, with why the file was refused.
fn refuse(ctx: PageContext, kind: Kind, problem: String) -> Response {
    let page = ImportPage {
        ctx,
        kind,
        imported: None,
        errors: Vec::new(),
        problem: Some(problem),
        report: None,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
}

/// What the multipart field `file` held.
pub enum Upload {
    /// No file, or an empty one.
    Missing,
    /// A file past [`MAX_FILE_BYTES`].
    TooLarge,
    /// The file's bytes.
    File(Vec<u8>),
}

/// A multipart form with one file: the file, its name as uploaded, and the form's other
/// (short) fields.
pub struct UploadForm {
    pub file: Upload,
    pub file_name: Option<String>,
    pub fields: std::collections::HashMap<String, String>,
}

/// The most characters of a text field beside the file (a county code, say).
const MAX_FIELD_CHARS: usize = 200;

async fn read_file(multipart: &mut axum::extract::Multipart) -> Result<Upload, AppError> {
    Ok(read_form(multipart).await?.file)
}

/// Reads the field `file` chunk by chunk, keeping at most [`MAX_FILE_BYTES`]: past that the
/// rest of the body is read and dropped, so the client still hears the refusal. Other fields
/// are kept when short and plain text; a longer one is refused.
pub async fn read_form(multipart: &mut axum::extract::Multipart) -> Result<UploadForm, AppError> {
    let bad = |e: axum::extract::multipart::MultipartError| AppError::BadRequest(e.body_text());
    let mut form = UploadForm {
        file: Upload::Missing,
        file_name: None,
        fields: std::collections::HashMap::new(),
    };
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        if name != "file" {
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                text.extend_from_slice(&chunk);
                if text.len() > MAX_FIELD_CHARS * 4 {
                    return Err(AppError::BadRequest(format!(
                        "the field {name} is too long"
                    )));
                }
            }
            let text = String::from_utf8(text)
                .map_err(|_| AppError::BadRequest(format!("the field {name} is not text")))?;
            form.fields.insert(name, text);
            continue;
        }
        form.file_name = field
            .file_name()
            .map(|n| n.chars().filter(|c| !c.is_control()).take(200).collect());
        let mut bytes = Vec::new();
        let mut too_large = false;
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            if too_large || bytes.len() + chunk.len() > MAX_FILE_BYTES {
                too_large = true;
                bytes = Vec::new();
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        form.file = match (too_large, bytes.is_empty()) {
            (true, _) => Upload::TooLarge,
            (false, true) => Upload::Missing,
            (false, false) => Upload::File(bytes),
        };
    }
    Ok(form)
}

/// Reads a sheet on a blocking thread: parsing is CPU work that must not hold up the async
/// workers answering everyone else.
pub async fn read_off_the_workers(
    bytes: Vec<u8>,
) -> Result<Result<Vec<Row>, SheetError>, AppError> {
    tokio::task::spawn_blocking(move || sheet::read_rows(&bytes))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("reading an upload: {e}")))
}
