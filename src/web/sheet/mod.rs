//! Reading spreadsheets people upload: `.xlsx` (calamine) or `.csv` (UTF-8, or GBK as Excel
//! saves it on Chinese Windows), as rows of trimmed text.
//!
//! An upload is untrusted: a few kilobytes of zip can claim a sheet of a million rows by
//! sixteen thousand columns, or unpack to gigabytes. So a file is read cell by cell, never as
//! a dense range, and refused (with the limit named) as soon as it passes one of the limits
//! below, before anything is allocated for what lies beyond it. Reading is CPU work: callers
//! run it off the async workers (`tokio::task::spawn_blocking`).

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use crate::i18n::Lang;

mod csv_file;
use csv_file::read_csv;

/// Largest file one upload may be (10 MB).
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Most data rows one upload may hold (the header is one more row).
pub const MAX_ROWS: usize = 20_000;
/// Most columns a sheet may use.
pub const MAX_COLUMNS: usize = 100;
/// Most non-empty cells a sheet may hold.
pub const MAX_CELLS: usize = 500_000;
/// Most characters one cell may hold.
pub const MAX_CELL_CHARS: usize = 2_000;
/// Most bytes an `.xlsx` file may unpack to, all its parts together (50 MB).
pub const MAX_UNPACKED_BYTES: u64 = 50 * 1024 * 1024;
/// Most shared strings (the distinct texts of an `.xlsx` file).
pub const MAX_SHARED_STRINGS: usize = 500_000;
/// The most text, in bytes, the cells of one upload may hold together (a shared string is
/// stored once in the file but copied into every cell that names it).
pub const MAX_TEXT_BYTES: usize = MAX_UNPACKED_BYTES as usize;
/// Most parts an `.xlsx` archive may hold.
const MAX_PARTS: usize = 1_000;

const MEGABYTE: u64 = 1024 * 1024;

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetError {
    /// Not an .xlsx or .csv file.
    Format,
    /// No header row.
    Empty,
    /// A file larger than [`MAX_FILE_BYTES`].
    TooLarge,
    /// More rows than [`MAX_ROWS`].
    TooManyRows,
    /// A cell beyond column [`MAX_COLUMNS`].
    TooManyColumns,
    /// More cells than [`MAX_CELLS`].
    TooManyCells,
    /// A cell longer than [`MAX_CELL_CHARS`].
    CellTooLong,
    /// An archive that unpacks to more than [`MAX_UNPACKED_BYTES`], or cells holding more than
    /// [`MAX_TEXT_BYTES`] of text.
    UnpacksTooLarge,
    /// More shared strings than [`MAX_SHARED_STRINGS`].
    TooManyStrings,
}

impl SheetError {
    /// Message key.
    pub fn key(&self) -> &'static str {
        match self {
            SheetError::Format => "import.bad_file",
            SheetError::Empty => "import.empty",
            SheetError::TooLarge => "import.too_large",
            SheetError::TooManyRows => "import.too_many_rows",
            SheetError::TooManyColumns => "import.too_many_columns",
            SheetError::TooManyCells => "import.too_many_cells",
            SheetError::CellTooLong => "import.cell_too_long",
            SheetError::UnpacksTooLarge => "import.unpacks_too_large",
            SheetError::TooManyStrings => "import.too_many_strings",
        }
    }

    /// The limit passed, as its message states it (`20,000`, `10` MB); none for an
    /// unreadable or empty file.
    pub fn limit(&self) -> Option<u64> {
        Some(match self {
            SheetError::Format | SheetError::Empty => return None,
            SheetError::TooLarge => MAX_FILE_BYTES as u64 / MEGABYTE,
            SheetError::TooManyRows => MAX_ROWS as u64,
            SheetError::TooManyColumns => MAX_COLUMNS as u64,
            SheetError::TooManyCells => MAX_CELLS as u64,
            SheetError::CellTooLong => MAX_CELL_CHARS as u64,
            SheetError::UnpacksTooLarge => MAX_UNPACKED_BYTES / MEGABYTE,
            SheetError::TooManyStrings => MAX_SHARED_STRINGS as u64,
        })
    }

    /// What the reader is told, with the limit in it.
    pub fn message(&self, lang: Lang) -> String {
        let max = self
            .limit()
            .map(|n| lang.number(n as i64))
            .unwrap_or_default();
        lang.tf(self.key(), &[("max", &max)])
    }
}

/// A row of a sheet: its number as the spreadsheet shows it (the first row is 1) and its cells
/// as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The row's number in the spreadsheet, counting the rows left out before it.
    pub number: usize,
    /// Its cells, as long as its last cell with text.
    pub cells: Vec<String>,
}

/// The rows of the first sheet, every cell as text (see [`read_rows`]), without their numbers.
pub fn read(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    Ok(read_rows(bytes)?.into_iter().map(|r| r.cells).collect())
}

/// The rows of the first sheet (the other sheets of a workbook are not read), every cell as
/// text: dates as 2026-10-03, whole numbers without a decimal point, a number of 16 digits or
/// more as Excel shows it (5.10681201605061E+17: it keeps 15 digits). Rows without text are
/// left out; each row keeps its number.
pub fn read_rows(bytes: &[u8]) -> Result<Vec<Row>, SheetError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(SheetError::TooLarge);
    }
    // An .xlsx file is a zip archive.
    let rows = if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)?
    } else {
        read_csv(bytes)?
    };
    let rows: Vec<Row> = rows
        .into_iter()
        .filter(|r| r.cells.iter().any(|c| !c.is_empty()))
        .collect();
    if rows.is_empty() {
        return Err(SheetError::Empty);
    }
    if rows.len() - 1 > MAX_ROWS {
        return Err(SheetError::TooManyRows);
    }
    Ok(rows)
}

/// Reads what the rows of a sheet are made of, cell by cell, refusing a cell past the limits
/// before keeping it.
#[derive(Default)]
struct Cells {
    rows: BTreeMap<u32, Vec<String>>,
    count: usize,
    bytes: usize,
}

impl Cells {
    /// Keeps `text` at 0-based `row` and `col` (empty text is skipped).
    fn put(&mut self, row: u32, col: u32, text: String) -> Result<(), SheetError> {
        if text.is_empty() {
            return Ok(());
        }
        if row as usize > MAX_ROWS {
            return Err(SheetError::TooManyRows);
        }
        if col as usize >= MAX_COLUMNS {
            return Err(SheetError::TooManyColumns);
        }
        if text.chars().count() > MAX_CELL_CHARS {
            return Err(SheetError::CellTooLong);
        }
        self.count += 1;
        if self.count > MAX_CELLS {
            return Err(SheetError::TooManyCells);
        }
        self.bytes += text.len();
        if self.bytes > MAX_TEXT_BYTES {
            return Err(SheetError::UnpacksTooLarge);
        }
        let cells = self.rows.entry(row).or_default();
        let col = col as usize;
        if cells.len() <= col {
            cells.resize(col + 1, String::new());
        }
        cells[col] = text;
        Ok(())
    }

    /// The rows in order, each as long as its last cell, numbered from 1.
    fn into_rows(self) -> Vec<Row> {
        self.rows
            .into_iter()
            .map(|(row, cells)| Row {
                number: row as usize + 1,
                cells,
            })
            .collect()
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Row>, SheetError> {
    inspect_archive(bytes)?;
    let mut book: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| SheetError::Format)?;
    let first = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(SheetError::Empty)?;
    let mut reader = book
        .worksheet_cells_reader(&first)
        .map_err(|_| SheetError::Format)?;
    let mut cells = Cells::default();
    while let Some(cell) = reader.next_cell().map_err(|_| SheetError::Format)? {
        let (row, col) = cell.get_position();
        let text = cell_text(&Data::from(cell.get_value().clone()));
        cells.put(row, col, text)?;
    }
    Ok(cells.into_rows())
}

/// Unpacks every part of the archive into nothing, counting: refuses an archive that unpacks
/// past [`MAX_UNPACKED_BYTES`] or whose shared strings pass [`MAX_SHARED_STRINGS`], before
/// calamine keeps any of it (it holds every shared string in memory).
fn inspect_archive(bytes: &[u8]) -> Result<(), SheetError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| SheetError::Format)?;
    if archive.len() > MAX_PARTS {
        return Err(SheetError::Format);
    }
    let mut left = MAX_UNPACKED_BYTES;
    for i in 0..archive.len() {
        let part = archive.by_index(i).map_err(|_| SheetError::Format)?;
        if part.size() > left {
            return Err(SheetError::UnpacksTooLarge);
        }
        let shared_strings = part
            .name()
            .to_ascii_lowercase()
            .ends_with("sharedstrings.xml");
        // One byte past what is left tells a part that would pass the limit.
        let mut part = Counted {
            inner: part.take(left + 1),
            read: 0,
        };
        let parsed = !shared_strings || count_shared_strings(&mut part)?;
        std::io::copy(&mut part, &mut std::io::sink()).map_err(|_| SheetError::Format)?;
        if part.read > left {
            return Err(SheetError::UnpacksTooLarge);
        }
        if !parsed {
            return Err(SheetError::Format);
        }
        left -= part.read;
    }
    Ok(())
}

/// Counts the `<si>` elements of a shared-strings part as it streams past, read as calamine
/// reads it (end tags unchecked); `false` when the part is not well-formed XML (which the
/// caller refuses, unless it was cut short by the byte limit).
fn count_shared_strings(part: &mut impl Read) -> Result<bool, SheetError> {
    use quick_xml::events::Event;
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(part));
    xml.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    let mut count = 0usize;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == b"si" => {
                count += 1;
                if count > MAX_SHARED_STRINGS {
                    return Err(SheetError::TooManyStrings);
                }
            }
            Ok(Event::Eof) => return Ok(true),
            Err(_) => return Ok(false),
            Ok(_) => {}
        }
    }
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) if f.abs() >= 1e15 => as_excel_shows(*f),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_date(d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.get(..10).unwrap_or(s).to_owned(),
        Data::Error(_) => String::new(),
    }
}

/// A number of 16 digits or more as Excel shows it, 15 significant digits and an exponent
/// (5.10681201605061E+17): the digits after the 15th were never kept, and a long number typed
/// into a cell (an ID number) is told apart by this form.
fn as_excel_shows(number: f64) -> String {
    let text = format!("{number:.14E}");
    let (mantissa, exponent) = text.split_once('E').unwrap_or((&text, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    match exponent.strip_prefix('-') {
        Some(negative) => format!("{mantissa}E-{negative}"),
        None => format!("{mantissa}E+{exponent}"),
    }
}

/// An Excel date serial (days since 1899-12-30) as an ISO date.
fn excel_date(serial: f64) -> String {
    const JULIAN_1899_12_30: i32 = 2_415_019;
    time::Date::from_julian_day(JULIAN_1899_12_30 + serial.floor() as i32)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

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

    /// A minimal workbook, written part by part as a hostile client would.
    fn workbook(sheet_data: &str, shared: Option<&str>) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let sheet = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData></worksheet>"#
        );
        let mut parts = vec![
            ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#.to_owned()),
            ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned()),
            ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned()),
            ("xl/worksheets/sheet1.xml", sheet),
        ];
        if let Some(shared) = shared {
            parts.push(("xl/sharedStrings.xml", format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{shared}</sst>"#
            )));
        }
        for (name, text) in parts {
            zip.start_file(name, deflated).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn cell(at: &str, text: &str) -> String {
        format!(r#"<c r="{at}" t="inlineStr"><is><t>{text}</t></is></c>"#)
    }

    #[test]
    fn a_hand_written_workbook_reads() {
        let data = format!(
            r#"<row r="1">{}{}</row><row r="3">{}</row>"#,
            cell("A1", "姓名"),
            cell("B1", "手机号"),
            cell("B3", "13912345678")
        );
        let rows = read(&workbook(&data, None)).unwrap();
        assert_eq!(rows, [vec!["姓名", "手机号"], vec!["", "13912345678"]]);
        let numbers: Vec<usize> = read_rows(&workbook(&data, None))
            .unwrap()
            .iter()
            .map(|r| r.number)
            .collect();
        assert_eq!(numbers, [1, 3], "a row keeps its number past an empty one");
    }

    #[test]
    fn a_long_number_reads_as_excel_shows_it() {
        assert_eq!(
            as_excel_shows(510_681_201_605_061_234.0),
            "5.10681201605061E+17"
        );
        assert_eq!(as_excel_shows(1e16), "1E+16");
        let data = r#"<row r="1"><c r="A1"><v>510681201605061234</v></c><c r="B1"><v>13912345678</v></c></row>"#;
        assert_eq!(
            read(&workbook(data, None)).unwrap(),
            [vec!["5.10681201605061E+17", "13912345678"]]
        );
    }

    #[test]
    fn the_last_cell_of_a_sheet_is_refused_without_allocating_the_range() {
        // A1 and XFD1048576: as a dense range, 17 billion cells.
        let data = format!(
            r#"<row r="1">{}</row><row r="1048576">{}</row>"#,
            cell("A1", "姓名"),
            cell("XFD1048576", "x")
        );
        assert_eq!(
            read(&workbook(&data, None)).unwrap_err(),
            SheetError::TooManyRows
        );
        let wide = format!(
            r#"<row r="1">{}{}</row>"#,
            cell("A1", "a"),
            cell("XFD1", "x")
        );
        assert_eq!(
            read(&workbook(&wide, None)).unwrap_err(),
            SheetError::TooManyColumns
        );
    }

    #[test]
    fn too_many_shared_strings_or_unpacked_bytes_are_refused() {
        let strings = "<si><t>x</t></si>".repeat(MAX_SHARED_STRINGS + 1);
        let data = r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#;
        assert_eq!(
            read(&workbook(data, Some(&strings))).unwrap_err(),
            SheetError::TooManyStrings
        );
        // 60 MB of spaces deflate to a few dozen kilobytes.
        let padding = " ".repeat(60 * 1024 * 1024);
        let data = format!(r#"<row r="1">{}</row>{padding}"#, cell("A1", "a"));
        let bomb = workbook(&data, None);
        assert!(bomb.len() < 200 * 1024);
        assert_eq!(read(&bomb).unwrap_err(), SheetError::UnpacksTooLarge);
    }

    #[test]
    fn one_long_shared_string_named_by_every_cell_is_refused_by_the_text_it_would_copy() {
        // 2,000 characters of 3 bytes, stored once, named by 9,000 cells: 54 MB once copied.
        let shared = format!("<si><t>{}</t></si>", "字".repeat(MAX_CELL_CHARS));
        let row = |r: usize| {
            let cells: String = (0..90)
                .map(|c| format!(r#"<c r="{}{r}" t="s"><v>0</v></c>"#, column_name(c)))
                .collect();
            format!(r#"<row r="{r}">{cells}</row>"#)
        };
        let data: String = (1..=100).map(row).collect();
        let file = workbook(&data, Some(&shared));
        assert!(file.len() < 200 * 1024, "{} bytes", file.len());
        assert_eq!(read(&file).unwrap_err(), SheetError::UnpacksTooLarge);
    }

    #[test]
    fn shared_strings_that_hide_their_count_behind_a_broken_tag_are_refused() {
        // A stray end tag would stop a strict count while a lenient reader goes on.
        let strings = format!("</x>{}", "<si><t>x</t></si>".repeat(MAX_SHARED_STRINGS + 1));
        let data = r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#;
        assert_eq!(
            read(&workbook(data, Some(&strings))).unwrap_err(),
            SheetError::TooManyStrings
        );
    }

    fn column_name(index: usize) -> String {
        let letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        if index < 26 {
            (letters[index] as char).to_string()
        } else {
            format!(
                "{}{}",
                letters[index / 26 - 1] as char,
                letters[index % 26] as char
            )
        }
    }

    #[test]
    fn csv_past_the_limits_is_refused() {
        let wide = ",".repeat(MAX_COLUMNS) + "\n";
        assert_eq!(
            read(wide.as_bytes()).unwrap_err(),
            SheetError::TooManyColumns
        );
        let long = format!("姓名\n{}\n", "长".repeat(MAX_CELL_CHARS + 1));
        assert_eq!(read(long.as_bytes()).unwrap_err(), SheetError::CellTooLong);
        let rows = "a\n".repeat(MAX_ROWS + 2);
        assert_eq!(read(rows.as_bytes()).unwrap_err(), SheetError::TooManyRows);
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        assert_eq!(read(&big).unwrap_err(), SheetError::TooLarge);
    }

    #[test]
    fn the_message_names_the_limit() {
        assert_eq!(
            SheetError::TooManyRows.message(Lang::En),
            "At most 20,000 rows at a time: split the file"
        );
        assert!(
            SheetError::TooManyColumns
                .message(Lang::ZhCn)
                .contains("100")
        );
    }
}
