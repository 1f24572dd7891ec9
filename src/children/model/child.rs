//! The child's record: who she or he is, where they live, what they need, and their exit.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::guardians::{ConsentInput, ConsentScope, GuardianInput, ValidConsent, ValidGuardian};
use super::{choice, choices};
use crate::domain::{self, Gender, IdNumber, text, word_enum};
use crate::regions::model::{RegionCode, RegionLevel};
use crate::web::error::{FieldError, FieldErrors};
use crate::web::paging::sort_order;

pub use crate::domain::Category;
word_enum!(
    /// What makes a child's situation difficult.
    Difficulty, "child_difficulty", "child.difficulty",
    [Orphan = "orphan", Unsupported = "unsupported", Disabled = "disabled", LowIncome = "low_income", SeriousIllness = "serious_illness", Other = "other"]
);
word_enum!(
    /// What a child needs from a volunteer.
    Need, "child_need", "child.need",
    [Academic = "academic", Emotional = "emotional", Behavioural = "behavioural", Safety = "safety", Companionship = "companionship"]
);
word_enum!(
    /// Where a child stands.
    ChildStatus, "child_status", "child.status", [Registered = "registered", Paired = "paired", Exited = "exited"]
);
word_enum!(
    /// Who the child lives with.
    LivingWith, "child_living_with", "child.living_with",
    [OneParent = "one_parent", Grandparents = "grandparents", Relatives = "relatives", Alone = "alone", Institution = "institution", Other = "other"]
);
word_enum!(
    /// The parents' situation.
    ParentsStatus, "child_parents_status", "child.parents_status",
    [BothMigrant = "both_migrant", FatherMigrant = "father_migrant", MotherMigrant = "mother_migrant", Divorced = "divorced",
     OneDeceased = "one_deceased", BothDeceased = "both_deceased", Incarcerated = "incarcerated", DisabledOrIll = "disabled_or_ill", Other = "other"]
);
word_enum!(
    /// Why a child left the programme.
    ExitReason, "child_exit_reason", "child.exit_reason",
    [AgedOut = "aged_out", FamilyMoved = "family_moved", ParentsReturned = "parents_returned", GuardianRequest = "guardian_request", Other = "other"]
);
/// Children younger than this need a guardian's consent to be registered (PIPL art. 31).
pub const CONSENT_AGE: i32 = 14;

/// A child as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Child {
    pub id: Uuid,
    pub name: String,
    pub gender: Gender,
    pub birth_date: Date,
    /// Age today.
    pub age: i32,
    /// ID number, masked.
    pub id_number_masked: Option<String>,
    pub category: Category,
    /// Difficulty types (困境儿童).
    pub difficulty_types: Vec<Difficulty>,
    /// Residence.
    pub region_code: String,
    /// Its full name.
    pub region_name: String,
    pub station_id: Uuid,
    pub station_name: String,
    pub school: Option<String>,
    pub grade: Option<String>,
    pub living_with: Option<LivingWith>,
    /// Parents' situation.
    pub parents_status: Option<ParentsStatus>,
    pub needs: Vec<Need>,
    pub status: ChildStatus,
    /// Why the child left.
    pub exit_reason: Option<ExitReason>,
    /// When the child left.
    pub exited_on: Option<Date>,
    pub version: i32,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A child in a list.
#[derive(Debug, Clone, Serialize)]
pub struct ListedChild {
    pub id: Uuid,
    pub name: String,
    pub gender: Gender,
    pub birth_date: Date,
    /// Age today.
    pub age: i32,
    pub category: Category,
    pub station_id: Uuid,
    pub station_name: String,
    /// Residence code.
    pub region_code: String,
    pub status: ChildStatus,
    pub version: i32,
}

/// Filters of the child list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Part of the name.
    pub q: Option<String>,
    /// At this station.
    pub station_id: Option<Uuid>,
    /// In this status.
    pub status: Option<ChildStatus>,
    /// In this category.
    pub category: Option<Category>,
    /// Within this region.
    pub region_code: Option<String>,
    /// Order of the rows.
    pub sort: ChildOrder,
}

sort_order!(
    /// Orders of the child list.
    ChildOrder, "child.sort", [Name = "name", Newest = "newest", BirthDate = "birth_date"]
);

/// A child as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ChildInput {
    pub name: Option<String>,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    /// ID number (write only).
    pub id_number: Option<String>,
    pub category: Option<String>,
    pub difficulty_types: Option<Vec<String>>,
    /// Residence.
    pub region_code: Option<String>,
    pub station_id: Option<String>,
    pub school: Option<String>,
    pub grade: Option<String>,
    pub living_with: Option<String>,
    /// Parents' situation.
    pub parents_status: Option<String>,
    pub needs: Option<Vec<String>>,
    /// `registered` or `exited` (pairing sets `paired`).
    pub status: Option<String>,
    pub exit_reason: Option<String>,
    pub exited_on: Option<String>,
    /// The first guardian, registered with the child.
    pub guardian: Option<GuardianInput>,
    /// That guardian's registration consent.
    pub consent: Option<ConsentInput>,
    /// Register even though a child of the same name and birth date lives in the county.
    pub confirm_duplicate: bool,
    /// The version edited (PATCH).
    pub version: Option<i32>,
}

/// A checked child.
#[derive(Debug, Clone)]
pub struct ValidChild {
    pub name: String,
    pub gender: Gender,
    pub birth_date: Date,
    /// ID number given in this input.
    pub id_number: Option<IdNumber>,
    pub category: Category,
    pub difficulty_types: Vec<Difficulty>,
    /// Residence.
    pub region_code: RegionCode,
    pub station_id: Uuid,
    pub school: Option<String>,
    pub grade: Option<String>,
    pub living_with: Option<LivingWith>,
    /// Parents' situation.
    pub parents_status: Option<ParentsStatus>,
    pub needs: Vec<Need>,
    /// Exit, when the child leaves with this edit.
    pub exit: Option<(ExitReason, Date)>,
}

/// The guardian registered with a child, and her or his registration consent.
pub type FirstGuardian = (ValidGuardian, Option<ValidConsent>);

impl ChildInput {
    /// Checks every field of a child; on create (`current` none) a child under 14 needs a
    /// guardian and that guardian's registration consent.
    pub fn validate(
        &self,
        current: Option<ChildStatus>,
    ) -> Result<(ValidChild, Option<FirstGuardian>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let e = &mut errors;
        let name = text::required(self.name.as_deref().unwrap_or(""), 50)
            .map_err(|x| e.insert("name".into(), x))
            .ok();
        let gender = Gender::parse(self.gender.as_deref().unwrap_or(""))
            .map_err(|x| e.insert("gender".into(), x))
            .ok();
        let birth_date = domain::past_date(self.birth_date.as_deref().unwrap_or(""))
            .map_err(|x| e.insert("birth_date".into(), x))
            .ok();
        if let Some(born) = birth_date
            && domain::age_on(born, domain::today()) >= 18
        {
            e.insert("birth_date".into(), FieldError::new("error.child_age"));
        }
        let id_number = match self
            .id_number
            .as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty())
        {
            None => None,
            Some(t) => IdNumber::parse(t)
                .and_then(|id| id.matches(birth_date, gender).map(|()| id))
                .map_err(|x| e.insert("id_number".into(), x))
                .ok(),
        };
        let category = choice(
            self.category.as_deref(),
            Category::parse,
            "category",
            true,
            e,
        );
        let difficulty_types = choices(
            self.difficulty_types.as_deref().unwrap_or(&[]),
            Difficulty::parse,
            "difficulty_types",
            e,
        );
        if category == Some(Category::InDifficulty)
            && difficulty_types.is_empty()
            && !e.contains_key("difficulty_types")
        {
            e.insert(
                "difficulty_types".into(),
                FieldError::new("error.difficulty_required"),
            );
        }
        let region_code = match RegionCode::parse(self.region_code.as_deref().unwrap_or("")) {
            Ok(code) if code.level() >= RegionLevel::County => Some(code),
            Ok(_) => {
                e.insert(
                    "region_code".into(),
                    FieldError::new("error.residence_region_level"),
                );
                None
            }
            Err(x) => {
                let blank = self.region_code.as_deref().unwrap_or("").trim().is_empty();
                e.insert(
                    "region_code".into(),
                    if blank {
                        FieldError::new("error.required")
                    } else {
                        x
                    },
                );
                None
            }
        };
        let station_id = match self
            .station_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => {
                e.insert("station_id".into(), FieldError::new("error.required"));
                None
            }
            Some(s) => Uuid::parse_str(s)
                .map_err(|_| {
                    e.insert(
                        "station_id".into(),
                        FieldError::new("error.station_unknown"),
                    )
                })
                .ok(),
        };
        let school = text::optional(self.school.as_deref(), 100)
            .map_err(|x| e.insert("school".into(), x))
            .ok()
            .flatten();
        let grade = text::optional(self.grade.as_deref(), 20)
            .map_err(|x| e.insert("grade".into(), x))
            .ok()
            .flatten();
        let living_with = choice(
            self.living_with.as_deref(),
            LivingWith::parse,
            "living_with",
            false,
            e,
        );
        let parents_status = choice(
            self.parents_status.as_deref(),
            ParentsStatus::parse,
            "parents_status",
            false,
            e,
        );
        let needs = choices(
            self.needs.as_deref().unwrap_or(&[]),
            Need::parse,
            "needs",
            e,
        );
        let exit = match self
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some("exited") if current.is_some_and(|c| c != ChildStatus::Exited) => {
                let reason = choice(
                    self.exit_reason.as_deref(),
                    ExitReason::parse,
                    "exit_reason",
                    true,
                    e,
                );
                let on = domain::past_date(self.exited_on.as_deref().unwrap_or(""))
                    .map_err(|x| e.insert("exited_on".into(), x))
                    .ok();
                reason.zip(on)
            }
            Some(s) if Some(s) == current.map(ChildStatus::as_str) => None,
            Some(_) => {
                e.insert(
                    "status".into(),
                    FieldError::new("error.child_status_change"),
                );
                None
            }
        };
        // A child under 14 is registered only with a guardian's consent.
        let mut first_guardian = None;
        if current.is_none() {
            let young =
                birth_date.is_some_and(|b| domain::age_on(b, domain::today()) < CONSENT_AGE);
            match (&self.guardian, &self.consent) {
                (Some(g), c) => {
                    let guardian = g.validate("guardian.", e);
                    let consent = match c {
                        Some(c) => c.validate("consent.", Some(ConsentScope::Registration), e),
                        None if young => {
                            e.insert(
                                "consent.given_on".into(),
                                FieldError::new("error.consent_required"),
                            );
                            None
                        }
                        None => None,
                    };
                    if let Some(g) = guardian {
                        first_guardian = Some((g, consent));
                    }
                }
                (None, _) if young => {
                    e.insert(
                        "guardian.name".into(),
                        FieldError::new("error.consent_required"),
                    );
                }
                (None, _) => {}
            }
        }
        match (name, gender, birth_date, category, region_code, station_id) {
            (
                Some(name),
                Some(gender),
                Some(birth_date),
                Some(category),
                Some(region_code),
                Some(station_id),
            ) if errors.is_empty() => Ok((
                ValidChild {
                    name,
                    gender,
                    birth_date,
                    id_number,
                    category,
                    difficulty_types,
                    region_code,
                    station_id,
                    school,
                    grade,
                    living_with,
                    parents_status,
                    needs,
                    exit,
                },
                first_guardian,
            )),
            _ => Err(errors),
        }
    }
}
