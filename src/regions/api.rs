//! `GET /api/v1/regions?parent=CODE` and `GET /api/v1/regions/{code}`.

use crate::web::Query;
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::model::{Region, RegionCode};
use super::store;
use crate::web::error::{AppError, FieldErrors};
use crate::web::paging::{Page, Paging};

/// Query of the region list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// The region whose children to list; absent lists the provinces.
    parent: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

/// The regions directly under `parent`.
#[tracing::instrument(skip(db))]
pub async fn list(
    State(db): State<PgPool>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<Region>>, AppError> {
    let paging = query.paging.checked()?;
    let parent = match query.parent.as_deref().filter(|p| !p.is_empty()) {
        Some(text) => {
            let code = RegionCode::parse(text)
                .map_err(|e| AppError::validation(FieldErrors::from([("parent".to_owned(), e)])))?;
            // An unknown parent is a missing record, not an empty list.
            store::find(&db, &code).await?.ok_or(AppError::NotFound)?;
            Some(code)
        }
        None => None,
    };
    let (items, total) =
        store::children(&db, parent.as_ref(), paging.limit(), paging.offset()).await?;
    Ok(Json(paging.page(items, total)))
}

/// A region with the chain of regions above it.
#[derive(Debug, Serialize)]
pub struct RegionDetail {
    #[serde(flatten)]
    region: Region,
    /// From the province down to the parent.
    ancestors: Vec<Region>,
    /// The full name, e.g. 四川省 / 德阳市 / 广汉市.
    full_name: String,
}

/// One region and its ancestors; 404 for a code that is not in the tree.
#[tracing::instrument(skip(db))]
pub async fn get(
    State(db): State<PgPool>,
    Path(code): Path<String>,
) -> Result<Json<RegionDetail>, AppError> {
    let code = RegionCode::parse(&code).map_err(|_| AppError::NotFound)?;
    let region = store::find(&db, &code).await?.ok_or(AppError::NotFound)?;
    let ancestors = store::ancestors(&db, &code).await?;
    let full_name = ancestors
        .iter()
        .chain(std::iter::once(&region))
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(" / ");
    Ok(Json(RegionDetail {
        region,
        ancestors,
        full_name,
    }))
}
