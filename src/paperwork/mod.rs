//! The paperwork counties file, printed on A4 (a print stylesheet; tables repeat their header
//! on each page and never cut a row) and as `.xlsx` where it is a table: a pairing's
//! registration form (结对登记表), a station's monthly activity ledger (活动台账), a station's
//! child roster (儿童花名册), and a volunteer's service-hours certificate (志愿服务时长证明)
//! with a code anyone can check at `/verify/{code}`. Each page gathers what it prints in its
//! own read module (`read.rs`), for records already found within the reader's scope by the
//! areas that own them.

mod certificate;
mod model;
mod pages;
mod read;

use crate::web::{Access, Routes};

/// The paperwork routes.
pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/pairings/{id}/form",
            Access::REGISTRARS,
            pages::pairing_form,
        )
        .get("/pairings/forms", Access::REGISTRARS, pages::pairing_forms)
        .get("/stations/{id}/ledger", Access::REGISTRARS, pages::ledger)
        .get(
            "/stations/{id}/roster-sheet",
            Access::REGISTRARS,
            pages::roster_sheet,
        )
        .get(
            "/volunteers/{id}/certificate",
            Access::REGISTRARS,
            pages::certificate,
        )
        .get("/verify/{code}", Access::PUBLIC, pages::verify)
}
