//! Bounded text fields, free of control characters.
//!
//! A control character (NUL, escape, a bell…) is never part of what a person types: it is
//! refused in every text, naming the field. Long text (a note, a description) may keep its
//! line breaks and tabs; a short one (a name, a school) may not.

use super::FieldError;

/// A required text of at most `max` characters (trimmed), on one line.
pub fn required(text: &str, max: usize) -> Result<String, FieldError> {
    required_as(text, max, Lines::One)
}

/// An optional text of at most `max` characters, on one line: empty is `None`.
pub fn optional(text: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    optional_as(text, max, Lines::One)
}

/// A required long text (a note): line breaks and tabs are kept.
pub fn long_required(text: &str, max: usize) -> Result<String, FieldError> {
    required_as(text, max, Lines::Many)
}

/// An optional long text (a note): line breaks and tabs are kept; empty is `None`.
pub fn long_optional(text: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    optional_as(text, max, Lines::Many)
}

/// Whether a text may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// A name, a code, a search: no line break, no tab.
    One,
    /// A note: line breaks (`\n`, `\r`) and tabs allowed.
    Many,
}

/// The first character a text of this kind may not hold: a control character, except line
/// breaks and tabs in long text.
pub fn forbidden_char(text: &str, lines: Lines) -> Option<char> {
    text.chars()
        .find(|&c| c.is_control() && !(lines == Lines::Many && matches!(c, '\n' | '\r' | '\t')))
}

/// Refuses a text that holds a character [`forbidden_char`] finds.
pub fn no_control(text: &str, lines: Lines) -> Result<(), FieldError> {
    match forbidden_char(text, lines) {
        Some(_) => Err(FieldError::new("error.control_character")),
        None => Ok(()),
    }
}

fn required_as(text: &str, max: usize, lines: Lines) -> Result<String, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::new("error.required"));
    }
    bounded(text, max, lines)
}

fn optional_as(text: Option<&str>, max: usize, lines: Lines) -> Result<Option<String>, FieldError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => bounded(t, max, lines).map(Some),
    }
}

fn bounded(text: &str, max: usize, lines: Lines) -> Result<String, FieldError> {
    no_control(text, lines)?;
    if text.chars().count() > max {
        return Err(FieldError::new("error.too_long").with("max", max));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert_eq!(required(" 李小雨 ", 3).unwrap(), "李小雨");
        assert!(required("李小雨呀", 3).is_err());
        assert!(required("  ", 3).is_err());
        assert_eq!(optional(Some(""), 3).unwrap(), None);
    }

    #[test]
    fn control_characters_are_refused_and_long_text_keeps_its_lines() {
        let refused = FieldError::new("error.control_character");
        assert_eq!(required("李\u{0}小雨", 10), Err(refused.clone()));
        assert_eq!(optional(Some("a\u{1b}[31m"), 10), Err(refused.clone()));
        assert_eq!(required("李\t小雨", 10), Err(refused.clone()));
        assert_eq!(long_required("a\u{0}", 10), Err(refused.clone()));
        assert_eq!(long_optional(Some("a\u{85}b"), 10), Err(refused));
        assert_eq!(
            long_required("第一行\r\n第二行\t完", 20).unwrap(),
            "第一行\r\n第二行\t完"
        );
    }

    proptest! {
        #[test]
        fn what_passes_is_trimmed_bounded_and_free_of_control_characters(
            text in any::<String>(), max in 1usize..40, long in any::<bool>()
        ) {
            let lines = if long { Lines::Many } else { Lines::One };
            if let Ok(kept) = required_as(&text, max, lines) {
                prop_assert!(!kept.is_empty());
                prop_assert_eq!(kept.trim(), kept.as_str());
                prop_assert!(kept.chars().count() <= max);
                prop_assert!(forbidden_char(&kept, lines).is_none());
                prop_assert!(text.contains(&kept));
            }
            if let Ok(Some(kept)) = optional_as(Some(&text), max, lines) {
                prop_assert!(kept.chars().count() <= max);
                prop_assert!(forbidden_char(&kept, lines).is_none());
            }
        }

        #[test]
        fn a_control_character_anywhere_in_a_short_text_is_refused(
            before in "[^\\p{Cc}]{0,10}", c in proptest::char::range('\u{0}', '\u{1f}'),
            after in "[^\\p{Cc}]{0,10}"
        ) {
            let text = format!("x{before}{c}{after}x");
            prop_assert!(required(&text, 100).is_err());
        }
    }
}
