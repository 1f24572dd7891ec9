//! Pagination of every list: `page`, `per_page` (≤ 200) in, `{items, total, page, per_page}` out.

use serde::{Deserialize, Serialize};

use uuid::Uuid;

use crate::web::error::{AppError, FieldError, FieldErrors};

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

impl Paging {
    /// Page `page` (as a form sends it back) of the default size.
    pub fn at(page: Option<&str>) -> Paging {
        Paging {
            page: page.map(str::to_owned),
            per_page: None,
        }
    }
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

/// Declares the orders a list may be sorted in: an enum whose first variant is the default,
/// with its API word (`sort=`) and the message key of its label.
macro_rules! sort_order {
    ($(#[$meta:meta])* $name:ident, $prefix:literal, [$first:ident = $first_word:literal $(, $variant:ident = $word:literal)* $(,)?]) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub enum $name {
            #[default]
            #[doc = $first_word]
            $first,
            $(#[doc = $word] $variant),*
        }

        impl $name {
            /// Every order, the default first.
            pub const ALL: &'static [$name] = &[$name::$first $(, $name::$variant)*];

            /// The API word.
            pub fn as_str(self) -> &'static str {
                match self { $name::$first => $first_word $(, $name::$variant => $word)* }
            }

            /// Parses the API word.
            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text.trim())
            }

            /// Message key of its label.
            pub fn label_key(self) -> &'static str {
                match self {
                    $name::$first => concat!($prefix, ".", $first_word)
                    $(, $name::$variant => concat!($prefix, ".", $word))*
                }
            }

            /// The choices of the list page's sort menu, `sort` (the parameter as sent) chosen.
            pub fn choices(sort: &Option<String>) -> Vec<$crate::web::paging::SortChoice> {
                let current = sort.as_deref().and_then($name::parse).unwrap_or_default();
                $name::ALL
                    .iter()
                    .map(|o| $crate::web::paging::SortChoice {
                        word: o.as_str(),
                        label_key: o.label_key(),
                        chosen: *o == current,
                    })
                    .collect()
            }
        }
    };
}
pub(crate) use sort_order;

/// One entry of a list page's sort menu.
#[derive(Debug, Clone, Copy)]
pub struct SortChoice {
    /// The `sort=` word.
    pub word: &'static str,
    /// Message key of its label.
    pub label_key: &'static str,
    /// Whether the list is in this order now.
    pub chosen: bool,
}

/// Reads a list's filters from their text, collecting a field message for each bad one, so
/// that every list answers bad filters the same way: one 422 naming every bad field.
#[derive(Debug, Default)]
pub struct Filters {
    fields: FieldErrors,
}

impl Filters {
    /// The trimmed text of a parameter, when there is any.
    pub fn text(value: &Option<String>) -> Option<String> {
        value
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }

    /// An id; a bad one is reported with `message` (e.g. `error.station_unknown`).
    pub fn id(
        &mut self,
        field: &str,
        value: &Option<String>,
        message: &'static str,
    ) -> Option<Uuid> {
        let text = Self::text(value)?;
        let id = Uuid::parse_str(&text).ok();
        if id.is_none() {
            self.fields.insert(field.into(), FieldError::new(message));
        }
        id
    }

    /// One of a fixed set of words (a status, a category, a sort order).
    pub fn choice<T>(
        &mut self,
        field: &str,
        value: &Option<String>,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let text = Self::text(value)?;
        let choice = parse(&text);
        if choice.is_none() {
            self.fields
                .insert(field.into(), FieldError::new("error.choice"));
        }
        choice
    }

    /// A region code (`region_code`) that is well formed.
    pub fn region(&mut self, value: &Option<String>) -> Option<String> {
        let code = Self::text(value)?;
        match crate::domain::RegionCode::parse(&code) {
            Ok(_) => Some(code),
            Err(e) => {
                self.fields.insert("region_code".into(), e);
                None
            }
        }
    }

    /// A day, ISO (`2026-03-04`).
    pub fn date(&mut self, field: &str, value: &Option<String>) -> Option<time::Date> {
        let text = Self::text(value)?;
        crate::domain::parse_date(&text)
            .map_err(|e| self.fields.insert(field.into(), e))
            .ok()
    }

    /// The filters with the checked paging, or one validation error naming every bad field.
    pub fn finish<F>(self, filter: F, paging: &Paging) -> Result<(F, PageRequest), AppError> {
        let paging = paging.checked();
        if !self.fields.is_empty() {
            return Err(AppError::validation(self.fields));
        }
        Ok((filter, paging?))
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

/// What a list page shows around its rows — the pager and its filters' values — from its path,
/// its filters as its query string carries them, and its paging.
pub trait ListView {
    /// The list's path (`/children`).
    const PATH: &'static str;

    /// The list's filters, in the order its links write them.
    fn filters(&self) -> Vec<(&'static str, &str)>;

    /// The page shown, and how many rows the list has in all.
    fn shown(&self) -> (&PageRequest, i64);

    /// A filter's value as typed, or nothing.
    fn value<'a>(&self, field: &'a Option<String>) -> &'a str {
        field.as_deref().unwrap_or("")
    }

    /// The link to page `page` with the same filters.
    fn page_link(&self, page: u32) -> String {
        page_link(Self::PATH, &self.filters(), page)
    }

    /// The same list with the same filters but for the station (the "all stations" link).
    fn unfiltered(&self) -> String {
        let filters: Vec<(&str, &str)> = self
            .filters()
            .into_iter()
            .filter(|(name, _)| *name != "station_id")
            .collect();
        page_link(Self::PATH, &filters, 1)
    }

    /// The last page there is.
    fn last_page(&self) -> u32 {
        let (paging, total) = self.shown();
        paging.last_page(total)
    }
}

/// A list page whose rows can be downloaded as a spreadsheet from its API list.
pub trait Exported: ListView {
    /// The API list with the same filters (`/api/v1/children`).
    const API: &'static str;

    /// The same rows as a spreadsheet, in the language the page is read in (`lang`).
    fn export_link(&self, lang: &crate::i18n::Lang) -> String {
        super::export::link(&self.page_link(1), Self::API, *lang)
    }
}

/// The link to page `page` of a list at `path` with its filters, each written even when empty
/// (`/children?q=&status=registered&page=2`), so that the same filters carry to every page and
/// to the list's spreadsheet.
pub fn page_link(path: &str, filters: &[(&str, &str)], page: u32) -> String {
    let mut link = String::from(path);
    link.push('?');
    for (name, value) in filters {
        link.push_str(name);
        link.push('=');
        link.push_str(&super::urlencode(value));
        link.push('&');
    }
    link.push_str(&format!("page={page}"));
    link
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_link_keeps_every_filter_encoded() {
        assert_eq!(
            page_link("/children", &[("q", "王 小明"), ("status", "")], 3),
            "/children?q=%E7%8E%8B%20%E5%B0%8F%E6%98%8E&status=&page=3"
        );
        assert_eq!(page_link("/concerns", &[], 1), "/concerns?page=1");
    }

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
