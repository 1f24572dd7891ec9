//! Importing volunteers from a spreadsheet: every row is checked first, against the same rules
//! as the form and against duplicates in the file and in the database; nothing is written
//! unless every row is good, and then all rows are written in one transaction.

use std::collections::HashMap;
use std::net::IpAddr;

use sqlx::PgPool;

use super::model::{VolunteerInput, VolunteerStatus};
use super::rules::{DUPLICATE_ID_NUMBER, DUPLICATE_PHONE};
use super::store;
use crate::audit::{self, Action, Entry};
use crate::auth::{CurrentUser, Role};
use crate::crypto::Cipher;
use crate::i18n::Lang;
use crate::imports::{Column, Kind, Outcome, Sheet};
use crate::web::error::AppError;
use crate::web::sheet::Row;

/// The template's columns.
pub const COLUMNS: &[Column] = &[
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

/// The volunteers import: its page, template and columns.
pub const KIND: Kind = Kind {
    path: "volunteers",
    title_key: "import.volunteers_title",
    list_key: "volunteers.title",
    columns: COLUMNS,
    example: &[
        "王秀兰",
        "女",
        "13912345678",
        "",
        "1985-03-12",
        "510681002006",
        "",
        "汉州街道卫生院",
        "护士",
        "学业辅导、医疗",
        "已报名",
        "",
        "",
        "",
        "2",
    ],
};

/// The forms clerks write a status in besides its label and its short form (报名 for 已报名
/// is understood without being listed): the text and the API word it means.
const STATUS: &[(&str, &str)] = &[
    ("审核通过", "screened"),
    ("培训合格", "trained"),
    ("活跃", "active"),
    ("暂停服务", "paused"),
];

/// Checks and, when every row is good, imports the rows under the header of `rows`.
pub async fn run(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    rows: &[Row],
    lang: Lang,
    ip: Option<IpAddr>,
) -> Result<Outcome, AppError> {
    let mut sheet = Sheet::open(db, user, COLUMNS, rows, lang).await?;
    if sheet.lacks_columns() {
        return Ok(sheet.refusal().expect("missing columns are errors"));
    }

    let mut valid = Vec::new();
    let mut phones_seen: HashMap<String, usize> = HashMap::new();
    let mut ids_seen: HashMap<Vec<u8>, usize> = HashMap::new();
    for (n, row) in sheet.rows(rows) {
        let station_id = match sheet.cell(row, "station") {
            None => None,
            Some(name) => match sheet.station(&name) {
                Some(id) => Some(id.to_string()),
                None => {
                    sheet.error_t(n, "station", "import.station_unknown");
                    continue;
                }
            },
        };
        let input = VolunteerInput {
            name: sheet.cell(row, "name"),
            gender: sheet.gender(row, "gender"),
            phone: sheet.cell(row, "phone"),
            id_number: sheet.cell(row, "id_number"),
            birth_date: sheet.date(row, "birth_date"),
            region_code: sheet.cell(row, "region_code"),
            station_id,
            organization: sheet.cell(row, "organization"),
            occupation: sheet.cell(row, "occupation"),
            skills: sheet.cell(row, "skills").map(|s| vec![s]),
            status: sheet.cell(row, "status").map(|s| {
                crate::imports::word(
                    &s,
                    VolunteerStatus::ALL,
                    VolunteerStatus::as_str,
                    VolunteerStatus::label_key,
                    STATUS,
                )
                .map(|v| v.as_str().to_owned())
                .unwrap_or(s)
            }),
            background_check_on: sheet.date(row, "background_check_on"),
            interviewed_on: sheet.date(row, "interviewed_on"),
            trained_on: sheet.date(row, "trained_on"),
            capacity: match sheet.cell(row, "capacity") {
                None => None,
                Some(c) => match c.trim_end_matches(['人', '名', '个']).trim().parse() {
                    Ok(c) => Some(c),
                    Err(_) => {
                        sheet.error_t(n, "capacity", "error.capacity_range");
                        continue;
                    }
                },
            },
            version: None,
        };
        let v = match input.validate(None) {
            Ok(v) => v,
            Err(fields) => {
                sheet.invalid(n, row, &fields);
                continue;
            }
        };
        sheet.check_region(n, user, v.region_code.as_str());
        if let Some(station) = v.station_id {
            sheet.check_residence(n, station, v.region_code.as_str());
        }
        if user.role == Role::StationManager && v.station_id.is_none() {
            sheet.error_t(n, "station", "error.required");
        }
        if let Some(first) = phones_seen.insert(v.phone.as_str().to_owned(), n) {
            sheet.duplicate_of(n, "phone", first);
        }
        let sealed = v
            .id_number
            .as_ref()
            .map(|id| (cipher.encrypt(id.expose()), cipher.hash(id.expose())));
        if let Some((_, hash)) = &sealed
            && let Some(first) = ids_seen.insert(hash.clone(), n)
        {
            sheet.duplicate_of(n, "id_number", first);
        }
        valid.push((n, v, sealed));
    }

    // Duplicates of records already in the database.
    let phones: Vec<String> = valid
        .iter()
        .map(|(_, v, _)| v.phone.as_str().to_owned())
        .collect();
    let taken = store::known_phones(db, &phones).await?;
    let hashes: Vec<Vec<u8>> = valid
        .iter()
        .filter_map(|(_, _, s)| s.as_ref().map(|(_, h)| h.clone()))
        .collect();
    let known = store::known_id_hashes(db, &hashes).await?;
    for (n, v, sealed) in &valid {
        if taken.contains(v.phone.as_str()) {
            sheet.error_t(*n, "phone", DUPLICATE_PHONE.message_key);
        }
        if sealed.as_ref().is_some_and(|(_, h)| known.contains(h)) {
            sheet.error_t(*n, "id_number", DUPLICATE_ID_NUMBER.message_key);
        }
    }
    if let Some(refused) = sheet.refusal() {
        return Ok(refused);
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
