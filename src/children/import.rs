//! Importing children with their guardian and registration consent from a spreadsheet: every
//! row checked first (the same rules as the form, a guardian's consent under 14, duplicates in
//! the file and the database), then all rows in one transaction, or none.

use std::collections::HashMap;
use std::net::IpAddr;

use sqlx::PgPool;

use super::model::{
    Category, ChildInput, ConsentInput, ConsentMethod, Difficulty, GuardianInput, LivingWith, Need,
    ParentsStatus, Relation, ValidChild,
};
use super::rules::{DUPLICATE_ID_NUMBER, POSSIBLE_DUPLICATE};
use super::store;
use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::crypto::Cipher;
use crate::i18n::Lang;
use crate::imports::{Column, Kind, Outcome, Sheet, word};
use crate::web::error::AppError;
use crate::web::sheet::Row;

/// The template's columns.
pub const COLUMNS: &[Column] = &[
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

/// The children import: its page, template and columns.
pub const KIND: Kind = Kind {
    path: "children",
    title_key: "import.children_title",
    list_key: "children.title",
    columns: COLUMNS,
    example: &[
        "李小雨",
        "女",
        "2016-05-04",
        "",
        "留守儿童",
        "",
        "510681002006",
        "",
        "汉州小学",
        "四年级",
        "祖辈",
        "父母均外出务工",
        "学业、陪伴",
        "李奶奶",
        "祖母/外祖母",
        "13812345678",
        "是",
        "2026-09-01",
        "纸质签字",
    ],
};

/// The forms clerks write an option in besides its label and its short or long form
/// (留守 for 留守儿童 is understood without being listed): the text and the API word it means.
const CATEGORY: &[(&str, &str)] = &[("农村留守儿童", "left_behind")];
const DIFFICULTY: &[(&str, &str)] = &[
    ("低保", "low_income"),
    ("低保家庭", "low_income"),
    ("大病", "serious_illness"),
    ("重大疾病", "serious_illness"),
];
const NEED: &[(&str, &str)] = &[
    ("学习", "academic"),
    ("学业辅导", "academic"),
    ("心理", "emotional"),
    ("情感关怀", "emotional"),
    ("心理疏导", "emotional"),
    ("行为习惯", "behavioural"),
    ("安全教育", "safety"),
    ("陪伴成长", "companionship"),
];
const LIVING_WITH: &[(&str, &str)] = &[
    ("祖父母", "grandparents"),
    ("爷爷奶奶", "grandparents"),
    ("外公外婆", "grandparents"),
    ("隔代", "grandparents"),
    ("单亲", "one_parent"),
    ("父亲", "one_parent"),
    ("母亲", "one_parent"),
    ("父母一方", "one_parent"),
    ("亲属", "relatives"),
    ("独居", "alone"),
    ("福利院", "institution"),
];
const PARENTS_STATUS: &[(&str, &str)] = &[
    ("父母外出务工", "both_migrant"),
    ("双亲外出务工", "both_migrant"),
    ("父母均外出", "both_migrant"),
    ("父亲外出", "father_migrant"),
    ("母亲外出", "mother_migrant"),
    ("离异", "divorced"),
    ("服刑", "incarcerated"),
];
const RELATION: &[(&str, &str)] = &[
    ("奶奶", "grandmother"),
    ("外婆", "grandmother"),
    ("姥姥", "grandmother"),
    ("爷爷", "grandfather"),
    ("外公", "grandfather"),
    ("姥爷", "grandfather"),
    ("爸爸", "father"),
    ("妈妈", "mother"),
    ("亲属", "relative"),
];
const CONSENT_METHOD: &[(&str, &str)] = &[
    ("签字", "signed_form"),
    ("书面", "signed_form"),
    ("纸质", "signed_form"),
    ("线上", "electronic"),
];

/// Turns labels typed in a cell into API words (unknown text is kept, for validation to name).
fn words<T: Copy>(
    cell: Option<String>,
    all: &[T],
    w: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
    aliases: &[(&str, &str)],
) -> Option<Vec<String>> {
    cell.map(|c| {
        c.split(['、', '，', ',', ';', '；', '/', '／'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                word(s, all, w, label, aliases)
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
    aliases: &[(&str, &str)],
) -> Option<String> {
    cell.map(|c| {
        word(&c, all, w, label, aliases)
            .map(|v| w(v).to_owned())
            .unwrap_or(c)
    })
}

/// Name, birth date and county: the same child registered twice, most likely.
fn same_person(child: &ValidChild) -> (String, time::Date, String) {
    (
        child.name.clone(),
        child.birth_date,
        child.region_code.as_str()[..6].to_owned(),
    )
}

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
    let mut ids_seen: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut people_seen: HashMap<(String, time::Date, String), usize> = HashMap::new();
    for (n, row) in sheet.rows(rows) {
        let Some(station) = sheet.cell(row, "station").and_then(|s| sheet.station(&s)) else {
            sheet.error_t(n, "station", "import.station_unknown");
            continue;
        };
        let guardian_given = sheet.cell(row, "guardian_name").is_some();
        let consent_given = sheet.cell(row, "consent_given_on").is_some();
        let share = sheet.yes_no(row, "guardian_share").unwrap_or_else(|_| {
            sheet.error_t(n, "guardian_share", "error.choice");
            None
        });
        let share = share.unwrap_or(false);
        let input = ChildInput {
            name: sheet.cell(row, "name"),
            gender: sheet.gender(row, "gender"),
            birth_date: sheet.date(row, "birth_date"),
            id_number: sheet.cell(row, "id_number"),
            category: one(
                sheet.cell(row, "category"),
                Category::ALL,
                Category::as_str,
                Category::label_key,
                CATEGORY,
            ),
            difficulty_types: words(
                sheet.cell(row, "difficulty_types"),
                Difficulty::ALL,
                Difficulty::as_str,
                Difficulty::label_key,
                DIFFICULTY,
            ),
            region_code: sheet.cell(row, "region_code"),
            station_id: Some(station.to_string()),
            school: sheet.cell(row, "school"),
            grade: sheet.cell(row, "grade"),
            living_with: one(
                sheet.cell(row, "living_with"),
                LivingWith::ALL,
                LivingWith::as_str,
                LivingWith::label_key,
                LIVING_WITH,
            ),
            parents_status: one(
                sheet.cell(row, "parents_status"),
                ParentsStatus::ALL,
                ParentsStatus::as_str,
                ParentsStatus::label_key,
                PARENTS_STATUS,
            ),
            needs: words(
                sheet.cell(row, "needs"),
                Need::ALL,
                Need::as_str,
                Need::label_key,
                NEED,
            ),
            guardian: guardian_given.then(|| GuardianInput {
                name: sheet.cell(row, "guardian_name"),
                relation: one(
                    sheet.cell(row, "guardian_relation"),
                    Relation::ALL,
                    Relation::as_str,
                    Relation::label_key,
                    RELATION,
                ),
                phone: sheet.cell(row, "guardian_phone"),
                share_contact_with_volunteer: share,
            }),
            consent: consent_given.then(|| ConsentInput {
                guardian_id: None,
                scope: Some("registration".into()),
                given_on: sheet.date(row, "consent_given_on"),
                method: one(
                    sheet.cell(row, "consent_method"),
                    ConsentMethod::ALL,
                    ConsentMethod::as_str,
                    ConsentMethod::label_key,
                    CONSENT_METHOD,
                ),
            }),
            ..Default::default()
        };
        let (child, first) = match input.validate(None) {
            Ok(ok) => ok,
            Err(fields) => {
                sheet.invalid(n, row, &fields);
                continue;
            }
        };
        sheet.check_region(n, user, child.region_code.as_str());
        sheet.check_residence(n, station, child.region_code.as_str());
        let sealed = child
            .id_number
            .as_ref()
            .map(|id| (cipher.encrypt(id.expose()), cipher.hash(id.expose())));
        if let Some((_, hash)) = &sealed
            && let Some(first_row) = ids_seen.insert(hash.clone(), n)
        {
            sheet.duplicate_of(n, "id_number", first_row);
        }
        if let Some(first_row) = people_seen.insert(same_person(&child), n) {
            sheet.duplicate_of(n, "name", first_row);
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
    let known_people = store::known_people(db, &user.scope, &names, &births).await?;
    // A likely duplicate within the user's scope stops the file, naming the record; one beyond
    // it is neither named nor refused, and the import's audit entry counts it.
    let mut beyond = 0;
    for (n, child, _, sealed) in &valid {
        if sealed.as_ref().is_some_and(|(_, h)| known_ids.contains(h)) {
            sheet.error_t(*n, "id_number", DUPLICATE_ID_NUMBER.message_key);
        }
        match known_people.get(&same_person(child)) {
            Some((existing, true)) => {
                let message = lang.tf(
                    POSSIBLE_DUPLICATE.message_key,
                    &[("id", &existing.to_string())],
                );
                sheet.error(*n, "name", message);
            }
            Some((_, false)) => beyond += 1,
            None => {}
        }
    }
    if let Some(refused) = sheet.refusal() {
        return Ok(refused);
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
            .with_detail(if beyond > 0 {
                serde_json::json!({ "imported": valid.len(), "possible_duplicates_outside_scope": beyond })
            } else {
                serde_json::json!({ "imported": valid.len() })
            }),
    )
    .await?;
    tx.commit().await?;
    Ok(Outcome::Imported(valid.len()))
}
