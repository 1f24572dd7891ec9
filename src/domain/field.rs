//! A field's error: what a form or a JSON body shows next to the field that is wrong.

use std::collections::BTreeMap;

use crate::i18n::Lang;

/// A field's error: a message key and the values for its placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Message key in the i18n files.
    pub key: &'static str,
    /// Placeholder values, e.g. `("max", "50")`.
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    /// An error without placeholders.
    pub fn new(key: &'static str) -> Self {
        FieldError {
            key,
            args: Vec::new(),
        }
    }

    /// Adds a placeholder value.
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        lang.tf(self.key, &args)
    }
}

/// Field name → error, in a stable order.
pub type FieldErrors = BTreeMap<String, FieldError>;
