//! Importing volunteers from a spreadsheet: every row is checked first, against the same rules
//! as the form and against duplicates in the file and in the database; nothing is written
//! unless every row is good, and then all rows are written in one transaction.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use sqlx::PgPool;

use super::model::{VolunteerInput, VolunteerStatus};
use super::store;
use crate::audit::{self, Action, Entry};
use crate::auth::{CurrentUser, Role};
use crate::crypto::Cipher;
use crate::error::AppError;
use crate::i18n::Lang;
pub use crate::imports::{Outcome, RowError};

/// A column of the template: field, Chinese header, English header, required.
pub const COLUMNS: &[(&str, &str, &str, bool)] = &[
    ("name", "姓名", "name", true),
    ("gender", "性别", "gender", false),
    ("phone", "手机号", "phone", true),
    ("id_number", "身份证号", "id_number", false),
    ("birth_date", "出生日期", "birth_date", false),
    ("region_code", "居住地区代码", "region_code", true),
    ("station", "驿站名称", "station", false),
    ("organization", "工作单位", "organization", false),
    ("occupation", "职业", "occupation", false),
    ("skills", "特长", "skills", false),
    ("status", "状态", "status", false),
    (
        "background_check_on",
        "无犯罪记录证明日期",
        "background_check_on",
        false,
    ),
    ("interviewed_on", "面谈日期", "interviewed_on", false),
    ("trained_on", "培训日期", "trained_on", false),
    ("capacity", "可结对人数", "capacity", false),
];

fn header_of(field: &str, lang: Lang) -> String {
    COLUMNS
        .iter()
        .find(|(f, ..)| *f == field)
        .map(|(_, zh, en, _)| {
            if lang == Lang::En {
                (*en).to_owned()
            } else {
                (*zh).to_owned()
            }
        })
        .unwrap_or_else(|| field.to_owned())
}

/// Checks and, when every row is good, imports `rows` (header first).
pub async fn run(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    rows: &[Vec<String>],
    lang: Lang,
    ip: Option<IpAddr>,
) -> Result<Outcome, AppError> {
    let mut errors = Vec::new();
    let header = &rows[0];
    let index: HashMap<&str, usize> = COLUMNS
        .iter()
        .filter_map(|(field, zh, en, _)| {
            header
                .iter()
                .position(|h| h == zh || h == en)
                .map(|i| (*field, i))
        })
        .collect();
    for (field, ..) in COLUMNS.iter().filter(|(_, _, _, required)| *required) {
        if !index.contains_key(field) {
            errors.push(RowError {
                row: 1,
                column: header_of(field, lang),
                message: lang.t("import.missing_column").to_owned(),
            });
        }
    }
    if !errors.is_empty() {
        return Ok(Outcome::Refused(errors));
    }
    let cell = |row: &Vec<String>, field: &str| {
        index
            .get(field)
            .and_then(|&i| row.get(i))
            .cloned()
            .filter(|c| !c.is_empty())
    };

    let stations: HashMap<String, uuid::Uuid> = crate::stations::store::choices(db, &user.scope)
        .await?
        .into_iter()
        .map(|(id, name)| (name, id))
        .collect();
    let regions: Vec<String> = rows[1..]
        .iter()
        .filter_map(|r| cell(r, "region_code"))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let known_regions: HashSet<String> =
        sqlx::query_scalar!("SELECT code FROM region WHERE code = ANY($1)", &regions)
            .fetch_all(db)
            .await?
            .into_iter()
            .collect();

    let mut valid = Vec::new();
    let mut phones_seen: HashMap<String, usize> = HashMap::new();
    let mut ids_seen: HashMap<Vec<u8>, usize> = HashMap::new();
    for (i, row) in rows[1..].iter().enumerate() {
        let n = i + 2;
        let mut push = |field: &str, message: String| {
            errors.push(RowError {
                row: n,
                column: header_of(field, lang),
                message,
            })
        };
        let station_id = match cell(row, "station") {
            None => None,
            Some(name) => match stations.get(&name) {
                Some(id) => Some(id.to_string()),
                None => {
                    push("station", lang.t("import.station_unknown").to_owned());
                    continue;
                }
            },
        };
        let input = VolunteerInput {
            name: cell(row, "name"),
            gender: cell(row, "gender"),
            phone: cell(row, "phone"),
            id_number: cell(row, "id_number"),
            birth_date: cell(row, "birth_date"),
            region_code: cell(row, "region_code"),
            station_id,
            organization: cell(row, "organization"),
            occupation: cell(row, "occupation"),
            skills: cell(row, "skills").map(|s| vec![s]),
            status: cell(row, "status").map(|s| {
                crate::imports::word(
                    &s,
                    &VolunteerStatus::ALL,
                    VolunteerStatus::as_str,
                    VolunteerStatus::label_key,
                )
                .map(|v| v.as_str().to_owned())
                .unwrap_or(s)
            }),
            background_check_on: cell(row, "background_check_on"),
            interviewed_on: cell(row, "interviewed_on"),
            trained_on: cell(row, "trained_on"),
            capacity: match cell(row, "capacity") {
                None => None,
                Some(c) => match c.parse() {
                    Ok(c) => Some(c),
                    Err(_) => {
                        push("capacity", lang.t("error.capacity_range").to_owned());
                        continue;
                    }
                },
            },
            version: None,
        };
        let v = match input.validate(None) {
            Ok(v) => v,
            Err(fields) => {
                for (field, e) in &fields {
                    push(field, e.message(lang));
                }
                continue;
            }
        };
        let region_ok = match user.role {
            Role::Admin | Role::Staff => user.scope.covers_region(v.region_code.as_str()),
            _ => true,
        };
        if !region_ok {
            push(
                "region_code",
                lang.t("error.region_outside_scope").to_owned(),
            );
        } else if !known_regions.contains(v.region_code.as_str()) {
            push("region_code", lang.t("error.region_unknown").to_owned());
        }
        if user.role == Role::StationManager && v.station_id.is_none() {
            push("station", lang.t("error.required").to_owned());
        }
        if let Some(first) = phones_seen.insert(v.phone.as_str().to_owned(), n) {
            push(
                "phone",
                lang.tf("import.duplicate_in_file", &[("row", &first.to_string())]),
            );
        }
        let sealed = v
            .id_number
            .as_ref()
            .map(|id| (cipher.encrypt(id.expose()), cipher.hash(id.expose())));
        if let Some((_, hash)) = &sealed
            && let Some(first) = ids_seen.insert(hash.clone(), n)
        {
            push(
                "id_number",
                lang.tf("import.duplicate_in_file", &[("row", &first.to_string())]),
            );
        }
        valid.push((n, v, sealed));
    }

    // Duplicates of records already in the database.
    let phones: Vec<String> = valid
        .iter()
        .map(|(_, v, _)| v.phone.as_str().to_owned())
        .collect();
    let taken: HashSet<String> =
        sqlx::query_scalar!("SELECT phone FROM volunteer WHERE phone = ANY($1)", &phones)
            .fetch_all(db)
            .await?
            .into_iter()
            .collect();
    let hashes: Vec<Vec<u8>> = valid
        .iter()
        .filter_map(|(_, _, s)| s.as_ref().map(|(_, h)| h.clone()))
        .collect();
    let known: HashSet<Vec<u8>> = sqlx::query_scalar!(
        r#"SELECT id_number_hash AS "h!" FROM volunteer WHERE id_number_hash = ANY($1)"#,
        &hashes
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .collect();
    for (n, v, sealed) in &valid {
        if taken.contains(v.phone.as_str()) {
            errors.push(RowError {
                row: *n,
                column: header_of("phone", lang),
                message: lang.t("error.duplicate_phone").to_owned(),
            });
        }
        if sealed.as_ref().is_some_and(|(_, h)| known.contains(h)) {
            errors.push(RowError {
                row: *n,
                column: header_of("id_number", lang),
                message: lang.t("error.duplicate_id_number").to_owned(),
            });
        }
    }
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.row.cmp(&b.row).then_with(|| a.column.cmp(&b.column)));
        return Ok(Outcome::Refused(errors));
    }

    let mut tx = db.begin().await?;
    for (_, v, sealed) in &valid {
        store::insert(&mut tx, v, sealed.clone()).await?;
    }
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Create, "volunteer", None, ip)
            .with_detail(serde_json::json!({ "imported": valid.len() })),
    )
    .await?;
    tx.commit().await?;
    Ok(Outcome::Imported(valid.len()))
}
