//! What the roster's pages and API call, and what other areas may ask of it: the figures for
//! the dashboard, a roster child for the registration form, the retention of rosters.

use std::collections::HashMap;
use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use super::import::{self, Outcome};
use super::model::{
    Coverage, Prefill, RosterChild, RosterImport, RosterStatus, Township, Unlisted,
};
use super::{read, store};
use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::crypto::Cipher;
use crate::domain::{FieldError, FieldErrors, RegionCode, RegionLevel};
use crate::i18n::Lang;
use crate::regions::model::Region;
use crate::web::error::AppError;
use crate::web::sheet::Row;

/// The county a roster is imported for, or listed: the one asked for (`county`, a county in
/// the user's region), or the user's own when she works in a county or below. A county beyond
/// her region is refused as unknown; none asked by a user above a county is a 422 on `county`.
pub async fn county(
    db: &PgPool,
    user: &CurrentUser,
    asked: Option<&str>,
) -> Result<Region, AppError> {
    let refuse = |key: &'static str| {
        let mut fields = FieldErrors::new();
        fields.insert("county".into(), FieldError::new(key));
        AppError::validation(fields)
    };
    let own = user.region_code.as_deref().unwrap_or("");
    let code = match asked.map(str::trim).filter(|c| !c.is_empty()) {
        Some(asked) => asked.to_owned(),
        None if own.len() >= 6 => own[..6].to_owned(),
        None => return Err(refuse("roster.county_needed")),
    };
    let code = RegionCode::parse(&code).map_err(|_| refuse("error.region_code_format"))?;
    if code.as_str().len() != 6 {
        return Err(refuse("roster.county_needed"));
    }
    let region = crate::regions::service::find(db, &code).await?;
    match region {
        Some(r) if r.level == RegionLevel::County && user.scope.covers_region(&r.code) => Ok(r),
        _ => Err(refuse("error.region_outside_scope")),
    }
}

/// Checks an uploaded roster and, when every row is good, makes it the county's roster.
#[allow(clippy::too_many_arguments)]
pub async fn import(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    county: &Region,
    rows: &[Row],
    file_name: Option<&str>,
    lang: Lang,
    ip: Option<IpAddr>,
) -> Result<Outcome, AppError> {
    import::run(db, cipher, user, county, rows, file_name, lang, ip).await
}

/// The current rosters within the user's region.
pub async fn imports(db: &PgPool, user: &CurrentUser) -> Result<Vec<RosterImport>, AppError> {
    let like = user.scope.region_like().unwrap_or_else(|| "%".into());
    Ok(store::imports(db, &like).await?)
}

/// The roster's figures of a region (`None` where no county of it has a roster).
pub async fn coverage(db: &PgPool, region_code: &str) -> sqlx::Result<Option<Coverage>> {
    if region_code.len() <= 6 {
        return store::coverage(db, &format!("{region_code}%")).await;
    }
    // A township or a village: its county's roster, where it has none of its children too.
    if !store::has_roster(db, &region_code[..6]).await? {
        return Ok(None);
    }
    Ok(Some(if region_code.len() > 9 {
        store::village_coverage(db, region_code).await?
    } else {
        store::coverage(db, &format!("{region_code}%"))
            .await?
            .unwrap_or_default()
    }))
}

/// The roster's figures of each area `len` digits long within a region, by code (areas without
/// a roster are absent).
pub async fn coverage_by(
    db: &PgPool,
    region_code: &str,
    len: i32,
) -> sqlx::Result<HashMap<String, Coverage>> {
    Ok(store::coverage_by(db, &format!("{region_code}%"), len)
        .await?
        .into_iter()
        .collect())
}

/// The coverage of each township of a county.
pub async fn townships(db: &PgPool, county: &str) -> Result<Vec<Township>, AppError> {
    Ok(store::townships(db, county)
        .await?
        .into_iter()
        .map(
            |(region_code, name, children, registered, paired)| Township {
                region_code,
                name,
                coverage: Coverage {
                    roster_children: children,
                    roster_registered: registered,
                    roster_paired: paired,
                },
            },
        )
        .collect())
}

/// A page of the roster's children within `region` (a county, a township or a village of the
/// user's region), in one status or all, with the total; ID numbers and phones masked.
pub async fn list(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    region: &str,
    status: Option<RosterStatus>,
    page: (i64, i64),
) -> Result<(Vec<RosterChild>, i64), AppError> {
    if !user.scope.covers_region(region) {
        return Err(AppError::NotFound);
    }
    let (rows, total) = read::list(db, &format!("{region}%"), status, page).await?;
    let items = rows
        .into_iter()
        .map(|r| RosterChild {
            id: r.id,
            name: r.name,
            id_number_masked: r.id_number.map(|sealed| match cipher.decrypt(&sealed) {
                Ok(id) => crate::domain::id_number::mask(&id),
                Err(_) => crate::domain::id_number::mask(""),
            }),
            birth_date: r.birth_date,
            category: r.category,
            region_code: r.region_code,
            region_name: r.region_name,
            guardian_name: r.guardian_name,
            guardian_phone_masked: r.guardian_phone.map(|p| crate::domain::phone::mask(&p)),
            status: r.status,
            child_id: r.child_id,
            matched_by: r.matched_by,
            sheet_row: r.sheet_row,
        })
        .collect();
    Ok((items, total))
}

/// A page of the children registered in `county` who are not on its roster.
pub async fn unlisted(
    db: &PgPool,
    user: &CurrentUser,
    county: &str,
    page: (i64, i64),
) -> Result<(Vec<Unlisted>, i64), AppError> {
    if !user.scope.covers_region(county) {
        return Err(AppError::NotFound);
    }
    Ok(read::unlisted(db, county, page).await?)
}

/// A roster child for the registration form, her ID number and her guardian's phone whole:
/// only within the user's region, and only while she is not registered (404 otherwise, as a
/// missing one). Showing them is recorded as a reveal.
pub async fn prefill(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
    ip: Option<IpAddr>,
) -> Result<Prefill, AppError> {
    let like = user.scope.region_like().ok_or(AppError::NotFound)?;
    let row = store::prefill(db, id, &like)
        .await?
        .filter(|r| r.status == RosterStatus::NotRegistered)
        .ok_or(AppError::NotFound)?;
    let id_number = match row.id_number {
        Some(sealed) => Some(cipher.decrypt(&sealed).map_err(AppError::Internal)?),
        None => None,
    };
    let shown: Vec<&str> = [
        id_number.as_ref().map(|_| "id_number"),
        row.guardian_phone.as_ref().map(|_| "guardian_phone"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !shown.is_empty() {
        audit::record(
            db,
            Entry::by(user, Action::Reveal, "roster_child", Some(id), ip).with_detail(
                serde_json::json!({ "fields": shown, "purpose": "registration_form" }),
            ),
        )
        .await?;
    }
    Ok(Prefill {
        name: row.name,
        id_number,
        birth_date: row.birth_date,
        gender: row.gender,
        category: row.category,
        region_code: row.region_code,
        guardian_name: row.guardian_name,
        guardian_phone: row.guardian_phone,
    })
}

/// Deletes the rosters imported before the day `cutoff` began (China time), as the retention
/// run does: how many roster rows went.
pub async fn delete_imported_before(db: &PgPool, cutoff: time::Date) -> Result<i64, AppError> {
    let before = cutoff.midnight().assume_offset(time::macros::offset!(+8));
    Ok(store::delete_older(db, before).await?)
}
