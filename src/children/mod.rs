//! Children (留守儿童 / 困境儿童), their guardians and the guardians' consent — registered with
//! care for their privacy.

pub mod api;
pub mod import;
pub mod model;
pub mod pages;
pub mod read;
pub mod rules;
pub mod service;
mod store;

use crate::web::{Access, Routes};
use pages::{child, guardians};

/// The child routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/children", Access::REGISTRARS, child::list)
        .get("/children/new", Access::REGISTRARS, child::new_form)
        .get("/children/import", Access::REGISTRARS, pages::import::form)
        .get(
            "/children/import/template",
            Access::REGISTRARS,
            pages::import::template,
        )
        .post(
            "/children/import",
            Access::REGISTRARS,
            pages::import::upload,
        )
        .post("/children", Access::REGISTRARS, child::create)
        .get("/children/{id}", Access::REGISTRARS, child::detail)
        .get("/children/{id}/edit", Access::REGISTRARS, child::edit_form)
        .post("/children/{id}/edit", Access::REGISTRARS, child::update)
        .post(
            "/children/{id}/guardians",
            Access::REGISTRARS,
            guardians::add_guardian,
        )
        .post(
            "/children/{id}/consents",
            Access::REGISTRARS,
            guardians::add_consent,
        )
        .post("/children/{id}/reveal", Access::REGISTRARS, child::reveal)
        .post(
            "/guardians/{id}/edit",
            Access::REGISTRARS,
            guardians::update_guardian,
        )
        .post(
            "/guardians/{id}/remove",
            Access::REGISTRARS,
            guardians::remove_guardian,
        )
        .get("/api/v1/children", Access::REGISTRARS, api::list)
        .post("/api/v1/children", Access::REGISTRARS, api::create)
        .get("/api/v1/children/{id}", Access::REGISTRARS, api::get)
        .patch("/api/v1/children/{id}", Access::REGISTRARS, api::update)
        .post(
            "/api/v1/children/{id}/guardians",
            Access::REGISTRARS,
            api::add_guardian,
        )
        .post(
            "/api/v1/children/{id}/consents",
            Access::REGISTRARS,
            api::add_consent,
        )
        .post(
            "/api/v1/children/{id}/reveal",
            Access::REGISTRARS,
            api::reveal,
        )
        .patch(
            "/api/v1/guardians/{id}",
            Access::REGISTRARS,
            api::update_guardian,
        )
        .delete(
            "/api/v1/guardians/{id}",
            Access::REGISTRARS,
            api::remove_guardian,
        )
}
