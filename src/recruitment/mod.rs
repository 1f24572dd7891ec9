//! Recruiting volunteers where they live: a station's printable poster with a QR code to its
//! public page "申请成为爱心妈妈", where a woman applies from her phone — no login, no script,
//! rate-limited per address — and becomes a volunteer in `applied` at that station, which its
//! manager sees among the new applicants. The QR code and printed links use `AIXIN_PUBLIC_URL`.

mod pages;
mod qr;
mod service;

pub use service::forget_attempts;

use crate::web::{Access, Routes};

/// The recruitment routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/stations/{id}/poster", Access::REGISTRARS, pages::poster)
        .get("/apply/{station_id}", Access::PUBLIC, pages::form)
        .post("/apply/{station_id}", Access::PUBLIC, pages::apply)
}
