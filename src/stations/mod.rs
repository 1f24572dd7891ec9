//! Stations (驿站): register, find, edit, and see what happens at each.

pub mod api;
pub mod model;
pub mod pages;
mod read;
pub mod rules;
pub mod service;
mod store;

use crate::web::{Access, Routes};

/// The station routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/stations", Access::ANY_ROLE, pages::list)
        .get("/stations/new", Access::FEDERATION, pages::new_form)
        .post("/stations", Access::FEDERATION, pages::create)
        .get("/stations/{id}", Access::ANY_ROLE, pages::detail)
        .get("/stations/{id}/edit", Access::FEDERATION, pages::edit_form)
        .post("/stations/{id}/edit", Access::FEDERATION, pages::update)
        .get("/api/v1/stations", Access::ANY_ROLE, api::list)
        .post("/api/v1/stations", Access::FEDERATION, api::create)
        .get("/api/v1/stations/{id}", Access::ANY_ROLE, api::get)
        .patch("/api/v1/stations/{id}", Access::FEDERATION, api::update)
}
