//! The request surface the emulator accepts, as data, so a test can check
//! every path and parameter against the carriers' OpenAPI documents.

use crate::config::Carriers;
use crate::{signalwire, twilio};

/// One operation the emulator serves, in OpenAPI terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedOperation {
    /// `twilio` or `signalwire`.
    pub carrier: &'static str,
    /// Lower-case HTTP method, as OpenAPI keys operations.
    pub method: &'static str,
    /// The OpenAPI path template, e.g.
    /// `/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json`.
    pub path: &'static str,
    /// Query parameters read.
    pub query: Vec<&'static str>,
    /// Body fields read (form for Twilio, JSON for SignalWire).
    pub body: Vec<&'static str>,
}

/// Every operation served for `carriers`.
pub fn accepted_surface(carriers: Carriers) -> Vec<AcceptedOperation> {
    let mut out = Vec::new();
    if carriers.twilio() {
        let op =
            |method, path, query: &[&'static str], body: Vec<&'static str>| AcceptedOperation {
                carrier: "twilio",
                method,
                path,
                query: query.to_vec(),
                body,
            };
        for path in [
            "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local.json",
            "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/TollFree.json",
            "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Mobile.json",
        ] {
            out.push(op("get", path, twilio::SEARCH_PARAMS, Vec::new()));
        }
        let list = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json";
        out.push(op("get", list, twilio::LIST_PARAMS, Vec::new()));
        out.push(op("post", list, &[], twilio::create_fields()));
        let one = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json";
        out.push(op("get", one, &[], Vec::new()));
        out.push(op("post", one, &[], twilio::update_fields()));
        out.push(op("delete", one, &[], Vec::new()));
    }
    if carriers.signalwire() {
        let op = |method, path, query: &[&'static str], body: &[&'static str]| AcceptedOperation {
            carrier: "signalwire",
            method,
            path,
            query: query.to_vec(),
            body: body.to_vec(),
        };
        out.push(op(
            "get",
            "/api/relay/rest/phone_numbers/search",
            signalwire::SEARCH_PARAMS,
            &[],
        ));
        let list = "/api/relay/rest/phone_numbers";
        out.push(op("get", list, signalwire::LIST_PARAMS, &[]));
        out.push(op("post", list, &[], signalwire::PURCHASE_FIELDS));
        let one = "/api/relay/rest/phone_numbers/{id}";
        out.push(op("get", one, &[], &[]));
        out.push(op("put", one, &[], signalwire::UPDATE_FIELDS));
        out.push(op("delete", one, &[], &[]));
    }
    out
}
