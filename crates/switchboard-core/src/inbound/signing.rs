//! The signature arithmetic the carriers share, so that each adapter states
//! only its own scheme: which header, which key, which of these payloads.
//!
//! Twilio signs a form webhook as Base64(HMAC-SHA1(key, URL followed by the
//! parameters sorted by name, each as name then value)); SignalWire signs its
//! Twilio-compatible webhooks the same way. Both carriers' validators accept
//! the URL with and without its default port, so [`url_variants`] gives both.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{KeyInit, Mac};

use super::{WebhookRequest, form_params};
use crate::WebhookMethod;

type HmacSha1 = hmac::Hmac<sha1::Sha1>;
type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The text a Twilio-compatible form webhook is signed over: the URL, then
/// each parameter as its name followed by its value, sorted by name and,
/// for a name given several values, by value.
pub fn laml_payload(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let len = url.len() + sorted.iter().map(|(n, v)| n.len() + v.len()).sum::<usize>();
    let mut payload = String::with_capacity(len);
    payload.push_str(url);
    for (name, value) in sorted {
        payload.push_str(name);
        payload.push_str(value);
    }
    payload
}

/// The URL as given, and the same URL with its default port written out
/// (or left out, if it was written): carriers sign whichever they called,
/// and a proxy or a configuration may have said it the other way.
///
/// The second form is built only when asked for: a genuine request signed
/// over the URL as configured never pays for it.
pub fn url_variants(url: &str) -> impl Iterator<Item = Cow<'_, str>> {
    std::iter::once(Cow::Borrowed(url)).chain(std::iter::once_with(move || {
        Cow::Owned(other_port_form(url))
    }))
}

fn other_port_form(url: &str) -> String {
    let (scheme, default_port) = if url.starts_with("https://") {
        ("https://", "443")
    } else if url.starts_with("http://") {
        ("http://", "80")
    } else {
        return url.to_string();
    };
    let rest = &url[scheme.len()..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    // The port is after the last colon that follows any IPv6 literal.
    let host_end = authority.rfind(']').map_or(0, |i| i + 1);
    match authority[host_end..].rfind(':') {
        Some(colon) => {
            let colon = host_end + colon;
            if &authority[colon + 1..] == default_port {
                format!("{scheme}{}{tail}", &authority[..colon])
            } else {
                url.to_string()
            }
        }
        None => format!("{scheme}{authority}:{default_port}{tail}"),
    }
}

/// HMAC-SHA1 of `data` under `key`.
pub fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    let mut mac = HmacSha1::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Which MAC a scheme uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacAlgorithm {
    /// HMAC-SHA1 (Twilio's and SignalWire's default).
    HmacSha1,
    /// HMAC-SHA256 (Twilio's webhook signature settings).
    HmacSha256,
}

/// Whether `tag` is the MAC of `data` under `key`, compared in constant time
/// (the `hmac` crate's `verify_slice`), so that timing tells a forger
/// nothing about how much of a guess was right.
pub fn mac_matches(algorithm: MacAlgorithm, key: &[u8], data: &[u8], tag: &[u8]) -> bool {
    mac_of_pieces_matches(algorithm, key, [data], tag)
}

/// [`mac_matches`] over the concatenation of `pieces`, fed to the MAC one
/// by one so that no payload is assembled in memory first.
pub fn mac_of_pieces_matches<'a>(
    algorithm: MacAlgorithm,
    key: &[u8],
    pieces: impl IntoIterator<Item = &'a [u8]>,
    tag: &[u8],
) -> bool {
    match algorithm {
        MacAlgorithm::HmacSha1 => {
            let mut mac = HmacSha1::new_from_slice(key).expect("HMAC takes a key of any length");
            pieces.into_iter().for_each(|piece| mac.update(piece));
            mac.verify_slice(tag).is_ok()
        }
        MacAlgorithm::HmacSha256 => {
            let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
            pieces.into_iter().for_each(|piece| mac.update(piece));
            mac.verify_slice(tag).is_ok()
        }
    }
}

/// Whether `signature` (Base64, as in `X-Twilio-Signature`) signs `url`
/// followed by `params` (the form scheme; `None` for a GET or a JSON body,
/// where only the URL is signed), under either port form of the URL.
pub fn laml_signature_matches(
    algorithm: MacAlgorithm,
    key: &[u8],
    url: &str,
    params: Option<&[(String, String)]>,
    signature: &str,
) -> bool {
    let Some(tag) = base64_decode(signature) else {
        return false;
    };
    // The payload of [`laml_payload`], fed to the MAC piece by piece.
    let mut sorted: Vec<&(String, String)> = params.unwrap_or_default().iter().collect();
    sorted.sort();
    url_variants(url).any(|variant| {
        let params = sorted
            .iter()
            .flat_map(|(name, value)| [name.as_bytes(), value.as_bytes()]);
        mac_of_pieces_matches(
            algorithm,
            key,
            std::iter::once(variant.as_bytes()).chain(params),
            &tag,
        )
    })
}

/// Twilio's form scheme, which SignalWire's cXML webhooks follow too: a GET
/// carries its parameters in the query and only the URL is signed; a POST
/// carries them in its form body, signed after the URL. Gives the
/// parameters only if `signature` signs the request, so that no caller
/// reads them unchecked.
pub fn verify_laml_form(
    algorithm: MacAlgorithm,
    key: &[u8],
    request: &WebhookRequest<'_>,
    signature: &str,
) -> Option<Vec<(String, String)>> {
    let (params, covered) = match request.method {
        WebhookMethod::Get => (form_params(request.query().unwrap_or("").as_bytes()), false),
        WebhookMethod::Post => (form_params(request.body), true),
    };
    let signed_params = covered.then_some(params.as_slice());
    laml_signature_matches(algorithm, key, request.url, signed_params, signature).then_some(params)
}

/// Standard Base64 with padding, as carriers write signatures.
pub fn base64_encode(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// Decodes standard Base64; `None` if it is not.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    BASE64.decode(text.trim()).ok()
}

/// Lower-case hex.
pub fn hex_lower(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(2 * bytes.len());
    for byte in bytes {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

/// Decodes hex in either case; `None` if it is not hex.
pub fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().as_bytes();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.chunks(2)
        .map(|pair| {
            let high = char::from(pair[0]).to_digit(16)?;
            let low = char::from(pair[1]).to_digit(16)?;
            u8::try_from(high * 16 + low).ok()
        })
        .collect()
}

/// Lower-case hex SHA-256 of `bytes` (Twilio's `bodySHA256`).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex_lower(&sha2::Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_other_port_form_adds_or_removes_only_the_default_port() {
        let cases = [
            ("https://a.example/x?y=1", "https://a.example:443/x?y=1"),
            ("https://a.example:443/x", "https://a.example/x"),
            ("http://a.example", "http://a.example:80"),
            ("http://a.example:80?q", "http://a.example?q"),
            ("https://a.example:8443/x", "https://a.example:8443/x"),
            ("http://[::1]:80/x", "http://[::1]/x"),
            ("http://[::1]/x", "http://[::1]:80/x"),
        ];
        for (given, other) in cases {
            let forms: Vec<_> = url_variants(given).collect();
            let [same, changed] = forms.as_slice() else {
                panic!("two forms of {given}");
            };
            assert_eq!(same, given);
            assert_eq!(changed, other, "for {given}");
        }
    }

    #[test]
    fn the_payload_sorts_names_then_values() {
        let params = vec![
            ("To".to_string(), "+1".to_string()),
            ("B".to_string(), "2".to_string()),
            ("B".to_string(), "1".to_string()),
            ("A".to_string(), "z".to_string()),
        ];
        assert_eq!(
            laml_payload("https://h/p", &params),
            "https://h/pAzB1B2To+1"
        );
    }

    #[test]
    fn hex_round_trips_and_refuses_what_is_not_hex() {
        assert_eq!(
            hex_decode(&hex_lower(&[0, 1, 254, 255])),
            Some(vec![0, 1, 254, 255])
        );
        assert_eq!(hex_decode("ABcd"), Some(vec![0xab, 0xcd]));
        assert_eq!(hex_decode("abc"), None);
        assert_eq!(hex_decode("zz"), None);
    }

    #[test]
    fn a_tag_matches_only_its_own_data_and_key() {
        let tag = hmac_sha1(b"key", b"data");
        assert!(mac_matches(MacAlgorithm::HmacSha1, b"key", b"data", &tag));
        assert!(!mac_matches(MacAlgorithm::HmacSha1, b"key", b"datA", &tag));
        assert!(!mac_matches(MacAlgorithm::HmacSha1, b"kez", b"data", &tag));
        assert!(!mac_matches(
            MacAlgorithm::HmacSha1,
            b"key",
            b"data",
            &tag[..19]
        ));
        let tag = hmac_sha256(b"key", b"data");
        assert!(mac_matches(MacAlgorithm::HmacSha256, b"key", b"data", &tag));
        assert!(!mac_matches(MacAlgorithm::HmacSha1, b"key", b"data", &tag));
    }
}
