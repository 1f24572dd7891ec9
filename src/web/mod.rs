//! What every page shares: the reader's preferences (language, care mode), the page context
//! the layout needs, static assets, and the pages that belong to no area (home, errors).

pub mod assets;
pub mod pages;
pub mod paging;

use askama::Template;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::error::AppError;
use crate::i18n::Lang;

/// Cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "aixin_lang";
/// Cookie that keeps the larger-text care mode (关怀版).
pub const CARE_COOKIE: &str = "aixin_care";

/// How the reader wants pages shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prefs {
    /// Language of every message.
    pub lang: Lang,
    /// Care mode: doubled type size, wider targets.
    pub care: bool,
}

impl Prefs {
    /// Pages follow the language cookie (zh-CN unless switched); the API follows
    /// `Accept-Language` unless the cookie says otherwise.
    pub fn from_headers(headers: &HeaderMap, is_api: bool) -> Prefs {
        let mut prefs = Prefs::default();
        let mut lang_cookie = None;
        for value in headers.get_all(header::COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            for cookie in value.split(';') {
                let (name, val) = cookie.trim().split_once('=').unwrap_or((cookie.trim(), ""));
                match name {
                    LANG_COOKIE => lang_cookie = Some(Lang::from_tag(val)),
                    CARE_COOKIE => prefs.care = val == "1",
                    _ => {}
                }
            }
        }
        prefs.lang = match lang_cookie {
            Some(lang) => lang,
            None if is_api => headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(Lang::from_tag)
                .unwrap_or_default(),
            None => Lang::ZhCn,
        };
        prefs
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Prefs {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Prefs::from_headers(
            &parts.headers,
            parts.uri.path().starts_with("/api/"),
        ))
    }
}

/// What the layout (`base.html`) needs on every page.
#[derive(Debug, Clone)]
pub struct PageContext {
    /// Language of the page.
    pub lang: Lang,
    /// Care mode on or off.
    pub care: bool,
    /// The path of this page, for the language and care switches to come back to.
    pub path: String,
    /// Version of the static files, to bust caches when they change.
    pub assets: &'static str,
}

impl PageContext {
    /// The context for a page at `path`.
    pub fn new(prefs: &Prefs, path: &str) -> Self {
        PageContext {
            lang: prefs.lang,
            care: prefs.care,
            path: path.to_owned(),
            assets: assets::version(),
        }
    }

    /// A message in the page's language.
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// A number with thousands separators.
    pub fn num(&self, n: &i64) -> String {
        self.lang.number(*n)
    }

    /// The `lang` attribute of the page.
    pub fn lang_tag(&self) -> &'static str {
        self.lang.tag()
    }

    /// The tag of the language the switch offers.
    pub fn other_lang_tag(&self) -> &'static str {
        self.lang.other().tag()
    }
}

/// Renders a page template into a response (a template error is a 500, logged).
pub fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            AppError::Internal(anyhow::Error::new(e).context("rendering a page")).into_response()
        }
    }
}

/// The page shown for an error.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    ctx: PageContext,
    status: u16,
    message: String,
}

impl ErrorPage {
    /// The error page for `status` with `message` in the reader's language.
    pub fn new(prefs: &Prefs, status: StatusCode, message: String) -> Self {
        ErrorPage {
            ctx: PageContext::new(prefs, "/"),
            status: status.as_u16(),
            message,
        }
    }

    /// The page's HTML; falls back to plain text if the template itself fails.
    pub fn render_html(&self) -> String {
        self.render()
            .unwrap_or_else(|_| format!("{} {}", self.status, self.message))
    }
}
