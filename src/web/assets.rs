//! Static files (stylesheet, scripts, icons), compiled into the binary so it runs from anywhere.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

use crate::web::error::AppError;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Assets;

/// A short hash of every static file: pages link `/static/app.css?v=<version>`, so a new
/// release is fetched at once while unchanged files stay cached.
pub fn version() -> &'static str {
    static VERSION: LazyLock<String> = LazyLock::new(|| {
        let mut files: Vec<_> = Assets::iter().collect();
        files.sort();
        let mut hasher = Sha256::new();
        for name in files {
            if let Some(file) = Assets::get(&name) {
                hasher.update(name.as_bytes());
                hasher.update(file.metadata.sha256_hash());
            }
        }
        hex::encode(&hasher.finalize()[..5])
    });
    &VERSION
}

/// `GET /static/{*path}`: the file with its type, an ETag and a week of caching.
pub async fn serve(Path(path): Path<String>, headers: HeaderMap) -> Result<Response, AppError> {
    let file = Assets::get(&path).ok_or(AppError::NotFound)?;
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..12]));
    let cache = HeaderValue::from_static("public, max-age=604800");
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag),
                (header::CACHE_CONTROL, cache.to_str().unwrap().to_owned()),
            ],
        )
            .into_response());
    }
    let mime = mime_guess::from_path(&path).first_or_octet_stream();
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(mime.as_ref()).unwrap(),
            ),
            (header::ETAG, HeaderValue::from_str(&etag).unwrap()),
            (header::CACHE_CONTROL, cache),
        ],
        file.data,
    )
        .into_response())
}
