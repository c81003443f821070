//! `Retry-After`, read once for every carrier: a number of seconds or an
//! HTTP date (RFC 9110, section 10.2.3), with chrono, the date library core
//! already depends on.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::header::{HeaderMap, HeaderName, RETRY_AFTER};

/// How long the header asks to wait from `now`; `None` when it is absent
/// or unreadable. A date in the past is no wait at all.
pub(crate) fn from_headers(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    parse(headers.get(RETRY_AFTER)?.to_str().ok()?, now)
}

/// The whole seconds a header such as `x-ratelimit-reset` gives; `None`
/// when it is absent or not a whole number.
pub(crate) fn seconds(headers: &HeaderMap, name: &HeaderName) -> Option<Duration> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    value.parse::<u64>().ok().map(Duration::from_secs)
}

/// [`from_headers`] for the header's value.
pub(crate) fn parse(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = http_date(value)?;
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// The three forms a recipient must accept: IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`, an RFC 2822 date), and the obsolete
/// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
/// (`Sun Nov  6 08:49:37 1994`) forms.
fn http_date(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc2822(value) {
        return Some(at.with_timezone(&Utc));
    }
    ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(value, format).ok())
        .map(|at| at.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use reqwest::header::HeaderValue;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn seconds_and_every_http_date_form_are_read() {
        assert_eq!(parse("7", now()), Some(Duration::from_secs(7)));
        assert_eq!(parse(" 0 ", now()), Some(Duration::ZERO));
        for date in [
            "Thu, 01 Jan 2026 00:00:09 GMT",
            "Thursday, 01-Jan-26 00:00:09 GMT",
            "Thu Jan  1 00:00:09 2026",
        ] {
            assert_eq!(parse(date, now()), Some(Duration::from_secs(9)), "{date}");
        }
    }

    #[test]
    fn a_past_date_is_no_wait_and_nonsense_is_none() {
        assert_eq!(
            parse("Wed, 31 Dec 2025 23:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
        for bad in ["soon", "-5", "1.5", "", "Thu, 99 Jan 2026 00:00:09 GMT"] {
            assert_eq!(parse(bad, now()), None, "{bad:?}");
        }
    }

    #[test]
    fn a_reset_header_is_whole_seconds() {
        let name = HeaderName::from_static("x-ratelimit-reset");
        let mut headers = HeaderMap::new();
        assert_eq!(seconds(&headers, &name), None);
        for (value, wait) in [
            ("12", Some(12)),
            (" 3 ", Some(3)),
            ("1.5", None),
            ("soon", None),
        ] {
            headers.insert(&name, HeaderValue::from_static(value));
            assert_eq!(
                seconds(&headers, &name),
                wait.map(Duration::from_secs),
                "{value}"
            );
        }
    }

    #[test]
    fn the_header_is_found_by_name() {
        let mut headers = HeaderMap::new();
        assert_eq!(from_headers(&headers, now()), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(
            from_headers(&headers, now()),
            Some(Duration::from_secs(120))
        );
    }
}
