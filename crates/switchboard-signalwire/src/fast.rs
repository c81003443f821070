//! A direct reader for the search answer, tried before serde.
//!
//! It reads only the plain form of the answer: objects, arrays, strings
//! without escapes, numbers, `true`, `false` and `null`. On anything else
//! (an escape, invalid UTF-8 where serde would check it, a duplicate
//! `data`, malformed JSON, deep nesting) it gives up and the caller reads
//! the answer with serde ([`crate::wire::SearchResponse`]'s `Deserialize`),
//! which is the definition of what the answer means: whenever this reader
//! returns a list, it is the list serde would return, and the tests compare
//! the two on both result shapes and on every quirk.
//!
//! Why it exists: serde_json's generic path (key identification, visitor
//! calls per value, per-string checks) cost about twice a bare scan of the
//! body, and that was most of what a search added to the HTTP exchange.

use std::borrow::Cow;

use switchboard_core::Capabilities;

use crate::wire::{AvailableWire, CapabilityName, SearchResponse, WireCapabilities, blank};

/// How deep skipped values may nest before the reader gives up (serde_json
/// refuses past 128).
const MAX_DEPTH: usize = 64;

/// The answer read directly, or `None` to read it with serde instead.
pub(crate) fn search_response(body: &[u8]) -> Option<SearchResponse<'_>> {
    // One check of the whole body instead of one per string kept: a body
    // that is not UTF-8 throughout is left to serde, which checks only the
    // strings it reads.
    let text = std::str::from_utf8(body).ok()?;
    let mut r = Reader {
        s: text,
        b: body,
        i: 0,
    };
    let mut data = None;
    r.ws();
    r.expect(b'{')?;
    r.ws();
    if !r.eat(b'}') {
        loop {
            if r.key()? == b"data" {
                if data.is_some() {
                    return None; // serde refuses a duplicate field
                }
                data = Some(r.results()?);
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
    Some(SearchResponse {
        data: data.unwrap_or_default(),
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

    /// `null` or an array of search results.
    fn results(&mut self) -> Option<Vec<AvailableWire<'a>>> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(Vec::new());
        }
        self.expect(b'[')?;
        let mut list = Vec::new();
        self.ws();
        if self.eat(b']') {
            return Some(list);
        }
        loop {
            // Filled in place: a result is large enough that moving it shows.
            list.push(AvailableWire::default());
            self.result(list.last_mut()?)?;
            self.ws();
            if self.eat(b']') {
                return Some(list);
            }
            self.expect(b',')?;
            self.ws();
        }
    }

    fn result(&mut self, wire: &mut AvailableWire<'a>) -> Option<()> {
        self.expect(b'{')?;
        self.ws();
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            let key = self.key()?;
            let slot = match key {
                b"e164" => Some(&mut wire.e164),
                b"number" => Some(&mut wire.number),
                b"region" => Some(&mut wire.region),
                b"city" => Some(&mut wire.city),
                b"rate_center" => Some(&mut wire.rate_center),
                b"country_code" => Some(&mut wire.country_code),
                b"capabilities" => {
                    wire.capabilities = WireCapabilities(self.capabilities()?);
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

    /// A text field: a string (absent when blank); any other value is
    /// absent.
    fn text(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.peek()? == b'"' {
            let text = self.text_value()?;
            return Some((!blank(text)).then_some(Cow::Borrowed(text)));
        }
        self.visited(1).map(|()| None)
    }

    /// A capability name as serde reads it: text must be UTF-8.
    fn name(&mut self) -> Option<CapabilityName> {
        let name = self.text_value()?;
        Some(CapabilityName::from_text(name))
    }

    /// Capabilities as a list of names or a map of flags; any other value
    /// means none.
    fn capabilities(&mut self) -> Option<Capabilities> {
        let mut caps = Capabilities::default();
        match self.peek()? {
            b'[' => {
                self.i += 1;
                self.ws();
                if self.eat(b']') {
                    return Some(caps);
                }
                loop {
                    if self.peek()? == b'"' {
                        self.name()?.set(&mut caps);
                    } else {
                        self.visited(2)?;
                    }
                    self.ws();
                    if self.eat(b']') {
                        return Some(caps);
                    }
                    self.expect(b',')?;
                    self.ws();
                }
            }
            b'{' => {
                self.i += 1;
                self.ws();
                if self.eat(b'}') {
                    return Some(caps);
                }
                loop {
                    let name = self.name()?;
                    self.ws();
                    self.expect(b':')?;
                    self.ws();
                    let on = match self.peek()? {
                        b't' => self.literal(b"true").map(|()| true)?,
                        _ => self.visited(2).map(|()| false)?,
                    };
                    if on {
                        name.set(&mut caps);
                    }
                    self.ws();
                    if self.eat(b'}') {
                        return Some(caps);
                    }
                    self.expect(b',')?;
                    self.ws();
                }
            }
            _ => self.visited(1).map(|()| caps),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A live search answer (README fact 1), one result.
    const LIVE: &str = r#"{"links":{"self":"/api/relay/rest/phone_numbers/search?areacode=512"},
        "data":[{"e164":"+15125550001","national_number_formatted":"(512) 555-0001",
        "international_number_formatted":"+1 512-555-0001","rate_center":"AUSTIN",
        "region":"TX","country_code":"US","capabilities":["voice","sms","mms","fax"]}]}"#;

    /// The current description's shape: `number` and capability flags.
    const DESCRIBED: &str = r#"{"data": [{"number": "+15125550002", "city": "Austin",
        "region": "TX", "country_code": "US",
        "capabilities": {"voice": true, "sms": false, "mms": true, "fax": false}}]}"#;

    fn serde(body: &[u8]) -> Option<SearchResponse<'_>> {
        serde_json::from_slice(body).ok()
    }

    /// Whenever the direct reader answers, serde reads the same list.
    fn agrees(body: &[u8]) -> bool {
        let fast = search_response(body);
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
    fn both_shapes_are_read_directly_and_as_serde_reads_them() {
        assert!(agrees(LIVE.as_bytes()));
        assert!(agrees(DESCRIBED.as_bytes()));
        let live = search_response(LIVE.as_bytes()).unwrap();
        assert_eq!(live.data[0].e164(), Some("+15125550001"));
        assert_eq!(live.data[0].rate_center.as_deref(), Some("AUSTIN"));
        assert!(live.data[0].capabilities.0.fax);
        let described = search_response(DESCRIBED.as_bytes()).unwrap();
        assert_eq!(described.data[0].e164(), Some("+15125550002"));
        assert_eq!(described.data[0].city.as_deref(), Some("Austin"));
        let caps = described.data[0].capabilities.0;
        assert!(caps.voice && caps.mms && !caps.sms && !caps.fax);
    }

    #[test]
    fn quirks_read_directly_match_serde() {
        for body in [
            r#"{"data":[]}"#,
            r#"{"data":null,"links":{}}"#,
            r#" { } "#,
            r#"{"data":[{}],"links":{"next":"/api/relay/rest/phone_numbers?page=2"}}"#,
            r#"{"data":[{"e164":"","number":"+15125550003","region":"  ","city":null,
                "rate_center":12,"country_code":["US"],"x":{"y":[1,-2.5,true]}}]}"#,
            r#"{"data":[{"capabilities":[" Voice ",1,null,["sms"],{"mms":true},"FAX","telex"]}]}"#,
            r#"{"data":[{"capabilities":{"SMS":true,"voice":"true","mms":1,"fax":{"x":true}}}]}"#,
            r#"{"data":[{"capabilities":null},{"capabilities":"voice"},{"capabilities":7}]}"#,
            r#"{"data":[{"region":"TX","region":"OK","e164":"+15125550004"}]}"#,
            "{\"data\":[{\"city\":\"San Jos\u{e9}\",\"capabilities\":[\"\u{2003}sms\u{2003}\"]}]}",
        ] {
            assert!(agrees(body.as_bytes()), "not read directly: {body}");
        }
    }

    #[test]
    fn what_it_does_not_read_is_left_to_serde() {
        for body in [
            &br#"{"data":[{"city":"Aust\u0069n"}]}"#[..],
            br#"{"data":[{"c\u0069ty":"Austin"}]}"#,
            br#"{"data":[{"capabilities":["\u0076oice"]}]}"#,
            br#"{"data":[],"data":[]}"#,
            br#"{"data":[1]}"#,
            br#"{"data":{}}"#,
            br#"{"data":[{}],}"#,
            br#"{"data":[{},]}"#,
            br#"{"x":01}"#,
            br#"{"x":.5}"#,
            br#"{"x":nul}"#,
            b"{\"x\":\"a\nb\"}",
            br#"{} {}"#,
            br#"[]"#,
            b"",
        ] {
            assert!(!agrees(body), "{}", String::from_utf8_lossy(body));
        }
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(!agrees(deep.as_bytes()));
    }

    #[test]
    fn values_serde_checks_are_checked_here_too() {
        // serde refuses these (a visited string that is not UTF-8, a number
        // out of range), so the reader must not answer for them.
        for body in [
            &br#"{"data":[{"region":1e400}]}"#[..],
            br#"{"data":[{"capabilities":-1e999}]}"#,
            br#"{"data":[{"capabilities":[1e400]}]}"#,
            br#"{"data":[{"capabilities":{"voice":1e400}}]}"#,
            b"{\"data\":[{\"region\":\"\xff\"}]}",
            b"{\"data\":[{\"capabilities\":\"\xff\"}]}",
            b"{\"data\":[{\"capabilities\":[\"\xff\"]}]}",
            b"{\"data\":[{\"capabilities\":{\"\xff\":true}}]}",
            b"{\"data\":[{\"capabilities\":{\"voice\":\"\xff\"}}]}",
            b"{\"\xff\":1}",
        ] {
            assert!(serde(body).is_none(), "{}", String::from_utf8_lossy(body));
            assert!(
                search_response(body).is_none(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        // Where serde only skips, it does not check, and neither does this
        // for numbers.
        for body in [
            &br#"{"data":[{"capabilities":[[1e400]]}],"links":{"next":-1e999}}"#[..],
            br#"{"data":[{"region":12,"capabilities":{"voice":1.5}}]}"#,
        ] {
            assert!(agrees(body), "{}", String::from_utf8_lossy(body));
        }
        // A body that is not UTF-8 throughout is left to serde, which reads
        // it when the bad bytes are only in what it skips.
        let body = b"{\"data\":[{\"national_number_formatted\":\"\xff\",\"x\":1e400}]}";
        assert!(search_response(body).is_none());
        assert!(serde(body).is_some());
    }

    #[test]
    fn every_cut_and_every_byte_change_of_both_shapes_agrees() {
        for plain in [LIVE.as_bytes(), DESCRIBED.as_bytes()] {
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
            // Many changes land inside strings and keep the answer readable:
            // the comparison above ran on them, not only on refusals.
            assert!(direct * 4 > tried, "{direct} of {tried}");
        }
    }
}
