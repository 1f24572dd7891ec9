//! The two rules of relationship surveys, as pure functions: when the volunteer's survey is due,
//! and what counts as a sharp drop. The pairing's page, the API and her portal all ask these;
//! the database's `survey_is_drop` (which keeps `pairing.relationship_drop`) says the same as
//! [`is_drop`].

use serde::{Serialize, Serializer};
use time::{Date, Month};

/// A survey's score: the mean of its five answers, kept in tenths so that it is exact (a sum of
/// five whole numbers over five has one decimal at most).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Score(pub i16);

impl Score {
    /// The mean of `answers`, each 1–5.
    pub fn of(answers: [i16; 5]) -> Score {
        Score(answers.iter().sum::<i16>() * 2)
    }

    /// The score as a number (4.2).
    pub fn value(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

impl Serialize for Score {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.value())
    }
}

/// A score at or below this is a drop whatever came before (2.0).
pub const LOW: Score = Score(20);
/// A fall of at least this from the same respondent's previous score is a drop (1.0).
pub const FALL: i16 = 10;

/// Whether a survey scoring `score` is a sharp drop, after the same respondent's `previous`
/// score on the pairing (none for her first).
pub fn is_drop(score: Score, previous: Option<Score>) -> bool {
    score <= LOW || previous.is_some_and(|p| p.0 - score.0 >= FALL)
}

/// For surveys listed oldest first as (respondent, score), whether each is a sharp drop against
/// the same respondent's survey before it.
pub fn drops<R: PartialEq + Copy>(oldest_first: &[(R, Score)]) -> Vec<bool> {
    oldest_first
        .iter()
        .enumerate()
        .map(|(i, (who, score))| {
            let previous = oldest_first[..i]
                .iter()
                .rev()
                .find(|(w, _)| w == who)
                .map(|(_, s)| *s);
            is_drop(*score, previous)
        })
        .collect()
}

/// The volunteer's first survey is asked this many months into the pairing.
pub const FIRST_AFTER_MONTHS: u32 = 3;
/// Then again this many months after her last one.
pub const EVERY_MONTHS: u32 = 12;

/// When the volunteer's next survey falls due, and whether it is due today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Due {
    /// Whether she should answer now.
    pub volunteer: bool,
    /// The day it fell (or falls) due.
    pub due_on: Date,
}

/// The volunteer's survey is due from three months after the pairing's first day, unless she
/// has answered one since then; after that, twelve months after her last one. A survey
/// answered before the three months does not stand for the three-month one.
pub fn volunteer_due(started_on: Date, last_answered: Option<Date>, today: Date) -> Due {
    let first = add_months(started_on, FIRST_AFTER_MONTHS);
    let due_on = match last_answered {
        Some(last) if last >= first => add_months(last, EVERY_MONTHS),
        _ => first,
    };
    Due {
        volunteer: today >= due_on,
        due_on,
    }
}

/// `date` plus `months` calendar months; a day past the month's end falls on its last day
/// (30 November + 3 months = 28 or 29 February).
pub fn add_months(date: Date, months: u32) -> Date {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + months as i32;
    let (year, month) = (index.div_euclid(12), (index.rem_euclid(12) + 1) as u8);
    let month = Month::try_from(month).unwrap_or(Month::January);
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_score_is_the_mean_of_the_five_to_one_decimal() {
        assert_eq!(Score::of([4, 4, 5, 4, 4]).to_string(), "4.2");
        assert_eq!(Score::of([5, 5, 5, 5, 5]).to_string(), "5.0");
        assert_eq!(Score::of([1, 2, 1, 2, 1]).value(), 1.4);
        assert_eq!(
            serde_json::to_string(&Score::of([3, 4, 3, 4, 3])).unwrap(),
            "3.4"
        );
    }

    #[test]
    fn a_drop_is_a_fall_of_one_point_or_a_score_of_two_or_less() {
        assert!(!is_drop(Score(42), None), "a first good score");
        assert!(is_drop(Score(20), None), "2.0 is low on its own");
        assert!(!is_drop(Score(22), None));
        assert!(is_drop(Score(34), Some(Score(44))), "a fall of exactly 1.0");
        assert!(!is_drop(Score(36), Some(Score(44))), "a fall of 0.8");
        assert!(!is_drop(Score(48), Some(Score(30))), "a rise");
    }

    #[test]
    fn a_drop_is_measured_against_the_same_respondents_previous_survey() {
        #[derive(Debug, Clone, Copy, PartialEq)]
        enum Who {
            Volunteer,
            Guardian,
        }
        use Who::*;
        let list = [
            (Volunteer, Score(46)),
            (Guardian, Score(30)),
            // 1.2 below the guardian's 3.0 would not matter: the volunteer's last was 4.6.
            (Volunteer, Score(40)),
            (Guardian, Score(26)),
            (Volunteer, Score(30)),
        ];
        assert_eq!(drops(&list), [false, false, false, false, true]);
    }

    #[test]
    fn the_volunteers_survey_is_due_at_three_months_and_then_yearly() {
        let start = date!(2026 - 01 - 15);
        let due = volunteer_due(start, None, date!(2026 - 04 - 14));
        assert_eq!(due.due_on, date!(2026 - 04 - 15));
        assert!(!due.volunteer, "not before three months");
        assert!(volunteer_due(start, None, date!(2026 - 04 - 15)).volunteer);
        // One answered early does not stand for the three-month one.
        assert!(volunteer_due(start, Some(date!(2026 - 03 - 01)), date!(2026 - 05 - 01)).volunteer);
        // Answered at four months: due again a year after that.
        let after = volunteer_due(start, Some(date!(2026 - 05 - 20)), date!(2026 - 06 - 01));
        assert_eq!(after.due_on, date!(2027 - 05 - 20));
        assert!(!after.volunteer);
        assert!(volunteer_due(start, Some(date!(2026 - 05 - 20)), date!(2027 - 05 - 20)).volunteer);
    }

    #[test]
    fn months_are_added_by_the_calendar() {
        assert_eq!(add_months(date!(2026 - 11 - 30), 3), date!(2027 - 02 - 28));
        assert_eq!(add_months(date!(2027 - 11 - 30), 3), date!(2028 - 02 - 29));
        assert_eq!(add_months(date!(2026 - 10 - 31), 12), date!(2027 - 10 - 31));
        assert_eq!(add_months(date!(2026 - 12 - 01), 1), date!(2027 - 01 - 01));
    }
}
