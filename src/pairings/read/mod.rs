//! The reads that gather what pairings' pages and API show, joining the other areas' tables for
//! names, places and counts. They decide no rule: the guards of a new pairing read their facts
//! under locks in `store`, or ask the area that owns the rule.

mod matching;
mod record;

pub use matching::{attendees, candidates, ice_breakers, station_region, waiting};
pub use record::{find, list, of_child};
