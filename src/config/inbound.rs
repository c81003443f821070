//! The `[inbound]` section: where carriers reach this service, and how it
//! answers calls and messages to its numbers.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Secret;

/// How calls and messages to our numbers are answered. Without
/// `public_url` the inbound routes answer 404 and numbers are bought with
/// only the routing their request gives.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundConfig {
    /// The base URL carriers reach this service at, e.g.
    /// `https://sb.example.com` (`SWITCHBOARD_PUBLIC_URL`). Numbers bought
    /// without routing of their own get webhooks under it, and signatures
    /// are checked against it, never against the Host a proxy passed on.
    #[serde(default)]
    pub public_url: Option<String>,
    /// TwiML/cXML answering a call to a number with an agent. Placeholders:
    /// `{agent_id}`, `{to}`, `{from}`, `{call_id}`, `{account}`, `{number_id}`.
    #[serde(default)]
    pub voice_answer: Option<String>,
    /// The same for a message (default `<Response/>`: no reply).
    #[serde(default)]
    pub message_answer: Option<String>,
    /// What a caller hears when the number is not ours or has no agent:
    /// absent, the call is rejected; otherwise this text is spoken.
    #[serde(default)]
    pub not_ours_message: Option<String>,
    /// Where every event is forwarded as signed JSON; its XML answer is
    /// relayed, and the templates above answer when it fails.
    #[serde(default)]
    pub forward_url: Option<String>,
    /// The forwarding secret, `whsec_` then Base64 (the Standard Webhooks
    /// form).
    #[serde(default)]
    pub forward_secret: Option<Secret>,
    /// How long a forward may take before the template answers (default
    /// 10000, under the carriers' 15 s).
    #[serde(default)]
    pub forward_timeout_ms: Option<u64>,
    /// Per account, by account name: settings that replace the ones above.
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountInbound>,
}

/// One account's answers; unset fields fall back to the global ones.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountInbound {
    /// As `[inbound] voice_answer`.
    #[serde(default)]
    pub voice_answer: Option<String>,
    /// As `[inbound] message_answer`.
    #[serde(default)]
    pub message_answer: Option<String>,
    /// As `[inbound] forward_url`.
    #[serde(default)]
    pub forward_url: Option<String>,
    /// As `[inbound] forward_secret`.
    #[serde(default)]
    pub forward_secret: Option<Secret>,
}
