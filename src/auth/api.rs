//! The account API: `/api/v1/session`, `/api/v1/me`, `/api/v1/users`.

use crate::web::Query;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

use super::accounts::{self, UserEdit, UserInput};
use super::model::{Role, User};
use super::{ClientIp, CurrentUser, session, store};
use crate::web::error::{AppError, FieldError, FieldErrors};
use crate::web::json::ApiJson;
use crate::web::paging::{Page, Paging};

/// The logged-in user as the API shows them.
#[derive(Debug, Serialize)]
pub struct Me {
    id: Uuid,
    username: String,
    display_name: String,
    role: Role,
    region_code: Option<String>,
    region_name: Option<String>,
    volunteer_id: Option<Uuid>,
    station_ids: Vec<Uuid>,
    must_change_password: bool,
}

impl From<&CurrentUser> for Me {
    fn from(u: &CurrentUser) -> Me {
        Me {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            region_code: u.region_code.clone(),
            region_name: u.region_name.clone(),
            volunteer_id: u.volunteer_id,
            station_ids: u.station_ids.clone(),
            must_change_password: u.must_change_password,
        }
    }
}

/// `{"user": …}`
#[derive(Debug, Serialize)]
pub struct MeBody {
    user: Me,
}

/// Login request.
#[derive(Debug, Deserialize)]
pub struct LoginBody {
    username: String,
    password: String,
    /// Keep the session cookie when the browser closes (it ends with the browser otherwise).
    #[serde(default)]
    remember: bool,
}

/// `POST /api/v1/session`: logs in; sets the session cookie.
pub async fn login(
    State(db): State<PgPool>,
    session: Session,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Json<MeBody>, AppError> {
    let login = (body.username.as_str(), body.password.as_str());
    let user = session::log_in(&db, &session, login, body.remember, ip).await?;
    Ok(Json(MeBody {
        user: Me::from(&user),
    }))
}

/// `DELETE /api/v1/session`: logs out.
pub async fn logout(
    State(db): State<PgPool>,
    session: Session,
    ClientIp(ip): ClientIp,
    user: CurrentUser,
) -> Result<StatusCode, AppError> {
    session::log_out(&db, &session, Some(&user), ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/me`.
pub async fn me(user: CurrentUser) -> Json<MeBody> {
    Json(MeBody {
        user: Me::from(&user),
    })
}

/// Password change request.
#[derive(Debug, Deserialize)]
pub struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// `POST /api/v1/me/password`: changes one's own password; other sessions end.
pub async fn change_password(
    State(db): State<PgPool>,
    session: Session,
    ClientIp(ip): ClientIp,
    user: CurrentUser,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<StatusCode, AppError> {
    let epoch = accounts::change_own_password(
        &db,
        &user,
        &body.current_password,
        &body.new_password,
        None,
        ip,
    )
    .await?;
    session::adopt_epoch(&session, epoch).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Filters of the user list.
#[derive(Debug, Deserialize)]
pub struct UserQuery {
    q: Option<String>,
    role: Option<String>,
    active: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

impl UserQuery {
    /// Checks the paging parameters.
    pub fn paging_checked(&self) -> Result<crate::web::paging::PageRequest, AppError> {
        self.paging.checked()
    }

    /// Checks the filters.
    pub fn filter(&self) -> Result<store::UserFilter, AppError> {
        let mut fields = FieldErrors::new();
        let role = match self.role.as_deref().filter(|r| !r.is_empty()) {
            None => None,
            Some(r) => Role::parse(r).or_else(|| {
                fields.insert("role".into(), FieldError::new("error.role"));
                None
            }),
        };
        let active = match self.active.as_deref().filter(|a| !a.is_empty()) {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => {
                fields.insert("active".into(), FieldError::new("error.boolean"));
                None
            }
        };
        if !fields.is_empty() {
            return Err(AppError::validation(fields));
        }
        Ok(store::UserFilter {
            q: self.q.clone().filter(|q| !q.trim().is_empty()),
            role,
            active,
        })
    }
}

/// `GET /api/v1/users`: accounts in the admin's subtree.
pub async fn list_users(
    State(db): State<PgPool>,
    admin: CurrentUser,
    Query(query): Query<UserQuery>,
) -> Result<Json<Page<User>>, AppError> {
    let paging = query.paging.checked()?;
    let filter = query.filter()?;
    let (items, total) =
        store::list(&db, &admin.scope, &filter, paging.limit(), paging.offset()).await?;
    Ok(Json(paging.page(items, total)))
}

/// `POST /api/v1/users`: 201 with the account (and a one-time password when none was given).
pub async fn create_user(
    State(db): State<PgPool>,
    admin: CurrentUser,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<UserInput>,
) -> Result<Response, AppError> {
    let created = accounts::create(&db, &admin, &input, ip).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `GET /api/v1/users/{id}`.
pub async fn get_user(
    State(db): State<PgPool>,
    admin: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<User>, AppError> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    store::find_in_scope(&db, &admin.scope, id)
        .await?
        .ok_or(AppError::NotFound)
        .map(Json)
}

/// `PATCH /api/v1/users/{id}`: display name, region, stations, active; with `version`.
pub async fn update_user(
    State(db): State<PgPool>,
    admin: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(edit): ApiJson<UserEdit>,
) -> Result<Json<User>, AppError> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    accounts::update(&db, &admin, id, &edit, ip).await.map(Json)
}

/// `{"one_time_password": …}`
#[derive(Debug, Serialize)]
pub struct ResetBody {
    one_time_password: String,
}

/// `POST /api/v1/users/{id}/reset-password`: a new one-time password.
pub async fn reset_password(
    State(db): State<PgPool>,
    admin: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Json<ResetBody>, AppError> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let one_time_password = accounts::reset_password(&db, &admin, id, ip).await?;
    Ok(Json(ResetBody { one_time_password }))
}
