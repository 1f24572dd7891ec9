//! The printable forms and the public check of a certificate.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::{Date, Month};
use uuid::Uuid;

use super::model::{
    Certificate, ESTIMATED_SESSION_MINUTES, Hours, LedgerRow, LedgerTotals, PairingForm,
    RosterLine, mask_name,
};
use super::{certificate, read};
use crate::audit::{self, Action, Entry};
use crate::auth::{ClientIp, CurrentUser};
use crate::domain::{FieldError, FieldErrors};
use crate::pairings::standard::Standard;
use crate::stations::model::Station;
use crate::web::error::AppError;
use crate::web::{AppState, PageContext, Query, export, parse_id, render};

/// The most pairings one batch of forms prints.
const MAX_FORMS: usize = 100;

#[derive(Template)]
#[template(path = "paperwork/pairing_forms.html")]
struct PairingFormsPage {
    ctx: PageContext,
    forms: Vec<(PairingForm, Standard)>,
}

/// `GET /pairings/{id}/form`: a pairing's registration form, blank for signing.
pub async fn pairing_form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    running(&state, &user, id, &ctx).await?;
    forms_page(&state, ctx, &[id]).await
}

/// Query of a batch of forms.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FormsQuery {
    /// Pairing ids, comma-separated.
    pub ids: Option<String>,
}

/// `GET /pairings/forms?ids=…`: the forms of several pairings (a batch pairing's), one a page.
pub async fn pairing_forms(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(q): Query<FormsQuery>,
) -> Result<Response, AppError> {
    let refuse = |key: &'static str| {
        AppError::validation(FieldErrors::from([(
            "ids".to_owned(),
            FieldError::new(key),
        )]))
    };
    let mut ids = Vec::new();
    for text in q.ids.as_deref().unwrap_or("").split(',').map(str::trim) {
        if text.is_empty() {
            continue;
        }
        let id = Uuid::parse_str(text).map_err(|_| refuse("forms.ids_format"))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() || ids.len() > MAX_FORMS {
        return Err(refuse("forms.ids_count"));
    }
    for id in &ids {
        running(&state, &user, *id, &ctx).await?;
    }
    forms_page(&state, ctx, &ids).await
}

/// A pairing in the reader's scope that is still running (active or suspended): a form
/// prints the child's and guardian's details as they are now, which a closed pairing's — a
/// child since moved to another county — no longer are.
async fn running(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    ctx: &PageContext,
) -> Result<(), AppError> {
    let pairing = crate::pairings::service::find(&state.db, user, id, ctx.lang).await?;
    if pairing.status == crate::pairings::model::PairingStatus::Closed {
        return Err(AppError::NotFound);
    }
    Ok(())
}

async fn forms_page(
    state: &AppState,
    ctx: PageContext,
    ids: &[Uuid],
) -> Result<Response, AppError> {
    // A batch is one station's: its standard is looked up once per region, not per form.
    let mut standards: std::collections::HashMap<String, Standard> = Default::default();
    let mut forms = Vec::new();
    for form in read::pairing_forms(&state.db, ids).await? {
        let standard = match standards.get(&form.station_region_code) {
            Some(standard) => *standard,
            None => {
                let standard = crate::pairings::standard::of_region(
                    &state.db,
                    &form.station_region_code,
                    state.config.check_in_days,
                )
                .await?
                .standard;
                standards.insert(form.station_region_code.clone(), standard);
                standard
            }
        };
        forms.push((form, standard));
    }
    Ok(render(&PairingFormsPage { ctx, forms }))
}

/// Query of a ledger.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LedgerQuery {
    /// `YYYY-MM` (default: this month).
    pub month: Option<String>,
    /// `xlsx` for the spreadsheet.
    pub format: Option<String>,
}

/// The first and last day of `YYYY-MM`.
fn month_of(text: &str) -> Option<(Date, Date)> {
    let (y, m) = text.trim().split_once('-')?;
    let year: i32 = y.parse().ok().filter(|y| (2000..=2100).contains(y))?;
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let last =
        Date::from_calendar_date(year, month, time::util::days_in_month(month, year)).ok()?;
    Some((first, last))
}

#[derive(Template)]
#[template(path = "paperwork/ledger.html")]
struct LedgerPage {
    ctx: PageContext,
    station: Station,
    month: String,
    rows: Vec<LedgerRow>,
    totals: LedgerTotals,
}

impl LedgerPage {
    fn time_text(&self, row: &LedgerRow) -> String {
        time_text(row)
    }

    fn hosts(&self, row: &LedgerRow) -> String {
        self.ctx.lang.list(row.hosts.iter())
    }

    fn xlsx_link(&self) -> String {
        format!(
            "/stations/{}/ledger?month={}&format=xlsx&lang={}",
            self.station.id,
            self.month,
            self.ctx.lang.tag()
        )
    }
}

fn time_text(row: &LedgerRow) -> String {
    let hm = |t: time::Time| format!("{}:{:02}", t.hour(), t.minute());
    match (row.starts_at, row.ends_at) {
        (Some(s), Some(e)) => format!("{}–{}", hm(s), hm(e)),
        (Some(s), None) => hm(s),
        _ => String::new(),
    }
}

/// `GET /stations/{id}/ledger?month=YYYY-MM` (`format=xlsx`): a station's activity ledger.
pub async fn ledger(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    exporting: export::Export,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Query(q): Query<LedgerQuery>,
) -> Result<Response, AppError> {
    let station = crate::stations::service::get(&state.db, &user, parse_id(&id)?).await?;
    let today = crate::domain::today();
    let month = q
        .month
        .clone()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| format!("{}-{:02}", today.year(), today.month() as u8));
    let (from, to) = month_of(&month).ok_or_else(|| {
        AppError::validation(FieldErrors::from([(
            "month".to_owned(),
            FieldError::new("forms.month_format"),
        )]))
    })?;
    let xlsx = exporting.wanted(q.format.as_deref())?;
    let _running = xlsx.then(|| exporting.start()).transpose()?;
    let rows = read::ledger(&state.db, station.id, (from, to)).await?;
    let totals = LedgerTotals::of(&rows);
    if xlsx {
        let t = |k: &str| ctx.t(k);
        let headers = [
            t("ledger.date"),
            t("ledger.time"),
            t("ledger.kind"),
            t("ledger.title_col"),
            t("ledger.children"),
            t("ledger.volunteers"),
            t("ledger.guardians"),
            t("ledger.others"),
            t("ledger.person_visits"),
            t("ledger.hosts"),
        ];
        let mut lines: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.held_on.to_string(),
                    time_text(r),
                    t(r.kind.label_key()).to_owned(),
                    r.title.clone(),
                    r.children.to_string(),
                    r.volunteers.to_string(),
                    r.guardians.to_string(),
                    r.others.to_string(),
                    r.person_visits.to_string(),
                    ctx.lang.list(r.hosts.iter()),
                ]
            })
            .collect();
        lines.push(vec![
            t("ledger.total").to_owned(),
            String::new(),
            ctx.lang
                .tf("ledger.sessions", &[("n", &totals.sessions.to_string())]),
            String::new(),
            totals.children.to_string(),
            totals.volunteers.to_string(),
            totals.guardians.to_string(),
            totals.others.to_string(),
            totals.person_visits.to_string(),
            String::new(),
        ]);
        let bytes = export::xlsx(&month, &headers, &lines)?;
        audit::record(
            &state.db,
            Entry::by(&user, Action::Export, "station", Some(station.id), ip).with_detail(
                serde_json::json!({ "sheet": "ledger", "month": month, "rows": rows.len() }),
            ),
        )
        .await?;
        return Ok(export::download(&format!("ledger-{month}"), bytes));
    }
    Ok(render(&LedgerPage {
        ctx,
        station,
        month,
        rows,
        totals,
    }))
}

#[derive(Template)]
#[template(path = "paperwork/roster_sheet.html")]
struct RosterSheetPage {
    ctx: PageContext,
    station: Station,
    lines: Vec<RosterLine>,
    today: Date,
}

/// `GET /stations/{id}/roster-sheet`: the station's children, ID numbers masked.
pub async fn roster_sheet(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let station = crate::stations::service::get(&state.db, &user, parse_id(&id)?).await?;
    let lines = read::roster_sheet(&state.db, station.id)
        .await?
        .into_iter()
        .map(|(mut line, sealed)| {
            line.id_number = sealed.map(|s| {
                let id = state.cipher.decrypt(&s).unwrap_or_default();
                crate::domain::id_number::mask(&id)
            });
            line
        })
        .collect();
    Ok(render(&RosterSheetPage {
        ctx,
        station,
        lines,
        today: crate::domain::today(),
    }))
}

/// Query of a certificate.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CertificateQuery {
    /// The year certified (default: this year).
    pub year: Option<String>,
}

#[derive(Template)]
#[template(path = "paperwork/certificate.html")]
struct CertificatePage {
    ctx: PageContext,
    certificate: Certificate,
    verify_link: String,
    estimated_minutes: i32,
}

impl CertificatePage {
    fn hours(&self, minutes: i64) -> String {
        self.ctx.duration(&minutes)
    }

    fn session_hours(&self) -> String {
        self.hours(i64::from(self.certificate.hours.session_minutes))
    }

    fn contact_hours(&self) -> String {
        self.hours(i64::from(self.certificate.hours.contact_minutes))
    }

    fn estimated_hours(&self) -> String {
        self.hours(i64::from(self.estimated_minutes))
    }
}

/// `GET /volunteers/{id}/certificate?year=YYYY`: her service hours of a year, signed by her
/// station, with a code that `/verify/{code}` confirms.
pub async fn certificate(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<CertificateQuery>,
) -> Result<Response, AppError> {
    let row = crate::volunteers::service::find(&state.db, &user.scope, parse_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let volunteer = row.masked(&state.cipher);
    if read::erased(&state.db, volunteer.id).await? {
        return Err(AppError::NotFound);
    }
    let this_year = crate::domain::today().year();
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => this_year,
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=this_year).contains(y))
            .ok_or_else(|| {
                AppError::validation(FieldErrors::from([(
                    "year".to_owned(),
                    FieldError::new("forms.year_range"),
                )]))
            })?,
    };
    let hours: Hours = read::hours(&state.db, volunteer.id, year).await?;
    let (code, issued_at) = certificate::issue(
        &state.db,
        (volunteer.id, volunteer.station_id),
        year,
        hours,
        user.id,
    )
    .await?;
    let certificate = Certificate {
        code: code.clone(),
        volunteer_name: volunteer.name,
        station_name: volunteer.station_name,
        year,
        hours,
        issued_at,
    };
    let (base, _) = crate::web::public_address(&state.config, &headers);
    Ok(render(&CertificatePage {
        ctx,
        certificate,
        verify_link: format!("{base}/verify/{code}"),
        estimated_minutes: ESTIMATED_SESSION_MINUTES,
    }))
}

#[derive(Template)]
#[template(path = "paperwork/verify.html")]
struct VerifyPage {
    ctx: PageContext,
    code: String,
    found: Option<(String, Certificate)>,
}

impl VerifyPage {
    fn hours(&self, minutes: i64) -> String {
        self.ctx.duration(&minutes)
    }
}

/// `GET /verify/{code}` (public): whether a certificate with this code was issued, and what it
/// certified — her name masked, the hours, the year, the station; nothing else.
pub async fn verify(
    State(state): State<AppState>,
    ctx: PageContext,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let found = certificate::find(&state.db, &code).await?;
    let status = if found.is_some() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::NOT_FOUND
    };
    let page = VerifyPage {
        ctx,
        code: code
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(12)
            .collect(),
        found: found.map(|c| (mask_name(&c.volunteer_name), c)),
    };
    Ok((status, render(&page)).into_response())
}
