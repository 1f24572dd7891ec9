//! `/contact-standard`: the standard a region's pairings are held to, set by its county, city
//! or province staff, with the regions under it a click away.

use crate::web::Query;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use tower_sessions::Session;

use crate::auth::{ClientIp, CurrentUser};
use crate::pairings::standard::{self, RegionStandard, Source, StandardInput};
use crate::regions::model::{Region, RegionCode};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::{Errors, PageContext, flash, localise, render};

#[derive(Template)]
#[template(path = "pairings/standard.html")]
struct StandardPage {
    ctx: PageContext,
    /// The region, by its full name.
    name: String,
    current: RegionStandard,
    /// The figures in the form: as saved, or as typed and refused.
    form: StandardForm,
    /// The regions directly under it that may set their own (down to counties).
    below: Vec<Region>,
    /// The region whose standard it follows, by name.
    set_in_name: String,
    check_in_days: u16,
    errors: Errors,
}

impl StandardPage {
    /// Whether this region sets a standard of its own (a province, city or county).
    fn settable(&self) -> bool {
        matches!(self.current.region_code.len(), 2 | 4 | 6)
    }

    fn source_text(&self) -> String {
        match (self.current.source, &self.current.set_in) {
            (Source::Own, _) => self.ctx.t("standard.own").to_owned(),
            (Source::Inherited, Some(_)) => {
                self.ctx
                    .tf("standard.inherited", "region", self.set_in_name.as_str())
            }
            _ => self
                .ctx
                .tf("standard.default", "days", &self.check_in_days.to_string()),
        }
    }
}

/// The form as posted (and as the page fills it).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct StandardForm {
    region: String,
    contacts_per_month: String,
    home_visits_per_quarter: String,
    check_ins_per_month_first_quarter: String,
    check_ins_per_quarter: String,
    version: Option<i32>,
}

impl StandardForm {
    fn of(current: &RegionStandard) -> StandardForm {
        let s = current.standard;
        StandardForm {
            region: current.region_code.clone(),
            contacts_per_month: s.contacts_per_month.to_string(),
            home_visits_per_quarter: s.home_visits_per_quarter.to_string(),
            check_ins_per_month_first_quarter: s.check_ins_per_month_first_quarter.to_string(),
            check_ins_per_quarter: s.check_ins_per_quarter.to_string(),
            version: current.version,
        }
    }

    fn input(&self) -> StandardInput {
        // A figure that is not a whole number is refused as out of range.
        let n = |t: &str| match t.trim() {
            "" => None,
            t => Some(t.parse::<i64>().unwrap_or(-1)),
        };
        StandardInput {
            contacts_per_month: n(&self.contacts_per_month),
            home_visits_per_quarter: n(&self.home_visits_per_quarter),
            check_ins_per_month_first_quarter: n(&self.check_ins_per_month_first_quarter),
            check_ins_per_quarter: n(&self.check_ins_per_quarter),
            version: self.version,
        }
    }
}

/// `?region=` of the page (the reader's own region when absent).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StandardQuery {
    region: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    code: &str,
    form: Option<StandardForm>,
    errors: Errors,
) -> Result<StandardPage, AppError> {
    let current = standard::read(&state.db, user, code, state.config.check_in_days).await?;
    let region = RegionCode::parse(code).map_err(|_| AppError::NotFound)?;
    let above = crate::regions::service::ancestors(&state.db, &region).await?;
    let set_in_name = above
        .iter()
        .find(|r| Some(&r.code) == current.set_in.as_ref())
        .map(|r| r.name.clone())
        .unwrap_or_default();
    let mut names: Vec<String> = above.into_iter().map(|r| r.name).collect();
    if let Some(own) = crate::regions::service::find(&state.db, &region).await? {
        names.push(own.name);
    }
    let name = names.join(" / ");
    let below = if code.len() < 6 {
        crate::regions::service::children(&state.db, Some(&region), 200, 0)
            .await?
            .0
    } else {
        Vec::new()
    };
    Ok(StandardPage {
        ctx,
        name,
        form: form.unwrap_or_else(|| StandardForm::of(&current)),
        current,
        below,
        set_in_name,
        check_in_days: state.config.check_in_days,
        errors,
    })
}

/// `GET /contact-standard[?region=…]`.
pub async fn standard(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(q): Query<StandardQuery>,
) -> Result<Response, AppError> {
    let code = q
        .region
        .filter(|r| !r.trim().is_empty())
        .or_else(|| user.region_code.clone())
        .ok_or(AppError::NotFound)?;
    let page = page(&state, ctx, &user, code.trim(), None, Errors::new()).await?;
    Ok(render(&page))
}

/// `POST /contact-standard`: saves the region's own standard; a refused one comes back with
/// what was typed, a stale one with the standard as saved now.
pub async fn set_standard(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<StandardForm>,
) -> Result<Response, AppError> {
    let code = form.region.trim().to_owned();
    let saved = standard::set(
        &state.db,
        &user,
        &code,
        &form.input(),
        (state.config.check_in_days, ip),
    )
    .await;
    let (status, errors) = match saved {
        Ok(_) => {
            flash(&session, "flash.standard_saved").await;
            let to = format!("/contact-standard?region={}", crate::web::urlencode(&code));
            return Ok(Redirect::to(&to).into_response());
        }
        Err(AppError::Unprocessable { fields, .. }) if !fields.is_empty() => {
            (StatusCode::UNPROCESSABLE_ENTITY, localise(&ctx, &fields))
        }
        Err(AppError::Stale { .. }) => {
            let mut errors = Errors::new();
            errors.insert("version".into(), ctx.t("error.stale_version").to_owned());
            let page = page(&state, ctx, &user, &code, None, errors).await?;
            return Ok((StatusCode::CONFLICT, render(&page)).into_response());
        }
        Err(e) => return Err(e),
    };
    let page = page(&state, ctx, &user, &code, Some(form), errors).await?;
    Ok((status, render(&page)).into_response())
}
