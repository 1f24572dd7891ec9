//! `GET /api/v1/me/children`.

use axum::Json;
use axum::extract::State;

use crate::auth::CurrentUser;
use crate::web::AppState;
use crate::web::error::AppError;

/// `GET /api/v1/me/children`: the volunteer's active pairings, each with the child's given
/// name, age, school, needs, station, last contact, shared guardian phones, open wishes and
/// the station's next openings.
pub async fn children(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<serde_json::Value>, AppError> {
    let items = super::service::my_children(&state.db, &user).await?;
    Ok(Json(serde_json::json!({ "items": items })))
}
