//! What other areas may ask of this one.

pub use super::store::{Choice, ancestors, children, counties_in, find, places_in_county};
