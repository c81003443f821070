//! From the `[inbound]` section to the inbound routes' options: the
//! configured answers, and a webhook verifier for every configured carrier
//! that has one, keyed as that carrier signs.

use std::collections::BTreeMap;
use std::sync::Arc;

use switchboard_core::{Error, Result, Routing, WebhookUrl};
use switchboard_http::inbound::{AccountAnswers, AnswerSettings, ConfiguredAnswers};
use switchboard_http::{InboundOptions, inbound_routing};

use crate::config::Config;

/// What `serve` needs to answer carriers' webhooks: the routes' options,
/// and the routing numbers bought without their own get, per carrier.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// For [`switchboard_http::AppState::with_inbound`].
    pub options: InboundOptions,
    /// For [`switchboard_core::ServiceOptions::inbound_routing`].
    pub routing: BTreeMap<String, Routing>,
}

fn invalid(field: &str, reason: impl std::fmt::Display) -> Error {
    Error::Configuration {
        message: format!("[inbound] {field} {reason}"),
    }
}

/// The inbound settings of `config`, checked; `None` without a
/// `public_url`, when the inbound routes answer 404. Every template, URL,
/// secret and carrier key is checked here, so a mistake stops the service
/// at start, naming the setting (never a secret's value).
pub fn configure(config: &Config) -> Result<Option<Inbound>> {
    let section = &config.inbound;
    let Some(public_url) = &section.public_url else {
        let answers_set = section.voice_answer.is_some()
            || section.message_answer.is_some()
            || section.forward_url.is_some()
            || !section.accounts.is_empty();
        if answers_set {
            return Err(invalid(
                "public_url",
                "is needed for the answers configured in [inbound] (or SWITCHBOARD_PUBLIC_URL): \
                 carriers must be given a URL to call",
            ));
        }
        return Ok(None);
    };
    let public_url = WebhookUrl::parse(public_url)
        .map_err(|reason| invalid("public_url (SWITCHBOARD_PUBLIC_URL)", reason))?;
    switchboard_http::inbound::check_public_url(&public_url)
        .map_err(|e| invalid(&e.field, e.reason))?;
    let forward_timeout = match section.forward_timeout_ms {
        None => None,
        Some(ms) if (1..=14_000).contains(&ms) => Some(std::time::Duration::from_millis(ms)),
        Some(_) => {
            return Err(invalid(
                "forward_timeout_ms",
                "must be from 1 to 14000 milliseconds: carriers give up on a webhook after about 15 s",
            ));
        }
    };
    let settings = AnswerSettings {
        voice_answer: section.voice_answer.clone(),
        message_answer: section.message_answer.clone(),
        not_ours_message: section.not_ours_message.clone(),
        forward_url: section.forward_url.clone(),
        forward_secret: section
            .forward_secret
            .as_ref()
            .map(|s| s.expose().to_string()),
        forward_timeout,
        accounts: section
            .accounts
            .iter()
            .map(|(name, account)| {
                let answers = AccountAnswers {
                    voice_answer: account.voice_answer.clone(),
                    message_answer: account.message_answer.clone(),
                    forward_url: account.forward_url.clone(),
                    forward_secret: account
                        .forward_secret
                        .as_ref()
                        .map(|s| s.expose().to_string()),
                };
                (name.clone(), answers)
            })
            .collect(),
    };
    let answers = ConfiguredAnswers::new(settings).map_err(|e| invalid(&e.field, e.reason))?;
    let mut options = InboundOptions::new(public_url.clone(), Arc::new(answers));
    let mut routing = BTreeMap::new();
    for (carrier, verifier) in crate::carriers::webhook_verifiers(config)? {
        routing.insert(carrier.to_string(), inbound_routing(&public_url, carrier));
        options = options.with_verifier(verifier);
    }
    Ok(Some(Inbound { options, routing }))
}
