//! Who is logged in and what they may reach: accounts, passwords, sessions, region scope, CSRF
//! protection and login throttling, and the admins' pages over accounts and the audit trail.
//! Which role may call a route is declared with the route (in the web layer's route registrations).

pub mod accounts;
pub mod api;
mod audit_log;
pub mod cli;
pub mod csrf;
pub mod model;
pub mod pages;
pub mod password;
pub mod rules;
pub mod scope;
pub mod session;
pub mod store;
pub mod throttle;

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use uuid::Uuid;

use crate::audit::Actor;
use crate::web::error::AppError;
use crate::web::{Access, Routes, Viewer};
pub use model::Role;
pub use scope::Scope;

/// The account routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/login", Access::PUBLIC, pages::login_form)
        .post("/login", Access::PUBLIC, pages::login)
        .post("/logout", Access::ACCOUNT, pages::logout)
        .get("/account/password", Access::ACCOUNT, pages::password_form)
        .post("/account/password", Access::ACCOUNT, pages::change_password)
        .get("/admin/users", Access::ADMIN, pages::users)
        .get("/admin/users/new", Access::ADMIN, pages::new_user_form)
        .post("/admin/users", Access::ADMIN, pages::create_user)
        .get("/admin/users/{id}", Access::ADMIN, pages::user_detail)
        .post("/admin/users/{id}", Access::ADMIN, pages::update_user)
        .post(
            "/admin/users/{id}/disable",
            Access::ADMIN,
            pages::disable_user,
        )
        .post(
            "/admin/users/{id}/enable",
            Access::ADMIN,
            pages::enable_user,
        )
        .post(
            "/admin/users/{id}/reset-password",
            Access::ADMIN,
            pages::reset_password,
        )
        .post("/api/v1/session", Access::PUBLIC, api::login)
        .delete("/api/v1/session", Access::ACCOUNT, api::logout)
        .get("/api/v1/me", Access::ACCOUNT, api::me)
        .post("/api/v1/me/password", Access::ACCOUNT, api::change_password)
        .get("/api/v1/users", Access::ADMIN, api::list_users)
        .post("/api/v1/users", Access::ADMIN, api::create_user)
        .get("/api/v1/users/{id}", Access::ADMIN, api::get_user)
        .patch("/api/v1/users/{id}", Access::ADMIN, api::update_user)
        .post(
            "/api/v1/users/{id}/reset-password",
            Access::ADMIN,
            api::reset_password,
        )
        .get("/admin/audit", Access::ADMIN, audit_log::list)
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

    /// The user as the access check and the page layout see her.
    pub fn viewer(&self) -> Viewer {
        Viewer {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            region_name: self.region_name.clone(),
            must_change_password: self.must_change_password,
        }
    }
}

impl From<&CurrentUser> for Actor {
    fn from(user: &CurrentUser) -> Actor {
        Actor {
            id: user.id,
            region_code: user.audit_region.clone(),
        }
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

/// The account a command-line action is made as: it must exist and be enabled.
pub async fn acting_as(db: &sqlx::PgPool, username: &str) -> anyhow::Result<CurrentUser> {
    use anyhow::Context;
    let id = store::id_by_username(db, username)
        .await?
        .context("no account has this username")?;
    let (user, active, _) = store::load_current(db, id)
        .await?
        .context("no account has this username")?;
    anyhow::ensure!(active, "the account {username} is disabled");
    Ok(user)
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
