//! Bounded text fields.

use super::FieldError;

/// A required text of at most `max` characters (trimmed).
pub fn required(text: &str, max: usize) -> Result<String, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::new("error.required"));
    }
    bounded(text, max)
}

/// An optional text of at most `max` characters: empty is `None`.
pub fn optional(text: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => bounded(t, max).map(Some),
    }
}

fn bounded(text: &str, max: usize) -> Result<String, FieldError> {
    if text.chars().count() > max {
        return Err(FieldError::new("error.too_long").with("max", max));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert_eq!(required(" 李小雨 ", 3).unwrap(), "李小雨");
        assert!(required("李小雨呀", 3).is_err());
        assert!(required("  ", 3).is_err());
        assert_eq!(optional(Some(""), 3).unwrap(), None);
    }
}
