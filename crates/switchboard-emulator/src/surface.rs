//! The request surface the emulator accepts, as data, so a test can check
//! every path and parameter against the carriers' OpenAPI documents.

use crate::config::Carriers;
use crate::{signalwire, telnyx, twilio};

/// One operation the emulator serves, in OpenAPI terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedOperation {
    /// `twilio`, `signalwire` or `telnyx`.
    pub carrier: &'static str,
    /// Lower-case HTTP method, as OpenAPI keys operations.
    pub method: &'static str,
    /// The OpenAPI path template, e.g.
    /// `/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json`.
    pub path: &'static str,
    /// Query parameters read.
    pub query: Vec<&'static str>,
    /// Body fields read (form for Twilio, JSON for SignalWire and Telnyx;
    /// for Telnyx's order, also `phone_numbers[].<field>`).
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
    if carriers.telnyx() {
        // Paths as the description writes them, relative to its server
        // (`https://api.telnyx.com/v2`); the emulator serves them under `/v2`.
        let op =
            |method, path, query: &[&'static str], body: Vec<&'static str>| AcceptedOperation {
                carrier: "telnyx",
                method,
                path,
                query: query.to_vec(),
                body,
            };
        out.push(op(
            "get",
            "/available_phone_numbers",
            telnyx::SEARCH_PARAMS,
            Vec::new(),
        ));
        let mut order_body = telnyx::ORDER_FIELDS.to_vec();
        order_body.extend(telnyx::ORDER_NUMBER_FIELDS.iter().map(|f| match *f {
            "phone_number" => "phone_numbers[].phone_number",
            _ => "phone_numbers[].regulatory_requirements",
        }));
        out.push(op("post", "/number_orders", &[], order_body));
        out.push(op(
            "get",
            "/number_orders",
            telnyx::ORDER_LIST_PARAMS,
            Vec::new(),
        ));
        out.push(op(
            "get",
            "/number_orders/{number_order_id}",
            &[],
            Vec::new(),
        ));
        out.push(op("get", "/phone_numbers", telnyx::LIST_PARAMS, Vec::new()));
        let one = "/phone_numbers/{id}";
        out.push(op("get", one, &[], Vec::new()));
        out.push(op("patch", one, &[], telnyx::UPDATE_FIELDS.to_vec()));
        out.push(op("delete", one, &[], Vec::new()));
        let messaging = "/phone_numbers/{id}/messaging";
        out.push(op("get", messaging, &[], Vec::new()));
        out.push(op(
            "patch",
            messaging,
            &[],
            telnyx::MESSAGING_FIELDS.to_vec(),
        ));
        out.push(op("get", "/phone_numbers/{id}/voice", &[], Vec::new()));
    }
    out
}
