//! A relationship survey as the API and the pages see it: who answered, the five answers and
//! their score, a pairing's surveys with their trend, the input and its checks, and the form a
//! page draws (the five statements worded for the respondent, each a row of five thumb-sized
//! choices, what was typed kept when refused).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::rule::{self, Score};
use crate::domain::pairing::PairingStatus;
use crate::domain::{self, word_enum};
use crate::web::Errors;
use crate::web::error::{FieldError, FieldErrors};

word_enum!(
    /// Who answered: the volunteer about herself and the child, or the guardian.
    SurveyRespondent, "survey_respondent", "survey.respondent",
    [Volunteer = "volunteer", Guardian = "guardian"]
);

/// The five statements, in the order they are asked. Each is worded for its respondent:
/// `survey.question.<key>.volunteer|guardian`.
pub const QUESTIONS: [&str; 5] = ["trust", "enjoy", "talks", "support", "change"];

/// The five answers, each 1–5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Answers {
    pub trust: i16,
    pub enjoy: i16,
    pub talks: i16,
    pub support: i16,
    pub change: i16,
}

impl Answers {
    pub(super) fn from_list([trust, enjoy, talks, support, change]: [i16; 5]) -> Answers {
        Answers {
            trust,
            enjoy,
            talks,
            support,
            change,
        }
    }

    fn list(&self) -> [i16; 5] {
        [
            self.trust,
            self.enjoy,
            self.talks,
            self.support,
            self.change,
        ]
    }

    /// The mean of the five.
    pub fn score(&self) -> Score {
        Score::of(self.list())
    }
}

/// A survey as the API answers it.
#[derive(Debug, Clone, Serialize)]
pub struct Survey {
    pub id: Uuid,
    pub pairing_id: Uuid,
    pub respondent: SurveyRespondent,
    pub answers: Answers,
    /// The mean of the answers, one decimal.
    pub score: Score,
    pub answered_on: Date,
    /// The check-in it was recorded at, if any.
    pub check_in_id: Option<Uuid>,
    /// Who recorded it, by name.
    pub recorded_by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// When the volunteer's survey is due: only while the pairing runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DueNow {
    /// Whether she should answer now.
    pub volunteer: bool,
    /// The day it fell or falls due; none on an ended pairing.
    pub due_on: Option<Date>,
}

/// A pairing's surveys, the latest first, and what they say together: `GET
/// /api/v1/pairings/{id}/surveys`.
#[derive(Debug, Clone, Serialize)]
pub struct Surveys {
    pub items: Vec<Survey>,
    pub due: DueNow,
    /// Whether the latest survey is a sharp drop.
    pub drop: bool,
    /// The latest survey's score.
    pub score: Option<Score>,
    /// For each item, whether it dropped against the same respondent's survey before it.
    #[serde(skip)]
    pub dropped: Vec<bool>,
}

impl Surveys {
    /// `items` the latest first; the volunteer's due day from the pairing's facts.
    pub(super) fn of(
        items: Vec<Survey>,
        (status, started_on): (PairingStatus, Date),
        today: Date,
    ) -> Surveys {
        let oldest_first: Vec<(SurveyRespondent, Score)> = items
            .iter()
            .rev()
            .map(|s| (s.respondent, s.score))
            .collect();
        let mut dropped = rule::drops(&oldest_first);
        dropped.reverse();
        let last_volunteer = items
            .iter()
            .filter(|s| s.respondent == SurveyRespondent::Volunteer)
            .map(|s| s.answered_on)
            .max();
        let due = if status == PairingStatus::Active {
            let d = rule::volunteer_due(started_on, last_volunteer, today);
            DueNow {
                volunteer: d.volunteer,
                due_on: Some(d.due_on),
            }
        } else {
            DueNow {
                volunteer: false,
                due_on: None,
            }
        };
        Surveys {
            drop: dropped.first().copied().unwrap_or(false),
            score: items.first().map(|s| s.score),
            items,
            due,
            dropped,
        }
    }

    /// Whether the item at `i` (latest first) is a sharp drop.
    pub fn dropped_at(&self, i: &usize) -> bool {
        self.dropped.get(*i).copied().unwrap_or(false)
    }
}

/// A survey as sent: `respondent`, `answers` (`trust`, `enjoy`, `talks`, `support`, `change`,
/// each a whole number 1–5), optional `answered_on` (default today, or the check-in's day) and
/// `check_in_id`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SurveyInput {
    pub respondent: Option<String>,
    pub answers: Option<Map<String, Value>>,
    pub answered_on: Option<String>,
    pub check_in_id: Option<Uuid>,
}

/// A checked survey.
#[derive(Debug, Clone)]
pub struct ValidSurvey {
    pub respondent: SurveyRespondent,
    pub answers: Answers,
    /// As given; none: the check-in's day, or today.
    pub answered_on: Option<Date>,
    pub check_in_id: Option<Uuid>,
}

impl SurveyInput {
    /// The respondent named, if it is one.
    pub(super) fn respondent(&self) -> Option<SurveyRespondent> {
        self.respondent.as_deref().and_then(SurveyRespondent::parse)
    }

    pub fn validate(&self) -> Result<ValidSurvey, FieldErrors> {
        let mut fields = FieldErrors::new();
        let respondent = match self.respondent.as_deref().map(str::trim) {
            None | Some("") => {
                fields.insert("respondent".into(), FieldError::new("error.required"));
                None
            }
            Some(w) => SurveyRespondent::parse(w).or_else(|| {
                fields.insert("respondent".into(), FieldError::new("error.choice"));
                None
            }),
        };
        let empty = Map::new();
        let given = self.answers.as_ref().unwrap_or(&empty);
        let mut list = [0i16; 5];
        for (slot, key) in list.iter_mut().zip(QUESTIONS) {
            match given.get(key) {
                None | Some(Value::Null) => {
                    fields.insert(format!("answers.{key}"), FieldError::new("error.required"));
                }
                Some(v) => match v.as_i64() {
                    Some(n @ 1..=5) => *slot = n as i16,
                    _ => {
                        fields.insert(
                            format!("answers.{key}"),
                            FieldError::new("error.survey_answer_range"),
                        );
                    }
                },
            }
        }
        let answered_on = match self.answered_on.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => domain::past_date(t)
                .map_err(|e| fields.insert("answered_on".into(), e))
                .ok(),
        };
        match respondent {
            Some(respondent) if fields.is_empty() => Ok(ValidSurvey {
                respondent,
                answers: Answers::from_list(list),
                answered_on,
                check_in_id: self.check_in_id,
            }),
            _ => Err(fields),
        }
    }
}

/// The points of the scale, with their words.
const SCALE: [(u8, &str); 5] = [
    (1, "survey.scale.1"),
    (2, "survey.scale.2"),
    (3, "survey.scale.3"),
    (4, "survey.scale.4"),
    (5, "survey.scale.5"),
];

/// The survey form as a page posts it (the pairing's page for staff, her portal for the
/// volunteer), and as it is drawn again with what was typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct SurveyForm {
    pub respondent: String,
    pub trust: String,
    pub enjoy: String,
    pub talks: String,
    pub support: String,
    pub change: String,
    pub answered_on: String,
    pub check_in_id: String,
}

impl SurveyForm {
    /// An empty form for `respondent`.
    pub fn for_respondent(respondent: SurveyRespondent) -> SurveyForm {
        SurveyForm {
            respondent: respondent.as_str().to_owned(),
            ..SurveyForm::default()
        }
    }

    pub fn input(&self) -> SurveyInput {
        let answers = QUESTIONS
            .iter()
            .filter_map(|key| {
                let typed = self.answer(key).trim();
                // Not a number: refused as out of range.
                (!typed.is_empty()).then(|| {
                    let n = typed.parse::<i64>().map(Value::from);
                    (key.to_string(), n.unwrap_or(Value::from(0)))
                })
            })
            .collect();
        SurveyInput {
            respondent: Some(self.respondent.clone()),
            answers: Some(answers),
            answered_on: Some(self.answered_on.clone()),
            // Not an id: no check-in of this pairing, refused as such.
            check_in_id: match self.check_in_id.trim() {
                "" => None,
                id => Some(Uuid::parse_str(id).unwrap_or(Uuid::nil())),
            },
        }
    }

    pub fn questions(&self) -> &'static [&'static str] {
        &QUESTIONS
    }

    /// The five points of the scale and the message key of each (1 很不同意 … 5 很同意).
    pub fn scale(&self) -> &'static [(u8, &'static str)] {
        &SCALE
    }

    /// The answer typed for a question.
    pub fn answer(&self, key: &str) -> &str {
        match key {
            "trust" => &self.trust,
            "enjoy" => &self.enjoy,
            "talks" => &self.talks,
            "support" => &self.support,
            "change" => &self.change,
            _ => "",
        }
    }

    /// The message key of a statement as this form's respondent reads it.
    pub fn question_key(&self, key: &str) -> String {
        let who = SurveyRespondent::parse(&self.respondent).unwrap_or(SurveyRespondent::Guardian);
        format!("survey.question.{key}.{}", who.as_str())
    }

    /// The error shown beside a question (`survey.<key>`).
    pub fn error<'a>(&self, errors: &'a Errors, key: &str) -> Option<&'a String> {
        errors.get(&format!("survey.{key}"))
    }

    /// A page's name for an API field: `answers.trust` → `survey.trust`, `answered_on` →
    /// `survey.answered_on` (the survey form's fields are named apart from the page's others).
    pub fn field(api_field: &str) -> String {
        format!("survey.{}", api_field.trim_start_matches("answers."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, keys};
    use serde_json::json;

    fn input(body: Value) -> SurveyInput {
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn every_statement_is_worded_for_both_respondents_in_both_languages() {
        for lang in [Lang::ZhCn, Lang::En] {
            let known = keys(lang);
            for key in QUESTIONS {
                for who in SurveyRespondent::ALL {
                    let message = format!("survey.question.{key}.{}", who.as_str());
                    assert!(known.contains(&message.as_str()), "{message}");
                }
                assert!(
                    known.contains(&format!("field.{key}").as_str()),
                    "field.{key}"
                );
            }
            for (_, word) in SCALE {
                assert!(known.contains(&word), "{word}");
            }
        }
    }

    #[test]
    fn all_five_answers_are_whole_numbers_from_one_to_five() {
        let good = input(json!({
            "respondent": "volunteer",
            "answers": {"trust": 4, "enjoy": 5, "talks": 4, "support": 3, "change": 5}
        }))
        .validate()
        .unwrap();
        assert_eq!(good.answers.score().to_string(), "4.2");
        assert_eq!(good.answered_on, None);

        let bad = input(json!({
            "respondent": "guardian",
            "answers": {"trust": 0, "enjoy": 6, "talks": 2.5, "support": "4"}
        }))
        .validate()
        .unwrap_err();
        let named: Vec<&str> = bad.keys().map(String::as_str).collect();
        assert_eq!(
            named,
            [
                "answers.change",
                "answers.enjoy",
                "answers.support",
                "answers.talks",
                "answers.trust"
            ]
        );
        let none = input(json!({})).validate().unwrap_err();
        assert!(none.contains_key("respondent") && none.contains_key("answers.trust"));
    }

    #[test]
    fn a_form_keeps_what_was_typed_and_names_its_fields_apart() {
        let form = SurveyForm {
            respondent: "guardian".into(),
            trust: "5".into(),
            enjoy: "x".into(),
            ..SurveyForm::default()
        };
        let refused = form.input().validate().unwrap_err();
        assert!(refused.contains_key("answers.enjoy") && refused.contains_key("answers.talks"));
        assert_eq!(SurveyForm::field("answers.enjoy"), "survey.enjoy");
        assert_eq!(form.question_key("trust"), "survey.question.trust.guardian");
        assert_eq!(form.answer("trust"), "5");
    }
}
