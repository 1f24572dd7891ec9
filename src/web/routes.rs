//! Routes and who may call them. An area registers each route with its access rule
//! (`.post("/api/v1/pairings", Access::REGISTRARS, api::create)`); the policy the service
//! enforces is built from those registrations, so a route cannot exist without a rule. Access
//! is decided by role here; which records a role then reaches is the scope auth gives a user.

use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};

use super::AppState;
use super::error::AppError;
use crate::domain::Role;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not.
    Public,
    /// Any logged-in user, even one who must first choose a new password: the routes that
    /// manage one's own session and password.
    Account,
    /// Any logged-in user, whatever the role.
    LoggedIn,
    /// Logged-in users with one of these roles.
    Roles(&'static [Role]),
}

impl Access {
    /// Anyone.
    pub const PUBLIC: Access = Access::Public;
    /// One's own session and password.
    pub const ACCOUNT: Access = Access::Account;
    /// Anyone logged in.
    pub const LOGGED_IN: Access = Access::LoggedIn;
    /// Admins, within their region.
    pub const ADMIN: Access = Access::Roles(&[Role::Admin]);
    /// Federation staff and the admins above them.
    pub const FEDERATION: Access = Access::Roles(&[Role::Admin, Role::Staff]);
    /// Federation staff, admins and station managers (at their own stations).
    pub const REGISTRARS: Access = Access::Roles(&[Role::Admin, Role::Staff, Role::StationManager]);
    /// Volunteer mothers, in their own portal.
    pub const VOLUNTEER: Access = Access::Roles(&[Role::Volunteer]);
    /// Federation staff and admins, who handle requests about people's data, and a volunteer,
    /// who files and follows her own.
    pub const DATA_SUBJECT_REQUESTS: Access =
        Access::Roles(&[Role::Admin, Role::Staff, Role::Volunteer]);
    /// Everyone who works for or at a station.
    pub const ANY_ROLE: Access = Access::Roles(Role::ALL);

    /// Whether someone with `role` (none: not logged in) may call a route with this rule.
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public, _) => true,
            (Access::Account | Access::LoggedIn, Some(_)) => true,
            (Access::Roles(roles), Some(role)) => roles.contains(&role),
            (_, None) => false,
        }
    }
}

/// The logged-in reader, as the access check and the page layout see her. Auth's session layer
/// puts it in the request's extensions beside the full user.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Login name.
    pub username: String,
    /// Name shown in the header.
    pub display_name: String,
    pub role: Role,
    /// Full name of her region (四川省 / 德阳市), for the header.
    pub region_name: Option<String>,
    /// Whether she must choose a new password before anything else.
    pub must_change_password: bool,
}

/// One registered route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Method (`GET` also answers `HEAD`).
    pub method: Method,
    /// Path pattern, as registered (`/children/{id}`).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
}

/// Every route of the service with its rule: built from the registrations.
#[derive(Debug, Default)]
pub struct Policy {
    routes: Vec<Route>,
}

impl Policy {
    /// The rule of a route, if the service has it.
    pub fn access(&self, method: &Method, path: &str) -> Option<Access> {
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        self.routes
            .iter()
            .find(|r| r.method == *method && r.path == path)
            .map(|r| r.access)
    }

    /// Every route, in the order the areas registered them.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }
}

/// A router that keeps each route's access rule beside it.
pub struct Routes {
    router: Router<AppState>,
    policy: Policy,
}

impl Default for Routes {
    fn default() -> Self {
        Routes::new()
    }
}

impl Routes {
    /// No routes yet.
    pub fn new() -> Self {
        Routes {
            router: Router::new(),
            policy: Policy::default(),
        }
    }

    fn add(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        route: MethodRouter<AppState>,
    ) -> Self {
        assert!(
            self.policy.access(&method, path).is_none(),
            "{method} {path} is registered twice"
        );
        self.router = self.router.route(path, route);
        self.policy.routes.push(Route {
            method,
            path,
            access,
        });
        self
    }

    /// A `GET` route (which also answers `HEAD`).
    pub fn get<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::GET, path, access, get(handler))
    }

    /// A `POST` route.
    pub fn post<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::POST, path, access, post(handler))
    }

    /// A `PATCH` route.
    pub fn patch<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::PATCH, path, access, patch(handler))
    }

    /// A `PUT` route.
    pub fn put<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::PUT, path, access, put(handler))
    }

    /// A `DELETE` route.
    pub fn delete<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::DELETE, path, access, delete(handler))
    }

    /// Adds another area's routes.
    pub fn merge(mut self, other: Routes) -> Self {
        for route in &other.policy.routes {
            assert!(
                self.policy.access(&route.method, route.path).is_none(),
                "{} {} is registered twice",
                route.method,
                route.path
            );
        }
        self.router = self.router.merge(other.router);
        self.policy.routes.extend(other.policy.routes);
        self
    }

    /// The policy these registrations make.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The router, with the policy enforced on every matched route.
    pub fn into_router(self) -> Router<AppState> {
        let policy = Arc::new(self.policy);
        // Error pages, written outside the routes, show the menu the same policy allows.
        let _ = POLICY.set(Arc::clone(&policy));
        self.router
            .route_layer(middleware::from_fn_with_state(policy, enforce))
    }
}

/// The routes' policy, for pages written outside any route (error pages and their menu). Every
/// router is built from the same routes, so the first one's policy is everyone's.
static POLICY: std::sync::OnceLock<Arc<Policy>> = std::sync::OnceLock::new();

/// The routes' policy, once a router has been built.
pub fn policy() -> Option<Arc<Policy>> {
    POLICY.get().cloned()
}

/// Middleware (on matched routes): applies the route's rule. Pages send a visitor who is not
/// logged in to the login page; the API answers 401. A role the rule does not name gets 403.
/// A user who must choose a new password reaches only the routes of her own account.
async fn enforce(
    State(policy): State<Arc<Policy>>,
    matched: Option<MatchedPath>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = matched.as_ref().map(MatchedPath::as_str).unwrap_or("");
    let is_api = request.uri().path().starts_with("/api/");
    let Some(rule) = policy.access(request.method(), path) else {
        if policy.routes.iter().any(|r| r.path == path) {
            // A method the path does not serve: the router answers 405.
            return next.run(request).await;
        }
        // Every route is registered with its rule, so this cannot happen; refuse if it does.
        tracing::error!(method = %request.method(), path, "refused: a route without an access rule");
        return AppError::Forbidden("forbidden").into_response();
    };
    let viewer = request.extensions().get::<Viewer>();
    if !rule.allows(viewer.map(|v| v.role)) {
        return match viewer {
            None if is_api => AppError::Unauthorized.into_response(),
            None => {
                let uri = request.uri();
                let next_path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                Redirect::to(&format!("/login?next={}", urlencode(next_path))).into_response()
            }
            Some(_) => AppError::Forbidden("forbidden").into_response(),
        };
    }
    if viewer.is_some_and(|v| v.must_change_password)
        && !matches!(rule, Access::Public | Access::Account)
    {
        return if is_api {
            AppError::Forbidden("password_change_required").into_response()
        } else {
            Redirect::to("/account/password").into_response()
        };
    }
    // The page layout shows only the menu entries the reader's role may open.
    request.extensions_mut().insert(policy);
    next.run(request).await
}

/// Percent-encodes text for a query parameter (paths keep their slashes).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_names_who_may_call() {
        assert!(Access::PUBLIC.allows(None));
        assert!(!Access::LOGGED_IN.allows(None));
        assert!(!Access::ACCOUNT.allows(None));
        assert!(Access::ACCOUNT.allows(Some(Role::Volunteer)));
        assert!(Access::REGISTRARS.allows(Some(Role::StationManager)));
        assert!(!Access::REGISTRARS.allows(Some(Role::Volunteer)));
        assert!(!Access::FEDERATION.allows(Some(Role::StationManager)));
        assert!(!Access::ADMIN.allows(Some(Role::Staff)));
        assert!(Access::ANY_ROLE.allows(Some(Role::Volunteer)));
    }

    #[test]
    #[should_panic(expected = "registered twice")]
    fn a_route_is_registered_once() {
        async fn page() {}
        let _ = Routes::new()
            .get("/x", Access::PUBLIC, page)
            .merge(Routes::new().get("/x", Access::ADMIN, page));
    }
}
