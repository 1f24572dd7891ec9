//! The rules and transactions of the children area: what its pages and API call, and what
//! other areas may call.

mod child;
mod guardians;

pub use child::{
    ChildDetail, create, detail, full_id_numbers, list, move_to, not_registered_at, reveal, update,
    view,
};
pub use guardians::{add_consent, add_guardian, has_current_consent, withdraw};
