//! Reading a `.csv` upload (UTF-8, with or without a BOM, or GBK) into the same bounded rows
//! as a workbook.

use super::{Cells, MAX_COLUMNS, Row, SheetError};

/// The rows of a CSV file, each numbered as a spreadsheet shows it.
pub(super) fn read_csv(bytes: &[u8]) -> Result<Vec<Row>, SheetError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t.trim_start_matches('\u{feff}')),
        Err(_) => {
            let (decoded, _, bad) = encoding_rs::GBK.decode(bytes);
            if bad {
                return Err(SheetError::Format);
            }
            decoded
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut cells = Cells::default();
    let mut record = csv::StringRecord::new();
    // A row is numbered as a spreadsheet shows the file: a blank line is a row of its own (the
    // reader skips it), a cell that wraps over several lines stays in one.
    // (The reader's own line count leaves skipped blank lines out: lines are counted here from
    // each record's byte offset.)
    let (mut wrapped, mut breaks, mut counted) = (0usize, 0usize, 0usize);
    while reader
        .read_record(&mut record)
        .map_err(|_| SheetError::Format)?
    {
        if record.len() > MAX_COLUMNS {
            return Err(SheetError::TooManyColumns);
        }
        // A record's position is where the reader began, before the blank lines it skipped.
        let mut start = record.position().map_or(counted, |p| p.byte() as usize);
        while matches!(text.as_bytes().get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        breaks += text.as_bytes()[counted..start.max(counted)]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted = start.max(counted);
        let row = u32::try_from(breaks - wrapped).unwrap_or(u32::MAX);
        for (col, field) in record.iter().enumerate() {
            cells.put(row, col as u32, field.trim().to_owned())?;
        }
        wrapped += record
            .iter()
            .map(|f| f.matches('\n').count())
            .sum::<usize>();
    }
    Ok(cells.into_rows())
}

#[cfg(test)]
mod tests {
    use super::super::read_rows;

    #[test]
    fn a_blank_line_is_a_row_and_a_wrapped_cell_is_not() {
        let rows =
            read_rows("\"出生\n日期\",姓名\n2016-5-6,王小明\n\n2017-1-2,李小雨\n".as_bytes())
                .unwrap();
        let numbered: Vec<(usize, String)> = rows
            .iter()
            .map(|r| (r.number, r.cells.get(1).cloned().unwrap_or_default()))
            .collect();
        assert_eq!(
            numbered,
            [
                (1, "姓名".to_owned()),
                (2, "王小明".into()),
                (4, "李小雨".into())
            ]
        );
    }
}
