//! The SQL of guardians and their consents.

use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use super::super::model::{
    Consent, ConsentMethod, ConsentScope, Guardian, Relation, ValidConsent, ValidGuardian,
};
use crate::domain::phone;

/// Adds a guardian; returns the id.
pub async fn insert_guardian(
    tx: &mut sqlx::PgConnection,
    child: Uuid,
    g: &ValidGuardian,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO guardian (child_id, name, relation, phone, share_contact_with_volunteer)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        child,
        g.name,
        g.relation as Relation,
        g.phone.as_ref().map(|p| p.as_str()),
        g.share
    )
    .fetch_one(&mut *tx)
    .await
}

/// Records a consent; returns the id.
pub async fn insert_consent(
    tx: &mut sqlx::PgConnection,
    child: Uuid,
    guardian: Uuid,
    c: &ValidConsent,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO consent (child_id, guardian_id, scope, given_on, method) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        child,
        guardian,
        c.scope as ConsentScope,
        c.given_on,
        c.method as ConsentMethod
    )
    .fetch_one(&mut *tx)
    .await
}

/// The guardians of a child (not those removed), phones masked, with the raw phones for
/// reveals.
pub async fn guardians(db: &PgPool, child: Uuid) -> sqlx::Result<Vec<(Guardian, Option<String>)>> {
    Ok(sqlx::query!(
        r#"SELECT id, child_id, name, relation AS "relation: Relation", phone, share_contact_with_volunteer, version
           FROM guardian WHERE child_id = $1 AND removed_on IS NULL ORDER BY created_at"#,
        child
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| {
        (
            Guardian {
                id: r.id,
                child_id: r.child_id,
                name: r.name,
                relation: r.relation,
                phone_masked: r.phone.as_deref().map(phone::mask),
                share_contact_with_volunteer: r.share_contact_with_volunteer,
                version: r.version,
            },
            r.phone,
        )
    })
    .collect())
}

/// The consent records of a child, newest first.
pub async fn consents(db: &PgPool, child: Uuid) -> sqlx::Result<Vec<Consent>> {
    sqlx::query_as!(
        Consent,
        r#"SELECT c.id, c.child_id, c.guardian_id, g.name AS guardian_name, c.scope AS "scope: ConsentScope",
                  c.given_on, c.method AS "method: ConsentMethod", c.withdrawn_on
           FROM consent c JOIN guardian g ON g.id = c.guardian_id
           WHERE c.child_id = $1 ORDER BY c.given_on DESC, c.created_at DESC"#,
        child
    )
    .fetch_all(db)
    .await
}

/// One consent and its child.
pub async fn consent(db: &PgPool, id: Uuid) -> sqlx::Result<Option<Consent>> {
    sqlx::query_as!(
        Consent,
        r#"SELECT c.id, c.child_id, c.guardian_id, g.name AS guardian_name, c.scope AS "scope: ConsentScope",
                  c.given_on, c.method AS "method: ConsentMethod", c.withdrawn_on
           FROM consent c JOIN guardian g ON g.id = c.guardian_id WHERE c.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// Records a withdrawal (once; the row is never deleted).
pub async fn withdraw(tx: &mut sqlx::PgConnection, id: Uuid, on: Date) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE consent SET withdrawn_on = $2 WHERE id = $1 AND withdrawn_on IS NULL",
        id,
        on
    )
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a guardian's consent of `scope`, given on or before `on` and not withdrawn, is on
/// record for `child`: the database's `consent_current`, which its pairing trigger calls too.
pub async fn has_current_consent(
    db: impl sqlx::PgExecutor<'_>,
    child: Uuid,
    scope: ConsentScope,
    on: Date,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT consent_current($1, $2, $3) AS "ok!""#,
        child,
        scope as ConsentScope,
        on
    )
    .fetch_one(db)
    .await
}

/// A guardian not removed, locked for a change: her child, her raw phone and her version.
pub async fn lock_guardian(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<(Uuid, ValidGuardian, i32)>> {
    let row = sqlx::query!(
        r#"SELECT child_id, name, relation AS "relation: Relation", phone,
                  share_contact_with_volunteer, version
           FROM guardian WHERE id = $1 AND removed_on IS NULL FOR UPDATE"#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(|r| {
        let guardian = ValidGuardian {
            name: r.name,
            relation: r.relation,
            phone: r.phone.and_then(|p| crate::domain::Phone::parse(&p).ok()),
            share: r.share_contact_with_volunteer,
        };
        (r.child_id, guardian, r.version)
    }))
}

/// The child of a guardian not removed.
pub async fn guardian_child(db: &PgPool, id: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "SELECT child_id FROM guardian WHERE id = $1 AND removed_on IS NULL",
        id
    )
    .fetch_optional(db)
    .await
}

/// Writes a guardian's new values.
pub async fn update_guardian(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    g: &ValidGuardian,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE guardian SET name = $2, relation = $3, phone = $4, share_contact_with_volunteer = $5
         WHERE id = $1",
        id,
        g.name,
        g.relation as Relation,
        g.phone.as_ref().map(|p| p.as_str()),
        g.share
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Removes a guardian from the child's record: softly, her name and consents stay as evidence;
/// her phone, which nothing needs any more, goes.
pub async fn remove_guardian(tx: &mut sqlx::PgConnection, id: Uuid, on: Date) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE guardian SET removed_on = $2, phone = NULL, share_contact_with_volunteer = false
         WHERE id = $1",
        id,
        on
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The scopes of consent in force today that this guardian alone gives for her child: those
/// no other guardian still on the record gives too.
pub async fn consents_only_she_gives(
    tx: &mut sqlx::PgConnection,
    guardian: Uuid,
    today: Date,
) -> sqlx::Result<Vec<ConsentScope>> {
    sqlx::query_scalar!(
        r#"SELECT DISTINCT c.scope AS "scope!: ConsentScope" FROM consent c
           WHERE c.guardian_id = $1 AND c.given_on <= $2 AND c.withdrawn_on IS NULL
             AND NOT EXISTS (SELECT 1 FROM consent o JOIN guardian g ON g.id = o.guardian_id
                             WHERE o.child_id = c.child_id AND o.scope = c.scope
                               AND o.guardian_id <> $1 AND g.removed_on IS NULL
                               AND o.given_on <= $2 AND o.withdrawn_on IS NULL)"#,
        guardian,
        today
    )
    .fetch_all(&mut *tx)
    .await
}
