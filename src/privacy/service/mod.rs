//! The rules and transactions of the privacy area: data-subject requests and how each is
//! carried out, a consent's withdrawal and its effects, and the retention run.
//!
//! Staff whose scope covers the person a request is about see it and answer it; a volunteer
//! files and follows her own requests to see what is held about her.

mod consent;
pub mod erase;
pub mod retention;

use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{
    Channel, CompleteInput, DataRequest, Filter, RefuseInput, RequestInput, RequestKind,
    RequestStatus, RequesterRelation, Subject, ValidRequest,
};
use super::rules::{
    COPY_NOT_READY, NOT_AN_ACCESS_REQUEST, REQUEST_HANDLED, REQUEST_REFUSED,
    VOLUNTEER_ASKS_ACCESS_ONLY,
};
use super::store;
use crate::audit::{self, Action, Entry};
use crate::auth::{CurrentUser, Role};
use crate::crypto::Cipher;
use crate::web::error::{AppError, FieldError, FieldErrors};

pub use consent::withdraw_consent;
pub use erase::Why;

/// A page of the requests the user may see, and their total.
pub async fn list(
    db: &PgPool,
    user: &CurrentUser,
    filter: &Filter,
    page: (i64, i64),
) -> Result<(Vec<DataRequest>, i64), AppError> {
    let today = crate::domain::today();
    Ok(store::list(db, &user.scope, filter, today, page).await?)
}

/// The requests within `scope` still open after their due day, the first `limit` and their
/// count (the dashboard's alert).
pub async fn overdue(
    db: &PgPool,
    scope: &crate::auth::Scope,
    limit: i64,
) -> Result<(Vec<DataRequest>, i64), AppError> {
    let filter = Filter {
        overdue: true,
        ..Filter::default()
    };
    let today = crate::domain::today();
    Ok(store::list(db, scope, &filter, today, (limit, 0)).await?)
}

/// A request the user may see (404 otherwise).
pub async fn find(db: &PgPool, user: &CurrentUser, id: Uuid) -> Result<DataRequest, AppError> {
    store::find(db, &user.scope, id, crate::domain::today())
        .await?
        .ok_or(AppError::NotFound)
}

/// Records a request. Staff file one about a child or a volunteer in their scope (404
/// otherwise); a volunteer files one herself, to see what is held about her, and nothing else.
pub async fn create(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    input: &RequestInput,
    due_days: u16,
    ip: Option<IpAddr>,
) -> Result<DataRequest, AppError> {
    let request = match user.role {
        Role::Volunteer => own_access(user, input)?,
        _ => input.validate().map_err(AppError::validation)?,
    };
    // The person must be in the user's scope: 404 otherwise, as any record beyond it.
    match request.subject {
        Subject::Child(id) => {
            crate::children::service::detail(db, cipher, user, id).await?;
        }
        Subject::Volunteer(id) if user.role != Role::Volunteer => {
            crate::volunteers::service::find(db, &user.scope, id)
                .await?
                .ok_or(AppError::NotFound)?;
        }
        Subject::Volunteer(_) => {}
    }
    let due_on = request.received_on + time::Duration::days(i64::from(due_days));
    let mut tx = db.begin().await?;
    let id = store::insert(&mut tx, &request, due_on, None, user.id).await?;
    audit::record(&mut *tx, created(user, id, &request, ip)).await?;
    tx.commit().await?;
    find(db, user, id).await
}

/// The audit entry of a new request: its kind and whom it is about, never who asked.
fn created(user: &CurrentUser, id: Uuid, r: &ValidRequest, ip: Option<IpAddr>) -> Entry {
    let (child, volunteer) = r.subject.ids();
    Entry::by(user, Action::Create, "data_request", Some(id), ip).with_detail(serde_json::json!({
        "kind": r.kind.as_str(),
        "child_id": child,
        "volunteer_id": volunteer,
    }))
}

/// A volunteer's own request: to see what is held about her, filed as herself, online, today.
/// Any other kind, or a request about someone else, is refused (403).
fn own_access(user: &CurrentUser, input: &RequestInput) -> Result<ValidRequest, AppError> {
    let own = user.volunteer_id.ok_or(AppError::Forbidden("forbidden"))?;
    let kind = input
        .kind
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .unwrap_or("access");
    let about = input.volunteer_id.as_deref().map(str::trim);
    let child = input
        .child_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if kind != RequestKind::Access.as_str()
        || child.is_some()
        || about.is_some_and(|v| !v.is_empty() && Uuid::parse_str(v).ok() != Some(own))
    {
        return Err(VOLUNTEER_ASKS_ACCESS_ONLY.error());
    }
    let note = crate::domain::text::long_optional(input.note.as_deref(), 2000)
        .map_err(|e| AppError::validation(FieldErrors::from([("note".to_owned(), e)])))?;
    Ok(ValidRequest {
        kind: RequestKind::Access,
        subject: Subject::Volunteer(own),
        requester_name: user.display_name.chars().take(50).collect(),
        requester_relation: RequesterRelation::Myself,
        channel: Channel::Online,
        received_on: crate::domain::today(),
        identity_check: Some("signed_in".to_owned()),
        note,
    })
}

/// Carries out a request and records it done: a deletion erases the person (a child leaves
/// the programme first, a volunteer withdraws; their pairings close), an access request has
/// had its copy made (`export`), a correction or a withdrawal has been made on the record.
pub async fn complete(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    input: &CompleteInput,
    ip: Option<IpAddr>,
) -> Result<DataRequest, AppError> {
    let request = find(db, user, id).await?;
    let version = input.version.ok_or_else(version_required)?;
    let subject = subject_of(&request)?;
    let mut tx = db.begin().await?;
    // The person before the request, as an erasure takes them.
    erase::lock_subject(&mut tx, subject).await?;
    check_open(&mut tx, db, user, &request, version).await?;
    let mut detail = serde_json::json!({ "fields": ["status"], "status": "done" });
    if request.kind == RequestKind::Deletion {
        let today = crate::domain::today();
        let erased =
            erase::erase_in(&mut tx, Some((user, ip)), subject, Why::Request, today).await?;
        detail["anonymised"] = serde_json::json!(erased);
    }
    store::answer(&mut tx, id, RequestStatus::Done, None, user.id).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "data_request", Some(id), ip).with_detail(detail),
    )
    .await?;
    tx.commit().await?;
    find(db, user, id).await
}

/// Refuses a request, saying why.
pub async fn refuse(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    input: &RefuseInput,
    ip: Option<IpAddr>,
) -> Result<DataRequest, AppError> {
    let request = find(db, user, id).await?;
    let (version, reason) = input.validate().map_err(AppError::validation)?;
    let subject = subject_of(&request)?;
    let mut tx = db.begin().await?;
    erase::lock_subject(&mut tx, subject).await?;
    check_open(&mut tx, db, user, &request, version).await?;
    store::answer(&mut tx, id, RequestStatus::Refused, Some(&reason), user.id).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "data_request", Some(id), ip).with_detail(
            serde_json::json!({ "fields": ["status", "reason"], "status": "refused" }),
        ),
    )
    .await?;
    tx.commit().await?;
    find(db, user, id).await
}

/// The person a request is about.
fn subject_of(request: &DataRequest) -> Result<Subject, AppError> {
    match (request.child_id, request.volunteer_id) {
        (Some(child), _) => Ok(Subject::Child(child)),
        (None, Some(volunteer)) => Ok(Subject::Volunteer(volunteer)),
        (None, None) => Err(AppError::NotFound),
    }
}

fn version_required() -> AppError {
    AppError::validation(FieldErrors::from([(
        "version".to_owned(),
        FieldError::new("error.required"),
    )]))
}

/// Locks the request: it must still be open (409 `request_handled`) and the caller's copy
/// current (409 `stale_version` with the request as it is).
async fn check_open(
    tx: &mut sqlx::PgConnection,
    db: &PgPool,
    user: &CurrentUser,
    request: &DataRequest,
    version: i32,
) -> Result<(), AppError> {
    let (status, current) = store::lock(tx, request.id)
        .await?
        .ok_or(AppError::NotFound)?;
    if current != version {
        let now = find(db, user, request.id).await?;
        return Err(AppError::Stale {
            current: serde_json::to_value(now).map_err(anyhow::Error::from)?,
        });
    }
    if status != RequestStatus::Open {
        return Err(REQUEST_HANDLED.error());
    }
    Ok(())
}

/// The copy of an access request: everything held about its person, in sections. Staff make it
/// for any access request they see that was not refused; a volunteer gets her own once the
/// request is done. Descriptions of sensitive concerns are included only when asked for
/// (`include_sensitive`, staff only). Audited as an export of the request.
pub async fn access_copy(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
    (lang, include_sensitive, format): (crate::i18n::Lang, bool, &'static str),
    ip: Option<IpAddr>,
) -> Result<(DataRequest, Vec<super::read::Section>), AppError> {
    let request = find(db, user, id).await?;
    if request.kind != RequestKind::Access {
        return Err(NOT_AN_ACCESS_REQUEST.error());
    }
    let volunteer = user.role == Role::Volunteer;
    if volunteer && include_sensitive {
        return Err(AppError::Forbidden("forbidden"));
    }
    if request.status == RequestStatus::Refused {
        return Err(REQUEST_REFUSED.error());
    }
    if volunteer && request.status != RequestStatus::Done {
        return Err(COPY_NOT_READY.error());
    }
    let sections = match (request.child_id, request.volunteer_id) {
        (Some(child), _) => {
            let full_id = crate::children::service::full_id_numbers(db, cipher, &[child])
                .await?
                .remove(&child);
            super::read::child_copy(db, lang, child, full_id, include_sensitive).await?
        }
        (None, Some(v)) => {
            let values = crate::volunteers::service::full_values(db, cipher, &[v])
                .await?
                .remove(&v)
                .unwrap_or_default();
            super::read::volunteer_copy(db, lang, v, values).await?
        }
        (None, None) => return Err(AppError::NotFound),
    };
    let (child, volunteer_id) = (request.child_id, request.volunteer_id);
    audit::record(
        db,
        Entry::by(user, Action::Export, "data_request", Some(id), ip).with_detail(
            serde_json::json!({
                "format": format,
                "child_id": child,
                "volunteer_id": volunteer_id,
                "sensitive_included": include_sensitive,
                "rows": sections.iter().map(|s| s.rows.len()).sum::<usize>(),
            }),
        ),
    )
    .await?;
    Ok((request, sections))
}
