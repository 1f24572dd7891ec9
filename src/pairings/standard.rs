//! The contact standard a region's pairings are held to (match support): contacts a month, home
//! visits a quarter, staff check-ins a month in a pairing's first three months and a quarter
//! after. A province, a city or a county sets one; a region without its own follows the nearest
//! region above it that has one, and the service's default where none has: a contact every
//! `AIXIN_CHECK_IN_DAYS` days, nothing more asked.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::regions::model::RegionCode;
use crate::web::error::{AppError, FieldError, FieldErrors};

/// What a pairing is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Standard {
    pub contacts_per_month: i16,
    pub home_visits_per_quarter: i16,
    pub check_ins_per_month_first_quarter: i16,
    pub check_ins_per_quarter: i16,
}

impl Standard {
    /// The standard of regions that set none: as often in touch as `AIXIN_CHECK_IN_DAYS` asks
    /// (30 days: once a month), nothing else asked.
    pub fn default_for(check_in_days: u16) -> Standard {
        Standard {
            contacts_per_month: (30 / check_in_days.max(1)).max(1) as i16,
            home_visits_per_quarter: 0,
            check_ins_per_month_first_quarter: 0,
            check_ins_per_quarter: 0,
        }
    }
}

/// Where a region's standard comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Set for this region.
    Own,
    /// Set for a region above it.
    Inherited,
    /// None set: the service's default.
    Default,
}

/// A region's standard as the API answers it.
#[derive(Debug, Clone, Serialize)]
pub struct RegionStandard {
    pub region_code: String,
    #[serde(flatten)]
    pub standard: Standard,
    /// `own`, `inherited` or `default`.
    pub source: Source,
    /// The region that set it (itself, or the one above it); null for the default.
    pub set_in: Option<String>,
    /// For `own`: the version to send back with a change.
    pub version: Option<i32>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
}

/// A standard as typed (`PUT`): every figure, and the version of the standard being changed
/// (none when the region has none of its own yet).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StandardInput {
    pub contacts_per_month: Option<i64>,
    pub home_visits_per_quarter: Option<i64>,
    pub check_ins_per_month_first_quarter: Option<i64>,
    pub check_ins_per_quarter: Option<i64>,
    pub version: Option<i32>,
}

impl StandardInput {
    /// Each figure given, whole, and within what a month (31) or a quarter (13 weeks) holds.
    pub fn validate(&self) -> Result<Standard, FieldErrors> {
        let mut fields = FieldErrors::new();
        let mut figure = |value: Option<i64>, field: &str, max: i64| -> i16 {
            match value {
                None => {
                    fields.insert(field.to_owned(), FieldError::new("error.required"));
                    0
                }
                Some(n) if (0..=max).contains(&n) => n as i16,
                Some(_) => {
                    fields.insert(
                        field.to_owned(),
                        FieldError::new("error.standard_range").with("max", max),
                    );
                    0
                }
            }
        };
        let standard = Standard {
            contacts_per_month: figure(self.contacts_per_month, "contacts_per_month", 31),
            home_visits_per_quarter: figure(
                self.home_visits_per_quarter,
                "home_visits_per_quarter",
                13,
            ),
            check_ins_per_month_first_quarter: figure(
                self.check_ins_per_month_first_quarter,
                "check_ins_per_month_first_quarter",
                31,
            ),
            check_ins_per_quarter: figure(self.check_ins_per_quarter, "check_ins_per_quarter", 13),
        };
        if fields.is_empty() {
            Ok(standard)
        } else {
            Err(fields)
        }
    }
}

/// A region's code, if the user's scope holds it (admins and staff: their region's subtree).
fn in_scope(user: &CurrentUser, code: &str) -> Result<RegionCode, AppError> {
    let code = RegionCode::parse(code).map_err(|_| AppError::NotFound)?;
    match &user.region_code {
        Some(mine) if code.as_str().starts_with(mine.as_str()) => Ok(code),
        _ => Err(AppError::NotFound),
    }
}

/// The standard `code`'s pairings are held to, and where it comes from.
pub async fn of_region(
    db: &PgPool,
    code: &str,
    check_in_days: u16,
) -> Result<RegionStandard, AppError> {
    let mut set = standards_above(db, code).await?;
    // The nearest region that set one: the longest code.
    set.sort_by_key(|s| std::cmp::Reverse(s.region_code.len()));
    Ok(match set.into_iter().next() {
        Some(s) => RegionStandard {
            region_code: code.to_owned(),
            source: if s.region_code == code {
                Source::Own
            } else {
                Source::Inherited
            },
            version: (s.region_code == code).then_some(s.version),
            updated_at: (s.region_code == code).then_some(s.updated_at),
            set_in: Some(s.region_code),
            standard: s.standard,
        },
        None => RegionStandard {
            region_code: code.to_owned(),
            standard: Standard::default_for(check_in_days),
            source: Source::Default,
            set_in: None,
            version: None,
            updated_at: None,
        },
    })
}

/// `GET /api/v1/regions/{code}/contact-standard` for a region in the user's scope.
pub async fn read(
    db: &PgPool,
    user: &CurrentUser,
    code: &str,
    check_in_days: u16,
) -> Result<RegionStandard, AppError> {
    let code = in_scope(user, code)?;
    if crate::regions::service::find(db, &code).await?.is_none() {
        return Err(AppError::NotFound);
    }
    of_region(db, code.as_str(), check_in_days).await
}

/// Sets a province's, city's or county's own standard (audited); a stale version answers 409
/// with the standard as it is now.
pub async fn set(
    db: &PgPool,
    user: &CurrentUser,
    code: &str,
    input: &StandardInput,
    (check_in_days, ip): (u16, Option<IpAddr>),
) -> Result<RegionStandard, AppError> {
    let code = in_scope(user, code)?;
    if crate::regions::service::find(db, &code).await?.is_none() {
        return Err(AppError::NotFound);
    }
    if !matches!(code.as_str().len(), 2 | 4 | 6) {
        return Err(AppError::validation(FieldErrors::from([(
            "region_code".to_owned(),
            FieldError::new("error.standard_level"),
        )])));
    }
    let standard = input.validate().map_err(AppError::validation)?;
    let mut tx = db.begin().await?;
    // Every running pairing below is judged again in this transaction: a province's are more
    // than a request's statement timeout allows.
    sqlx::query("SET LOCAL statement_timeout = 0")
        .execute(&mut *tx)
        .await?;
    let written = write_standard(&mut tx, code.as_str(), &standard, input.version, user.id).await?;
    if !written {
        drop(tx);
        let current = of_region(db, code.as_str(), check_in_days).await?;
        return Err(AppError::Stale {
            current: serde_json::to_value(&current).unwrap_or_default(),
        });
    }
    let action = if input.version.is_some() {
        Action::Update
    } else {
        Action::Create
    };
    audit::record(
        &mut *tx,
        Entry::by(user, action, "contact_standard", None, ip).with_detail(serde_json::json!({
            "region_code": code.as_str(),
        })),
    )
    .await?;
    tx.commit().await?;
    of_region(db, code.as_str(), check_in_days).await
}

/// Makes `AIXIN_CHECK_IN_DAYS` the default standard the database judges pairings by (regions
/// that set none). A change re-judges every running pairing that follows it, once, at start.
pub async fn apply_default(db: &PgPool, check_in_days: u16) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    // A province's worth of pairings is judged again in one pass, beyond a request's timeout.
    sqlx::query("SET LOCAL statement_timeout = 0")
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "UPDATE contact_standard_default SET contact_gap_days = $1, updated_at = now()
         WHERE contact_gap_days <> $1",
        i32::from(check_in_days.max(1))
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

// The SQL of standards.

/// A standard set for a region.
struct SetStandard {
    region_code: String,
    standard: Standard,
    version: i32,
    updated_at: time::OffsetDateTime,
}

/// The standards set for `code` and the regions above it (its province, city and county).
async fn standards_above(db: &PgPool, code: &str) -> sqlx::Result<Vec<SetStandard>> {
    let above: Vec<String> = [2, 4, 6]
        .into_iter()
        .filter(|n| *n <= code.len())
        .map(|n| code[..n].to_owned())
        .collect();
    Ok(sqlx::query!(
        "SELECT region_code, contacts_per_month, home_visits_per_quarter,
                check_ins_per_month_first_quarter, check_ins_per_quarter, version, updated_at
         FROM contact_standard WHERE region_code = ANY($1)",
        &above
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| SetStandard {
        region_code: r.region_code,
        standard: Standard {
            contacts_per_month: r.contacts_per_month,
            home_visits_per_quarter: r.home_visits_per_quarter,
            check_ins_per_month_first_quarter: r.check_ins_per_month_first_quarter,
            check_ins_per_quarter: r.check_ins_per_quarter,
        },
        version: r.version,
        updated_at: r.updated_at,
    })
    .collect())
}

/// Sets a region's own standard: a first one when `version` is none and it has none yet, else
/// a change of the one at `version`. False when that is not what is there (someone saved since).
async fn write_standard(
    tx: &mut PgConnection,
    code: &str,
    s: &Standard,
    version: Option<i32>,
    by: Uuid,
) -> sqlx::Result<bool> {
    let done = match version {
        None => {
            sqlx::query!(
            "INSERT INTO contact_standard (region_code, contacts_per_month, home_visits_per_quarter,
                                           check_ins_per_month_first_quarter, check_ins_per_quarter,
                                           updated_by)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (region_code) DO NOTHING",
            code,
            s.contacts_per_month,
            s.home_visits_per_quarter,
            s.check_ins_per_month_first_quarter,
            s.check_ins_per_quarter,
            by
        )
            .execute(tx)
            .await?
        }
        Some(v) => {
            sqlx::query!(
                "UPDATE contact_standard SET contacts_per_month = $3, home_visits_per_quarter = $4,
                    check_ins_per_month_first_quarter = $5, check_ins_per_quarter = $6,
                    updated_by = $7
             WHERE region_code = $1 AND version = $2",
                code,
                v,
                s.contacts_per_month,
                s.home_visits_per_quarter,
                s.check_ins_per_month_first_quarter,
                s.check_ins_per_quarter,
                by
            )
            .execute(tx)
            .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_asks_a_contact_as_often_as_the_check_in_days() {
        assert_eq!(Standard::default_for(30).contacts_per_month, 1);
        assert_eq!(Standard::default_for(14).contacts_per_month, 2);
        assert_eq!(Standard::default_for(60).contacts_per_month, 1);
        assert_eq!(Standard::default_for(30).home_visits_per_quarter, 0);
    }

    #[test]
    fn every_figure_is_given_and_within_its_period() {
        let all = StandardInput {
            contacts_per_month: Some(1),
            home_visits_per_quarter: Some(1),
            check_ins_per_month_first_quarter: Some(1),
            check_ins_per_quarter: Some(1),
            version: None,
        };
        assert!(all.validate().is_ok());
        let bad = StandardInput {
            contacts_per_month: Some(32),
            home_visits_per_quarter: None,
            ..all
        };
        let fields = bad.validate().unwrap_err();
        assert!(fields.contains_key("contacts_per_month"));
        assert!(fields.contains_key("home_visits_per_quarter"));
    }
}
