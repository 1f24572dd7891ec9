//! The monthly report (月度报表): for a region (or a station) and a calendar month, one row per
//! county — per station at county level and below — with the dashboard's figures and their
//! totals, as a printable page and as an `.xlsx` download.
//!
//! The figures are the dashboard's own ([`crate::dashboard::service::breakdown`]), so a report's
//! totals are the dashboard's for the same month, by construction.

pub mod model;
pub mod pages;
pub mod service;
mod sheet;

use crate::web::{Access, Routes};

/// The report routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/reports", Access::REGISTRARS, pages::index)
        .get("/reports/monthly", Access::REGISTRARS, pages::monthly)
}
