//! The child's pages: the list, registration (with the guardian's consent for a child under
//! 14), the child's page with guardians, consent records and pairing history, editing and
//! exit.

use std::net::IpAddr;

use crate::web::Query;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::auth::{ClientIp, CurrentUser};
use crate::children::api::ListQuery;
use crate::children::model::{
    Category, ChildInput, ChildOrder, ChildStatus, ConsentInput, ConsentMethod, Difficulty,
    ExitReason, GuardianInput, ListedChild, LivingWith, Need, ParentsStatus, Relation,
};
use crate::children::read;
use crate::children::service::{self, ChildDetail};
use crate::domain::pairing::PairingLine;
use crate::regions::Picker;
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::paging::{Exported, ListView, PageRequest, SortChoice};
use crate::web::{Errors, PageContext, flash, localise, parse_id, render};

#[derive(Template)]
#[template(path = "children/list.html")]
struct ListPage {
    ctx: PageContext,
    children: Vec<ListedChild>,
    total: i64,
    paging: PageRequest,
    query: ListQuery,
    /// The station the list is filtered by.
    filtered_station: Option<(Uuid, String)>,
}

impl ListPage {
    fn statuses(&self) -> &'static [ChildStatus] {
        ChildStatus::ALL
    }

    fn categories(&self) -> &'static [Category] {
        Category::ALL
    }

    fn sorts(&self) -> Vec<SortChoice> {
        ChildOrder::choices(&self.query.sort)
    }
}

impl Exported for ListPage {
    const API: &'static str = "/api/v1/children";
}

impl ListView for ListPage {
    const PATH: &'static str = "/children";

    fn filters(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("q", self.value(&self.query.q)),
            ("status", self.value(&self.query.status)),
            ("category", self.value(&self.query.category)),
            ("station_id", self.value(&self.query.station_id)),
            ("sort", self.value(&self.query.sort)),
        ]
    }

    fn shown(&self) -> (&PageRequest, i64) {
        (&self.paging, self.total)
    }
}

/// `GET /children`.
pub async fn list(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let (filter, paging) = query.checked()?;
    let filtered_station =
        crate::stations::service::filtered_by(&state.db, &user.scope, filter.station_id).await?;
    let (children, total) = service::list(
        &state.db,
        &user.scope,
        &filter,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    Ok(render(&ListPage {
        ctx,
        children,
        total,
        paging,
        query,
        filtered_station,
    }))
}

/// The child form as posted (checkbox groups repeat their name).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ChildForm {
    name: String,
    gender: String,
    birth_date: String,
    id_number: String,
    category: String,
    difficulty_types: Vec<String>,
    region_code: String,
    station_id: String,
    school: String,
    grade: String,
    living_with: String,
    parents_status: String,
    needs: Vec<String>,
    status: String,
    exit_reason: String,
    exited_on: String,
    version: Option<i32>,
    guardian_name: String,
    guardian_relation: String,
    guardian_phone: String,
    guardian_share: Option<String>,
    consent_given_on: String,
    consent_method: String,
    confirm_duplicate: Option<String>,
}

impl ChildForm {
    fn input(&self, creating: bool) -> ChildInput {
        let some = |s: &str| Some(s.to_owned());
        let guardian_given =
            !self.guardian_name.trim().is_empty() || !self.guardian_relation.is_empty();
        let consent_given =
            !self.consent_given_on.trim().is_empty() || !self.consent_method.is_empty();
        ChildInput {
            name: some(&self.name),
            gender: some(&self.gender),
            birth_date: some(&self.birth_date),
            id_number: some(&self.id_number),
            category: some(&self.category),
            difficulty_types: Some(self.difficulty_types.clone()),
            region_code: some(&self.region_code),
            station_id: some(&self.station_id),
            school: some(&self.school),
            grade: some(&self.grade),
            living_with: some(&self.living_with),
            parents_status: some(&self.parents_status),
            needs: Some(self.needs.clone()),
            status: Some(self.status.clone()).filter(|s| !s.is_empty()),
            exit_reason: some(&self.exit_reason),
            exited_on: some(&self.exited_on),
            guardian: (creating && guardian_given).then(|| GuardianInput {
                name: some(&self.guardian_name),
                relation: some(&self.guardian_relation),
                phone: some(&self.guardian_phone),
                share_contact_with_volunteer: self.guardian_share.is_some(),
            }),
            consent: (creating && consent_given).then(|| ConsentInput {
                guardian_id: None,
                scope: Some("registration".into()),
                given_on: some(&self.consent_given_on),
                method: some(&self.consent_method),
            }),
            confirm_duplicate: self.confirm_duplicate.is_some(),
            version: self.version,
        }
    }

    fn from_child(d: &ChildDetail) -> ChildForm {
        let c = &d.child;
        ChildForm {
            name: c.name.clone(),
            gender: c.gender.as_str().to_owned(),
            birth_date: c.birth_date.to_string(),
            category: c.category.as_str().to_owned(),
            difficulty_types: c
                .difficulty_types
                .iter()
                .map(|x| x.as_str().to_owned())
                .collect(),
            region_code: c.region_code.clone(),
            station_id: c.station_id.to_string(),
            school: c.school.clone().unwrap_or_default(),
            grade: c.grade.clone().unwrap_or_default(),
            living_with: c
                .living_with
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
            parents_status: c
                .parents_status
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
            needs: c.needs.iter().map(|x| x.as_str().to_owned()).collect(),
            status: c.status.as_str().to_owned(),
            version: Some(c.version),
            ..Default::default()
        }
    }
}

#[derive(Template)]
#[template(path = "children/form.html")]
struct FormPage {
    ctx: PageContext,
    child: Option<ChildDetail>,
    form: ChildForm,
    errors: Errors,
    stale: bool,
    duplicate: bool,
    picker: Picker,
    stations: Vec<(Uuid, String)>,
}

impl FormPage {
    fn picker_action(&self) -> String {
        match &self.child {
            Some(c) => format!("/children/{}/edit", c.child.id),
            None => "/children/new".to_owned(),
        }
    }

    fn action(&self) -> String {
        match &self.child {
            Some(c) => format!("/children/{}/edit", c.child.id),
            None => "/children".to_owned(),
        }
    }

    fn categories(&self) -> &'static [Category] {
        Category::ALL
    }
    fn difficulties(&self) -> &'static [Difficulty] {
        Difficulty::ALL
    }
    fn needs(&self) -> &'static [Need] {
        Need::ALL
    }
    fn living(&self) -> &'static [LivingWith] {
        LivingWith::ALL
    }
    fn parents(&self) -> &'static [ParentsStatus] {
        ParentsStatus::ALL
    }
    fn relations(&self) -> &'static [Relation] {
        Relation::ALL
    }
    fn methods(&self) -> &'static [ConsentMethod] {
        ConsentMethod::ALL
    }
    fn exit_reasons(&self) -> &'static [ExitReason] {
        ExitReason::ALL
    }
    fn has_difficulty(&self, d: &Difficulty) -> bool {
        self.form.difficulty_types.iter().any(|x| x == d.as_str())
    }
    fn has_need(&self, n: &Need) -> bool {
        self.form.needs.iter().any(|x| x == n.as_str())
    }
    fn station_selected(&self, id: &Uuid) -> bool {
        self.form.station_id == id.to_string()
    }
    fn err(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

/// `?county=` of the form pages.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CountyQuery {
    county: Option<String>,
    /// A child of the civil-affairs roster to register: her values fill the form.
    roster: Option<String>,
}

async fn form_page(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    child: Option<ChildDetail>,
    (form, errors, stale, duplicate): (ChildForm, Errors, bool, bool),
    asked: Option<String>,
) -> Result<FormPage, AppError> {
    let region = match &user.region_code {
        Some(r) => r.clone(),
        None => user
            .audit_region
            .clone()
            .unwrap_or_default()
            .chars()
            .take(6)
            .collect(),
    };
    let picker = Picker::load(&state.db, &region, asked.as_deref(), &form.region_code).await?;
    let stations = crate::stations::service::choices(&state.db, &user.scope).await?;
    Ok(FormPage {
        ctx,
        child,
        form,
        errors,
        stale,
        duplicate,
        picker,
        stations,
    })
}

/// `GET /children/new`.
pub async fn new_form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Query(q): Query<CountyQuery>,
) -> Result<Response, AppError> {
    let form = match q.roster.as_deref() {
        None | Some("") => ChildForm {
            category: "left_behind".into(),
            ..Default::default()
        },
        Some(id) => {
            let from =
                crate::roster::service::prefill(&state.db, &state.cipher, &user, parse_id(id)?, ip)
                    .await?;
            ChildForm {
                name: from.name,
                gender: from
                    .gender
                    .map(|g| g.as_str().to_owned())
                    .unwrap_or_default(),
                birth_date: from.birth_date.to_string(),
                id_number: from.id_number.unwrap_or_default(),
                category: from.category.as_str().to_owned(),
                region_code: from.region_code,
                guardian_name: from.guardian_name.unwrap_or_default(),
                guardian_phone: from.guardian_phone.unwrap_or_default(),
                ..Default::default()
            }
        }
    };
    Ok(render(
        &form_page(
            &state,
            ctx,
            &user,
            None,
            (form, Errors::new(), false, false),
            q.county,
        )
        .await?,
    ))
}

/// `POST /children`.
pub async fn create(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<ChildForm>,
) -> Result<Response, AppError> {
    match service::create(&state.db, &state.cipher, &user, &form.input(true), ip).await {
        Ok(child) => {
            flash(&session, "flash.child_created").await;
            Ok(Redirect::to(&format!("/children/{}", child.child.id)).into_response())
        }
        Err(AppError::Unprocessable { fields, .. } | AppError::Conflict { fields, .. })
            if !fields.is_empty() =>
        {
            let duplicate = fields
                .get("name")
                .is_some_and(|e| e.key == "error.possible_duplicate");
            let errors = localise(&ctx, &fields);
            let page = form_page(
                &state,
                ctx,
                &user,
                None,
                (form, errors, false, duplicate),
                None,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// The child's page: her record, guardians and consents, and her pairing history.
#[derive(Template)]
#[template(path = "children/detail.html")]
pub(super) struct DetailPage {
    ctx: PageContext,
    d: ChildDetail,
    pairings: Vec<PairingLine>,
    revealed_id: Option<String>,
    revealed_phone: Option<(Uuid, String)>,
    errors: Errors,
    /// Stations she may be transferred to, for those who may transfer her (else empty).
    transfer_to: Vec<(Uuid, String)>,
}

impl DetailPage {
    fn relations(&self) -> &'static [Relation] {
        Relation::ALL
    }
    fn methods(&self) -> &'static [ConsentMethod] {
        ConsentMethod::ALL
    }
    fn revealed_for(&self, guardian: &Uuid) -> Option<&String> {
        self.revealed_phone
            .as_ref()
            .filter(|(g, _)| g == guardian)
            .map(|(_, p)| p)
    }
    fn difficulty_list(&self) -> String {
        self.ctx.labels(&self.d.child.difficulty_types)
    }
    fn need_list(&self) -> String {
        self.ctx.labels(&self.d.child.needs)
    }
}

/// The page of a child in scope, showing `errors` (of a refused guardian or consent); the
/// view is audited.
pub(super) async fn detail_page(
    state: &AppState,
    ctx: PageContext,
    (user, ip): (&CurrentUser, Option<IpAddr>),
    id: Uuid,
    errors: Errors,
) -> Result<DetailPage, AppError> {
    let d = service::view(&state.db, &state.cipher, user, id, ip).await?;
    let pairings = read::pairing_history(&state.db, &user.scope, id).await?;
    let mut transfer_to = Vec::new();
    if ctx.may_post("/children/{id}/transfer") {
        transfer_to = crate::stations::service::choices(&state.db, &user.scope).await?;
        transfer_to.retain(|(s, _)| *s != d.child.station_id);
    }
    Ok(DetailPage {
        ctx,
        d,
        pairings,
        revealed_id: None,
        revealed_phone: None,
        errors,
        transfer_to,
    })
}

/// `GET /children/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    Ok(render(
        &detail_page(&state, ctx, (&user, ip), parse_id(&id)?, Errors::new()).await?,
    ))
}

/// `GET /children/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<CountyQuery>,
) -> Result<Response, AppError> {
    let d = service::detail(&state.db, &state.cipher, &user, parse_id(&id)?).await?;
    let form = ChildForm::from_child(&d);
    Ok(render(
        &form_page(
            &state,
            ctx,
            &user,
            Some(d),
            (form, Errors::new(), false, false),
            q.county,
        )
        .await?,
    ))
}

/// `POST /children/{id}/edit` (also records an exit).
pub async fn update(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<ChildForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let (status, errors, stale) =
        match service::update(&state.db, &state.cipher, &user, id, form.input(false), ip).await {
            Ok(_) => {
                flash(&session, "flash.child_saved").await;
                return Ok(Redirect::to(&format!("/children/{id}")).into_response());
            }
            Err(AppError::Unprocessable { fields, .. } | AppError::Conflict { fields, .. })
                if !fields.is_empty() =>
            {
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    localise(&ctx, &fields),
                    false,
                )
            }
            Err(AppError::Stale { .. }) => (StatusCode::CONFLICT, Errors::new(), true),
            Err(e) => return Err(e),
        };
    let d = service::detail(&state.db, &state.cipher, &user, id).await?;
    let mut form = form;
    if stale {
        form.version = Some(d.child.version);
    }
    let page = form_page(
        &state,
        ctx,
        &user,
        Some(d),
        (form, errors, stale, false),
        None,
    )
    .await?;
    Ok((status, render(&page)).into_response())
}

/// The reveal form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RevealForm {
    field: String,
    guardian_id: Option<String>,
}

/// `POST /children/{id}/reveal`: the page with one full value (audited).
pub async fn reveal(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<RevealForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let value = service::reveal(
        &state.db,
        &state.cipher,
        &user,
        id,
        &form.field,
        form.guardian_id.as_deref(),
        ip,
    )
    .await?;
    let mut page = detail_page(&state, ctx, (&user, ip), id, Errors::new()).await?;
    match (form.field.as_str(), value) {
        ("id_number", v) => page.revealed_id = v,
        (_, Some(phone)) => {
            let gid = form
                .guardian_id
                .as_deref()
                .and_then(|g| Uuid::parse_str(g).ok())
                .unwrap_or_default();
            page.revealed_phone = Some((gid, phone));
        }
        _ => {}
    }
    Ok(render(&page))
}
