//! `page[number]` (from 1) and `page[size]` (1 to 250, default 20), and the
//! `PaginationMeta` that answers them. Pages are cut from the whole sorted
//! listing, so a purchase between two page requests shifts what the next
//! page holds, as page-number paging does on any live service.

use axum::response::Response;
use serde_json::{Value, json};

use crate::params::{get, integer};

use super::errors;

/// Most items one page may hold.
pub(crate) const MAX_PAGE_SIZE: u64 = 250;
/// Items per page when `page[size]` is not given.
pub(crate) const DEFAULT_PAGE_SIZE: u64 = 20;

/// A requested page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    pub number: u64,
    pub size: u64,
}

impl Page {
    /// Reads the page parameters; the error names the one out of range.
    pub(crate) fn read(pairs: &[(String, String)]) -> Result<Self, Response> {
        let read = |key: &str, max: u64, default: u64| match get(pairs, key) {
            Some(v) => integer(key, v, 1, max).map_err(|m| errors::bad_request(Some(key), m)),
            None => Ok(default),
        };
        Ok(Self {
            number: read("page[number]", u64::from(u32::MAX), 1)?,
            size: read("page[size]", MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE)?,
        })
    }

    /// This page's slice of `all`.
    pub(crate) fn slice<'a, T>(&self, all: &'a [T]) -> &'a [T] {
        let start = usize::try_from((self.number - 1).saturating_mul(self.size))
            .unwrap_or(usize::MAX)
            .min(all.len());
        let end = start
            .saturating_add(usize::try_from(self.size).unwrap_or(usize::MAX))
            .min(all.len());
        &all[start..end]
    }

    /// `PaginationMeta` for `total` items.
    pub(crate) fn meta(&self, total: usize) -> Value {
        let total = total as u64;
        json!({
            "total_pages": total.div_ceil(self.size),
            "total_results": total,
            "page_number": self.number,
            "page_size": self.size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::params::owned_pairs as pairs;

    #[test]
    fn pages_slice_and_count() {
        let page = Page::read(&pairs(&[("page[number]", "2"), ("page[size]", "2")])).unwrap();
        let all = [1, 2, 3, 4, 5];
        assert_eq!(page.slice(&all), &[3, 4]);
        assert_eq!(page.meta(5)["total_pages"], 3);
        let far = Page::read(&pairs(&[("page[number]", "9")])).unwrap();
        assert!(far.slice(&all).is_empty());
        assert_eq!(Page::read(&[]).unwrap().size, 20);
        for bad in [
            ("page[size]", "251"),
            ("page[size]", "0"),
            ("page[number]", "0"),
        ] {
            assert!(Page::read(&pairs(&[bad])).is_err(), "{bad:?}");
        }
    }
}
