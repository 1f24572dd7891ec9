//! Follow-ups in a person's access copy. A child's holds those on her contacts and on the
//! check-ins held with her guardian (what was asked is about her; a sensitive concern's is
//! held back as its description is). A volunteer's holds those on the check-ins held with her,
//! and the notes that answered her contacts — the replies she was shown — without the staff's
//! action about the child.

use sqlx::PgPool;
use uuid::Uuid;

use super::{HELD_BACK, Section, opt, section, word};
use crate::i18n::Lang;

/// The columns, the other person of the pairing named by `person`.
fn columns(person: &'static str) -> [&'static str; 7] {
    [
        "access.date",
        person,
        "follow_up.entry",
        "field.action",
        "field.due_on",
        "access.status",
        "follow_up.done_note",
    ]
}

fn entry(lang: Lang, on_contact: bool) -> String {
    lang.t(if on_contact {
        "follow_up.on_contact"
    } else {
        "follow_up.on_check_in"
    })
    .to_owned()
}

fn status(lang: Lang, done: bool) -> String {
    word(lang, "follow_up.status", if done { "done" } else { "open" })
}

/// The follow-ups about a child.
pub(super) async fn of_child(
    db: &PgPool,
    lang: Lang,
    child: Uuid,
    include_sensitive: bool,
) -> sqlx::Result<Section> {
    let rows = sqlx::query!(
        r#"SELECT coalesce(k.contacted_on, ci.held_on) AS "on!", v.name AS volunteer,
                  f.contact_id IS NOT NULL AS "on_contact!", k.concern_category::text AS concern,
                  f.action, f.due_on, f.done_at IS NOT NULL AS "done!", f.done_note
           FROM follow_up f JOIN pairing p ON p.id = f.pairing_id
           JOIN volunteer v ON v.id = p.volunteer_id
           LEFT JOIN contact k ON k.id = f.contact_id
           LEFT JOIN check_in ci ON ci.id = f.check_in_id
           WHERE p.child_id = $1 AND (f.contact_id IS NOT NULL OR ci.held_with = 'guardian')
           ORDER BY f.created_at"#,
        child
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|f| {
        let held_back =
            f.concern.as_deref().is_some_and(|c| HELD_BACK.contains(&c)) && !include_sensitive;
        let hide = |text: Option<String>| match text {
            Some(_) if held_back => lang.t("access.held_back").to_owned(),
            text => opt(text),
        };
        vec![
            f.on.to_string(),
            f.volunteer,
            entry(lang, f.on_contact),
            hide(Some(f.action)),
            f.due_on.to_string(),
            status(lang, f.done),
            hide(f.done_note),
        ]
    })
    .collect();
    Ok(section(
        "follow_ups.title",
        &columns("access.volunteer"),
        rows,
    ))
}

/// The follow-ups about a volunteer, and the replies to her contacts.
pub(super) async fn of_volunteer(
    db: &PgPool,
    lang: Lang,
    volunteer: Uuid,
) -> sqlx::Result<Section> {
    let rows = sqlx::query!(
        r#"SELECT coalesce(k.contacted_on, ci.held_on) AS "on!", c.name AS child,
                  f.contact_id IS NOT NULL AS "on_contact!", f.action, f.due_on,
                  f.done_at IS NOT NULL AS "done!", f.done_note
           FROM follow_up f JOIN pairing p ON p.id = f.pairing_id
           JOIN child c ON c.id = p.child_id
           LEFT JOIN contact k ON k.id = f.contact_id
           LEFT JOIN check_in ci ON ci.id = f.check_in_id
           WHERE p.volunteer_id = $1
             AND ((f.contact_id IS NOT NULL AND f.done_at IS NOT NULL)
                  OR ci.held_with = 'volunteer')
           ORDER BY f.created_at"#,
        volunteer
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|f| {
        vec![
            f.on.to_string(),
            crate::domain::given_name(&f.child),
            entry(lang, f.on_contact),
            if f.on_contact {
                String::new()
            } else {
                f.action
            },
            f.due_on.to_string(),
            status(lang, f.done),
            opt(f.done_note),
        ]
    })
    .collect();
    Ok(section("follow_ups.title", &columns("access.child"), rows))
}
