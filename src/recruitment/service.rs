//! The public application: its rate limit per address, its checks, and the application itself
//! (recorded by the volunteers' area, which owns the rule of one volunteer per number).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::Scope;
use crate::auth::throttle::counted_address;
use crate::domain::{FieldError, FieldErrors, Phone, text};
use crate::i18n::Lang;
use crate::stations::model::{Station, StationStatus};
use crate::volunteers::application::{AVAILABLE, Application};
use crate::web::error::AppError;

/// Applications one address may send in [`WINDOW_MINUTES`] (a recruitment event on a
/// station's Wi-Fi shares one address).
pub const LIMIT: i64 = 10;
/// The window of the limit.
pub const WINDOW_MINUTES: i64 = 60;

/// The station a public page is for: an open one (active or paused), or 404.
pub async fn station(db: &PgPool, id: Uuid) -> Result<Station, AppError> {
    crate::stations::service::find(db, &Scope::Region(String::new()), id)
        .await?
        .filter(|s| s.status != StationStatus::Closed)
        .ok_or(AppError::NotFound)
}

/// The townships of the station's county, for her to say where she lives.
pub async fn townships(db: &PgPool, station: &Station) -> Result<Vec<(String, String)>, AppError> {
    Ok(
        crate::regions::service::places_in_county(db, &station.region_code[..6])
            .await?
            .into_iter()
            .filter(|p| p.code.len() == 9)
            .map(|p| (p.code, p.name))
            .collect(),
    )
}

/// Counts one submission from `ip` and says whether it is within the limit; the count is kept
/// in the database, so every instance counts the same. Submissions past the limit count too.
pub async fn admit(db: &PgPool, ip: Option<IpAddr>) -> Result<bool, AppError> {
    let address = counted_address(ip.unwrap_or(IpAddr::from([0, 0, 0, 0])));
    // Counted and recorded under a lock on the address: submissions sent at once are counted
    // one after another.
    let mut tx = db.begin().await?;
    sqlx::query_scalar!(
        "SELECT pg_advisory_xact_lock(7302, hashtext($1::cidr::text))",
        address
    )
    .fetch_one(&mut *tx)
    .await?;
    let sent = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM application_attempt
           WHERE address = $1 AND at > now() - make_interval(mins => $2::int)"#,
        address,
        WINDOW_MINUTES as i32
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO application_attempt (address) VALUES ($1)",
        address
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(sent < LIMIT)
}

/// Forgets submissions older than a day (the hourly housekeeping).
pub async fn forget_attempts(db: &PgPool) -> sqlx::Result<u64> {
    Ok(
        sqlx::query!("DELETE FROM application_attempt WHERE at < now() - interval '1 day'")
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// The application form as posted (repeated fields for the choices).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ApplyForm {
    pub name: String,
    pub phone: String,
    pub region_code: String,
    /// Known skills' keys.
    pub skills: Vec<String>,
    /// Any other skill, as typed.
    pub skills_other: String,
    /// Words of [`AVAILABLE`].
    pub available: Vec<String>,
    /// `yes` when she agreed to the processing of her data.
    pub consent: String,
}

impl ApplyForm {
    /// Checks the form against the station's townships: the application, or what is wrong by
    /// field.
    pub fn check(
        &self,
        station: &Station,
        townships: &[(String, String)],
    ) -> Result<Application, FieldErrors> {
        let mut errors = BTreeMap::new();
        let name = text::required(&self.name, 50)
            .map_err(|e| errors.insert("name".to_owned(), e))
            .ok();
        let phone = Phone::parse(&self.phone)
            .map_err(|e| errors.insert("phone".to_owned(), e))
            .ok();
        let region_code = if townships.iter().any(|(code, _)| *code == self.region_code) {
            Some(self.region_code.clone())
        } else {
            errors.insert(
                "region_code".to_owned(),
                FieldError::new(if self.region_code.is_empty() {
                    "error.required"
                } else {
                    "error.choice"
                }),
            );
            None
        };
        let mut skills = Vec::new();
        for key in &self.skills {
            if crate::domain::skill::keys().any(|k| k == key) {
                skills.push(Lang::ZhCn.t(&format!("skill.{key}")).to_owned());
            } else {
                errors.insert("skills".to_owned(), FieldError::new("error.choice"));
            }
        }
        match text::optional(Some(&self.skills_other), 50) {
            Ok(Some(other)) => skills.extend(
                other
                    .split(['、', '，', ',', ';', '；'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            ),
            Ok(None) => {}
            Err(e) => {
                errors.insert("skills_other".to_owned(), e);
            }
        }
        skills.dedup();
        if skills.len() > 20 {
            errors.insert(
                "skills_other".to_owned(),
                FieldError::new("apply.too_many_skills"),
            );
        }
        let mut available: Vec<String> = Vec::new();
        for word in &self.available {
            if AVAILABLE.contains(&word.as_str()) && !available.contains(word) {
                available.push(word.clone());
            } else if !AVAILABLE.contains(&word.as_str()) {
                errors.insert("available".to_owned(), FieldError::new("error.choice"));
            }
        }
        if self.consent != "yes" {
            errors.insert(
                "consent".to_owned(),
                FieldError::new("apply.consent_needed"),
            );
        }
        match (name, phone, region_code) {
            (Some(name), Some(phone), Some(region_code)) if errors.is_empty() => Ok(Application {
                name,
                phone,
                region_code,
                station_id: station.id,
                skills,
                available,
            }),
            _ => Err(errors),
        }
    }
}
