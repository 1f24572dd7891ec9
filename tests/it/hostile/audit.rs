//! Audit gaps and deployment defaults (findings 7 and 10).
