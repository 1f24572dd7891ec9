//! `/stations/{id}/poster` (printable, A4) and the public `/apply/{station_id}`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::Form;

use super::service::{self, ApplyForm};
use crate::auth::{ClientIp, CurrentUser};
use crate::stations::model::Station;
use crate::volunteers::application::AVAILABLE;
use crate::web::error::AppError;
use crate::web::{AppState, Errors, PageContext, localise, parse_id, render};

#[derive(Template)]
#[template(path = "recruitment/poster.html")]
struct PosterPage {
    ctx: PageContext,
    station: Station,
    link: String,
    qr: String,
    configured: bool,
}

impl PosterPage {
    /// The open days and hours (周三 14:00–17:00、周六 9:00–11:30).
    fn schedule(&self) -> String {
        self.ctx.lang.list(self.station.schedule.iter().map(|slot| {
            let day = self.ctx.t(&format!("weekday.{}", slot.weekday.clamp(1, 7)));
            format!("{day} {}–{}", slot.opens, slot.closes)
        }))
    }
}

/// `GET /stations/{id}/poster`: the station's recruitment poster.
pub async fn poster(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let station = crate::stations::service::get(&state.db, &user, parse_id(&id)?).await?;
    let (base, configured) = crate::web::public_address(&state.config, &headers);
    let link = format!("{base}/apply/{}", station.id);
    let qr = super::qr::svg(&link, 240);
    Ok(render(&PosterPage {
        ctx,
        station,
        link,
        qr,
        configured,
    }))
}

#[derive(Template)]
#[template(path = "recruitment/apply.html")]
struct ApplyPage {
    ctx: PageContext,
    station: Station,
    townships: Vec<(String, String)>,
    form: ApplyForm,
    errors: Errors,
}

impl ApplyPage {
    fn skills(&self) -> Vec<(&'static str, &'static str, bool)> {
        crate::domain::skill::keys()
            .map(|key| {
                let label = self.ctx.t(&format!("skill.{key}"));
                (key, label, self.form.skills.iter().any(|s| s == key))
            })
            .collect()
    }

    fn times(&self) -> Vec<(&'static str, &'static str, bool)> {
        AVAILABLE
            .iter()
            .map(|w| {
                let label = self.ctx.t(&format!("apply.available.{w}"));
                (*w, label, self.form.available.iter().any(|a| a == w))
            })
            .collect()
    }

    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

#[derive(Template)]
#[template(path = "recruitment/applied.html")]
struct AppliedPage {
    ctx: PageContext,
    station: Station,
}

#[derive(Template)]
#[template(path = "recruitment/slow_down.html")]
struct SlowDownPage {
    ctx: PageContext,
    minutes: i64,
}

/// `GET /apply/{station_id}`: the public application form.
pub async fn form(
    State(state): State<AppState>,
    ctx: PageContext,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let station = service::station(&state.db, parse_id(&id)?).await?;
    let townships = service::townships(&state.db, &station).await?;
    // Her township defaults to the station's own.
    let form = ApplyForm {
        region_code: station.region_code[..9.min(station.region_code.len())].to_owned(),
        ..Default::default()
    };
    Ok(render(&ApplyPage {
        ctx,
        station,
        townships,
        form,
        errors: Errors::new(),
    }))
}

/// `POST /apply/{station_id}`: the application, or the form again with what is wrong. Whether
/// her number was known or not, she sees the same page.
pub async fn apply(
    State(state): State<AppState>,
    ctx: PageContext,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<ApplyForm>,
) -> Result<Response, AppError> {
    let station = service::station(&state.db, parse_id(&id)?).await?;
    if !service::admit(&state.db, ip).await? {
        let page = SlowDownPage {
            ctx,
            minutes: service::WINDOW_MINUTES,
        };
        let mut response = (StatusCode::TOO_MANY_REQUESTS, render(&page)).into_response();
        let wait = (service::WINDOW_MINUTES * 60).to_string();
        if let Ok(value) = wait.parse() {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return Ok(response);
    }
    let townships = service::townships(&state.db, &station).await?;
    match form.check(&station, &townships) {
        Ok(application) => {
            crate::volunteers::application::apply(&state.db, &application).await?;
            Ok(render(&AppliedPage { ctx, station }))
        }
        Err(fields) => {
            let errors = localise(&ctx, &fields);
            let page = ApplyPage {
                ctx,
                station,
                townships,
                form,
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
    }
}
