//! Matching a child with a volunteer: ranked suggestions, each with why she ranks where she
//! does (or why she cannot be paired), and what the new-pairing page shows of the child.

use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use super::super::model::{Pairing, PairingStatus};
use super::super::read;
use crate::auth::CurrentUser;
use crate::children::model::{Child, ConsentScope, Need};
use crate::children::service::ChildDetail;
use crate::crypto::Cipher;
use crate::i18n::Lang;
use crate::volunteers::model::VolunteerStatus;
use crate::web::error::AppError;

/// How near a volunteer serves to a child's station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Proximity {
    /// Outside the county.
    Elsewhere,
    /// In the same county.
    SameCounty,
    /// In the same township (乡镇/街道).
    SameTownship,
    /// At the child's station.
    SameStation,
}

impl Proximity {
    fn label_key(self) -> &'static str {
        match self {
            Proximity::SameStation => "match.same_station",
            Proximity::SameTownship => "match.same_township",
            Proximity::SameCounty => "match.same_county",
            Proximity::Elsewhere => "match.elsewhere",
        }
    }

    fn weight(self) -> i32 {
        match self {
            Proximity::SameStation => 300,
            Proximity::SameTownship => 200,
            Proximity::SameCounty => 100,
            Proximity::Elsewhere => 0,
        }
    }
}

/// Skill tags (in part) that serve each need: a skill fits when it contains one of them.
const NEED_SKILLS: &[(Need, &[&str])] = &[
    (Need::Academic, &["学业", "辅导", "教", "阅读", "作业"]),
    (Need::Emotional, &["心理", "谈心", "情感", "陪伴"]),
    (Need::Behavioural, &["心理", "行为", "教"]),
    (Need::Safety, &["安全", "法律", "普法", "医疗", "护理"]),
    (
        Need::Companionship,
        &[
            "陪伴", "文艺", "非遗", "手工", "体育", "故事", "阅读", "音乐", "舞蹈",
        ],
    ),
];

/// The volunteer's skills that serve the child's needs, and how many of the needs they serve.
pub fn fitting_skills(needs: &[Need], skills: &[String]) -> (Vec<String>, usize) {
    let fits = |need: Need, skill: &str| {
        NEED_SKILLS
            .iter()
            .filter(|(n, _)| *n == need)
            .any(|(_, words)| words.iter().any(|w| skill.contains(w)))
    };
    let fitting: Vec<String> = skills
        .iter()
        .filter(|s| needs.iter().any(|n| fits(*n, s)))
        .cloned()
        .collect();
    let needs_met = needs
        .iter()
        .filter(|n| skills.iter().any(|s| fits(**n, s)))
        .count();
    (fitting, needs_met)
}

/// A volunteer suggested for a child, with why she ranks where she does.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Suggestion {
    pub volunteer_id: Uuid,
    pub name: String,
    pub station_id: Option<Uuid>,
    pub station_name: Option<String>,
    /// How near she serves.
    pub proximity: Proximity,
    /// Her skills that serve the child's needs.
    pub fitting_skills: Vec<String>,
    /// Children paired with her now.
    pub active_pairings: i64,
    /// Children she may take.
    pub capacity: i16,
    /// Rank score: nearness first, then fitting skills, then free places.
    pub score: i32,
    /// Whether she may be paired with this child now.
    pub eligible: bool,
    /// Why she ranks here, or why she cannot be paired (codes).
    pub reasons: Vec<&'static str>,
    /// The same, in words.
    pub explanation: String,
}

/// Ranked suggestions of volunteers for a child in the caller's scope. Without `q`: eligible
/// volunteers of the station's county, best first. With `q`: every volunteer in scope of that
/// name, eligible first, the others with the reason they cannot be paired.
pub async fn suggestions(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    child: Uuid,
    q: Option<&str>,
    lang: Lang,
) -> Result<Vec<Suggestion>, AppError> {
    let detail = crate::children::service::detail(db, cipher, user, child).await?;
    rank(db, user, &detail.child, q, lang).await
}

/// Ranks the volunteers who might take `child`.
#[tracing::instrument(name = "suggestions", skip_all)]
async fn rank(
    db: &PgPool,
    user: &CurrentUser,
    child: &Child,
    q: Option<&str>,
    lang: Lang,
) -> Result<Vec<Suggestion>, AppError> {
    let station_region = read::station_region(db, child.station_id).await?;
    let county = &station_region[..6.min(station_region.len())];
    let township = &station_region[..9.min(station_region.len())];
    let candidates = read::candidates(db, &user.scope, child.id, county, q).await?;
    let mut out: Vec<Suggestion> = candidates
        .into_iter()
        .map(|c| {
            let proximity = if c.station_id == Some(child.station_id) {
                Proximity::SameStation
            } else if c.place.starts_with(township) && township.len() == 9 {
                Proximity::SameTownship
            } else if c.place.starts_with(county) {
                Proximity::SameCounty
            } else {
                Proximity::Elsewhere
            };
            let (fitting, needs_met) = fitting_skills(&child.needs, &c.skills);
            let places_left = (i64::from(c.capacity) - c.paired).max(0);
            let mut reasons = Vec::new();
            let mut words = vec![lang.t(proximity.label_key()).to_owned()];
            if c.status != VolunteerStatus::Active {
                reasons.push("not_active");
                words.push(lang.tf(
                    "match.not_active",
                    &[("status", lang.t(c.status.label_key()))],
                ));
            }
            if c.paired_with_child {
                reasons.push("paired_with_child");
                words.push(lang.t("match.paired_with_child").to_owned());
            } else if places_left == 0 {
                reasons.push("at_capacity");
            }
            if proximity == Proximity::Elsewhere {
                reasons.push("outside_county");
            }
            let eligible = reasons.is_empty();
            reasons.insert(
                0,
                match proximity {
                    Proximity::SameStation => "same_station",
                    Proximity::SameTownship => "same_township",
                    Proximity::SameCounty => "same_county",
                    Proximity::Elsewhere => "elsewhere",
                },
            );
            if !fitting.is_empty() {
                reasons.push("skills_fit");
                words.push(lang.tf(
                    "match.skills_fit",
                    &[("skills", &crate::domain::skill::list(lang, &fitting))],
                ));
            }
            words.push(lang.tf(
                "match.load",
                &[
                    ("paired", &c.paired.to_string()),
                    ("capacity", &c.capacity.to_string()),
                ],
            ));
            Suggestion {
                volunteer_id: c.id,
                name: c.name,
                station_id: c.station_id,
                station_name: c.station_name,
                proximity,
                fitting_skills: fitting,
                active_pairings: c.paired,
                capacity: c.capacity,
                score: proximity.weight() + 20 * needs_met as i32 + 5 * places_left.min(3) as i32,
                eligible,
                reasons,
                explanation: words.join(" · "),
            }
        })
        .collect();
    // Stable: volunteers who rank alike keep the pinyin order of their names, as read.
    out.sort_by(|a, b| b.eligible.cmp(&a.eligible).then(b.score.cmp(&a.score)));
    Ok(out)
}

/// What the new-pairing page shows of a child: her record, the pairing she has now if any,
/// whether her pairing consent is in force today, the volunteers suggested for her and her
/// station's ice-breaking events.
#[derive(Debug, Clone)]
pub struct ChildToPair {
    pub detail: ChildDetail,
    pub active: Option<Pairing>,
    pub has_consent: bool,
    pub suggestions: Vec<Suggestion>,
    pub ice_breakers: Vec<(Uuid, String, Date)>,
}

/// A child in the caller's scope, as the new-pairing page shows her (`q`: a volunteer's name
/// looked for).
pub async fn child_to_pair(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    child: Uuid,
    q: Option<&str>,
    lang: Lang,
) -> Result<ChildToPair, AppError> {
    let detail = crate::children::service::detail(db, cipher, user, child).await?;
    let today = crate::domain::today();
    let active = read::of_child(db, child, today, lang)
        .await?
        .into_iter()
        .find(|p| p.status == PairingStatus::Active);
    let has_consent =
        crate::children::service::has_current_consent(db, child, ConsentScope::Pairing, today)
            .await?;
    let suggestions = rank(db, user, &detail.child, q, lang).await?;
    let ice_breakers = read::ice_breakers(db, detail.child.station_id).await?;
    Ok(ChildToPair {
        detail,
        active,
        has_consent,
        suggestions,
        ice_breakers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skills_are_matched_to_needs_by_their_words() {
        let skills = vec![
            "学业辅导".to_owned(),
            "烹饪".to_owned(),
            "心理疏导".to_owned(),
        ];
        let (fitting, met) = fitting_skills(&[Need::Academic, Need::Emotional], &skills);
        assert_eq!(fitting, ["学业辅导", "心理疏导"]);
        assert_eq!(met, 2);
        let (fitting, met) = fitting_skills(&[Need::Safety], &skills);
        assert!(fitting.is_empty());
        assert_eq!(met, 0);
    }
}
