//! Region codes and levels.

use serde::Serialize;

pub use crate::domain::region::{RegionCode, RegionLevel};

/// A region as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Region {
    /// The division code.
    pub code: String,
    /// The official name.
    pub name: String,
    /// Its level.
    pub level: RegionLevel,
    /// The region it belongs to (none for a province).
    pub parent_code: Option<String>,
}
