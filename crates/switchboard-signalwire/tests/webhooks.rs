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

/// A refusal case: its name, the body, the headers, the verifier.
type Case = (
    &'static str,
    String,
    Vec<(&'static str, &'static str)>,
    SignalWireWebhooks,
);

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
fn tampering_replay_wrong_keys_and_missing_headers_are_refused() {
    let good = [FORM, ("X-SignalWire-Signature", CALL_SIGNATURE)];
    let cases: Vec<Case> = vec![
        (
            "tampered",
            CALL.replace("ringing", "busy"),
            good.to_vec(),
            verifier(),
        ),
        (
            "replayed to another number",
            CALL.replace("%2B16045550100", "%2B16045550199"),
            good.to_vec(),
            verifier(),
        ),
        // The API token is not the signing key.
        (
            "wrong key",
            CALL.to_string(),
            good.to_vec(),
            SignalWireWebhooks::new("PTapi-token"),
        ),
        (
            "hex where Base64 belongs",
            CALL.to_string(),
            vec![FORM, ("X-SignalWire-Signature", JSON_SIGNATURE)],
            verifier(),
        ),
    ];
    for (case, body, headers, verifier) in cases {
        let err = verifier
            .accept(InboundKind::Voice, &request(VOICE_URL, &body, &headers))
            .unwrap_err();
        assert!(err.is_authentication(), "{case}: {err:?}");
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(
                !text.contains(KEY) && !text.contains(CALL_SIGNATURE),
                "{case}: {text}"
            );
        }
    }
    let err = verifier()
        .accept(InboundKind::Voice, &request(VOICE_URL, CALL, &[FORM]))
        .unwrap_err();
    assert_eq!(
        err,
        WebhookError::Unsigned {
            header: "X-SignalWire-Signature"
        }
    );
    let headers = [JSON, ("X-SignalWire-Signature", "not hex")];
    assert!(
        verifier()
            .accept(InboundKind::Voice, &request(VOICE_URL, JSON_BODY, &headers))
            .unwrap_err()
            .is_authentication()
    );
}

#[test]
fn debug_shows_no_key() {
    let text = format!("{:?}", verifier());
    assert!(!text.contains(KEY), "{text}");
}
