//! What the forms print.

use time::Date;
use uuid::Uuid;

use crate::activities::model::Kind;
use crate::children::model::Relation;
use crate::domain::{Category, Gender};

/// One pairing's registration form.
#[derive(Debug, Clone)]
pub struct PairingForm {
    pub id: Uuid,
    pub child_name: String,
    pub child_gender: Gender,
    pub child_birth_date: Date,
    pub child_category: Category,
    pub child_residence: String,
    pub guardian_name: Option<String>,
    pub guardian_relation: Option<Relation>,
    /// Masked.
    pub guardian_phone: Option<String>,
    pub volunteer_name: String,
    /// Masked.
    pub volunteer_phone: Option<String>,
    pub station_name: String,
    pub station_region: String,
    pub station_region_code: String,
    pub started_on: Date,
    pub first_activity_on: Option<Date>,
}

/// One session of a ledger month.
#[derive(Debug, Clone)]
pub struct LedgerRow {
    pub held_on: Date,
    pub starts_at: Option<time::Time>,
    pub ends_at: Option<time::Time>,
    pub kind: Kind,
    pub title: String,
    pub children: i32,
    pub volunteers: i32,
    pub guardians: i32,
    pub others: i32,
    pub person_visits: i32,
    /// The hosts' names, in pinyin order.
    pub hosts: Vec<String>,
}

/// A month's totals.
#[derive(Debug, Clone, Copy, Default)]
pub struct LedgerTotals {
    pub sessions: i64,
    pub children: i64,
    pub volunteers: i64,
    pub guardians: i64,
    pub others: i64,
    pub person_visits: i64,
}

impl LedgerTotals {
    /// The totals of `rows`.
    pub fn of(rows: &[LedgerRow]) -> LedgerTotals {
        rows.iter()
            .fold(LedgerTotals::default(), |t, r| LedgerTotals {
                sessions: t.sessions + 1,
                children: t.children + i64::from(r.children),
                volunteers: t.volunteers + i64::from(r.volunteers),
                guardians: t.guardians + i64::from(r.guardians),
                others: t.others + i64::from(r.others),
                person_visits: t.person_visits + i64::from(r.person_visits),
            })
    }
}

/// A child on a station's roster sheet.
#[derive(Debug, Clone)]
pub struct RosterLine {
    pub name: String,
    pub gender: Gender,
    pub birth_date: Date,
    pub category: Category,
    /// Masked, when on record.
    pub id_number: Option<String>,
    pub guardian_name: Option<String>,
    pub guardian_relation: Option<Relation>,
    pub volunteer_name: Option<String>,
    pub paired_since: Option<Date>,
}

/// The figures of a volunteer's year, as a certificate states them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hours {
    pub sessions: i32,
    pub estimated_sessions: i32,
    pub session_minutes: i32,
    pub contacts: i32,
    pub contact_minutes: i32,
}

impl Hours {
    /// Every minute certified.
    pub fn minutes(&self) -> i64 {
        i64::from(self.session_minutes) + i64::from(self.contact_minutes)
    }
}

/// A session counted this long when its times are not both on record.
pub const ESTIMATED_SESSION_MINUTES: i32 = 120;

/// A certificate as printed and as verified.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub code: String,
    pub volunteer_name: String,
    pub station_name: Option<String>,
    pub year: i32,
    pub hours: Hours,
    pub issued_at: time::OffsetDateTime,
}

/// A name with all but its first character hidden (王*兰 → 王**).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_name_keeps_its_first_character_only() {
        assert_eq!(mask_name("王秀兰"), "王**");
        assert_eq!(mask_name("李雨"), "李*");
        assert_eq!(mask_name(""), "");
    }
}
