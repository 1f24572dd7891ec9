//! Administrative division codes (行政区划代码) and their levels. Whether a code exists is the
//! regions area's question.

use serde::Serialize;

use super::FieldError;

/// The level of a region in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, sqlx::Type)]
#[sqlx(type_name = "region_level", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum RegionLevel {
    /// 省
    Province,
    /// 市
    City,
    /// 县 / 区
    County,
    /// 乡镇 / 街道
    Township,
    /// 村 / 社区
    Village,
}

impl RegionLevel {
    /// The level a code of this many digits has.
    pub fn of_code_length(len: usize) -> Option<RegionLevel> {
        Some(match len {
            2 => RegionLevel::Province,
            4 => RegionLevel::City,
            6 => RegionLevel::County,
            9 => RegionLevel::Township,
            12 => RegionLevel::Village,
            _ => return None,
        })
    }
}

/// A well-formed region code: 2, 4, 6, 9 or 12 digits. Whether it exists is the store's
/// question.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RegionCode(String);

impl RegionCode {
    /// Parses a code, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<RegionCode, FieldError> {
        let text = text.trim();
        if !text.bytes().all(|b| b.is_ascii_digit())
            || RegionLevel::of_code_length(text.len()).is_none()
        {
            return Err(FieldError::new("error.region_code_format"));
        }
        Ok(RegionCode(text.to_owned()))
    }

    /// The code's digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level its length gives.
    pub fn level(&self) -> RegionLevel {
        RegionLevel::of_code_length(self.0.len()).expect("checked by parse")
    }

    /// Whether `other` lies inside this region (or is it).
    pub fn contains(&self, other: &str) -> bool {
        other.starts_with(&self.0)
    }
}

/// Whether two region codes lie in the same county (their first six digits; a province or a
/// city lies in no county). A person's residence lies in the county of her station.
pub fn same_county(a: &str, b: &str) -> bool {
    a.len() >= 6 && b.len() >= 6 && a.get(..6) == b.get(..6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_county_is_the_first_six_digits() {
        assert!(same_county("510681002006", "510681"));
        assert!(same_county("510681002", "510681101"));
        assert!(!same_county("510681002", "510623100"));
        assert!(!same_county("5106", "510681002"));
    }

    #[test]
    fn codes_have_a_level_by_length() {
        assert_eq!(
            RegionCode::parse("51").unwrap().level(),
            RegionLevel::Province
        );
        assert_eq!(
            RegionCode::parse("510681002006").unwrap().level(),
            RegionLevel::Village
        );
        assert!(RegionCode::parse("51068").is_err());
        assert!(RegionCode::parse("5106a1").is_err());
        assert!(RegionCode::parse("").is_err());
        assert!(RegionCode::parse("5106").unwrap().contains("510681002006"));
        assert!(!RegionCode::parse("5106").unwrap().contains("511922"));
    }
}
