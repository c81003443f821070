//! What a number can do and what kind of number it is.

/// What a number can carry.
///
/// In a search query the same type says which capabilities are required.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Capabilities {
    /// Voice calls.
    pub voice: bool,
    /// SMS messages.
    pub sms: bool,
    /// MMS messages.
    pub mms: bool,
    /// Fax.
    pub fax: bool,
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum NumberType {
    /// A geographic number in an area code.
    #[default]
    Local,
    /// A toll-free number (800, 888, ...), paid for by the callee.
    TollFree,
    /// A mobile number.
    Mobile,
}

impl NumberType {
    /// The name used in JSON, configuration and logs.
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
    fn requirements_are_subsets() {
        let voice_only = Capabilities {
            voice: true,
            ..Default::default()
        };
        assert!(Capabilities::VOICE_SMS_MMS.satisfies(&voice_only));
        assert!(!voice_only.satisfies(&Capabilities::VOICE_SMS_MMS));
        assert!(voice_only.satisfies(&Capabilities::default()));
    }
}
