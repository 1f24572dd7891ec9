//! Each finding of the hardening review, sent as the attack it was and answered by a refusal.
//!
//! One file per group of findings; every test here failed on the code before its fix.

mod audit;
mod limits;
mod reach;
mod residence;
mod transfer;
mod uploads;
