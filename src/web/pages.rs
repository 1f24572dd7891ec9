//! Pages that belong to no area: where each role lands, and the reader's preferences.

use axum::Form;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{CARE_COOKIE, LANG_COOKIE, PageContext};
use crate::i18n::Lang;

/// `GET /`: where each role works. Staff, admins and station managers land on the dashboard
/// (their region's or their stations' figures and alerts, from which every list is a click
/// away); a volunteer on her children; a visitor who is not logged in on the login page.
#[tracing::instrument(skip_all)]
pub async fn home(ctx: PageContext) -> Response {
    match ctx.user.as_ref().map(|u| u.role) {
        None => Redirect::to("/login").into_response(),
        Some(crate::domain::Role::Volunteer) => Redirect::to("/me").into_response(),
        Some(_) => Redirect::to("/dashboard").into_response(),
    }
}

/// The form of the language and care-mode switches.
#[derive(Debug, Deserialize)]
pub struct PreferencesForm {
    /// `zh-CN` or `en`; absent keeps the current language.
    lang: Option<String>,
    /// `1` turns care mode on, `0` off; absent keeps it.
    care: Option<String>,
    /// Where to go back to (a local path).
    back: Option<String>,
}

/// `POST /preferences`: remembers the language or care mode in a cookie and goes back.
pub async fn set_preferences(Form(form): Form<PreferencesForm>) -> Response {
    const YEAR: u32 = 365 * 24 * 3600;
    let mut cookies = Vec::new();
    if let Some(lang) = form.lang {
        let lang = Lang::from_tag(&lang);
        cookies.push(format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age={YEAR}; SameSite=Lax; HttpOnly",
            lang.tag()
        ));
    }
    if let Some(care) = form.care {
        let on = if care == "1" { "1" } else { "0" };
        cookies.push(format!(
            "{CARE_COOKIE}={on}; Path=/; Max-Age={YEAR}; SameSite=Lax; HttpOnly"
        ));
    }
    let back = form
        .back
        .filter(|b| is_local_path(b))
        .unwrap_or_else(|| "/".into());
    let mut response = Redirect::to(&back).into_response();
    for cookie in cookies {
        if let Ok(value) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// A path on this site: it starts with `/`, the character after it is neither `/` nor `\\`,
/// and no `\\`, control character or whitespace stands anywhere — browsers drop tabs and line
/// breaks and read `\\` as `/`, so `/\t/host` or `/\\host` would lead to another site, and a
/// line break cannot stand in a header. Where a redirect's target is not one, it goes to `/`.
pub fn is_local_path(path: &str) -> bool {
    let mut chars = path.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !path
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn only_local_paths_are_followed() {
        assert!(is_local_path("/children?page=2"));
        assert!(!is_local_path("//evil.example/"));
        assert!(!is_local_path("https://evil.example/"));
        assert!(!is_local_path("/\\evil.example"));
        assert!(!is_local_path("children"));
        assert!(is_local_path("/"));
        assert!(!is_local_path("/\t/evil.example/"));
        assert!(!is_local_path("/ /evil.example/"));
        assert!(!is_local_path("/x\r\nSet-Cookie: a=b"));
        assert!(!is_local_path("/\u{3000}/evil.example/"));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::is_local_path;

    /// Where a browser goes when sent to `path` from a page of this service.
    fn host_after_redirect(path: &str) -> Option<String> {
        let here = reqwest::Url::parse("https://aixin.example/children/1").unwrap();
        here.join(path).ok()?.host_str().map(str::to_owned)
    }

    proptest! {
        /// No text panics; a path that passes starts with one slash, holds no backslash,
        /// whitespace or control character, and stays on this host.
        #[test]
        fn a_path_that_passes_stays_on_this_site(
            path in prop_oneof![any::<String>(), "[/\\\\a-z.:@%?# \t\r\n\u{3000}]{0,12}"]
        ) {
            if is_local_path(&path) {
                prop_assert!(path.starts_with('/') && !path.starts_with("//"));
                prop_assert!(!path.starts_with("/\\"));
                prop_assert!(!path.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace()));
                prop_assert_eq!(host_after_redirect(&path), Some("aixin.example".to_owned()));
            }
        }
    }
}
