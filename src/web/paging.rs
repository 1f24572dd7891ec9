//! Pagination of every list: `page`, `per_page` (≤ 200) in, `{items, total, page, per_page}` out.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError, FieldErrors};

/// Largest page a client may ask for.
pub const MAX_PER_PAGE: u32 = 200;
/// Page size when none is asked for.
pub const DEFAULT_PER_PAGE: u32 = 50;

/// The paging parameters as they arrive (text, so a bad value gets a field message rather
/// than a parse failure).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Paging {
    page: Option<String>,
    per_page: Option<String>,
}

/// Checked paging parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u32,
    /// Rows per page, 1..=200.
    pub per_page: u32,
}

impl Paging {
    /// Checks the values: page ≥ 1, 1 ≤ per_page ≤ 200.
    pub fn checked(&self) -> Result<PageRequest, AppError> {
        let mut fields = FieldErrors::new();
        let page = match self
            .page
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => 1,
            Some(s) => match s.parse::<u32>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    fields.insert("page".into(), FieldError::new("error.page"));
                    1
                }
            },
        };
        let per_page = match self
            .per_page
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => DEFAULT_PER_PAGE,
            Some(s) => match s.parse::<u32>() {
                Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => n,
                _ => {
                    fields.insert(
                        "per_page".into(),
                        FieldError::new("error.per_page").with("max", MAX_PER_PAGE),
                    );
                    DEFAULT_PER_PAGE
                }
            },
        };
        if fields.is_empty() {
            Ok(PageRequest { page, per_page })
        } else {
            Err(AppError::validation(fields))
        }
    }
}

impl PageRequest {
    /// SQL `LIMIT`.
    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }

    /// SQL `OFFSET`.
    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    /// The number of the last page of a list of `total` rows (1 for an empty list).
    pub fn last_page(&self, total: i64) -> u32 {
        ((total.max(1) as u32) - 1) / self.per_page + 1
    }

    /// Wraps a page of rows.
    pub fn page<T>(&self, items: Vec<T>, total: i64) -> Page<T> {
        Page {
            items,
            total,
            page: self.page,
            per_page: self.per_page,
        }
    }
}

/// One page of a list, as every list endpoint answers.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// Rows in the whole list.
    pub total: i64,
    /// This page's number (1-based).
    pub page: u32,
    /// Rows per page.
    pub per_page: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paging(page: &str, per_page: &str) -> Paging {
        Paging {
            page: Some(page.into()),
            per_page: Some(per_page.into()),
        }
    }

    #[test]
    fn defaults_limits_and_offsets() {
        let p = Paging::default().checked().unwrap();
        assert_eq!((p.page, p.per_page), (1, DEFAULT_PER_PAGE));
        let p = paging("3", "20").checked().unwrap();
        assert_eq!((p.limit(), p.offset()), (20, 40));
        assert!(paging("0", "20").checked().is_err());
        assert!(paging("1", "201").checked().is_err());
        assert!(paging("x", "20").checked().is_err());
    }
}
