//! One error type for every handler, rendered as the §5 JSON shape for the API and as a page
//! in the user's language for the browser.
//!
//! A handler returns `AppError`; its `IntoResponse` only records what went wrong (status, code,
//! message key, field errors) in the response's extensions. The `render_errors` middleware,
//! which sees the request, turns that into JSON or HTML and logs server errors once, with the
//! request id. Internals (SQL, stack traces) never reach the client.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

pub use crate::domain::{FieldError, FieldErrors};

use super::{ErrorPage, Prefs};

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request could not be read (bad JSON, wrong content type).
    #[error("malformed request: {0}")]
    BadRequest(String),
    /// 401: not logged in.
    #[error("not logged in")]
    Unauthorized,
    /// 401: a login with a wrong username or password (never says which).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// 403: a CSRF failure or an action the caller's role may not take.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// 413: a body larger than the request may carry.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 415: an API write that is not JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 404: missing, or outside the caller's scope (never told apart).
    #[error("not found")]
    NotFound,
    /// 409: the request conflicts with the current state (`stale_version`, …).
    #[error("conflict: {code}")]
    Conflict {
        /// Machine-readable code, e.g. `child_already_paired`.
        code: &'static str,
        /// Fields involved, if any.
        fields: FieldErrors,
    },
    /// 409 `stale_version`: someone saved the record since the caller loaded it. Carries the
    /// record as it is now, so the caller can see what changed.
    #[error("stale version")]
    Stale {
        /// The current record, as a GET returns it.
        current: serde_json::Value,
    },
    /// 422: input that breaks a rule; `validation_failed` carries field errors.
    #[error("unprocessable: {code}")]
    Unprocessable {
        /// Machine-readable code, e.g. `validation_failed`, `consent_missing`.
        code: &'static str,
        /// Field name → error.
        fields: FieldErrors,
    },
    /// 429: throttled.
    #[error("too many requests")]
    TooManyRequests {
        /// Seconds until the caller may try again.
        retry_after: u64,
    },
    /// 503: the database does not answer.
    #[error("database unavailable")]
    Unavailable,
    /// 500: a bug or an unexpected failure; details go to the log only.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A 422 `validation_failed` with these field errors.
    pub fn validation(fields: FieldErrors) -> Self {
        AppError::Unprocessable {
            code: "validation_failed",
            fields,
        }
    }

    /// A 409 without fields.
    pub fn conflict(code: &'static str) -> Self {
        AppError::Conflict {
            code,
            fields: FieldErrors::new(),
        }
    }

    /// A 422 rule violation without fields.
    pub fn rule(code: &'static str) -> Self {
        AppError::Unprocessable {
            code,
            fields: FieldErrors::new(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } | AppError::Stale { .. } => StatusCode::CONFLICT,
            AppError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code of the §5 error shape.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized => "unauthorized",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::Forbidden(code) => code,
            AppError::NotFound => "not_found",
            AppError::Conflict { code, .. } | AppError::Unprocessable { code, .. } => code,
            AppError::Stale { .. } => "stale_version",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Unavailable => "database_unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }
}

/// What the render middleware needs to write the error body.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    /// §5 code.
    pub code: &'static str,
    /// Field errors.
    pub fields: FieldErrors,
    /// Detail for the log (never sent to the client), for 5xx.
    pub log_detail: Option<String>,
    /// A 400's explanation (what could not be read), safe to show.
    pub bad_request: Option<String>,
    /// The current record of a 409 `stale_version`.
    pub current: Option<serde_json::Value>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = status.into_response();
        match &self {
            AppError::TooManyRequests { retry_after } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            AppError::Unavailable => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        let report = ErrorReport {
            code: self.code(),
            fields: match &self {
                AppError::Conflict { fields, .. } | AppError::Unprocessable { fields, .. } => {
                    fields.clone()
                }
                _ => FieldErrors::new(),
            },
            log_detail: match &self {
                AppError::Internal(e) => Some(format!("{e:#}")),
                AppError::Unavailable => Some("database unavailable".into()),
                _ => None,
            },
            bad_request: match &self {
                AppError::BadRequest(why) => Some(why.clone()),
                _ => None,
            },
            current: match self {
                AppError::Stale { current } => Some(current),
                _ => None,
            },
        };
        response.extensions_mut().insert(report);
        response
    }
}

/// Middleware: writes the body of every error response (JSON under `/api/`, a page elsewhere)
/// and logs server errors once.
pub async fn render_errors(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let prefs = Prefs::of(request.headers(), request.uri());
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    // A refused submit offers the way back to the page its form was on.
    let back = request
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| axum::http::Uri::try_from(r).ok())
        .and_then(|u| u.path_and_query().map(|p| p.as_str().to_owned()))
        .filter(|p| super::pages::is_local_path(p) && *p != path);

    let mut response = next.run(request).await;
    let status = response.status();
    let report = match response.extensions_mut().remove::<ErrorReport>() {
        Some(report) => report,
        // Errors produced outside our handlers (unknown method, a panic caught by a layer):
        // give them the same shape.
        None if (status.is_client_error() || status.is_server_error())
            && response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_none_or(|ct| {
                    !ct.to_str().unwrap_or("").starts_with("application/json")
                        && !ct.to_str().unwrap_or("").starts_with("text/html")
                }) =>
        {
            ErrorReport {
                code: generic_code(status),
                fields: FieldErrors::new(),
                log_detail: status
                    .is_server_error()
                    .then(|| "error outside a handler".into()),
                bad_request: None,
                current: None,
            }
        }
        None => return response,
    };

    if status.is_server_error() {
        tracing::error!(
            request_id,
            %method,
            path,
            status = status.as_u16(),
            detail = report.log_detail.as_deref().unwrap_or(""),
            "request failed"
        );
    }

    let lang = prefs.lang;
    let message = match &report.bad_request {
        Some(why) => format!("{}: {why}", lang.t("error.bad_request")),
        None => lang.t(&format!("error.{}", report.code)).to_owned(),
    };
    let headers = std::mem::take(response.headers_mut());
    let mut rendered = if is_api {
        let fields: serde_json::Map<String, serde_json::Value> = report
            .fields
            .iter()
            .map(|(name, e)| (name.clone(), json!(e.message(lang))))
            .collect();
        let mut error = json!({ "code": report.code, "message": message });
        if !fields.is_empty() {
            error["fields"] = serde_json::Value::Object(fields);
        }
        if let Some(current) = report.current {
            error["current"] = current;
        }
        (status, axum::Json(json!({ "error": error }))).into_response()
    } else {
        // A page that had no form to show a field's error beside (a query parameter) lists
        // each field by its name in the reader's language, with its message.
        let fields = report
            .fields
            .iter()
            .map(|(name, e)| (lang.field_label(name).to_owned(), e.message(lang)))
            .collect();
        let viewer = response.extensions_mut().remove::<super::Viewer>();
        let page = ErrorPage::new(&prefs, status, message, viewer)
            .with_fields(fields)
            .with_back(
                (method != axum::http::Method::GET)
                    .then_some(back)
                    .flatten(),
            );
        (status, Html(page.render_html())).into_response()
    };
    for (name, value) in headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    // Every 503 (the request timeout's too) says when to come back.
    if status == StatusCode::SERVICE_UNAVAILABLE {
        rendered
            .headers_mut()
            .entry(header::RETRY_AFTER)
            .or_insert(HeaderValue::from_static("5"));
    }
    rendered
}

/// The code of an error response that did not come from `AppError`.
fn generic_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        StatusCode::SERVICE_UNAVAILABLE => "database_unavailable",
        s if s.is_server_error() => "internal_error",
        _ => "bad_request",
    }
}
