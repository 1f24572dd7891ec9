//! The civil-affairs roster: its columns as clerks head them, where a roster child stands, and
//! what the pages and the API show of it.

use serde::Serialize;
use time::Date;
use uuid::Uuid;

use crate::domain::Category;
use crate::domain::word_enum;
use crate::imports::{Column, Variant};

word_enum!(
    /// Where a child on the roster stands in Aixin: not registered (or registered and left),
    /// registered and waiting for a volunteer, or paired.
    RosterStatus, "roster_status", "roster.status",
    [NotRegistered = "not_registered", RegisteredWaiting = "registered_waiting",
     Paired = "paired"]
);

word_enum!(
    /// How a roster child was matched to a registered child: by the keyed hash of the ID
    /// number, or by name and birth date where one side has no ID number.
    MatchedBy, "roster_matched_by", "roster.matched_by",
    [IdNumber = "id_number", NameBirth = "name_birth"]
);

/// The roster's columns as the civil-affairs system exports them.
pub const COLUMNS: &[Column] = &[
    ("name", "姓名", "name", true),
    ("id_number", "身份证号", "id_number", false),
    ("birth_date", "出生日期", "birth_date", false),
    ("gender", "性别", "gender", false),
    ("category", "类别", "category", true),
    ("residence", "户籍地", "residence", false),
    ("township", "乡镇", "township", false),
    ("village", "村", "village", false),
    ("guardian_name", "监护人", "guardian", false),
    ("guardian_phone", "联系电话", "phone", false),
];

/// The other headers rosters come with.
pub const VARIANTS: &[Variant] = &[
    ("name", "儿童姓名"),
    ("name", "学生姓名"),
    ("id_number", "身份证号码"),
    ("id_number", "公民身份号码"),
    ("id_number", "身份证"),
    ("id_number", "证件号码"),
    ("birth_date", "出生年月"),
    ("birth_date", "出生年月日"),
    ("birth_date", "生日"),
    ("category", "儿童类别"),
    ("category", "儿童类型"),
    ("category", "类型"),
    ("category", "人员类别"),
    ("residence", "户籍所在地"),
    ("residence", "户籍地址"),
    ("residence", "户口所在地"),
    ("residence", "家庭住址"),
    ("township", "乡镇(街道)"),
    ("township", "所属乡镇"),
    ("township", "乡镇街道"),
    ("township", "镇(乡)"),
    ("village", "村(社区)"),
    ("village", "所属村"),
    ("village", "村社区"),
    ("village", "村(居)"),
    ("guardian_name", "监护人姓名"),
    ("guardian_name", "guardian_name"),
    ("guardian_phone", "监护人电话"),
    ("guardian_phone", "监护人联系电话"),
    ("guardian_phone", "联系方式"),
    ("guardian_phone", "手机号码"),
    ("guardian_phone", "guardian_phone"),
];

/// The forms clerks write a category in besides its label: the text and the API word.
pub const CATEGORY: &[(&str, &str)] = &[
    ("农村留守儿童", "left_behind"),
    ("留守", "left_behind"),
    ("困境", "in_difficulty"),
    ("事实无人抚养儿童", "in_difficulty"),
    ("孤儿", "in_difficulty"),
];

/// A child on the roster, as the list and the API show her: her ID number masked, her
/// guardian's phone masked.
#[derive(Debug, Clone, Serialize)]
pub struct RosterChild {
    pub id: Uuid,
    pub name: String,
    /// The ID number masked (`510681********1234`), when the roster gave one.
    pub id_number_masked: Option<String>,
    pub birth_date: Date,
    pub category: Category,
    /// Her township or village.
    pub region_code: String,
    /// Its name (township and village).
    pub region_name: String,
    pub guardian_name: Option<String>,
    /// The guardian's phone, masked.
    pub guardian_phone_masked: Option<String>,
    pub status: RosterStatus,
    /// The registered child she is, when one is.
    pub child_id: Option<Uuid>,
    pub matched_by: Option<MatchedBy>,
    /// Her row in the spreadsheet imported.
    pub sheet_row: i32,
}

/// A roster child as the registration form takes her (ID number and phone whole: only for the
/// form of someone who may register her).
#[derive(Debug, Clone)]
pub struct Prefill {
    pub name: String,
    pub id_number: Option<String>,
    pub birth_date: Date,
    pub gender: Option<crate::domain::Gender>,
    pub category: Category,
    pub region_code: String,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
}

/// A registered child of the county who is not on its roster.
#[derive(Debug, Clone, Serialize)]
pub struct Unlisted {
    pub child_id: Uuid,
    pub name: String,
    pub birth_date: Date,
    pub category: Category,
    pub region_code: String,
    pub region_name: String,
    /// `registered` or `paired`.
    pub paired: bool,
}

/// The figures of a roster: children on it, those registered in Aixin, those paired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub roster_children: i64,
    pub roster_registered: i64,
    pub roster_paired: i64,
}

impl Coverage {
    /// Registered per hundred on the roster (one decimal).
    pub fn registered_share(&self) -> Option<f64> {
        share(self.roster_registered, self.roster_children)
    }

    /// Paired per hundred on the roster (one decimal).
    pub fn paired_share(&self) -> Option<f64> {
        share(self.roster_paired, self.roster_children)
    }

    /// Not yet registered.
    pub fn not_registered(&self) -> i64 {
        self.roster_children - self.roster_registered
    }
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// One township's coverage (or the roster's children with only a county-level residence).
#[derive(Debug, Clone, Serialize)]
pub struct Township {
    pub region_code: String,
    pub name: String,
    #[serde(flatten)]
    pub coverage: Coverage,
}

/// A county's current roster: when and by whom it was imported.
#[derive(Debug, Clone, Serialize)]
pub struct RosterImport {
    pub id: Uuid,
    pub county_code: String,
    pub county_name: String,
    pub imported_at: time::OffsetDateTime,
    pub imported_by: Option<String>,
    pub file_name: Option<String>,
    pub rows: i32,
}

/// What an import did: the rows read and how many of them Aixin already knows.
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    pub id: Uuid,
    pub county_code: String,
    pub rows: i64,
    /// Rows of the county's roster this one replaced.
    pub replaced: i64,
    pub not_registered: i64,
    pub registered_waiting: i64,
    pub paired: i64,
    /// Of the matched rows, those matched by name and birth date (no ID number on one side).
    pub matched_by_name: i64,
    /// Headers of the file that name no roster column (not read).
    pub unknown_columns: Vec<String>,
}

/// A roster is kept this many months after its import at most (the retention run deletes an
/// older one); a county's next import replaces it sooner.
pub const KEEP_MONTHS: u16 = 12;
