//! `/roster` (coverage by township, the children to reach next, those registered but not on the
//! roster) and `/roster/import`.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::import::Outcome;
use super::model::{
    Coverage, Imported, MatchedBy, RosterChild, RosterImport, RosterStatus, Township, Unlisted,
};
use super::service;
use crate::auth::{ClientIp, CurrentUser};
use crate::imports::{RowError, Upload, read_form, read_off_the_workers, save_report};
use crate::regions::model::Region;
use crate::regions::service::Choice;
use crate::web::error::AppError;
use crate::web::paging::{ListView, PageRequest, Paging};
use crate::web::{AppState, PageContext, Query, percent, render};

/// Query of the roster page.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct OverviewQuery {
    /// The county whose roster is shown.
    pub county: Option<String>,
    /// The list: a status, `unlisted` (registered, not on the roster) or `all`; by default
    /// the children not registered.
    pub view: Option<String>,
    /// Only this township or village.
    pub place: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

/// What the list under the figures shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Status(RosterStatus),
    All,
    Unlisted,
}

impl View {
    fn parse(text: Option<&str>) -> Option<View> {
        match text.map(str::trim).unwrap_or("") {
            "" => Some(View::Status(RosterStatus::NotRegistered)),
            "all" => Some(View::All),
            "unlisted" => Some(View::Unlisted),
            other => RosterStatus::parse(other).map(View::Status),
        }
    }

    /// The word in the query string.
    pub fn word(self) -> &'static str {
        match self {
            View::Status(s) => s.as_str(),
            View::All => "all",
            View::Unlisted => "unlisted",
        }
    }

    /// Message key of its tab.
    pub fn label_key(self) -> &'static str {
        match self {
            View::Status(s) => s.label_key(),
            View::All => "roster.view.all",
            View::Unlisted => "roster.view.unlisted",
        }
    }
}

#[derive(Template)]
#[template(path = "roster/overview.html")]
struct OverviewPage {
    ctx: PageContext,
    /// The rosters in the user's region.
    imports: Vec<RosterImport>,
    /// The county shown, with its roster (none imported yet: `None`).
    county: Option<Region>,
    roster: Option<RosterImport>,
    total: Coverage,
    townships: Vec<Township>,
    view: View,
    place: String,
    children: Vec<RosterChild>,
    unlisted: Vec<Unlisted>,
    rows: i64,
    paging: PageRequest,
}

impl OverviewPage {
    fn views(&self) -> [View; 5] {
        [
            View::Status(RosterStatus::NotRegistered),
            View::Status(RosterStatus::RegisteredWaiting),
            View::Status(RosterStatus::Paired),
            View::All,
            View::Unlisted,
        ]
    }

    fn county_code(&self) -> &str {
        self.county.as_ref().map_or("", |c| c.code.as_str())
    }

    fn view_link(&self, view: &View) -> String {
        crate::web::paging::page_link(
            Self::PATH,
            &[("county", self.county_code()), ("view", view.word())],
            1,
        )
    }

    fn place_link(&self, code: &str) -> String {
        crate::web::paging::page_link(
            Self::PATH,
            &[
                ("county", self.county_code()),
                ("view", self.view.word()),
                ("place", code),
            ],
            1,
        )
    }

    fn registered_share(&self, c: &Coverage) -> String {
        percent(c.registered_share())
    }

    fn paired_share(&self, c: &Coverage) -> String {
        percent(c.paired_share())
    }

    fn not_registered(&self) -> String {
        self.ctx.num(&self.total.not_registered())
    }

    fn is_view(&self, view: &View) -> bool {
        self.view == *view
    }
}

impl ListView for OverviewPage {
    const PATH: &'static str = "/roster";

    fn filters(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("county", self.county_code()),
            ("view", self.view.word()),
            ("place", self.place.as_str()),
        ]
    }

    fn shown(&self) -> (&PageRequest, i64) {
        (&self.paging, self.rows)
    }
}

/// `GET /roster`.
pub async fn overview(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(query): Query<OverviewQuery>,
) -> Result<Response, AppError> {
    let imports = service::imports(&state.db, &user).await?;
    let view =
        View::parse(query.view.as_deref()).unwrap_or(View::Status(RosterStatus::NotRegistered));
    let paging = query.paging.checked()?;
    let asked = query.county.as_deref().filter(|c| !c.trim().is_empty());
    let own_county = user.region_code.as_deref().is_some_and(|r| r.len() >= 6);
    let county = if asked.is_some() || own_county {
        Some(service::county(&state.db, &user, asked).await?)
    } else if imports.len() == 1 {
        Some(service::county(&state.db, &user, Some(&imports[0].county_code)).await?)
    } else {
        None
    };
    let mut page = OverviewPage {
        ctx,
        imports,
        county: None,
        roster: None,
        total: Coverage::default(),
        townships: Vec::new(),
        view,
        place: String::new(),
        children: Vec::new(),
        unlisted: Vec::new(),
        rows: 0,
        paging,
    };
    if let Some(county) = county {
        page.roster = page
            .imports
            .iter()
            .find(|i| i.county_code == county.code)
            .cloned();
        page.place = query
            .place
            .as_deref()
            .map(str::trim)
            .filter(|p| p.starts_with(&county.code) && p.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or(&county.code)
            .to_owned();
        if page.roster.is_some() {
            page.total = service::coverage(&state.db, &county.code)
                .await?
                .unwrap_or_default();
            page.townships = service::townships(&state.db, &county.code).await?;
        }
        let limits = (page.paging.limit(), page.paging.offset());
        match view {
            View::Unlisted => {
                let (items, rows) =
                    service::unlisted(&state.db, &user, &county.code, limits).await?;
                page.unlisted = items;
                page.rows = rows;
            }
            View::All | View::Status(_) => {
                let status = match view {
                    View::Status(s) => Some(s),
                    _ => None,
                };
                let (items, rows) =
                    service::list(&state.db, &state.cipher, &user, &page.place, status, limits)
                        .await?;
                page.children = items;
                page.rows = rows;
            }
        }
        page.county = Some(county);
    }
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "roster/import.html")]
struct ImportPage {
    ctx: PageContext,
    /// Counties to choose from (none when the user works in one).
    counties: Vec<Choice>,
    county: String,
    imported: Option<Imported>,
    problem: Option<String>,
    errors: Vec<RowError>,
    unknown_columns: Vec<String>,
    report: Option<Uuid>,
}

impl ImportPage {
    fn columns(&self) -> String {
        let en = self.ctx.lang == crate::i18n::Lang::En;
        self.ctx.lang.list(
            super::model::COLUMNS
                .iter()
                .filter(|(field, ..)| !matches!(*field, "township" | "village"))
                .map(|(_, zh, e, required)| {
                    let name = if en { *e } else { *zh };
                    if *required {
                        format!("{name}*")
                    } else {
                        name.to_owned()
                    }
                }),
        )
    }
}

async fn import_page(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    county: String,
) -> Result<ImportPage, AppError> {
    let own = user.region_code.as_deref().unwrap_or("");
    let counties = if own.len() >= 6 {
        Vec::new()
    } else {
        crate::regions::service::counties_in(&state.db, own).await?
    };
    Ok(ImportPage {
        ctx,
        counties,
        county,
        imported: None,
        problem: None,
        errors: Vec::new(),
        unknown_columns: Vec::new(),
        report: None,
    })
}

/// Query of the import page.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ImportQuery {
    pub county: Option<String>,
}

/// `GET /roster/import`.
pub async fn import_form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(query): Query<ImportQuery>,
) -> Result<Response, AppError> {
    let county = query.county.unwrap_or_default();
    Ok(render(&import_page(&state, ctx, &user, county).await?))
}

/// `POST /roster/import`: the file checked and imported, or the page again with the problems.
pub async fn import(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let form = read_form(&mut multipart).await?;
    let asked = form.fields.get("county").cloned().unwrap_or_default();
    let lang = ctx.lang;
    let mut page = import_page(&state, ctx, &user, asked.clone()).await?;
    let refuse = |mut page: ImportPage, problem: String| {
        page.problem = Some(problem);
        Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
    };
    let county = match service::county(
        &state.db,
        &user,
        Some(asked.as_str()).filter(|a| !a.is_empty()),
    )
    .await
    {
        Ok(county) => county,
        Err(AppError::Unprocessable { fields, .. }) => {
            let message = fields
                .values()
                .next()
                .map(|e| e.message(lang))
                .unwrap_or_default();
            return refuse(page, message);
        }
        Err(e) => return Err(e),
    };
    let bytes = match form.file {
        Upload::Missing => return refuse(page, lang.t("import.no_file").to_owned()),
        Upload::TooLarge => {
            return refuse(page, crate::web::sheet::SheetError::TooLarge.message(lang));
        }
        Upload::File(bytes) => bytes,
    };
    let rows = match read_off_the_workers(bytes).await? {
        Ok(rows) => rows,
        Err(e) => return refuse(page, e.message(lang)),
    };
    let outcome = service::import(
        &state.db,
        &state.cipher,
        &user,
        &county,
        &rows,
        form.file_name.as_deref(),
        lang,
        ip,
    )
    .await?;
    page.county = county.code.clone();
    match outcome {
        Outcome::Imported(done) => {
            page.unknown_columns = done.unknown_columns.clone();
            page.imported = Some(done);
            Ok(render(&page))
        }
        Outcome::Refused {
            errors,
            unknown_columns,
        } => {
            page.report = Some(save_report(&state.db, &user, "roster", &errors).await?);
            page.errors = errors;
            page.unknown_columns = unknown_columns;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
    }
}
