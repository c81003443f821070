//! A direct reader for the search answer, the one large answer (about 10 KB
//! for 30 numbers), tried before serde.
//!
//! It reads only the plain form of the answer: objects, arrays, strings
//! without escapes, numbers, `true`, `false` and `null`, with text fields
//! that are strings or null. On anything else (an escape, a number where
//! text is read, a duplicate `available_phone_numbers`, malformed JSON, deep
//! nesting) it gives up and the caller reads the answer with serde
//! ([`crate::wire::AvailableList`]'s `Deserialize`), which is the definition
//! of what the answer means: whenever this reader returns a list, it is the
//! list serde would return, and the tests compare the two on every quirk.
//!
//! Why it exists: serde_json's generic path (key identification, visitor
//! calls per value, per-string checks) cost about twice a bare scan of the
//! body, and that was most of what a search added to the HTTP exchange.

use std::borrow::Cow;

use switchboard_core::Capabilities;

use crate::wire::{AvailableList, AvailableWire};

/// How deep skipped values may nest before the reader gives up (serde_json
/// refuses past 128).
const MAX_DEPTH: usize = 64;

/// Room made for a full page up front (live quirk 1).
const FULL_PAGE: usize = crate::provider::MAX_SEARCH_RESULTS as usize;

/// The answer read directly, or `None` to read it with serde instead.
pub(crate) fn available_list(body: &[u8]) -> Option<AvailableList<'_>> {
    // One check of the whole body instead of one per string kept: a body
    // that is not UTF-8 throughout is left to serde, which checks only the
    // strings it reads.
    let text = std::str::from_utf8(body).ok()?;
    let mut r = Reader {
        s: text,
        b: body,
        i: 0,
    };
    let mut list = None;
    r.ws();
    r.expect(b'{')?;
    r.ws();
    if !r.eat(b'}') {
        loop {
            if r.key()? == b"available_phone_numbers" {
                if list.is_some() {
                    return None; // serde refuses a duplicate field
                }
                list = Some(r.entries()?);
            } else {
                r.skip(0)?;
            }
            r.ws();
            if r.eat(b'}') {
                break;
            }
            r.expect(b',')?;
            r.ws();
        }
    }
    r.ws();
    if r.i != r.b.len() {
        return None;
    }
    Some(AvailableList {
        available_phone_numbers: list.unwrap_or_default(),
    })
}

/// Where the first `"`, `\\` or control character of `bytes` is, eight
/// bytes at a time (the same bit trick serde_json uses): most of the answer
/// is strings.
#[inline(always)]
fn string_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES << 7;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let control = x.wrapping_sub(ONES * 0x20) & !x;
        let quote = x ^ (ONES * u64::from(b'"'));
        let quote = quote.wrapping_sub(ONES) & !quote;
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let backslash = backslash.wrapping_sub(ONES) & !backslash;
        let found = (control | quote | backslash) & HIGH;
        if found != 0 {
            return Some(at + found.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let tail = chunks.remainder();
    tail.iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|i| at + i)
}

struct Reader<'a> {
    /// The body, known to be UTF-8.
    s: &'a str,
    /// The same, as bytes.
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    #[inline(always)]
    fn eat(&mut self, byte: u8) -> bool {
        let here = self.peek() == Some(byte);
        self.i += usize::from(here);
        here
    }

    #[inline(always)]
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    /// A string without escapes or control characters, as raw bytes; the
    /// opening quote is next.
    #[inline(always)]
    fn string(&mut self) -> Option<&'a [u8]> {
        self.expect(b'"')?;
        let start = self.i;
        let rest = self.b.get(start..)?;
        let len = string_end(rest)?;
        if rest[len] != b'"' {
            return None;
        }
        self.i = start + len + 1;
        Some(&rest[..len])
    }

    /// A string as text: [`Self::string`] cut from the UTF-8 body (quotes
    /// are ASCII, so the cut is on character boundaries).
    #[inline(always)]
    fn text_value(&mut self) -> Option<&'a str> {
        let start = self.i + 1;
        let raw = self.string()?;
        self.s.get(start..start + raw.len())
    }

    /// `"key"` and the colon after it, with white space around.
    #[inline(always)]
    fn key(&mut self) -> Option<&'a [u8]> {
        let key = self.string()?;
        self.ws();
        self.expect(b':')?;
        self.ws();
        Some(key)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i.checked_add(word.len())?;
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    /// A number, checked against JSON's grammar and not converted.
    fn number(&mut self) -> Option<()> {
        self.eat(b'-');
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.eat(b'.') && self.digits() == 0 {
            return None;
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    /// A value serde visits rather than skips (a text field, a flag, the
    /// capabilities): serde_json then reads a number as one, refusing one
    /// out of `f64`'s range (strings it checks as UTF-8, which the whole
    /// body already is here). Numbers here are
    /// taken only when that cannot happen (no exponent, under 300
    /// characters); nested arrays and objects are skipped, as serde does.
    fn visited(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                self.number()?;
                let number = &self.b[start..self.i];
                let in_range =
                    number.len() < 300 && !number.iter().any(|&c| c == b'e' || c == b'E');
                in_range.then_some(())
            }
            _ => self.skip(depth),
        }
    }

    /// Any value, checked and not kept.
    fn skip(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'[' if depth < MAX_DEPTH => {
                self.i += 1;
                self.ws();
                if self.eat(b']') {
                    return Some(());
                }
                loop {
                    self.skip(depth + 1)?;
                    self.ws();
                    if self.eat(b']') {
                        return Some(());
                    }
                    self.expect(b',')?;
                    self.ws();
                }
            }
            b'{' if depth < MAX_DEPTH => {
                self.i += 1;
                self.ws();
                if self.eat(b'}') {
                    return Some(());
                }
                loop {
                    self.key()?;
                    self.skip(depth + 1)?;
                    self.ws();
                    if self.eat(b'}') {
                        return Some(());
                    }
                    self.expect(b',')?;
                    self.ws();
                }
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// `null` or an array of numbers for sale.
    fn entries(&mut self) -> Option<Vec<AvailableWire<'a>>> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(Vec::new());
        }
        self.expect(b'[')?;
        let mut list = Vec::with_capacity(FULL_PAGE);
        self.ws();
        if self.eat(b']') {
            return Some(list);
        }
        loop {
            // Filled in place: an entry is large enough that moving it shows.
            list.push(AvailableWire::default());
            self.entry(list.last_mut()?)?;
            self.ws();
            if self.eat(b']') {
                return Some(list);
            }
            self.expect(b',')?;
            self.ws();
        }
    }

    fn entry(&mut self, wire: &mut AvailableWire<'a>) -> Option<()> {
        self.expect(b'{')?;
        self.ws();
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            let key = self.key()?;
            let slot = match key {
                b"phone_number" => Some(&mut wire.phone_number),
                b"iso_country" => Some(&mut wire.iso_country),
                b"locality" => Some(&mut wire.locality),
                b"region" => Some(&mut wire.region),
                b"postal_code" => Some(&mut wire.postal_code),
                b"rate_center" => Some(&mut wire.rate_center),
                b"capabilities" => {
                    wire.capabilities = self.capabilities()?;
                    None
                }
                _ => {
                    self.skip(1)?;
                    None
                }
            };
            if let Some(slot) = slot {
                *slot = self.text()?;
            }
            self.ws();
            if self.eat(b'}') {
                return Some(());
            }
            self.expect(b',')?;
            self.ws();
        }
    }

    /// A text field: a string (absent when blank), `null`, `true`/`false`,
    /// or an array or object (both absent). A number gives up: serde
    /// writes it out as text.
    fn text(&mut self) -> Option<Option<Cow<'a, str>>> {
        match self.peek()? {
            b'"' => {
                let text = self.text_value()?;
                Some((!crate::wire::blank(text)).then_some(Cow::Borrowed(text)))
            }
            b't' | b'f' | b'n' | b'[' | b'{' => self.skip(1).map(|()| None),
            _ => None,
        }
    }

    /// The capabilities object; any other JSON value means none.
    fn capabilities(&mut self) -> Option<Capabilities> {
        let mut caps = Capabilities::default();
        if self.peek()? != b'{' {
            self.visited(1)?;
            return Some(caps);
        }
        self.i += 1;
        self.ws();
        if self.eat(b'}') {
            return Some(caps);
        }
        loop {
            let key = self.key()?;
            let on = match self.peek()? {
                b't' => self.literal(b"true").map(|()| true)?,
                b'"' => {
                    let text = self.text_value()?;
                    text.trim().eq_ignore_ascii_case("true")
                }
                _ => self.visited(2).map(|()| false)?,
            };
            if key.eq_ignore_ascii_case(b"voice") {
                caps.voice = on;
            } else if key.eq_ignore_ascii_case(b"sms") {
                caps.sms = on;
            } else if key.eq_ignore_ascii_case(b"mms") {
                caps.mms = on;
            } else if key.eq_ignore_ascii_case(b"fax") {
                caps.fax = on;
            }
            self.ws();
            if self.eat(b'}') {
                return Some(caps);
            }
            self.expect(b',')?;
            self.ws();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twilio's Local search example (one number), as the live service
    /// sends it.
    const PLAIN: &str = r#"{"available_phone_numbers": [{"address_requirements": "none",
        "beta": false, "capabilities": {"mms": true, "sms": false, "voice": true},
        "friendly_name": "(808) 925-1571", "iso_country": "US", "lata": "834",
        "latitude": "19.720000", "locality": "Hilo", "longitude": "-155.090000",
        "phone_number": "+18089251571", "postal_code": "96720", "rate_center": "HILO",
        "region": "HI"}],
        "uri": "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/AvailablePhoneNumbers/US/Local.json"}"#;

    fn serde(body: &[u8]) -> Option<AvailableList<'_>> {
        serde_json::from_slice(body).ok()
    }

    /// Whenever the direct reader answers, serde reads the same list.
    fn agrees(body: &[u8]) -> bool {
        let fast = available_list(body);
        if let Some(fast) = &fast {
            assert_eq!(
                Some(fast),
                serde(body).as_ref(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        fast.is_some()
    }

    #[test]
    fn the_plain_answer_is_read_directly_and_as_serde_reads_it() {
        assert!(agrees(PLAIN.as_bytes()));
        let list = available_list(PLAIN.as_bytes()).unwrap();
        let n = &list.available_phone_numbers[0];
        assert_eq!(n.phone_number.as_deref(), Some("+18089251571"));
        assert_eq!(n.rate_center.as_deref(), Some("HILO"));
        assert_eq!(
            n.capabilities,
            Capabilities {
                voice: true,
                mms: true,
                ..Capabilities::default()
            }
        );
    }

    #[test]
    fn quirks_read_directly_match_serde() {
        // Each is read directly (and must agree with serde).
        for body in [
            r#"{"available_phone_numbers":[]}"#,
            r#"{"available_phone_numbers":null," uri":1.5e-3}"#,
            r#" { } "#,
            r#"{"available_phone_numbers":[{}],"page":{"a":[1,-2,0.5,true,null,"x"]}}"#,
            r#"{"available_phone_numbers":[{"region":"","locality":"  ","postal_code":null,
                "rate_center":true,"iso_country":["US"],"phone_number":{"e164":"+1"}}]}"#,
            r#"{"available_phone_numbers":[{"capabilities":{"Voice":"TRUE","SMS":true,
                "mms":1,"fax":null,"fax":"true","MMS":[true],"telex":true}}]}"#,
            r#"{"available_phone_numbers":[{"capabilities":null},{"capabilities":[1]},
                {"capabilities":"voice"},{"capabilities":true}]}"#,
            r#"{"available_phone_numbers":[{"region":"HI","region":"AK","locality":"Hilo "}]}"#,
            "{\"available_phone_numbers\":[{\"locality\":\"K\u{101}ne\u{2019}ohe\",\"friendly_name\":\"\u{00e9}\"}]}",
        ] {
            assert!(agrees(body.as_bytes()), "not read directly: {body}");
        }
    }

    #[test]
    fn what_it_does_not_read_is_left_to_serde() {
        // Each gives up; serde reads or refuses it on its own terms.
        for body in [
            &br#"{"available_phone_numbers":[{"locality":"Hilo \u0041"}]}"#[..],
            br#"{"available_phone_numbers":[{"postal_code":96720}]}"#,
            br#"{"available_phone_numbers":[{"rate_\u0063enter":"HILO"}]}"#,
            br#"{"available_phone_numbers":[],"available_phone_numbers":[]}"#,
            br#"{"available_phone_numbers":[1]}"#,
            br#"{"available_phone_numbers":{}}"#,
            br#"{"available_phone_numbers":[{}],}"#,
            br#"{"available_phone_numbers":[{},]}"#,
            br#"{"x":01}"#,
            br#"{"x":1.}"#,
            br#"{"x":-}"#,
            br#"{"x":tru}"#,
            b"{\"x\":\"a\x01b\"}",
            b"{\"available_phone_numbers\":[{\"region\":\"\xff\"}]}",
            b"{\"\xff\":1}",
            br#"{} x"#,
            br#"[]"#,
            b"",
            br#"{"available_phone_numbers":[{"capabilities":{"voice":"\u0074rue"}}]}"#,
        ] {
            assert!(!agrees(body), "{}", String::from_utf8_lossy(body));
        }
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(!agrees(deep.as_bytes()));
        let nested = format!("{{\"x\":{}{}}}", "[".repeat(40), "]".repeat(40));
        assert!(agrees(nested.as_bytes()));
    }

    #[test]
    fn values_serde_checks_are_checked_here_too() {
        // serde refuses these (a visited string that is not UTF-8, a
        // number out of range), so the reader must not answer for them.
        for body in [
            &br#"{"available_phone_numbers":[{"capabilities":1e400}]}"#[..],
            br#"{"available_phone_numbers":[{"capabilities":{"voice":-1e999}}]}"#,
            b"{\"available_phone_numbers\":[{\"capabilities\":\"\xff\"}]}",
            b"{\"available_phone_numbers\":[{\"capabilities\":{\"sms\":\"\xff\"}}]}",
            b"{\"available_phone_numbers\":[{\"locality\":\"\xff\"}]}",
        ] {
            assert!(serde(body).is_none(), "{}", String::from_utf8_lossy(body));
            assert!(
                available_list(body).is_none(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        // Where serde only skips, it does not check, and neither does this
        // for numbers.
        for body in [
            &br#"{"available_phone_numbers":[{"capabilities":{"voice":[1e400]}}],"x":1e999}"#[..],
            br#"{"available_phone_numbers":[{"capabilities":{"voice":12,"fax":1.5}}]}"#,
        ] {
            assert!(agrees(body), "{}", String::from_utf8_lossy(body));
        }
        // A body that is not UTF-8 throughout is left to serde, which reads
        // it when the bad bytes are only in what it skips.
        let body = b"{\"available_phone_numbers\":[{\"lata\":\"\xff\",\"beta\":1e400}]}";
        assert!(available_list(body).is_none());
        assert!(serde(body).is_some());
    }

    #[test]
    fn every_cut_and_every_byte_change_of_the_plain_answer_agrees() {
        // Truncations and single-byte changes reach every branch of the
        // reader; wherever it still answers, serde must agree.
        let plain = PLAIN.as_bytes();
        for end in 0..plain.len() {
            agrees(&plain[..end]);
        }
        let mut body = plain.to_vec();
        let (mut tried, mut direct) = (0, 0);
        for at in 0..body.len() {
            let was = body[at];
            for b in [
                b'"', b'\\', b',', b':', b'}', b']', b'{', b'[', b' ', b'0', b'e', b'-', b'.',
                b't', b'n', 0x01, 0xff, b'A',
            ] {
                body[at] = b;
                tried += 1;
                direct += usize::from(agrees(&body));
            }
            body[at] = was;
        }
        // Most changes land inside strings and keep the answer readable:
        // the comparison above ran on them, not only on refusals.
        assert!(direct * 2 > tried, "{direct} of {tried}");
    }
}
