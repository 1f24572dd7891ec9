//! Cross-site request forgery protection for every state-changing request.
//!
//! Browsers say where a request comes from (`Sec-Fetch-Site`, `Origin`); a request from another
//! site is refused. A form post must carry an `Origin` (every current browser sends one), so a
//! post whose origin cannot be checked is refused too. API writes must be JSON (or bodiless):
//! a cross-site HTML form cannot send `application/json` without the browser asking first.
//! The session cookie is also `SameSite=Lax`, so a cross-site post does not carry it.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::web::error::AppError;

/// Middleware: refuses cross-site and non-JSON API writes before they reach a handler.
pub async fn protect(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let is_api = request.uri().path().starts_with("/api/");
    if let Err(e) = check(request.headers(), is_api) {
        return e.into_response();
    }
    next.run(request).await
}

fn check(headers: &HeaderMap, is_api: bool) -> Result<(), AppError> {
    let refused = AppError::Forbidden("csrf_failed");
    if let Some(site) = headers.get("sec-fetch-site")
        && !matches!(site.as_bytes(), b"same-origin" | b"none")
    {
        return Err(refused);
    }
    match headers.get(header::ORIGIN) {
        Some(origin) => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            let origin_host = origin
                .to_str()
                .ok()
                .and_then(|o| o.split_once("://"))
                .map(|(_, rest)| rest.trim_end_matches('/'))
                .unwrap_or("");
            if host.is_empty() || !origin_host.eq_ignore_ascii_case(host) {
                return Err(refused);
            }
        }
        // Scripts and apps calling the API send no Origin; browsers posting forms always do.
        // An upload to the API is a form post too (a cross-site page can send one without the
        // browser asking first), so it needs its Origin like a form.
        None if !is_api || is_multipart(headers) => return Err(refused),
        None => {}
    }
    if is_api {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let json = content_type.is_some_and(|ct| {
            let ct = ct.split(';').next().unwrap_or("").trim();
            ct.eq_ignore_ascii_case("application/json")
        });
        if content_type.is_some() && !json && !is_multipart(headers) {
            return Err(AppError::UnsupportedMediaType);
        }
    }
    Ok(())
}

/// Whether the body is `multipart/form-data` (an upload). The API's one upload route reads
/// it; every other API route takes JSON and answers such a body 415.
fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("multipart/form-data"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "aixin.example".parse().unwrap());
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn same_origin_forms_pass_and_others_do_not() {
        assert!(check(&headers(&[("origin", "https://aixin.example")]), false).is_ok());
        assert!(check(&headers(&[("origin", "https://evil.example")]), false).is_err());
        assert!(
            check(&headers(&[]), false).is_err(),
            "a form post without Origin"
        );
        assert!(
            check(
                &headers(&[
                    ("origin", "https://aixin.example"),
                    ("sec-fetch-site", "cross-site")
                ]),
                false
            )
            .is_err()
        );
        assert!(
            check(
                &headers(&[("origin", "https://aixin.example.evil.example")]),
                false
            )
            .is_err()
        );
    }

    #[test]
    fn an_api_upload_is_checked_as_a_form() {
        let multipart = ("content-type", "multipart/form-data; boundary=x");
        assert!(
            check(
                &headers(&[multipart, ("origin", "https://aixin.example")]),
                true
            )
            .is_ok()
        );
        assert!(
            check(&headers(&[multipart]), true).is_err(),
            "an upload without Origin"
        );
        assert!(
            check(
                &headers(&[multipart, ("origin", "https://evil.example")]),
                true
            )
            .is_err()
        );
        assert!(
            check(
                &headers(&[
                    multipart,
                    ("origin", "https://aixin.example"),
                    ("sec-fetch-site", "cross-site")
                ]),
                true
            )
            .is_err()
        );
    }

    #[test]
    fn api_writes_are_json() {
        assert!(check(&headers(&[("content-type", "application/json")]), true).is_ok());
        assert!(
            check(&headers(&[]), true).is_ok(),
            "a bodiless call from a script"
        );
        assert!(check(&headers(&[("content-type", "text/plain")]), true).is_err());
        assert!(
            check(
                &headers(&[("content-type", "application/x-www-form-urlencoded")]),
                true
            )
            .is_err()
        );
        assert!(
            check(
                &headers(&[
                    ("content-type", "application/json"),
                    ("origin", "https://evil.example")
                ]),
                true
            )
            .is_err()
        );
    }
}
