//! 18-character resident identity numbers (GB 11643-1999).

use time::{Date, Month};

use super::FieldError;
use super::Gender;

/// Weights of the first 17 digits in the check-digit sum.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder modulo 11.
const CHECK: &[u8; 11] = b"10X98765432";

/// A resident ID number with a correct check digit and a real, past birth date. Never logged,
/// never shown whole except to a role that may see it, on request (and audited).
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber(String);

impl std::fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdNumber({})", mask(&self.0))
    }
}

impl IdNumber {
    /// Parses an ID number, saying what is wrong with a bad one.
    pub fn parse(text: &str) -> Result<IdNumber, FieldError> {
        let text = text.trim().to_ascii_uppercase();
        let b = text.as_bytes();
        if b.len() != 18
            || !b[..17].iter().all(u8::is_ascii_digit)
            || !(b[17].is_ascii_digit() || b[17] == b'X')
        {
            return Err(FieldError::new("error.id_number_format"));
        }
        let sum: u32 = b[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        if CHECK[(sum % 11) as usize] != b[17] {
            return Err(FieldError::new("error.id_number_check_digit"));
        }
        let id = IdNumber(text);
        match id.birth_date() {
            Some(born) if born <= super::today() && born.year() >= 1900 => Ok(id),
            _ => Err(FieldError::new("error.id_number_birth_date")),
        }
    }

    /// The 18 characters (for encryption and hashing only).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The birth date encoded in characters 7–14.
    pub fn birth_date(&self) -> Option<Date> {
        let s = &self.0;
        let year: i32 = s[6..10].parse().ok()?;
        let month: u8 = s[10..12].parse().ok()?;
        let day: u8 = s[12..14].parse().ok()?;
        Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
    }

    /// The gender encoded in character 17 (odd: male).
    pub fn gender(&self) -> Gender {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// Checks the number against the birth date and gender typed on the same form.
    pub fn matches(
        &self,
        birth_date: Option<Date>,
        gender: Option<Gender>,
    ) -> Result<(), FieldError> {
        if let Some(born) = birth_date
            && self.birth_date() != Some(born)
        {
            return Err(FieldError::new("error.id_number_birth_mismatch"));
        }
        if let Some(gender) = gender
            && self.gender() != gender
        {
            return Err(FieldError::new("error.id_number_gender_mismatch"));
        }
        Ok(())
    }
}

/// An ID number as lists show it: 510623********1234.
pub fn mask(id: &str) -> String {
    if id.len() == 18 && id.is_ascii() {
        format!("{}********{}", &id[..6], &id[14..])
    } else {
        "******".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    /// Makes a valid number from 17 digits by appending the right check character.
    fn valid(first17: &str) -> String {
        let sum: u32 = first17
            .bytes()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        format!("{first17}{}", CHECK[(sum % 11) as usize] as char)
    }

    #[test]
    fn a_correct_number_yields_its_birth_date_and_gender() {
        let id = IdNumber::parse(&valid("51062320160504002")).unwrap();
        assert_eq!(id.birth_date(), Some(date!(2016 - 05 - 04)));
        assert_eq!(id.gender(), Gender::Female);
        assert!(
            id.matches(Some(date!(2016 - 05 - 04)), Some(Gender::Female))
                .is_ok()
        );
        assert_eq!(
            id.matches(Some(date!(2016 - 05 - 05)), None)
                .unwrap_err()
                .key,
            "error.id_number_birth_mismatch"
        );
        assert_eq!(
            id.matches(None, Some(Gender::Male)).unwrap_err().key,
            "error.id_number_gender_mismatch"
        );
        assert_eq!(
            mask(id.expose()),
            format!("510623********{}", &id.expose()[14..])
        );
    }

    #[test]
    fn a_lowercase_x_check_character_is_accepted() {
        // 11010519491231002X is the standard's own example.
        assert!(IdNumber::parse("11010519491231002x").is_ok());
    }

    #[test]
    fn wrong_numbers_are_refused_with_the_reason() {
        let good = valid("51062320160504002");
        let mut wrong_check = good.clone();
        wrong_check.replace_range(17..18, if good.ends_with('0') { "1" } else { "0" });
        assert_eq!(
            IdNumber::parse(&wrong_check).unwrap_err().key,
            "error.id_number_check_digit"
        );
        assert_eq!(
            IdNumber::parse(&good[..17]).unwrap_err().key,
            "error.id_number_format"
        );
        assert_eq!(
            IdNumber::parse(&valid("51062320160230002"))
                .unwrap_err()
                .key,
            "error.id_number_birth_date",
            "30 February"
        );
        assert_eq!(
            IdNumber::parse(&valid("51062330160504002"))
                .unwrap_err()
                .key,
            "error.id_number_birth_date",
            "born in 3016"
        );
        assert!(
            !format!("{:?}", IdNumber::parse(&good).unwrap()).contains("20160504"),
            "Debug masks it"
        );
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn check_char(first17: &str) -> u8 {
        let sum: u32 = first17
            .bytes()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        CHECK[(sum % 11) as usize]
    }

    proptest! {
        /// No text panics, and what passes is 18 characters with the right check character
        /// and a real birth date between 1900 and today.
        #[test]
        fn whatever_is_typed_only_a_valid_number_passes(text in any::<String>()) {
            if let Ok(id) = IdNumber::parse(&text) {
                let s = id.expose();
                prop_assert_eq!(s.len(), 18);
                prop_assert!(s[..17].bytes().all(|b| b.is_ascii_digit()));
                prop_assert_eq!(check_char(&s[..17]), s.as_bytes()[17]);
                let born = id.birth_date().expect("a real date");
                prop_assert!(born.year() >= 1900 && born <= crate::domain::today());
                prop_assert_eq!(IdNumber::parse(s), Ok(id.clone()));
            }
        }

        #[test]
        fn near_misses_never_panic(text in "[0-9Xx ]{0,20}") {
            let _ = IdNumber::parse(&text);
        }

        /// A number built right passes; the same with one digit changed does not.
        #[test]
        fn a_correct_number_passes_and_a_typo_is_caught(
            region in "[1-6][0-9]{5}", born in 0i32..36_000, seq in "[0-9]{3}",
            at in 0usize..17, delta in 1u8..10
        ) {
            let date = Date::from_calendar_date(1920, Month::January, 1).unwrap()
                + time::Duration::days(born.into());
            prop_assume!(date <= crate::domain::today());
            let first17 = format!(
                "{region}{:04}{:02}{:02}{seq}",
                date.year(), date.month() as u8, date.day()
            );
            let id = format!("{first17}{}", check_char(&first17) as char);
            prop_assert_eq!(IdNumber::parse(&id).map(|i| i.birth_date()), Ok(Some(date)));
            let mut typo = id.into_bytes();
            typo[at] = b'0' + (typo[at] - b'0' + delta) % 10;
            prop_assert!(IdNumber::parse(std::str::from_utf8(&typo).unwrap()).is_err());
        }
    }
}
