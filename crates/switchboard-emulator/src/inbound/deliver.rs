//! Sending one webhook the way its carrier does: the parameters form-encoded
//! in a POST body or appended to the query of a GET, signed over the URL and
//! the sorted parameters, answered within the timeout; and keeping the
//! exact request and the answer.

use std::collections::BTreeMap;
use std::error::Error as _;
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use reqwest::{Client, Method, Url};
use secrecy::{ExposeSecret, SecretString};
use switchboard_core::inbound::signing::{base64_encode, hmac_sha1, laml_payload};

use super::request::{CallRequest, MessageRequest};
use super::route::{self, Target};
use super::{
    Delivery, DeliveryKind, InboundError, MAX_ANSWER_BYTES, SentWebhook, WebhookAnswer, params,
};
use crate::app::App;
use crate::log::{BoundedLog, Sequenced};
use crate::state::{AccountKey, Ids, splitmix64};

impl Sequenced for Delivery {
    fn seq(&self) -> u64 {
        self.seq
    }
}

/// What identifies the emulator's webhook requests to a receiver's logs.
const AGENT: &str = concat!("switchboard-emulator/", env!("CARGO_PKG_VERSION"));

/// The inbound side of one server: its HTTP client, the SIDs it hands out
/// and the log of what it delivered.
pub(crate) struct Deliveries {
    client: Client,
    ids: Ids,
    pub(crate) log: BoundedLog<Delivery>,
}

impl Deliveries {
    /// `id_seed` is mixed so that calls never change the SIDs purchases get.
    pub(crate) fn new(
        id_seed: u64,
        timeout: Duration,
        capacity: usize,
    ) -> Result<Self, reqwest::Error> {
        let client = Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            // The answer is recorded as it came: a redirect is the
            // receiver's answer, not something to follow.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(AGENT)
            .build()?;
        Ok(Self {
            client,
            ids: Ids::new(splitmix64(id_seed ^ 0x1B0A_D5E7_CA11_5E55)),
            log: BoundedLog::new(capacity),
        })
    }
}

/// Places `call` and records it.
pub(crate) async fn place_call(app: &App, call: &CallRequest) -> Result<Delivery, InboundError> {
    let number = call.validate()?;
    let target = route::resolve(app, DeliveryKind::Call, &number)?;
    let sid = app.deliveries.ids.sid("CA");
    let params = params::call(call, &sid, target.account.id(), &target.record);
    let key = call.signing_key.as_ref().map(|k| k.0.clone());
    Ok(send(
        app,
        DeliveryKind::Call,
        target,
        sid,
        &call.from,
        params,
        key,
    )
    .await)
}

/// Sends `message` and records it.
pub(crate) async fn send_message(
    app: &App,
    message: &MessageRequest,
) -> Result<Delivery, InboundError> {
    let number = message.validate()?;
    let target = route::resolve(app, DeliveryKind::Message, &number)?;
    let prefix = if message.media_urls.is_empty() {
        "SM"
    } else {
        "MM"
    };
    let sid = app.deliveries.ids.sid(prefix);
    let params = params::message(message, &sid, target.account.id(), &target.record);
    let key = message.signing_key.as_ref().map(|k| k.0.clone());
    Ok(send(
        app,
        DeliveryKind::Message,
        target,
        sid,
        &message.from,
        params,
        key,
    )
    .await)
}

/// The signature of a request to `url` with form `params` (none for a GET,
/// whose parameters are in the URL).
fn signature(key: &SecretString, url: &str, params: &[(String, String)]) -> String {
    let payload = laml_payload(url, params);
    base64_encode(&hmac_sha1(
        key.expose_secret().as_bytes(),
        payload.as_bytes(),
    ))
}

/// The request as it will go out: method, URL, headers and body.
fn build(target: &Target, params: &[(String, String)], key: &SecretString) -> SentWebhook {
    let mut url: Url = target.url.clone();
    let (method, body, signed): (&str, String, &[(String, String)]) = if target.post {
        let body = serde_urlencoded::to_string(params).unwrap_or_default();
        ("POST", body, params)
    } else {
        url.query_pairs_mut().extend_pairs(params);
        ("GET", String::new(), &[])
    };
    let signature = signature(key, url.as_str(), signed);
    let mut headers = BTreeMap::new();
    headers.insert(USER_AGENT.as_str().to_string(), AGENT.to_string());
    if target.post {
        headers.insert(
            CONTENT_TYPE.as_str().to_string(),
            "application/x-www-form-urlencoded".to_string(),
        );
    }
    if matches!(target.account, AccountKey::SignalWire(_)) {
        headers.insert("x-signalwire-signature".to_string(), signature.clone());
    }
    headers.insert("x-twilio-signature".to_string(), signature);
    SentWebhook {
        method: method.to_string(),
        url: url.to_string(),
        headers,
        body,
        params: params.to_vec(),
    }
}

async fn send(
    app: &App,
    kind: DeliveryKind,
    target: Target,
    sid: String,
    from: &str,
    params: Vec<(String, String)>,
    key_override: Option<SecretString>,
) -> Delivery {
    let seq = app.deliveries.log.next_seq();
    let overridden = key_override.is_some();
    let key = key_override.unwrap_or_else(|| target.key.clone());
    let request = build(&target, &params, &key);
    drop(key);
    let started = Instant::now();
    let (answer, error) = match exchange(&app.deliveries.client, &request).await {
        Ok(answer) => (Some(answer), None),
        Err(error) => (None, Some(error)),
    };
    let delivery = Delivery {
        seq,
        kind,
        carrier: target.account.carrier().to_string(),
        account: target.account.id().to_string(),
        number_id: target.record.id.clone(),
        to: target.record.catalogue.phone_number.to_string(),
        from: from.trim().to_string(),
        sid,
        signing_key_overridden: overridden,
        request,
        answer,
        error,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    tracing::debug!(
        seq,
        kind = kind.noun(),
        carrier = %delivery.carrier,
        url = %delivery.request.url,
        status = delivery.answer.as_ref().map(|a| a.status),
        error = delivery.error.as_deref(),
        "inbound webhook delivered"
    );
    app.deliveries.log.push(delivery.clone());
    delivery
}

/// Sends `request` and reads the answer, at most [`MAX_ANSWER_BYTES`] of it.
async fn exchange(client: &Client, request: &SentWebhook) -> Result<WebhookAnswer, String> {
    let method = if request.method == "GET" {
        Method::GET
    } else {
        Method::POST
    };
    let mut builder = client.request(method, &request.url);
    for (name, value) in &request.headers {
        // Set by the client itself, once.
        if name.eq_ignore_ascii_case(USER_AGENT.as_str()) {
            continue;
        }
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            return Err(format!("header {name} cannot be sent"));
        };
        builder = builder.header(name, value);
    }
    if request.method != "GET" {
        builder = builder.body(request.body.clone());
    }
    let mut response = builder.send().await.map_err(transport_error)?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        let room = MAX_ANSWER_BYTES - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(WebhookAnswer {
        status,
        content_type,
        body: String::from_utf8_lossy(&body).into_owned(),
        truncated,
    })
}

/// What went wrong, in words, with the causes the client gives (never the
/// request, which is recorded beside it).
fn transport_error(error: reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "no answer within the webhook timeout"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the answer broke off"
    } else {
        "the request failed"
    };
    let mut causes = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    causes.dedup();
    if causes.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {}", causes.join(": "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_documented_arithmetic() {
        // Independent of the payload helper: the string written out by hand.
        let key = SecretString::from("12345".to_string());
        let params = vec![
            ("To".to_string(), "+15125550100".to_string()),
            ("CallSid".to_string(), "CA1".to_string()),
        ];
        let expected = base64_encode(&hmac_sha1(
            b"12345",
            b"https://h.example/voice?x=1CallSidCA1To+15125550100",
        ));
        assert_eq!(
            signature(&key, "https://h.example/voice?x=1", &params),
            expected
        );
        assert_ne!(
            signature(
                &SecretString::from("1234".to_string()),
                "https://h.example/voice?x=1",
                &params
            ),
            expected
        );
    }
}
