//! `Idempotency-Key`: an API `POST` may carry one, so that a client that lost the answer (a
//! dropped connection, a restart of the database between the commit and the reply) can send the
//! request again without writing twice.
//!
//! The first request with a user's key claims it (`idempotency_key`, one row per user and key,
//! shared by every instance) and is run to its end in a task of its own — a client that hangs up
//! does not cut it short — and its answer is stored. A retry with the same key and the same
//! request is answered the stored answer (with `Idempotent-Replayed: true`) and runs nothing; the
//! same key with another request is 422 `idempotency_key_reused`; a retry while the first still
//! runs is 409 `idempotency_in_progress`. Only a success is kept: after a refusal nothing was
//! written and after a 5xx the outcome is unknown, so the claim is let go and a retry runs again
//! (a refusal is given again; what a 5xx left undone is done). A claim whose
//! request never answered (its instance stopped) is taken over after two minutes. Answers are
//! kept 24 hours (housekeeping deletes them after) and one that names a person who is erased goes
//! with her erasure ([`forget`]).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::CurrentUser;
use crate::web::error::AppError;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The header a replayed answer carries.
pub const REPLAYED: &str = "idempotent-replayed";
/// How long an answer is kept for retries.
pub const KEEP: Duration = Duration::from_secs(24 * 3600);
/// After how long a claim that never answered is taken over (well past the request timeout).
const ABANDONED_SECONDS: f64 = 120.0;
/// The largest body a keyed request or its answer may have (the service's upload limit).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// The middleware, innermost after [`super::session::load_user`].
pub async fn guard(State(db): State<PgPool>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST || !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let Some(key) = request.headers().get(HEADER).cloned() else {
        return next.run(request).await;
    };
    let Some(user) = request.extensions().get::<CurrentUser>().map(|u| u.id) else {
        // Not logged in: the access check answers, and nothing is claimed.
        return next.run(request).await;
    };
    let key = match key.to_str() {
        Ok(k) if valid(k) => k.to_owned(),
        _ => return AppError::rule("idempotency_key_invalid").into_response(),
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return AppError::PayloadTooLarge.into_response();
    };
    let hash = fingerprint(&parts, &body);
    match claim(&db, user, &key, &hash).await {
        Err(e) => AppError::from(e).into_response(),
        Ok(Claim::Replay(answer)) => answer.into_response(),
        Ok(Claim::Reused) => AppError::rule("idempotency_key_reused").into_response(),
        Ok(Claim::InProgress) => AppError::conflict("idempotency_in_progress").into_response(),
        Ok(Claim::Ours) => {
            let request = Request::from_parts(parts, Body::from(body));
            // Run to the end even if the client goes: the claim is settled either way.
            let run = tokio::spawn(async move {
                let response = next.run(request).await;
                settle(&db, user, &key, response).await
            });
            run.await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "a request with an idempotency key failed");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            })
        }
    }
}

/// 1 to 255 visible ASCII characters (a UUID, typically).
fn valid(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// What the request is: its path and query, its content type and its body.
fn fingerprint(parts: &axum::http::request::Parts, body: &Bytes) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(parts.uri.path_and_query().map_or("", |p| p.as_str()));
    hash.update([0]);
    if let Some(kind) = parts.headers.get(header::CONTENT_TYPE) {
        hash.update(kind.as_bytes());
    }
    hash.update([0]);
    hash.update(body);
    hash.finalize().to_vec()
}

enum Claim {
    Ours,
    Replay(Stored),
    Reused,
    InProgress,
}

struct Stored {
    status: i16,
    content_type: Option<String>,
    location: Option<String>,
    body: Vec<u8>,
}

impl IntoResponse for Stored {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status as u16).unwrap_or(StatusCode::OK);
        let mut response = (status, self.body).into_response();
        let headers = response.headers_mut();
        for (name, value) in [
            (header::CONTENT_TYPE, self.content_type),
            (header::LOCATION, self.location),
        ] {
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                headers.insert(name, value);
            }
        }
        headers.insert(REPLAYED, HeaderValue::from_static("true"));
        response
    }
}

async fn claim(db: &PgPool, user: Uuid, key: &str, hash: &[u8]) -> sqlx::Result<Claim> {
    // A key is new, expired, or abandoned by a request that never answered: it becomes ours.
    let ours = sqlx::query_scalar!(
        r#"INSERT INTO idempotency_key (user_id, key, request_hash) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, key) DO UPDATE
              SET request_hash = EXCLUDED.request_hash, created_at = now(), status = NULL,
                  content_type = NULL, location = NULL, body = NULL
            WHERE idempotency_key.created_at < now() - make_interval(secs => $4)
               OR (idempotency_key.status IS NULL
                   AND idempotency_key.request_hash = EXCLUDED.request_hash
                   AND idempotency_key.created_at < now() - make_interval(secs => $5))
           RETURNING true AS "ours!""#,
        user,
        key,
        hash,
        KEEP.as_secs_f64(),
        ABANDONED_SECONDS,
    )
    .fetch_optional(db)
    .await?;
    if ours.is_some() {
        return Ok(Claim::Ours);
    }
    let Some(row) = sqlx::query!(
        "SELECT request_hash, status, content_type, location, body FROM idempotency_key
         WHERE user_id = $1 AND key = $2",
        user,
        key
    )
    .fetch_optional(db)
    .await?
    else {
        // Let go a moment ago by the request that held it: this one may run.
        return Box::pin(claim(db, user, key, hash)).await;
    };
    Ok(match (row.request_hash == hash, row.status) {
        (false, _) => Claim::Reused,
        (true, None) => Claim::InProgress,
        (true, Some(status)) => Claim::Replay(Stored {
            status,
            content_type: row.content_type,
            location: row.location,
            body: row.body.unwrap_or_default(),
        }),
    })
}

/// Stores the answer for retries, or lets the claim go when the answer is not one to repeat.
async fn settle(db: &PgPool, user: Uuid, key: &str, response: Response) -> Response {
    let status = response.status();
    if !status.is_success() {
        let let_go = sqlx::query!(
            "DELETE FROM idempotency_key WHERE user_id = $1 AND key = $2 AND status IS NULL",
            user,
            key
        )
        .execute(db)
        .await;
        if let Err(e) = let_go {
            // The database is away: the claim is taken over once it is abandoned.
            tracing::warn!(error = %e, "an idempotency key could not be let go");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let text = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let stored = sqlx::query!(
        "UPDATE idempotency_key SET status = $3, content_type = $4, location = $5, body = $6
         WHERE user_id = $1 AND key = $2",
        user,
        key,
        status.as_u16() as i16,
        text(header::CONTENT_TYPE),
        text(header::LOCATION),
        &body[..]
    )
    .execute(db)
    .await;
    if let Err(e) = stored {
        tracing::warn!(error = %e, "the answer to an idempotent request could not be stored");
    }
    Response::from_parts(parts, Body::from(body))
}

/// Deletes the stored answers that name `id` (a person being erased), in her erasure's
/// transaction.
pub async fn forget(tx: &mut PgConnection, id: Uuid) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM idempotency_key WHERE position(convert_to($1::text, 'UTF8') IN body) > 0",
        id.to_string()
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes the answers older than [`KEEP`] (housekeeping).
pub async fn expire(db: &PgPool) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM idempotency_key WHERE created_at < now() - make_interval(secs => $1)",
        KEEP.as_secs_f64()
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
