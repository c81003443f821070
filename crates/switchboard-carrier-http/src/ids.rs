//! What a carrier id that cannot be one is, whichever carrier it was for.

use switchboard_core::Error;

/// The error for a `carrier_id` that is not of the carrier's shape (a
/// Twilio `PN` SID, a SignalWire UUID, a Telnyx numeric id), found before
/// anything is sent.
///
/// It is [`Error::InvalidInput`] naming `carrier_id`, in every adapter, and
/// never [`Error::NotFound`]: not-found is an answer only the carrier can
/// give, and callers act on it (a release answered "not found" is taken as
/// proof the number is gone, and the number stops being tracked), while a
/// malformed id proves nothing about any number; it is the caller's
/// mistake, to be fixed by the caller. `why` says which rule failed; the id
/// itself is never repeated, since it came from outside and may be a secret
/// pasted into the wrong field.
pub fn invalid_carrier_id(why: impl Into<String>) -> Error {
    Error::invalid("carrier_id", why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_id_is_invalid_input_naming_the_field_and_never_not_found() {
        let e = invalid_carrier_id("is not a UUID");
        assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
        assert_eq!(e.field(), Some("carrier_id"));
        assert!(!e.is_temporary());
        assert_eq!(e.to_string(), "invalid carrier_id: is not a UUID");
    }
}
