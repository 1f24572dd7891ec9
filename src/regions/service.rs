//! What other areas may ask of this one.

pub use super::store::{ancestors, children, find};
