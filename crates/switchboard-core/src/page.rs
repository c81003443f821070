//! Cursor paging, shared by carriers' owned-number listings and repositories.

use std::future::Future;

use crate::{Error, Result};

/// The largest page any listing returns.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Which page to fetch: the cursor from the previous page, and a size.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Every item of a paged listing: fetches pages of [`MAX_PAGE_SIZE`] from
/// the first until one has no next cursor. For the callers that need the
/// whole set at once (reconcile, restoring the fake's state), so the cursor
/// handling lives in one place.
pub async fn collect_pages<T, F, Fut>(fetch: F) -> Result<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    let mut items = Vec::new();
    walk_pages(fetch, |batch| items.extend(batch)).await?;
    Ok(items)
}

/// Hands each page's items to `each` until the last page. A listing that
/// returns a cursor it returned before would loop for ever: that ends the
/// walk with [`Error::Inconsistent`], after the pages read so far.
pub(crate) async fn walk_pages<T, F, Fut>(mut fetch: F, mut each: impl FnMut(Vec<T>)) -> Result<()>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    let mut seen = std::collections::HashSet::new();
    let mut page = PageRequest::first(MAX_PAGE_SIZE);
    loop {
        let batch = fetch(page).await?;
        each(batch.items);
        match batch.next_cursor {
            Some(cursor) if !seen.insert(cursor.clone()) => {
                return Err(Error::Inconsistent {
                    source_name: "a paged listing".into(),
                    message: format!("it returned the cursor {cursor:?} twice; stopped there"),
                });
            }
            Some(cursor) => page = PageRequest::after(cursor, MAX_PAGE_SIZE),
            None => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn collect_pages_follows_cursors_to_the_last_page() {
        let pages = [vec![1, 2], vec![3], vec![]];
        let mut asked = Vec::new();
        let all = collect_pages(|page: PageRequest| {
            asked.push(page.cursor.clone());
            let index: usize = page.cursor.as_deref().map_or(0, |c| c.parse().unwrap());
            let items = pages[index].clone();
            let next = (index + 1 < pages.len()).then(|| (index + 1).to_string());
            async move {
                Ok(Page {
                    items,
                    next_cursor: next,
                })
            }
        })
        .await
        .unwrap();
        assert_eq!(all, vec![1, 2, 3]);
        assert_eq!(asked, vec![None, Some("1".into()), Some("2".into())]);
    }

    #[tokio::test]
    async fn a_listing_that_repeats_a_cursor_ends_instead_of_looping() {
        let mut calls = 0;
        let result = collect_pages(|page: PageRequest| {
            calls += 1;
            // Page "a" points to "b", and "b" back to "a".
            let next = match page.cursor.as_deref() {
                None => "a",
                Some("a") => "b",
                _ => "a",
            };
            async move {
                Ok(Page {
                    items: vec![1],
                    next_cursor: Some(next.to_string()),
                })
            }
        })
        .await;
        let error = result.unwrap_err();
        assert!(matches!(error, Error::Inconsistent { .. }), "{error}");
        assert!(error.to_string().contains("\"a\" twice"), "{error}");
        assert_eq!(calls, 3);
    }

    #[tokio::test]
    async fn collect_pages_stops_at_the_first_error() {
        let mut calls = 0;
        let result: Result<Vec<u8>> = collect_pages(|_| {
            calls += 1;
            async { Err(crate::Error::not_found("page")) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls, 1);
    }
}
