//! Volunteer mothers (爱心妈妈): registration, the recruitment pipeline, privacy of their
//! ID and phone numbers.

pub mod api;
pub mod application;
pub mod import;
pub mod model;
pub mod pages;
pub mod read;
pub mod rules;
pub mod service;
mod store;
pub mod training;

use crate::web::{Access, Routes};

/// The volunteer routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/volunteers", Access::REGISTRARS, pages::list)
        .get("/volunteers/new", Access::REGISTRARS, pages::new_form)
        .get("/volunteers/import", Access::REGISTRARS, pages::import_form)
        .get(
            "/volunteers/import/template",
            Access::REGISTRARS,
            pages::import_template,
        )
        .post("/volunteers/import", Access::REGISTRARS, pages::import)
        .post("/volunteers", Access::REGISTRARS, pages::create)
        .get("/volunteers/{id}", Access::REGISTRARS, pages::detail)
        .get(
            "/volunteers/{id}/edit",
            Access::REGISTRARS,
            pages::edit_form,
        )
        .post("/volunteers/{id}/edit", Access::REGISTRARS, pages::update)
        .post("/volunteers/{id}/reveal", Access::REGISTRARS, pages::reveal)
        .post(
            "/volunteers/{id}/account",
            Access::FEDERATION,
            pages::create_account,
        )
        .get("/api/v1/volunteers", Access::REGISTRARS, api::list)
        .post("/api/v1/volunteers", Access::REGISTRARS, api::create)
        .get("/api/v1/volunteers/{id}", Access::REGISTRARS, api::get)
        .patch("/api/v1/volunteers/{id}", Access::REGISTRARS, api::update)
        .post(
            "/api/v1/volunteers/{id}/reveal",
            Access::REGISTRARS,
            api::reveal,
        )
        .post(
            "/api/v1/volunteers/{id}/account",
            Access::FEDERATION,
            api::create_account,
        )
}
