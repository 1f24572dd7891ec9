//! Importing a county's civil-affairs roster: every row checked (a name, an ID number with its
//! check digit or a birth date, a category, a residence in the county), then the county's
//! previous roster replaced by this one and matched to the children registered, in one
//! transaction — or nothing, with the problems by row and column.

use std::collections::HashMap;
use std::net::IpAddr;

use sqlx::PgPool;
use time::Date;

use super::model::{CATEGORY, COLUMNS, Imported, VARIANTS};
use super::place::{NotFound, Places};
use super::store::{self, NewRow};
use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::crypto::Cipher;
use crate::domain::Category;
use crate::domain::{FieldError, FieldErrors, Gender, IdNumber, Phone, text};
use crate::i18n::Lang;
use crate::imports::{RowError, Sheet, word};
use crate::regions::model::Region;
use crate::web::error::AppError;
use crate::web::sheet::Row;

/// What an import came to.
#[derive(Debug)]
pub enum Outcome {
    /// The roster replaced the county's last one.
    Imported(Imported),
    /// Nothing was written: these rows need fixing. The headers not read come with them.
    Refused {
        errors: Vec<RowError>,
        unknown_columns: Vec<String>,
    },
}

/// The most characters of a name or a guardian's name.
const NAME_MAX: usize = 50;

/// A guardian's number as rosters give it: a mobile, or a landline with its area code
/// (0838-5221234); spaces and dashes allowed.
fn phone(text: &str) -> Result<String, FieldError> {
    if let Ok(mobile) = Phone::parse(text) {
        return Ok(mobile.as_str().to_owned());
    }
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if (7..=13).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        // Kept with its dashes (0838-5221234), without spaces: at most 20 characters.
        Ok(text.chars().filter(|c| *c != ' ').take(20).collect())
    } else {
        Err(FieldError::new("roster.phone_format"))
    }
}

/// Checks `rows` as the roster of `county` and, when every row is good, makes it the county's
/// roster. `file_name` is the upload's name, recalled on the roster page.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    county: &Region,
    rows: &[Row],
    file_name: Option<&str>,
    lang: Lang,
    ip: Option<IpAddr>,
) -> Result<Outcome, AppError> {
    let mut sheet = Sheet::open_with(db, user, (COLUMNS, VARIANTS), rows, lang).await?;
    let unknown_columns = sheet.unknown_headers(rows);
    if !sheet.has("residence") && !sheet.has("township") {
        let header = rows.first().map_or(1, |r| r.number);
        sheet.error_t(header, "residence", "import.missing_column");
    }
    if let Some(refused) = refused(&mut sheet, &unknown_columns) {
        return Ok(refused);
    }
    let places = store::places(db, &county.code).await?;
    let mut valid: Vec<NewRow> = Vec::new();
    let mut ids_seen: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut people_seen: HashMap<(String, Date), usize> = HashMap::new();
    for (n, row) in sheet.rows(rows) {
        let checked = check_row(&mut sheet, &places, cipher, n, row);
        // The same child twice in the file, whatever else is wrong with either row.
        match checked.key {
            Some(Key::Id(hash)) => {
                if let Some(first) = ids_seen.insert(hash, n) {
                    sheet.duplicate_of(n, "id_number", first);
                }
            }
            Some(Key::Person(person)) => {
                if let Some(first) = people_seen.insert(person, n) {
                    sheet.duplicate_of(n, "name", first);
                }
            }
            None => {}
        }
        valid.extend(checked.row);
    }
    if valid.is_empty() {
        let first = rows.first().map_or(1, |r| r.number);
        sheet.error_t(first, "name", "roster.no_rows");
    }
    if let Some(refused) = refused(&mut sheet, &unknown_columns) {
        return Ok(refused);
    }

    let mut tx = db.begin().await?;
    let (id, replaced) = store::replace(&mut tx, &county.code, user.id, file_name, &valid).await?;
    let counts = store::match_counts(&mut tx, id).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Create, "roster_import", Some(id), ip).with_detail(
            serde_json::json!({ "rows": valid.len(), "replaced": replaced, "county": county.code }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Outcome::Imported(Imported {
        id,
        county_code: county.code.clone(),
        rows: valid.len() as i64,
        replaced,
        not_registered: counts.0,
        registered_waiting: counts.1,
        paired: counts.2,
        matched_by_name: counts.3,
        unknown_columns,
    }))
}

/// The refusal, when the sheet has problems so far.
fn refused(sheet: &mut Sheet, unknown_columns: &[String]) -> Option<Outcome> {
    match sheet.refusal()? {
        crate::imports::Outcome::Refused(errors) => Some(Outcome::Refused {
            errors,
            unknown_columns: unknown_columns.to_vec(),
        }),
        crate::imports::Outcome::Imported(_) => None,
    }
}

/// What tells one roster child from another: her ID number's keyed hash, or, without one,
/// her name and birth date.
enum Key {
    Id(Vec<u8>),
    Person((String, Date)),
}

/// A row checked: the row to write (`None` with its problems recorded on the sheet), and the
/// child it names, when that much could be read.
struct Checked {
    row: Option<NewRow>,
    key: Option<Key>,
}

fn check_row(
    sheet: &mut Sheet,
    places: &Places,
    cipher: &Cipher,
    n: usize,
    row: &[String],
) -> Checked {
    let id_typed = sheet.cell(row, "id_number").is_some();
    let mut fields = FieldErrors::new();
    let name = text::required(&sheet.cell(row, "name").unwrap_or_default(), NAME_MAX)
        .map_err(|e| fields.insert("name".into(), e))
        .ok();
    let id = match sheet.cell(row, "id_number") {
        None => None,
        Some(text) => IdNumber::parse(&text)
            .map_err(|e| fields.insert("id_number".into(), e))
            .ok(),
    };
    let typed_birth = sheet.date(row, "birth_date");
    let birth = match (&id, typed_birth) {
        (Some(id), typed) => {
            let from_id = id.birth_date();
            if let Some(typed) = typed
                && Date::parse(&typed, &time::format_description::well_known::Iso8601::DATE)
                    .ok()
                    .is_some_and(|d| Some(d) != from_id)
            {
                fields.insert(
                    "birth_date".into(),
                    FieldError::new("roster.birth_date_differs"),
                );
            }
            from_id
        }
        (None, Some(typed)) => {
            match Date::parse(&typed, &time::format_description::well_known::Iso8601::DATE) {
                Ok(d) if d <= crate::domain::today() => Some(d),
                _ => {
                    fields.insert("birth_date".into(), FieldError::new("error.date_format"));
                    None
                }
            }
        }
        (None, None) => {
            if !id_typed {
                fields.insert(
                    "birth_date".into(),
                    FieldError::new("roster.birth_date_or_id"),
                );
            }
            None
        }
    };
    let gender = match (&id, sheet.gender(row, "gender")) {
        (Some(id), _) => Some(id.gender()),
        (None, Some(g)) => match g.as_str() {
            "女" => Some(Gender::Female),
            "男" => Some(Gender::Male),
            _ => {
                fields.insert("gender".into(), FieldError::new("error.choice"));
                None
            }
        },
        (None, None) => None,
    };
    let category = match sheet.cell(row, "category") {
        None => {
            fields.insert("category".into(), FieldError::new("error.required"));
            None
        }
        Some(c) => word(
            &c,
            Category::ALL,
            Category::as_str,
            Category::label_key,
            CATEGORY,
        )
        .or_else(|| {
            fields.insert("category".into(), FieldError::new("error.choice"));
            None
        }),
    };
    let guardian_name = text::optional(sheet.cell(row, "guardian_name").as_deref(), NAME_MAX)
        .map_err(|e| fields.insert("guardian_name".into(), e))
        .ok()
        .flatten();
    let guardian_phone = match sheet.cell(row, "guardian_phone") {
        None => None,
        Some(p) => phone(&p)
            .map_err(|e| fields.insert("guardian_phone".into(), e))
            .ok(),
    };
    let residence = residence(sheet, places, row).map_err(|(field, key)| {
        fields.insert(field.into(), FieldError::new(key));
    });
    sheet.invalid(n, row, &fields);
    let hash = id.as_ref().map(|id| cipher.hash(id.expose()));
    let key = match (&hash, &name, birth) {
        (Some(hash), ..) => Some(Key::Id(hash.clone())),
        (None, Some(name), Some(birth)) if !id_typed => Some(Key::Person((name.clone(), birth))),
        _ => None,
    };
    let row = (|| {
        if !fields.is_empty() {
            return None;
        }
        Some(NewRow {
            sheet_row: n as i32,
            name: name?,
            id_number: match (&id, &hash) {
                (Some(id), Some(hash)) => Some((cipher.encrypt(id.expose()), hash.clone())),
                _ => None,
            },
            birth_date: birth?,
            gender,
            category: category?,
            region_code: residence.ok()?,
            guardian_name,
            guardian_phone,
        })
    })();
    Checked { row, key }
}

/// The row's residence: the 户籍地 column, or the township and village columns.
fn residence(
    sheet: &Sheet,
    places: &Places,
    row: &[String],
) -> Result<String, (&'static str, &'static str)> {
    let not_found = |field: &'static str| {
        move |e: NotFound| match e {
            NotFound::Unknown => (field, "roster.residence_unknown"),
            NotFound::Ambiguous => (field, "roster.residence_ambiguous"),
        }
    };
    if let Some(text) = sheet.cell(row, "residence") {
        return places.resolve(&text).map_err(not_found("residence"));
    }
    match sheet.cell(row, "township") {
        Some(township) => places
            .resolve_parts(&township, sheet.cell(row, "village").as_deref())
            .map_err(not_found("township")),
        None if sheet.has("residence") => Err(("residence", "error.required")),
        None => Err(("township", "error.required")),
    }
}
