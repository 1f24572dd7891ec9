//! The administrative region tree (province → city → county → township → village) that every
//! record hangs from, and the prefix match that scopes what a user may see.

pub mod api;
pub mod model;
pub mod service;
mod store;

use crate::web::{Access, Routes};

/// The region routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/regions", Access::LOGGED_IN, api::list)
        .get("/api/v1/regions/{code}", Access::LOGGED_IN, api::get)
}

/// The region picker of a form, without script: the counties of the user's region, and the
/// townships and villages of the chosen one.
#[derive(Debug, Clone, Default)]
pub struct Picker {
    /// The chosen county ("" when none yet).
    pub county: String,
    /// Counties to choose from (one when the user works in a county or below).
    pub counties: Vec<store::Choice>,
    /// Townships and villages of the chosen county, each township before its villages.
    pub places: Vec<store::Choice>,
}

impl Picker {
    /// The picker for a user working in `user_region`: the county asked for (if it is one of
    /// theirs), else the county of the value already in the form, else their only county.
    pub async fn load(
        db: &sqlx::PgPool,
        user_region: &str,
        asked: Option<&str>,
        value: &str,
    ) -> sqlx::Result<Picker> {
        let counties = store::counties_in(db, user_region).await?;
        let known = |c: &str| counties.iter().any(|k| k.code == c);
        let county = asked
            .filter(|c| known(c))
            .or(value.get(..6).filter(|c| known(c)))
            .map(str::to_owned)
            .or_else(|| (counties.len() == 1).then(|| counties[0].code.clone()))
            .unwrap_or_default();
        let places = if county.is_empty() {
            Vec::new()
        } else {
            store::places_in_county(db, &county).await?
        };
        Ok(Picker {
            county,
            counties,
            places,
        })
    }

    /// Whether a place is a village (shown indented under its township).
    pub fn is_village(&self, place: &store::Choice) -> bool {
        place.level == model::RegionLevel::Village
    }
}
