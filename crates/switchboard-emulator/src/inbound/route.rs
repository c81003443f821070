//! Where a carrier sends an event for one of its numbers: the number's
//! configured URL and method, read the way that carrier reads them, and the
//! key it signs with.

use reqwest::Url;
use secrecy::SecretString;
use switchboard_core::PhoneNumber;

use super::{DeliveryKind, InboundError};
use crate::app::App;
use crate::state::{AccountKey, NumberRecord};

/// The webhook one event goes to.
pub(crate) struct Target {
    pub account: AccountKey,
    pub record: NumberRecord,
    pub url: Url,
    pub post: bool,
    pub key: SecretString,
}

/// The number's owner and webhook, or why its carrier would call none.
pub(crate) fn resolve(
    app: &App,
    kind: DeliveryKind,
    number: &PhoneNumber,
) -> Result<Target, InboundError> {
    let Some((account, record)) = app.store.owner_of(number) else {
        return Err(InboundError::UnknownNumber {
            number: number.to_string(),
        });
    };
    let refuse = |carrier, reason: String| InboundError::NoWebhook {
        kind,
        number: number.to_string(),
        carrier,
        reason,
    };
    let (label, url, method, key) = match &account {
        AccountKey::Twilio(sid) => {
            let (url_field, method_field, app_field, label) = match kind {
                DeliveryKind::Call => (
                    "voice_url",
                    "voice_method",
                    "voice_application_sid",
                    "VoiceUrl",
                ),
                DeliveryKind::Message => ("sms_url", "sms_method", "sms_application_sid", "SmsUrl"),
            };
            if let Some(application) = record.field(app_field) {
                return Err(refuse(
                    "twilio",
                    format!(
                        "it routes to TwiML application {application} (its {} field), whose \
                         URLs the emulator does not hold; clear it and set {label}",
                        if kind == DeliveryKind::Call {
                            "VoiceApplicationSid"
                        } else {
                            "SmsApplicationSid"
                        }
                    ),
                ));
            }
            if kind == DeliveryKind::Call
                && let Some(trunk) = record.field("trunk_sid")
            {
                return Err(refuse(
                    "twilio",
                    format!("its calls go to SIP trunk {trunk} (TrunkSid), not to a URL"),
                ));
            }
            let Some(url) = record.field(url_field) else {
                return Err(refuse(
                    "twilio",
                    format!("{label} is not set; update the number with one"),
                ));
            };
            let key = app
                .config
                .twilio_accounts
                .iter()
                .find(|a| &a.account_sid == sid)
                .map(|a| a.auth_token.clone());
            (
                label,
                url.to_string(),
                record.field(method_field).unwrap_or("POST").to_string(),
                key,
            )
        }
        AccountKey::SignalWire(project) => {
            let prefix = match kind {
                DeliveryKind::Call => "call",
                DeliveryKind::Message => "message",
            };
            let handler_field = format!("{prefix}_handler");
            match record.field(&handler_field) {
                Some("laml_webhooks") => {}
                Some(other) => {
                    return Err(refuse(
                        "signalwire",
                        format!(
                            "{handler_field} is {other}, not laml_webhooks, so SignalWire \
                             calls no URL"
                        ),
                    ));
                }
                None => {
                    return Err(refuse(
                        "signalwire",
                        format!(
                            "{handler_field} is not set; set it to laml_webhooks with a \
                             {prefix}_request_url"
                        ),
                    ));
                }
            }
            let url_field = format!("{prefix}_request_url");
            let Some(url) = record.field(&url_field) else {
                return Err(refuse(
                    "signalwire",
                    format!("{url_field} is not set; update the number with one"),
                ));
            };
            let url = url.to_string();
            let method = record
                .field(&format!("{prefix}_request_method"))
                .unwrap_or("POST")
                .to_string();
            let key = app
                .config
                .signalwire_projects
                .iter()
                .find(|p| &p.project_id == project)
                .map(|p| p.signing_key.clone());
            let label = match kind {
                DeliveryKind::Call => "call_request_url",
                DeliveryKind::Message => "message_request_url",
            };
            (label, url, method, key)
        }
        // Telnyx signs its webhooks with Ed25519 over `timestamp|body`, a
        // scheme of its own; until it is emulated, its numbers get none.
        AccountKey::Telnyx(_) => {
            return Err(refuse(
                "telnyx",
                "inbound webhooks of Telnyx numbers are not emulated yet".to_string(),
            ));
        }
    };
    let carrier = account.carrier();
    // The URL is not echoed: it may hold credentials.
    let url =
        Url::parse(&url).map_err(|e| refuse(carrier, format!("{label} is not a URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(
            carrier,
            format!("{label} carries credentials, which the emulator neither sends nor records"),
        ));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refuse(
            carrier,
            format!("{label} {:?} is not an http or https URL", url.as_str()),
        ));
    }
    // Accounts come from the configuration, so a number's owner always has
    // its key; a missing one is refused rather than signed with nothing.
    let Some(key) = key else {
        return Err(refuse(
            carrier,
            format!("account {} has no signing key configured", account.id()),
        ));
    };
    let post = !method.eq_ignore_ascii_case("GET");
    Ok(Target {
        account,
        record,
        url,
        post,
        key,
    })
}
