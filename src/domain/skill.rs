//! A volunteer's skills in the reader's language.
//!
//! Skills are kept as she typed them (free text, `volunteer.skills`), most of them the common
//! words of the form's example: 学业辅导, 心理, 非遗, 文艺, 法律, 医疗. A skill that is one of
//! the known words below (or one of its other forms, or its label in either language) is shown
//! by its label in the reader's language (`skill.<key>` in the message files); any other skill
//! is shown as typed.

use std::borrow::Cow;

use crate::i18n::Lang;

/// The known skills: the key of their label, and the other ways people write them.
const KNOWN: &[(&str, &[&str])] = &[
    (
        "tutoring",
        &["学业", "辅导", "课业辅导", "作业辅导", "学习辅导", "家教"],
    ),
    (
        "counselling",
        &[
            "心理",
            "心理辅导",
            "心理咨询",
            "心理健康",
            "谈心",
            "counseling",
            "psychology",
        ],
    ),
    ("heritage_crafts", &["非遗", "非遗传承", "heritage"]),
    ("arts", &["文艺表演", "文娱"]),
    ("law", &["普法", "法律咨询", "legal"]),
    ("medicine", &["医护", "医疗保健", "medical"]),
    ("nursing", &["护理"]),
    ("handicrafts", &["手工制作", "crafts"]),
    ("painting", &["美术", "画画", "drawing"]),
    ("music", &["唱歌", "声乐", "乐器"]),
    ("reading", &["读书", "绘本阅读", "亲子阅读"]),
    ("safety_education", &["安全"]),
    ("sports", &["运动", "体育运动"]),
    ("cooking", &["厨艺", "做饭"]),
    ("dance", &["跳舞"]),
    ("storytelling", &["故事"]),
    ("companionship", &[]),
    ("calligraphy", &[]),
    ("first_aid", &[]),
];

/// The message key of a known skill's label (`skill.tutoring`), when `skill` is one.
fn known(skill: &str) -> Option<String> {
    let skill = skill.trim();
    KNOWN.iter().find_map(|(key, forms)| {
        let label = format!("skill.{key}");
        let is = forms.iter().any(|f| f.eq_ignore_ascii_case(skill))
            || [Lang::ZhCn, Lang::En]
                .iter()
                .any(|l| l.t(&label).eq_ignore_ascii_case(skill));
        is.then_some(label)
    })
}

/// The known skills' keys (`tutoring`), in the order a form offers them; each is labelled by
/// `skill.<key>`.
pub fn keys() -> impl Iterator<Item = &'static str> {
    KNOWN.iter().map(|(key, _)| *key)
}

fn is_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// One skill as the reader reads it: a known skill by its label in `lang` (in Chinese, one
/// typed in Chinese stays as typed), any other as typed.
pub fn label(lang: Lang, skill: &str) -> Cow<'_, str> {
    let skill = skill.trim();
    if lang == Lang::ZhCn && is_chinese(skill) {
        return Cow::Borrowed(skill);
    }
    match known(skill) {
        Some(key) => Cow::Borrowed(lang.t(&key)),
        None => Cow::Borrowed(skill),
    }
}

/// Skills as a list in `lang` (学业辅导、心理 · "Tutoring, Counselling"), each once.
pub fn list(lang: Lang, skills: &[String]) -> String {
    lang.list(skills.iter().map(|s| label(lang, s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_skill_has_a_label_in_both_languages() {
        for (key, _) in KNOWN {
            for lang in [Lang::ZhCn, Lang::En] {
                assert!(
                    crate::i18n::keys(lang).contains(&format!("skill.{key}").as_str()),
                    "skill.{key} in {}",
                    lang.tag()
                );
            }
        }
    }

    #[test]
    fn known_skills_read_in_the_readers_language_others_as_typed() {
        let skills = ["学业辅导", "心理", "心理疏导", "非遗", "养蜂"].map(String::from);
        assert_eq!(
            list(Lang::En, &skills),
            "Tutoring, Counselling, Heritage crafts, 养蜂"
        );
        assert_eq!(
            list(Lang::ZhCn, &skills),
            "学业辅导、心理、心理疏导、非遗、养蜂"
        );
        let typed_in_english = ["tutoring", "Law", "beekeeping"].map(String::from);
        assert_eq!(
            list(Lang::ZhCn, &typed_in_english),
            "学业辅导、法律、beekeeping"
        );
        assert_eq!(
            list(Lang::En, &["心理".into(), "心理".into()]),
            "Counselling"
        );
    }
}
