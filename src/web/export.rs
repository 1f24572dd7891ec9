//! Lists as spreadsheets: `format=xlsx` on a list answers the same rows as an `.xlsx` file.
//!
//! An export is bounded: at most `AIXIN_EXPORT_MAX_ROWS` rows (a longer list is refused with
//! 422 `export_too_large`, naming the limit), and at most two running at once per user (a third
//! is refused with 429 and `Retry-After`). A spreadsheet is an audited download: one that
//! another site asked for is refused before anything is read or audited.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::error::{AppError, FieldError, FieldErrors};
use super::{AppState, Viewer};
use crate::audit::{self, Actor};
use crate::domain::Role;
use crate::i18n::Lang;

/// Exports one user may have running at once; a further one is refused (429) until one ends.
pub const AT_ONCE_PER_USER: usize = 2;

/// The exports running now, per user (by username), shared by every request of this instance.
#[derive(Debug, Clone, Default)]
pub struct Running(Arc<Mutex<HashMap<String, usize>>>);

/// What a list handler needs to export: whether another site asked for it, the most rows an
/// export writes (`AIXIN_EXPORT_MAX_ROWS`), and a place among its user's running exports.
#[derive(Debug, Clone)]
pub struct Export {
    cross_site: bool,
    max_rows: u32,
    running: Running,
    user: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Export
where
    AppState: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        Ok(Export {
            cross_site: cross_site(&parts.headers),
            max_rows: state.config.export_max_rows,
            running: state.exports.clone(),
            user: parts.extensions.get::<Viewer>().map(|v| v.username.clone()),
        })
    }
}

impl Export {
    /// Whether a list request asks for a spreadsheet. A spreadsheet is an audited download: one
    /// another site asked for (a link or an image on a page elsewhere, riding on the user's
    /// session) is refused with 403 `cross_site_download`, before anything is read or audited.
    pub fn wanted(&self, format: Option<&str>) -> Result<bool, AppError> {
        match format.map(str::trim).filter(|f| !f.is_empty()) {
            None | Some("json") => Ok(false),
            Some("xlsx") if self.cross_site => Err(AppError::Forbidden("cross_site_download")),
            Some("xlsx") => Ok(true),
            Some(_) => Err(AppError::validation(FieldErrors::from([(
                "format".to_owned(),
                FieldError::new("error.format"),
            )]))),
        }
    }

    /// Takes one of the user's export places for as long as the returned guard lives, or
    /// refuses (429) when she already has [`AT_ONCE_PER_USER`] exports running.
    pub fn start(&self) -> Result<Started, AppError> {
        let user = self.user.clone().unwrap_or_default();
        let mut running = self.running.0.lock().unwrap_or_else(|e| e.into_inner());
        let mine = running.entry(user.clone()).or_default();
        if *mine >= AT_ONCE_PER_USER {
            return Err(AppError::TooManyRequests { retry_after: 10 });
        }
        *mine += 1;
        Ok(Started {
            running: self.running.clone(),
            user,
        })
    }

    /// The `LIMIT` of an export's query: one row more than an export may write, so that a
    /// list too long to export is told apart.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.max_rows) + 1
    }

    /// Refuses (422 `export_too_large`, naming the limit) a list longer than an export may
    /// write: the caller narrows its filters.
    pub fn check<T>(&self, rows: &[T]) -> Result<(), AppError> {
        if rows.len() > self.max_rows as usize {
            return Err(AppError::Unprocessable {
                code: "export_too_large",
                fields: FieldErrors::from([(
                    "format".to_owned(),
                    FieldError::new("error.export_rows").with("max", self.max_rows),
                )]),
            });
        }
        Ok(())
    }
}

/// One running export; it ends when this is dropped.
#[derive(Debug)]
pub struct Started {
    running: Running,
    user: String,
}

impl Drop for Started {
    fn drop(&mut self) {
        let mut running = self.running.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mine) = running.get_mut(&self.user) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                running.remove(&self.user);
            }
        }
    }
}

/// The spreadsheet of a list page: its API list with the page's filters (from `page_link`,
/// e.g. `/children?q=…&page=1`), `format=xlsx` and the page's language (`lang=en`): the
/// sheet's headers and words are in the language the page was read in, whatever the
/// browser's `Accept-Language` or a language switched in another tab since.
pub fn link(page_link: &str, api_path: &str, lang: Lang) -> String {
    let query = page_link.split_once('?').map_or("", |(_, q)| q);
    format!("{api_path}?format=xlsx&lang={}&{query}", lang.tag())
}

/// Whether another site asked for this request, as the browser says (`Sec-Fetch-Site:
/// cross-site`). A request without the header (a script, an older browser) is not refused
/// for lack of it, as the CSRF check does not refuse a bodiless API call.
fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|site| site.as_bytes().eq_ignore_ascii_case(b"cross-site"))
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
/// them — except a name search `q`, recorded only as `true`: what was typed is a person's name,
/// and the trail, which keeps every event, must not keep it after her record is gone.
pub fn filters(given: &[(&str, Option<&str>)]) -> serde_json::Value {
    let kept = given
        .iter()
        .filter_map(|(name, value)| {
            let value = value.map(str::trim).filter(|v| !v.is_empty())?;
            let value = match *name {
                "q" => serde_json::Value::Bool(true),
                _ => serde_json::Value::from(value),
            };
            Some(((*name).to_owned(), value))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn export(user: &str, running: &Running) -> Export {
        Export {
            cross_site: false,
            max_rows: 3,
            running: running.clone(),
            user: Some(user.to_owned()),
        }
    }

    #[test]
    fn a_pages_spreadsheet_link_keeps_its_filters_and_language() {
        assert_eq!(
            link(
                "/children?q=%E7%8E%8B&status=&page=1",
                "/api/v1/children",
                Lang::En
            ),
            "/api/v1/children?format=xlsx&lang=en&q=%E7%8E%8B&status=&page=1"
        );
        assert_eq!(
            link("/stations?page=1", "/api/v1/stations", Lang::ZhCn),
            "/api/v1/stations?format=xlsx&lang=zh-CN&page=1"
        );
    }

    #[test]
    fn two_exports_at_once_per_user_and_rows_up_to_the_limit() {
        let running = Running::default();
        let first = export("wang", &running).start().unwrap();
        let _second = export("wang", &running).start().unwrap();
        let third = export("wang", &running).start().unwrap_err();
        assert_eq!(third.status(), axum::http::StatusCode::TOO_MANY_REQUESTS);
        let _other = export("li", &running).start().unwrap();
        drop(first);
        let _again = export("wang", &running).start().unwrap();

        let e = export("wang", &running);
        assert_eq!(e.fetch_limit(), 4);
        assert!(e.check(&[1, 2, 3]).is_ok());
        let refused = e.check(&[1, 2, 3, 4]).unwrap_err();
        assert_eq!(refused.code(), "export_too_large");
    }
}
