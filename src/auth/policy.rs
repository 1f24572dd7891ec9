//! The policy table: for every route, who may call it (DESIGN §4). Deny by default — a route
//! missing from this table is refused for everyone, and the authorization-matrix test fails
//! until it is added.

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::{CurrentUser, Role};
use crate::error::AppError;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not.
    Public,
    /// Any logged-in user, whatever the role.
    LoggedIn,
    /// Logged-in users with one of these roles.
    Roles(&'static [Role]),
}

const ADMIN: &[Role] = &[Role::Admin];
/// Federation staff and the admins above them.
const FEDERATION: &[Role] = &[Role::Admin, Role::Staff];
/// Federation staff, admins and station managers (at their own stations).
const REGISTRARS: &[Role] = &[Role::Admin, Role::Staff, Role::StationManager];
/// Volunteer mothers, in their own portal.
const VOLUNTEER: &[Role] = &[Role::Volunteer];
/// Everyone who works for or at a station.
const ANY_ROLE: &[Role] = &[
    Role::Admin,
    Role::Staff,
    Role::StationManager,
    Role::Volunteer,
];

/// Every route of the service: method, path pattern (as registered), access.
pub const POLICY: &[(&str, &str, Access)] = &[
    // Pages for everyone
    ("GET", "/", Access::Public),
    ("POST", "/preferences", Access::Public),
    ("GET", "/static/{*path}", Access::Public),
    ("GET", "/healthz", Access::Public),
    ("GET", "/readyz", Access::Public),
    ("GET", "/login", Access::Public),
    ("POST", "/login", Access::Public),
    ("POST", "/logout", Access::LoggedIn),
    // One's own account
    ("GET", "/account/password", Access::LoggedIn),
    ("POST", "/account/password", Access::LoggedIn),
    // Accounts (admins, within their subtree)
    ("GET", "/admin/users", Access::Roles(ADMIN)),
    ("GET", "/admin/users/new", Access::Roles(ADMIN)),
    ("POST", "/admin/users", Access::Roles(ADMIN)),
    ("GET", "/admin/users/{id}", Access::Roles(ADMIN)),
    ("POST", "/admin/users/{id}", Access::Roles(ADMIN)),
    ("POST", "/admin/users/{id}/disable", Access::Roles(ADMIN)),
    ("POST", "/admin/users/{id}/enable", Access::Roles(ADMIN)),
    (
        "POST",
        "/admin/users/{id}/reset-password",
        Access::Roles(ADMIN),
    ),
    ("GET", "/admin/audit", Access::Roles(ADMIN)),
    // Stations: federation staff register and edit; managers and volunteers read their own
    ("GET", "/stations", Access::Roles(ANY_ROLE)),
    ("GET", "/stations/new", Access::Roles(FEDERATION)),
    ("POST", "/stations", Access::Roles(FEDERATION)),
    ("GET", "/stations/{id}", Access::Roles(ANY_ROLE)),
    ("GET", "/stations/{id}/edit", Access::Roles(FEDERATION)),
    ("POST", "/stations/{id}/edit", Access::Roles(FEDERATION)),
    // Volunteers: federation staff, and managers at their own stations
    ("GET", "/volunteers", Access::Roles(REGISTRARS)),
    ("GET", "/volunteers/new", Access::Roles(REGISTRARS)),
    ("GET", "/volunteers/import", Access::Roles(REGISTRARS)),
    (
        "GET",
        "/volunteers/import/template",
        Access::Roles(REGISTRARS),
    ),
    ("POST", "/volunteers/import", Access::Roles(REGISTRARS)),
    ("GET", "/imports/{id}/report", Access::Roles(REGISTRARS)),
    ("POST", "/volunteers", Access::Roles(REGISTRARS)),
    ("GET", "/volunteers/{id}", Access::Roles(REGISTRARS)),
    ("GET", "/volunteers/{id}/edit", Access::Roles(REGISTRARS)),
    ("POST", "/volunteers/{id}/edit", Access::Roles(REGISTRARS)),
    ("POST", "/volunteers/{id}/reveal", Access::Roles(REGISTRARS)),
    (
        "POST",
        "/volunteers/{id}/account",
        Access::Roles(FEDERATION),
    ),
    // Children, guardians and consent: federation staff, and managers at their own stations
    ("GET", "/children", Access::Roles(REGISTRARS)),
    ("GET", "/children/new", Access::Roles(REGISTRARS)),
    ("GET", "/children/import", Access::Roles(REGISTRARS)),
    (
        "GET",
        "/children/import/template",
        Access::Roles(REGISTRARS),
    ),
    ("POST", "/children/import", Access::Roles(REGISTRARS)),
    ("POST", "/children", Access::Roles(REGISTRARS)),
    ("GET", "/children/{id}", Access::Roles(REGISTRARS)),
    ("GET", "/children/{id}/edit", Access::Roles(REGISTRARS)),
    ("POST", "/children/{id}/edit", Access::Roles(REGISTRARS)),
    (
        "POST",
        "/children/{id}/guardians",
        Access::Roles(REGISTRARS),
    ),
    ("POST", "/children/{id}/consents", Access::Roles(REGISTRARS)),
    ("POST", "/children/{id}/reveal", Access::Roles(REGISTRARS)),
    ("POST", "/consents/{id}/withdraw", Access::Roles(REGISTRARS)),
    // Pairings: federation staff, and managers at their own stations
    ("GET", "/pairings", Access::Roles(REGISTRARS)),
    ("GET", "/pairings/waiting", Access::Roles(REGISTRARS)),
    ("GET", "/pairings/new", Access::Roles(REGISTRARS)),
    ("POST", "/pairings", Access::Roles(REGISTRARS)),
    ("GET", "/pairings/batch", Access::Roles(REGISTRARS)),
    ("POST", "/pairings/batch", Access::Roles(REGISTRARS)),
    ("GET", "/pairings/{id}", Access::Roles(REGISTRARS)),
    ("POST", "/pairings/{id}/close", Access::Roles(REGISTRARS)),
    // Concerns and contacts: read by staff and the station's manager, resolved by staff
    ("GET", "/concerns", Access::Roles(REGISTRARS)),
    ("POST", "/concerns/{id}/resolve", Access::Roles(FEDERATION)),
    ("POST", "/contacts/{id}/seen", Access::Roles(REGISTRARS)),
    // The volunteer's portal
    ("GET", "/me", Access::Roles(VOLUNTEER)),
    ("GET", "/me/pairings/{id}", Access::Roles(VOLUNTEER)),
    (
        "POST",
        "/me/pairings/{id}/contacts",
        Access::Roles(VOLUNTEER),
    ),
    ("GET", "/me/contacts/{id}/edit", Access::Roles(VOLUNTEER)),
    ("POST", "/me/contacts/{id}/edit", Access::Roles(VOLUNTEER)),
    // JSON API
    ("POST", "/api/v1/session", Access::Public),
    ("DELETE", "/api/v1/session", Access::LoggedIn),
    ("GET", "/api/v1/me", Access::LoggedIn),
    ("POST", "/api/v1/me/password", Access::LoggedIn),
    ("GET", "/api/v1/regions", Access::LoggedIn),
    ("GET", "/api/v1/regions/{code}", Access::LoggedIn),
    ("GET", "/api/v1/stations", Access::Roles(ANY_ROLE)),
    ("POST", "/api/v1/stations", Access::Roles(FEDERATION)),
    ("GET", "/api/v1/stations/{id}", Access::Roles(ANY_ROLE)),
    ("PATCH", "/api/v1/stations/{id}", Access::Roles(FEDERATION)),
    ("GET", "/api/v1/volunteers", Access::Roles(REGISTRARS)),
    ("POST", "/api/v1/volunteers", Access::Roles(REGISTRARS)),
    ("GET", "/api/v1/volunteers/{id}", Access::Roles(REGISTRARS)),
    (
        "PATCH",
        "/api/v1/volunteers/{id}",
        Access::Roles(REGISTRARS),
    ),
    (
        "POST",
        "/api/v1/volunteers/{id}/reveal",
        Access::Roles(REGISTRARS),
    ),
    (
        "POST",
        "/api/v1/volunteers/{id}/account",
        Access::Roles(FEDERATION),
    ),
    ("GET", "/api/v1/children", Access::Roles(REGISTRARS)),
    ("POST", "/api/v1/children", Access::Roles(REGISTRARS)),
    ("GET", "/api/v1/children/{id}", Access::Roles(REGISTRARS)),
    ("PATCH", "/api/v1/children/{id}", Access::Roles(REGISTRARS)),
    (
        "POST",
        "/api/v1/children/{id}/guardians",
        Access::Roles(REGISTRARS),
    ),
    (
        "POST",
        "/api/v1/children/{id}/consents",
        Access::Roles(REGISTRARS),
    ),
    (
        "POST",
        "/api/v1/children/{id}/reveal",
        Access::Roles(REGISTRARS),
    ),
    (
        "POST",
        "/api/v1/consents/{id}/withdraw",
        Access::Roles(REGISTRARS),
    ),
    // A volunteer reads her own pairings; staff and managers pair and close
    ("GET", "/api/v1/pairings", Access::Roles(ANY_ROLE)),
    ("POST", "/api/v1/pairings", Access::Roles(REGISTRARS)),
    ("POST", "/api/v1/pairings/batch", Access::Roles(REGISTRARS)),
    ("GET", "/api/v1/pairings/{id}", Access::Roles(ANY_ROLE)),
    (
        "POST",
        "/api/v1/pairings/{id}/close",
        Access::Roles(REGISTRARS),
    ),
    (
        "GET",
        "/api/v1/children/{id}/match-suggestions",
        Access::Roles(REGISTRARS),
    ),
    // Contacts: a volunteer logs and corrects her own; staff and managers read them
    (
        "GET",
        "/api/v1/pairings/{id}/contacts",
        Access::Roles(ANY_ROLE),
    ),
    (
        "POST",
        "/api/v1/pairings/{id}/contacts",
        Access::Roles(VOLUNTEER),
    ),
    ("PATCH", "/api/v1/contacts/{id}", Access::Roles(VOLUNTEER)),
    (
        "POST",
        "/api/v1/contacts/{id}/seen",
        Access::Roles(REGISTRARS),
    ),
    (
        "POST",
        "/api/v1/contacts/{id}/resolve",
        Access::Roles(FEDERATION),
    ),
    ("GET", "/api/v1/concerns", Access::Roles(REGISTRARS)),
    ("GET", "/api/v1/me/children", Access::Roles(VOLUNTEER)),
    ("GET", "/api/v1/users", Access::Roles(ADMIN)),
    ("POST", "/api/v1/users", Access::Roles(ADMIN)),
    ("GET", "/api/v1/users/{id}", Access::Roles(ADMIN)),
    ("PATCH", "/api/v1/users/{id}", Access::Roles(ADMIN)),
    (
        "POST",
        "/api/v1/users/{id}/reset-password",
        Access::Roles(ADMIN),
    ),
    // Station life: managers log and correct sessions at their own stations (the correction
    // window is the service's to check); volunteers read their station's schedule
    ("GET", "/activities", Access::Roles(ANY_ROLE)),
    ("GET", "/activities/new", Access::Roles(REGISTRARS)),
    ("POST", "/activities", Access::Roles(REGISTRARS)),
    ("GET", "/activities/{id}", Access::Roles(REGISTRARS)),
    ("GET", "/activities/{id}/edit", Access::Roles(REGISTRARS)),
    ("POST", "/activities/{id}/edit", Access::Roles(REGISTRARS)),
    (
        "GET",
        "/api/v1/stations/{id}/activities",
        Access::Roles(ANY_ROLE),
    ),
    (
        "POST",
        "/api/v1/stations/{id}/activities",
        Access::Roles(REGISTRARS),
    ),
    ("GET", "/api/v1/activities/{id}", Access::Roles(REGISTRARS)),
    (
        "PATCH",
        "/api/v1/activities/{id}",
        Access::Roles(REGISTRARS),
    ),
    // Micro-wishes: posted, fulfilled and cancelled by those who register children; a
    // volunteer reads and claims her own paired children's; the wall is for printing
    ("GET", "/wishes", Access::Roles(ANY_ROLE)),
    ("GET", "/children/{id}/wishes", Access::Roles(ANY_ROLE)),
    ("POST", "/children/{id}/wishes", Access::Roles(REGISTRARS)),
    ("POST", "/wishes/{id}/claim", Access::Roles(ANY_ROLE)),
    ("POST", "/wishes/{id}/fulfil", Access::Roles(REGISTRARS)),
    ("POST", "/wishes/{id}/cancel", Access::Roles(REGISTRARS)),
    ("GET", "/stations/{id}/wishes", Access::Roles(REGISTRARS)),
    (
        "GET",
        "/api/v1/children/{id}/wishes",
        Access::Roles(ANY_ROLE),
    ),
    (
        "POST",
        "/api/v1/children/{id}/wishes",
        Access::Roles(REGISTRARS),
    ),
    ("POST", "/api/v1/wishes/{id}/claim", Access::Roles(ANY_ROLE)),
    (
        "POST",
        "/api/v1/wishes/{id}/fulfil",
        Access::Roles(REGISTRARS),
    ),
    (
        "POST",
        "/api/v1/wishes/{id}/cancel",
        Access::Roles(REGISTRARS),
    ),
    // Dashboard, reports and their downloads: federation staff for their region, station
    // managers for their own stations
    ("GET", "/dashboard", Access::Roles(REGISTRARS)),
    ("GET", "/api/v1/stats", Access::Roles(REGISTRARS)),
    ("GET", "/reports", Access::Roles(REGISTRARS)),
    ("GET", "/reports/monthly", Access::Roles(REGISTRARS)),
];

/// Routes a user who must change their password may still use.
const BEFORE_PASSWORD_CHANGE: &[(&str, &str)] = &[
    ("GET", "/account/password"),
    ("POST", "/account/password"),
    ("POST", "/logout"),
    ("DELETE", "/api/v1/session"),
    ("GET", "/api/v1/me"),
    ("POST", "/api/v1/me/password"),
];

/// The access rule of a route, if it has one.
pub fn access(method: &Method, path: &str) -> Option<Access> {
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    POLICY
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, access)| *access)
}

/// Whether the router has this method on this path.
fn registered(method: &Method, path: &str) -> bool {
    static TABLE: std::sync::LazyLock<Vec<(Method, &'static str)>> =
        std::sync::LazyLock::new(crate::app::route_table);
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    TABLE.iter().any(|(m, p)| m == method && *p == path)
}

/// Whether `role` may call a route with this rule.
pub fn allows(access: Access, role: Option<Role>) -> bool {
    match (access, role) {
        (Access::Public, _) => true,
        (Access::LoggedIn, Some(_)) => true,
        (Access::Roles(roles), Some(role)) => roles.contains(&role),
        (_, None) => false,
    }
}

/// Middleware (on matched routes): applies the table. Pages send a visitor who is not logged
/// in to the login page; the API answers 401. A role the rule does not name gets 403.
pub async fn enforce(matched: Option<MatchedPath>, request: Request, next: Next) -> Response {
    let path = matched.as_ref().map(MatchedPath::as_str).unwrap_or("");
    let method = request.method().clone();
    let is_api = request.uri().path().starts_with("/api/");
    let Some(rule) = access(&method, path) else {
        if !registered(&method, path) {
            // Not a route at all (a method the path does not serve): the router answers 405.
            return next.run(request).await;
        }
        tracing::error!(%method, path, "refused: the route has no entry in the policy table");
        return AppError::Forbidden("forbidden").into_response();
    };
    let user = request.extensions().get::<CurrentUser>();
    if !allows(rule, user.map(|u| u.role)) {
        return match user {
            None if is_api => AppError::Unauthorized.into_response(),
            None => {
                let uri = request.uri();
                let next_path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let target = format!("/login?next={}", urlencode(next_path));
                Redirect::to(&target).into_response()
            }
            Some(_) => AppError::Forbidden("forbidden").into_response(),
        };
    }
    if let Some(user) = user
        && user.must_change_password
        && rule != Access::Public
    {
        let m = if method == Method::HEAD {
            "GET"
        } else {
            method.as_str()
        };
        if !BEFORE_PASSWORD_CHANGE.contains(&(m, path)) {
            return if is_api {
                AppError::Forbidden("password_change_required").into_response()
            } else {
                Redirect::to("/account/password").into_response()
            };
        }
    }
    next.run(request).await
}

/// Percent-encodes a path for a query parameter.
pub fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
