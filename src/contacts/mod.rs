//! Contacts (联系记录) a volunteer logs with her paired child, the concerns they raise, and
//! staff reading and resolving them.
//!
//! Contacts stand below pairings: they read the pairing they belong to themselves (in the
//! caller's scope) and import nothing from the pairings area, whose pages show a pairing's
//! contacts through this area's service.

pub mod api;
pub mod model;
pub mod pages;
mod read;
mod rules;
pub mod service;
mod store;

use crate::web::{Access, Routes};

/// The contact and concern routes (the volunteer's own pages live in the portal).
pub fn routes() -> Routes {
    Routes::new()
        .get("/concerns", Access::REGISTRARS, pages::concerns)
        .post("/concerns/{id}/resolve", Access::FEDERATION, pages::resolve)
        .post("/contacts/{id}/seen", Access::REGISTRARS, pages::mark_seen)
        .get(
            "/api/v1/pairings/{id}/contacts",
            Access::ANY_ROLE,
            api::list,
        )
        .post(
            "/api/v1/pairings/{id}/contacts",
            Access::VOLUNTEER,
            api::create,
        )
        .post("/api/v1/me/contacts", Access::VOLUNTEER, api::create_many)
        .patch("/api/v1/contacts/{id}", Access::VOLUNTEER, api::correct)
        .post(
            "/api/v1/contacts/{id}/seen",
            Access::REGISTRARS,
            api::mark_seen,
        )
        .post(
            "/api/v1/contacts/{id}/resolve",
            Access::FEDERATION,
            api::resolve,
        )
        .get("/api/v1/concerns", Access::REGISTRARS, api::concerns)
}
