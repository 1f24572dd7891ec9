//! Pairing (结对关爱): match suggestions, creating pairings under every rule, the pairing
//! record and its health, closing, staff check-ins and relationship surveys, and transfers: a
//! child or a volunteer moved to a station of another county, her pairings closed as
//! `transferred`.
//!
//! Every rule (`rules`) is checked twice: by the service, inside one transaction and under row
//! locks on the child and the volunteer (so the caller gets a message that names who and why),
//! and again by the database's `pairing_guard` trigger, its first-meeting trigger and its
//! one-active-pairing-per-child index, which no code path can skip; a refusal from there is
//! answered as the service's own. The consent a pairing needs is the children area's answer,
//! the first meeting's facts the activities area's. Pairings stand above contacts: the record
//! shows a pairing's contacts through the contacts service. A pairing is supported by staff's
//! check-ins (`check_in`) and by follow-ups on its contacts and check-ins (`follow_up`).

pub mod api;
pub mod check_in;
pub mod follow_up;
pub mod model;
pub mod pages;
mod read;
mod rules;
pub mod service;
pub mod standard;
mod store;
pub mod survey;

use crate::web::{Access, Routes};

/// The pairing routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/pairings", Access::REGISTRARS, pages::list)
        .get("/pairings/waiting", Access::REGISTRARS, pages::waiting)
        .get("/pairings/new", Access::REGISTRARS, pages::new_form)
        .post("/pairings", Access::REGISTRARS, pages::create)
        .get("/pairings/batch", Access::REGISTRARS, pages::batch_form)
        .post("/pairings/batch", Access::REGISTRARS, pages::batch)
        .get("/pairings/{id}", Access::REGISTRARS, pages::detail)
        .post("/pairings/{id}/close", Access::REGISTRARS, pages::close)
        .post(
            "/pairings/{id}/close/confirm",
            Access::REGISTRARS,
            pages::confirm_close,
        )
        .post(
            "/pairings/{id}/close/cancel",
            Access::REGISTRARS,
            pages::cancel_close,
        )
        .post(
            "/pairings/{id}/check-ins",
            Access::REGISTRARS,
            pages::log_check_in,
        )
        .get("/check-ins/due", Access::REGISTRARS, pages::check_ins_due)
        .get(
            "/api/v1/check-ins/due",
            Access::REGISTRARS,
            api::check_ins_due,
        )
        .get(
            "/api/v1/pairings/{id}/check-ins",
            Access::REGISTRARS,
            api::check_ins,
        )
        .post(
            "/api/v1/pairings/{id}/check-ins",
            Access::REGISTRARS,
            api::log_check_in,
        )
        .post(
            "/pairings/{id}/surveys",
            Access::REGISTRARS,
            pages::record_survey,
        )
        // A volunteer answers her own pairing's survey and reads her answers; the service
        // keeps her to that (the guardian's answers are 403, another pairing 404).
        .get(
            "/api/v1/pairings/{id}/surveys",
            Access::ANY_ROLE,
            api::surveys,
        )
        .post(
            "/api/v1/pairings/{id}/surveys",
            Access::ANY_ROLE,
            api::answer_survey,
        )
        .post(
            "/pairings/{id}/follow-ups",
            Access::REGISTRARS,
            pages::flag_follow_up,
        )
        .get("/follow-ups", Access::REGISTRARS, pages::follow_ups)
        .post(
            "/follow-ups/{id}/done",
            Access::REGISTRARS,
            pages::follow_up_done,
        )
        .get("/api/v1/follow-ups", Access::REGISTRARS, api::follow_ups)
        .post(
            "/api/v1/follow-ups",
            Access::REGISTRARS,
            api::flag_follow_up,
        )
        .get(
            "/api/v1/follow-ups/{id}",
            Access::REGISTRARS,
            api::follow_up,
        )
        .post(
            "/api/v1/follow-ups/{id}/done",
            Access::REGISTRARS,
            api::follow_up_done,
        )
        .post(
            "/children/{id}/transfer",
            Access::FEDERATION,
            pages::transfer_child,
        )
        .post(
            "/volunteers/{id}/transfer",
            Access::FEDERATION,
            pages::transfer_volunteer,
        )
        .get(
            "/api/v1/regions/{code}/contact-standard",
            Access::FEDERATION,
            api::standard,
        )
        .put(
            "/api/v1/regions/{code}/contact-standard",
            Access::FEDERATION,
            api::set_standard,
        )
        .get("/contact-standard", Access::FEDERATION, pages::standard)
        .post("/contact-standard", Access::FEDERATION, pages::set_standard)
        .get("/api/v1/pairings", Access::ANY_ROLE, api::list)
        .post("/api/v1/pairings", Access::REGISTRARS, api::create)
        .post("/api/v1/pairings/batch", Access::REGISTRARS, api::batch)
        .get("/api/v1/pairings/{id}", Access::ANY_ROLE, api::get)
        .post(
            "/api/v1/pairings/{id}/close",
            Access::REGISTRARS,
            api::close,
        )
        .post(
            "/api/v1/pairings/{id}/close/confirm",
            Access::REGISTRARS,
            api::confirm_close,
        )
        .post(
            "/api/v1/pairings/{id}/close/cancel",
            Access::REGISTRARS,
            api::cancel_close,
        )
        .post(
            "/api/v1/children/{id}/transfer",
            Access::FEDERATION,
            api::transfer_child,
        )
        .post(
            "/api/v1/volunteers/{id}/transfer",
            Access::FEDERATION,
            api::transfer_volunteer,
        )
        .get(
            "/api/v1/children/{id}/match-suggestions",
            Access::REGISTRARS,
            api::suggestions,
        )
}
