//! The parameters a carrier sends with an inbound call or message, under
//! Twilio's names (SignalWire's LaML webhooks use the same ones, with the
//! project id as `AccountSid`): docs/carriers/twilio.md and
//! docs/carriers/signalwire.md, "Inbound webhooks".

use super::request::{CallRequest, MessageRequest};
use super::segments;
use crate::state::NumberRecord;

/// The REST API version Twilio's webhooks name.
const API_VERSION: &str = "2010-04-01";

type Params = Vec<(String, String)>;

fn push(params: &mut Params, name: &str, value: impl Into<String>) {
    params.push((name.to_string(), value.into()));
}

fn push_some(params: &mut Params, name: &str, value: Option<&str>) {
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        push(params, name, value);
    }
}

/// The called number's place, as the carrier knows it from its catalogue.
fn callee_location(params: &mut Params, record: &NumberRecord) {
    let catalogue = &record.catalogue;
    push_some(params, "ToCity", catalogue.locality.as_deref());
    push_some(params, "ToState", catalogue.region.as_deref());
    push_some(params, "ToZip", catalogue.postal_code.as_deref());
    push(params, "ToCountry", catalogue.country.as_str());
}

/// A ringing inbound call's parameters.
pub(crate) fn call(
    call: &CallRequest,
    call_sid: &str,
    account_sid: &str,
    record: &NumberRecord,
) -> Params {
    let mut params = Vec::with_capacity(20);
    push(&mut params, "CallSid", call_sid);
    push(&mut params, "AccountSid", account_sid);
    push(&mut params, "From", call.from.trim());
    push(&mut params, "To", record.catalogue.phone_number.as_str());
    push(&mut params, "CallStatus", "ringing");
    push(&mut params, "Direction", "inbound");
    push(&mut params, "ApiVersion", API_VERSION);
    push_some(&mut params, "CallerName", call.caller_name.as_deref());
    push_some(&mut params, "ForwardedFrom", call.forwarded_from.as_deref());
    push_some(&mut params, "FromCity", call.from_city.as_deref());
    push_some(&mut params, "FromState", call.from_state.as_deref());
    push_some(&mut params, "FromZip", call.from_zip.as_deref());
    push_some(&mut params, "FromCountry", call.from_country.as_deref());
    callee_location(&mut params, record);
    extend(&mut params, &call.extra_params);
    params
}

/// A received message's parameters.
pub(crate) fn message(
    message: &MessageRequest,
    message_sid: &str,
    account_sid: &str,
    record: &NumberRecord,
) -> Params {
    let mut params = Vec::with_capacity(12 + 2 * message.media_urls.len());
    push(&mut params, "MessageSid", message_sid);
    push(&mut params, "AccountSid", account_sid);
    push_some(
        &mut params,
        "MessagingServiceSid",
        message.messaging_service_sid.as_deref(),
    );
    push(&mut params, "From", message.from.trim());
    push(&mut params, "To", record.catalogue.phone_number.as_str());
    push(&mut params, "Body", message.body.as_str());
    push(
        &mut params,
        "NumMedia",
        message.media_urls.len().to_string(),
    );
    push(
        &mut params,
        "NumSegments",
        segments::count(&message.body).to_string(),
    );
    for (i, media) in message.media_urls.iter().enumerate() {
        push(&mut params, &format!("MediaUrl{i}"), media.url.as_str());
        push(
            &mut params,
            &format!("MediaContentType{i}"),
            media.content_type(),
        );
    }
    push(&mut params, "ApiVersion", API_VERSION);
    extend(&mut params, &message.extra_params);
    params
}

/// Adds the control call's extra parameters; one that names a parameter
/// already sent replaces its value, so a test can also send odd values of
/// the known ones.
fn extend(params: &mut Params, extra: &std::collections::BTreeMap<String, String>) {
    for (name, value) in extra {
        match params.iter_mut().find(|(n, _)| n == name) {
            Some(existing) => existing.1.clone_from(value),
            None => push(params, name, value.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use switchboard_core::{AvailableNumber, Capabilities, CountryCode, NumberType, PhoneNumber};

    use super::*;
    use crate::inbound::request::Media;

    fn record() -> NumberRecord {
        NumberRecord {
            seq: 1,
            id: "PN1".into(),
            catalogue: AvailableNumber {
                phone_number: PhoneNumber::parse_trusted("+15125550100").unwrap(),
                country: CountryCode::US,
                number_type: NumberType::Local,
                region: Some("TX".into()),
                locality: Some("Austin".into()),
                postal_code: None,
                rate_center: None,
                capabilities: Capabilities::VOICE_SMS_MMS,
                provider: "fake".into(),
            },
            name: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            updated: false,
            fields: BTreeMap::new(),
        }
    }

    fn get<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_call_names_what_the_carrier_knows() {
        let mut request = CallRequest::new("+15125550100", " +16045550199 ");
        request.caller_name = Some("Zoë".into());
        request
            .extra_params
            .insert("StirVerstat".into(), "A".into());
        request
            .extra_params
            .insert("CallStatus".into(), "odd".into());
        let params = call(&request, "CA1", "AC1", &record());
        assert_eq!(get(&params, "From"), Some("+16045550199"));
        assert_eq!(get(&params, "To"), Some("+15125550100"));
        assert_eq!(get(&params, "Direction"), Some("inbound"));
        assert_eq!(get(&params, "CallerName"), Some("Zoë"));
        assert_eq!(get(&params, "FromCity"), None);
        assert_eq!(get(&params, "ToCity"), Some("Austin"));
        assert_eq!(get(&params, "ToZip"), None);
        assert_eq!(get(&params, "StirVerstat"), Some("A"));
        assert_eq!(get(&params, "CallStatus"), Some("odd"));
        assert_eq!(params.iter().filter(|(n, _)| n == "CallStatus").count(), 1);
    }

    #[test]
    fn a_message_counts_its_media_and_segments() {
        let mut request = MessageRequest::new("+15125550100", "+16045550199", "a".repeat(200));
        request.media_urls = vec![
            Media::url("https://m.example/0.png"),
            Media::url("https://m.example/1.gif"),
        ];
        let params = message(&request, "MM1", "AC1", &record());
        assert_eq!(get(&params, "NumMedia"), Some("2"));
        assert_eq!(get(&params, "NumSegments"), Some("2"));
        assert_eq!(get(&params, "MediaUrl1"), Some("https://m.example/1.gif"));
        assert_eq!(get(&params, "MediaContentType0"), Some("image/png"));
        assert_eq!(get(&params, "MediaUrl2"), None);
        assert_eq!(get(&params, "MessagingServiceSid"), None);
    }
}
