//! The nine ways the live service differs from its specification
//! (docs/carriers/twilio.md, "Live behaviour that differs from the
//! description"), one test each, built from the facts written there on top
//! of Twilio's own examples. "Quirk N" below is live behaviour N there.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use switchboard_core::{
    Capabilities, CountryCode, Error, PhoneNumber, PurchaseRequest, Routing, SearchQuery,
    TelephonyProvider,
};
use switchboard_twilio::{MAX_SEARCH_RESULTS, TwilioProvider};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Twilio's Local example entry, copied under `count` different numbers.
fn many_local(count: usize) -> Vec<Value> {
    let template = local_search_example()["available_phone_numbers"][0].clone();
    (0..count)
        .map(|i| {
            let mut entry = template.clone();
            entry["phone_number"] = json!(format!("+1808925{:04}", 2000 + i));
            entry
        })
        .collect()
}

fn buy(number: &str) -> PurchaseRequest {
    PurchaseRequest {
        phone_number: PhoneNumber::parse(number).unwrap(),
        friendly_name: None,
        routing: Routing::default(),
    }
}

/// Quirk 1: search returns at most about 30 numbers and no usable next
/// page, so the adapter makes one request and never follows a page link.
#[tokio::test]
async fn quirk_1_search_makes_one_request_and_never_pages() {
    let server = MockServer::start().await;
    let mut body = local_search_example();
    body["available_phone_numbers"] = json!(many_local(30));
    body["next_page_uri"] = json!(format!(
        "{}?PageSize=50&Page=1&PageToken=PAx",
        available("US", "Local")
    ));
    Mock::given(method("GET"))
        .and(path(available("US", "Local")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let p = provider(&server);
    assert_eq!(p.features().max_search_results, MAX_SEARCH_RESULTS);
    assert_eq!(MAX_SEARCH_RESULTS, 30);
    let found = p
        .search(&SearchQuery::new(CountryCode::US).limit(50))
        .await
        .unwrap();
    assert_eq!(found.len(), 30);
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1, "the next page must not be followed");
    assert_eq!(query_pairs(&requests[0]), pairs(&[("PageSize", "50")]));
    // And a smaller limit is honoured locally.
    let found = p
        .search(&SearchQuery::new(CountryCode::US).limit(4))
        .await
        .unwrap();
    assert_eq!(found.len(), 4);
}

/// Quirk 2: capability keys arrive as `voice`/`SMS`/`MMS` or
/// `voice`/`sms`/`mms`/`fax`; `fax` may be missing (false).
#[tokio::test]
async fn quirk_2_capability_keys_in_either_case_and_missing_fax() {
    let server = MockServer::start().await;
    let mut entries = many_local(2);
    entries[0]["capabilities"] = json!({"voice": true, "SMS": true, "MMS": true});
    entries[1]["capabilities"] = json!({"voice": true, "sms": true, "mms": false, "fax": true});
    let mut body = local_search_example();
    body["available_phone_numbers"] = json!(entries);
    Mock::given(method("GET"))
        .and(path(available("US", "Local")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let mut owned = list_example();
    owned["incoming_phone_numbers"][0]["capabilities"] =
        json!({"voice": false, "SMS": true, "MMS": true});
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(200).set_body_json(owned))
        .mount(&server)
        .await;
    let p = provider(&server);
    // Asking for SMS keeps the upper-case "SMS" entry.
    let sms = Capabilities {
        sms: true,
        ..Capabilities::default()
    };
    let found = p
        .search(&SearchQuery::new(CountryCode::US).capabilities(sms))
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].capabilities, Capabilities::VOICE_SMS_MMS);
    assert_eq!(
        found[1].capabilities,
        Capabilities {
            voice: true,
            sms: true,
            mms: false,
            fax: true
        }
    );
    let number = p
        .find_owned(&PhoneNumber::parse("+18089255327").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        number.capabilities,
        Capabilities {
            voice: false,
            sms: true,
            mms: true,
            fax: false
        }
    );
}

/// Quirk 3: latitude and longitude arrive as strings (the spec says number).
#[tokio::test]
async fn quirk_3_coordinates_as_strings_numbers_or_null() {
    let server = MockServer::start().await;
    let mut entries = many_local(3);
    // Twilio's own example already sends strings; add the spec's numbers and nulls.
    assert_eq!(entries[0]["latitude"], json!("19.720000"));
    entries[1]["latitude"] = json!(19.72);
    entries[1]["longitude"] = json!(-155.09);
    entries[2]["latitude"] = Value::Null;
    entries[2]["longitude"] = json!("");
    let mut body = local_search_example();
    body["available_phone_numbers"] = json!(entries);
    Mock::given(method("GET"))
        .and(path(available("US", "Local")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let found = provider(&server)
        .search(&SearchQuery::new(CountryCode::US))
        .await
        .unwrap();
    assert_eq!(found.len(), 3);
}

/// Quirk 4: unset URL and SID fields come back as `""` or `null`: none.
#[tokio::test]
async fn quirk_4_empty_and_null_urls_are_unset() {
    let server = MockServer::start().await;
    let mut body = purchase_example();
    body["voice_url"] = json!("");
    body["voice_method"] = json!("POST");
    body["sms_url"] = Value::Null;
    body["status_callback"] = json!("");
    body["address_sid"] = json!("");
    body["bundle_sid"] = Value::Null;
    body["friendly_name"] = json!("");
    Mock::given(method("POST"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(201).set_body_json(body))
        .mount(&server)
        .await;
    let bought = provider(&server)
        .purchase(&buy("+18089255327"))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert_eq!(bought.routing, Routing::default());
    assert_eq!(bought.friendly_name, None);
    assert_eq!(bought.carrier_id, PN);
}

/// Quirk 5: fields come and go between versions; unknown ones are ignored
/// and optional ones never required.
#[tokio::test]
async fn quirk_5_unknown_fields_ignored_optional_fields_not_required() {
    let server = MockServer::start().await;
    let mut full = list_example()["incoming_phone_numbers"][0].clone();
    full["subresource_uris"] = json!({"assigned_add_ons": "/x.json"});
    full["beta"] = Value::Null;
    full["brand_new_field"] = json!({"nested": [1, 2, 3]});
    let minimal =
        json!({"sid": "PNbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "phone_number": "+18089255328"});
    let body = json!({"incoming_phone_numbers": [full, minimal], "next_page_uri": null});
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let mut search = json!({"available_phone_numbers": [{"phone_number": "+18089251571", "type": "local", "status": "available"}]});
    search["uri"] = Value::Null;
    Mock::given(method("GET"))
        .and(path(available("US", "Local")))
        .respond_with(ResponseTemplate::new(200).set_body_json(search))
        .mount(&server)
        .await;
    let p = provider(&server);
    let page = p
        .list_owned(&switchboard_core::PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(
        page.items[1].carrier_id,
        "PNbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    );
    assert_eq!(page.items[1].capabilities, Capabilities::default());
    assert_eq!(page.items[1].friendly_name, None);
    let found = p.search(&SearchQuery::new(CountryCode::US)).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].region, None);
    assert_eq!(found[0].country, CountryCode::US);
}

/// Quirk 6: buying a number the account already owns answers 201
/// (`in-use`), so purchase is never retried, and a purchase whose answer
/// was lost is settled by listing owned numbers with `PhoneNumber=`.
#[tokio::test]
async fn quirk_6_purchase_is_never_repeated_and_a_lost_answer_is_settled_by_listing() {
    let server = MockServer::start().await;
    // The account already owns the number: Twilio still answers 201 in-use.
    let mut owned = purchase_example();
    owned["status"] = json!("in-use");
    Mock::given(method("POST"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(201).set_body_json(owned))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let p = provider(&server);
    let again = p
        .purchase(&buy("+18089255327"))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert_eq!(again.carrier_id, PN);

    // Next purchase: the answer is lost (slower than the client's timeout).
    Mock::given(method("POST"))
        .and(path(INCOMING))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(purchase_example())
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_example()))
        .mount(&server)
        .await;
    let impatient =
        TwilioProvider::new(config(&server).timeout(Duration::from_millis(300))).unwrap();
    let err = impatient.purchase(&buy("+18089255327")).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let settled = impatient
        .find_owned(&PhoneNumber::parse("+18089255327").unwrap())
        .await
        .unwrap()
        .expect("the lost purchase shows in the list");
    assert_eq!(settled.carrier_id, PN);

    let requests = received(&server).await;
    let posts = requests
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(posts, 2, "one POST per purchase call, never a retry");
    let list = requests
        .iter()
        .find(|r| r.method.as_str() == "GET")
        .unwrap();
    assert_eq!(list.url.path(), INCOMING);
    assert_eq!(query_pairs(list), pairs(&[("PhoneNumber", "+18089255327")]));
}

/// Quirk 7: a fetch right after a purchase may answer 20404, so find_owned
/// lists with a filter and never fetches by SID.
#[tokio::test]
async fn quirk_7_find_owned_right_after_purchase_never_fetches_by_sid() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(201).set_body_json(purchase_example()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(INCOMING_PN))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "code": 20404,
            "message": "The requested resource was not found",
            "more_info": "https://www.twilio.com/docs/errors/20404",
            "status": 404
        })))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_example()))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server);
    let bought = p
        .purchase(&buy("+18089255327"))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    let found = p
        .find_owned(&bought.phone_number)
        .await
        .unwrap()
        .expect("found by the list filter");
    assert_eq!(found.carrier_id, bought.carrier_id);
    server.verify().await;
}

/// Quirk 8: `EmergencyAddressSid` on purchase has been seen to be ignored,
/// so a configured emergency address goes in a follow-up update (retried
/// through a moment of 20404, quirk 7), never in the purchase form.
#[tokio::test]
async fn quirk_8_emergency_address_is_set_by_a_follow_up_update() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(201).set_body_json(purchase_example()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(INCOMING_PN))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "code": 20404, "message": "not found", "status": 404
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(INCOMING_PN))
        .respond_with(ResponseTemplate::new(200).set_body_json(update_example()))
        .mount(&server)
        .await;
    let config = config(&server)
        .emergency_address_sid("ADbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
        .unwrap();
    let bought = TwilioProvider::new(config)
        .unwrap()
        .purchase(&buy("+18089255327"))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert_eq!(bought.carrier_id, PN);

    let requests = received(&server).await;
    assert_eq!(requests.len(), 3);
    let purchase_form = form_pairs(&requests[0]);
    assert!(
        purchase_form
            .iter()
            .all(|(k, _)| k != "EmergencyAddressSid"),
        "{purchase_form:?}"
    );
    for follow_up in &requests[1..] {
        assert_eq!(follow_up.url.path(), INCOMING_PN);
        assert_eq!(
            form_pairs(follow_up),
            pairs(&[("EmergencyAddressSid", "ADbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")])
        );
    }
}

/// Quirk 8, continued: if the follow-up keeps failing, the purchase still
/// stands, because the number is bought and must be recorded.
#[tokio::test]
async fn quirk_8_a_failed_follow_up_does_not_undo_the_purchase() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(201).set_body_json(purchase_example()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(INCOMING_PN))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": 21451, "message": "Invalid address", "status": 400
        })))
        .expect(1)
        .mount(&server)
        .await;
    let config = config(&server)
        .emergency_address_sid("ADbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
        .unwrap();
    let bought = TwilioProvider::new(config)
        .unwrap()
        .purchase(&buy("+18089255327"))
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert_eq!(bought.carrier_id, PN);
    server.verify().await;
}

/// Quirk 9: release is immediate and irreversible. A retry after a failed
/// answer finds the number gone (20404) and reports NotFound, which callers
/// treat as done; only a checked PN SID is ever deleted.
#[tokio::test]
async fn quirk_9_release_retry_sees_not_found_and_only_sids_are_deleted() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(INCOMING_PN))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream timeout"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(INCOMING_PN))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "code": 20404, "message": "The requested resource was not found", "status": 404
        })))
        .mount(&server)
        .await;
    let p = provider(&server);
    let err = p.release(PN).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("20404"), "{err}");
    for not_a_sid in ["+18089255327", "PN123", "../../Accounts", ""] {
        let err = p.release(not_a_sid).await.unwrap_err();
        assert_eq!(err.field(), Some("carrier_id"), "{not_a_sid}");
    }
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.method.as_str() == "DELETE"));
}
