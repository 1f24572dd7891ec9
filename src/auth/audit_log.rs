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

/// The kinds of record the audit log names (each has an `audit.kind.` message).
const KINDS: &[&str] = &[
    "session",
    "user",
    "child",
    "volunteer",
    "station",
    "pairing",
    "guardian",
    "consent",
    "contact",
    "activity",
    "wish",
    "data_request",
    "monthly_report",
    "children",
    "volunteers",
    "stations",
    "pairings",
    "activities",
];

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

    /// An event as a sentence in the reader's language: 王芳 查看了儿童「李小明」的身份证号.
    fn sentence(&self, e: &Event) -> String {
        let lang = self.ctx.lang;
        let who = e
            .actor_name
            .clone()
            .or_else(|| e.actor.clone())
            .unwrap_or_else(|| lang.t("audit.system").to_owned());
        let kind = if KINDS.contains(&e.entity.as_str()) {
            lang.t(&format!("audit.kind.{}", e.entity)).to_owned()
        } else {
            e.entity.clone()
        };
        let what = match &e.record {
            Some(name) => lang.tf("audit.named", &[("kind", &kind), ("name", name)]),
            None => kind,
        };
        let fields: Vec<String> = e
            .detail
            .get("fields")
            .and_then(|f| f.as_array())
            .map(|f| {
                f.iter()
                    .filter_map(|f| f.as_str())
                    .map(|f| lang.field_label(f))
                    .collect()
            })
            .unwrap_or_default();
        let fields = fields.join(lang.t("audit.and"));
        let key = match e.action {
            Action::Update | Action::Reveal if !fields.is_empty() => {
                format!("audit.says.{}_fields", e.action.as_str())
            }
            _ => format!("audit.says.{}", e.action.as_str()),
        };
        let account = e.account.clone().unwrap_or_else(|| what.clone());
        let rows = e
            .detail
            .get("rows")
            .and_then(|n| n.as_i64())
            .map(|n| lang.number(n))
            .unwrap_or_default();
        let sentence = lang.tf(
            &key,
            &[
                ("who", &who),
                ("what", &what),
                ("fields", &fields),
                ("account", &account),
                ("rows", &rows),
            ],
        );
        match self.notes(e) {
            notes if notes.is_empty() => sentence,
            notes => format!("{sentence}{}", lang.tf("audit.notes", &[("notes", &notes)])),
        }
    }

    /// What else an event recorded, in words: an export of full (unmasked) numbers, the
    /// filters of an export, why a record was erased, a request's new status, duplicates
    /// found beyond the reader's scope, and any other value as recorded.
    fn notes(&self, e: &Event) -> String {
        let lang = self.ctx.lang;
        let Some(detail) = e.detail.as_object() else {
            return String::new();
        };
        let mut notes = Vec::new();
        for (key, value) in detail {
            let text = match (key.as_str(), value) {
                // Said in the sentence, or an id the record's link already stands for.
                ("fields" | "rows" | "child_id" | "activity_id" | "volunteer_id", _) => continue,
                ("full", serde_json::Value::Bool(true)) => lang.t("audit.note.full").to_owned(),
                ("full", _) => continue,
                ("filters", serde_json::Value::Object(f)) if !f.is_empty() => {
                    let names: Vec<String> = f.keys().map(|k| lang.field_label(k)).collect();
                    lang.tf(
                        "audit.note.filters",
                        &[("names", &names.join(lang.t("audit.and")))],
                    )
                }
                ("filters", _) => continue,
                ("possible_duplicates_outside_scope", n) => {
                    lang.tf("audit.note.duplicates", &[("n", &n.to_string())])
                }
                (_, serde_json::Value::String(v)) => format!(
                    "{}{}",
                    lang.field_label(key),
                    lang.tf("audit.note.is", &[("value", v)])
                ),
                (_, v) => format!(
                    "{}{}",
                    lang.field_label(key),
                    lang.tf("audit.note.is", &[("value", &v.to_string())])
                ),
            };
            notes.push(text);
        }
        notes.join(lang.t("audit.and"))
    }

    fn kinds(&self) -> &'static [&'static str] {
        KINDS
    }

    fn kind_label(&self, kind: &str) -> &'static str {
        self.ctx.t(&format!("audit.kind.{kind}"))
    }

    /// The page of the record an event is about, while it exists.
    fn record_link(&self, e: &Event) -> Option<String> {
        let id = e.entity_id?;
        e.record.as_ref()?;
        let path = match e.entity.as_str() {
            "child" => "children",
            "volunteer" => "volunteers",
            "station" => "stations",
            "activity" => "activities",
            "pairing" => "pairings",
            "data_request" => "requests",
            _ => return None,
        };
        Some(format!("/{path}/{id}"))
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
