//! Paged listings: a carrier's "next page" link as core's opaque cursor and
//! back, and the search through a filtered listing.
//!
//! Both directions are checked against the one listing the adapter reads:
//! a link to another host is not followed (the request would carry the
//! credentials there), and a cursor handed back by a caller must name that
//! listing on the configured host, so that it cannot steer an
//! authenticated request anywhere else. The cursor is the page's path
//! under the base URL and its query, so it does not depend on how the
//! carrier spelled the link (Twilio's `next_page_uri` is a path relative to
//! the base URL; SignalWire's `links.next` a path or an absolute URL).

use std::future::Future;

use reqwest::Url;
use switchboard_core::{Error, Page, PageRequest, Result, collect_pages};

/// The longest cursor accepted back from a caller.
const MAX_CURSOR_LEN: usize = 4096;

/// One carrier listing, for checking its links and cursors.
#[derive(Debug, Clone)]
pub struct Listing {
    carrier: &'static str,
    base: Url,
    /// The base URL as text without a trailing `/`: a cursor is appended.
    base_text: String,
    /// The listing's path under the base URL, e.g.
    /// `/2010-04-01/Accounts/AC.../IncomingPhoneNumbers.json`.
    list_path: String,
    /// The base URL's own path (a proxy's prefix, say) and `list_path`:
    /// what every page's path must be.
    full_path: String,
    link_name: &'static str,
    origin_name: &'static str,
}

impl Listing {
    /// The listing at `list_path` (starting with `/`) under `base`, which
    /// has no query and at most a path prefix.
    pub fn new(carrier: &'static str, base: &Url, list_path: impl Into<String>) -> Self {
        let base_text = base.as_str().trim_end_matches('/').to_string();
        let prefix = base.path().trim_end_matches('/');
        let list_path = list_path.into();
        Self {
            carrier,
            base: base.clone(),
            full_path: format!("{prefix}{list_path}"),
            base_text,
            list_path,
            link_name: "next page link",
            origin_name: "base URL",
        }
    }

    /// Names the carrier's link field and what the base URL is called for
    /// it, for messages a person can place (`links.next`, `space`).
    pub fn described_as(mut self, link_name: &'static str, origin_name: &'static str) -> Self {
        self.link_name = link_name;
        self.origin_name = origin_name;
        self
    }

    /// The URL of the first page, before any query.
    pub fn first_page(&self) -> Url {
        let mut url = self.base.clone();
        url.set_path(&self.full_path);
        url
    }

    /// The cursor for the page `link` names, found on the page fetched from
    /// `page_url`. A link starting with `/` is relative to the base URL;
    /// any other relative link to the page; an absolute one must be on the
    /// configured host.
    pub fn cursor_from_link(&self, page_url: &Url, link: &str) -> Result<String> {
        let link = link.trim();
        let resolved = if link.starts_with('/') && !link.starts_with("//") {
            Url::parse(&format!("{}{link}", self.base_text))
        } else {
            page_url.join(link)
        }
        .map_err(|e| self.bad_link(link, &e.to_string()))?;
        if resolved.origin() != self.base.origin() {
            let why = format!(
                "it points outside the configured {}, and credentials are not sent elsewhere",
                self.origin_name
            );
            return Err(self.bad_link(link, &why));
        }
        if resolved.path() != self.full_path {
            return Err(self.bad_link(link, "it does not name the listing it came from"));
        }
        let mut cursor = self.list_path.clone();
        if let Some(query) = resolved.query() {
            cursor.push('?');
            cursor.push_str(query);
        }
        Ok(cursor)
    }

    /// The URL of the page a caller's cursor names: only a cursor that
    /// [`Listing::cursor_from_link`] could have made is accepted.
    pub fn url_from_cursor(&self, cursor: &str) -> Result<Url> {
        let invalid = || {
            Error::invalid(
                "cursor",
                format!(
                    "is not a cursor returned by this {} adapter's listing",
                    self.carrier
                ),
            )
        };
        let rest = cursor.strip_prefix(self.list_path.as_str());
        let well_formed = cursor.len() <= MAX_CURSOR_LEN
            && matches!(rest, Some(r) if r.is_empty() || r.starts_with('?'))
            && !cursor
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '#' || c == '\\');
        if !well_formed {
            return Err(invalid());
        }
        let url = Url::parse(&format!("{}{cursor}", self.base_text)).map_err(|_| invalid())?;
        if url.origin() != self.base.origin() || url.path() != self.full_path {
            return Err(invalid());
        }
        Ok(url)
    }

    fn bad_link(&self, link: &str, why: &str) -> Error {
        Error::Carrier {
            provider: self.carrier.to_string(),
            status: None,
            code: None,
            message: Some(format!(
                "cannot follow {} {:?}: {why}",
                self.link_name,
                link.chars().take(200).collect::<String>()
            )),
        }
    }
}

/// The first item of a filtered listing for which `is_match` holds,
/// reading at most `max_pages` pages and none after the page it is on.
///
/// For `find_owned`: carriers' number filters match loosely (a substring,
/// say), so the exact number is looked for among what they return, and a
/// listing longer than a filter on one number can explain is an error
/// rather than a walk through the whole account. `fetch` gets the cursor
/// of the page to read, `None` for the first. Built on core's
/// [`collect_pages`], which also ends a listing that repeats a cursor.
pub async fn find_in_pages<T, F, Fut>(
    carrier: &str,
    max_pages: usize,
    mut fetch: F,
    is_match: impl Fn(&T) -> bool,
) -> Result<Option<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    let is_match = &is_match;
    let mut pages = 0;
    let found = collect_pages(|page: PageRequest| {
        pages += 1;
        let next = (pages <= max_pages).then(|| fetch(page.cursor));
        async move {
            let Some(next) = next else {
                return Err(Error::Carrier {
                    provider: carrier.to_string(),
                    status: None,
                    code: None,
                    message: Some(format!(
                        "no exact match in the first {max_pages} pages of a filtered listing; \
                         stopped there"
                    )),
                });
            };
            let Page {
                mut items,
                next_cursor,
            } = next.await?;
            items.retain(is_match);
            // Found: the walk ends on this page.
            let next_cursor = next_cursor.filter(|_| items.is_empty());
            Ok(Page { items, next_cursor })
        }
    })
    .await?;
    Ok(found.into_iter().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWILIO_LIST: &str =
        "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/IncomingPhoneNumbers.json";
    const SIGNALWIRE_LIST: &str = "/api/relay/rest/phone_numbers";

    fn signalwire() -> Listing {
        let space = Url::parse("https://example.signalwire.com/").unwrap();
        Listing::new("signalwire", &space, SIGNALWIRE_LIST).described_as("links.next", "space")
    }

    fn twilio(base: &str) -> Listing {
        Listing::new("twilio", &Url::parse(base).unwrap(), TWILIO_LIST)
    }

    fn page() -> Url {
        Url::parse("https://example.signalwire.com/api/relay/rest/phone_numbers?page_size=2")
            .unwrap()
    }

    #[test]
    fn relative_and_absolute_links_give_the_same_cursor() {
        let expected = "/api/relay/rest/phone_numbers?page_number=1&page_size=2&page_token=PA1";
        for link in [
            "/api/relay/rest/phone_numbers?page_number=1&page_size=2&page_token=PA1",
            "https://example.signalwire.com/api/relay/rest/phone_numbers?page_number=1&page_size=2&page_token=PA1",
            "phone_numbers?page_number=1&page_size=2&page_token=PA1",
            "?page_number=1&page_size=2&page_token=PA1",
        ] {
            assert_eq!(
                signalwire().cursor_from_link(&page(), link).unwrap(),
                expected,
                "{link}"
            );
        }
    }

    #[test]
    fn a_path_link_is_relative_to_the_base_url_prefix_included() {
        let listing = twilio("https://proxy.example/twilio/");
        assert_eq!(
            listing.first_page().as_str(),
            format!("https://proxy.example/twilio{TWILIO_LIST}")
        );
        let link = format!("{TWILIO_LIST}?PageSize=2&Page=1&PageToken=PAx");
        let cursor = listing
            .cursor_from_link(&listing.first_page(), &link)
            .unwrap();
        assert_eq!(cursor, link);
        assert_eq!(
            listing.url_from_cursor(&cursor).unwrap().as_str(),
            format!("https://proxy.example/twilio{link}")
        );
    }

    #[test]
    fn links_elsewhere_are_not_followed_and_say_why() {
        let listing = signalwire();
        let err = listing
            .cursor_from_link(&page(), "https://evil.example/api/relay/rest/phone_numbers")
            .unwrap_err();
        assert!(matches!(err, Error::Carrier { .. }), "{err:?}");
        assert!(
            err.to_string().contains("outside the configured space"),
            "{err}"
        );
        for link in [
            "//evil.example/api/relay/rest/phone_numbers",
            "/api/relay/rest/addresses?x=1",
            "http://example.signalwire.com/api/relay/rest/phone_numbers",
        ] {
            assert!(listing.cursor_from_link(&page(), link).is_err(), "{link}");
        }
    }

    #[test]
    fn only_cursors_naming_the_listing_are_accepted() {
        let good = format!("{TWILIO_LIST}?PageSize=2&Page=1&PageToken=PAx");
        let listing = twilio("http://127.0.0.1:9");
        assert_eq!(
            listing.url_from_cursor(&good).unwrap().as_str(),
            format!("http://127.0.0.1:9{good}")
        );
        for bad in [
            format!("@evil.example{TWILIO_LIST}"),
            format!("https://evil.example{TWILIO_LIST}"),
            "/2010-04-01/Accounts/ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/IncomingPhoneNumbers.json"
                .to_string(),
            format!("{TWILIO_LIST}x"),
            format!("{TWILIO_LIST}?a=1 b"),
            format!("{TWILIO_LIST}#x"),
            format!("{TWILIO_LIST}?{}", "x".repeat(MAX_CURSOR_LEN)),
            String::new(),
        ] {
            let err = listing.url_from_cursor(&bad).unwrap_err();
            assert_eq!(err.field(), Some("cursor"), "{bad}");
        }
        let listing = signalwire();
        assert!(
            listing
                .url_from_cursor("/api/relay/rest/phone_numbers?page_token=x")
                .is_ok()
        );
        for bad in [
            "//evil.example/api/relay/rest/phone_numbers",
            "https://evil.example/api/relay/rest/phone_numbers",
            "/api/relay/rest/phone_numbers/../addresses",
            "garbage",
        ] {
            assert_eq!(
                listing.url_from_cursor(bad).unwrap_err().field(),
                Some("cursor"),
                "{bad}"
            );
        }
    }

    /// A listing of `pages`, each page's cursor its index.
    fn pages(
        pages: Vec<Vec<u32>>,
        asked: &mut Vec<Option<String>>,
    ) -> impl FnMut(Option<String>) -> std::future::Ready<Result<Page<u32>>> + '_ {
        move |cursor| {
            asked.push(cursor.clone());
            let index: usize = cursor.map_or(0, |c| c.parse().unwrap());
            let next = (index + 1 < pages.len()).then(|| (index + 1).to_string());
            std::future::ready(Ok(Page {
                items: pages[index].clone(),
                next_cursor: next,
            }))
        }
    }

    #[tokio::test]
    async fn the_search_stops_on_the_page_of_the_first_match() {
        let mut asked = Vec::new();
        let listing = vec![vec![1, 2], vec![3, 4], vec![5]];
        let found = find_in_pages("c", 10, pages(listing, &mut asked), |n| {
            n % 2 == 1 && *n > 1
        })
        .await
        .unwrap();
        assert_eq!(found, Some(3));
        assert_eq!(asked, vec![None, Some("1".into())]);
        let mut asked = Vec::new();
        let none = find_in_pages("c", 10, pages(vec![vec![1], vec![2]], &mut asked), |n| {
            *n > 5
        })
        .await
        .unwrap();
        assert_eq!(none, None);
        assert_eq!(asked.len(), 2);
    }

    #[tokio::test]
    async fn a_listing_longer_than_the_bound_is_an_error() {
        let mut asked = Vec::new();
        let err = find_in_pages("c", 2, pages(vec![vec![1]; 5], &mut asked), |_| false)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("first 2 pages"), "{err}");
        assert_eq!(asked.len(), 2);
    }
}
