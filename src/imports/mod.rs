//! Refused imports keep their error report for a week, for the person who uploaded the file
//! to download as a spreadsheet.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use askama::Template;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::app::{AppState, Routes};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::web::{PageContext, Prefs, export, render};

/// The import routes shared by every area.
pub fn routes() -> Routes {
    Routes::new().get("/imports/{id}/report", report)
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

/// What a spreadsheet imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Volunteers.
    Volunteers,
    /// Children with a guardian and registration consent.
    Children,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Kind::Volunteers => "volunteers",
            Kind::Children => "children",
        }
    }

    fn title_key(self) -> &'static str {
        match self {
            Kind::Volunteers => "import.volunteers_title",
            Kind::Children => "import.children_title",
        }
    }

    fn list_key(self) -> &'static str {
        match self {
            Kind::Volunteers => "volunteers.title",
            Kind::Children => "children.title",
        }
    }

    fn columns(self) -> &'static [(&'static str, &'static str, &'static str, bool)] {
        match self {
            Kind::Volunteers => crate::volunteers::import::COLUMNS,
            Kind::Children => crate::children::import::COLUMNS,
        }
    }

    fn example(self) -> &'static [&'static str] {
        match self {
            Kind::Volunteers => &[
                "王秀兰",
                "女",
                "13912345678",
                "",
                "1985-03-12",
                "510681002006",
                "",
                "汉州街道卫生院",
                "护士",
                "学业辅导、医疗",
                "已报名",
                "",
                "",
                "",
                "2",
            ],
            Kind::Children => &[
                "李小雨",
                "女",
                "2016-05-04",
                "",
                "留守儿童",
                "",
                "510681002006",
                "",
                "汉州小学",
                "四年级",
                "祖辈",
                "父母均外出务工",
                "学业、陪伴",
                "李奶奶",
                "祖母/外祖母",
                "13812345678",
                "是",
                "2026-09-01",
                "纸质签字",
            ],
        }
    }
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
        self.kind.path()
    }

    fn title(&self) -> &'static str {
        self.ctx.t(self.kind.title_key())
    }

    fn list_title(&self) -> &'static str {
        self.ctx.t(self.kind.list_key())
    }

    fn columns(&self) -> Vec<(&'static str, bool)> {
        let en = self.ctx.lang == crate::i18n::Lang::En;
        self.kind
            .columns()
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
        .columns()
        .iter()
        .map(|(_, zh, e, _)| if en { *e } else { *zh })
        .collect();
    let example: Vec<String> = kind.example().iter().map(|s| (*s).to_owned()).collect();
    let bytes = export::xlsx(kind.path(), &headers, &[example])?;
    Ok(export::download(
        &format!("{}-import-template", kind.path()),
        bytes,
    ))
}

/// Reads the uploaded file (multipart field `file`), checks every row and imports all or
/// none; a refusal lists each row's problems and keeps a downloadable report.
pub async fn upload(
    kind: Kind,
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    ip: Option<std::net::IpAddr>,
    mut multipart: axum::extract::Multipart,
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
    let lang = ctx.lang;
    let outcome = match kind {
        Kind::Volunteers => {
            crate::volunteers::import::run(&state.db, &state.cipher, user, &rows, lang, ip).await?
        }
        Kind::Children => {
            crate::children::import::run(&state.db, &state.cipher, user, &rows, lang, ip).await?
        }
    };
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
            let report = save(&state.db, user, kind.path(), &errors).await?;
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

/// `aixin import volunteers|children FILE --as USERNAME`: the same checks as the page; prints
/// the count imported, or every problem (and exits non-zero).
pub async fn from_command_line(
    db: &PgPool,
    config: &crate::config::Config,
    kind: &str,
    file: &std::path::Path,
    username: &str,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let id = crate::auth::store::id_by_username(db, username)
        .await?
        .context("no account has this username")?;
    let (user, active, _) = crate::auth::store::load_current(db, id)
        .await?
        .context("no account has this username")?;
    anyhow::ensure!(active, "the account {username} is disabled");
    anyhow::ensure!(
        user.role != crate::auth::Role::Volunteer,
        "a volunteer's account cannot import"
    );
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let rows = crate::web::sheet::read(&bytes)
        .map_err(|e| anyhow::anyhow!(crate::i18n::Lang::ZhCn.t(e.key())))?;
    let cipher = crate::crypto::Cipher::new(&config.secret_key);
    let lang = crate::i18n::Lang::ZhCn;
    let outcome = match kind {
        "volunteers" => crate::volunteers::import::run(db, &cipher, &user, &rows, lang, None).await,
        _ => crate::children::import::run(db, &cipher, &user, &rows, lang, None).await,
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    match outcome {
        Outcome::Imported(n) => {
            println!("imported {n} {kind}");
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
