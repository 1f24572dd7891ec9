//! Micro-wishes (微心愿): a station posts a child's small wish; a volunteer in the system or a
//! partner organization claims it; the station records when the child received it. Each step
//! is audited, and a wish moves forward only (`rules`; the database refuses anything else).

pub mod api;
pub mod model;
pub mod pages;
mod read;
pub mod rules;
pub mod service;
mod store;

use crate::web::{Access, Routes};

/// The wish routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/wishes", Access::ANY_ROLE, pages::list)
        .get("/children/{id}/wishes", Access::ANY_ROLE, pages::child)
        .post("/children/{id}/wishes", Access::REGISTRARS, pages::create)
        .post("/wishes/{id}/claim", Access::ANY_ROLE, pages::claim)
        .post("/wishes/{id}/fulfil", Access::REGISTRARS, pages::fulfil)
        .post("/wishes/{id}/cancel", Access::REGISTRARS, pages::cancel)
        .get("/stations/{id}/wishes", Access::REGISTRARS, pages::wall)
        .get("/api/v1/children/{id}/wishes", Access::ANY_ROLE, api::list)
        .post(
            "/api/v1/children/{id}/wishes",
            Access::REGISTRARS,
            api::create,
        )
        .post("/api/v1/wishes/{id}/claim", Access::ANY_ROLE, api::claim)
        .post(
            "/api/v1/wishes/{id}/fulfil",
            Access::REGISTRARS,
            api::fulfil,
        )
        .post(
            "/api/v1/wishes/{id}/cancel",
            Access::REGISTRARS,
            api::cancel,
        )
}
