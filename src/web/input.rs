//! Control characters, refused at the door: the query string of every route (`Query`) and
//! every JSON body (`ApiJson`) is searched for them before a handler sees it, and a request
//! holding one answers 422 `validation_failed` naming the parameter or field. A NUL would
//! otherwise reach PostgreSQL, which cannot store it.
//!
//! Forms are checked where their fields are parsed (`domain::text`), so that a page shows the
//! error beside the field and keeps what was typed. Line breaks and tabs pass here: only long
//! text keeps them, and `domain::text` tells which is which.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::domain::text::{self, Lines};
use crate::web::error::{AppError, FieldError, FieldErrors};

/// A query string deserialized into `T` (axum's `Query`), after every parameter was searched
/// for a control character.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        // A query string is one line: no line break or tab either.
        if let Ok(axum::extract::Query(pairs)) =
            axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        {
            let fields: FieldErrors = pairs
                .iter()
                .filter(|(name, value)| {
                    text::forbidden_char(name, Lines::One).is_some()
                        || text::forbidden_char(value, Lines::One).is_some()
                })
                .map(|(name, _)| (field_name(name), refused()))
                .collect();
            if !fields.is_empty() {
                return Err(AppError::validation(fields));
            }
        }
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state)
                .await
                .map_err(|e| AppError::BadRequest(e.body_text()))?;
        Ok(Query(value))
    }
}

/// The fields of a JSON value whose text (or name) holds a control character other than a
/// line break or a tab, by their path (`schedule[0].opens`).
pub fn control_characters(value: &serde_json::Value) -> FieldErrors {
    let mut fields = FieldErrors::new();
    walk(value, "", &mut fields);
    fields
}

fn walk(value: &serde_json::Value, path: &str, fields: &mut FieldErrors) {
    use serde_json::Value;
    match value {
        Value::String(s) if text::forbidden_char(s, Lines::Many).is_some() => {
            let field = if path.is_empty() { "body" } else { path };
            fields.insert(field.to_owned(), refused());
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{i}]"), fields);
            }
        }
        Value::Object(map) => {
            for (name, item) in map {
                let name = field_name(name);
                let path = if path.is_empty() {
                    name
                } else {
                    format!("{path}.{name}")
                };
                if text::forbidden_char(&path, Lines::One).is_some() {
                    fields.insert("body".into(), refused());
                } else {
                    walk(item, &path, fields);
                }
            }
        }
        _ => {}
    }
}

/// A name as an answer may repeat it: control characters shown escaped.
fn field_name(name: &str) -> String {
    name.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

fn refused() -> FieldError {
    FieldError::new("error.control_character")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_control_character_is_found_where_it_sits() {
        let body = json!({
            "name": "a\u{0}",
            "note": "第一行\n第二行\t完",
            "schedule": [{ "opens": "9:00" }, { "opens": "\u{1b}" }],
        });
        let fields = control_characters(&body);
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            ["name", "schedule[1].opens"]
        );
        assert_eq!(field_name("q\u{0}"), "q\\u{0}");
    }
}
