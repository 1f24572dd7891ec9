//! Service-hours certificates: issued when printed (the same code while the figures are the
//! same), and confirmed publicly by their code.

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{Certificate, Hours};
use crate::web::error::AppError;

/// The characters of a code: no 0/O, 1/I, so it can be read off paper.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn new_code() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The certificate of `volunteer`'s `year` with these figures — the one already issued with the
/// same figures, or a new one: its code and when it was issued.
pub async fn issue(
    db: &PgPool,
    (volunteer, station): (Uuid, Option<Uuid>),
    year: i32,
    hours: Hours,
    by: Uuid,
) -> Result<(String, time::OffsetDateTime), AppError> {
    let existing = sqlx::query!(
        "SELECT code, issued_at FROM service_certificate
         WHERE volunteer_id = $1 AND year = $2 AND station_id IS NOT DISTINCT FROM $3
           AND sessions = $4 AND estimated_sessions = $5 AND session_minutes = $6
           AND contacts = $7 AND contact_minutes = $8
         ORDER BY issued_at LIMIT 1",
        volunteer,
        year,
        station,
        hours.sessions,
        hours.estimated_sessions,
        hours.session_minutes,
        hours.contacts,
        hours.contact_minutes
    )
    .fetch_optional(db)
    .await?;
    if let Some(found) = existing {
        return Ok((found.code, found.issued_at));
    }
    loop {
        let code = new_code();
        let inserted = sqlx::query!(
            "INSERT INTO service_certificate (code, volunteer_id, station_id, year, sessions,
                                              estimated_sessions, session_minutes, contacts,
                                              contact_minutes, issued_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (code) DO NOTHING RETURNING code, issued_at",
            code,
            volunteer,
            station,
            year,
            hours.sessions,
            hours.estimated_sessions,
            hours.session_minutes,
            hours.contacts,
            hours.contact_minutes,
            by
        )
        .fetch_optional(db)
        .await?;
        if let Some(done) = inserted {
            return Ok((done.code, done.issued_at));
        }
    }
}

/// The certificate with this code, if one was issued (and its volunteer not erased).
pub async fn find(db: &PgPool, code: &str) -> Result<Option<Certificate>, AppError> {
    let code = code.trim().to_ascii_uppercase();
    if code.len() != 12 || !code.bytes().all(|b| ALPHABET.contains(&b)) {
        return Ok(None);
    }
    let row = sqlx::query!(
        r#"SELECT c.code, v.name AS volunteer_name, s.name AS "station_name?", c.year,
                  c.sessions, c.estimated_sessions, c.session_minutes, c.contacts,
                  c.contact_minutes, c.issued_at
           FROM service_certificate c
           JOIN volunteer v ON v.id = c.volunteer_id
           LEFT JOIN station s ON s.id = c.station_id
           WHERE c.code = $1"#,
        code
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Certificate {
        code: r.code,
        volunteer_name: r.volunteer_name,
        station_name: r.station_name,
        year: r.year,
        hours: Hours {
            sessions: r.sessions,
            estimated_sessions: r.estimated_sessions,
            session_minutes: r.session_minutes,
            contacts: r.contacts,
            contact_minutes: r.contact_minutes,
        },
        issued_at: r.issued_at,
    }))
}
