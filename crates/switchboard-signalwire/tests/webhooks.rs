//! SignalWire's webhook signatures, checked against vectors computed
//! outside our code with Python's standard library:
//!
//! ```python
//! import hmac, hashlib, base64
//! def b64(key, data):
//!     return base64.b64encode(hmac.new(key.encode(), data.encode(), hashlib.sha1).digest()).decode()
//! def payload(url, params): return url + "".join(k + v for k, v in sorted(params))
//! ```

use switchboard_core::WebhookMethod;
use switchboard_core::inbound::{
    InboundEvent, InboundKind, WebhookError, WebhookRequest, WebhookVerifier,
};
use switchboard_signalwire::SignalWireWebhooks;

const KEY: &str = "PSKsignalwire-signing-key";
const VOICE_URL: &str = "https://sb.example.com/functions/v1/inbound/signalwire/voice";

/// `urlencode(call)` of `call = [("CallSid","CA0123456789abcdef0123456789abcdef"),
/// ("AccountSid","AC0123456789abcdef0123456789abcdef"), ("From","+14155550101"),
/// ("To","+16045550100"), ("CallStatus","ringing"), ("Direction","inbound"),
/// ("ApiVersion","2010-04-01"), ("CallerName","José Müller")]`
const CALL: &str = "CallSid=CA0123456789abcdef0123456789abcdef&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B14155550101&To=%2B16045550100&CallStatus=ringing&Direction=inbound&ApiVersion=2010-04-01&CallerName=Jos%C3%A9+M%C3%BCller";
/// `b64(KEY, payload(VOICE_URL, call))`
const CALL_SIGNATURE: &str = "iJh1vBXbhkFWzZPUmakPFlwMGZA=";

const JSON_BODY: &str = r#"{"CallSid":"c0ffee00-0000-4000-8000-000000000001","From":"+14155550101","To":"+16045550100"}"#;
/// `hmac.new(KEY.encode(), (VOICE_URL + JSON_BODY).encode(), hashlib.sha1).hexdigest()`
const JSON_SIGNATURE: &str = "2e038d3732dfb597c325c4708353886c81d96870";

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");
const JSON: (&str, &str) = ("content-type", "application/json; charset=utf-8");

fn request<'a>(
    url: &'a str,
    body: &'a str,
    headers: &'a [(&'a str, &'a str)],
) -> WebhookRequest<'a> {
    WebhookRequest {
        method: WebhookMethod::Post,
        url,
        headers,
        body: body.as_bytes(),
    }
}

fn verifier() -> SignalWireWebhooks {
    SignalWireWebhooks::new(KEY)
}

#[test]
fn a_laml_call_is_accepted_under_either_header_name() {
    for header in ["X-SignalWire-Signature", "X-Twilio-Signature"] {
        let headers = [FORM, (header, CALL_SIGNATURE)];
        let event = verifier()
            .accept(InboundKind::Voice, &request(VOICE_URL, CALL, &headers))
            .unwrap_or_else(|e| panic!("{header}: {e}"));
        let InboundEvent::Call(call) = event else {
            panic!("not a call")
        };
        assert_eq!(call.carrier, "signalwire");
        assert_eq!(call.to.as_str(), "+16045550100");
        assert_eq!(call.caller_name.as_deref(), Some("José Müller"));
    }
}

#[test]
fn the_url_may_carry_its_default_port() {
    let headers = [FORM, ("X-SignalWire-Signature", CALL_SIGNATURE)];
    verifier()
        .accept(
            InboundKind::Voice,
            &request(
                "https://sb.example.com:443/functions/v1/inbound/signalwire/voice",
                CALL,
                &headers,
            ),
        )
        .expect("signed without the port, received with it");
    // b64(KEY, payload("https://sb.example.com:443/functions/v1/inbound/signalwire/voice", call))
    let headers = [
        FORM,
        ("X-SignalWire-Signature", "LMTEwiOy9+S5lWvZoSQ7wT4H5Zg="),
    ];
    verifier()
        .accept(InboundKind::Voice, &request(VOICE_URL, CALL, &headers))
        .expect("signed with the port, received without it");
}

#[test]
fn a_json_callback_is_signed_in_hex_over_the_url_and_raw_body() {
    let headers = [JSON, ("X-SignalWire-Signature", JSON_SIGNATURE)];
    let event = verifier()
        .accept(InboundKind::Voice, &request(VOICE_URL, JSON_BODY, &headers))
        .unwrap();
    assert_eq!(
        event.carrier_event_id(),
        "c0ffee00-0000-4000-8000-000000000001"
    );
    let upper = JSON_SIGNATURE.to_ascii_uppercase();
    let headers = [JSON, ("X-SignalWire-Signature", upper.as_str())];
    verifier()
        .accept(InboundKind::Voice, &request(VOICE_URL, JSON_BODY, &headers))
        .expect("hex in either case");
    // The same bytes re-spaced are another body.
    let respaced = JSON_BODY.replace(",", ", ");
    let headers = [JSON, ("X-SignalWire-Signature", JSON_SIGNATURE)];
    let err = verifier()
        .accept(InboundKind::Voice, &request(VOICE_URL, &respaced, &headers))
        .unwrap_err();
    assert_eq!(
        err,
        WebhookError::BadSignature {
            header: "X-SignalWire-Signature"
        }
    );
}

#[test]
fn a_get_webhook_follows_the_twilio_form_scheme() {
    let url = "https://sb.example.com/functions/v1/inbound/signalwire/voice?CallSid=CA0123456789abcdef0123456789abcdef&From=%2B14155550101&To=%2B16045550100&CallerName=Zo%C3%AB";
    // b64(KEY, url)
    let headers = [("X-SignalWire-Signature", "Zt5d+EW8yZg0BOB2k87NiSPTzS8=")];
    let request = WebhookRequest {
        method: WebhookMethod::Get,
        url,
        headers: &headers,
        body: b"",
    };
    let InboundEvent::Call(call) = verifier().accept(InboundKind::Voice, &request).unwrap() else {
        panic!("not a call")
    };
    assert_eq!(call.caller_name.as_deref(), Some("Zoë"));
}

#[test]
fn a_json_callback_may_carry_the_default_port() {
    // hmac.new(KEY.encode(), ("https://sb.example.com:443/functions/v1/inbound/signalwire/voice"
    //     + JSON_BODY).encode(), hashlib.sha1).hexdigest()
    let headers = [
        JSON,
        (
            "X-SignalWire-Signature",
            "bbb7cc33ac572af5d91290ece67ec42e8843ed76",
        ),
    ];
    verifier()
        .accept(InboundKind::Voice, &request(VOICE_URL, JSON_BODY, &headers))
        .expect("signed with :443, received without");
}

/// A voice webhook that must be refused, and how.
struct Refusal {
    case: &'static str,
    body: String,
    headers: Vec<(&'static str, &'static str)>,
    verifier: SignalWireWebhooks,
    expected: WebhookError,
}

fn refusal(
    case: &'static str,
    body: &str,
    headers: &[(&'static str, &'static str)],
    verifier: SignalWireWebhooks,
    header: &'static str,
) -> Refusal {
    Refusal {
        case,
        body: body.to_string(),
        headers: headers.to_vec(),
        verifier,
        expected: WebhookError::BadSignature { header },
    }
}

#[test]
fn forgeries_wrong_keys_and_missing_headers_are_refused_without_telling_secrets() {
    let sw = "X-SignalWire-Signature";
    let tw = "X-Twilio-Signature";
    let good = [FORM, (sw, CALL_SIGNATURE)];
    let good_tw = [FORM, (tw, CALL_SIGNATURE)];
    let json = [JSON, (sw, JSON_SIGNATURE)];
    let tampered = CALL.replace("ringing", "busy");
    let other_to = CALL.replace("%2B16045550100", "%2B16045550199");
    let mut cases = vec![
        refusal("tampered", &tampered, &good, verifier(), sw),
        refusal(
            "tampered, Twilio's header",
            &tampered,
            &good_tw,
            verifier(),
            tw,
        ),
        refusal(
            "replayed body with another To",
            &other_to,
            &good,
            verifier(),
            sw,
        ),
        // The API token is not the signing key.
        refusal(
            "wrong key",
            CALL,
            &good,
            SignalWireWebhooks::new("PTapi-token"),
            sw,
        ),
        // b64("", payload(VOICE_URL, call)): what anyone can compute when no
        // key is configured, so a verifier without one accepts nothing.
        refusal(
            "empty key",
            CALL,
            &[FORM, (sw, "D075pP91oSuqxilR97ALG+2jRmQ=")],
            SignalWireWebhooks::new(""),
            sw,
        ),
        refusal(
            "hex where Base64 belongs",
            CALL,
            &[FORM, (sw, JSON_SIGNATURE)],
            verifier(),
            sw,
        ),
        refusal("not Base64", CALL, &[FORM, (sw, "%%%")], verifier(), sw),
        refusal(
            "not hex",
            JSON_BODY,
            &[JSON, (sw, "not hex")],
            verifier(),
            sw,
        ),
        refusal(
            "Base64 where hex belongs",
            JSON_BODY,
            &[JSON, (sw, CALL_SIGNATURE)],
            verifier(),
            sw,
        ),
        refusal(
            "JSON body changed",
            &JSON_BODY.replace("+14155550101", "+14155550199"),
            &json,
            verifier(),
            sw,
        ),
    ];
    let mut unsigned = refusal("missing header", CALL, &[FORM], verifier(), sw);
    unsigned.expected = WebhookError::Unsigned { header: sw };
    cases.push(unsigned);
    for case in &cases {
        let request = request(VOICE_URL, &case.body, &case.headers);
        let err = case
            .verifier
            .accept(InboundKind::Voice, &request)
            .expect_err(case.case);
        assert_eq!(err, case.expected, "{}", case.case);
        for text in [err.to_string(), format!("{err:?}")] {
            for secret in [KEY, CALL_SIGNATURE, JSON_SIGNATURE] {
                assert!(!text.contains(secret), "{}: {text}", case.case);
            }
        }
    }
}

#[test]
fn a_signed_request_missing_what_we_need_is_malformed_naming_it() {
    // b64(KEY, payload(VOICE_URL, [("From","+14155550101"),("To","+16045550100")]))
    let no_call_sid = "From=%2B14155550101&To=%2B16045550100";
    let headers = [
        FORM,
        ("X-SignalWire-Signature", "GnwuQN/S1rS3rRdOlXPvLv+UeFM="),
    ];
    let err = verifier()
        .accept(
            InboundKind::Voice,
            &request(VOICE_URL, no_call_sid, &headers),
        )
        .unwrap_err();
    assert_eq!(err, WebhookError::malformed("CallSid", "is missing"));
    assert!(!err.is_authentication());

    // b64(KEY, payload(VOICE_URL, [("CallSid","CA0123456789abcdef0123456789abcdef"),("From","+14155550101")]))
    let no_to = "CallSid=CA0123456789abcdef0123456789abcdef&From=%2B14155550101";
    let headers = [
        FORM,
        ("X-SignalWire-Signature", "y8lbd2hj49TXe0d6MggLhs1uJNI="),
    ];
    let err = verifier()
        .accept(InboundKind::Voice, &request(VOICE_URL, no_to, &headers))
        .unwrap_err();
    assert_eq!(err, WebhookError::malformed("To", "is missing"));
}

#[test]
fn debug_shows_no_key() {
    let text = format!("{:?}", verifier());
    assert!(!text.contains(KEY), "{text}");
}
