//! A carrier id that cannot be a Twilio phone-number SID (`PN` and 32 hex
//! digits) is the caller's mistake: `InvalidInput` naming `carrier_id`,
//! never `NotFound` (which a release takes as proof the number is gone),
//! and nothing is sent to Twilio.

mod common;

use common::*;
use switchboard_core::{CarrierUpdate, Error, TelephonyProvider};
use wiremock::MockServer;

const NOT_SIDS: [&str; 7] = [
    "",
    "PN123",
    "+18089255327",
    "../../Accounts",
    "pnaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "PNzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
    // A valid SID of another kind still does not name a phone number.
    "ADaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

fn assert_invalid_carrier_id(result: Result<impl std::fmt::Debug, Error>, id: &str) {
    match result {
        Err(error @ Error::InvalidInput { .. }) => {
            assert_eq!(error.field(), Some("carrier_id"), "{id:?}: {error}");
        }
        other => panic!("{id:?}: expected InvalidInput, got {other:?}"),
    }
}

#[tokio::test]
async fn release_and_update_refuse_what_is_not_a_pn_sid_without_asking_twilio() {
    let server = MockServer::start().await;
    let twilio = provider(&server);
    let rename = CarrierUpdate {
        friendly_name: Some("front desk".into()),
        routing: None,
    };
    for id in NOT_SIDS {
        assert_invalid_carrier_id(twilio.release(id).await, id);
        assert_invalid_carrier_id(twilio.update(id, &rename).await, id);
    }
    let sent = server.received_requests().await.unwrap_or_default();
    assert!(sent.is_empty(), "{} requests reached Twilio", sent.len());
}
