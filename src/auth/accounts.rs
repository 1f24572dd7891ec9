//! Account management, shared by the pages and the API: admins create, edit, disable and reset
//! accounts inside their own subtree, never with a wider scope than their own; everyone changes
//! their own password.

use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{Role, User, Username, parse_display_name};
use super::rules::STATION_OUTSIDE_SCOPE;
use super::{CurrentUser, password, store};
use crate::audit::{self, Action, Entry};
use crate::regions;
use crate::web::error::{AppError, FieldError, FieldErrors};

/// An account as an admin typed it (form or JSON).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct UserInput {
    /// Login name.
    #[serde(default)]
    pub username: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// `admin`, `staff`, `station_manager` or `volunteer`.
    #[serde(default)]
    pub role: String,
    /// Region of an admin or staff member.
    #[serde(default)]
    pub region_code: Option<String>,
    /// Stations of a station manager.
    #[serde(default)]
    pub station_ids: Vec<String>,
    /// Volunteer record of a volunteer.
    #[serde(default)]
    pub volunteer_id: Option<String>,
    /// A starting password; when absent a one-time password is generated.
    #[serde(default)]
    pub password: Option<String>,
}

/// A created account and, when the service chose it, the one-time password to hand over.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Created {
    /// The account.
    #[serde(flatten)]
    pub user: User,
    /// Shown once; the user must change it at first login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_time_password: Option<String>,
}

/// Creates an account in the admin's subtree.
pub async fn create(
    db: &PgPool,
    admin: &CurrentUser,
    input: &UserInput,
    ip: Option<IpAddr>,
) -> Result<Created, AppError> {
    let mut fields = FieldErrors::new();
    let username = Username::parse(&input.username)
        .map_err(|e| fields.insert("username".into(), e))
        .ok();
    let display_name = parse_display_name(&input.display_name)
        .map_err(|e| fields.insert("display_name".into(), e))
        .ok();
    let role = Role::parse(&input.role);
    if role.is_none() {
        fields.insert("role".into(), FieldError::new("error.role"));
    }
    let scope = checked_scope(
        db,
        admin,
        role,
        input.region_code.as_deref(),
        &input.station_ids,
        input.volunteer_id.as_deref(),
        &mut fields,
    )
    .await?;
    let chosen = input.password.as_deref().filter(|p| !p.is_empty());
    if let (Some(p), Some(u)) = (chosen, &username)
        && let Err(e) = password::check_new(p, u.as_str())
    {
        fields.insert("password".into(), e);
    }
    let (Some(username), Some(display_name), Some(role), true) =
        (username, display_name, role, fields.is_empty())
    else {
        return Err(AppError::validation(fields));
    };
    let one_time = chosen.is_none().then(password::one_time);
    let plain = chosen
        .map(str::to_owned)
        .or_else(|| one_time.clone())
        .unwrap_or_default();
    let hash = password::hash_bounded(&plain).await?;

    let mut tx = db.begin().await?;
    let id = store::insert(
        &mut tx,
        &store::NewUser {
            username: username.as_str(),
            display_name: &display_name,
            password_hash: &hash,
            role,
            region_code: scope.region_code.as_deref(),
            volunteer_id: scope.volunteer_id,
            station_ids: &scope.station_ids,
            must_change_password: true,
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        Entry::by(admin, Action::Create, "user", Some(id), ip)
            .with_detail(serde_json::json!({ "role": role.as_str() })),
    )
    .await?;
    tx.commit().await?;
    let user = store::find_in_scope(db, &admin.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Created {
        user,
        one_time_password: one_time,
    })
}

/// The username of a volunteer's account, if she has one.
pub async fn login_of_volunteer(db: &PgPool, volunteer: Uuid) -> Result<Option<String>, AppError> {
    Ok(store::username_of_volunteer(db, volunteer).await?)
}

/// Creates the login of a volunteer the caller may see (checked by the caller): her mobile
/// number is the username, and a one-time password is handed over to be changed at first
/// login. A volunteer has one account at most, given by someone whose region holds her
/// station too (whoever hands over the password could read her pairings as her).
pub async fn create_for_volunteer(
    db: &PgPool,
    by: &CurrentUser,
    (volunteer, name, phone): (Uuid, &str, &str),
    ip: Option<IpAddr>,
) -> Result<Created, AppError> {
    if let Some(like) = by.scope.region_like()
        && !store::volunteer_station_within(db, &like, volunteer).await?
    {
        return Err(STATION_OUTSIDE_SCOPE.error());
    }
    let one_time = password::one_time();
    let plain = one_time.clone();
    let hash = password::hash_bounded(&plain).await?;
    let mut tx = db.begin().await?;
    let id = store::insert(
        &mut tx,
        &store::NewUser {
            username: phone,
            display_name: name,
            password_hash: &hash,
            role: Role::Volunteer,
            region_code: None,
            volunteer_id: Some(volunteer),
            station_ids: &[],
            must_change_password: true,
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        Entry::by(by, Action::Create, "user", Some(id), ip)
            .with_detail(serde_json::json!({ "role": "volunteer", "volunteer_id": volunteer })),
    )
    .await?;
    tx.commit().await?;
    let user = store::find_in_scope(db, &crate::auth::Scope::Region(String::new()), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Created {
        user,
        one_time_password: Some(one_time),
    })
}

/// The scope fields of an account, checked against the role and the admin's own subtree.
struct CheckedScope {
    region_code: Option<String>,
    station_ids: Vec<Uuid>,
    volunteer_id: Option<Uuid>,
}

async fn checked_scope(
    db: &PgPool,
    admin: &CurrentUser,
    role: Option<Role>,
    region_code: Option<&str>,
    station_ids: &[String],
    volunteer_id: Option<&str>,
    fields: &mut FieldErrors,
) -> Result<CheckedScope, AppError> {
    let mut out = CheckedScope {
        region_code: None,
        station_ids: Vec::new(),
        volunteer_id: None,
    };
    let like = admin
        .scope
        .region_like()
        .ok_or(AppError::Forbidden("forbidden"))?;
    match role {
        Some(Role::Admin | Role::Staff) => {
            match region_code.map(str::trim).filter(|c| !c.is_empty()) {
                None => {
                    fields.insert("region_code".into(), FieldError::new("error.required"));
                }
                Some(text) => match regions::model::RegionCode::parse(text) {
                    Err(e) => {
                        fields.insert("region_code".into(), e);
                    }
                    Ok(code) if !admin.scope.covers_region(code.as_str()) => {
                        fields.insert(
                            "region_code".into(),
                            FieldError::new("error.region_outside_scope"),
                        );
                    }
                    Ok(code) => {
                        if regions::service::find(db, &code).await?.is_none() {
                            fields.insert(
                                "region_code".into(),
                                FieldError::new("error.region_unknown"),
                            );
                        } else {
                            out.region_code = Some(code.as_str().to_owned());
                        }
                    }
                },
            }
        }
        Some(Role::StationManager) => {
            let ids: Vec<Uuid> = station_ids
                .iter()
                .filter_map(|s| Uuid::parse_str(s.trim()).ok())
                .collect();
            let known = store::stations_in_region(db, &like, &ids).await?;
            if ids.is_empty() || known.len() != ids.len() || ids.len() != station_ids.len() {
                fields.insert(
                    "station_ids".into(),
                    FieldError::new("error.stations_required"),
                );
            } else {
                out.station_ids = ids;
            }
        }
        Some(Role::Volunteer) => {
            let id = volunteer_id.and_then(|v| Uuid::parse_str(v.trim()).ok());
            match id {
                Some(id) if store::volunteer_available(db, &like, id).await? => {
                    out.volunteer_id = Some(id)
                }
                _ => {
                    fields.insert(
                        "volunteer_id".into(),
                        FieldError::new("error.volunteer_for_account"),
                    );
                }
            }
        }
        None => {}
    }
    Ok(out)
}

/// What an admin may change on an account.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct UserEdit {
    /// New display name.
    pub display_name: Option<String>,
    /// New region (admins and staff).
    pub region_code: Option<String>,
    /// New stations (station managers).
    pub station_ids: Option<Vec<String>>,
    /// Enable or disable.
    pub active: Option<bool>,
    /// The version the admin edited.
    pub version: Option<i32>,
}

/// Applies an edit to an account in the admin's subtree; a stale version is a 409.
pub async fn update(
    db: &PgPool,
    admin: &CurrentUser,
    id: Uuid,
    edit: &UserEdit,
    ip: Option<IpAddr>,
) -> Result<User, AppError> {
    let current = store::find_in_scope(db, &admin.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut fields = FieldErrors::new();
    let Some(version) = edit.version else {
        fields.insert("version".into(), FieldError::new("error.required"));
        return Err(AppError::validation(fields));
    };
    let display_name = match &edit.display_name {
        Some(name) => parse_display_name(name)
            .map_err(|e| fields.insert("display_name".into(), e))
            .ok(),
        None => Some(current.display_name.clone()),
    };
    let region_input = edit
        .region_code
        .clone()
        .or_else(|| current.region_code.clone());
    let station_input: Vec<String> = match &edit.station_ids {
        Some(ids) => ids.clone(),
        None => current.station_ids.iter().map(Uuid::to_string).collect(),
    };
    let volunteer_input = current.volunteer_id.map(|v| v.to_string());
    let scope = if current.role == Role::Volunteer {
        // A volunteer's account stays with her record.
        CheckedScope {
            region_code: None,
            station_ids: Vec::new(),
            volunteer_id: current.volunteer_id,
        }
    } else {
        checked_scope(
            db,
            admin,
            Some(current.role),
            region_input.as_deref(),
            &station_input,
            volunteer_input.as_deref(),
            &mut fields,
        )
        .await?
    };
    let active = edit.active.unwrap_or(current.active);
    if id == admin.id && !active {
        fields.insert(
            "active".into(),
            FieldError::new("error.cannot_disable_self"),
        );
    }
    let (Some(display_name), true) = (display_name, fields.is_empty()) else {
        return Err(AppError::validation(fields));
    };

    let mut changed = Vec::new();
    if display_name != current.display_name {
        changed.push("display_name");
    }
    if scope.region_code != current.region_code {
        changed.push("region_code");
    }
    if current.role == Role::StationManager && scope.station_ids != current.station_ids {
        changed.push("station_ids");
    }
    if active != current.active {
        changed.push("active");
    }
    let mut tx = db.begin().await?;
    if !store::update(
        &mut tx,
        id,
        version,
        &display_name,
        scope.region_code.as_deref(),
        active,
    )
    .await?
    {
        return Err(AppError::conflict("stale_version"));
    }
    if current.role == Role::StationManager {
        store::set_stations(&mut tx, id, &scope.station_ids).await?;
    }
    audit::record(
        &mut *tx,
        Entry::by(admin, Action::Update, "user", Some(id), ip)
            .with_detail(serde_json::json!({ "fields": changed })),
    )
    .await?;
    tx.commit().await?;
    store::find_in_scope(db, &admin.scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Enables or disables an account (disabling ends its sessions at once).
pub async fn set_active(
    db: &PgPool,
    admin: &CurrentUser,
    id: Uuid,
    active: bool,
    ip: Option<IpAddr>,
) -> Result<User, AppError> {
    let current = store::find_in_scope(db, &admin.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let edit = UserEdit {
        active: Some(active),
        version: Some(current.version),
        ..Default::default()
    };
    update(db, admin, id, &edit, ip).await
}

/// Gives an account in the admin's subtree a new one-time password; returns it.
pub async fn reset_password(
    db: &PgPool,
    admin: &CurrentUser,
    id: Uuid,
    ip: Option<IpAddr>,
) -> Result<String, AppError> {
    store::find_in_scope(db, &admin.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let one_time = password::one_time();
    let plain = one_time.clone();
    let hash = password::hash_bounded(&plain).await?;
    let mut tx = db.begin().await?;
    store::set_password(&mut *tx, id, &hash, true).await?;
    audit::record(
        &mut *tx,
        Entry::by(admin, Action::Update, "user", Some(id), ip)
            .with_detail(serde_json::json!({ "fields": ["password"] })),
    )
    .await?;
    tx.commit().await?;
    Ok(one_time)
}

/// Changes the user's own password after checking the current one; returns the new session
/// epoch (every other session of the user has ended).
pub async fn change_own_password(
    db: &PgPool,
    user: &CurrentUser,
    current: &str,
    new: &str,
    confirm: Option<&str>,
    ip: Option<IpAddr>,
) -> Result<i32, AppError> {
    let mut fields = FieldErrors::new();
    let stored = store::password_hash(db, user.id).await?;
    let (c, s) = (current.to_owned(), stored);
    let ok = password::verify_bounded(&c, &s).await?;
    if !ok {
        fields.insert(
            "current_password".into(),
            FieldError::new("error.current_password"),
        );
    }
    if let Err(e) = password::check_new(new, &user.username) {
        fields.insert("new_password".into(), e);
    } else if new == current {
        fields.insert(
            "new_password".into(),
            FieldError::new("error.password_unchanged"),
        );
    }
    if confirm.is_some_and(|c| c != new) {
        fields.insert(
            "confirm_password".into(),
            FieldError::new("error.password_mismatch"),
        );
    }
    if !fields.is_empty() {
        return Err(AppError::validation(fields));
    }
    let plain = new.to_owned();
    let hash = password::hash_bounded(&plain).await?;
    let mut tx = db.begin().await?;
    let epoch = store::set_password(&mut *tx, user.id, &hash, false).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "user", Some(user.id), ip)
            .with_detail(serde_json::json!({ "fields": ["password"] })),
    )
    .await?;
    tx.commit().await?;
    Ok(epoch)
}

/// On a start with no accounts, creates `admin` with province scope 51 and a one-time
/// password, which is returned to be printed once. Two instances starting together create it
/// once.
pub async fn ensure_first_admin(db: &PgPool) -> anyhow::Result<Option<String>> {
    let mut tx = db.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('aixin.first_admin'))")
        .execute(&mut *tx)
        .await?;
    if store::any_user(&mut *tx).await? {
        return Ok(None);
    }
    let one_time = password::one_time();
    let plain = one_time.clone();
    let hash = password::hash_bounded(&plain).await?;
    store::insert(
        &mut tx,
        &store::NewUser {
            username: "admin",
            display_name: "系统管理员",
            password_hash: &hash,
            role: Role::Admin,
            region_code: Some("51"),
            volunteer_id: None,
            station_ids: &[],
            must_change_password: true,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(one_time))
}
