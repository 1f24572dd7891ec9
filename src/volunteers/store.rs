//! The SQL of volunteers. Lists and loads take the caller's [`Scope`].

use std::collections::{HashMap, HashSet};

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{
    Filter, ListedVolunteer, ValidVolunteer, Volunteer, VolunteerOrder, VolunteerStatus,
};
use crate::auth::Scope;
use crate::crypto::Cipher;
use crate::domain::{Gender, id_number, phone};

/// A row of the volunteer list as the database answers it.
struct ListRow {
    id: Uuid,
    name: String,
    gender: Gender,
    phone: String,
    region_code: String,
    station_id: Option<Uuid>,
    station_name: Option<String>,
    skills: Vec<String>,
    status: VolunteerStatus,
    capacity: i16,
    version: i32,
    active_pairings: i64,
}

/// A query over the volunteers in `$scope` that pass the filter `$f`: `$select`, the conditions
/// a page of the list and its count share ($1 to $9), then `$tail`, whose parameters follow.
macro_rules! filtered {
    (
        $query:ident!($($out:ident,)? $select:literal $(, $tail:literal)*),
        $scope:expr, $f:expr, $name_like:expr, $q:expr, $region:expr $(, $arg:expr)* $(,)?
    ) => {
        sqlx::$query!(
            $($out,)?
            $select + r#"
               WHERE ($1::text IS NULL OR v.region_code LIKE $1)
                 AND ($2::uuid[] IS NULL OR v.station_id = ANY($2))
                 AND ($3::uuid IS NULL OR v.id = $3)
                 AND ($4::text IS NULL OR v.name ILIKE $4 OR v.phone = $5)
                 AND ($6::uuid IS NULL OR v.station_id = $6)
                 AND ($7::volunteer_status IS NULL OR v.status = $7)
                 AND ($8::text IS NULL OR v.region_code LIKE $8)
                 AND ($9::text IS NULL OR $9 = ANY(v.skills))
               "# $(+ $tail)*,
            $scope.region_like(),
            $scope.station_ids(),
            $scope.volunteer_id(),
            $name_like,
            $q,
            $f.station_id,
            $f.status as Option<VolunteerStatus>,
            $region,
            $f.skill
            $(, $arg)*
        )
    };
}

/// A page of the volunteers in scope and their total.
pub async fn list(
    db: &PgPool,
    scope: &Scope,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<ListedVolunteer>, i64)> {
    let region = f
        .region_code
        .as_deref()
        .map(|r| format!("{}%", crate::db::escape_like(r)));
    let q = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let name_like = q.map(|q| format!("%{}%", crate::db::escape_like(q)));
    // One compile-time checked query per order, so each can walk its own index.
    macro_rules! page_ordered_by {
        ($order:literal) => {
            filtered!(
                query_as!(
                    ListRow,
                    r#"SELECT v.id, v.name, v.gender AS "gender: Gender", coalesce(v.phone, '') AS "phone!", v.region_code, v.station_id,
                              s.name AS "station_name?", v.skills, v.status AS "status: VolunteerStatus", v.capacity, v.version,
                              (SELECT count(*) FROM pairing p WHERE p.volunteer_id = v.id AND p.status = 'active') AS "active_pairings!"
                       FROM volunteer v LEFT JOIN station s ON s.id = v.station_id"#,
                    "ORDER BY ", $order, " LIMIT $10 OFFSET $11"
                ),
                scope, f, name_like, q, region, limit, offset
            )
            .fetch_all(db)
            .await?
        };
    }
    let rows = match f.sort {
        VolunteerOrder::Name => page_ordered_by!("v.name COLLATE zh_pinyin, v.id"),
        VolunteerOrder::Newest => page_ordered_by!("v.created_at DESC, v.id DESC"),
        VolunteerOrder::BackgroundCheckOn => {
            page_ordered_by!("v.background_check_on NULLS LAST, v.name COLLATE zh_pinyin, v.id")
        }
    };
    let total = filtered!(
        query_scalar!(r#"SELECT count(*) AS "n!" FROM volunteer v"#),
        scope,
        f,
        name_like,
        q,
        region
    )
    .fetch_one(db)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| ListedVolunteer {
            id: r.id,
            name: r.name,
            gender: r.gender,
            phone_masked: phone::mask(&r.phone),
            region_code: r.region_code,
            station_id: r.station_id,
            station_name: r.station_name,
            skills: r.skills,
            status: r.status,
            capacity: r.capacity,
            active_pairings: r.active_pairings,
            version: r.version,
        })
        .collect();
    Ok((items, total))
}

/// A volunteer's full row, sensitive values still sealed.
pub struct Row {
    volunteer: Volunteer,
    phone: String,
    id_number: Option<Vec<u8>>,
}

impl Row {
    /// The volunteer as the API shows it (masked).
    pub fn masked(mut self, cipher: &Cipher) -> Volunteer {
        self.volunteer.phone_masked = phone::mask(&self.phone);
        self.volunteer.id_number_masked = self.id_number.map(|sealed| {
            cipher
                .decrypt(&sealed)
                .map(|id| id_number::mask(&id))
                .unwrap_or_else(|_| "******".into())
        });
        self.volunteer
    }

    /// The full mobile number (for an audited reveal, and her login name).
    pub fn phone(&self) -> &str {
        &self.phone
    }

    /// The sealed ID number (for an audited reveal).
    pub fn sealed_id_number(&self) -> Option<&[u8]> {
        self.id_number.as_deref()
    }

    /// Her name.
    pub fn name(&self) -> &str {
        &self.volunteer.name
    }

    /// The current status.
    pub fn status(&self) -> VolunteerStatus {
        self.volunteer.status
    }

    /// The record's version.
    pub fn version(&self) -> i32 {
        self.volunteer.version
    }
}

/// One volunteer, if in `scope`.
pub async fn find(db: &PgPool, scope: &Scope, id: Uuid) -> sqlx::Result<Option<Row>> {
    let row = sqlx::query!(
        r#"SELECT v.id, v.name, v.gender AS "gender: Gender", coalesce(v.phone, '') AS "phone!", v.id_number, v.birth_date, v.region_code,
                  region_path(v.region_code) AS "region_name!", v.station_id, s.name AS "station_name?",
                  v.organization, v.occupation, v.skills, v.status AS "status: VolunteerStatus",
                  v.background_check_on, v.interviewed_on, v.trained_on, v.capacity, v.version, v.created_at, v.updated_at,
                  (SELECT count(*) FROM pairing p WHERE p.volunteer_id = v.id AND p.status = 'active') AS "active_pairings!"
           FROM volunteer v LEFT JOIN station s ON s.id = v.station_id
           WHERE v.id = $4
             AND ($1::text IS NULL OR v.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR v.station_id = ANY($2))
             AND ($3::uuid IS NULL OR v.id = $3)"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Row {
        phone: r.phone,
        id_number: r.id_number,
        volunteer: Volunteer {
            id: r.id,
            name: r.name,
            gender: r.gender,
            phone_masked: String::new(),
            id_number_masked: None,
            birth_date: r.birth_date,
            region_code: r.region_code,
            region_name: r.region_name,
            station_id: r.station_id,
            station_name: r.station_name,
            organization: r.organization,
            occupation: r.occupation,
            skills: r.skills,
            status: r.status,
            background_check_on: r.background_check_on,
            interviewed_on: r.interviewed_on,
            trained_on: r.trained_on,
            capacity: r.capacity,
            active_pairings: r.active_pairings,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        },
    }))
}

/// The volunteer already registered with this ID-number hash, and her region.
pub async fn by_id_hash(db: &PgPool, hash: &[u8]) -> sqlx::Result<Option<(Uuid, String)>> {
    Ok(sqlx::query!(
        "SELECT id, region_code FROM volunteer WHERE id_number_hash = $1",
        hash
    )
    .fetch_optional(db)
    .await?
    .map(|r| (r.id, r.region_code)))
}

/// Sealed ID number: ciphertext and keyed hash.
pub type Sealed = Option<(Vec<u8>, Vec<u8>)>;

/// Inserts a volunteer; returns her id.
pub async fn insert(
    tx: &mut sqlx::PgConnection,
    v: &ValidVolunteer,
    sealed: Sealed,
) -> sqlx::Result<Uuid> {
    let (cipher, hash) = sealed.unzip();
    sqlx::query_scalar!(
        r#"INSERT INTO volunteer (name, gender, phone, id_number, id_number_hash, birth_date, region_code, station_id,
                                  organization, occupation, skills, status, background_check_on, interviewed_on,
                                  trained_on, capacity)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id"#,
        v.name,
        v.gender as Gender,
        v.phone.as_str(),
        cipher,
        hash,
        v.birth_date,
        v.region_code.as_str(),
        v.station_id,
        v.organization,
        v.occupation,
        &v.skills,
        v.status as VolunteerStatus,
        v.background_check_on,
        v.interviewed_on,
        v.trained_on,
        v.capacity
    )
    .fetch_one(&mut *tx)
    .await
}

/// Moves a volunteer to another station and residence (a transfer), if `version` is current.
pub async fn move_to(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    version: i32,
    station: Uuid,
    region_code: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE volunteer SET station_id = $3, region_code = $4 WHERE id = $1 AND version = $2",
        id,
        version,
        station,
        region_code
    )
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Rewrites a volunteer if `version` is current (an absent ID number keeps the stored one).
pub async fn update(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    version: i32,
    v: &ValidVolunteer,
    sealed: Sealed,
) -> sqlx::Result<bool> {
    let replace_id = sealed.is_some();
    let (cipher, hash) = sealed.unzip();
    let done = sqlx::query!(
        r#"UPDATE volunteer SET name = $3, gender = $4, phone = $5,
                  id_number = CASE WHEN $6 THEN $7 ELSE id_number END,
                  id_number_hash = CASE WHEN $6 THEN $8 ELSE id_number_hash END,
                  birth_date = $9, region_code = $10, station_id = $11, organization = $12, occupation = $13,
                  skills = $14, status = $15, background_check_on = $16, interviewed_on = $17, trained_on = $18,
                  capacity = $19
           WHERE id = $1 AND version = $2"#,
        id,
        version,
        v.name,
        v.gender as Gender,
        v.phone.as_str(),
        replace_id,
        cipher,
        hash,
        v.birth_date,
        v.region_code.as_str(),
        v.station_id,
        v.organization,
        v.occupation,
        &v.skills,
        v.status as VolunteerStatus,
        v.background_check_on,
        v.interviewed_on,
        v.trained_on,
        v.capacity
    )
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The full phone and sealed ID number of these volunteers (for an admin's audited export).
pub async fn sensitive(
    db: &PgPool,
    ids: &[Uuid],
) -> sqlx::Result<HashMap<Uuid, (String, Option<Vec<u8>>)>> {
    Ok(sqlx::query!(
        r#"SELECT id, coalesce(phone, '') AS "phone!", id_number FROM volunteer WHERE id = ANY($1)"#,
        ids
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.id, (r.phone, r.id_number)))
    .collect())
}

/// Records a training on `on` for these volunteers: sets `trained_on` where none is on record
/// and moves the screened ones to trained. Returns each volunteer changed and whether her
/// status moved.
pub async fn record_training(
    tx: &mut sqlx::PgConnection,
    volunteers: &[Uuid],
    on: time::Date,
) -> sqlx::Result<Vec<(Uuid, bool)>> {
    Ok(sqlx::query!(
        r#"WITH before AS (
               SELECT id, status FROM volunteer
               WHERE id = ANY($1) AND (trained_on IS NULL OR status = 'screened')
               FOR UPDATE)
           UPDATE volunteer v SET
               trained_on = coalesce(v.trained_on, $2),
               status = CASE WHEN v.status = 'screened' THEN 'trained'::volunteer_status ELSE v.status END
           FROM before b WHERE v.id = b.id
           RETURNING v.id, b.status = 'screened' AS "promoted!""#,
        volunteers,
        on
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.id, r.promoted))
    .collect())
}

/// Which of these mobile numbers are already registered.
pub async fn known_phones(db: &PgPool, phones: &[String]) -> sqlx::Result<HashSet<String>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT phone AS "phone!" FROM volunteer WHERE phone = ANY($1)"#,
        phones
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .collect())
}

/// Which of these ID-number hashes are already registered.
pub async fn known_id_hashes(db: &PgPool, hashes: &[Vec<u8>]) -> sqlx::Result<HashSet<Vec<u8>>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT id_number_hash AS "h!" FROM volunteer WHERE id_number_hash = ANY($1)"#,
        hashes
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .collect())
}

/// Of these volunteers, those the caller may not tick: outside the scope, or withdrawn.
pub async fn out_of_reach(
    db: &PgPool,
    scope: &Scope,
    volunteers: &[Uuid],
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        r#"SELECT x AS "x!" FROM unnest($4::uuid[]) AS x
           WHERE NOT EXISTS (SELECT 1 FROM volunteer v WHERE v.id = x AND v.status <> 'withdrawn'
                   AND ($1::text IS NULL OR v.region_code LIKE $1)
                   AND ($2::uuid[] IS NULL OR v.station_id = ANY($2))
                   AND ($3::uuid IS NULL OR v.id = $3))"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        volunteers
    )
    .fetch_all(db)
    .await
}

/// Records that a volunteer withdraws, unless she has; returns whether this did it. Her active
/// pairings must have been closed first.
pub async fn withdraw(tx: &mut sqlx::PgConnection, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE volunteer SET status = 'withdrawn' WHERE id = $1 AND status <> 'withdrawn'",
        id
    )
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Erases a withdrawn volunteer's values and closes her login (the database's
/// `anonymise_volunteer`); false when she already was.
pub async fn anonymise(tx: &mut sqlx::PgConnection, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(r#"SELECT anonymise_volunteer($1) AS "done!""#, id)
        .fetch_one(&mut *tx)
        .await
}

/// Locks a volunteer's row for the rest of the transaction.
pub async fn lock(tx: &mut sqlx::PgConnection, id: Uuid) -> sqlx::Result<bool> {
    Ok(
        sqlx::query_scalar!("SELECT id FROM volunteer WHERE id = $1 FOR UPDATE", id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some(),
    )
}
