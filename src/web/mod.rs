//! What every page shares: the reader's preferences (language, care mode), the page context
//! the layout needs, static assets, and the pages that belong to no area (home, errors).

pub mod assets;
pub mod error;
pub mod export;
pub mod input;
pub mod json;
pub mod pages;
pub mod paging;
pub mod refusal;
pub mod routes;
pub mod sheet;
mod state;

use std::sync::Arc;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::domain::Role;
use crate::i18n::Lang;
use error::AppError;
pub use input::Query;
pub use refusal::{Answer, Refusal};
pub use routes::{Access, Policy, Routes, Viewer, urlencode};
pub use state::AppState;

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
    /// Pages follow the language cookie (zh-CN unless switched). The API follows a `lang=`
    /// parameter first — the language of the page a link was on, which a page's spreadsheet
    /// links carry, so that a download is in the language its page was read in — then the
    /// cookie, then `Accept-Language`.
    pub fn of(headers: &HeaderMap, uri: &axum::http::Uri) -> Prefs {
        let is_api = uri.path().starts_with("/api/");
        let mut prefs = Prefs::from_headers(headers, is_api);
        let asked = uri
            .query()
            .unwrap_or("")
            .split('&')
            .find_map(|pair| pair.strip_prefix("lang="))
            .filter(|tag| !tag.is_empty());
        if let (true, Some(tag)) = (is_api, asked) {
            prefs.lang = Lang::from_tag(tag);
        }
        prefs
    }

    /// Pages follow the language cookie (zh-CN unless switched); the API follows
    /// `Accept-Language` unless the cookie says otherwise.
    fn from_headers(headers: &HeaderMap, is_api: bool) -> Prefs {
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

impl<S: Send + Sync> FromRequestParts<S> for Prefs {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Prefs::of(&parts.headers, &parts.uri))
    }
}

/// What the layout (`base.html`) needs on every page: language, care mode, the user and the
/// navigation their role allows, and a message left by the previous action.
#[derive(Debug, Clone)]
pub struct PageContext {
    /// Language of the page.
    pub lang: Lang,
    /// Care mode on or off.
    pub care: bool,
    /// The path (and query) of this page, for the switches to come back to.
    pub path: String,
    /// Version of the static files, to bust caches when they change.
    pub assets: &'static str,
    /// The logged-in reader, if any.
    pub user: Option<Viewer>,
    /// Menu entries the user's role may open: (path, message key).
    pub nav: Vec<(&'static str, &'static str)>,
    /// What the previous action did (a message key), shown once.
    pub flash: Option<String>,
    /// The routes and their rules, to show an action only to those its route lets in.
    pub policy: Option<Arc<Policy>>,
}

/// The menu, in order; each entry shows only when its route lets the reader's role open it,
/// and a volunteer's menu only what she works with (`VOLUNTEER_NAV`).
const NAV: &[(&str, &str)] = &[
    ("/dashboard", "nav.dashboard"),
    ("/stations", "nav.stations"),
    ("/volunteers", "nav.volunteers"),
    ("/children", "nav.children"),
    ("/roster", "nav.roster"),
    ("/pairings", "nav.pairings"),
    ("/concerns", "nav.concerns"),
    ("/check-ins/due", "nav.check_ins_due"),
    ("/follow-ups", "nav.follow_ups"),
    ("/contact-standard", "nav.standard"),
    ("/activities", "nav.activities"),
    ("/wishes", "nav.wishes"),
    ("/me", "nav.me"),
    ("/reports", "nav.reports"),
    ("/requests", "nav.requests"),
    ("/admin/users", "nav.users"),
    ("/admin/audit", "nav.audit"),
    ("/admin/retention", "nav.retention"),
];

/// A volunteer may open station pages and the activity list, but works with her children,
/// the wish wall and her own requests: her menu holds these alone.
const VOLUNTEER_NAV: &[&str] = &["/me", "/wishes", "/requests"];

const FLASH_KEY: &str = "flash";

impl PageContext {
    /// The context for a page at `path` with no user (error pages).
    pub fn new(prefs: &Prefs, path: &str) -> Self {
        PageContext {
            lang: prefs.lang,
            care: prefs.care,
            path: path.to_owned(),
            assets: assets::version(),
            user: None,
            nav: Vec::new(),
            flash: None,
            policy: None,
        }
    }

    /// Whether the reader's role may post to the route registered as `pattern`
    /// (`/children/{id}/transfer`): a page offers an action only to those its route lets in.
    pub fn may_post(&self, pattern: &str) -> bool {
        self.may(&axum::http::Method::POST, pattern)
    }

    /// Whether the reader's role may open (GET) the route registered as `pattern`.
    pub fn may_open(&self, pattern: &str) -> bool {
        self.may(&axum::http::Method::GET, pattern)
    }

    fn may(&self, method: &axum::http::Method, pattern: &str) -> bool {
        match (&self.user, &self.policy) {
            (Some(user), Some(policy)) => policy
                .access(method, pattern)
                .is_some_and(|a| a.allows(Some(user.role))),
            _ => false,
        }
    }

    /// A message in the page's language.
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// A message with placeholders filled.
    pub fn tf(&self, key: &str, name: &str, value: &str) -> String {
        self.lang.tf(key, &[(name, value)])
    }

    /// Names or words as a list in the page's language (`Lang::list`), each once.
    pub fn list<S: AsRef<str>>(&self, items: &[S]) -> String {
        self.lang.list(items)
    }

    /// The labels of needs, topics and the like as a list in the page's language, each once.
    pub fn labels<T: crate::domain::Labelled>(&self, items: &[T]) -> String {
        crate::domain::labels(self.lang, items)
    }

    /// A volunteer's skills in the page's language (known ones by their label), each once.
    pub fn skills(&self, skills: &[String]) -> String {
        crate::domain::skill::list(self.lang, skills)
    }

    /// The brackets of an aside (（…） in Chinese, " (…)" in English).
    pub fn open_paren(&self) -> &'static str {
        self.lang.open_paren()
    }

    /// The closing bracket of an aside.
    pub fn close_paren(&self) -> &'static str {
        self.lang.close_paren()
    }

    /// What stands between a label and what follows it (： in Chinese, ": " in English).
    pub fn colon(&self) -> &'static str {
        self.lang.colon()
    }

    /// A form field's name as the reader knows it, for the error summary.
    pub fn field_label(&self, field: &str) -> String {
        self.lang.field_label(field)
    }

    /// The id of the element a field's error links to: the field itself, or the group of
    /// ticks that stands for a list of ids.
    pub fn field_anchor(&self, field: &str) -> String {
        let last = field.rsplit('.').next().unwrap_or(field);
        match last {
            "child_ids" => "children".to_owned(),
            "volunteer_ids" => "volunteers".to_owned(),
            "pairing_ids" => "also".to_owned(),
            // The check-in form on a pairing's page names its fields apart.
            _ if field.starts_with("check_in.") => format!("check_in_{last}"),
            // `guardian.phone` is the form's `guardian_phone`.
            _ => field.replace('.', "_"),
        }
    }

    /// A length of time in hours and minutes.
    pub fn duration(&self, minutes: &i64) -> String {
        self.lang.duration(*minutes)
    }

    /// A number with thousands separators.
    pub fn num(&self, n: &i64) -> String {
        self.lang.number(*n)
    }

    /// A date as the reader writes it.
    pub fn date(&self, d: &time::Date) -> String {
        self.lang.date(*d)
    }

    /// A moment as the reader writes it (date and minutes, China time).
    pub fn datetime(&self, t: &time::OffsetDateTime) -> String {
        let local = t.to_offset(time::macros::offset!(+8));
        format!(
            "{} {:02}:{:02}",
            self.lang.date(local.date()),
            local.hour(),
            local.minute()
        )
    }

    /// The `lang` attribute of the page.
    pub fn lang_tag(&self) -> &'static str {
        self.lang.tag()
    }

    /// The tag of the language the switch offers.
    pub fn other_lang_tag(&self) -> &'static str {
        self.lang.other().tag()
    }

    /// Whether `href` is the current section (for `aria-current`).
    pub fn is_current(&self, href: &str) -> bool {
        self.path == href
            || self.path.starts_with(&format!("{href}/"))
            || self.path.starts_with(&format!("{href}?"))
    }
}

/// The menu entries the reader's role may open, in order (a volunteer's: her own).
fn menu(user: &Viewer, policy: &Policy) -> Vec<(&'static str, &'static str)> {
    let entries: Vec<(&str, &str)> = if user.role == Role::Volunteer {
        // Her own children first.
        VOLUNTEER_NAV
            .iter()
            .filter_map(|href| NAV.iter().find(|(h, _)| h == href))
            .copied()
            .collect()
    } else {
        NAV.to_vec()
    };
    entries
        .into_iter()
        .filter(|(href, _)| {
            policy
                .access(&axum::http::Method::GET, href)
                .is_some_and(|a| a.allows(Some(user.role)))
        })
        .collect()
}

/// Leaves a message for the next page the user sees.
pub async fn flash(session: &tower_sessions::Session, key: &'static str) {
    let _ = session.insert(FLASH_KEY, key).await;
}

impl<S: Send + Sync> FromRequestParts<S> for PageContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let prefs = Prefs::from_headers(&parts.headers, false);
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let mut ctx = PageContext::new(&prefs, path);
        ctx.user = parts.extensions.get::<Viewer>().cloned();
        if let (Some(user), Some(policy)) = (&ctx.user, parts.extensions.get::<Arc<Policy>>()) {
            ctx.nav = menu(user, policy);
            ctx.policy = Some(Arc::clone(policy));
        }
        if let Ok(session) = tower_sessions::Session::from_request_parts(parts, state).await
            && let Ok(Some(key)) = session.remove::<String>(FLASH_KEY).await
        {
            // A flash names a message key; the i18n test checks every key flashed exists.
            ctx.flash = Some(key);
        }
        Ok(ctx)
    }
}

/// Field name → message in the reader's language, as forms show them.
pub type Errors = std::collections::BTreeMap<String, String>;

/// Field errors in the page's language.
pub fn localise(ctx: &PageContext, fields: &crate::web::error::FieldErrors) -> Errors {
    fields
        .iter()
        .map(|(k, e)| (k.clone(), e.message(ctx.lang)))
        .collect()
}

/// The address people reach the service at, for what is printed (a poster's QR code, a
/// certificate's check): `AIXIN_PUBLIC_URL`, or the one this request came to (`false`: not
/// configured, and the page says so).
pub fn public_address(
    config: &crate::config::Config,
    headers: &axum::http::HeaderMap,
) -> (String, bool) {
    if let Some(url) = &config.public_url {
        return (url.clone(), true);
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
        .unwrap_or("localhost");
    let scheme = if config.secure_cookies {
        "https"
    } else {
        "http"
    };
    (format!("{scheme}://{host}"), false)
}

/// A rate per hundred as the page shows it (`85.3%`, or a dash).
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{r:.1}%"))
}

/// A record id from a path; a malformed one is a missing record.
pub fn parse_id(id: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(id).map_err(|_| AppError::NotFound)
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
    /// The fields a refused submit named, each with its message.
    fields: Vec<(String, String)>,
    /// The page the reader came from (a local path), to go back to.
    back: Option<String>,
}

impl ErrorPage {
    /// The error page for `status` with `message` in the reader's language; a logged-in
    /// reader keeps her menu.
    pub fn new(prefs: &Prefs, status: StatusCode, message: String, viewer: Option<Viewer>) -> Self {
        let mut ctx = PageContext::new(prefs, "/");
        if let (Some(user), Some(policy)) = (&viewer, routes::policy()) {
            ctx.nav = menu(user, &policy);
            ctx.policy = Some(policy);
        }
        ctx.user = viewer;
        ErrorPage {
            ctx,
            status: status.as_u16(),
            message,
            fields: Vec::new(),
            back: None,
        }
    }

    /// With the fields a refused submit named.
    pub fn with_fields(mut self, fields: Vec<(String, String)>) -> Self {
        self.fields = fields;
        self
    }

    /// With a way back to the page the reader came from.
    pub fn with_back(mut self, back: Option<String>) -> Self {
        self.back = back;
        self
    }

    /// The page's HTML; falls back to plain text if the template itself fails.
    pub fn render_html(&self) -> String {
        self.render()
            .unwrap_or_else(|_| format!("{} {}", self.status, self.message))
    }
}
