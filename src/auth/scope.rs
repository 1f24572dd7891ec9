//! Which records a user may see, decided here for every list and load.
//!
//! Admins and staff see a region subtree (a prefix match on `region_code`), station managers
//! their own stations, volunteers their own pairings. Stores take a [`Scope`] and turn it into
//! SQL parameters with [`Scope::region_like`], [`Scope::station_ids`] and
//! [`Scope::volunteer_id`]; a `NULL` parameter means "no restriction of this kind".

use uuid::Uuid;

/// The records a user may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// A region subtree: every code starting with this prefix.
    Region(String),
    /// Records of these stations.
    Stations(Vec<Uuid>),
    /// The pairings of this volunteer.
    Volunteer(Uuid),
}

impl Scope {
    /// `LIKE` pattern for `region_code`, when the scope is a region (`'5106%'`).
    pub fn region_like(&self) -> Option<String> {
        match self {
            Scope::Region(prefix) => Some(format!("{prefix}%")),
            _ => None,
        }
    }

    /// The stations, when the scope is a list of stations.
    pub fn station_ids(&self) -> Option<&[Uuid]> {
        match self {
            Scope::Stations(ids) => Some(ids),
            _ => None,
        }
    }

    /// The volunteer, when the scope is a volunteer's own pairings.
    pub fn volunteer_id(&self) -> Option<Uuid> {
        match self {
            Scope::Volunteer(id) => Some(*id),
            _ => None,
        }
    }

    /// Whether a record in `region_code` lies in a region scope. Station and volunteer scopes
    /// answer false: their records are matched by station or pairing, not by region.
    pub fn covers_region(&self, region_code: &str) -> bool {
        match self {
            Scope::Region(prefix) => region_code.starts_with(prefix.as_str()),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_city_covers_its_counties_and_nothing_else() {
        let deyang = Scope::Region("5106".into());
        assert!(deyang.covers_region("510623"));
        assert!(deyang.covers_region("510681002006"));
        assert!(!deyang.covers_region("5117"));
        assert!(!deyang.covers_region("511922"));
        assert_eq!(deyang.region_like().as_deref(), Some("5106%"));
        assert_eq!(deyang.station_ids(), None);
    }
}
