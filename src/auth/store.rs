//! The SQL of accounts.

use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::model::{CountyStations, Role, StationChoice, User};
use super::{CurrentUser, Scope};

/// What a login needs to know about an account.
pub struct LoginAccount {
    pub id: Uuid,
    /// PHC hash.
    pub password_hash: String,
    /// Whether it may log in.
    pub active: bool,
    /// Current session epoch.
    pub session_epoch: i32,
}

/// The account a login names: by username, or by a volunteer's mobile number.
pub async fn find_for_login(db: &PgPool, login: &str) -> sqlx::Result<Option<LoginAccount>> {
    sqlx::query_as!(
        LoginAccount,
        r#"SELECT u.id, u.password_hash, u.active, u.session_epoch
           FROM app_user u LEFT JOIN volunteer v ON v.id = u.volunteer_id
           WHERE lower(u.username) = lower($1) OR (u.role = 'volunteer' AND v.phone = $1)
           ORDER BY (lower(u.username) = lower($1)) DESC
           LIMIT 1"#,
        login
    )
    .fetch_optional(db)
    .await
}

/// Loads the user of a session with what their scope needs, plus `active` and the epoch.
pub async fn load_current(db: &PgPool, id: Uuid) -> sqlx::Result<Option<(CurrentUser, bool, i32)>> {
    let row = sqlx::query!(
        r#"SELECT u.id, u.username, u.display_name, u.role AS "role: Role", u.region_code,
                  u.volunteer_id, u.must_change_password, u.active, u.session_epoch,
                  region_path(u.region_code) AS region_name,
                  ARRAY(SELECT us.station_id FROM user_station us WHERE us.user_id = u.id
                        ORDER BY us.station_id) AS "station_ids!",
                  coalesce(u.region_code, v.region_code,
                           (SELECT min(s.region_code) FROM user_station us JOIN station s ON s.id = us.station_id
                             WHERE us.user_id = u.id)) AS audit_region
           FROM app_user u LEFT JOIN volunteer v ON v.id = u.volunteer_id
           WHERE u.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| {
        let scope = match r.role {
            Role::Admin | Role::Staff => Scope::Region(r.region_code.clone().unwrap_or_default()),
            Role::StationManager => Scope::Stations(r.station_ids.clone()),
            Role::Volunteer => Scope::Volunteer(r.volunteer_id.unwrap_or_default()),
        };
        (
            CurrentUser {
                id: r.id,
                username: r.username,
                display_name: r.display_name,
                role: r.role,
                region_code: r.region_code,
                region_name: r.region_name,
                volunteer_id: r.volunteer_id,
                station_ids: r.station_ids,
                must_change_password: r.must_change_password,
                scope,
                audit_region: r.audit_region,
            },
            r.active,
            r.session_epoch,
        )
    }))
}

/// Records a successful login.
pub async fn touch_login(db: &PgPool, id: Uuid) -> sqlx::Result<()> {
    // Not an edit by a person: keep the version others may be editing.
    sqlx::query!(
        "UPDATE app_user SET last_login_at = now(), version = version - 1 WHERE id = $1",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Filters of the user list.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    /// Matches username or display name.
    pub q: Option<String>,
    /// Only this role.
    pub role: Option<Role>,
    /// Only active (true) or disabled (false) accounts.
    pub active: Option<bool>,
}

/// A page of the accounts in `scope` (a region subtree) and their total: those whose whole
/// reach lies in it (see [`find_in_scope`]).
pub async fn list(
    db: &PgPool,
    scope: &Scope,
    filter: &UserFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<User>, i64)> {
    let like = scope.region_like();
    let q = filter
        .q
        .as_deref()
        .map(|q| format!("%{}%", crate::db::escape_like(q)));
    let rows = sqlx::query_scalar!(
        r#"SELECT u.id AS "id!" FROM app_user u LEFT JOIN volunteer v ON v.id = u.volunteer_id
           WHERE $1::text IS NOT NULL
             AND (u.region_code IS NULL OR u.region_code LIKE $1)
             AND (v.id IS NULL OR (v.region_code LIKE $1 AND NOT EXISTS (
                    SELECT 1 FROM station vs WHERE vs.id = v.station_id AND vs.region_code NOT LIKE $1)))
             AND NOT EXISTS (SELECT 1 FROM user_station us JOIN station s ON s.id = us.station_id
                             WHERE us.user_id = u.id AND s.region_code NOT LIKE $1)
             AND (u.region_code IS NOT NULL OR v.id IS NOT NULL
                  OR EXISTS (SELECT 1 FROM user_station us WHERE us.user_id = u.id))
             AND ($2::text IS NULL OR u.username ILIKE $2 OR u.display_name ILIKE $2)
             AND ($3::user_role IS NULL OR u.role = $3)
             AND ($4::boolean IS NULL OR u.active = $4)
           ORDER BY u.active DESC, u.created_at DESC, u.id
           LIMIT $5 OFFSET $6"#,
        like,
        q,
        filter.role as Option<Role>,
        filter.active,
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM app_user u LEFT JOIN volunteer v ON v.id = u.volunteer_id
           WHERE $1::text IS NOT NULL
             AND (u.region_code IS NULL OR u.region_code LIKE $1)
             AND (v.id IS NULL OR (v.region_code LIKE $1 AND NOT EXISTS (
                    SELECT 1 FROM station vs WHERE vs.id = v.station_id AND vs.region_code NOT LIKE $1)))
             AND NOT EXISTS (SELECT 1 FROM user_station us JOIN station s ON s.id = us.station_id
                             WHERE us.user_id = u.id AND s.region_code NOT LIKE $1)
             AND (u.region_code IS NOT NULL OR v.id IS NOT NULL
                  OR EXISTS (SELECT 1 FROM user_station us WHERE us.user_id = u.id))
             AND ($2::text IS NULL OR u.username ILIKE $2 OR u.display_name ILIKE $2)
             AND ($3::user_role IS NULL OR u.role = $3)
             AND ($4::boolean IS NULL OR u.active = $4)"#,
        like,
        q,
        filter.role as Option<Role>,
        filter.active,
    )
    .fetch_one(db)
    .await?;
    let users = load_many(db, &rows).await?;
    Ok((users, total))
}

/// The accounts with these ids, in the given order.
async fn load_many(db: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<User>> {
    let mut users = sqlx::query!(
        r#"SELECT u.id, u.username, u.display_name, u.role AS "role: Role", u.region_code,
                  (SELECT r.name FROM region r WHERE r.code = u.region_code) AS region_name,
                  u.volunteer_id, u.active, u.must_change_password, u.last_login_at, u.version,
                  u.created_at,
                  ARRAY(SELECT us.station_id FROM user_station us WHERE us.user_id = u.id
                        ORDER BY us.station_id) AS "station_ids!"
           FROM app_user u WHERE u.id = ANY($1)"#,
        ids
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| User {
        id: r.id,
        username: r.username,
        display_name: r.display_name,
        role: r.role,
        region_code: r.region_code,
        region_name: r.region_name,
        volunteer_id: r.volunteer_id,
        station_ids: r.station_ids,
        active: r.active,
        must_change_password: r.must_change_password,
        last_login_at: r.last_login_at,
        version: r.version,
        created_at: r.created_at,
    })
    .collect::<Vec<_>>();
    users.sort_by_key(|u| ids.iter().position(|id| *id == u.id));
    Ok(users)
}

/// One account, if it lies in `scope`; `None` both for a missing and an out-of-scope account.
///
/// An account lies in an admin's region only when all it reaches does: its region, every
/// station it runs, and a volunteer's record and station. An admin who could manage a manager
/// of two counties could reset her password and read the other county as her.
pub async fn find_in_scope(db: &PgPool, scope: &Scope, id: Uuid) -> sqlx::Result<Option<User>> {
    let visible = sqlx::query_scalar!(
        r#"SELECT EXISTS (
             SELECT 1 FROM app_user u LEFT JOIN volunteer v ON v.id = u.volunteer_id
             WHERE u.id = $2 AND $1::text IS NOT NULL
               AND (u.region_code IS NULL OR u.region_code LIKE $1)
               AND (v.id IS NULL OR (v.region_code LIKE $1 AND NOT EXISTS (
                      SELECT 1 FROM station vs WHERE vs.id = v.station_id AND vs.region_code NOT LIKE $1)))
               AND NOT EXISTS (SELECT 1 FROM user_station us JOIN station s ON s.id = us.station_id
                               WHERE us.user_id = u.id AND s.region_code NOT LIKE $1)
               AND (u.region_code IS NOT NULL OR v.id IS NOT NULL
                    OR EXISTS (SELECT 1 FROM user_station us WHERE us.user_id = u.id))) AS "visible!""#,
        scope.region_like(),
        id
    )
    .fetch_one(db)
    .await?;
    if !visible {
        return Ok(None);
    }
    Ok(load_many(db, &[id]).await?.pop())
}

/// A new account.
pub struct NewUser<'a> {
    /// Login name.
    pub username: &'a str,
    pub display_name: &'a str,
    /// PHC hash.
    pub password_hash: &'a str,
    pub role: Role,
    /// Region of an admin or staff member.
    pub region_code: Option<&'a str>,
    /// Volunteer record of a volunteer.
    pub volunteer_id: Option<Uuid>,
    /// Stations of a station manager.
    pub station_ids: &'a [Uuid],
    /// Force a new password at first login.
    pub must_change_password: bool,
}

/// Inserts an account and its stations; returns its id.
pub async fn insert(tx: &mut sqlx::PgConnection, new: &NewUser<'_>) -> sqlx::Result<Uuid> {
    let id = sqlx::query_scalar!(
        r#"INSERT INTO app_user (username, display_name, password_hash, role, region_code,
                                 volunteer_id, must_change_password)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"#,
        new.username,
        new.display_name,
        new.password_hash,
        new.role as Role,
        new.region_code,
        new.volunteer_id,
        new.must_change_password
    )
    .fetch_one(&mut *tx)
    .await?;
    set_stations(&mut *tx, id, new.station_ids).await?;
    Ok(id)
}

/// Replaces a station manager's stations.
pub async fn set_stations(
    tx: &mut sqlx::PgConnection,
    user: Uuid,
    stations: &[Uuid],
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM user_station WHERE user_id = $1 AND NOT (station_id = ANY($2))",
        user,
        stations
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO user_station (user_id, station_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING",
        user,
        stations
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Updates display name, region and active flag if `version` is current; `false` when it
/// was not (someone else saved first). Disabling bumps the session epoch, ending every session.
pub async fn update(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    version: i32,
    display_name: &str,
    region_code: Option<&str>,
    active: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"UPDATE app_user SET display_name = $3, region_code = $4, active = $5,
                  session_epoch = session_epoch + CASE WHEN active AND NOT $5 THEN 1 ELSE 0 END
           WHERE id = $1 AND version = $2"#,
        id,
        version,
        display_name,
        region_code,
        active
    )
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets a new password hash. `must_change` marks a one-time password. Every session opened
/// before ends; returns the new epoch.
pub async fn set_password(
    db: impl PgExecutor<'_>,
    id: Uuid,
    hash: &str,
    must_change: bool,
) -> sqlx::Result<i32> {
    sqlx::query_scalar!(
        r#"UPDATE app_user SET password_hash = $2, must_change_password = $3,
                  session_epoch = session_epoch + 1
           WHERE id = $1 RETURNING session_epoch"#,
        id,
        hash,
        must_change
    )
    .fetch_one(db)
    .await
}

/// The current password hash of an account.
pub async fn password_hash(db: &PgPool, id: Uuid) -> sqlx::Result<String> {
    sqlx::query_scalar!("SELECT password_hash FROM app_user WHERE id = $1", id)
        .fetch_one(db)
        .await
}

/// Whether any account exists (the first start creates the first admin).
pub async fn any_user(db: impl PgExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM app_user) AS "any!""#)
        .fetch_one(db)
        .await
}

/// Account id by username (for the command line).
pub async fn id_by_username(db: &PgPool, username: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM app_user WHERE lower(username) = lower($1)",
        username
    )
    .fetch_optional(db)
    .await
}

/// Disables an account and ends its sessions (for the command line).
pub async fn disable(db: &PgPool, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE app_user SET active = false, session_epoch = session_epoch + 1 WHERE id = $1",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The stations among `ids` that lie in the region subtree `like`.
pub async fn stations_in_region(db: &PgPool, like: &str, ids: &[Uuid]) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM station WHERE id = ANY($1) AND region_code LIKE $2",
        ids,
        like
    )
    .fetch_all(db)
    .await
}

/// Stations an admin may give a station manager: those in the subtree, by county (its city
/// named, as two cities may each have a 市中区) and by name within it; a closed one only when
/// the account already has it (so that it shows, and saving the form keeps it).
pub async fn station_choices(
    db: &PgPool,
    like: &str,
    assigned: &[Uuid],
) -> sqlx::Result<Vec<CountyStations>> {
    let rows = sqlx::query!(
        r#"SELECT s.id, s.name, left(s.region_code, 6) AS "county_code!",
                  coalesce(nullif(concat_ws(' · ', m.name, c.name), ''), left(s.region_code, 6))
                      AS "county!",
                  concat_ws(' · ', t.name, v.name) AS "place!"
           FROM station s
           LEFT JOIN region m ON m.code = left(s.region_code, 4)
           LEFT JOIN region c ON c.code = left(s.region_code, 6)
           LEFT JOIN region t ON t.code = left(s.region_code, 9)
           LEFT JOIN region v ON v.code = s.region_code AND char_length(s.region_code) = 12
           WHERE s.region_code LIKE $1 AND (s.status <> 'closed' OR s.id = ANY($2))
           ORDER BY left(s.region_code, 6), s.name COLLATE zh_pinyin, s.region_code"#,
        like,
        assigned
    )
    .fetch_all(db)
    .await?;
    let mut groups: Vec<CountyStations> = Vec::new();
    for r in rows {
        let station = StationChoice {
            id: r.id,
            name: r.name,
            place: r.place,
        };
        match groups.last_mut() {
            Some(g) if g.code == r.county_code => g.stations.push(station),
            _ => groups.push(CountyStations {
                code: r.county_code,
                county: r.county,
                stations: vec![station],
            }),
        }
    }
    Ok(groups)
}

/// Whether the volunteer and her station lie in the region subtree `like` and she has no
/// account yet.
pub async fn volunteer_available(db: &PgPool, like: &str, volunteer: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM volunteer v WHERE v.id = $1 AND v.region_code LIKE $2
                  AND NOT EXISTS (SELECT 1 FROM station s WHERE s.id = v.station_id
                                  AND s.region_code NOT LIKE $2)
                  AND NOT EXISTS (SELECT 1 FROM app_user u WHERE u.volunteer_id = v.id)) AS "ok!""#,
        volunteer,
        like
    )
    .fetch_one(db)
    .await
}

/// Whether the volunteer's station, if she has one, lies in the region subtree `like`.
pub async fn volunteer_station_within(
    db: &PgPool,
    like: &str,
    volunteer: Uuid,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT NOT EXISTS (SELECT 1 FROM volunteer v JOIN station s ON s.id = v.station_id
                              WHERE v.id = $1 AND s.region_code NOT LIKE $2) AS "ok!""#,
        volunteer,
        like
    )
    .fetch_one(db)
    .await
}

/// The username of a volunteer's account, if she has one.
pub async fn username_of_volunteer(db: &PgPool, volunteer: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT username FROM app_user WHERE volunteer_id = $1",
        volunteer
    )
    .fetch_optional(db)
    .await
}
