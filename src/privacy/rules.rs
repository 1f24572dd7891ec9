//! The privacy area's refusals.

use crate::web::Refusal;

/// A request is answered once: done or refused, it stays as it was answered.
pub const REQUEST_HANDLED: Refusal = Refusal::conflict("request_handled", "error.request_handled");

/// A volunteer files one kind of request herself: to see what is held about her. The others
/// she makes to the county's staff, who check who is asking.
pub const VOLUNTEER_ASKS_ACCESS_ONLY: Refusal =
    Refusal::forbidden("forbidden", "error.volunteer_asks_access_only");

/// Only an access request has a copy to give.
pub const NOT_AN_ACCESS_REQUEST: Refusal =
    Refusal::conflict("not_an_access_request", "error.not_an_access_request");

/// A volunteer's copy of what is held about her is given once the staff have done her request.
pub const COPY_NOT_READY: Refusal = Refusal::conflict("request_not_done", "error.request_not_done");

/// A refused access request has no copy.
pub const REQUEST_REFUSED: Refusal = Refusal::conflict("request_refused", "error.request_refused");
