//! SignalWire's `links.next` as core's opaque page cursor.
//!
//! `links.next` may be a path on the space or an absolute URL
//! (docs/carriers/signalwire.md, "Operations"). The
//! cursor handed to callers is the link resolved and reduced to path and
//! query, so that it does not depend on which spelling SignalWire used. Both
//! directions are checked: a link to another host is not followed (the
//! request would carry our credentials there), and a cursor that does not
//! name the listing endpoint is refused, so a caller-supplied cursor cannot
//! steer an authenticated request anywhere else.

use reqwest::Url;
use switchboard_core::{Error, Result};

use crate::errors::PROVIDER;

/// The cursor for the page `next` names, found on the page fetched from `page_url`.
pub(crate) fn cursor_from_link(page_url: &Url, next: &str, list_path: &str) -> Result<String> {
    let resolved = page_url
        .join(next.trim())
        .map_err(|e| bad_link(next, &e.to_string()))?;
    if resolved.origin() != page_url.origin() {
        return Err(bad_link(
            next,
            "it points outside the configured space, and credentials are not sent elsewhere",
        ));
    }
    if resolved.path() != list_path {
        return Err(bad_link(next, "it does not name the phone-number listing"));
    }
    Ok(match resolved.query() {
        Some(query) => format!("{}?{query}", resolved.path()),
        None => resolved.path().to_string(),
    })
}

fn bad_link(next: &str, why: &str) -> Error {
    Error::Carrier {
        provider: PROVIDER.into(),
        status: None,
        code: None,
        message: Some(format!(
            "cannot follow links.next {:?}: {why}",
            next.chars().take(200).collect::<String>()
        )),
    }
}

/// The URL of the page a cursor names, on `space`.
pub(crate) fn url_from_cursor(space: &Url, cursor: &str, list_path: &str) -> Result<Url> {
    let invalid = || {
        Error::invalid(
            "cursor",
            "is not a cursor returned by this SignalWire adapter's listing",
        )
    };
    if !cursor.starts_with('/') || cursor.starts_with("//") {
        return Err(invalid());
    }
    let url = space.join(cursor).map_err(|_| invalid())?;
    if url.origin() != space.origin() || url.path() != list_path {
        return Err(invalid());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "/api/relay/rest/phone_numbers";

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
                cursor_from_link(&page(), link, LIST).unwrap(),
                expected,
                "{link}"
            );
        }
    }

    #[test]
    fn links_and_cursors_elsewhere_are_refused() {
        assert!(
            cursor_from_link(
                &page(),
                "https://evil.example/api/relay/rest/phone_numbers",
                LIST
            )
            .is_err()
        );
        assert!(cursor_from_link(&page(), "/api/relay/rest/addresses?x=1", LIST).is_err());
        let space = Url::parse("https://example.signalwire.com/").unwrap();
        assert!(
            url_from_cursor(&space, "/api/relay/rest/phone_numbers?page_token=x", LIST).is_ok()
        );
        for bad in [
            "//evil.example/api/relay/rest/phone_numbers",
            "https://evil.example/api/relay/rest/phone_numbers",
            "/api/relay/rest/phone_numbers/../addresses",
            "garbage",
        ] {
            assert_eq!(
                url_from_cursor(&space, bad, LIST).unwrap_err().field(),
                Some("cursor"),
                "{bad}"
            );
        }
    }
}
