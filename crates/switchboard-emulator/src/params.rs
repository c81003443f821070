//! Query strings and form bodies as ordered key/value pairs, with the check
//! strict mode applies: only parameters the carrier's description declares.

/// Decoded `key=value` pairs; `None` when the text is not URL-encoded.
pub(crate) fn pairs(text: Option<&str>) -> Option<Vec<(String, String)>> {
    match text {
        None | Some("") => Some(Vec::new()),
        Some(text) => serde_urlencoded::from_str(text).ok(),
    }
}

/// Owned pairs from literals, for tests.
#[cfg(test)]
pub(crate) fn owned_pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The first value of `key`.
pub(crate) fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The first key not in `declared`.
pub(crate) fn undeclared<'a>(pairs: &'a [(String, String)], declared: &[&str]) -> Option<&'a str> {
    pairs
        .iter()
        .map(|(k, _)| k.as_str())
        .find(|k| !declared.contains(k))
}

/// `true`/`false` in any case; the error names the parameter.
pub(crate) fn boolean(key: &str, value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("{key} must be true or false, got {value:?}")),
    }
}

/// An integer in `min..=max`; the error names the parameter.
pub(crate) fn integer(key: &str, value: &str, min: u64, max: u64) -> Result<u64, String> {
    match value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{key} must be an integer from {min} to {max}, got {value:?}"
        )),
    }
}

/// `(AAA) EEE-SSSS` for North American numbers, E.164 otherwise.
pub(crate) fn national_format(e164: &str) -> String {
    match e164.strip_prefix("+1") {
        Some(d) if d.len() == 10 => format!("({}) {}-{}", &d[..3], &d[3..6], &d[6..]),
        _ => e164.to_string(),
    }
}

/// `+1 AAA-EEE-SSSS` for North American numbers, E.164 otherwise.
pub(crate) fn international_format(e164: &str) -> String {
    match e164.strip_prefix("+1") {
        Some(d) if d.len() == 10 => format!("+1 {}-{}-{}", &d[..3], &d[3..6], &d[6..]),
        _ => e164.to_string(),
    }
}

/// A stable, plausible coordinate pair for a place: the catalogue has no
/// coordinates, and Twilio answers some, so they are derived from the place
/// name (the same place always gets the same point).
pub(crate) fn coordinates(country: &str, place: &str) -> (f64, f64) {
    let hash = place.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let a = (hash & 0xFFFF) as f64 / 65_535.0;
    let b = ((hash >> 16) & 0xFFFF) as f64 / 65_535.0;
    let round = |x: f64| (x * 1e6).round() / 1e6;
    match country {
        "CA" => (round(43.0 + a * 10.0), round(-123.0 + b * 60.0)),
        "GB" => (round(50.5 + a * 5.0), round(-4.0 + b * 5.0)),
        _ => (round(26.0 + a * 21.0), round(-122.0 + b * 50.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_decode_and_check() {
        let p = pairs(Some("AreaCode=512&Contains=%2B1512&X=1")).unwrap();
        assert_eq!(get(&p, "Contains"), Some("+1512"));
        assert_eq!(undeclared(&p, &["AreaCode", "Contains"]), Some("X"));
        // A raw `+` is a space in form encoding: clients must send %2B.
        assert_eq!(
            get(&pairs(Some("Contains=+1512")).unwrap(), "Contains"),
            Some(" 1512")
        );
        assert!(
            integer("PageSize", "0", 1, 1000)
                .unwrap_err()
                .contains("PageSize")
        );
        assert!(boolean("SmsEnabled", "TRUE").unwrap());
        assert!(boolean("SmsEnabled", "yes").is_err());
    }

    #[test]
    fn formats() {
        assert_eq!(national_format("+15125550123"), "(512) 555-0123");
        assert_eq!(international_format("+15125550123"), "+1 512-555-0123");
        assert_eq!(national_format("+442071234567"), "+442071234567");
        assert_eq!(coordinates("US", "Austin"), coordinates("US", "Austin"));
    }
}
