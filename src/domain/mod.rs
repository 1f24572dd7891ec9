//! Values every area shares, parsed once at the edge (parse, don't validate): mobile numbers,
//! resident ID numbers, names and bounded text, dates, gender.

pub mod id_number;
pub mod phone;
pub mod text;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::error::FieldError;
pub use id_number::IdNumber;
pub use phone::Phone;

/// Gender, as the ID number and the forms record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "gender", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// 女
    Female,
    /// 男
    Male,
}

impl Gender {
    /// Parses the API word.
    pub fn parse(text: &str) -> Result<Gender, FieldError> {
        match text.trim() {
            "female" | "女" => Ok(Gender::Female),
            "male" | "男" => Ok(Gender::Male),
            "" => Err(FieldError::new("error.required")),
            _ => Err(FieldError::new("error.choice")),
        }
    }

    /// The API word.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
        }
    }
}

/// Declares an enumeration stored as a PostgreSQL enum and spoken as English words in the API
/// (`left_behind`), with the message key of its label (`child.category.left_behind`).
macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident, $sql:literal, $prefix:literal, [$($variant:ident = $word:literal),+ $(,)?]) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, ::serde::Serialize, ::serde::Deserialize, ::sqlx::Type)]
        #[sqlx(type_name = $sql, rename_all = "snake_case")]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $(#[doc = $word] $variant),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The API word.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            /// Parses the API word.
            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text.trim())
            }

            /// Message key of its name.
            pub fn label_key(self) -> &'static str {
                match self { $($name::$variant => concat!($prefix, ".", $word)),+ }
            }
        }
    };
}
pub(crate) use word_enum;

/// Today in China (UTC+8), the day the federation's staff live in.
pub fn today() -> Date {
    OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+8))
        .date()
}

/// Parses an ISO date (2026-10-03) that is not in the future.
pub fn past_date(text: &str) -> Result<Date, FieldError> {
    let date = parse_date(text)?;
    if date > today() {
        return Err(FieldError::new("error.date_future"));
    }
    Ok(date)
}

/// Parses an ISO date (2026-10-03).
pub fn parse_date(text: &str) -> Result<Date, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::new("error.required"));
    }
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| FieldError::new("error.date_format"))
}

/// Whole years between `birth` and `on`.
pub fn age_on(birth: Date, on: Date) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month() as u8, on.day()) < (birth.month() as u8, birth.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn ages_count_whole_years() {
        assert_eq!(age_on(date!(2016 - 05 - 04), date!(2026 - 05 - 03)), 9);
        assert_eq!(age_on(date!(2016 - 05 - 04), date!(2026 - 05 - 04)), 10);
    }

    #[test]
    fn dates_are_iso_and_not_in_the_future() {
        assert!(past_date("2026-02-30").is_err());
        assert!(past_date("3026-01-01").is_err());
        assert_eq!(past_date("2020-02-29").unwrap(), date!(2020 - 02 - 29));
        assert!(past_date("2020/02/29").is_err());
    }
}
