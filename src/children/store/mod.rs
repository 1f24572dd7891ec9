//! The SQL of children, guardians and consent. Lists and loads take the caller's [`Scope`].

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{
    Category, Child, ChildOrder, ChildStatus, Difficulty, ExitReason, Filter, ListedChild,
    LivingWith, Need, ParentsStatus, ValidChild,
};
use crate::auth::Scope;
use crate::crypto::Cipher;
use crate::domain::{self, Gender, id_number};

mod guardians;
pub use guardians::*;

/// A row of the child list as the database answers it.
struct ListRow {
    id: Uuid,
    name: String,
    gender: Gender,
    birth_date: time::Date,
    category: Category,
    station_id: Uuid,
    station_name: String,
    region_code: String,
    status: ChildStatus,
    version: i32,
}

/// A query over the children in `$scope` that pass the filter `$f`: `$select`, the conditions a
/// page of the list and its count share ($1 to $8), then `$tail`, whose parameters follow.
macro_rules! filtered {
    (
        $query:ident!($($out:ident,)? $select:literal $(, $tail:literal)*),
        $scope:expr, $f:expr, $q:expr, $region:expr $(, $arg:expr)* $(,)?
    ) => {
        sqlx::$query!(
            $($out,)?
            $select + r#"
               WHERE ($1::text IS NULL OR c.region_code LIKE $1)
                 AND ($2::uuid[] IS NULL OR c.station_id = ANY($2))
                 AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM pairing p WHERE p.child_id = c.id
                                                   AND p.volunteer_id = $3 AND p.status = 'active'))
                 AND ($4::text IS NULL OR c.name ILIKE $4)
                 AND ($5::uuid IS NULL OR c.station_id = $5)
                 AND ($6::child_status IS NULL OR c.status = $6)
                 AND ($7::child_category IS NULL OR c.category = $7)
                 AND ($8::text IS NULL OR c.region_code LIKE $8)
               "# $(+ $tail)*,
            $scope.region_like(),
            $scope.station_ids(),
            $scope.volunteer_id(),
            $q,
            $f.station_id,
            $f.status as Option<ChildStatus>,
            $f.category as Option<Category>,
            $region
            $(, $arg)*
        )
    };
}

/// A page of the children in scope and their total. Volunteers see only the children of their
/// active pairings.
pub async fn list(
    db: &PgPool,
    scope: &Scope,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<ListedChild>, i64)> {
    let region = f
        .region_code
        .as_deref()
        .map(|r| format!("{}%", crate::db::escape_like(r)));
    let q =
        f.q.as_deref()
            .map(|q| format!("%{}%", crate::db::escape_like(q)));
    // One compile-time checked query per order, so each can walk its own index.
    macro_rules! page_ordered_by {
        ($order:literal) => {
            filtered!(
                query_as!(
                    ListRow,
                    r#"SELECT c.id, c.name, c.gender AS "gender: Gender", c.birth_date, c.category AS "category: Category",
                              c.station_id, s.name AS station_name, c.region_code, c.status AS "status: ChildStatus", c.version
                       FROM child c JOIN station s ON s.id = c.station_id"#,
                    "ORDER BY ", $order, " LIMIT $9 OFFSET $10"
                ),
                scope, f, q, region, limit, offset
            )
            .fetch_all(db)
            .await?
        };
    }
    let rows = match f.sort {
        ChildOrder::Name => page_ordered_by!("c.name COLLATE zh_pinyin, c.id"),
        ChildOrder::Newest => page_ordered_by!("c.created_at DESC, c.id DESC"),
        ChildOrder::BirthDate => page_ordered_by!("c.birth_date, c.id"),
    };
    let total = filtered!(
        query_scalar!(r#"SELECT count(*) AS "n!" FROM child c"#),
        scope,
        f,
        q,
        region
    )
    .fetch_one(db)
    .await?;
    let today = domain::today();
    let items = rows
        .into_iter()
        .map(|r| ListedChild {
            id: r.id,
            name: r.name,
            gender: r.gender,
            birth_date: r.birth_date,
            age: domain::age_on(r.birth_date, today),
            category: r.category,
            station_id: r.station_id,
            station_name: r.station_name,
            region_code: r.region_code,
            status: r.status,
            version: r.version,
        })
        .collect();
    Ok((items, total))
}

/// One child (ID number masked) if in `scope`, with the sealed ID number for reveals.
pub async fn find(
    db: &PgPool,
    cipher: &Cipher,
    scope: &Scope,
    id: Uuid,
) -> sqlx::Result<Option<(Child, Option<Vec<u8>>)>> {
    let row = sqlx::query!(
        r#"SELECT c.id, c.name, c.gender AS "gender: Gender", c.birth_date, c.id_number, c.category AS "category: Category",
                  c.difficulty_types AS "difficulty_types: Vec<Difficulty>", c.region_code,
                  region_path(c.region_code) AS "region_name!", c.station_id, s.name AS station_name, c.school, c.grade,
                  c.living_with AS "living_with: LivingWith", c.parents_status AS "parents_status: ParentsStatus",
                  c.needs AS "needs: Vec<Need>", c.status AS "status: ChildStatus", c.exit_reason AS "exit_reason: ExitReason",
                  c.exited_on, c.version, c.created_at, c.updated_at
           FROM child c JOIN station s ON s.id = c.station_id
           WHERE c.id = $4
             AND ($1::text IS NULL OR c.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR c.station_id = ANY($2))
             AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM pairing p WHERE p.child_id = c.id
                                               AND p.volunteer_id = $3 AND p.status = 'active'))"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| {
        let masked = r.id_number.as_deref().map(|s| {
            cipher
                .decrypt(s)
                .map(|i| id_number::mask(&i))
                .unwrap_or_else(|_| "******".into())
        });
        (
            Child {
                id: r.id,
                name: r.name,
                gender: r.gender,
                birth_date: r.birth_date,
                age: domain::age_on(r.birth_date, domain::today()),
                id_number_masked: masked,
                category: r.category,
                difficulty_types: r.difficulty_types,
                region_code: r.region_code,
                region_name: r.region_name,
                station_id: r.station_id,
                station_name: r.station_name,
                school: r.school,
                grade: r.grade,
                living_with: r.living_with,
                parents_status: r.parents_status,
                needs: r.needs,
                status: r.status,
                exit_reason: r.exit_reason,
                exited_on: r.exited_on,
                version: r.version,
                created_at: r.created_at,
                updated_at: r.updated_at,
            },
            r.id_number,
        )
    }))
}

/// The child already registered with this ID-number hash.
pub async fn by_id_hash(db: &PgPool, hash: &[u8]) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!("SELECT id FROM child WHERE id_number_hash = $1", hash)
        .fetch_optional(db)
        .await
}

/// Children of the same name and birth date in the same county (a likely duplicate), each
/// with whether it lies in `scope` (only those may be named to the user).
pub async fn same_person(
    db: &PgPool,
    scope: &Scope,
    (name, birth_date): (&str, time::Date),
    county: &str,
    except: Option<Uuid>,
) -> sqlx::Result<Vec<(Uuid, bool)>> {
    Ok(sqlx::query!(
        r#"SELECT id, (($5::text IS NULL OR region_code LIKE $5)
                       AND ($6::uuid[] IS NULL OR station_id = ANY($6))
                       AND $7::uuid IS NULL) AS "in_scope!"
           FROM child WHERE name = $1 AND birth_date = $2 AND region_code LIKE $3 || '%'
             AND ($4::uuid IS NULL OR id <> $4) AND status <> 'exited'
           ORDER BY created_at, id"#,
        name,
        birth_date,
        county,
        except,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.id, r.in_scope))
    .collect())
}

/// Sealed ID number.
pub type Sealed = Option<(Vec<u8>, Vec<u8>)>;

/// Inserts a child; returns the id.
pub async fn insert(
    tx: &mut sqlx::PgConnection,
    c: &ValidChild,
    sealed: Sealed,
) -> sqlx::Result<Uuid> {
    let (cipher, hash) = sealed.unzip();
    sqlx::query_scalar!(
        r#"INSERT INTO child (name, gender, birth_date, id_number, id_number_hash, category, difficulty_types, region_code,
                              station_id, school, grade, living_with, parents_status, needs)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id"#,
        c.name,
        c.gender as Gender,
        c.birth_date,
        cipher,
        hash,
        c.category as Category,
        &c.difficulty_types as &[Difficulty],
        c.region_code.as_str(),
        c.station_id,
        c.school,
        c.grade,
        c.living_with as Option<LivingWith>,
        c.parents_status as Option<ParentsStatus>,
        &c.needs as &[Need]
    )
    .fetch_one(&mut *tx)
    .await
}

/// Rewrites a child if `version` is current.
pub async fn update(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    version: i32,
    c: &ValidChild,
    sealed: Sealed,
) -> sqlx::Result<bool> {
    let replace_id = sealed.is_some();
    let (cipher, hash) = sealed.unzip();
    let (exit_reason, exited_on) = c.exit.unzip();
    let done = sqlx::query!(
        r#"UPDATE child SET name = $3, gender = $4, birth_date = $5,
                  id_number = CASE WHEN $6 THEN $7 ELSE id_number END,
                  id_number_hash = CASE WHEN $6 THEN $8 ELSE id_number_hash END,
                  category = $9, difficulty_types = $10, region_code = $11, station_id = $12, school = $13, grade = $14,
                  living_with = $15, parents_status = $16, needs = $17,
                  status = CASE WHEN $18::child_exit_reason IS NULL THEN status ELSE 'exited' END,
                  exit_reason = coalesce($18, exit_reason), exited_on = coalesce($19, exited_on)
           WHERE id = $1 AND version = $2"#,
        id,
        version,
        c.name,
        c.gender as Gender,
        c.birth_date,
        replace_id,
        cipher,
        hash,
        c.category as Category,
        &c.difficulty_types as &[Difficulty],
        c.region_code.as_str(),
        c.station_id,
        c.school,
        c.grade,
        c.living_with as Option<LivingWith>,
        c.parents_status as Option<ParentsStatus>,
        &c.needs as &[Need],
        exit_reason as Option<ExitReason>,
        exited_on
    )
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a child to another station and residence (a transfer), if `version` is current.
pub async fn move_to(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    version: i32,
    station: Uuid,
    region_code: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE child SET station_id = $3, region_code = $4 WHERE id = $1 AND version = $2",
        id,
        version,
        station,
        region_code
    )
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Which of these ID-number hashes are already registered.
pub async fn known_id_hashes(
    db: &PgPool,
    hashes: &[Vec<u8>],
) -> sqlx::Result<std::collections::HashSet<Vec<u8>>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT id_number_hash AS "h!" FROM child WHERE id_number_hash = ANY($1)"#,
        hashes
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .collect())
}

/// Children (not exited) registered under these names and birth dates: (name, birth date,
/// county) → the id of one of them and whether it lies in `scope` (one in scope first).
pub async fn known_people(
    db: &PgPool,
    scope: &Scope,
    names: &[String],
    births: &[time::Date],
) -> sqlx::Result<std::collections::HashMap<(String, time::Date, String), (Uuid, bool)>> {
    let mut known = std::collections::HashMap::new();
    let rows = sqlx::query!(
        r#"SELECT c.id, c.name, c.birth_date, left(c.region_code, 6) AS "county!",
                  (($3::text IS NULL OR c.region_code LIKE $3)
                   AND ($4::uuid[] IS NULL OR c.station_id = ANY($4))
                   AND $5::uuid IS NULL) AS "in_scope!"
           FROM child c JOIN unnest($1::text[], $2::date[]) AS u(name, birth) ON c.name = u.name AND c.birth_date = u.birth
           WHERE c.status <> 'exited'"#,
        names,
        births,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
    )
    .fetch_all(db)
    .await?;
    for r in rows {
        let entry = known
            .entry((r.name, r.birth_date, r.county))
            .or_insert((r.id, r.in_scope));
        if r.in_scope && !entry.1 {
            *entry = (r.id, true);
        }
    }
    Ok(known)
}

/// The sealed ID numbers of these children (for an admin's audited export).
pub async fn sealed_id_numbers(
    db: &PgPool,
    ids: &[Uuid],
) -> sqlx::Result<std::collections::HashMap<Uuid, Vec<u8>>> {
    Ok(sqlx::query!(r#"SELECT id, id_number AS "id_number!" FROM child WHERE id = ANY($1) AND id_number IS NOT NULL"#, ids)
        .fetch_all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.id_number))
        .collect())
}

/// Of these children, those not registered at `station`.
pub async fn not_registered_at(
    db: &PgPool,
    station: Uuid,
    children: &[Uuid],
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        r#"SELECT c AS "c!" FROM unnest($2::uuid[]) AS c
           WHERE NOT EXISTS (SELECT 1 FROM child x WHERE x.id = c AND x.station_id = $1)"#,
        station,
        children
    )
    .fetch_all(db)
    .await
}

/// Records that a child has left the programme, unless she already has; returns whether this
/// did it. Her active pairing must have been closed first (the database's `child_exit_guard`).
pub async fn exit(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    reason: ExitReason,
    on: time::Date,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE child SET status = 'exited', exit_reason = $2, exited_on = $3
         WHERE id = $1 AND status <> 'exited'",
        id,
        reason as ExitReason,
        on
    )
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Erases an exited child's values and her guardians' (the database's `anonymise_child`);
/// false when she already was.
pub async fn anonymise(tx: &mut sqlx::PgConnection, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(r#"SELECT anonymise_child($1) AS "done!""#, id)
        .fetch_one(&mut *tx)
        .await
}

/// Locks a child's row for the rest of the transaction (a withdrawal, a removal, an erasure
/// take it first, so that they and a pairing, which locks it too, happen one after another).
pub async fn lock(tx: &mut sqlx::PgConnection, id: Uuid) -> sqlx::Result<bool> {
    Ok(
        sqlx::query_scalar!("SELECT id FROM child WHERE id = $1 FOR UPDATE", id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some(),
    )
}
