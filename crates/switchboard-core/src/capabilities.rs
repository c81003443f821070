//! What a number can do and what kind of number it is.

use serde::{Deserialize, Serialize};

/// What a number can carry.
///
/// In a search query the same type says which capabilities are required.
/// `fax` is left out of JSON when false, so a voice/SMS/MMS number serialises
/// exactly as the seed API's `capabilities` object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Capabilities {
    /// Voice calls.
    #[serde(default)]
    pub voice: bool,
    /// SMS messages.
    #[serde(default)]
    pub sms: bool,
    /// MMS messages.
    #[serde(default)]
    pub mms: bool,
    /// Fax.
    #[serde(default, skip_serializing_if = "is_false")]
    pub fax: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl Capabilities {
    /// Voice, SMS and MMS: what most local numbers offer.
    pub const VOICE_SMS_MMS: Capabilities = Capabilities {
        voice: true,
        sms: true,
        mms: true,
        fax: false,
    };

    /// Whether every capability set in `required` is also set here.
    pub fn satisfies(&self, required: &Capabilities) -> bool {
        (!required.voice || self.voice)
            && (!required.sms || self.sms)
            && (!required.mms || self.mms)
            && (!required.fax || self.fax)
    }

    /// Whether no capability is set (as a requirement: no constraint).
    pub fn is_empty(&self) -> bool {
        !(self.voice || self.sms || self.mms || self.fax)
    }
}

/// The kind of number, which decides price, regulation and who can call it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberType {
    /// A geographic number in an area code.
    #[default]
    Local,
    /// A toll-free number (800, 888, ...), paid for by the callee.
    #[serde(alias = "toll-free", alias = "tollfree")]
    TollFree,
    /// A mobile number.
    Mobile,
}

impl NumberType {
    /// The name used in JSON and configuration.
    pub fn as_str(&self) -> &'static str {
        match self {
            NumberType::Local => "local",
            NumberType::TollFree => "toll_free",
            NumberType::Mobile => "mobile",
        }
    }
}

impl std::fmt::Display for NumberType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_capabilities_serialise_without_fax() {
        let json = serde_json::to_string(&Capabilities::VOICE_SMS_MMS).unwrap();
        assert_eq!(json, r#"{"voice":true,"sms":true,"mms":true}"#);
        let with_fax = Capabilities {
            fax: true,
            ..Capabilities::default()
        };
        assert!(
            serde_json::to_string(&with_fax)
                .unwrap()
                .contains("\"fax\":true")
        );
    }

    #[test]
    fn requirements_are_subsets() {
        let voice_only = Capabilities {
            voice: true,
            ..Default::default()
        };
        assert!(Capabilities::VOICE_SMS_MMS.satisfies(&voice_only));
        assert!(!voice_only.satisfies(&Capabilities::VOICE_SMS_MMS));
        assert!(voice_only.satisfies(&Capabilities::default()));
    }

    #[test]
    fn number_type_accepts_carrier_spellings() {
        let t: NumberType = serde_json::from_str("\"toll-free\"").unwrap();
        assert_eq!(t, NumberType::TollFree);
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"toll_free\"");
    }
}
