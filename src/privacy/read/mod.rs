//! The access copy: everything held about a child or a volunteer, gathered from every area's
//! tables (the one crossing: read-only rows for the copy, deciding nothing). Values are full —
//! the copy is for the person they are about, whose identity the staff checked — except the
//! descriptions of `abuse_neglect` and `safety` concerns, held back unless the staff member
//! includes them deliberately: the requester may be the person concerned.

mod follow_ups;
mod support;

use std::collections::HashMap;

use sqlx::PgPool;
use uuid::Uuid;

use crate::i18n::Lang;

/// One table of the copy.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Section {
    /// Message key of its title.
    pub title: &'static str,
    /// Message keys of its columns.
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// The sensitive concern categories whose descriptions are held back by default.
const HELD_BACK: [&str; 2] = ["abuse_neglect", "safety"];

fn word(lang: Lang, prefix: &str, word: &str) -> String {
    lang.t(&format!("{prefix}.{word}")).to_owned()
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Everything held about a child: her record, guardians, consents, pairings, attendance,
/// contacts, check-ins with her guardian, follow-ups, wishes, the requests about her and the audit trail of who opened and changed it.
pub async fn child_copy(
    db: &PgPool,
    lang: Lang,
    child: Uuid,
    full_id: Option<String>,
    include_sensitive: bool,
) -> sqlx::Result<Vec<Section>> {
    let c = sqlx::query!(
        r#"SELECT c.name, c.gender::text AS "gender!", c.birth_date, c.category::text AS "category!",
                  c.difficulty_types::text[] AS "difficulty!", c.region_code, r.name AS "region?",
                  s.name AS station, c.school, c.grade, c.living_with::text AS living_with,
                  c.parents_status::text AS parents_status, c.needs::text[] AS "needs!",
                  c.status::text AS "status!", c.exit_reason::text AS exit_reason, c.exited_on,
                  c.created_at
           FROM child c JOIN station s ON s.id = c.station_id
           LEFT JOIN region r ON r.code = c.region_code
           WHERE c.id = $1"#,
        child
    )
    .fetch_one(db)
    .await?;
    let words =
        |prefix: &str, items: &[String]| lang.list(items.iter().map(|w| word(lang, prefix, w)));
    let record = vec![
        ("children.name", c.name),
        ("volunteers.gender", word(lang, "gender", &c.gender)),
        ("children.birth_date", c.birth_date.to_string()),
        ("volunteers.id_number", full_id.unwrap_or_default()),
        (
            "children.category",
            word(lang, "child.category", &c.category),
        ),
        (
            "children.difficulty_types",
            words("child.difficulty", &c.difficulty),
        ),
        ("children.region", c.region.unwrap_or(c.region_code)),
        ("children.station", c.station),
        ("children.school", opt(c.school)),
        ("children.grade", opt(c.grade)),
        (
            "children.living_with",
            c.living_with
                .map(|w| word(lang, "child.living_with", &w))
                .unwrap_or_default(),
        ),
        (
            "children.parents_status",
            c.parents_status
                .map(|w| word(lang, "child.parents_status", &w))
                .unwrap_or_default(),
        ),
        ("children.needs", words("child.need", &c.needs)),
        ("children.status", word(lang, "child.status", &c.status)),
        (
            "children.exit_reason",
            c.exit_reason
                .map(|w| word(lang, "child.exit_reason", &w))
                .unwrap_or_default(),
        ),
        ("children.exited_on", opt(c.exited_on)),
        ("access.registered_at", c.created_at.date().to_string()),
    ];
    let record = Section {
        title: "access.record",
        columns: vec!["access.field", "access.value"],
        rows: record
            .into_iter()
            .map(|(key, value)| vec![lang.t(key).to_owned(), value])
            .collect(),
    };

    let guardians = sqlx::query!(
        r#"SELECT id, name, relation::text AS "relation!", phone, share_contact_with_volunteer, removed_on
           FROM guardian WHERE child_id = $1 ORDER BY created_at"#,
        child
    )
    .fetch_all(db)
    .await?;
    let guardian_rows = guardians
        .iter()
        .map(|g| {
            vec![
                g.name.clone(),
                word(lang, "guardian.relation", &g.relation),
                opt(g.phone.clone()),
                lang.t(if g.share_contact_with_volunteer {
                    "access.yes"
                } else {
                    "access.no"
                })
                .to_owned(),
                opt(g.removed_on),
            ]
        })
        .collect();
    let names: HashMap<Uuid, String> = guardians.iter().map(|g| (g.id, g.name.clone())).collect();

    let consents = sqlx::query!(
        r#"SELECT guardian_id, scope::text AS "scope!", given_on, method::text AS "method!", withdrawn_on
           FROM consent WHERE child_id = $1 ORDER BY given_on, created_at"#,
        child
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|k| {
        vec![
            word(lang, "consent.scope", &k.scope),
            names.get(&k.guardian_id).cloned().unwrap_or_default(),
            k.given_on.to_string(),
            word(lang, "consent.method", &k.method),
            opt(k.withdrawn_on),
        ]
    })
    .collect();

    let pairings = sqlx::query!(
        r#"SELECT v.name AS volunteer, s.name AS station, p.started_on, p.ended_on,
                  p.status::text AS "status!", p.closure_reason::text AS closure_reason, p.closure_note,
                  p.contact_count
           FROM pairing p JOIN volunteer v ON v.id = p.volunteer_id JOIN station s ON s.id = p.station_id
           WHERE p.child_id = $1 ORDER BY p.started_on"#,
        child
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|p| {
        vec![
            p.volunteer,
            p.station,
            p.started_on.to_string(),
            opt(p.ended_on),
            word(lang, "pairing.status", &p.status),
            p.closure_reason.map(|r| word(lang, "pairing.reason", &r)).unwrap_or_default(),
            opt(p.closure_note),
            p.contact_count.to_string(),
        ]
    })
    .collect();

    let attendance = sqlx::query!(
        r#"SELECT a.held_on, a.title, a.kind::text AS "kind!", s.name AS station
           FROM attendance t JOIN activity a ON a.id = t.activity_id JOIN station s ON s.id = a.station_id
           WHERE t.child_id = $1 ORDER BY a.held_on"#,
        child
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|a| vec![a.held_on.to_string(), a.title, word(lang, "activity.kind", &a.kind), a.station])
    .collect();

    let contacts = sqlx::query!(
        r#"SELECT k.contacted_on, k.mode::text AS "mode!", k.duration_minutes, k.topics::text[] AS "topics!",
                  k.note, k.concern_category::text AS concern, k.concern_detail, k.concern_resolution,
                  v.name AS volunteer
           FROM contact k JOIN pairing p ON p.id = k.pairing_id JOIN volunteer v ON v.id = p.volunteer_id
           WHERE p.child_id = $1 ORDER BY k.contacted_on, k.created_at"#,
        child
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|k| {
        let held_back = k.concern.as_deref().is_some_and(|c| HELD_BACK.contains(&c)) && !include_sensitive;
        let detail = if held_back {
            lang.t("access.held_back").to_owned()
        } else {
            opt(k.concern_detail)
        };
        vec![
            k.contacted_on.to_string(),
            k.volunteer,
            word(lang, "contact.mode", &k.mode),
            opt(k.duration_minutes),
            words("contact.topic", &k.topics),
            opt(k.note),
            k.concern.map(|c| word(lang, "concern", &c)).unwrap_or_default(),
            detail,
            opt(k.concern_resolution),
        ]
    })
    .collect();

    let check_ins = sqlx::query!(
        r#"SELECT c.held_on, v.name AS volunteer, c.held_with::text AS "with!",
                  c.mode::text AS "mode!", c.rating, c.flags::text[] AS "flags!", c.note
           FROM check_in c JOIN pairing p ON p.id = c.pairing_id
           JOIN volunteer v ON v.id = p.volunteer_id
           WHERE p.child_id = $1 AND c.held_with = 'guardian'
           ORDER BY c.held_on, c.created_at"#,
        child
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|c| {
        vec![
            c.held_on.to_string(),
            c.volunteer,
            word(lang, "check_in.with", &c.with),
            word(lang, "contact.mode", &c.mode),
            c.rating.to_string(),
            words("check_in.flag", &c.flags),
            opt(c.note),
        ]
    })
    .collect();

    let surveys = sqlx::query!(
        r#"SELECT s.answered_on, v.name AS volunteer, s.respondent::text AS "respondent!",
                  s.trust, s.enjoy, s.talks, s.support, s.change, s.score::text AS "score!"
           FROM survey s JOIN pairing p ON p.id = s.pairing_id
           JOIN volunteer v ON v.id = p.volunteer_id
           WHERE p.child_id = $1 ORDER BY s.answered_on, s.created_at"#,
        child
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|s| {
        let mut row = vec![
            s.answered_on.to_string(),
            s.volunteer,
            word(lang, "survey.respondent", &s.respondent),
        ];
        row.extend([s.trust, s.enjoy, s.talks, s.support, s.change].map(|a| a.to_string()));
        row.push(s.score);
        row
    })
    .collect();
    let follow_ups = follow_ups::of_child(db, lang, child, include_sensitive).await?;

    let wishes = sqlx::query!(
        r#"SELECT text, category::text AS "category!", status::text AS "status!", claimed_on,
                  fulfilled_on, fulfilment_note, created_at
           FROM wish WHERE child_id = $1 ORDER BY created_at"#,
        child
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|w| {
        vec![
            w.created_at.date().to_string(),
            w.text,
            word(lang, "wish.category", &w.category),
            word(lang, "wish.status", &w.status),
            opt(w.claimed_on),
            opt(w.fulfilled_on),
            opt(w.fulfilment_note),
        ]
    })
    .collect();

    let trail = trail(db, lang, TrailOf::Child(child)).await?;
    Ok(vec![
        record,
        section(
            "children.guardians",
            &[
                "guardian.name",
                "guardian.relation_label",
                "guardian.phone",
                "guardian.share",
                "access.removed_on",
            ],
            guardian_rows,
        ),
        section(
            "children.consents",
            &[
                "consent.scope_label",
                "guardian.name",
                "consent.given_on",
                "consent.method_label",
                "consent.withdrawn_on",
            ],
            consents,
        ),
        section(
            "access.pairings",
            &[
                "access.volunteer",
                "children.station",
                "access.started_on",
                "access.ended_on",
                "access.status",
                "access.closure_reason",
                "access.closure_note",
                "access.contact_count",
            ],
            pairings,
        ),
        section(
            "access.attendance",
            &[
                "access.date",
                "access.activity",
                "access.kind",
                "children.station",
            ],
            attendance,
        ),
        section(
            "access.contacts",
            &[
                "access.date",
                "access.volunteer",
                "access.mode",
                "access.minutes",
                "access.topics",
                "access.note",
                "access.concern",
                "access.concern_detail",
                "access.resolution",
            ],
            contacts,
        ),
        section(
            "check_in.title",
            &[
                "access.date",
                "access.volunteer",
                "field.with",
                "access.mode",
                "field.rating",
                "field.flags",
                "access.note",
            ],
            check_ins,
        ),
        follow_ups,
        section(
            "survey.title",
            &[
                "access.date",
                "access.volunteer",
                "field.respondent",
                "field.trust",
                "field.enjoy",
                "field.talks",
                "field.support",
                "field.change",
                "survey.score",
            ],
            surveys,
        ),
        section(
            "wishes.title",
            &[
                "access.date",
                "access.wish",
                "access.kind",
                "access.status",
                "access.claimed_on",
                "access.fulfilled_on",
                "access.note",
            ],
            wishes,
        ),
        trail,
    ])
}

/// Everything held about a volunteer: her record, pairings, the sessions she attended, the
/// check-ins held with her, the follow-ups about her and the replies to her contacts, her
/// relationship surveys, and the audit trail of who opened and changed it.
pub async fn volunteer_copy(
    db: &PgPool,
    lang: Lang,
    volunteer: Uuid,
    (phone, id_number): (String, String),
) -> sqlx::Result<Vec<Section>> {
    let v = sqlx::query!(
        r#"SELECT v.name, v.gender::text AS "gender!", v.birth_date, v.region_code, r.name AS "region?",
                  s.name AS "station?", v.organization, v.occupation, v.skills, v.status::text AS "status!",
                  v.background_check_on, v.interviewed_on, v.trained_on, v.capacity, v.created_at
           FROM volunteer v LEFT JOIN station s ON s.id = v.station_id
           LEFT JOIN region r ON r.code = v.region_code
           WHERE v.id = $1"#,
        volunteer
    )
    .fetch_one(db)
    .await?;
    let record = vec![
        ("volunteers.name", v.name),
        ("volunteers.gender", word(lang, "gender", &v.gender)),
        ("children.birth_date", opt(v.birth_date)),
        ("volunteers.id_number", id_number),
        ("volunteers.phone", phone),
        ("children.region", v.region.unwrap_or(v.region_code)),
        ("children.station", opt(v.station)),
        ("volunteers.organization", opt(v.organization)),
        ("volunteers.occupation", opt(v.occupation)),
        ("volunteers.skills", lang.list(&v.skills)),
        ("access.status", word(lang, "volunteer.status", &v.status)),
        ("volunteers.background_check_on", opt(v.background_check_on)),
        ("volunteers.interviewed_on", opt(v.interviewed_on)),
        ("volunteers.trained_on", opt(v.trained_on)),
        ("volunteers.capacity", v.capacity.to_string()),
        ("access.registered_at", v.created_at.date().to_string()),
    ];
    let record = Section {
        title: "access.record",
        columns: vec!["access.field", "access.value"],
        rows: record
            .into_iter()
            .map(|(key, value)| vec![lang.t(key).to_owned(), value])
            .collect(),
    };
    let pairings = sqlx::query!(
        r#"SELECT c.name AS child, s.name AS station, p.started_on, p.ended_on, p.status::text AS "status!",
                  p.closure_reason::text AS closure_reason, p.contact_count
           FROM pairing p JOIN child c ON c.id = p.child_id JOIN station s ON s.id = p.station_id
           WHERE p.volunteer_id = $1 ORDER BY p.started_on"#,
        volunteer
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|p| {
        vec![
            crate::domain::given_name(&p.child),
            p.station,
            p.started_on.to_string(),
            opt(p.ended_on),
            word(lang, "pairing.status", &p.status),
            p.closure_reason.map(|r| word(lang, "pairing.reason", &r)).unwrap_or_default(),
            p.contact_count.to_string(),
        ]
    })
    .collect();
    let attendance = sqlx::query!(
        r#"SELECT a.held_on, a.title, a.kind::text AS "kind!", s.name AS station
           FROM attendance t JOIN activity a ON a.id = t.activity_id JOIN station s ON s.id = a.station_id
           WHERE t.volunteer_id = $1 ORDER BY a.held_on"#,
        volunteer
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|a| vec![a.held_on.to_string(), a.title, word(lang, "activity.kind", &a.kind), a.station])
    .collect();
    let [check_ins, surveys] = support::of_volunteer(db, lang, volunteer).await?;
    let follow_ups = follow_ups::of_volunteer(db, lang, volunteer).await?;
    let trail = trail(db, lang, TrailOf::Volunteer(volunteer)).await?;
    Ok(vec![
        record,
        section(
            "access.pairings",
            &[
                "access.child",
                "children.station",
                "access.started_on",
                "access.ended_on",
                "access.status",
                "access.closure_reason",
                "access.contact_count",
            ],
            pairings,
        ),
        section(
            "access.attendance",
            &[
                "access.date",
                "access.activity",
                "access.kind",
                "children.station",
            ],
            attendance,
        ),
        check_ins,
        follow_ups,
        surveys,
        trail,
    ])
}

fn section(title: &'static str, columns: &[&'static str], rows: Vec<Vec<String>>) -> Section {
    Section {
        title,
        columns: columns.to_vec(),
        rows,
    }
}

enum TrailOf {
    Child(Uuid),
    Volunteer(Uuid),
}

/// Who opened, changed, exported or revealed the person's records: the events naming her or
/// a record of hers (guardians, consents, pairings, contacts, wishes, requests).
async fn trail(db: &PgPool, lang: Lang, of: TrailOf) -> sqlx::Result<Section> {
    let (child, volunteer) = match of {
        TrailOf::Child(id) => (Some(id), None),
        TrailOf::Volunteer(id) => (None, Some(id)),
    };
    let rows = sqlx::query!(
        r#"WITH hers AS (
               SELECT $1::uuid AS id WHERE $1::uuid IS NOT NULL
               UNION ALL SELECT $2::uuid WHERE $2::uuid IS NOT NULL
               UNION ALL SELECT id FROM guardian WHERE child_id = $1
               UNION ALL SELECT id FROM consent WHERE child_id = $1
               UNION ALL SELECT id FROM pairing WHERE child_id = $1 OR volunteer_id = $2
               UNION ALL SELECT k.id FROM contact k JOIN pairing p ON p.id = k.pairing_id
                         WHERE p.child_id = $1
               UNION ALL SELECT id FROM wish WHERE child_id = $1
               UNION ALL SELECT c.id FROM check_in c JOIN pairing p ON p.id = c.pairing_id
                         WHERE p.child_id = $1 OR p.volunteer_id = $2
               UNION ALL SELECT s.id FROM survey s JOIN pairing p ON p.id = s.pairing_id
                         WHERE p.child_id = $1 OR p.volunteer_id = $2
               UNION ALL SELECT f.id FROM follow_up f JOIN pairing p ON p.id = f.pairing_id
                         WHERE p.child_id = $1 OR p.volunteer_id = $2
               UNION ALL SELECT id FROM data_request WHERE child_id = $1 OR volunteer_id = $2
               UNION ALL SELECT id FROM app_user WHERE volunteer_id = $2)
           SELECT e.at, u.display_name AS "actor?", e.action::text AS "action!", e.entity,
                  e.detail -> 'fields' AS fields
           FROM audit_event e LEFT JOIN app_user u ON u.id = e.actor_id
           WHERE e.entity_id IN (SELECT id FROM hers)
           ORDER BY e.at"#,
        child,
        volunteer
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|e| {
        let fields = e
            .fields
            .and_then(|f| serde_json::from_value::<Vec<String>>(f).ok())
            .unwrap_or_default()
            .join(", ");
        let at = e.at.to_offset(time::macros::offset!(+8));
        vec![
            format!("{} {:02}:{:02}", at.date(), at.hour(), at.minute()),
            e.actor
                .unwrap_or_else(|| lang.t("access.the_service").to_owned()),
            word(lang, "audit.action", &e.action),
            word(lang, "access.entity", &e.entity),
            fields,
        ]
    })
    .collect();
    Ok(section(
        "access.trail",
        &[
            "access.at",
            "access.actor",
            "audit.action",
            "access.record_kind",
            "access.fields",
        ],
        rows,
    ))
}
