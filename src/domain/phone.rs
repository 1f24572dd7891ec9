//! Mainland mobile numbers.

use serde::Serialize;

use super::FieldError;

/// A mainland China mobile number: 11 digits starting 13–19. Spaces, dashes and a +86 prefix
/// are accepted on input and dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Parses a mobile number.
    pub fn parse(text: &str) -> Result<Phone, FieldError> {
        let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = digits
            .strip_prefix("+86")
            .or_else(|| digits.strip_prefix("0086"))
            .unwrap_or(&digits);
        if digits.is_empty() {
            return Err(FieldError::new("error.required"));
        }
        let b = digits.as_bytes();
        if b.len() != 11
            || b[0] != b'1'
            || !(b'3'..=b'9').contains(&b[1])
            || !b.iter().all(u8::is_ascii_digit)
        {
            return Err(FieldError::new("error.phone_format"));
        }
        Ok(Phone(digits.to_owned()))
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored mobile number as lists show it: 138****5678.
pub fn mask(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "****".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers() {
        assert_eq!(
            Phone::parse("138 1234 5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            Phone::parse("+86 139-0000-1111").unwrap().as_str(),
            "13900001111"
        );
        assert!(Phone::parse("1381234567").is_err(), "10 digits");
        assert!(Phone::parse("12812345678").is_err(), "no 12x numbers");
        assert!(Phone::parse("1381234567a").is_err());
        assert_eq!(mask("13812345678"), "138****5678");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// No text panics, and what passes is 11 digits starting 13–19.
        #[test]
        fn whatever_is_typed_only_a_mobile_number_passes(text in any::<String>()) {
            if let Ok(phone) = Phone::parse(&text) {
                let s = phone.as_str();
                prop_assert_eq!(s.len(), 11);
                prop_assert!(s.bytes().all(|b| b.is_ascii_digit()));
                prop_assert!(s.starts_with('1') && (b'3'..=b'9').contains(&s.as_bytes()[1]));
                prop_assert_eq!(Phone::parse(s), Ok(phone.clone()));
            }
        }

        #[test]
        fn near_misses_never_panic(text in "[+0-9 -]{0,20}") {
            let _ = Phone::parse(&text);
        }

        /// A number written with a prefix, spaces or dashes is the same number.
        #[test]
        fn a_number_is_found_however_it_is_written(
            digits in "1[3-9][0-9]{9}", prefix in "(|\\+86|0086|\\+86 )", dash in "[ -]?"
        ) {
            let written = format!("{prefix}{}{dash}{}{dash}{}", &digits[..3], &digits[3..7], &digits[7..]);
            prop_assert_eq!(Phone::parse(&written).map(|p| p.as_str().to_owned()), Ok(digits));
        }
    }
}
