//! `ApiJson<T>`: axum's JSON extractor with its rejections in the §5 error shape, on a body of
//! at most [`MAX_JSON_BYTES`].

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::web::error::{AppError, FieldError, FieldErrors};

/// The largest JSON body an API write takes (the largest real one, a session's log with its
/// attendance, is a few KB). Spreadsheets come as uploads, under their own limits. Read into a
/// document tree first, a body of small values takes many times its size in memory: the bound
/// keeps that small, for the login (open to anyone) as for every other write.
pub const MAX_JSON_BYTES: usize = 256 * 1024;

/// A JSON request body; one over [`MAX_JSON_BYTES`] is a 413, a body that cannot be read is a 400, one with a missing or mistyped
/// field a 422 naming the field where serde says which, a non-JSON one a 415, and one with a
/// control character in a text a 422 naming the field (`web::input`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let declared = request
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        if declared.is_some_and(|n| n > MAX_JSON_BYTES) {
            return Err(AppError::PayloadTooLarge);
        }
        // A body without a length (chunked) is cut at the bound as it is read.
        let request = request
            .map(|body| axum::body::Body::new(http_body_util::Limited::new(body, MAX_JSON_BYTES)));
        let axum::Json(value) =
            axum::Json::<serde_json::Value>::from_request(request, state).await?;
        let fields = super::input::control_characters(&value);
        if !fields.is_empty() {
            return Err(AppError::validation(fields));
        }
        // Typed from the same text, so serde names a mistyped field by its path.
        let text = serde_json::to_vec(&value).map_err(anyhow::Error::from)?;
        let axum::Json(typed) = axum::Json::<T>::from_bytes(&text)?;
        Ok(ApiJson(typed))
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType,
            JsonRejection::JsonDataError(e) => {
                let field = field_of(&e.body_text()).unwrap_or("body").to_owned();
                AppError::validation(FieldErrors::from([(
                    field,
                    FieldError::new("error.json_field"),
                )]))
            }
            other if other.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::PayloadTooLarge
            }
            JsonRejection::JsonSyntaxError(_) => {
                AppError::BadRequest("the body is not valid JSON".into())
            }
            other => AppError::BadRequest(other.body_text()),
        }
    }
}

/// The field a serde error is about: `missing field `password`` or `name: invalid type: …`
/// (axum reports the path before the message).
fn field_of(text: &str) -> Option<&str> {
    if let Some(rest) = text.split("missing field `").nth(1) {
        return rest.split('`').next();
    }
    let detail = text.split("target type: ").nth(1)?;
    let (path, _) = detail.split_once(": ")?;
    (!path.contains(' ')).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn the_field_is_found_in_serde_messages() {
        let missing = "Failed to deserialize the JSON body into the target type: missing field `password` at line 1 column 20";
        assert_eq!(field_of(missing), Some("password"));
        let typed = "Failed to deserialize the JSON body into the target type: username: invalid type: integer `5`, expected a string at line 1 column 14";
        assert_eq!(field_of(typed), Some("username"));
        assert_eq!(field_of("something else"), None);
    }
}
