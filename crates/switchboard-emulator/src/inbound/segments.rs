//! How many SMS segments a body takes (`NumSegments`): a body the GSM 03.38
//! alphabet can write goes in 7-bit characters, 160 to a lone segment and
//! 153 to each part of a longer one; any other character makes the whole
//! body UCS-2, 70 and 67 UTF-16 units.

/// The GSM 03.38 basic character set.
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                     ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// Characters of the extension table: each takes an escape and itself.
const EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// The segments `body` is sent in; at least 1 (an empty body, as with an
/// MMS of media only, still counts as one).
pub(crate) fn count(body: &str) -> usize {
    let septets = body.chars().try_fold(0usize, |n, c| {
        if BASIC.contains(c) {
            Some(n + 1)
        } else if EXTENSION.contains(c) {
            Some(n + 2)
        } else {
            None
        }
    });
    let (units, single, part) = match septets {
        Some(septets) => (septets, 160, 153),
        None => (body.encode_utf16().count(), 70, 67),
    };
    if units <= single {
        1
    } else {
        units.div_ceil(part)
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn gsm_bodies_take_160_then_153_per_part() {
        assert_eq!(count(""), 1);
        assert_eq!(count(&"a".repeat(160)), 1);
        assert_eq!(count(&"a".repeat(161)), 2);
        assert_eq!(count(&"a".repeat(306)), 2);
        assert_eq!(count(&"a".repeat(307)), 3);
        // Extension characters count twice.
        assert_eq!(count(&"€".repeat(80)), 1);
        assert_eq!(count(&"€".repeat(81)), 2);
    }

    #[test]
    fn one_character_outside_gsm_makes_the_body_ucs2() {
        assert_eq!(count(&"a".repeat(69)), 1);
        let mut body = "a".repeat(70);
        assert_eq!(count(&body), 1);
        body.push('✓');
        assert_eq!(count(&body), 2);
        assert_eq!(count(&"✓".repeat(134)), 2);
        assert_eq!(count(&"✓".repeat(135)), 3);
        // A character outside the BMP is two UTF-16 units.
        assert_eq!(count(&"😀".repeat(35)), 1);
        assert_eq!(count(&"😀".repeat(36)), 2);
    }
}
