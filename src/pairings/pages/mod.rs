//! Pairing pages: the list and the children waiting, pairing one child (suggestions and the
//! form), the batch page after an ice-breaking event, the pairing record (its check-ins, relationship
//! surveys and follow-ups) and closing it, the follow-up list; a transfer refused on a record page.

mod batch;
mod check_in;
mod follow_up;
mod list;
mod new;
mod record;
mod standard;
mod survey;
mod transfer;

pub use batch::{batch, batch_form};
pub use check_in::{DueQuery, due as check_ins_due, log_check_in};
pub use follow_up::{flag_follow_up, follow_up_done, follow_ups};
pub use list::{list, waiting};
pub use new::{create, new_form};
pub use record::{cancel_close, close, confirm_close, detail};
pub use standard::{set_standard, standard};
pub use survey::record_survey;
pub use transfer::{transfer_child, transfer_volunteer};

use crate::web::error::AppError;
use crate::web::{Errors, PageContext, localise};

/// A station to choose: id and name.
type Choice = (uuid::Uuid, String);

/// A refused write's field messages and its headline, in the page's language.
fn explain(ctx: &PageContext, e: &AppError) -> (Errors, String) {
    let fields = match e {
        AppError::Unprocessable { fields, .. } | AppError::Conflict { fields, .. } => {
            localise(ctx, fields)
        }
        _ => Errors::new(),
    };
    let headline = ctx.t(&format!("error.{}", e.code())).to_owned();
    (fields, headline)
}
