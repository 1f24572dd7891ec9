//! The volunteer's portal (`/me`): her children, the contact log, concerns and reminders, on
//! a phone, and her relationship survey about each child. She sees each paired child's given
//! name, age, school, needs and station, the guardians' phones only where they agreed to share
//! them, and nothing else about anyone.

pub mod api;
pub mod pages;
mod read;
pub mod service;

use crate::web::{Access, Routes};

/// The portal routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/me", Access::VOLUNTEER, pages::home)
        .get("/me/pairings/{id}", Access::VOLUNTEER, pages::child)
        .post(
            "/me/pairings/{id}/contacts",
            Access::VOLUNTEER,
            pages::log_contact,
        )
        .get(
            "/me/pairings/{id}/survey",
            Access::VOLUNTEER,
            pages::survey_form,
        )
        .post(
            "/me/pairings/{id}/survey",
            Access::VOLUNTEER,
            pages::answer_survey,
        )
        .get(
            "/me/contacts/{id}/edit",
            Access::VOLUNTEER,
            pages::edit_form,
        )
        .post("/me/contacts/{id}/edit", Access::VOLUNTEER, pages::edit)
        .get("/api/v1/me/children", Access::VOLUNTEER, api::children)
}
