//! The audit trail: who logged in, changed, exported or revealed what, and when. Append-only
//! (the database refuses edits); a detail names fields, never their values.

mod store;

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use store::{Event, Filter, list};

/// Who did something: an account, and the region its actions are filed under so that the
/// admins of that subtree see them.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The account.
    pub id: Uuid,
    /// The region the account's actions are filed under.
    pub region_code: Option<String>,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "audit_action", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A successful login.
    Login,
    /// A failed login (unknown account, wrong password, disabled account, throttled).
    LoginFailed,
    /// A logout.
    Logout,
    /// A record was viewed.
    View,
    /// A full ID number or phone number was shown.
    Reveal,
    /// A record was created.
    Create,
    /// A record was changed.
    Update,
    /// A record was removed.
    Delete,
    /// A list was exported.
    Export,
}

impl Action {
    /// Every action, for the filter.
    pub const ALL: [Action; 9] = [
        Action::Login,
        Action::LoginFailed,
        Action::Logout,
        Action::View,
        Action::Reveal,
        Action::Create,
        Action::Update,
        Action::Delete,
        Action::Export,
    ];

    /// The API word.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::LoginFailed => "login_failed",
            Action::Logout => "logout",
            Action::View => "view",
            Action::Reveal => "reveal",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Export => "export",
        }
    }

    /// Parses the API word.
    pub fn parse(text: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// Message key of the action's name.
    pub fn label_key(self) -> &'static str {
        match self {
            Action::Login => "audit.action.login",
            Action::LoginFailed => "audit.action.login_failed",
            Action::Logout => "audit.action.logout",
            Action::View => "audit.action.view",
            Action::Reveal => "audit.action.reveal",
            Action::Create => "audit.action.create",
            Action::Update => "audit.action.update",
            Action::Delete => "audit.action.delete",
            Action::Export => "audit.action.export",
        }
    }
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Who did it (none for a failed login: that names the account tried, if it exists, as
    /// its record).
    pub actor_id: Option<Uuid>,
    /// The actor's region, so the admins of that subtree see it (the database adds the
    /// region of the record `entity_id` names).
    pub region_code: Option<String>,
    /// What happened.
    pub action: Action,
    /// The kind of record (`session`, `user`, `child`, …).
    pub entity: &'static str,
    /// The record.
    pub entity_id: Option<Uuid>,
    /// The client's address.
    pub ip: Option<IpAddr>,
    /// Field names and the like; never a value of personal data.
    pub detail: serde_json::Value,
}

impl Entry {
    /// An event by `actor`.
    pub fn by(
        actor: impl Into<Actor>,
        action: Action,
        entity: &'static str,
        entity_id: Option<Uuid>,
        ip: Option<IpAddr>,
    ) -> Entry {
        let actor = actor.into();
        Entry {
            actor_id: Some(actor.id),
            region_code: actor.region_code,
            action,
            entity,
            entity_id,
            ip,
            detail: serde_json::json!({}),
        }
    }

    /// An event of the service's own (the daily retention run): no actor, filed under the
    /// record's region only.
    pub fn system(action: Action, entity: &'static str, entity_id: Option<Uuid>) -> Entry {
        Entry {
            actor_id: None,
            region_code: None,
            action,
            entity,
            entity_id,
            ip: None,
            detail: serde_json::json!({}),
        }
    }

    /// Adds detail.
    pub fn with_detail(mut self, detail: serde_json::Value) -> Entry {
        self.detail = detail;
        self
    }
}

/// Appends an event. It is filed under the actor's region and, by the database, under the
/// region of the record it names (`audit_record_region`), so the admins of either see it.
pub async fn record<'e>(db: impl sqlx::PgExecutor<'e>, entry: Entry) -> sqlx::Result<()> {
    store::insert(db, &entry).await
}

/// A user opens one record's page or asks for it once an hour at most, as far as the trail is
/// concerned: a view is recorded unless the same user's view of the same record was.
pub const VIEW_EVERY: time::Duration = time::Duration::hours(1);

/// Records that `actor` opened record `id` of kind `entity` (at most one event per user,
/// record and [`VIEW_EVERY`]). Returns whether an event was written.
pub async fn viewed(
    db: &sqlx::PgPool,
    actor: impl Into<Actor>,
    entity: &'static str,
    id: Uuid,
    ip: Option<IpAddr>,
) -> sqlx::Result<bool> {
    let entry = Entry::by(actor, Action::View, entity, Some(id), ip);
    store::insert_view(db, &entry, VIEW_EVERY).await
}
