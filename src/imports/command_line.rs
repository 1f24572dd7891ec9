//! `aixin import`: the same import from the command line, acting as an account.

use sqlx::PgPool;

use super::page::Kind;
use super::sheet::Outcome;
use crate::auth::CurrentUser;
use crate::i18n::Lang;
use crate::web::error::AppError;
use crate::web::sheet::{MAX_FILE_BYTES, Row, SheetError};

/// `aixin import volunteers|children FILE --as USERNAME`: reads the file and hands its rows to
/// `run`, the owning area's import, with the same checks as the page; prints the count
/// imported, or every problem (and fails).
pub async fn from_command_line(
    db: &PgPool,
    kind: Kind,
    file: &std::path::Path,
    username: &str,
    run: impl AsyncFnOnce(&CurrentUser, &[Row], Lang) -> Result<Outcome, AppError>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let user = crate::auth::acting_as(db, username).await?;
    anyhow::ensure!(
        user.role != crate::domain::Role::Volunteer,
        "a volunteer's account cannot import"
    );
    let refused =
        |e: SheetError| anyhow::anyhow!("{} / {}", e.message(Lang::ZhCn), e.message(Lang::En));
    let size = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    if size > MAX_FILE_BYTES as u64 {
        return Err(refused(SheetError::TooLarge));
    }
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let rows = super::page::read_off_the_workers(bytes)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .map_err(refused)?;
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
