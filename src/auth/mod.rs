//! Who is logged in and what they may reach: accounts, passwords, sessions, region scope, CSRF
//! protection and login throttling, and the admins' pages over accounts and the audit trail.
//! Which role may call a route is declared with the route (in the web layer's route registrations).

pub mod accounts;
pub mod api;
mod audit_log;
pub mod cli;
pub mod csrf;
pub mod idempotency;
pub mod model;
pub mod pages;
pub mod password;
pub mod rules;
pub mod scope;
pub mod session;
pub mod store;
pub mod throttle;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use uuid::Uuid;

use crate::audit::Actor;
use crate::config::Config;
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

/// The client's address, for throttling and the audit log: the connection's peer, or — when
/// the peer is one of the trusted proxies (`AIXIN_TRUSTED_PROXIES`) — the address those proxies
/// forwarded for in `X-Forwarded-For`.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp
where
    Arc<Config>: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let config = Arc::<Config>::from_ref(state);
        Ok(ClientIp(peer.map(|peer| {
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok());
            client_address(peer, forwarded, |ip| config.is_trusted_proxy(ip))
        })))
    }
}

/// The client behind `peer`: walking `X-Forwarded-For` from the right, past the trusted
/// proxies, the first address a trusted proxy did not add itself. Anything left of it is the
/// client's to write and is not believed. A peer that is not trusted is the client.
fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted: impl Fn(IpAddr) -> bool,
) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for.flat_map(|v| v.split(',')).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop_address(hop) {
            Some(ip) => {
                client = ip.to_canonical();
                if !trusted(client) {
                    break;
                }
            }
            // Not an address: what a trusted proxy received stops here.
            None => break,
        }
    }
    client
}

/// The address of one `X-Forwarded-For` hop, as proxies write it: `198.51.100.1`,
/// `198.51.100.1:4711`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn hop_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_rightmost_address_no_trusted_proxy_added() {
        let trusted = |ip: IpAddr| ip.to_string().starts_with("10.");
        let client = |peer: &str, header: &[&str]| {
            client_address(peer.parse().unwrap(), header.iter().copied(), trusted).to_string()
        };
        assert_eq!(client("203.0.113.9", &["198.51.100.1"]), "203.0.113.9");
        assert_eq!(client("10.0.0.1", &[]), "10.0.0.1");
        assert_eq!(client("10.0.0.1", &["198.51.100.1"]), "198.51.100.1");
        assert_eq!(
            client("10.0.0.1", &["1.2.3.4, 198.51.100.1, 10.0.0.2"]),
            "198.51.100.1"
        );
        assert_eq!(
            client("10.0.0.1", &["1.2.3.4", "198.51.100.1"]),
            "198.51.100.1"
        );
        assert_eq!(client("10.0.0.1", &["198.51.100.1, garbage"]), "10.0.0.1");
        assert_eq!(client("10.0.0.1", &["10.0.0.3, 10.0.0.2"]), "10.0.0.3");
        // With ports and brackets, as some proxies write them.
        assert_eq!(client("10.0.0.1", &["198.51.100.1:4711"]), "198.51.100.1");
        assert_eq!(client("10.0.0.1", &["[2001:db8::1]:443"]), "2001:db8::1");
        assert_eq!(client("10.0.0.1", &["[2001:db8::1]"]), "2001:db8::1");
        assert_eq!(
            client("10.0.0.1", &["1.2.3.4, 198.51.100.1:80, 10.0.0.2:8080"]),
            "198.51.100.1"
        );
    }
}
