//! `aixin import`: the same import from the command line, acting as an account.

use sqlx::PgPool;

use super::page::Kind;
use super::sheet::Outcome;
use crate::auth::CurrentUser;
use crate::i18n::Lang;
use crate::web::error::AppError;

/// `aixin import volunteers|children FILE --as USERNAME`: reads the file and hands its rows to
/// `run`, the owning area's import, with the same checks as the page; prints the count
/// imported, or every problem (and fails).
pub async fn from_command_line(
    db: &PgPool,
    kind: Kind,
    file: &std::path::Path,
    username: &str,
    run: impl AsyncFnOnce(&CurrentUser, &[Vec<String>], Lang) -> Result<Outcome, AppError>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let user = crate::auth::acting_as(db, username).await?;
    anyhow::ensure!(
        user.role != crate::domain::Role::Volunteer,
        "a volunteer's account cannot import"
    );
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let rows =
        crate::web::sheet::read(&bytes).map_err(|e| anyhow::anyhow!(Lang::ZhCn.t(e.key())))?;
    let outcome = run(&user, &rows, Lang::ZhCn)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match outcome {
        Outcome::Imported(n) => {
            println!("imported {n} {}", kind.path);
            Ok(())
        }
        Outcome::Refused(errors) => {
            for e in &errors {
                eprintln!("row {} · {} · {}", e.row, e.column, e.message);
            }
            anyhow::bail!("{} problems; nothing was imported", errors.len())
        }
    }
}
