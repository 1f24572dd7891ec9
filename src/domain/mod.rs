//! Values every area shares, parsed once at the edge (parse, don't validate): mobile numbers,
//! resident ID numbers, names and bounded text, dates, gender.

mod field;
pub mod id_number;
pub mod pairing;
pub mod phone;
pub mod region;
mod role;
pub mod skill;
pub mod text;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

pub use field::{FieldError, FieldErrors};
pub use id_number::IdNumber;
pub use phone::Phone;
pub use region::{RegionCode, RegionLevel};
pub use role::Role;

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
    /// Message key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            Gender::Female => "gender.female",
            Gender::Male => "gender.male",
        }
    }

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
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize, ::sqlx::Type)]
        #[sqlx(type_name = $sql)]
        pub enum $name { $(#[doc = $word] #[sqlx(rename = $word)] #[serde(rename = $word)] $variant),+ }

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

        impl $crate::domain::Labelled for $name {
            fn label_key(self) -> &'static str {
                $name::label_key(self)
            }
        }
    };
}
pub(crate) use word_enum;

/// A value shown by its label (a need, a topic, a difficulty): the message key of its name.
pub trait Labelled: Copy {
    /// Message key of its name.
    fn label_key(self) -> &'static str;
}

/// The labels of `items` as a list in `lang` (学业、情感 · "Academic, Emotional"), each once.
pub fn labels<T: Labelled>(lang: crate::i18n::Lang, items: &[T]) -> String {
    lang.list(items.iter().map(|i| lang.t(i.label_key())))
}

/// Today in China (UTC+8), the day the federation's staff live in.
pub fn today() -> Date {
    OffsetDateTime::now_utc().to_offset(CHINA).date()
}

/// China's time zone (UTC+8, no summer time).
pub const CHINA: time::UtcOffset = time::macros::offset!(+8);

/// Compound surnames (复姓) that stay together when a name is cut to its given name.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "令狐", "夏侯", "轩辕", "端木", "澹台", "独孤", "南宫", "西门", "百里", "呼延", "赫连", "万俟",
    "闻人", "申屠", "太史", "钟离", "宗政", "濮阳", "公冶", "单于", "仲孙", "司空", "鲜于", "闾丘",
    "拓跋", "段干", "东郭", "左丘", "梁丘", "第五", "公羊", "谷梁",
];

/// The given name (名) of a full name — what a wish wall and a volunteer see of a child: 王小明 → 小明,
/// 欧阳晓琳 → 晓琳. A two-character name keeps its last character (李雨 → 雨); a name written
/// with a middle dot (阿依古丽·买买提) keeps its part before the dot, which is the given name
/// in those names; a one-character name, or one that is not Chinese, keeps its first word.
pub fn given_name(full: &str) -> String {
    let full = full.trim();
    if let Some((given, _)) = full.split_once(['·', '•', '・']) {
        return given.trim().to_owned();
    }
    if !full.chars().next().is_some_and(is_han) {
        return full.split_whitespace().next().unwrap_or("").to_owned();
    }
    let chars: Vec<char> = full.chars().collect();
    let surname = if chars.len() >= 3 && COMPOUND_SURNAMES.iter().any(|s| full.starts_with(s)) {
        2
    } else {
        1
    };
    if chars.len() <= surname {
        return full.to_owned();
    }
    chars[surname..].iter().collect()
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{20000}'..='\u{2ebef}')
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

word_enum!(
    /// Why a child is in the programme, or on the civil-affairs roster: left behind, or in
    /// difficulty (the children's area and the roster both name it).
    Category, "child_category", "child.category", [LeftBehind = "left_behind", InDifficulty = "in_difficulty"]
);

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_wall_shows_the_given_name_only() {
        assert_eq!(given_name("王小明"), "小明");
        assert_eq!(given_name("李雨"), "雨");
        assert_eq!(given_name("欧阳晓琳"), "晓琳");
        assert_eq!(given_name("司马光"), "光");
        assert_eq!(given_name("阿依古丽·买买提"), "阿依古丽");
        assert_eq!(given_name("Anna Li"), "Anna");
        assert_eq!(given_name("王"), "王");
    }

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

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// No text panics; a date that passes reads back the same, and a past date is not
        /// after today.
        #[test]
        fn whatever_is_typed_a_date_that_passes_is_a_real_date(text in any::<String>()) {
            if let Ok(date) = parse_date(&text) {
                prop_assert_eq!(parse_date(&date.to_string()), Ok(date));
            }
            if let Ok(date) = past_date(&text) {
                prop_assert!(date <= today());
            }
        }

        #[test]
        fn near_misses_never_panic(text in "[-+0-9 ]{0,14}") {
            let _ = parse_date(&text);
        }

        /// Every calendar day reads back as itself; a day past the month's end never passes.
        #[test]
        fn every_real_day_passes_and_no_other(year in 1900i32..2100, month in 1u8..=12, day in 1u8..=31) {
            let text = format!("{year:04}-{month:02}-{day:02}");
            let real = Date::from_calendar_date(year, time::Month::try_from(month).unwrap(), day);
            prop_assert_eq!(parse_date(&text).ok(), real.ok());
        }
    }
}
