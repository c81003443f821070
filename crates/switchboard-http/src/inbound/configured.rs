//! The standalone service's answers: templates and forwarding from
//! configuration, for deployments that embed no code of their own.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use switchboard_core::inbound::{InboundEvent, InboundKind};
use switchboard_core::{AccountId, ProvisionedNumber, WebhookUrl};

use super::InboundConfigError;
use super::answer::Answer;
use super::forward::{Forward, ForwardSecret, Forwarder};
use super::handler::InboundHandler;
use super::template::Template;

/// How long a forward may take when no timeout is configured: under the
/// 15 s a carrier waits for a call's answer, leaving time for the template.
pub const DEFAULT_FORWARD_TIMEOUT: Duration = Duration::from_secs(10);

/// The `[inbound]` answers, as plain values (the facade fills them from its
/// configuration file), checked by [`ConfiguredAnswers::new`].
///
/// Its `Debug` leaves the forwarding secrets out.
#[derive(Clone, Default)]
pub struct AnswerSettings {
    /// TwiML/cXML answering a call to a number with an agent. Placeholders:
    /// `{agent_id}`, `{to}`, `{from}`, `{call_id}`, `{account}`,
    /// `{number_id}` (values are XML-escaped; `{{` is a literal `{`).
    /// Without one, such a call gets the not-ours answer.
    pub voice_answer: Option<String>,
    /// The same for a message; `<Response/>` (no reply) when absent.
    pub message_answer: Option<String>,
    /// Spoken to a caller whose number is not ours or has no agent; absent,
    /// such calls are rejected. Messages to such numbers get no reply.
    pub not_ours_message: Option<String>,
    /// Where events to numbers with an agent are forwarded as signed JSON;
    /// a `<Response>` answer from there is relayed, anything else falls
    /// back to the template.
    pub forward_url: Option<String>,
    /// The forwarding secret, `whsec_` then the Base64 key.
    pub forward_secret: Option<String>,
    /// How long a forward may take; [`DEFAULT_FORWARD_TIMEOUT`] when absent.
    pub forward_timeout: Option<Duration>,
    /// Per account, by account name: settings that replace the ones above
    /// for that account's numbers.
    pub accounts: BTreeMap<String, AccountAnswers>,
}

/// One account's answers; each unset field is the global one.
#[derive(Clone, Default)]
pub struct AccountAnswers {
    /// As [`AnswerSettings::voice_answer`].
    pub voice_answer: Option<String>,
    /// As [`AnswerSettings::message_answer`].
    pub message_answer: Option<String>,
    /// As [`AnswerSettings::forward_url`].
    pub forward_url: Option<String>,
    /// As [`AnswerSettings::forward_secret`].
    pub forward_secret: Option<String>,
}

fn redacted(secret: &Option<String>) -> Option<&'static str> {
    secret.as_ref().map(|_| "redacted")
}

impl fmt::Debug for AnswerSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnswerSettings")
            .field("voice_answer", &self.voice_answer)
            .field("message_answer", &self.message_answer)
            .field("not_ours_message", &self.not_ours_message)
            .field("forward_url", &self.forward_url)
            .field("forward_secret", &redacted(&self.forward_secret))
            .field("forward_timeout", &self.forward_timeout)
            .field("accounts", &self.accounts)
            .finish()
    }
}

impl fmt::Debug for AccountAnswers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountAnswers")
            .field("voice_answer", &self.voice_answer)
            .field("message_answer", &self.message_answer)
            .field("forward_url", &self.forward_url)
            .field("forward_secret", &redacted(&self.forward_secret))
            .finish()
    }
}

/// What one account's numbers (or every other number) are answered with.
#[derive(Debug, Clone)]
struct Scope {
    voice: Option<Template>,
    message: Template,
    forward: Option<Forward>,
}

/// The answers of the standalone service: a template per kind, global and
/// per account, optionally a forward to the application's receiver first,
/// and a fallback for numbers that are not ours or have no agent.
///
/// Its `Debug` shows no secret.
#[derive(Debug, Clone)]
pub struct ConfiguredAnswers {
    global: Scope,
    accounts: HashMap<AccountId, Scope>,
    not_ours: Answer,
    forwarder: Forwarder,
}

/// The names under which a field is reported (the configuration file's).
struct Names {
    prefix: String,
}

impl Names {
    fn error(&self, field: &str, reason: impl Into<String>) -> InboundConfigError {
        InboundConfigError::new(format!("{}{field}", self.prefix), reason)
    }
}

fn template(names: &Names, field: &str, text: &str) -> Result<Template, InboundConfigError> {
    Template::parse(text).map_err(|reason| names.error(field, reason))
}

fn forward(
    names: &Names,
    url: Option<&String>,
    secret: Option<&String>,
) -> Result<Option<Forward>, InboundConfigError> {
    match (url, secret) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(names.error(
            "forward_secret",
            "is set, but there is no forward_url to send events to",
        )),
        (Some(_), None) => Err(names.error(
            "forward_url",
            "needs forward_secret to sign what it is sent",
        )),
        (Some(url), Some(secret)) => {
            WebhookUrl::parse(url).map_err(|reason| names.error("forward_url", reason))?;
            let url = reqwest::Url::parse(url)
                .map_err(|e| names.error("forward_url", format!("is not a URL: {e}")))?;
            let secret = ForwardSecret::parse(secret)
                .map_err(|reason| names.error("forward_secret", reason))?;
            Ok(Some(Forward { url, secret }))
        }
    }
}

impl ConfiguredAnswers {
    /// Checks `settings` and builds the answers. Every template, URL and
    /// secret is checked here, so a mistake stops the service at startup
    /// with the field named (`voice_answer`, `accounts.acme.forward_secret`),
    /// never the secret's value.
    pub fn new(settings: AnswerSettings) -> Result<Self, InboundConfigError> {
        let top = Names {
            prefix: String::new(),
        };
        let voice = settings
            .voice_answer
            .as_deref()
            .map(|text| template(&top, "voice_answer", text))
            .transpose()?;
        let message = template(
            &top,
            "message_answer",
            settings.message_answer.as_deref().unwrap_or("<Response/>"),
        )?;
        let global = Scope {
            voice,
            message,
            forward: forward(
                &top,
                settings.forward_url.as_ref(),
                settings.forward_secret.as_ref(),
            )?,
        };
        let timeout = settings.forward_timeout.unwrap_or(DEFAULT_FORWARD_TIMEOUT);
        if timeout.is_zero() {
            return Err(top.error("forward_timeout", "must be more than zero"));
        }
        let mut accounts = HashMap::new();
        for (name, own) in &settings.accounts {
            let names = Names {
                prefix: format!("accounts.{name}."),
            };
            let account = AccountId::parse(name).map_err(|reason| {
                InboundConfigError::new(format!("accounts.{name}"), format!("account {reason}"))
            })?;
            let voice = match &own.voice_answer {
                Some(text) => Some(template(&names, "voice_answer", text)?),
                None => global.voice.clone(),
            };
            let message = match &own.message_answer {
                Some(text) => template(&names, "message_answer", text)?,
                None => global.message.clone(),
            };
            let url = own.forward_url.as_ref().or(settings.forward_url.as_ref());
            let secret = own
                .forward_secret
                .as_ref()
                .or(settings.forward_secret.as_ref());
            let forward = forward(&names, url, secret)?;
            accounts.insert(
                account,
                Scope {
                    voice,
                    message,
                    forward,
                },
            );
        }
        let not_ours = settings
            .not_ours_message
            .as_deref()
            .map_or_else(Answer::reject, Answer::say);
        let forwarder =
            Forwarder::new(timeout).map_err(|reason| top.error("forward_url", reason))?;
        Ok(Self {
            global,
            accounts,
            not_ours,
            forwarder,
        })
    }

    fn not_ours(&self, kind: InboundKind) -> Answer {
        match kind {
            InboundKind::Voice => self.not_ours.clone(),
            InboundKind::Message => Answer::empty(),
        }
    }
}

#[async_trait]
impl InboundHandler for ConfiguredAnswers {
    async fn answer(&self, event: &InboundEvent, number: Option<&ProvisionedNumber>) -> Answer {
        let kind = event.kind();
        let Some(number) = number.filter(|n| n.agent_id.is_some()) else {
            tracing::debug!(
                kind = kind.route_segment(),
                "no agent answers this number: the not-ours answer"
            );
            return self.not_ours(kind);
        };
        let scope = self.accounts.get(&number.account).unwrap_or(&self.global);
        if let Some(to) = &scope.forward {
            match self.forwarder.forward(to, event, number).await {
                Ok(answer) => return answer,
                Err(reason) => tracing::warn!(
                    account = %number.account,
                    kind = kind.route_segment(),
                    %reason,
                    "forwarding failed: answering with the template"
                ),
            }
        }
        let template = match kind {
            InboundKind::Voice => scope.voice.as_ref(),
            InboundKind::Message => Some(&scope.message),
        };
        match template {
            Some(template) => template.render(event, number),
            None => self.not_ours(kind),
        }
    }

    /// A call is answered as if the number were not ours (rejected, or the
    /// configured message) rather than with the carrier's "application
    /// error"; a message gets the error, so the carrier's log shows it.
    async fn store_unavailable(&self, event: &InboundEvent) -> Option<Answer> {
        match event.kind() {
            InboundKind::Voice => Some(self.not_ours.clone()),
            InboundKind::Message => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> AnswerSettings {
        AnswerSettings {
            voice_answer: Some("<Response><Say>{agent_id}</Say></Response>".into()),
            ..AnswerSettings::default()
        }
    }

    #[test]
    fn mistakes_are_named_by_their_field() {
        let mut bad = settings();
        bad.voice_answer = Some("<Response>{agnet}</Response>".into());
        let err = ConfiguredAnswers::new(bad).unwrap_err();
        assert_eq!(err.field, "voice_answer");
        assert!(err.reason.contains("{agnet}"), "{err}");

        let mut bad = settings();
        bad.accounts.insert(
            "acme".into(),
            AccountAnswers {
                message_answer: Some("<Message>hi</Message>".into()),
                ..AccountAnswers::default()
            },
        );
        let err = ConfiguredAnswers::new(bad).unwrap_err();
        assert_eq!(err.field, "accounts.acme.message_answer");
        assert!(err.to_string().contains("<Message>"), "{err}");

        let mut bad = settings();
        bad.accounts
            .insert("no spaces".into(), AccountAnswers::default());
        let err = ConfiguredAnswers::new(bad).unwrap_err();
        assert_eq!(err.field, "accounts.no spaces");

        let mut bad = settings();
        bad.forward_url = Some("https://hooks.example/in".into());
        assert_eq!(
            ConfiguredAnswers::new(bad.clone()).unwrap_err().field,
            "forward_url"
        );
        bad.forward_secret = Some("whsec_***top-secret***".into());
        let err = ConfiguredAnswers::new(bad.clone()).unwrap_err();
        assert_eq!(err.field, "forward_secret");
        assert!(!err.to_string().contains("top-secret"), "{err}");
        bad.forward_url = Some("ftp://hooks.example".into());
        bad.forward_secret = Some("whsec_c3dpdGNoYm9hcmQtZm9yd2FyZGluZy1rZXktMQ==".into());
        assert_eq!(
            ConfiguredAnswers::new(bad).unwrap_err().field,
            "forward_url"
        );

        let mut bad = settings();
        bad.forward_timeout = Some(Duration::ZERO);
        assert_eq!(
            ConfiguredAnswers::new(bad).unwrap_err().field,
            "forward_timeout"
        );
    }

    #[test]
    fn an_account_inherits_the_global_forward_and_secrets_stay_out_of_debug() {
        let mut settings = settings();
        settings.forward_url = Some("https://hooks.example/in".into());
        settings.forward_secret = Some("whsec_c3dpdGNoYm9hcmQtZm9yd2FyZGluZy1rZXktMQ==".into());
        settings.accounts.insert(
            "acme".into(),
            AccountAnswers {
                forward_url: Some("https://acme.example/in".into()),
                ..AccountAnswers::default()
            },
        );
        let shown = format!("{settings:?}");
        assert!(!shown.contains("c3dpdGNo"), "{shown}");
        let answers = ConfiguredAnswers::new(settings).unwrap();
        let acme = &answers.accounts[&AccountId::parse("acme").unwrap()];
        let forward = acme.forward.as_ref().unwrap();
        assert_eq!(forward.url.as_str(), "https://acme.example/in");
        let shown = format!("{answers:?}");
        assert!(!shown.contains("c3dpdGNo"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }
}
