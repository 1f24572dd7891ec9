//! Lockout, unbounded cost and a database restart (findings 8 and 11).
