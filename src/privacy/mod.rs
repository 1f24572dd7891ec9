//! A person's data from consent to deletion (PIPL): the requests guardians and volunteers make
//! about it (to see, correct or delete it, or to withdraw a consent) and how each is carried
//! out, a consent's withdrawal and its effects, the retention run, and the privacy notice.

pub mod api;
pub mod model;
pub mod pages;
pub mod read;
pub mod rules;
pub mod service;
pub mod sheet;
mod store;

use crate::web::{Access, Routes};

/// The privacy routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/privacy", Access::PUBLIC, pages::notice)
        .get("/requests", Access::DATA_SUBJECT_REQUESTS, pages::list)
        .get("/requests/new", Access::FEDERATION, pages::new_form)
        .post("/requests", Access::DATA_SUBJECT_REQUESTS, pages::create)
        .get(
            "/requests/{id}",
            Access::DATA_SUBJECT_REQUESTS,
            pages::detail,
        )
        .post(
            "/requests/{id}/complete",
            Access::FEDERATION,
            pages::complete,
        )
        .post("/requests/{id}/refuse", Access::FEDERATION, pages::refuse)
        .get(
            "/requests/{id}/copy",
            Access::DATA_SUBJECT_REQUESTS,
            pages::copy,
        )
        .get("/admin/retention", Access::ADMIN, pages::retention_page)
        .post(
            "/consents/{id}/withdraw",
            Access::REGISTRARS,
            pages::withdraw,
        )
        .post(
            "/api/v1/consents/{id}/withdraw",
            Access::REGISTRARS,
            api::withdraw,
        )
        .get("/api/v1/requests", Access::DATA_SUBJECT_REQUESTS, api::list)
        .post(
            "/api/v1/requests",
            Access::DATA_SUBJECT_REQUESTS,
            api::create,
        )
        .get(
            "/api/v1/requests/{id}",
            Access::DATA_SUBJECT_REQUESTS,
            api::get,
        )
        .post(
            "/api/v1/requests/{id}/complete",
            Access::FEDERATION,
            api::complete,
        )
        .post(
            "/api/v1/requests/{id}/refuse",
            Access::FEDERATION,
            api::refuse,
        )
        .get(
            "/api/v1/requests/{id}/export",
            Access::DATA_SUBJECT_REQUESTS,
            api::export,
        )
}
