//! `/admin/audit`: the audit log of the admin's subtree, filtered by actor, action, record
//! kind and date.

use crate::web::Query;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use sqlx::PgPool;
use time::Date;

use crate::audit::{self, Action, Event, Filter};

use crate::auth::CurrentUser;
use crate::web::error::{AppError, FieldError, FieldErrors};
use crate::web::paging::{PageRequest, Paging, page_link};
use crate::web::{PageContext, render};

/// The filter form.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    entity: Option<String>,
    from: Option<String>,
    to: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    ctx: PageContext,
    events: Vec<Event>,
    total: i64,
    paging: PageRequest,
    actor: String,
    action: String,
    entity: String,
    from: String,
    to: String,
    actions: Vec<Action>,
    errors: std::collections::BTreeMap<String, String>,
}

impl AuditPage {
    fn action_label(&self, action: &Action) -> &'static str {
        self.ctx.t(action.label_key())
    }

    fn detail(&self, event: &Event) -> String {
        match event.detail.get("fields").and_then(|f| f.as_array()) {
            Some(fields) => fields
                .iter()
                .filter_map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            None if event.detail.as_object().is_some_and(|o| o.is_empty()) => String::new(),
            None => event.detail.to_string(),
        }
    }

    fn page_link(&self, page: u32) -> String {
        page_link(
            "/admin/audit",
            &[
                ("actor", &self.actor),
                ("action", &self.action),
                ("entity", &self.entity),
                ("from", &self.from),
                ("to", &self.to),
            ],
            page,
        )
    }

    fn last_page(&self) -> u32 {
        self.paging.last_page(self.total)
    }
}

fn parse_date(text: Option<&str>, field: &str, errors: &mut FieldErrors) -> Option<Date> {
    let text = text.map(str::trim).filter(|t| !t.is_empty())?;
    match Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    ) {
        Ok(d) => Some(d),
        Err(_) => {
            errors.insert(field.to_owned(), FieldError::new("error.date_format"));
            None
        }
    }
}

/// `GET /admin/audit`.
pub async fn list(
    State(db): State<PgPool>,
    ctx: PageContext,
    admin: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let paging = q.paging.checked()?;
    let mut fields = FieldErrors::new();
    let filter = Filter {
        actor: q.actor.clone().filter(|a| !a.trim().is_empty()),
        action: q.action.as_deref().and_then(Action::parse),
        entity: q
            .entity
            .clone()
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty()),
        from: parse_date(q.from.as_deref(), "from", &mut fields),
        to: parse_date(q.to.as_deref(), "to", &mut fields),
    };
    let region = admin.region_code.clone().unwrap_or_default();
    let like = format!("{region}%");
    // Failed logins of unknown accounts belong to no region: province-level admins see them.
    let include_unfiled = region.len() <= 2;
    let (events, total) = audit::list(
        &db,
        &like,
        include_unfiled,
        &filter,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    let errors = fields
        .iter()
        .map(|(k, e)| (k.clone(), e.message(ctx.lang)))
        .collect();
    Ok(render(&AuditPage {
        ctx,
        events,
        total,
        paging,
        actor: q.actor.unwrap_or_default(),
        action: filter
            .action
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default(),
        entity: q.entity.unwrap_or_default(),
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        actions: Action::ALL.to_vec(),
        errors,
    }))
}
