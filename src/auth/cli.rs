//! `aixin user create|reset-password|disable`: account administration from the command line,
//! for scripts and for recovering access.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use sqlx::PgPool;
use uuid::Uuid;

use super::model::{Role, Username, parse_display_name};
use super::{password, store};
use crate::regions::model::RegionCode;

/// Reads a password: from a prompt without echo on a terminal, else one line of stdin.
pub fn read_password(prompt: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(prompt)?;
        let again = rpassword::prompt_password("再次输入 / Again: ")?;
        if first != again {
            bail!("the two passwords differ");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// Creates an account. Admins and staff need `region`; station managers need `stations`.
pub async fn create(
    db: &PgPool,
    username: &str,
    display_name: Option<&str>,
    role: &str,
    region: Option<&str>,
    stations: &[Uuid],
    password: &str,
) -> anyhow::Result<Uuid> {
    let username = Username::parse(username)
        .map_err(|_| anyhow::anyhow!("the username must be 3–64 letters, digits or _ . @ -"))?;
    let role = Role::parse(role).context("--role must be admin, staff or station_manager")?;
    if role == Role::Volunteer {
        bail!("volunteer accounts are created from the volunteer's record");
    }
    let display_name = parse_display_name(display_name.unwrap_or(username.as_str()))
        .map_err(|_| anyhow::anyhow!("the display name must be 1–50 characters"))?;
    let region = match (role.has_region(), region) {
        (true, Some(code)) => {
            let code = RegionCode::parse(code)
                .map_err(|_| anyhow::anyhow!("--region is not a region code"))?;
            crate::regions::service::find(db, &code)
                .await?
                .context("--region names no known region")?;
            Some(code)
        }
        (true, None) => bail!("--region is required for admin and staff accounts"),
        (false, _) => None,
    };
    if role == Role::StationManager && stations.is_empty() {
        bail!("--station is required for a station manager");
    }
    password::check_new(password, username.as_str())
        .map_err(|e| anyhow::anyhow!(e.message(crate::i18n::Lang::En)))?;
    let plain = password.to_owned();
    let hash = password::hash_bounded(&plain).await?;
    let mut tx = db.begin().await?;
    let id = store::insert(
        &mut tx,
        &store::NewUser {
            username: username.as_str(),
            display_name: &display_name,
            password_hash: &hash,
            role,
            region_code: region.as_ref().map(RegionCode::as_str),
            volunteer_id: None,
            station_ids: stations,
            must_change_password: false,
        },
    )
    .await
    .context("creating the account (is the username taken?)")?;
    tx.commit().await?;
    Ok(id)
}

/// Sets a new password for `username` and ends their sessions.
pub async fn reset_password(db: &PgPool, username: &str, password: &str) -> anyhow::Result<()> {
    let id = store::id_by_username(db, username)
        .await?
        .context("no account has this username")?;
    password::check_new(password, username)
        .map_err(|e| anyhow::anyhow!(e.message(crate::i18n::Lang::En)))?;
    let plain = password.to_owned();
    let hash = password::hash_bounded(&plain).await?;
    store::set_password(db, id, &hash, false).await?;
    Ok(())
}

/// Disables `username` and ends their sessions.
pub async fn disable(db: &PgPool, username: &str) -> anyhow::Result<()> {
    let id = store::id_by_username(db, username)
        .await?
        .context("no account has this username")?;
    store::disable(db, id).await?;
    Ok(())
}
