//! What match support holds about a volunteer, in her access copy: the check-ins staff held with
//! her (their rating, flags and note are about her and her pairing) and the relationship
//! surveys she answered. The check-ins held with a guardian and the guardian's answers are the
//! child's, in the child's copy.

use sqlx::PgPool;
use uuid::Uuid;

use super::{Section, opt, section, word};
use crate::i18n::Lang;

/// Her check-ins and her surveys, as two sections.
pub(super) async fn of_volunteer(
    db: &PgPool,
    lang: Lang,
    volunteer: Uuid,
) -> sqlx::Result<[Section; 2]> {
    let check_ins = sqlx::query!(
        r#"SELECT c.held_on, k.name AS child, c.mode::text AS "mode!", c.rating,
                  c.flags::text[] AS "flags!", c.note
           FROM check_in c JOIN pairing p ON p.id = c.pairing_id
           JOIN child k ON k.id = p.child_id
           WHERE p.volunteer_id = $1 AND c.held_with = 'volunteer'
           ORDER BY c.held_on, c.created_at"#,
        volunteer
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|c| {
        vec![
            c.held_on.to_string(),
            crate::domain::given_name(&c.child),
            word(lang, "contact.mode", &c.mode),
            c.rating.to_string(),
            lang.list(c.flags.iter().map(|f| word(lang, "check_in.flag", f))),
            opt(c.note),
        ]
    })
    .collect();
    let surveys = sqlx::query!(
        r#"SELECT s.answered_on, k.name AS child, s.trust, s.enjoy, s.talks, s.support, s.change,
                  s.score::text AS "score!"
           FROM survey s JOIN pairing p ON p.id = s.pairing_id
           JOIN child k ON k.id = p.child_id
           WHERE p.volunteer_id = $1 AND s.respondent = 'volunteer'
           ORDER BY s.answered_on, s.created_at"#,
        volunteer
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|s| {
        let mut row = vec![
            s.answered_on.to_string(),
            crate::domain::given_name(&s.child),
        ];
        row.extend([s.trust, s.enjoy, s.talks, s.support, s.change].map(|a| a.to_string()));
        row.push(s.score);
        row
    })
    .collect();
    Ok([
        section(
            "check_in.title",
            &[
                "access.date",
                "access.child",
                "access.mode",
                "field.rating",
                "field.flags",
                "access.note",
            ],
            check_ins,
        ),
        section(
            "survey.title",
            &[
                "access.date",
                "access.child",
                "field.trust",
                "field.enjoy",
                "field.talks",
                "field.support",
                "field.change",
                "survey.score",
            ],
            surveys,
        ),
    ])
}
