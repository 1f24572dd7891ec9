//! The rules and transactions of this area: what its pages and API call.

use super::read;
use serde::Serialize;
use sqlx::PgPool;
use time::{Date, Duration};
use uuid::Uuid;

use super::read::{OpenWish, SharedContact};
use crate::auth::CurrentUser;
use crate::children::model::Need;
use crate::contacts::model::{ConcernCategory, ContactMode};
use crate::domain::pairing::{Dues, Health, Reason};
use crate::stations::model::Slot;
use crate::web::error::AppError;

/// A station opening the volunteer can come to.
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub date: Date,
    /// 1 = Monday … 7 = Sunday.
    pub weekday: u8,
    /// Opens, `HH:MM`.
    pub opens: String,
    /// Closes, `HH:MM`.
    pub closes: String,
}

/// The next `n` openings of a weekly schedule from `today` on (today included).
pub fn next_sessions(schedule: &[Slot], today: Date, n: usize) -> Vec<Session> {
    (0..14)
        .map(|d| today + Duration::days(d))
        .flat_map(|date| {
            let weekday = date.weekday().number_from_monday();
            schedule
                .iter()
                .filter(move |s| s.weekday == weekday)
                .map(move |s| Session {
                    date,
                    weekday,
                    opens: s.opens.clone(),
                    closes: s.closes.clone(),
                })
        })
        .take(n)
        .collect()
}

/// One child of the volunteer, as `/me` shows her.
#[derive(Debug, Clone, Serialize)]
pub struct MyChild {
    /// The pairing (where contacts are logged).
    pub pairing_id: Uuid,
    pub child_id: Uuid,
    /// Given name only (名, without the family name).
    pub given_name: String,
    /// Age today.
    pub age: i32,
    pub school: Option<String>,
    pub grade: Option<String>,
    /// What the child needs.
    pub needs: Vec<Need>,
    pub station_id: Uuid,
    pub station_name: String,
    /// Paired since.
    pub started_on: Date,
    pub last_contact_on: Option<Date>,
    /// Days since the last contact (or since pairing, when none yet).
    pub days_since_contact: i64,
    /// When her next contact falls due under the pairing's standard.
    pub contact_due_on: Option<Date>,
    /// When her next home visit falls due (none when the standard asks none).
    pub home_visit_due_on: Option<Date>,
    /// Whether a contact or a home visit is overdue or due within the week.
    pub check_in_due: bool,
    /// What is due, and attempts without reaching the child (the page says it in words).
    #[serde(skip)]
    pub due_reasons: Vec<Reason>,
    /// Whether her relationship survey is due, and from which day (or when it next is).
    pub survey_due: bool,
    pub survey_due_on: Date,
    /// Guardians' phones shared with her.
    pub guardian_contacts: Vec<SharedContact>,
    /// Posted or claimed micro-wishes.
    pub open_wishes: Vec<OpenWish>,
    /// The station's next openings.
    pub next_sessions: Vec<Session>,
}

impl MyChild {
    /// What is due, in words: 家访已逾期 3 天, 12月8日前应联系.
    pub fn due_words(&self, lang: crate::i18n::Lang) -> String {
        lang.list(self.due_reasons.iter().map(|r| r.words(lang)))
    }
}

/// The volunteer's children (her active pairings), oldest pairing first.
pub async fn my_children(db: &PgPool, user: &CurrentUser) -> Result<Vec<MyChild>, AppError> {
    let Some(volunteer) = user.volunteer_id else {
        return Ok(Vec::new());
    };
    let today = crate::domain::today();
    let rows = read::active_pairings(db, volunteer).await?;
    let children: Vec<Uuid> = rows.iter().map(|r| r.child_id).collect();
    let contacts = read::shared_contacts(db, &children).await?;
    let wishes = read::open_wishes(db, &children).await?;
    let started: Vec<(Uuid, Date)> = rows.iter().map(|r| (r.pairing_id, r.started_on)).collect();
    let surveys = crate::pairings::survey::volunteer_dues(db, &started, today).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let quiet_since = r.last_contact_on.unwrap_or(r.started_on);
            let days_since_contact = (today - quiet_since).whole_days();
            // Hers are the contacts and home visits; staff's check-ins are staff's to keep.
            let dues = Dues {
                contact: r.contact_due_on,
                home_visit: r.home_visit_due_on,
                check_in: None,
            };
            let due_reasons = Health::reasons(dues, r.unreached_streak, today);
            let survey = surveys
                .iter()
                .find(|(p, _)| *p == r.pairing_id)
                .map(|(_, due)| *due)
                .unwrap_or_else(|| {
                    crate::pairings::survey::rule::volunteer_due(r.started_on, None, today)
                });
            MyChild {
                pairing_id: r.pairing_id,
                child_id: r.child_id,
                given_name: crate::domain::given_name(&r.child_name),
                age: crate::domain::age_on(r.birth_date, today),
                school: r.school,
                grade: r.grade,
                needs: r.needs,
                station_id: r.station_id,
                station_name: r.station_name,
                started_on: r.started_on,
                last_contact_on: r.last_contact_on,
                days_since_contact,
                contact_due_on: r.contact_due_on,
                home_visit_due_on: r.home_visit_due_on,
                check_in_due: due_reasons
                    .iter()
                    .any(|r| !matches!(r, Reason::Unreached(_))),
                due_reasons,
                survey_due: survey.volunteer,
                survey_due_on: survey.due_on,
                guardian_contacts: contacts
                    .iter()
                    .filter(|c| c.child_id == r.child_id)
                    .cloned()
                    .collect(),
                open_wishes: wishes
                    .iter()
                    .filter(|w| w.child_id == r.child_id)
                    .cloned()
                    .collect(),
                next_sessions: next_sessions(&r.schedule.0, today, 3),
            }
        })
        .collect())
}

/// A reply to one of her entries, as `/me` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Reply {
    /// The child's pairing (her page).
    pub pairing_id: Uuid,
    /// The child's given name.
    pub given_name: String,
    /// Her entry: its day and how it was made.
    pub contacted_on: Date,
    pub mode: ContactMode,
    /// The concern she raised, when the reply is its resolution; none for a follow-up's note.
    pub concern: Option<ConcernCategory>,
    pub reply: String,
    pub replied_at: time::OffsetDateTime,
}

/// The most replies `/me` lists.
const REPLIES_SHOWN: i64 = 5;

/// The latest replies to her entries about the children she is paired with: concerns she
/// raised, resolved, and follow-ups on her contacts, done — the newest first.
pub async fn replies(db: &PgPool, user: &CurrentUser) -> Result<Vec<Reply>, AppError> {
    let Some(volunteer) = user.volunteer_id else {
        return Ok(Vec::new());
    };
    Ok(read::replies(db, volunteer, REPLIES_SHOWN)
        .await?
        .into_iter()
        .map(|r| Reply {
            pairing_id: r.pairing_id,
            given_name: crate::domain::given_name(&r.child_name),
            contacted_on: r.contacted_on,
            mode: r.mode,
            concern: r.concern,
            reply: r.reply,
            replied_at: r.replied_at,
        })
        .collect())
}

/// This month's contacts and their time, for encouragement.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MonthTotals {
    /// Contacts logged with a date in this month.
    pub contacts: i64,
    /// Their minutes.
    pub minutes: i64,
}

/// The volunteer's contacts this month.
pub async fn month_totals(db: &PgPool, user: &CurrentUser) -> Result<MonthTotals, AppError> {
    let Some(volunteer) = user.volunteer_id else {
        return Ok(MonthTotals {
            contacts: 0,
            minutes: 0,
        });
    };
    let today = crate::domain::today();
    let first = today.replace_day(1).unwrap_or(today);
    let (contacts, minutes) = crate::contacts::service::totals_since(db, volunteer, first).await?;
    Ok(MonthTotals { contacts, minutes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_next_sessions_follow_the_weekly_plan() {
        let plan = vec![
            Slot {
                weekday: 3,
                opens: "14:00".into(),
                closes: "17:00".into(),
            },
            Slot {
                weekday: 6,
                opens: "09:00".into(),
                closes: "11:30".into(),
            },
        ];
        // 2026-11-29 is a Sunday.
        let next = next_sessions(&plan, date!(2026 - 11 - 29), 3);
        let dates: Vec<Date> = next.iter().map(|s| s.date).collect();
        assert_eq!(
            dates,
            [
                date!(2026 - 12 - 02),
                date!(2026 - 12 - 05),
                date!(2026 - 12 - 09)
            ]
        );
        assert!(next_sessions(&[], date!(2026 - 11 - 29), 3).is_empty());
    }
}
