//! Cursor paging, shared by carriers' owned-number listings and repositories.

use serde::{Deserialize, Serialize};

/// The largest page any listing returns.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Which page to fetch: the cursor from the previous page, and a size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    /// Opaque cursor from [`Page::next_cursor`]; `None` for the first page.
    pub cursor: Option<String>,
    /// At most this many items, 1 to [`MAX_PAGE_SIZE`].
    pub limit: u32,
}

impl PageRequest {
    /// The first page of `limit` items.
    pub fn first(limit: u32) -> Self {
        Self {
            cursor: None,
            limit: limit.clamp(1, MAX_PAGE_SIZE),
        }
    }

    /// The page after one that returned `cursor`.
    pub fn after(cursor: impl Into<String>, limit: u32) -> Self {
        Self {
            cursor: Some(cursor.into()),
            limit: limit.clamp(1, MAX_PAGE_SIZE),
        }
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::first(100)
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items, in a stable order.
    pub items: Vec<T>,
    /// The cursor of the next page, `None` on the last.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A last page holding `items`.
    pub fn last(items: Vec<T>) -> Self {
        Self {
            items,
            next_cursor: None,
        }
    }
}
