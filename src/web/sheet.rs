//! Reading spreadsheets people upload: `.xlsx` (calamine) or `.csv` (UTF-8, or GBK as Excel
//! saves it on Chinese Windows), as rows of trimmed text.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

/// Most data rows one upload may hold.
pub const MAX_ROWS: usize = 20_000;

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetError {
    /// Not an .xlsx or .csv file.
    Format,
    /// More rows than [`MAX_ROWS`].
    TooManyRows,
    /// No header row.
    Empty,
}

impl SheetError {
    /// Message key.
    pub fn key(&self) -> &'static str {
        match self {
            SheetError::Format => "import.bad_file",
            SheetError::TooManyRows => "import.too_many_rows",
            SheetError::Empty => "import.empty",
        }
    }
}

/// The rows of the first sheet (header first), every cell as text: dates as 2026-10-03,
/// whole numbers without a decimal point.
pub fn read(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    // An .xlsx file is a zip archive.
    let rows = if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)?
    } else {
        read_csv(bytes)?
    };
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .filter(|r| r.iter().any(|c| !c.is_empty()))
        .collect();
    if rows.is_empty() {
        return Err(SheetError::Empty);
    }
    if rows.len() - 1 > MAX_ROWS {
        return Err(SheetError::TooManyRows);
    }
    Ok(rows)
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    let mut book: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(bytes.to_vec())).map_err(|_| SheetError::Format)?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(SheetError::Empty)?
        .map_err(|_| SheetError::Format)?;
    Ok(range
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect())
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_date(d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.get(..10).unwrap_or(s).to_owned(),
        Data::Error(_) => String::new(),
    }
}

/// An Excel date serial (days since 1899-12-30) as an ISO date.
fn excel_date(serial: f64) -> String {
    const JULIAN_1899_12_30: i32 = 2_415_019;
    time::Date::from_julian_day(JULIAN_1899_12_30 + serial.floor() as i32)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => {
            let (decoded, _, bad) = encoding_rs::GBK.decode(bytes);
            if bad {
                return Err(SheetError::Format);
            }
            decoded.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| SheetError::Format)?;
        rows.push(record.iter().map(|c| c.trim().to_owned()).collect());
        if rows.len() > MAX_ROWS + 1 {
            return Err(SheetError::TooManyRows);
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_in_utf8_with_a_bom_and_in_gbk() {
        let utf8 = "\u{feff}姓名,手机号\n王秀兰,13912345678\n,\n";
        assert_eq!(
            read(utf8.as_bytes()).unwrap(),
            [vec!["姓名", "手机号"], vec!["王秀兰", "13912345678"]]
        );
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,手机号\n李春梅,13812345678\n");
        assert_eq!(read(&gbk).unwrap()[1][0], "李春梅");
        assert_eq!(read(b"").unwrap_err(), SheetError::Empty);
    }

    #[test]
    fn excel_serials_are_dates() {
        assert_eq!(excel_date(46_298.0), "2026-10-03");
        assert_eq!(excel_date(45_351.5), "2024-02-29");
    }

    #[test]
    fn xlsx_cells_become_text() {
        let bytes = crate::web::export::xlsx(
            "s",
            &["姓名", "手机号"],
            &[vec!["王秀兰".into(), "13912345678".into()]],
        )
        .unwrap();
        assert_eq!(read(&bytes).unwrap()[1], ["王秀兰", "13912345678"]);
    }
}
