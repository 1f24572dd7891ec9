//! The children area's pages: the child's record, her guardians and their consents, and the
//! spreadsheet import.

pub mod child;
pub mod guardians;
pub mod import;
