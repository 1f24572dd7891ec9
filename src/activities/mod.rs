//! Station life (驿站活动): sessions, trainings and events, who came, and person-visits (人次).
//!
//! A station manager logs each session, usually on a phone, and may correct the log for seven
//! days (`rules::MANAGER_CORRECTION_DAYS`); federation staff may correct it at any time. Every
//! log and correction is audited. A training on a required topic (`Topic::is_required`, in the
//! volunteers area) records the training of the volunteers who attended it. Which days a
//! station opened is the stations area's to count.

pub mod api;
pub mod model;
pub mod pages;
mod read;
pub mod rules;
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
