//! Station life (驿站活动): sessions, trainings and events, who came, person-visits (人次) and
//! the days a station really opened.
//!
//! A station manager logs each session, usually on a phone, and may correct the log for
//! [`model::MANAGER_CORRECTION_DAYS`] days; federation staff may correct it at any time. Every
//! log and correction is audited. A training on a required topic ((`Topic::is_required` in the volunteers area))
//! records the training of the volunteers who attended it.

pub mod api;
pub mod model;
pub mod pages;
pub mod service;
mod store;

use crate::web::{Access, Routes};

/// The activity routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/activities", Access::ANY_ROLE, pages::list)
        .get("/activities/new", Access::REGISTRARS, pages::new_form)
        .post("/activities", Access::REGISTRARS, pages::create)
        .get("/activities/{id}", Access::REGISTRARS, pages::detail)
        .get(
            "/activities/{id}/edit",
            Access::REGISTRARS,
            pages::edit_form,
        )
        .post("/activities/{id}/edit", Access::REGISTRARS, pages::update)
        .get(
            "/api/v1/stations/{id}/activities",
            Access::ANY_ROLE,
            api::list,
        )
        .post(
            "/api/v1/stations/{id}/activities",
            Access::REGISTRARS,
            api::create,
        )
        .get("/api/v1/activities/{id}", Access::REGISTRARS, api::get)
        .patch("/api/v1/activities/{id}", Access::REGISTRARS, api::update)
}
