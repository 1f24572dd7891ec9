//! The children's spreadsheet import: its page, its template and the upload.

use axum::extract::State;
use axum::response::Response;

use crate::auth::{ClientIp, CurrentUser};
use crate::children::import::{self, KIND};
use crate::web::error::AppError;
use crate::web::{AppState, PageContext};

/// `GET /children/import`.
pub async fn form(ctx: PageContext) -> Response {
    crate::imports::form(KIND, ctx)
}

/// `GET /children/import/template`.
pub async fn template(prefs: crate::web::Prefs) -> Result<Response, AppError> {
    crate::imports::template(KIND, prefs)
}

/// `POST /children/import` (multipart, field `file`): all rows or none.
pub async fn upload(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let (db, cipher) = (&state.db, &state.cipher);
    crate::imports::upload(KIND, db, ctx, &user, multipart, async |rows, lang| {
        import::run(db, cipher, &user, rows, lang, ip).await
    })
    .await
}
