//! Twilio's `Contains` search pattern: digits and letters (read as keypad
//! digits), `*` for one digit and `%` for a run of digits at either end, `+`
//! to anchor at the start of the number and `$` at its end.

/// A parsed `Contains` pattern, matched against the number's E.164 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContainsPattern {
    anchored_start: bool,
    anchored_end: bool,
    /// Digits the `*` wildcards before the literal digits ask for.
    lead: usize,
    digits: String,
    /// Digits the `*` wildcards after them ask for.
    trail: usize,
}

impl ContainsPattern {
    /// Parses a pattern; the error says which rule it breaks.
    pub(crate) fn parse(input: &str) -> Result<Self, String> {
        let len = input.chars().count();
        if !(2..=16).contains(&len) {
            return Err(format!(
                "Contains must be 2 to 16 characters long, got {len}"
            ));
        }
        let mut rest = input;
        let anchored_start = rest.starts_with('+');
        if anchored_start {
            rest = &rest[1..];
        }
        let anchored_end = rest.ends_with('$');
        if anchored_end {
            rest = &rest[..rest.len() - 1];
        }
        if rest.contains(['+', '$']) {
            return Err("Contains may hold '+' only first and '$' only last".into());
        }
        let lead: String = rest
            .chars()
            .take_while(|c| matches!(c, '*' | '%'))
            .collect();
        let body = &rest[lead.len()..];
        let trail: String = body
            .chars()
            .rev()
            .take_while(|c| matches!(c, '*' | '%'))
            .collect();
        let body = &body[..body.len() - trail.len()];
        let mut digits = String::with_capacity(body.len());
        for c in body.chars() {
            match keypad_digit(c) {
                Some(d) => digits.push(d),
                None if matches!(c, '*' | '%') => {
                    return Err(
                        "Contains may use wildcards only at the start or end, not between digits"
                            .into(),
                    );
                }
                None => return Err(format!("Contains may not hold {c:?}")),
            }
        }
        if digits.len() < 2 {
            return Err("Contains needs at least two digits or letters".into());
        }
        if (anchored_start && !lead.is_empty()) || (anchored_end && !trail.is_empty()) {
            return Err("Contains may not put '+' or '$' next to a wildcard".into());
        }
        Ok(Self {
            anchored_start,
            anchored_end,
            lead: lead.chars().filter(|c| *c == '*').count(),
            digits,
            trail: trail.chars().filter(|c| *c == '*').count(),
        })
    }

    /// Whether E.164 digits (no `+`) match. A wildcard asks for at least
    /// one digit (`*`) or any digits (`%`) on its side; an anchor asks for
    /// none.
    pub(crate) fn matches(&self, e164_digits: &str) -> bool {
        let d = self.digits.as_str();
        if e164_digits.len() < d.len() {
            return false;
        }
        (0..=e164_digits.len() - d.len()).any(|before| {
            let after = e164_digits.len() - before - d.len();
            let lead_ok = if self.anchored_start {
                before == 0
            } else {
                before >= self.lead
            };
            let trail_ok = if self.anchored_end {
                after == 0
            } else {
                after >= self.trail
            };
            lead_ok && trail_ok && e164_digits[before..].starts_with(d)
        })
    }
}

/// A digit, or a letter read on a phone keypad.
pub(crate) fn keypad_digit(c: char) -> Option<char> {
    if c.is_ascii_digit() {
        return Some(c);
    }
    let digit = match c.to_ascii_lowercase() {
        'a' | 'b' | 'c' => '2',
        'd' | 'e' | 'f' => '3',
        'g' | 'h' | 'i' => '4',
        'j' | 'k' | 'l' => '5',
        'm' | 'n' | 'o' => '6',
        'p' | 'q' | 'r' | 's' => '7',
        't' | 'u' | 'v' => '8',
        'w' | 'x' | 'y' | 'z' => '9',
        _ => return None,
    };
    Some(digit)
}

/// Twilio's owned-number `PhoneNumber` filter: partial numbers, `*` for any
/// digit, matched anywhere in the E.164 text.
pub(crate) fn owned_number_matches(filter: &str, e164: &str) -> bool {
    let filter = filter.trim();
    let filter = filter.strip_prefix('+').unwrap_or(filter);
    let digits = e164.strip_prefix('+').unwrap_or(e164);
    if filter.is_empty() || filter.len() > digits.len() {
        return filter.is_empty();
    }
    (0..=digits.len() - filter.len()).any(|start| {
        filter
            .bytes()
            .zip(digits[start..].bytes())
            .all(|(f, d)| f == b'*' || f == d)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, number: &str) -> bool {
        ContainsPattern::parse(pattern).unwrap().matches(number)
    }

    #[test]
    fn plain_digits_match_anywhere() {
        assert!(m("5551", "16045551234"));
        assert!(m("1234", "16045551234"));
        assert!(!m("9999", "16045551234"));
    }

    #[test]
    fn anchors_pin_the_ends() {
        assert!(m("+1604", "16045551234"));
        assert!(!m("+604", "16045551234"));
        assert!(m("1234$", "16045551234"));
        assert!(!m("123$", "16045551234"));
        assert!(m("+16045551234$", "16045551234"));
    }

    #[test]
    fn wildcards_count_digits() {
        assert!(m("0455****", "16045551234"));
        assert!(!m("5551****", "16045551234"));
        assert!(!m("1234*", "16045551234"));
        assert!(m("*1604", "116045551234"));
        assert!(!m("*1604", "16045551234"));
        assert!(m("604%", "16045551234"));
        assert!(m("%1234", "16045551234"));
        assert!(m("%16045551234", "16045551234"));
    }

    #[test]
    fn letters_are_keypad_digits() {
        // 5551234 spells JKL-1-ADG... use a word: "call" = 2255.
        assert!(m("CALL", "15122255000"));
        assert!(m("call$", "15120002255"));
        assert!(!m("CALL", "15121111111"));
    }

    #[test]
    fn bad_patterns_say_why() {
        for (pattern, word) in [
            ("1", "2 to 16"),
            ("12345678901234567", "2 to 16"),
            ("5*5", "only at the start or end"),
            ("+1***555", "only at the start or end"),
            ("5$5", "'+' only first"),
            ("1+2", "'+' only first"),
            ("+*12", "next to a wildcard"),
            ("12*$", "next to a wildcard"),
            ("*1", "at least two"),
            ("12-3", "'-'"),
        ] {
            let err = ContainsPattern::parse(pattern).unwrap_err();
            assert!(err.contains(word), "{pattern}: {err}");
        }
    }

    #[test]
    fn owned_number_filter_takes_partials_and_stars() {
        assert!(owned_number_matches("+16045551234", "+16045551234"));
        assert!(owned_number_matches("555", "+16045551234"));
        assert!(owned_number_matches("604***1234", "+16045551234"));
        assert!(!owned_number_matches("604***1235", "+16045551234"));
        assert!(!owned_number_matches("+160455512345", "+16045551234"));
    }
}
