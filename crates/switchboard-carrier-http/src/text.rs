//! Carrier text quoted into errors: bounded and on one line, because it ends
//! up in logs and API answers, whatever the carrier (or a proxy's HTML
//! page) sent.

/// The most characters of a carrier's text an error quotes.
pub const MAX_QUOTED_CHARS: usize = 300;

/// `text` trimmed, control characters turned into spaces, cut at
/// [`MAX_QUOTED_CHARS`] with `…` marking the cut; `None` when nothing is
/// left to say.
pub fn quote(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut quoted: String = text
        .chars()
        .take(MAX_QUOTED_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(MAX_QUOTED_CHARS).is_some() {
        quoted.push('…');
    }
    Some(quoted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_one_bounded_line() {
        assert_eq!(
            quote(" <html>\nBad\u{0}gateway</html> ").as_deref(),
            Some("<html> Bad gateway</html>")
        );
        assert_eq!(quote(" \n "), None);
        let long = quote(&"é".repeat(1000)).unwrap();
        assert_eq!(long.chars().count(), MAX_QUOTED_CHARS + 1);
        assert!(long.ends_with('…'));
        let exact = quote(&"x".repeat(MAX_QUOTED_CHARS)).unwrap();
        assert!(!exact.ends_with('…'));
    }
}
