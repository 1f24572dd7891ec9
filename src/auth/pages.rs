//! Account pages: login, logout, one's own password, and the admins' user management.

use crate::web::Query;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

use super::accounts::{self, UserEdit, UserInput};
use super::api::UserQuery;
use super::model::{CountyStations, Role, StationChoice, User};
use super::{ClientIp, CurrentUser, session, store};
use crate::web::error::AppError;
use crate::web::pages::is_local_path;
use crate::web::paging::PageRequest;
use crate::web::{Errors, PageContext, flash, localise, parse_id, render};

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    ctx: PageContext,
    username: String,
    next: String,
    remember: bool,
    error: Option<String>,
}

/// `?next=` of the login page.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /login`. The one query read with axum's own extractor: a link whose `next` holds a
/// line break or a tab still opens the login form, `next` dropped by `is_local_path` (which
/// refuses control characters), rather than an error page.
pub async fn login_form(
    ctx: PageContext,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> Response {
    if ctx.user.is_some() {
        return Redirect::to("/").into_response();
    }
    let next = q.next.filter(|n| is_local_path(n)).unwrap_or_default();
    render(&LoginPage {
        ctx,
        username: String::new(),
        next,
        remember: false,
        error: None,
    })
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
    /// The "remember me" box: present (whatever its value) when ticked.
    #[serde(default)]
    remember: Option<String>,
}

/// `POST /login`: on success to the page asked for (or the password change a one-time
/// password requires); on failure the form again, with the username kept.
pub async fn login(
    State(db): State<PgPool>,
    ctx: PageContext,
    session: Session,
    ClientIp(ip): ClientIp,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let login = (form.username.as_str(), form.password.as_str());
    match session::log_in(&db, &session, login, form.remember.is_some(), ip).await {
        Ok(user) => {
            let target = if user.must_change_password {
                "/account/password".to_owned()
            } else if is_local_path(&form.next) {
                form.next
            } else {
                "/".to_owned()
            };
            Ok(Redirect::to(&target).into_response())
        }
        Err(e @ (AppError::InvalidCredentials | AppError::TooManyRequests { .. })) => {
            let error = match &e {
                AppError::TooManyRequests { retry_after } if *retry_after < 60 => ctx.tf(
                    "login.throttled_seconds",
                    "seconds",
                    &retry_after.to_string(),
                ),
                AppError::TooManyRequests { retry_after } => ctx.tf(
                    "login.throttled",
                    "minutes",
                    &retry_after.div_ceil(60).to_string(),
                ),
                _ => ctx.t("error.invalid_credentials").to_owned(),
            };
            let status = e.status();
            let next = if is_local_path(&form.next) {
                form.next
            } else {
                String::new()
            };
            let page = LoginPage {
                ctx,
                username: form.username,
                next,
                remember: form.remember.is_some(),
                error: Some(error),
            };
            Ok((status, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// `POST /logout`.
pub async fn logout(
    State(db): State<PgPool>,
    session: Session,
    ClientIp(ip): ClientIp,
    user: CurrentUser,
) -> Result<Response, AppError> {
    session::log_out(&db, &session, Some(&user), ip).await?;
    flash(&session, "flash.logged_out").await;
    Ok(Redirect::to("/login").into_response())
}

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    ctx: PageContext,
    errors: Errors,
}

/// `GET /account/password`.
pub async fn password_form(ctx: PageContext) -> Response {
    render(&PasswordPage {
        ctx,
        errors: Errors::new(),
    })
}

/// The password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

/// `POST /account/password`.
pub async fn change_password(
    State(db): State<PgPool>,
    ctx: PageContext,
    session: Session,
    ClientIp(ip): ClientIp,
    user: CurrentUser,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    match accounts::change_own_password(
        &db,
        &user,
        &form.current_password,
        &form.new_password,
        Some(&form.confirm_password),
        ip,
    )
    .await
    {
        Ok(epoch) => {
            session::adopt_epoch(&session, epoch).await?;
            flash(&session, "flash.password_changed").await;
            Ok(Redirect::to("/").into_response())
        }
        Err(AppError::Unprocessable { fields, .. }) => {
            let errors = localise(&ctx, &fields);
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                render(&PasswordPage { ctx, errors }),
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    ctx: PageContext,
    users: Vec<User>,
    total: i64,
    paging: PageRequest,
    q: String,
    role: String,
    active: String,
}

impl UsersPage {
    fn role_label(&self, role: &Role) -> &'static str {
        self.ctx.t(role.label_key())
    }

    fn page_link(&self, page: u32) -> String {
        crate::web::paging::page_link(
            "/admin/users",
            &[
                ("q", &self.q),
                ("role", &self.role),
                ("active", &self.active),
            ],
            page,
        )
    }

    fn last_page(&self) -> u32 {
        self.paging.last_page(self.total)
    }
}

/// `GET /admin/users`.
pub async fn users(
    State(db): State<PgPool>,
    ctx: PageContext,
    admin: CurrentUser,
    Query(query): Query<UserQuery>,
) -> Result<Response, AppError> {
    let paging = query.paging_checked()?;
    let filter = query.filter()?;
    let (users, total) =
        store::list(&db, &admin.scope, &filter, paging.limit(), paging.offset()).await?;
    Ok(render(&UsersPage {
        ctx,
        users,
        total,
        paging,
        q: filter.q.clone().unwrap_or_default(),
        role: filter
            .role
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        active: filter.active.map(|a| a.to_string()).unwrap_or_default(),
    }))
}

#[derive(Template)]
#[template(path = "admin/user_new.html")]
struct NewUserPage {
    ctx: PageContext,
    input: UserInput,
    errors: Errors,
    stations: Vec<CountyStations>,
}

impl NewUserPage {
    fn station_checked(&self, id: &Uuid) -> bool {
        self.input.station_ids.iter().any(|s| s == &id.to_string())
    }

    fn checked_in(&self, group: &CountyStations) -> usize {
        group
            .stations
            .iter()
            .filter(|s| self.station_checked(&s.id))
            .count()
    }
}

/// `GET /admin/users/new`.
pub async fn new_user_form(
    State(db): State<PgPool>,
    ctx: PageContext,
    admin: CurrentUser,
) -> Result<Response, AppError> {
    let like = admin.scope.region_like().unwrap_or_default();
    let stations = store::station_choices(&db, &like, &[]).await?;
    let input = UserInput {
        role: "staff".into(),
        region_code: admin.region_code.clone(),
        ..Default::default()
    };
    Ok(render(&NewUserPage {
        ctx,
        input,
        errors: Errors::new(),
        stations,
    }))
}

#[derive(Template)]
#[template(path = "admin/user_created.html")]
struct UserCreatedPage {
    ctx: PageContext,
    user: User,
    one_time_password: String,
    reset: bool,
}

/// `POST /admin/users`: creates the account and shows its one-time password once.
pub async fn create_user(
    State(db): State<PgPool>,
    ctx: PageContext,
    admin: CurrentUser,
    ClientIp(ip): ClientIp,
    axum_extra::extract::Form(mut input): axum_extra::extract::Form<UserInput>,
) -> Result<Response, AppError> {
    // The page never takes a password: the service hands out a one-time one.
    input.password = None;
    match accounts::create(&db, &admin, &input, ip).await {
        Ok(created) => Ok(render(&UserCreatedPage {
            ctx,
            user: created.user,
            one_time_password: created.one_time_password.unwrap_or_default(),
            reset: false,
        })),
        Err(AppError::Unprocessable { fields, .. } | AppError::Conflict { fields, .. })
            if !fields.is_empty() =>
        {
            let like = admin.scope.region_like().unwrap_or_default();
            let stations = store::station_choices(&db, &like, &[]).await?;
            let errors = localise(&ctx, &fields);
            let page = NewUserPage {
                ctx,
                input,
                errors,
                stations,
            };
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "admin/user_detail.html")]
struct UserDetailPage {
    ctx: PageContext,
    user: User,
    display_name: String,
    region_code: String,
    errors: Errors,
    stale: bool,
    stations: Vec<CountyStations>,
    is_self: bool,
}

impl UserDetailPage {
    fn role_label(&self) -> &'static str {
        self.ctx.t(self.user.role.label_key())
    }

    fn station_checked(&self, id: &Uuid) -> bool {
        self.user.station_ids.contains(id)
    }

    fn checked_in(&self, group: &CountyStations) -> usize {
        group
            .stations
            .iter()
            .filter(|s| self.station_checked(&s.id))
            .count()
    }

    /// The stations the account has now, each with its county and place.
    fn assigned(&self) -> Vec<(&CountyStations, &StationChoice)> {
        self.stations
            .iter()
            .flat_map(|g| g.stations.iter().map(move |s| (g, s)))
            .filter(|(_, s)| self.station_checked(&s.id))
            .collect()
    }
}

/// `GET /admin/users/{id}`.
pub async fn user_detail(
    State(db): State<PgPool>,
    ctx: PageContext,
    admin: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let user = store::find_in_scope(&db, &admin.scope, parse_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let like = admin.scope.region_like().unwrap_or_default();
    let stations = store::station_choices(&db, &like, &user.station_ids).await?;
    Ok(render(&UserDetailPage {
        display_name: user.display_name.clone(),
        region_code: user.region_code.clone().unwrap_or_default(),
        is_self: user.id == admin.id,
        ctx,
        user,
        errors: Errors::new(),
        stale: false,
        stations,
    }))
}

/// The edit form of an account. Every field is optional here so that an account outside the
/// admin's scope answers 404 whatever was posted; the service names what is missing.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditForm {
    display_name: String,
    region_code: Option<String>,
    station_ids: Vec<String>,
    version: Option<String>,
}

/// `POST /admin/users/{id}`: saves the edit; a stale version shows the current record with
/// the admin's input kept and a warning.
pub async fn update_user(
    State(db): State<PgPool>,
    ctx: PageContext,
    session: Session,
    admin: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum_extra::extract::Form(form): axum_extra::extract::Form<EditForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let current = store::find_in_scope(&db, &admin.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let edit = UserEdit {
        display_name: Some(form.display_name.clone()),
        region_code: form
            .region_code
            .clone()
            .filter(|_| current.role.has_region()),
        station_ids: (current.role == Role::StationManager).then(|| form.station_ids.clone()),
        active: None,
        version: form.version.as_deref().and_then(|v| v.trim().parse().ok()),
    };
    let (status, errors, stale) = match accounts::update(&db, &admin, id, &edit, ip).await {
        Ok(_) => {
            flash(&session, "flash.user_saved").await;
            return Ok(Redirect::to(&format!("/admin/users/{id}")).into_response());
        }
        Err(AppError::Unprocessable { fields, .. }) => (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            localise(&ctx, &fields),
            false,
        ),
        Err(AppError::Conflict {
            code: "stale_version",
            ..
        }) => (axum::http::StatusCode::CONFLICT, Errors::new(), true),
        Err(e) => return Err(e),
    };
    let user = store::find_in_scope(&db, &admin.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let like = admin.scope.region_like().unwrap_or_default();
    let stations = store::station_choices(&db, &like, &user.station_ids).await?;
    let page = UserDetailPage {
        display_name: form.display_name,
        region_code: form.region_code.unwrap_or_default(),
        is_self: user.id == admin.id,
        ctx,
        user,
        errors,
        stale,
        stations,
    };
    Ok((status, render(&page)).into_response())
}

/// `POST /admin/users/{id}/disable`: the account can no longer log in; its sessions end.
pub async fn disable_user(
    State(db): State<PgPool>,
    session: Session,
    admin: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    accounts::set_active(&db, &admin, id, false, ip).await?;
    flash(&session, "flash.user_disabled").await;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

/// `POST /admin/users/{id}/enable`.
pub async fn enable_user(
    State(db): State<PgPool>,
    session: Session,
    admin: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    accounts::set_active(&db, &admin, id, true, ip).await?;
    flash(&session, "flash.user_enabled").await;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

/// `POST /admin/users/{id}/reset-password`: shows a new one-time password once.
pub async fn reset_password(
    State(db): State<PgPool>,
    ctx: PageContext,
    admin: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let one_time_password = accounts::reset_password(&db, &admin, id, ip).await?;
    let user = store::find_in_scope(&db, &admin.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(render(&UserCreatedPage {
        ctx,
        user,
        one_time_password,
        reset: true,
    }))
}
