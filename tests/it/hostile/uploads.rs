//! Spreadsheet and CSV bombs, control characters (findings 1 and 9).
