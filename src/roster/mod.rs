//! The civil-affairs roster (应结尽结): a county's federation imports the roster of left-behind
//! children and children in difficulty that civil affairs keep, and sees, by township, how many
//! of them are registered and paired in Aixin, the list of those to reach next, and the children
//! registered who are missing from the roster. Each import replaces the county's last roster;
//! rosters go after [`model::KEEP_MONTHS`] (the retention run) and a child's roster rows with her
//! erasure. Matching is kept by the database as children are registered, paired and leave.

pub mod api;
mod import;
pub mod model;
pub mod pages;
mod place;
mod read;
pub mod service;
mod store;

use crate::web::{Access, Routes};

/// The roster routes: county staff and admins (a station manager's role has none).
pub fn routes() -> Routes {
    Routes::new()
        .get("/roster", Access::FEDERATION, pages::overview)
        .get("/roster/import", Access::FEDERATION, pages::import_form)
        .post("/roster/import", Access::FEDERATION, pages::import)
        .get("/api/v1/roster", Access::FEDERATION, api::list)
        .post("/api/v1/roster/imports", Access::FEDERATION, api::import)
}
