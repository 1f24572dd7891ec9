//! Who is logged in and what they may do: accounts, passwords, sessions, the policy table,
//! region scope, CSRF protection and login throttling (DESIGN §4).

pub mod accounts;
pub mod api;
pub mod cli;
pub mod csrf;
pub mod model;
pub mod pages;
pub mod password;
pub mod policy;
pub mod scope;
pub mod session;
pub mod store;
pub mod throttle;

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use uuid::Uuid;

use crate::app::Routes;
use crate::error::AppError;
pub use model::Role;
pub use scope::Scope;

/// The account routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/login", pages::login_form)
        .post("/login", pages::login)
        .post("/logout", pages::logout)
        .get("/account/password", pages::password_form)
        .post("/account/password", pages::change_password)
        .get("/admin/users", pages::users)
        .get("/admin/users/new", pages::new_user_form)
        .post("/admin/users", pages::create_user)
        .get("/admin/users/{id}", pages::user_detail)
        .post("/admin/users/{id}", pages::update_user)
        .post("/admin/users/{id}/disable", pages::disable_user)
        .post("/admin/users/{id}/enable", pages::enable_user)
        .post("/admin/users/{id}/reset-password", pages::reset_password)
        .post("/api/v1/session", api::login)
        .delete("/api/v1/session", api::logout)
        .get("/api/v1/me", api::me)
        .post("/api/v1/me/password", api::change_password)
        .get("/api/v1/users", api::list_users)
        .post("/api/v1/users", api::create_user)
        .get("/api/v1/users/{id}", api::get_user)
        .patch("/api/v1/users/{id}", api::update_user)
        .post("/api/v1/users/{id}/reset-password", api::reset_password)
}

/// The logged-in user of a request, put in the request's extensions by
/// [`session::load_user`]. Extracting it where nobody is logged in is a 401.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// Account id.
    pub id: Uuid,
    /// Login name.
    pub username: String,
    /// Name shown in the header.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Region subtree of an admin or staff member.
    pub region_code: Option<String>,
    /// That region's full name (四川省 / 德阳市), for the header.
    pub region_name: Option<String>,
    /// The volunteer record of a volunteer.
    pub volunteer_id: Option<Uuid>,
    /// The stations a station manager runs.
    pub station_ids: Vec<Uuid>,
    /// Whether the user must set a new password before anything else.
    pub must_change_password: bool,
    /// What the user may see.
    pub scope: Scope,
    /// The region the user's actions are filed under in the audit log.
    pub audit_region: Option<String>,
}

impl CurrentUser {
    /// Whether the user has one of `roles`.
    pub fn is(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or(AppError::Unauthorized)
    }
}

/// The client's address, for throttling and the audit log.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}
