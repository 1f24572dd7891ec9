//! Importing children with their guardian and registration consent from a spreadsheet: every
//! row checked first (the same rules as the form, a guardian's consent under 14, duplicates in
//! the file and the database), then all rows in one transaction, or none.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use sqlx::PgPool;

use super::model::{
    Category, ChildInput, ConsentInput, ConsentMethod, Difficulty, GuardianInput, LivingWith, Need,
    ParentsStatus, Relation,
};
use super::store;
use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::crypto::Cipher;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::imports::{Outcome, RowError, word};

/// A column of the template: field, Chinese header, English header, required.
pub const COLUMNS: &[(&str, &str, &str, bool)] = &[
    ("name", "姓名", "name", true),
    ("gender", "性别", "gender", true),
    ("birth_date", "出生日期", "birth_date", true),
    ("id_number", "身份证号", "id_number", false),
    ("category", "类别", "category", true),
    ("difficulty_types", "困境类型", "difficulty_types", false),
    ("region_code", "居住地区代码", "region_code", true),
    ("station", "驿站名称", "station", true),
    ("school", "学校", "school", false),
    ("grade", "年级", "grade", false),
    ("living_with", "与谁同住", "living_with", false),
    ("parents_status", "父母情况", "parents_status", false),
    ("needs", "需求", "needs", false),
    ("guardian_name", "监护人姓名", "guardian_name", false),
    (
        "guardian_relation",
        "监护人关系",
        "guardian_relation",
        false,
    ),
    ("guardian_phone", "监护人电话", "guardian_phone", false),
    (
        "guardian_share",
        "同意告知爱心妈妈电话",
        "guardian_share",
        false,
    ),
    ("consent_given_on", "同意日期", "consent_given_on", false),
    ("consent_method", "同意方式", "consent_method", false),
];

fn header_of(field: &str, lang: Lang) -> String {
    let field = field
        .replace("guardian.", "guardian_")
        .replace("consent.", "consent_");
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
        .unwrap_or(field)
}

/// Turns labels typed in a cell into API words (unknown text is kept, for validation to name).
fn words<T: Copy>(
    cell: Option<String>,
    all: &[T],
    w: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Option<Vec<String>> {
    cell.map(|c| {
        c.split(['、', '，', ',', ';', '；'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                word(s, all, w, label)
                    .map(|v| w(v).to_owned())
                    .unwrap_or_else(|| s.to_owned())
            })
            .collect()
    })
}

fn one<T: Copy>(
    cell: Option<String>,
    all: &[T],
    w: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Option<String> {
    cell.map(|c| {
        word(&c, all, w, label)
            .map(|v| w(v).to_owned())
            .unwrap_or(c)
    })
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
    for (field, ..) in COLUMNS.iter().filter(|c| c.3) {
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
    let mut ids_seen: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut people_seen: HashMap<(String, time::Date, String), usize> = HashMap::new();
    for (i, row) in rows[1..].iter().enumerate() {
        let n = i + 2;
        let mut push = |field: &str, message: String| {
            errors.push(RowError {
                row: n,
                column: header_of(field, lang),
                message,
            })
        };
        let Some(station) = cell(row, "station").and_then(|s| stations.get(&s).copied()) else {
            push("station", lang.t("import.station_unknown").to_owned());
            continue;
        };
        let guardian_given = cell(row, "guardian_name").is_some();
        let consent_given = cell(row, "consent_given_on").is_some();
        let input = ChildInput {
            name: cell(row, "name"),
            gender: cell(row, "gender"),
            birth_date: cell(row, "birth_date"),
            id_number: cell(row, "id_number"),
            category: one(
                cell(row, "category"),
                Category::ALL,
                Category::as_str,
                Category::label_key,
            ),
            difficulty_types: words(
                cell(row, "difficulty_types"),
                Difficulty::ALL,
                Difficulty::as_str,
                Difficulty::label_key,
            ),
            region_code: cell(row, "region_code"),
            station_id: Some(station.to_string()),
            school: cell(row, "school"),
            grade: cell(row, "grade"),
            living_with: one(
                cell(row, "living_with"),
                LivingWith::ALL,
                LivingWith::as_str,
                LivingWith::label_key,
            ),
            parents_status: one(
                cell(row, "parents_status"),
                ParentsStatus::ALL,
                ParentsStatus::as_str,
                ParentsStatus::label_key,
            ),
            needs: words(cell(row, "needs"), Need::ALL, Need::as_str, Need::label_key),
            guardian: guardian_given.then(|| GuardianInput {
                name: cell(row, "guardian_name"),
                relation: one(
                    cell(row, "guardian_relation"),
                    Relation::ALL,
                    Relation::as_str,
                    Relation::label_key,
                ),
                phone: cell(row, "guardian_phone"),
                share_contact_with_volunteer: cell(row, "guardian_share")
                    .is_some_and(|s| matches!(s.as_str(), "是" | "同意" | "yes" | "true" | "1")),
            }),
            consent: consent_given.then(|| ConsentInput {
                guardian_id: None,
                scope: Some("registration".into()),
                given_on: cell(row, "consent_given_on"),
                method: one(
                    cell(row, "consent_method"),
                    ConsentMethod::ALL,
                    ConsentMethod::as_str,
                    ConsentMethod::label_key,
                ),
            }),
            ..Default::default()
        };
        let (child, first) = match input.validate(None) {
            Ok(ok) => ok,
            Err(fields) => {
                for (field, e) in &fields {
                    push(field, e.message(lang));
                }
                continue;
            }
        };
        if user.region_code.is_some() && !user.scope.covers_region(child.region_code.as_str()) {
            push(
                "region_code",
                lang.t("error.region_outside_scope").to_owned(),
            );
        } else if !known_regions.contains(child.region_code.as_str()) {
            push("region_code", lang.t("error.region_unknown").to_owned());
        }
        let sealed = child
            .id_number
            .as_ref()
            .map(|id| (cipher.encrypt(id.expose()), cipher.hash(id.expose())));
        if let Some((_, hash)) = &sealed
            && let Some(first_row) = ids_seen.insert(hash.clone(), n)
        {
            push(
                "id_number",
                lang.tf(
                    "import.duplicate_in_file",
                    &[("row", &first_row.to_string())],
                ),
            );
        }
        let person = (
            child.name.clone(),
            child.birth_date,
            child.region_code.as_str()[..6].to_owned(),
        );
        if let Some(first_row) = people_seen.insert(person, n) {
            push(
                "name",
                lang.tf(
                    "import.duplicate_in_file",
                    &[("row", &first_row.to_string())],
                ),
            );
        }
        valid.push((n, child, first, sealed));
    }

    // Records already in the database, looked up for the whole file at once.
    let hashes: Vec<Vec<u8>> = valid
        .iter()
        .filter_map(|(_, _, _, s)| s.as_ref().map(|(_, h)| h.clone()))
        .collect();
    let known_ids = store::known_id_hashes(db, &hashes).await?;
    let names: Vec<String> = valid.iter().map(|(_, c, _, _)| c.name.clone()).collect();
    let births: Vec<time::Date> = valid.iter().map(|(_, c, _, _)| c.birth_date).collect();
    let known_people = store::known_people(db, &names, &births).await?;
    for (n, child, _, sealed) in &valid {
        if sealed.as_ref().is_some_and(|(_, h)| known_ids.contains(h)) {
            errors.push(RowError {
                row: *n,
                column: header_of("id_number", lang),
                message: lang.t("error.duplicate_id_number").to_owned(),
            });
        }
        let key = (
            child.name.clone(),
            child.birth_date,
            child.region_code.as_str()[..6].to_owned(),
        );
        if let Some(existing) = known_people.get(&key) {
            let message = lang.tf("error.possible_duplicate", &[("id", &existing.to_string())]);
            errors.push(RowError {
                row: *n,
                column: header_of("name", lang),
                message,
            });
        }
    }
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.row.cmp(&b.row).then_with(|| a.column.cmp(&b.column)));
        return Ok(Outcome::Refused(errors));
    }

    let mut tx = db.begin().await?;
    for (_, child, first, sealed) in &valid {
        let id = store::insert(&mut tx, child, sealed.clone()).await?;
        if let Some((guardian, consent)) = first {
            let gid = store::insert_guardian(&mut tx, id, guardian).await?;
            if let Some(consent) = consent {
                store::insert_consent(&mut tx, id, gid, consent).await?;
            }
        }
    }
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Create, "child", None, ip)
            .with_detail(serde_json::json!({ "imported": valid.len() })),
    )
    .await?;
    tx.commit().await?;
    Ok(Outcome::Imported(valid.len()))
}
