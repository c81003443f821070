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
//! Form bodies below are `urlencode(params)` of the parameter lists given
//! beside them; the comment above each signature gives its call.

use switchboard_core::WebhookMethod;
use switchboard_core::inbound::{
    InboundCall, InboundEvent, InboundKind, WebhookError, WebhookRequest, WebhookVerifier,
};
use switchboard_twilio::TwilioWebhooks;

const KEY: &str = "twilio-test-auth-token";
const VOICE_URL: &str = "https://sb.example.com/functions/v1/inbound/twilio/voice";
const MESSAGES_URL: &str = "https://sb.example.com/functions/v1/inbound/twilio/messages";
const SIGNATURE: &str = "X-Twilio-Signature";
const SETTINGS: &str = "X-Twilio-Webhooks-Signature-Settings";

/// `call = [("CallSid","CA0123456789abcdef0123456789abcdef"),
/// ("AccountSid","AC0123456789abcdef0123456789abcdef"), ("From","+14155550101"),
/// ("To","+16045550100"), ("CallStatus","ringing"), ("Direction","inbound"),
/// ("ApiVersion","2010-04-01"), ("CallerName","José Müller")]`
const CALL: &str = "CallSid=CA0123456789abcdef0123456789abcdef&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B14155550101&To=%2B16045550100&CallStatus=ringing&Direction=inbound&ApiVersion=2010-04-01&CallerName=Jos%C3%A9+M%C3%BCller";
/// `b64(KEY, payload(VOICE_URL, call))`
const CALL_SIGNATURE: &str = "TexOEd2UPrbWQkByEps47OdfjX4=";
/// `b64("rule-secret", payload(VOICE_URL, call), hashlib.sha256)`
const SHA256_SIGNATURE: &str = "6txGp0wtkK4HfWgF/dl2canH6AFUfSQdKImmrbJFTKU=";

/// `msg = [("MessageSid","MM0123456789abcdef0123456789abcdef"),
/// ("From","+14155550101"), ("To","+16045550100"), ("Body","Grüße 👋"),
/// ("NumMedia","2"), ("MediaUrl0","https://media.example/0"),
/// ("MediaUrl1","https://media.example/1"), ("Tag","b"), ("Tag","a")]`
const MESSAGE: &str = "MessageSid=MM0123456789abcdef0123456789abcdef&From=%2B14155550101&To=%2B16045550100&Body=Gr%C3%BC%C3%9Fe+%F0%9F%91%8B&NumMedia=2&MediaUrl0=https%3A%2F%2Fmedia.example%2F0&MediaUrl1=https%3A%2F%2Fmedia.example%2F1&Tag=b&Tag=a";
/// `b64(KEY, payload(MESSAGES_URL, msg))`
const MESSAGE_SIGNATURE: &str = "JVL7Npp5WIjnCarZQlcSVs/GZRs=";

/// The query a GET webhook carries its parameters in.
const GET_URL: &str = "https://sb.example.com/functions/v1/inbound/twilio/voice?CallSid=CA0123456789abcdef0123456789abcdef&From=%2B14155550101&To=%2B16045550100";
/// `b64(KEY, GET_URL)`
const GET_SIGNATURE: &str = "V3prGQQTFFmGSV3GSzfc1f9dfZU=";

const JSON_BODY: &str =
    r#"{"CallSid":"CA0123456789abcdef0123456789abcdef","From":"+14155550101","To":"+16045550100"}"#;
/// `VOICE_URL + "?bodySHA256=" + hashlib.sha256(JSON_BODY.encode()).hexdigest()`
const JSON_URL: &str = "https://sb.example.com/functions/v1/inbound/twilio/voice?bodySHA256=b8d22787ef40bc986819e2758c3e1be964767f3e5164100c0035d7e000291068";
/// `b64(KEY, JSON_URL)`
const JSON_SIGNATURE: &str = "46W3QE/5SzUarqtJXeHtFG3WD+Q=";

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");
const JSON: (&str, &str) = ("Content-Type", "application/json");

fn verifier() -> TwilioWebhooks {
    TwilioWebhooks::new(KEY).with_signature_key("rule-key", "rule-secret")
}

fn post<'a>(url: &'a str, body: &'a str, headers: &'a [(&'a str, &'a str)]) -> WebhookRequest<'a> {
    WebhookRequest {
        method: WebhookMethod::Post,
        url,
        headers,
        body: body.as_bytes(),
    }
}

fn get<'a>(url: &'a str, headers: &'a [(&'a str, &'a str)]) -> WebhookRequest<'a> {
    WebhookRequest {
        method: WebhookMethod::Get,
        url,
        headers,
        body: b"",
    }
}

fn call_of(event: InboundEvent) -> InboundCall {
    match event {
        InboundEvent::Call(call) => call,
        other => panic!("not a call: {other:?}"),
    }
}

const BAD: WebhookError = WebhookError::BadSignature { header: SIGNATURE };

/// A voice webhook that must be refused, owning what a request borrows.
struct Refusal {
    case: &'static str,
    url: &'static str,
    body: String,
    headers: Vec<(&'static str, &'static str)>,
    verifier: TwilioWebhooks,
    expected: WebhookError,
}

impl Refusal {
    fn new(case: &'static str, body: &str, headers: &[(&'static str, &'static str)]) -> Self {
        Refusal {
            case,
            url: VOICE_URL,
            body: body.to_string(),
            headers: headers.to_vec(),
            verifier: verifier(),
            expected: BAD,
        }
    }

    fn at(mut self, url: &'static str) -> Self {
        self.url = url;
        self
    }

    fn keyed(mut self, verifier: TwilioWebhooks) -> Self {
        self.verifier = verifier;
        self
    }

    fn expecting(mut self, expected: WebhookError) -> Self {
        self.expected = expected;
        self
    }

    /// Refused with the expected error, whose text names neither a key nor
    /// a signature that would have matched.
    fn check(&self) {
        let request = post(self.url, &self.body, &self.headers);
        let err = self
            .verifier
            .accept(InboundKind::Voice, &request)
            .expect_err(self.case);
        assert_eq!(err, self.expected, "{}", self.case);
        assert!(err.is_authentication(), "{}", self.case);
        for text in [err.to_string(), format!("{err:?}")] {
            for secret in [
                KEY,
                "rule-secret",
                CALL_SIGNATURE,
                JSON_SIGNATURE,
                SHA256_SIGNATURE,
            ] {
                assert!(!text.contains(secret), "{}: {text}", self.case);
            }
        }
    }
}

#[test]
fn a_signed_form_call_is_accepted_and_read() {
    let headers = [FORM, (SIGNATURE, CALL_SIGNATURE)];
    let event = verifier()
        .accept(InboundKind::Voice, &post(VOICE_URL, CALL, &headers))
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
        .accept(InboundKind::Message, &post(MESSAGES_URL, MESSAGE, &headers))
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
    let headers = [FORM, (SIGNATURE, with_port)];
    verifier()
        .accept(InboundKind::Voice, &post(VOICE_URL, CALL, &headers))
        .expect("signed with :443, received without");
    let headers = [FORM, (SIGNATURE, CALL_SIGNATURE)];
    verifier()
        .accept(
            InboundKind::Voice,
            &post(
                "https://sb.example.com:443/functions/v1/inbound/twilio/voice",
                CALL,
                &headers,
            ),
        )
        .expect("signed without a port, received with :443");
}

#[test]
fn a_get_webhook_reads_the_query_and_signs_the_url_alone() {
    let headers = [(SIGNATURE, GET_SIGNATURE)];
    let call = call_of(
        verifier()
            .accept(InboundKind::Voice, &get(GET_URL, &headers))
            .unwrap(),
    );
    assert_eq!(call.to.as_str(), "+16045550100");
    assert_eq!(call.call_id, "CA0123456789abcdef0123456789abcdef");

    let changed = GET_URL.replace("%2B16045550100", "%2B16045550199");
    let err = verifier()
        .accept(InboundKind::Voice, &get(&changed, &headers))
        .unwrap_err();
    assert_eq!(err, BAD);
}

#[test]
fn a_json_body_is_bound_by_its_hash_and_the_url_by_the_signature() {
    let headers = [JSON, (SIGNATURE, JSON_SIGNATURE)];
    let call = call_of(
        verifier()
            .accept(InboundKind::Voice, &post(JSON_URL, JSON_BODY, &headers))
            .unwrap(),
    );
    assert_eq!(call.from, "+14155550101");
    assert_eq!(call.call_id, "CA0123456789abcdef0123456789abcdef");
}

#[test]
fn a_json_message_takes_numbers_as_text() {
    let body = r#"{"MessageSid":"SM0123456789abcdef0123456789abcdef","From":"+14155550101","To":"+16045550100","Body":"Grüße 👋","NumMedia":0}"#;
    // MESSAGES_URL + "?bodySHA256=" + hashlib.sha256(body.encode()).hexdigest()
    let url = "https://sb.example.com/functions/v1/inbound/twilio/messages?bodySHA256=22ad9fef742756085e5d65c94ac3436919b8c48ee293c7a9b6b9409947c296ae";
    // b64(KEY, url)
    let headers = [JSON, (SIGNATURE, "YrbJrdUweE2R8S0j8/HZeZgjwMA=")];
    let event = verifier()
        .accept(InboundKind::Message, &post(url, body, &headers))
        .unwrap();
    let InboundEvent::Message(message) = event else {
        panic!("not a message")
    };
    assert_eq!(message.body, "Grüße 👋");
    assert!(message.media.is_empty());
}

#[test]
fn the_signature_settings_header_selects_hmac_sha256_under_a_named_key() {
    let headers = [
        FORM,
        (SIGNATURE, SHA256_SIGNATURE),
        (SETTINGS, "key=rule-key,algorithm=HMAC_SHA256"),
    ];
    verifier()
        .accept(InboundKind::Voice, &post(VOICE_URL, CALL, &headers))
        .expect("HMAC-SHA256 under the named key");
    // A rotated key replaces the old one under the same name.
    TwilioWebhooks::new(KEY)
        .with_signature_key("rule-key", "old-secret")
        .with_signature_key("rule-key", "rule-secret")
        .accept(InboundKind::Voice, &post(VOICE_URL, CALL, &headers))
        .expect("the later secret for a name");
}

#[test]
fn forgeries_and_unknown_schemes_are_refused_without_telling_secrets() {
    let good = [FORM, (SIGNATURE, CALL_SIGNATURE)];
    let json = [JSON, (SIGNATURE, JSON_SIGNATURE)];
    let settings = |value| [FORM, (SIGNATURE, SHA256_SIGNATURE), (SETTINGS, value)];
    let settings_refused = WebhookError::BadSignature { header: SETTINGS };
    let other_caller = JSON_BODY.replace("+14155550101", "+14155550199");
    let cases = [
        Refusal::new(
            "tampered value",
            &CALL.replace("ringing", "completed"),
            &good,
        ),
        Refusal::new(
            "replayed body with another To",
            &CALL.replace("%2B16045550100", "%2B16045550199"),
            &good,
        ),
        Refusal::new("a parameter added", &format!("{CALL}&Extra=1"), &good),
        Refusal::new("wrong key", CALL, &good).keyed(TwilioWebhooks::new("another-token")),
        // b64("", payload(VOICE_URL, call)): what anyone can compute when no
        // key is configured, so a verifier without one accepts nothing.
        Refusal::new(
            "empty key",
            CALL,
            &[FORM, (SIGNATURE, "37A5kuWOkhYwvTiW/uat2YTWvko=")],
        )
        .keyed(TwilioWebhooks::new("")),
        Refusal::new("not Base64", CALL, &[FORM, (SIGNATURE, "%%%")]),
        Refusal::new("empty signature", CALL, &[FORM, (SIGNATURE, "")]),
        Refusal::new("missing header", CALL, &[FORM])
            .expecting(WebhookError::Unsigned { header: SIGNATURE }),
        // A proxy's view of the URL is not the URL Twilio signed.
        Refusal::new("another URL", CALL, &good)
            .at("http://10.0.0.5:8080/functions/v1/inbound/twilio/voice"),
        Refusal::new("JSON whose body hash does not match", &other_caller, &json).at(JSON_URL),
        Refusal::new("JSON without bodySHA256", JSON_BODY, &json),
        Refusal::new(
            "unknown settings key",
            CALL,
            &settings("key=unknown-key,algorithm=HMAC_SHA256"),
        )
        .expecting(settings_refused.clone()),
        Refusal::new(
            "unknown settings algorithm",
            CALL,
            &settings("key=rule-key,algorithm=HMAC_MD5"),
        )
        .expecting(settings_refused.clone()),
        Refusal::new(
            "settings without a key name",
            CALL,
            &settings("algorithm=HMAC_SHA256"),
        )
        .expecting(settings_refused.clone()),
        // No fallback to the Auth Token and SHA-1 when the settings name
        // an algorithm we do not know.
        Refusal::new(
            "SHA-1 named in the settings",
            CALL,
            &[
                FORM,
                (SIGNATURE, CALL_SIGNATURE),
                (SETTINGS, "key=rule-key,algorithm=HMAC_SHA1"),
            ],
        )
        .expecting(settings_refused),
        Refusal::new(
            "the SHA-1 signature where the settings say SHA-256",
            CALL,
            &[
                FORM,
                (SIGNATURE, CALL_SIGNATURE),
                (SETTINGS, "key=rule-key,algorithm=HMAC_SHA256"),
            ],
        ),
    ];
    for refusal in &cases {
        refusal.check();
    }
}

#[test]
fn a_signed_request_missing_what_we_need_is_malformed_naming_it() {
    // b64(KEY, payload(VOICE_URL, [("From","+14155550101"),("To","+16045550100")]))
    let no_call_sid = "From=%2B14155550101&To=%2B16045550100";
    let headers = [FORM, (SIGNATURE, "MYQ6b8iMtNj24o8JyysY6QKUE6Y=")];
    let err = verifier()
        .accept(InboundKind::Voice, &post(VOICE_URL, no_call_sid, &headers))
        .unwrap_err();
    assert_eq!(err, WebhookError::malformed("CallSid", "is missing"));
    assert!(!err.is_authentication());

    // b64(KEY, payload(VOICE_URL, [("CallSid","CA0123456789abcdef0123456789abcdef"),("From","+14155550101")]))
    let no_to = "CallSid=CA0123456789abcdef0123456789abcdef&From=%2B14155550101";
    let headers = [FORM, (SIGNATURE, "Jcdci0nx1VGQAGVR/W+IbZ6aw5w=")];
    let err = verifier()
        .accept(InboundKind::Voice, &post(VOICE_URL, no_to, &headers))
        .unwrap_err();
    assert_eq!(err, WebhookError::malformed("To", "is missing"));
}

#[test]
fn a_signed_json_body_that_is_not_flat_is_malformed_naming_the_field() {
    let body = r#"{"CallSid":{"id":"CA0123456789abcdef0123456789abcdef"},"From":"+14155550101","To":"+16045550100"}"#;
    // VOICE_URL + "?bodySHA256=" + hashlib.sha256(body.encode()).hexdigest()
    let url = "https://sb.example.com/functions/v1/inbound/twilio/voice?bodySHA256=1db913c203f0f4d4d54ea4ac82e0e7afe5c199ca2d527b9f04227a03a19c4556";
    // b64(KEY, url)
    let headers = [JSON, (SIGNATURE, "TUNDhROsANbb+4XzuNtfiGDN6qQ=")];
    let err = verifier()
        .accept(InboundKind::Voice, &post(url, body, &headers))
        .unwrap_err();
    assert!(
        matches!(err, WebhookError::Malformed { ref field, .. } if field == "CallSid"),
        "{err:?}"
    );
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
