//! Lists as spreadsheets: `format=xlsx` on a list answers the same rows as an `.xlsx` file.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::error::{AppError, FieldError, FieldErrors};
use crate::audit::{self, Actor};
use crate::domain::Role;

/// Most rows one export writes (a province's children fit).
pub const MAX_ROWS: i64 = 500_000;

/// The spreadsheet of a list page: its API list with the page's filters (from `page_link`,
/// e.g. `/children?q=…&page=1`) and `format=xlsx`.
pub fn link(page_link: &str, api_path: &str) -> String {
    let query = page_link.split_once('?').map_or("", |(_, q)| q);
    format!("{api_path}?format=xlsx&{query}")
}

/// Whether another site asked for this request, as the browser says (`Sec-Fetch-Site:
/// cross-site`). A request without the header (a script, an older browser) is not refused
/// for lack of it, as the CSRF check does not refuse a bodiless API call.
#[derive(Debug, Clone, Copy)]
pub struct FetchSite {
    cross_site: bool,
}

impl FetchSite {
    /// Reads the header.
    pub fn of(headers: &HeaderMap) -> FetchSite {
        FetchSite {
            cross_site: headers
                .get("sec-fetch-site")
                .is_some_and(|site| site.as_bytes().eq_ignore_ascii_case(b"cross-site")),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for FetchSite {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(FetchSite::of(&parts.headers))
    }
}

/// Whether a list request asks for a spreadsheet. A spreadsheet is an audited download: one
/// another site asked for (a link or an image on a page elsewhere, riding on the user's
/// session) is refused with 403 `cross_site_download`, before anything is read or audited.
pub fn wanted(format: Option<&str>, site: FetchSite) -> Result<bool, AppError> {
    match format.map(str::trim).filter(|f| !f.is_empty()) {
        None | Some("json") => Ok(false),
        Some("xlsx") if site.cross_site => Err(AppError::Forbidden("cross_site_download")),
        Some("xlsx") => Ok(true),
        Some(_) => Err(AppError::validation(FieldErrors::from([(
            "format".to_owned(),
            FieldError::new("error.format"),
        )]))),
    }
}

/// A sheet with a bold header row, frozen, and one row per record.
pub fn xlsx(sheet: &str, headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    fn build(sheet: &str, headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        ws.set_name(sheet)?;
        let bold = Format::new().set_bold();
        for (col, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, col as u16, *h, &bold)?;
            ws.set_column_width(col as u16, 16)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (col, value) in row.iter().enumerate() {
                ws.write_string((r + 1) as u32, col as u16, value)?;
            }
        }
        ws.set_freeze_panes(1, 0)?;
        book.save_to_buffer()
    }
    build(sheet, headers, rows)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing a spreadsheet: {e}")))
}

/// The download response for a spreadsheet named `name` (ASCII, no extension).
pub fn download(name: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{name}.xlsx\"");
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Whether an export asks for full ID and phone numbers: only admins may, and it is audited
/// as such.
pub fn full_values(full: Option<&str>, role: Role) -> Result<bool, AppError> {
    match full.map(str::trim) {
        None | Some("" | "false" | "0") => Ok(false),
        Some(_) if role == Role::Admin => Ok(true),
        Some(_) => Err(AppError::Forbidden("forbidden")),
    }
}

/// An export's filters as its audit event records them: the non-empty ones, as the user gave
/// them (a name search `q` is her own query: it is kept, and nothing is added to it).
pub fn filters(given: &[(&str, Option<&str>)]) -> serde_json::Value {
    let kept = given
        .iter()
        .filter_map(|(name, value)| {
            let value = value.map(str::trim).filter(|v| !v.is_empty())?;
            Some(((*name).to_owned(), serde_json::Value::from(value)))
        })
        .collect();
    serde_json::Value::Object(kept)
}

/// Writes the spreadsheet, audits the export (kind, row count, whether full values were
/// included, the filters asked for — never the rows' values) and answers the download.
pub async fn audited(
    db: &sqlx::PgPool,
    actor: impl Into<Actor>,
    ip: Option<std::net::IpAddr>,
    entity: &'static str,
    (sheet, headers, rows): (&str, &[&str], Vec<Vec<String>>),
    (full, filters): (bool, serde_json::Value),
) -> Result<Response, AppError> {
    let bytes = xlsx(sheet, headers, &rows)?;
    let entry = audit::Entry::by(actor, audit::Action::Export, entity, None, ip)
        .with_detail(serde_json::json!({ "rows": rows.len(), "full": full, "filters": filters }));
    audit::record(db, entry).await?;
    Ok(download(entity, bytes))
}
