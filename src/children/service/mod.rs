//! The rules and transactions of the children area: what its pages and API call, and what
//! other areas may call.

mod child;
mod guardians;
mod lifecycle;

pub use child::{
    ChildDetail, create, detail, full_id_numbers, list, move_to, not_registered_at, reveal, update,
    view,
};
pub use guardians::{
    add_consent, add_guardian, consent, consent_in_scope, guardian_child, has_current_consent,
    remove_guardian, update_guardian, withdraw_in, withdrawal_day,
};
pub use lifecycle::{Actor, anonymise_in, exit_in, lock_in};
