//! Twilio's webhook signatures, checked against vectors computed outside
//! our code. Each expected signature was computed with Python's standard
//! library, with these definitions:
//!
//! ```python
//! import hmac, hashlib, base64
//! from urllib.parse import urlencode
//! def b64(key, data, h=hashlib.sha1):
//!     return base64.b64encode(hmac.new(key.encode(), data.encode(), h).digest()).decode()
//! def payload(url, params): return url + "".join(k + v for k, v in sorted(params))
//! ```
//!
//! `CALL` and `MESSAGE` below are `urlencode(params)` of the parameter
//! lists given beside them; the line above each signature gives its call.

use switchboard_core::WebhookMethod;
use switchboard_core::inbound::{
    InboundEvent, InboundKind, WebhookError, WebhookRequest, WebhookVerifier,
};
use switchboard_twilio::TwilioWebhooks;

const KEY: &str = "twilio-test-auth-token";
const VOICE_URL: &str = "https://sb.example.com/functions/v1/inbound/twilio/voice";
const MESSAGES_URL: &str = "https://sb.example.com/functions/v1/inbound/twilio/messages";

/// `call = [("CallSid","CA0123456789abcdef0123456789abcdef"),
/// ("AccountSid","AC0123456789abcdef0123456789abcdef"), ("From","+14155550101"),
/// ("To","+16045550100"), ("CallStatus","ringing"), ("Direction","inbound"),
/// ("ApiVersion","2010-04-01"), ("CallerName","José Müller")]`
const CALL: &str = "CallSid=CA0123456789abcdef0123456789abcdef&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B14155550101&To=%2B16045550100&CallStatus=ringing&Direction=inbound&ApiVersion=2010-04-01&CallerName=Jos%C3%A9+M%C3%BCller";
/// `b64(KEY, payload(VOICE_URL, call))`
const CALL_SIGNATURE: &str = "TexOEd2UPrbWQkByEps47OdfjX4=";

/// `msg = [("MessageSid","MM0123456789abcdef0123456789abcdef"),
/// ("From","+14155550101"), ("To","+16045550100"), ("Body","Grüße 👋"),
/// ("NumMedia","2"), ("MediaUrl0","https://media.example/0"),
/// ("MediaUrl1","https://media.example/1"), ("Tag","b"), ("Tag","a")]`
const MESSAGE: &str = "MessageSid=MM0123456789abcdef0123456789abcdef&From=%2B14155550101&To=%2B16045550100&Body=Gr%C3%BC%C3%9Fe+%F0%9F%91%8B&NumMedia=2&MediaUrl0=https%3A%2F%2Fmedia.example%2F0&MediaUrl1=https%3A%2F%2Fmedia.example%2F1&Tag=b&Tag=a";
/// `b64(KEY, payload(MESSAGES_URL, msg))`
const MESSAGE_SIGNATURE: &str = "JVL7Npp5WIjnCarZQlcSVs/GZRs=";

fn verifier() -> TwilioWebhooks {
    TwilioWebhooks::new(KEY).with_signature_key("rule-key", "rule-secret")
}

fn form<'a>(url: &'a str, body: &'a str, headers: &'a [(&'a str, &'a str)]) -> WebhookRequest<'a> {
    WebhookRequest {
        method: WebhookMethod::Post,
        url,
        headers,
        body: body.as_bytes(),
    }
}

fn call_of(event: InboundEvent) -> switchboard_core::inbound::InboundCall {
    match event {
        InboundEvent::Call(call) => call,
        other => panic!("not a call: {other:?}"),
    }
}

/// A refusal case: its name, the body, the headers, the verifier.
type Case = (
    &'static str,
    String,
    Vec<(&'static str, &'static str)>,
    TwilioWebhooks,
);

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

#[test]
fn a_signed_form_call_is_accepted_and_read() {
    let headers = [FORM, ("X-Twilio-Signature", CALL_SIGNATURE)];
    let event = verifier()
        .accept(InboundKind::Voice, &form(VOICE_URL, CALL, &headers))
        .unwrap();
    let call = call_of(event);
    assert_eq!(call.carrier, "twilio");
    assert_eq!(call.call_id, "CA0123456789abcdef0123456789abcdef");
    assert_eq!(call.to.as_str(), "+16045550100");
    assert_eq!(call.from, "+14155550101");
    assert_eq!(call.caller_name.as_deref(), Some("José Müller"));
}

#[test]
fn several_values_and_non_ascii_text_are_signed_in_sorted_order() {
    let headers = [FORM, ("x-twilio-signature", MESSAGE_SIGNATURE)];
    let event = verifier()
        .accept(InboundKind::Message, &form(MESSAGES_URL, MESSAGE, &headers))
        .unwrap();
    let InboundEvent::Message(message) = event else {
        panic!("not a message")
    };
    assert_eq!(message.body, "Grüße 👋");
    assert_eq!(message.media.len(), 2);
    assert_eq!(message.message_id, "MM0123456789abcdef0123456789abcdef");
}

#[test]
fn the_url_may_be_signed_with_or_without_its_default_port() {
    // b64(KEY, payload("https://sb.example.com:443/functions/v1/inbound/twilio/voice", call))
    let with_port = "C1AO1OU7f2R7d0IyId1O5IKYOoE=";
    let headers = [FORM, ("X-Twilio-Signature", with_port)];
    verifier()
        .accept(InboundKind::Voice, &form(VOICE_URL, CALL, &headers))
        .expect("signed with :443, received without");
    let headers = [FORM, ("X-Twilio-Signature", CALL_SIGNATURE)];
    verifier()
        .accept(
            InboundKind::Voice,
            &form(
                "https://sb.example.com:443/functions/v1/inbound/twilio/voice",
                CALL,
                &headers,
            ),
        )
        .expect("signed without a port, received with :443");
}

#[test]
fn a_get_webhook_signs_the_url_alone() {
    let url = "https://sb.example.com/functions/v1/inbound/twilio/voice?CallSid=CA0123456789abcdef0123456789abcdef&From=%2B14155550101&To=%2B16045550100";
    // b64(KEY, url)
    let headers = [("X-Twilio-Signature", "V3prGQQTFFmGSV3GSzfc1f9dfZU=")];
    let request = WebhookRequest {
        method: WebhookMethod::Get,
        url,
        headers: &headers,
        body: b"",
    };
    let call = call_of(verifier().accept(InboundKind::Voice, &request).unwrap());
    assert_eq!(call.to.as_str(), "+16045550100");
}

const JSON_BODY: &str =
    r#"{"CallSid":"CA0123456789abcdef0123456789abcdef","From":"+14155550101","To":"+16045550100"}"#;
/// `VOICE_URL + "?bodySHA256=" + hashlib.sha256(JSON_BODY.encode()).hexdigest()`
const JSON_URL: &str = "https://sb.example.com/functions/v1/inbound/twilio/voice?bodySHA256=b8d22787ef40bc986819e2758c3e1be964767f3e5164100c0035d7e000291068";
/// `b64(KEY, JSON_URL)`
const JSON_SIGNATURE: &str = "46W3QE/5SzUarqtJXeHtFG3WD+Q=";

fn json<'a>(url: &'a str, body: &'a str, headers: &'a [(&'a str, &'a str)]) -> WebhookRequest<'a> {
    WebhookRequest {
        method: WebhookMethod::Post,
        url,
        headers,
        body: body.as_bytes(),
    }
}

#[test]
fn a_json_body_is_bound_by_its_hash_and_the_url_by_the_signature() {
    let headers = [
        ("Content-Type", "application/json"),
        ("X-Twilio-Signature", JSON_SIGNATURE),
    ];
    let call = call_of(
        verifier()
            .accept(InboundKind::Voice, &json(JSON_URL, JSON_BODY, &headers))
            .unwrap(),
    );
    assert_eq!(call.from, "+14155550101");

    let other_body = JSON_BODY.replace("+14155550101", "+14155550199");
    let err = verifier()
        .accept(InboundKind::Voice, &json(JSON_URL, &other_body, &headers))
        .unwrap_err();
    assert_eq!(
        err,
        WebhookError::BadSignature {
            header: "X-Twilio-Signature"
        }
    );
    let no_hash = [
        ("Content-Type", "application/json"),
        ("X-Twilio-Signature", JSON_SIGNATURE),
    ];
    let err = verifier()
        .accept(InboundKind::Voice, &json(VOICE_URL, JSON_BODY, &no_hash))
        .unwrap_err();
    assert!(
        err.is_authentication(),
        "a JSON body without bodySHA256 is unsigned: {err:?}"
    );
}

#[test]
fn the_signature_settings_header_selects_hmac_sha256_under_a_named_key() {
    // b64("rule-secret", payload(VOICE_URL, call), hashlib.sha256)
    let sha256 = "6txGp0wtkK4HfWgF/dl2canH6AFUfSQdKImmrbJFTKU=";
    let settings = "key=rule-key,algorithm=HMAC_SHA256";
    let headers = [
        FORM,
        ("X-Twilio-Signature", sha256),
        ("X-Twilio-Webhooks-Signature-Settings", settings),
    ];
    verifier()
        .accept(InboundKind::Voice, &form(VOICE_URL, CALL, &headers))
        .expect("HMAC-SHA256 under the named key");

    for settings in [
        "key=unknown-key,algorithm=HMAC_SHA256",
        "key=rule-key,algorithm=HMAC_MD5",
        "algorithm=HMAC_SHA256",
    ] {
        let headers = [
            FORM,
            ("X-Twilio-Signature", sha256),
            ("X-Twilio-Webhooks-Signature-Settings", settings),
        ];
        let err = verifier()
            .accept(InboundKind::Voice, &form(VOICE_URL, CALL, &headers))
            .unwrap_err();
        assert!(err.is_authentication(), "{settings}: {err:?}");
    }
    // The SHA-1 signature is not accepted when the settings say SHA-256.
    let headers = [
        FORM,
        ("X-Twilio-Signature", CALL_SIGNATURE),
        ("X-Twilio-Webhooks-Signature-Settings", settings),
    ];
    assert!(
        verifier()
            .accept(InboundKind::Voice, &form(VOICE_URL, CALL, &headers))
            .is_err()
    );
}

#[test]
fn tampering_replay_and_wrong_keys_are_refused_without_telling_why_in_secret_terms() {
    let good = [FORM, ("X-Twilio-Signature", CALL_SIGNATURE)];
    let cases: Vec<Case> = vec![
        (
            "tampered value",
            CALL.replace("ringing", "completed"),
            good.to_vec(),
            verifier(),
        ),
        (
            "replayed to another number",
            CALL.replace("%2B16045550100", "%2B16045550199"),
            good.to_vec(),
            verifier(),
        ),
        (
            "wrong key",
            CALL.to_string(),
            good.to_vec(),
            TwilioWebhooks::new("another-token"),
        ),
        (
            "not base64",
            CALL.to_string(),
            vec![FORM, ("X-Twilio-Signature", "%%%")],
            verifier(),
        ),
        (
            "empty",
            CALL.to_string(),
            vec![FORM, ("X-Twilio-Signature", "")],
            verifier(),
        ),
    ];
    for (case, body, headers, verifier) in cases {
        let err = verifier
            .accept(InboundKind::Voice, &form(VOICE_URL, &body, &headers))
            .unwrap_err();
        assert_eq!(
            err,
            WebhookError::BadSignature {
                header: "X-Twilio-Signature"
            },
            "{case}"
        );
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains(KEY), "{case}: {text}");
            assert!(!text.contains(CALL_SIGNATURE), "{case}: {text}");
        }
    }
    let err = verifier()
        .accept(InboundKind::Voice, &form(VOICE_URL, CALL, &[FORM]))
        .unwrap_err();
    assert_eq!(
        err,
        WebhookError::Unsigned {
            header: "X-Twilio-Signature"
        }
    );
    // Signed for another URL: a proxy's view of the request does not verify.
    let err = verifier()
        .accept(
            InboundKind::Voice,
            &form(
                "http://10.0.0.5:8080/functions/v1/inbound/twilio/voice",
                CALL,
                &good,
            ),
        )
        .unwrap_err();
    assert!(err.is_authentication());
}

#[test]
fn a_signed_request_missing_what_we_need_is_malformed_naming_it() {
    // call without CallSid: b64(KEY, payload(VOICE_URL, [("From","+14155550101"),("To","+16045550100")]))
    let body = "From=%2B14155550101&To=%2B16045550100";
    let headers = [FORM, ("X-Twilio-Signature", "MYQ6b8iMtNj24o8JyysY6QKUE6Y=")];
    let err = verifier()
        .accept(InboundKind::Voice, &form(VOICE_URL, body, &headers))
        .unwrap_err();
    assert_eq!(err, WebhookError::malformed("CallSid", "is missing"));
}

#[test]
fn debug_shows_no_key() {
    let text = format!("{:?}", verifier());
    assert!(!text.contains(KEY), "{text}");
    assert!(!text.contains("rule-secret"), "{text}");
    assert!(
        text.contains("rule-key"),
        "key names are not secret: {text}"
    );
}
