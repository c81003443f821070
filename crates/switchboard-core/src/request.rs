//! What callers of the provisioning service ask for.

use uuid::Uuid;

use crate::{Error, PhoneNumber, Result, Routing};

/// The longest display name accepted (Twilio's limit).
pub const MAX_FRIENDLY_NAME_LEN: usize = 64;
/// The longest idempotency key accepted.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// Buy a number for an account: the seed API's request (`phone_number`,
/// `friendly_name`, `agent_id`) plus optional extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionRequest {
    /// The number to buy, from search results.
    pub phone_number: PhoneNumber,
    /// Display name; the number itself when absent.
    pub friendly_name: Option<String>,
    /// The agent that answers the number.
    pub agent_id: Option<Uuid>,
    /// Webhooks to set at the carrier.
    pub routing: Routing,
    /// The carrier to buy from; the configured default when absent.
    pub provider: Option<String>,
    /// Repeating a request with the same key returns the same number and
    /// buys nothing more.
    pub idempotency_key: Option<String>,
}

impl ProvisionRequest {
    /// A request for `phone_number` with nothing else set.
    pub fn new(phone_number: PhoneNumber) -> Self {
        Self {
            phone_number,
            friendly_name: None,
            agent_id: None,
            routing: Routing::default(),
            provider: None,
            idempotency_key: None,
        }
    }

    /// Sets the display name.
    pub fn friendly_name(mut self, name: impl Into<String>) -> Self {
        self.friendly_name = Some(name.into());
        self
    }

    /// Assigns an agent.
    pub fn agent(mut self, agent_id: Uuid) -> Self {
        self.agent_id = Some(agent_id);
        self
    }

    /// Sets the webhooks.
    pub fn routing(mut self, routing: Routing) -> Self {
        self.routing = routing;
        self
    }

    /// Buys from this carrier rather than the default.
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// Sets the idempotency key.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Checks the fields that types alone do not.
    pub fn validate(&self) -> Result<()> {
        if let Some(name) = &self.friendly_name {
            validate_friendly_name(name)?;
        }
        if let Some(key) = &self.idempotency_key
            && (key.is_empty()
                || key.len() > MAX_IDEMPOTENCY_KEY_LEN
                || !key.chars().all(|c| c.is_ascii_graphic()))
        {
            return Err(Error::invalid(
                "idempotency_key",
                format!("must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} printable ASCII characters"),
            ));
        }
        Ok(())
    }

    /// The request as one line per field, for binding an idempotency key to
    /// the whole request: a later request under the same key must have the
    /// same fingerprint, and [`ProvisionRequest::first_difference`] names
    /// the field where two differ. Values are written with `{:?}`, which
    /// escapes line breaks, so every field stays on its own line. The key
    /// itself is left out (it is what the fingerprint is stored under).
    pub fn fingerprint(&self) -> String {
        let routing = &self.routing;
        let method = |m: Option<crate::WebhookMethod>| m.map(|m| m.as_str());
        let url = |u: &Option<crate::WebhookUrl>| u.as_ref().map(|u| u.as_str().to_string());
        let fields: [(&str, String); 9] = [
            ("phone_number", format!("{:?}", self.phone_number.as_str())),
            ("friendly_name", format!("{:?}", self.friendly_name)),
            (
                "agent_id",
                format!("{:?}", self.agent_id.map(|a| a.to_string())),
            ),
            (
                "routing.voice_url",
                format!("{:?}", url(&routing.voice_url)),
            ),
            (
                "routing.voice_method",
                format!("{:?}", method(routing.voice_method)),
            ),
            ("routing.sms_url", format!("{:?}", url(&routing.sms_url))),
            (
                "routing.sms_method",
                format!("{:?}", method(routing.sms_method)),
            ),
            (
                "routing.status_callback",
                format!("{:?}", url(&routing.status_callback)),
            ),
            ("provider", format!("{:?}", self.provider)),
        ];
        let mut out = String::new();
        for (name, value) in fields {
            out.push_str(name);
            out.push('=');
            out.push_str(&value);
            out.push('\n');
        }
        out
    }

    /// The first field in which this request differs from the one that
    /// produced `fingerprint`, or `None` when they are the same request.
    /// A fingerprint from an older layout (a field missing on either side)
    /// counts as a difference in that field.
    pub fn first_difference(&self, fingerprint: &str) -> Option<String> {
        let ours = self.fingerprint();
        let mut theirs = fingerprint.lines();
        for line in ours.lines() {
            let name = line.split_once('=').map_or(line, |(name, _)| name);
            if theirs.next() != Some(line) {
                return Some(name.to_string());
            }
        }
        theirs.next().map(|line| {
            line.split_once('=')
                .map_or(line, |(name, _)| name)
                .to_string()
        })
    }
}

/// Checks a display name: 1 to 64 characters, not all blank, and none of the
/// characters that make a name display as something else.
///
/// Control characters break log lines and the carriers' consoles.
/// Bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069)
/// reorder what follows them, so `\u{202E}gnp.exe` shows as `exe.png`; the
/// zero-width characters (U+200B..U+200F, U+2060, U+FEFF) make two names that
/// look the same differ. A name is shown to people who pick a number by it,
/// so neither has a use there. The error names the character by code point,
/// never by itself (printing it would reorder the message).
pub fn validate_friendly_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.chars().count() > MAX_FRIENDLY_NAME_LEN {
        return Err(Error::invalid(
            "friendly_name",
            format!("must be 1 to {MAX_FRIENDLY_NAME_LEN} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "friendly_name",
            "may not contain control characters",
        ));
    }
    let deceptive = |c: char| match c {
        '\u{202A}'..='\u{202E}' => Some((c, "a bidirectional override")),
        '\u{2066}'..='\u{2069}' => Some((c, "a bidirectional isolate")),
        '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' => Some((c, "a zero-width character")),
        _ => None,
    };
    if let Some((c, kind)) = name.chars().find_map(deceptive) {
        return Err(Error::invalid(
            "friendly_name",
            format!("may not contain U+{:04X} ({kind})", u32::from(c)),
        ));
    }
    Ok(())
}

/// Changes to an owned number; `None` fields stay as they are.
///
/// `agent_id` has three states: `None` (keep), `Some(None)` (unassign), or
/// `Some(Some(id))` (assign).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberUpdate {
    /// New display name.
    pub friendly_name: Option<String>,
    /// New agent: `Some(None)` unassigns.
    pub agent_id: Option<Option<Uuid>>,
    /// New webhooks; set fields replace the carrier's.
    pub routing: Option<Routing>,
}

impl NumberUpdate {
    /// Checks the fields that types alone do not.
    pub fn validate(&self) -> Result<()> {
        if let Some(name) = &self.friendly_name {
            validate_friendly_name(name)?;
        }
        if self.friendly_name.is_none() && self.agent_id.is_none() && self.routing.is_none() {
            return Err(Error::invalid(
                "body",
                "names nothing to change; give friendly_name, agent_id or routing",
            ));
        }
        Ok(())
    }

    /// Whether the carrier must be told (name or routing change).
    pub fn touches_carrier(&self) -> bool {
        self.friendly_name.is_some() || self.routing.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_fields_are_named() {
        let n = PhoneNumber::parse("+16045551234").unwrap();
        let err = ProvisionRequest::new(n.clone())
            .friendly_name("x".repeat(65))
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), Some("friendly_name"));
        let err = ProvisionRequest::new(n)
            .idempotency_key("a b")
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), Some("idempotency_key"));
    }

    #[test]
    fn fingerprints_name_the_first_differing_field() {
        let n = PhoneNumber::parse("+16045551234").unwrap();
        let first = ProvisionRequest::new(n.clone())
            .friendly_name("Main\nLine")
            .idempotency_key("k1");
        let print = first.fingerprint();
        assert_eq!(print.lines().count(), 9, "{print}");
        assert_eq!(first.first_difference(&print), None);
        // The key is not part of the request it binds.
        assert_eq!(
            first.clone().idempotency_key("k2").first_difference(&print),
            None
        );
        let other_agent = first.clone().agent(Uuid::nil());
        assert_eq!(
            other_agent.first_difference(&print).as_deref(),
            Some("agent_id")
        );
        let other_number = ProvisionRequest {
            phone_number: PhoneNumber::parse("+16045551235").unwrap(),
            ..first.clone()
        };
        assert_eq!(
            other_number.first_difference(&print).as_deref(),
            Some("phone_number")
        );
        let routed = first.clone().routing(Routing {
            sms_url: Some(crate::WebhookUrl::parse("https://a.example/sms").unwrap()),
            ..Routing::default()
        });
        assert_eq!(
            routed.first_difference(&print).as_deref(),
            Some("routing.sms_url")
        );
        let provider = first.clone().provider("twilio");
        assert_eq!(
            provider.first_difference(&print).as_deref(),
            Some("provider")
        );
        // A name is not confused with a neighbouring field by a line break.
        let renamed = first.clone().friendly_name("Main");
        assert_eq!(
            renamed.first_difference(&print).as_deref(),
            Some("friendly_name")
        );
        assert_eq!(
            first
                .first_difference("phone_number=\"+16045551234\"\n")
                .as_deref(),
            Some("friendly_name")
        );
    }

    #[test]
    fn names_with_reordering_or_invisible_characters_are_refused_by_code_point() {
        let cases = [
            ('\u{202A}', "U+202A (a bidirectional override)"),
            ('\u{202E}', "U+202E (a bidirectional override)"),
            ('\u{2066}', "U+2066 (a bidirectional isolate)"),
            ('\u{2069}', "U+2069 (a bidirectional isolate)"),
            ('\u{200B}', "U+200B (a zero-width character)"),
            ('\u{200F}', "U+200F (a zero-width character)"),
            ('\u{2060}', "U+2060 (a zero-width character)"),
            ('\u{FEFF}', "U+FEFF (a zero-width character)"),
        ];
        for (c, named) in cases {
            let err = validate_friendly_name(&format!("Main{c}Line")).unwrap_err();
            assert_eq!(err.field(), Some("friendly_name"), "{c:?}");
            let message = err.to_string();
            assert!(message.contains(named), "{c:?}: {message}");
            assert!(!message.contains(c), "{c:?} echoed: {message}");
        }
        // At either end too, and through every request type that takes a name.
        assert!(validate_friendly_name("\u{202E}gnp.exe").is_err());
        assert!(validate_friendly_name("Main Line\u{FEFF}").is_err());
        let n = PhoneNumber::parse("+16045551234").unwrap();
        let err = ProvisionRequest::new(n)
            .friendly_name("a\u{2067}b")
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), Some("friendly_name"));
        let update = NumberUpdate {
            friendly_name: Some("a\u{200D}b".into()),
            ..NumberUpdate::default()
        };
        assert_eq!(
            update.validate().unwrap_err().field(),
            Some("friendly_name")
        );
    }

    #[test]
    fn the_neighbours_of_the_refused_ranges_and_other_scripts_are_fine() {
        for name in [
            "a\u{2029}b", // paragraph separator: before U+202A
            "a\u{202F}b", // narrow no-break space: after U+202E
            "a\u{2065}b", // unassigned, before U+2066
            "a\u{206A}b", // after U+2069
            "a\u{200A}b", // hair space: before U+200B
            "a\u{2010}b", // hyphen: after U+200F
            "a\u{205F}b", // medium mathematical space: before U+2060
            "a\u{FEFE}b",
            "a\u{FF00}b",
            "\u{5317}\u{4eac}",                 // 北京
            "\u{0645}\u{0643}\u{062a}\u{0628}", // right-to-left script, no overrides
            "Caf\u{e9} \u{1F4DE}",
        ] {
            assert!(validate_friendly_name(name).is_ok(), "{name:?}");
        }
    }

    #[test]
    fn an_update_must_change_something() {
        let empty = NumberUpdate::default();
        assert_eq!(empty.validate().unwrap_err().field(), Some("body"));
        let unassign = NumberUpdate {
            agent_id: Some(None),
            ..NumberUpdate::default()
        };
        assert!(unassign.validate().is_ok());
        assert!(!unassign.touches_carrier());
    }
}
