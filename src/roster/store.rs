//! The SQL of the roster, private to this area.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::model::{Coverage, RosterImport, RosterStatus};
use super::place::Places;
use crate::domain::Category;
use crate::domain::Gender;

/// A checked roster row, ready to write: its ID number sealed (encrypted, keyed hash).
#[derive(Debug, Clone)]
pub struct NewRow {
    pub sheet_row: i32,
    pub name: String,
    pub id_number: Option<(Vec<u8>, Vec<u8>)>,
    pub birth_date: time::Date,
    pub gender: Option<Gender>,
    pub category: Category,
    pub region_code: String,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
}

/// The townships and villages of a county, and the names of it and the regions above it.
pub async fn places(db: &PgPool, county: &str) -> sqlx::Result<Places> {
    let above = sqlx::query_scalar!(
        "SELECT name FROM region WHERE code = ANY(ARRAY[left($1, 2), left($1, 4), $1])",
        county
    )
    .fetch_all(db)
    .await?;
    let places = crate::regions::service::places_in_county(db, county)
        .await?
        .into_iter()
        .map(|c| (c.code, c.name))
        .collect();
    Ok(Places::new(above, places))
}

/// Replaces the county's roster by these rows and matches them to the children registered:
/// the new roster's id, and how many rows the one it replaced had. The county is held for the
/// length of the transaction (`roster_lock`), so a child registered meanwhile waits and is
/// matched after.
pub async fn replace(
    tx: &mut PgConnection,
    county: &str,
    by: Uuid,
    file_name: Option<&str>,
    rows: &[NewRow],
) -> sqlx::Result<(Uuid, i64)> {
    sqlx::query_scalar!("SELECT roster_lock($1, true)", county)
        .fetch_one(&mut *tx)
        .await?;
    let replaced = sqlx::query_scalar!(
        "DELETE FROM roster_import WHERE county_code = $1 RETURNING rows",
        county
    )
    .fetch_optional(&mut *tx)
    .await?
    .unwrap_or(0);
    let id = sqlx::query_scalar!(
        "INSERT INTO roster_import (county_code, imported_by, file_name, rows)
         VALUES ($1, $2, $3, $4) RETURNING id",
        county,
        by,
        file_name,
        rows.len() as i32
    )
    .fetch_one(&mut *tx)
    .await?;
    let column = |f: fn(&NewRow) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
    let sheet_rows: Vec<i32> = rows.iter().map(|r| r.sheet_row).collect();
    let names = column(|r| Some(r.name.clone()));
    let ids: Vec<Option<Vec<u8>>> = rows
        .iter()
        .map(|r| r.id_number.as_ref().map(|(c, _)| c.clone()))
        .collect();
    let hashes: Vec<Option<Vec<u8>>> = rows
        .iter()
        .map(|r| r.id_number.as_ref().map(|(_, h)| h.clone()))
        .collect();
    let births: Vec<time::Date> = rows.iter().map(|r| r.birth_date).collect();
    let genders: Vec<Option<Gender>> = rows.iter().map(|r| r.gender).collect();
    let categories: Vec<Category> = rows.iter().map(|r| r.category).collect();
    let regions = column(|r| Some(r.region_code.clone()));
    let guardians = column(|r| r.guardian_name.clone());
    let phones = column(|r| r.guardian_phone.clone());
    sqlx::query!(
        r#"INSERT INTO roster_child (import_id, county_code, sheet_row, name, id_number,
                                     id_number_hash, birth_date, gender, category, region_code,
                                     guardian_name, guardian_phone)
           SELECT $1, $2, * FROM UNNEST($3::int[], $4::text[], $5::bytea[], $6::bytea[],
                                        $7::date[], $8::gender[], $9::child_category[],
                                        $10::text[], $11::text[], $12::text[])"#,
        id,
        county,
        &sheet_rows,
        &names as &[Option<String>],
        &ids as &[Option<Vec<u8>>],
        &hashes as &[Option<Vec<u8>>],
        &births,
        &genders as &[Option<Gender>],
        &categories as &[Category],
        &regions as &[Option<String>],
        &guardians as &[Option<String>],
        &phones as &[Option<String>],
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query_scalar!("SELECT roster_match($1)", county)
        .fetch_one(&mut *tx)
        .await?;
    Ok((id, i64::from(replaced)))
}

/// An import's rows by status, and how many were matched by name and birth date.
pub async fn match_counts(tx: &mut PgConnection, id: Uuid) -> sqlx::Result<(i64, i64, i64, i64)> {
    let r = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE status = 'not_registered') AS "not_registered!",
                  count(*) FILTER (WHERE status = 'registered_waiting') AS "waiting!",
                  count(*) FILTER (WHERE status = 'paired') AS "paired!",
                  count(*) FILTER (WHERE matched_by = 'name_birth') AS "by_name!"
           FROM roster_child WHERE import_id = $1"#,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok((r.not_registered, r.waiting, r.paired, r.by_name))
}

/// The current rosters of the counties within `region_like`, in code order.
pub async fn imports(db: &PgPool, region_like: &str) -> sqlx::Result<Vec<RosterImport>> {
    sqlx::query_as!(
        RosterImport,
        r#"SELECT i.id, i.county_code, r.name AS county_name, i.imported_at,
                  u.display_name AS "imported_by?", i.file_name, i.rows
           FROM roster_import i
           JOIN region r ON r.code = i.county_code
           LEFT JOIN app_user u ON u.id = i.imported_by
           WHERE i.county_code LIKE $1 OR $1 LIKE i.county_code || '%'
           ORDER BY i.county_code"#,
        region_like
    )
    .fetch_all(db)
    .await
}

/// The roster's figures within a region down to a township (`region_like`), or `None` where
/// no county of it has a roster.
pub async fn coverage(db: &PgPool, region_like: &str) -> sqlx::Result<Option<Coverage>> {
    let r = sqlx::query!(
        r#"SELECT count(*) AS "townships!",
                  coalesce(sum(children), 0)::bigint AS "children!",
                  coalesce(sum(registered), 0)::bigint AS "registered!",
                  coalesce(sum(paired), 0)::bigint AS "paired!"
           FROM roster_tally WHERE region_code LIKE $1"#,
        region_like
    )
    .fetch_one(db)
    .await?;
    Ok((r.townships > 0).then_some(Coverage {
        roster_children: r.children,
        roster_registered: r.registered,
        roster_paired: r.paired,
    }))
}

/// The roster's figures of each area one level down (`len`: the length of its codes, 4, 6 or
/// 9) within `region_like`: code and figures, for the areas that have a roster.
pub async fn coverage_by(
    db: &PgPool,
    region_like: &str,
    len: i32,
) -> sqlx::Result<Vec<(String, Coverage)>> {
    let rows = sqlx::query!(
        r#"SELECT left(region_code, $2) AS "code!", sum(children)::bigint AS "children!",
                  sum(registered)::bigint AS "registered!", sum(paired)::bigint AS "paired!"
           FROM roster_tally WHERE region_code LIKE $1
           GROUP BY 1 ORDER BY 1"#,
        region_like,
        len
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.code,
                Coverage {
                    roster_children: r.children,
                    roster_registered: r.registered,
                    roster_paired: r.paired,
                },
            )
        })
        .collect())
}

/// Whether the county has a roster.
pub async fn has_roster(db: &PgPool, county: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM roster_import WHERE county_code = $1) AS "has!""#,
        county
    )
    .fetch_one(db)
    .await
}

/// The roster's figures of a village (`code`), counted from its rows.
pub async fn village_coverage(db: &PgPool, code: &str) -> sqlx::Result<Coverage> {
    let r = sqlx::query!(
        r#"SELECT count(*) AS "children!",
                  count(*) FILTER (WHERE status <> 'not_registered') AS "registered!",
                  count(*) FILTER (WHERE status = 'paired') AS "paired!"
           FROM roster_child WHERE region_code = $1"#,
        code
    )
    .fetch_one(db)
    .await?;
    Ok(Coverage {
        roster_children: r.children,
        roster_registered: r.registered,
        roster_paired: r.paired,
    })
}

/// One roster row's values for the registration form, within `region_like`.
pub async fn prefill(db: &PgPool, id: Uuid, region_like: &str) -> sqlx::Result<Option<PrefillRow>> {
    sqlx::query_as!(
        PrefillRow,
        r#"SELECT name, id_number, birth_date, gender AS "gender: Gender",
                  category AS "category: Category", region_code, guardian_name, guardian_phone,
                  status AS "status: RosterStatus"
           FROM roster_child WHERE id = $1 AND region_code LIKE $2"#,
        id,
        region_like
    )
    .fetch_optional(db)
    .await
}

/// A roster row as the registration form takes it, its ID number sealed.
#[derive(Debug)]
pub struct PrefillRow {
    pub name: String,
    pub id_number: Option<Vec<u8>>,
    pub birth_date: time::Date,
    pub gender: Option<Gender>,
    pub category: Category,
    pub region_code: String,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
    pub status: RosterStatus,
}

/// Deletes the rosters imported before `before`: how many rows they held.
pub async fn delete_older(db: &PgPool, before: time::OffsetDateTime) -> sqlx::Result<i64> {
    let deleted = sqlx::query_scalar!(
        r#"WITH gone AS (DELETE FROM roster_import WHERE imported_at < $1 RETURNING id)
           SELECT count(*) AS "n!" FROM roster_child
           WHERE import_id IN (SELECT id FROM gone)"#,
        before
    )
    .fetch_one(db)
    .await?;
    Ok(deleted)
}

/// The coverage of each township of `county` on its roster: code, name and figures, in code
/// order.
pub async fn townships(
    db: &PgPool,
    county: &str,
) -> sqlx::Result<Vec<(String, String, i64, i64, i64)>> {
    let rows = sqlx::query!(
        r#"SELECT t.region_code AS "code!", coalesce(r.name, t.region_code) AS "name!",
                  t.children::bigint AS "children!", t.registered::bigint AS "registered!",
                  t.paired::bigint AS "paired!"
           FROM roster_tally t LEFT JOIN region r ON r.code = t.region_code
           WHERE t.region_code LIKE $1 || '%' AND t.children > 0
           ORDER BY t.region_code"#,
        county
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.code, r.name, r.children, r.registered, r.paired))
        .collect())
}
