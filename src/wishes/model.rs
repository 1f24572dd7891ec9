//! Micro-wishes (微心愿): a child's small wish, posted → claimed (by a volunteer in the system or
//! a named partner organization) → fulfilled, or cancelled before that.

use serde::{Deserialize, Serialize, Serializer};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::domain::{self, text, word_enum};
use crate::web::error::{FieldError, FieldErrors};

word_enum!(
    /// What the wish is for: 学习用品, 图书, 衣物, 生活用品, 玩具, 体育用品, 文艺用品, 其他.
    Category, "wish_category", "wish.category",
    [Study = "study", Books = "books", Clothing = "clothing", Daily = "daily", Toys = "toys",
     Sports = "sports", Arts = "arts", Other = "other"]
);

word_enum!(
    /// Where a wish stands: waiting for someone to take it on, promised by someone, received by
    /// the child, or withdrawn before it was fulfilled.
    WishStatus, "wish_status", "wish.status",
    [Posted = "posted", Claimed = "claimed", Fulfilled = "fulfilled", Cancelled = "cancelled"]
);

/// An amount of yuan, kept in fen (分) so that sums are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Yuan(i64);

impl Yuan {
    /// Most a micro-wish may cost (the column holds up to 99,999,999.99).
    const MAX_FEN: i64 = 9_999_999_999;

    /// From fen.
    pub fn from_fen(fen: i64) -> Yuan {
        Yuan(fen)
    }

    /// In fen.
    pub fn fen(self) -> i64 {
        self.0
    }

    /// Parses `25`, `25.5` or `25.50` (no more than two decimals, not negative).
    pub fn parse(text: &str) -> Result<Yuan, FieldError> {
        let text = text.trim().trim_start_matches('¥').trim();
        let bad = || FieldError::new("error.amount");
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty()
            || whole.len() > 8
            || frac.len() > 2
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        let fen = whole * 100 + frac;
        if fen > Self::MAX_FEN {
            return Err(bad());
        }
        Ok(Yuan(fen))
    }

    /// `25.50`.
    pub fn display(&self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl Serialize for Yuan {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A JSON number of yuan (25.5); two decimals at most, so an f64 shows it exactly.
        s.serialize_f64(self.0 as f64 / 100.0)
    }
}

/// An amount as typed: a JSON number or text.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AmountInput {
    /// `25.5`
    Number(serde_json::Number),
    /// `"25.50"`
    Text(String),
}

impl AmountInput {
    fn parse(&self) -> Result<Option<Yuan>, FieldError> {
        match self {
            AmountInput::Number(n) => Yuan::parse(&n.to_string()).map(Some),
            AmountInput::Text(t) if t.trim().is_empty() => Ok(None),
            AmountInput::Text(t) => Yuan::parse(t).map(Some),
        }
    }
}

/// A wish as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Wish {
    pub id: Uuid,
    /// The child.
    pub child_id: Uuid,
    /// The child's name as the caller may see it: the given name only for volunteers.
    pub child_name: String,
    /// The child's station.
    pub station_id: Uuid,
    /// What the child wishes for.
    pub text: String,
    pub category: Category,
    /// Estimated cost in yuan.
    pub estimated_cost: Option<Yuan>,
    pub status: WishStatus,
    /// The volunteer who claimed it.
    pub claimed_by: Option<Uuid>,
    /// Her name.
    pub claimed_by_name: Option<String>,
    /// The partner organization that claimed it.
    pub claimed_by_organization: Option<String>,
    /// When it was claimed.
    pub claimed_on: Option<Date>,
    /// When the child received it.
    pub fulfilled_on: Option<Date>,
    /// A note on the fulfilment.
    pub fulfilment_note: Option<String>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Posted.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A new wish as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WishInput {
    /// What the child wishes for.
    pub text: Option<String>,
    pub category: Option<String>,
    /// Estimated cost in yuan.
    pub estimated_cost: Option<AmountInput>,
}

/// A checked wish.
#[derive(Debug, Clone)]
pub struct ValidWish {
    pub text: String,
    pub category: Category,
    pub estimated_cost: Option<Yuan>,
}

impl WishInput {
    /// Checks every field.
    pub fn validate(&self) -> Result<ValidWish, FieldErrors> {
        let mut errors = FieldErrors::new();
        let text = text::required(self.text.as_deref().unwrap_or(""), 200)
            .map_err(|e| errors.insert("text".into(), e))
            .ok();
        let category = match self
            .category
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => {
                errors.insert("category".into(), FieldError::new("error.required"));
                None
            }
            Some(c) => Category::parse(c).or_else(|| {
                errors.insert("category".into(), FieldError::new("error.choice"));
                None
            }),
        };
        let estimated_cost = match &self.estimated_cost {
            None => None,
            Some(a) => a
                .parse()
                .map_err(|e| errors.insert("estimated_cost".into(), e))
                .ok()
                .flatten(),
        };
        match (text, category) {
            (Some(text), Some(category)) if errors.is_empty() => Ok(ValidWish {
                text,
                category,
                estimated_cost,
            }),
            _ => Err(errors),
        }
    }
}

/// Who takes a wish on.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ClaimInput {
    /// A volunteer in the system (staff and managers name her; a volunteer claims for herself).
    pub volunteer_id: Option<String>,
    /// Or a partner organization, by name.
    pub organization: Option<String>,
    /// The version seen, if the caller wants a stale claim refused.
    pub version: Option<i32>,
}

/// The one who claimed a wish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimant {
    /// A volunteer in the system.
    Volunteer(Uuid),
    /// A partner organization.
    Organization(String),
}

/// The fulfilment of a wish.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FulfilInput {
    /// The day the child received it (today when left out).
    pub fulfilled_on: Option<String>,
    /// A note.
    pub fulfilment_note: Option<String>,
    /// The version seen.
    pub version: Option<i32>,
}

impl FulfilInput {
    /// The day and the note, checked (the day is not before the claim).
    pub fn validate(
        &self,
        claimed_on: Option<Date>,
    ) -> Result<(Date, Option<String>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let on = match self
            .fulfilled_on
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            None => Some(domain::today()),
            Some(d) => domain::past_date(d)
                .map_err(|e| errors.insert("fulfilled_on".into(), e))
                .ok(),
        };
        if let (Some(on), Some(claimed)) = (on, claimed_on)
            && on < claimed
        {
            errors.insert(
                "fulfilled_on".into(),
                FieldError::new("error.fulfilled_before_claimed"),
            );
        }
        let note = text::long_optional(self.fulfilment_note.as_deref(), 500)
            .map_err(|e| errors.insert("fulfilment_note".into(), e))
            .ok()
            .flatten();
        match on {
            Some(on) if errors.is_empty() => Ok((on, note)),
            _ => Err(errors),
        }
    }
}

/// The version a cancelling caller saw.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CancelInput {
    /// The version seen.
    pub version: Option<i32>,
}

/// Filters of the wish list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Of this child.
    pub child_id: Option<Uuid>,
    /// Of children at this station.
    pub station_id: Option<Uuid>,
    /// In this status.
    pub status: Option<WishStatus>,
}

/// A child a wish may be posted for or listed under.
#[derive(Debug, Clone)]
pub struct ChildRef {
    pub id: Uuid,
    /// Name as the caller may see it.
    pub name: String,
    pub station_id: Uuid,
    pub station_name: String,
    /// Whether the child has left the programme.
    pub exited: bool,
}

/// A wish on a station's wall: the child's given name only.
#[derive(Debug, Clone)]
pub struct WallWish {
    /// The child's given name (名).
    pub given_name: String,
    pub child_id: Uuid,
    /// Her number among the children of the wall with the same given name, if any.
    pub namesake: Option<usize>,
    /// What the child wishes for.
    pub text: String,
    pub category: Category,
    pub estimated_cost: Option<Yuan>,
    pub status: WishStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_yuan_with_two_decimals_at_most() {
        assert_eq!(Yuan::parse("25").unwrap().fen(), 2500);
        assert_eq!(Yuan::parse("25.5").unwrap().fen(), 2550);
        assert_eq!(Yuan::parse("¥ 0.05").unwrap().display(), "0.05");
        for bad in ["-1", "1.234", "abc", "", "1e3", "100000000"] {
            assert!(Yuan::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            serde_json::to_string(&Yuan::from_fen(2550)).unwrap(),
            "25.5"
        );
    }

    #[test]
    fn a_wish_needs_text_and_a_category() {
        let errors = WishInput::default().validate().unwrap_err();
        assert!(errors.contains_key("text") && errors.contains_key("category"));
        let w: WishInput = serde_json::from_value(serde_json::json!({
            "text": "一套绘画工具", "category": "arts", "estimated_cost": 45.8
        }))
        .unwrap();
        let w = w.validate().unwrap();
        assert_eq!(w.estimated_cost, Some(Yuan::from_fen(4580)));
    }

    #[test]
    fn a_wish_is_not_fulfilled_before_it_was_claimed() {
        let input = FulfilInput {
            fulfilled_on: Some("2026-03-01".into()),
            ..Default::default()
        };
        let claimed = time::macros::date!(2026 - 03 - 05);
        assert_eq!(
            input.validate(Some(claimed)).unwrap_err()["fulfilled_on"].key,
            "error.fulfilled_before_claimed"
        );
    }
}
