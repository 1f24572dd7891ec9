//! `GET /api/v1/stats`.

use crate::web::Query;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::model::{Area, Figures, Focus, Period};
use crate::auth::CurrentUser;
use crate::web::AppState;
use crate::web::error::AppError;

/// What the figures are asked for.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatsQuery {
    /// A region in the caller's subtree (default: the caller's own).
    pub region: Option<String>,
    /// A station in the caller's scope, instead of a region.
    pub station: Option<String>,
    /// First day of the period (default: 1 January this year).
    pub from: Option<String>,
    /// Last day of the period (default: today).
    pub to: Option<String>,
}

impl StatsQuery {
    /// The focus and the period asked for.
    pub async fn resolve(
        &self,
        state: &AppState,
        user: &CurrentUser,
    ) -> Result<(Focus, Period), AppError> {
        let focus = super::service::focus(
            &state.db,
            user,
            self.region.as_deref(),
            self.station.as_deref(),
        )
        .await?;
        let period = Period::parse(
            self.from.as_deref(),
            self.to.as_deref(),
            crate::domain::today(),
        )
        .map_err(AppError::validation)?;
        Ok((focus, period))
    }
}

/// The answer: the figures as top-level numbers, the rates, and the same figures per area.
#[derive(Debug, Serialize)]
pub struct Stats {
    /// The region, when the figures are a region's.
    pub region_code: Option<String>,
    /// The station, when they are one station's.
    pub station_id: Option<Uuid>,
    /// First day of the period.
    pub from: Date,
    /// Last day of the period.
    pub to: Date,
    /// Every figure.
    #[serde(flatten)]
    pub figures: Figures,
    /// Paired children per hundred in the programme.
    pub coverage: Option<f64>,
    /// Stations open as planned, per hundred assessed.
    pub open_days_rate: Option<f64>,
    /// The civil-affairs roster's children, registered and paired (null without a roster).
    #[serde(flatten)]
    pub roster: super::model::RosterFigures,
    /// The areas one level down (or the stations), adding up to the figures above.
    pub areas: Vec<Area>,
}

/// `GET /api/v1/stats?region=CODE&from=DATE&to=DATE` (or `station=ID`).
#[tracing::instrument(skip(state, user))]
pub async fn stats(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<StatsQuery>,
) -> Result<Json<Stats>, AppError> {
    let (focus, period) = query.resolve(&state, &user).await?;
    let today = crate::domain::today();
    let breakdown =
        super::service::breakdown(&state.figures, &focus, focus.drill_len(), period, today).await?;
    let (region_code, station_id) = match &focus {
        Focus::Region(r) => (Some(r.code.clone()), None),
        Focus::Stations { ids, .. } if ids.len() == 1 => (None, Some(ids[0])),
        Focus::Stations { .. } => (None, None),
    };
    Ok(Json(Stats {
        region_code,
        station_id,
        from: period.from,
        to: period.to,
        coverage: breakdown.total.coverage(),
        open_days_rate: breakdown.total.open_days_rate(),
        figures: breakdown.total,
        roster: breakdown.roster.into(),
        areas: breakdown.areas,
    }))
}
