//! The dashboard (工作台): the figures the federation reports, for the user's region drilled
//! down to a station, month-by-month trends, and the alerts that say where help is needed.
//!
//! Every figure is counted on each request, from counts the records' triggers keep exact in the
//! writing transaction — people by region and status, pairings, contacts, activities,
//! person-visits and fulfilled wishes per station and day and month, the queue of open concerns,
//! each child's `waiting_since` and each pairing's due days — or from the records themselves
//! where they are few (stations, a period's activities by kind, alerts' first rows) or move with
//! the calendar (the figures of pairing support, `support`). A write shows in the next request;
//! nothing is cached.

pub mod api;
pub mod model;
pub mod pages;
mod read;
pub mod service;
pub mod support;

use crate::web::{Access, Routes};

/// The dashboard routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/dashboard", Access::REGISTRARS, pages::dashboard)
        .get("/api/v1/stats", Access::REGISTRARS, api::stats)
}
