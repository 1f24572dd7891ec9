//! The pairing record, with its contacts, and closing it.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::explain;
use crate::auth::{ClientIp, CurrentUser};
use crate::contacts::model::ContactMode;
use crate::contacts::model::{Contact, Topic};
use crate::pairings::check_in::{CheckIn, CheckInFlag, CheckInInput, CheckInWith};
use crate::pairings::follow_up::{
    self, Assignee,
    model::{FollowUp, FollowUpInput},
};
use crate::pairings::model::{CloseInput, ClosureDecidedBy, ClosureReason, Pairing, WaitingChild};
use crate::pairings::service;
use crate::pairings::survey::{self, SurveyForm, SurveyRespondent, Surveys};
use crate::web::AppState;
use crate::web::error::{AppError, FieldError, FieldErrors};
use crate::web::{Errors, PageContext, flash, parse_id, render};

#[derive(Template)]
#[template(path = "pairings/detail.html")]
pub(super) struct DetailPage {
    ctx: PageContext,
    p: Pairing,
    contacts: Vec<Contact>,
    /// Staff's check-ins on the pairing, the latest first, and the form to log one.
    check_ins: Vec<CheckIn>,
    pub(super) check_in: CheckInForm,
    /// Relationship surveys, the latest first, and the form to record the guardian's.
    surveys: Surveys,
    pub(super) survey: SurveyForm,
    /// Follow-ups on its contacts and check-ins, whom they may be assigned to, and a refused
    /// flag form as typed.
    follow_ups: Vec<FollowUp>,
    assignees: Vec<Assignee>,
    pub(super) follow_up: FlagForm,
    close: CloseForm,
    pub(super) errors: Errors,
    pub(super) message: Option<String>,
    /// Just after pairing: the child at the same station who has waited longest, to pair next.
    next_waiting: Option<WaitingChild>,
}

impl DetailPage {
    /// Whether the check-in form comes back refused (it then shows open).
    fn check_in_refused(&self) -> bool {
        self.errors.keys().any(|k| k.starts_with("check_in."))
    }

    /// Whether the survey form comes back refused (it then shows open).
    fn survey_refused(&self) -> bool {
        self.errors.keys().any(|k| k.starts_with("survey."))
    }

    /// The check-ins held with the guardian, which her survey may be recorded at.
    fn guardian_check_ins(&self) -> Vec<&CheckIn> {
        self.check_ins
            .iter()
            .filter(|c| c.with == CheckInWith::Guardian)
            .collect()
    }

    /// Whether the closing form comes back refused (not the check-in's, a survey's or a
    /// follow-up's).
    fn close_refused(&self) -> bool {
        !self.errors.is_empty()
            && !self.check_in_refused()
            && !self.survey_refused()
            && !self.errors.keys().any(|k| k.starts_with("follow_up."))
    }

    /// Whether the pairing runs (entries may be flagged for follow-up).
    fn running(&self) -> bool {
        self.p.status != crate::pairings::model::PairingStatus::Closed
    }

    /// The follow-ups on one contact or check-in.
    fn follow_ups_on(&self, entry: &Uuid) -> Vec<&FollowUp> {
        self.follow_ups
            .iter()
            .filter(|f| {
                f.contact_id.as_ref() == Some(entry) || f.check_in_id.as_ref() == Some(entry)
            })
            .collect()
    }

    /// Whether the flag form of this entry comes back refused (it then shows open, with what
    /// was typed and the ids its error summary links to).
    fn flag_refused(&self, entry: &Uuid) -> bool {
        self.follow_up.names(entry)
    }

    /// The id of a field of an entry's flag form: the refused one's are the error summary's
    /// anchors, the others' carry the entry.
    fn flag_id(&self, field: &str, entry: &Uuid) -> String {
        if self.flag_refused(entry) {
            format!("follow_up_{field}")
        } else {
            format!("follow_up_{field}_{entry}")
        }
    }

    /// An entry's flag form as typed when it was refused, else blank with a week to do it.
    fn flag_form(&self, entry: &Uuid) -> FlagForm {
        if self.flag_refused(entry) {
            self.follow_up.clone()
        } else {
            FlagForm::blank()
        }
    }

    fn reasons(&self) -> Vec<ClosureReason> {
        ClosureReason::by_hand().collect()
    }

    fn deciders(&self) -> &'static [ClosureDecidedBy] {
        ClosureDecidedBy::ALL
    }

    /// The closing form's answer to a yes-or-no question.
    fn answered(&self, name: &str) -> &str {
        match name {
            "closing_talk_child" => &self.close.closing_talk_child,
            "closing_talk_guardian" => &self.close.closing_talk_guardian,
            _ => "",
        }
    }

    fn reason_chosen(&self, r: &ClosureReason) -> bool {
        self.close.closure_reason == r.as_str()
    }

    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    /// When the next contact, home visit and staff check-in fall due under the standard.
    fn next_due(&self) -> String {
        let due = [
            ("pairing.contact_due_on", self.p.contact_due_on),
            ("pairing.home_visit_due_on", self.p.home_visit_due_on),
            ("pairing.check_in_due_on", self.p.check_in_due_on),
        ];
        let words = due.into_iter().filter_map(|(key, on)| {
            on.map(|on| {
                format!(
                    "{}{}{}",
                    self.ctx.t(key),
                    self.ctx.colon(),
                    self.ctx.date(&on)
                )
            })
        });
        self.ctx.lang.list(words)
    }

    fn topic_list(&self, topics: &[Topic]) -> String {
        self.ctx.labels(topics)
    }
}

/// The check-in form as posted (and as the pairing's page shows it).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct CheckInForm {
    pub with: String,
    pub mode: String,
    pub held_on: String,
    pub rating: String,
    pub note: String,
    pub flags: Vec<String>,
}

impl CheckInForm {
    pub(super) fn input(&self) -> CheckInInput {
        let some = |s: &str| Some(s.to_owned());
        CheckInInput {
            with: some(&self.with),
            mode: some(&self.mode),
            held_on: some(&self.held_on),
            // Not a number: refused as out of range.
            rating: match self.rating.trim() {
                "" => None,
                n => Some(n.parse().unwrap_or(0)),
            },
            note: some(&self.note),
            flags: self.flags.clone(),
        }
    }

    pub fn withs(&self) -> &'static [CheckInWith] {
        CheckInWith::ALL
    }

    pub fn modes(&self) -> &'static [ContactMode] {
        ContactMode::ALL
    }

    pub fn all_flags(&self) -> &'static [CheckInFlag] {
        CheckInFlag::ALL
    }

    pub fn flagged(&self, f: &CheckInFlag) -> bool {
        self.flags.iter().any(|x| x == f.as_str())
    }
}

/// The flag form as posted from an entry on the pairing's page (and as it comes back refused).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct FlagForm {
    pub contact_id: String,
    pub check_in_id: String,
    pub assignee_id: String,
    pub action: String,
    pub due_on: String,
}

impl FlagForm {
    /// A blank form: a week to do it.
    pub fn blank() -> FlagForm {
        FlagForm {
            due_on: (crate::domain::today() + time::Duration::days(7)).to_string(),
            ..FlagForm::default()
        }
    }

    /// Whether it was posted for this entry.
    pub fn names(&self, entry: &Uuid) -> bool {
        let id = entry.to_string();
        self.contact_id.trim() == id || self.check_in_id.trim() == id
    }

    pub(super) fn input(&self) -> FollowUpInput {
        let some = |s: &str| Some(s.to_owned());
        FollowUpInput {
            contact_id: some(&self.contact_id),
            check_in_id: some(&self.check_in_id),
            assignee_id: some(&self.assignee_id),
            action: some(&self.action),
            due_on: some(&self.due_on),
        }
    }
}

/// The closing form as posted.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct CloseForm {
    ended_on: String,
    closure_reason: String,
    closure_note: String,
    /// `yes` or `no`: whether a closing conversation was held with the child, and the guardian.
    closing_talk_child: String,
    closing_talk_guardian: String,
    closure_decided_by: String,
    /// `1` when the child is to be paired again first.
    re_pair: String,
    version: Option<i32>,
    /// The box that confirms the closing.
    confirm: String,
}

impl CloseForm {
    /// The page asks every question of a closing: what it leaves unanswered is refused.
    fn unanswered(&self) -> FieldErrors {
        let mut fields = FieldErrors::new();
        for (name, value) in [
            ("closing_talk_child", &self.closing_talk_child),
            ("closing_talk_guardian", &self.closing_talk_guardian),
            ("closure_decided_by", &self.closure_decided_by),
        ] {
            if value.trim().is_empty() {
                fields.insert(name.to_owned(), FieldError::new("error.required"));
            }
        }
        if self.confirm.is_empty() {
            fields.insert("confirm".to_owned(), FieldError::new("error.confirm_close"));
        }
        fields
    }

    fn input(&self) -> CloseInput {
        let yes = |v: &str| match v.trim() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        CloseInput {
            ended_on: Some(self.ended_on.clone()),
            closure_reason: Some(self.closure_reason.clone()),
            closure_note: Some(self.closure_note.clone()),
            closing_talk_child: yes(&self.closing_talk_child),
            closing_talk_guardian: yes(&self.closing_talk_guardian),
            closure_decided_by: Some(self.closure_decided_by.clone()),
            re_pair: Some(!self.re_pair.is_empty()),
            version: self.version,
        }
    }
}

pub(super) async fn detail_page(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    id: Uuid,
    (close, errors, message): (CloseForm, Errors, Option<String>),
) -> Result<DetailPage, AppError> {
    let (p, contacts) = service::record(&state.db, user, id, ctx.lang).await?;
    let check_ins = crate::pairings::check_in::of_pairing(&state.db, user, id).await?;
    let surveys = survey::of_pairing(&state.db, user, id).await?;
    let follow_ups = follow_up::of_pairing(&state.db, user, id).await?;
    let assignees = follow_up::assignees(&state.db, id).await?;
    let next_waiting = if ctx.flash.as_deref() == Some("flash.pairing_created") {
        let (mut next, _) = service::waiting(&state.db, user, Some(p.station_id), (1, 0)).await?;
        next.pop()
    } else {
        None
    };
    let close = CloseForm {
        ended_on: if close.ended_on.is_empty() {
            crate::domain::today().to_string()
        } else {
            close.ended_on
        },
        ..close
    };
    Ok(DetailPage {
        ctx,
        p,
        contacts,
        check_ins,
        check_in: Default::default(),
        surveys,
        survey: SurveyForm::for_respondent(SurveyRespondent::Guardian),
        follow_ups,
        assignees,
        follow_up: Default::default(),
        close,
        errors,
        message,
        next_waiting,
    })
}

/// `GET /pairings/{id}`: the pairing record.
pub async fn detail(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let page = detail_page(
        &state,
        ctx,
        &user,
        parse_id(&id)?,
        (CloseForm::default(), Errors::new(), None),
    )
    .await?;
    Ok(render(&page))
}

/// `POST /pairings/{id}/close`.
pub async fn close(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<CloseForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let unanswered = form.unanswered();
    let result = if unanswered.is_empty() {
        service::close(&state.db, &user, id, &form.input(), ip, ctx.lang)
            .await
            .map(|_| ())
    } else {
        Err(AppError::validation(unanswered))
    };
    match result {
        Ok(()) => {
            flash(&session, "flash.pairing_closed").await;
            Ok(Redirect::to(&format!("/pairings/{id}")).into_response())
        }
        Err(
            e @ (AppError::Unprocessable { .. }
            | AppError::Conflict { .. }
            | AppError::Stale { .. }),
        ) => {
            let status = e.status();
            let (errors, message) = explain(&ctx, &e);
            let page = detail_page(&state, ctx, &user, id, (form, errors, Some(message))).await?;
            Ok((status, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// `POST /pairings/{id}/close/confirm`: a second person confirms a safeguarding closure.
pub async fn confirm_close(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    settle(
        &state,
        ctx,
        session,
        &user,
        (id, service::Suspension::Confirm),
        ip,
    )
    .await
}

/// `POST /pairings/{id}/close/cancel`: the suspended pairing runs again.
pub async fn cancel_close(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    settle(
        &state,
        ctx,
        session,
        &user,
        (id, service::Suspension::Cancel),
        ip,
    )
    .await
}

async fn settle(
    state: &AppState,
    ctx: PageContext,
    session: Session,
    user: &CurrentUser,
    (id, what): (Uuid, service::Suspension),
    ip: Option<std::net::IpAddr>,
) -> Result<Response, AppError> {
    match service::settle_suspension(&state.db, user, id, what, ip, ctx.lang).await {
        Ok(_) => {
            let done = match what {
                service::Suspension::Confirm => "flash.closing_confirmed",
                service::Suspension::Cancel => "flash.closing_cancelled",
            };
            flash(&session, done).await;
            Ok(Redirect::to(&format!("/pairings/{id}")).into_response())
        }
        Err(e @ (AppError::Conflict { .. } | AppError::Forbidden(_))) => {
            let status = e.status();
            let message = ctx.t(&format!("error.{}", e.code())).to_owned();
            let page = detail_page(
                state,
                ctx,
                user,
                id,
                (CloseForm::default(), Errors::new(), Some(message)),
            )
            .await?;
            Ok((status, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}
