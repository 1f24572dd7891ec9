//! Children (留守儿童 / 困境儿童) and their record; guardians and their consent.

mod child;
mod guardians;

pub use child::*;
pub use guardians::*;

use crate::web::error::{FieldError, FieldErrors};

/// The word typed for `field`, parsed: a blank is refused only when `required`, an unknown word
/// always.
fn choice<T>(
    text: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    field: &str,
    required: bool,
    errors: &mut FieldErrors,
) -> Option<T> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => {
            if required {
                errors.insert(field.to_owned(), FieldError::new("error.required"));
            }
            None
        }
        Some(t) => parse(t).or_else(|| {
            errors.insert(field.to_owned(), FieldError::new("error.choice"));
            None
        }),
    }
}

/// The words typed for `field`, parsed, each kept once; an unknown word is refused.
fn choices<T: PartialEq>(
    items: &[String],
    parse: impl Fn(&str) -> Option<T>,
    field: &str,
    errors: &mut FieldErrors,
) -> Vec<T> {
    let mut out = Vec::new();
    for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        match parse(item) {
            Some(v) if !out.contains(&v) => out.push(v),
            Some(_) => {}
            None => {
                errors.insert(field.to_owned(), FieldError::new("error.choice"));
            }
        }
    }
    out
}
