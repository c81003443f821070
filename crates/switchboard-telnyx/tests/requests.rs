//! Request-level tests: each operation against a local server that answers
//! only the exact request Telnyx's description defines (method, path,
//! query names and values, JSON body, Bearer key), with answers built from
//! the description's examples.

mod common;

use common::*;
use serde_json::json;
use switchboard_core::{
    Capabilities, CarrierUpdate, DigitPattern, Error, NumberType, OrderStatus, PageRequest,
    PhoneNumber, PurchaseOutcome, PurchaseRequest, Routing, SearchQuery, TelephonyProvider,
    WebhookMethod, WebhookUrl,
};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

/// Matches the decoded query pairs exactly, in order (empty: no query).
struct Pairs(Vec<(&'static str, String)>);

impl Match for Pairs {
    fn matches(&self, request: &Request) -> bool {
        let sent: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        sent.len() == self.0.len()
            && sent
                .iter()
                .zip(&self.0)
                .all(|((k, v), (ek, ev))| k == ek && v == ev)
    }
}

fn pairs(list: &[(&'static str, &str)]) -> Pairs {
    Pairs(list.iter().map(|(k, v)| (*k, v.to_string())).collect())
}

fn authorized(verb: &str, p: &str) -> wiremock::MockBuilder {
    Mock::given(method(verb))
        .and(path(p))
        .and(header("authorization", AUTHORIZATION))
        .and(header("accept", "application/json"))
}

fn number(n: &str) -> PhoneNumber {
    PhoneNumber::parse_trusted(n).unwrap()
}

fn url(u: &str) -> WebhookUrl {
    WebhookUrl::parse(u).unwrap()
}

fn ok(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// `GET /phone_numbers?filter[phone_number]=<digits>` answering `records`.
async fn mount_find(server: &MockServer, digits: &str, records: Vec<serde_json::Value>) {
    authorized("GET", NUMBERS)
        .and(pairs(&[("filter[phone_number]", digits)]))
        .respond_with(ok(list_page(records, 1, 1)))
        .mount(server)
        .await;
}

// ---- search ---------------------------------------------------------------

#[tokio::test]
async fn search_sends_the_described_filter_names_and_reads_the_answer() {
    let server = MockServer::start().await;
    authorized("GET", SEARCH)
        .and(pairs(&[
            ("filter[country_code]", "US"),
            ("filter[phone_number_type]", "local"),
            ("filter[national_destination_code]", "970"),
            ("filter[phone_number][contains]", "5098"),
            ("filter[administrative_area]", "CO"),
            ("filter[locality]", "Loveland"),
            ("filter[features]", "voice,sms"),
            ("filter[limit]", "5"),
        ]))
        .respond_with(ok(search_answer(&[NUMBER])))
        .expect(1)
        .mount(&server)
        .await;
    let found = provider(&server)
        .search(
            &SearchQuery::default()
                .area_code("970")
                .pattern(DigitPattern::Contains("5098".into()))
                .region("CO")
                .locality("Loveland")
                .capabilities(Capabilities {
                    voice: true,
                    sms: true,
                    ..Capabilities::default()
                })
                .limit(5),
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let first = &found[0];
    assert_eq!(first.phone_number.as_str(), NUMBER);
    assert_eq!(first.provider, "telnyx");
    assert_eq!(first.number_type, NumberType::Local);
    assert_eq!(first.region.as_deref(), Some("CO"));
    assert_eq!(first.locality.as_deref(), Some("Loveland"));
    assert_eq!(first.rate_center.as_deref(), Some("LOVELAND"));
    assert!(first.capabilities.voice && first.capabilities.sms && !first.capabilities.fax);
}

#[tokio::test]
async fn toll_free_and_mobile_searches_name_their_type() {
    let server = MockServer::start().await;
    for (kind, ends) in [("toll_free", "2222"), ("mobile", "3333")] {
        authorized("GET", SEARCH)
            .and(pairs(&[
                ("filter[country_code]", "US"),
                ("filter[phone_number_type]", kind),
                ("filter[phone_number][ends_with]", ends),
                ("filter[limit]", "20"),
            ]))
            .respond_with(ok(search_answer(&[&format!("+1800555{ends}")])))
            .expect(1)
            .mount(&server)
            .await;
    }
    let telnyx = provider(&server);
    for (kind, ends) in [(NumberType::TollFree, "2222"), (NumberType::Mobile, "3333")] {
        let q = SearchQuery::default()
            .number_type(kind)
            .pattern(DigitPattern::EndsWith(ends.into()));
        let found = telnyx.search(&q).await.unwrap();
        assert_eq!(found.len(), 1, "{kind}");
        assert_eq!(found[0].number_type, kind);
    }
}

#[tokio::test]
async fn a_filter_telnyx_cannot_express_sends_nothing() {
    let server = MockServer::start().await;
    let telnyx = provider(&server);
    for q in [
        SearchQuery::default().postal_code("80537"),
        SearchQuery::default().pattern(DigitPattern::Contains("555".into())),
    ] {
        let err = telnyx.search(&q).await.unwrap_err();
        assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

// ---- purchase and orders -------------------------------------------------

#[tokio::test]
async fn a_pending_order_is_a_pending_purchase_sent_once_with_the_configured_ids() {
    let server = MockServer::start().await;
    authorized("POST", ORDERS)
        .and(pairs(&[]))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "phone_numbers": [{"phone_number": NUMBER}],
            "connection_id": CONNECTION,
            "messaging_profile_id": PROFILE,
            "customer_reference": "Main line"
        })))
        .respond_with(ok(order("pending", NUMBER)))
        .expect(1)
        .mount(&server)
        .await;
    let outcome = provider(&server)
        .purchase(&PurchaseRequest {
            phone_number: number(NUMBER),
            friendly_name: Some("Main line".into()),
            routing: Routing::default(),
        })
        .await
        .unwrap();
    let PurchaseOutcome::Pending(pending) = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(pending.order_id, ORDER_ID);
    assert_eq!(pending.phone_number.as_str(), NUMBER);
}

#[tokio::test]
async fn an_order_is_never_sent_twice_even_after_a_temporary_failure() {
    let server = MockServer::start().await;
    authorized("POST", ORDERS)
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .purchase(&PurchaseRequest {
            phone_number: number(NUMBER),
            friendly_name: None,
            routing: Routing::default(),
        })
        .await
        .unwrap_err();
    assert!(err.is_temporary(), "{err:?}");
}

#[tokio::test]
async fn a_successful_order_is_bought_with_the_owned_numbers_id_and_its_name() {
    let server = MockServer::start().await;
    authorized("POST", ORDERS)
        .and(body_json(json!({
            "phone_numbers": [{"phone_number": NUMBER}],
            "connection_id": AGENT_CONNECTION,
            "messaging_profile_id": AGENT_PROFILE,
            "customer_reference": "Main line"
        })))
        .respond_with(ok({
            let mut o = order("success", NUMBER);
            o["data"]["connection_id"] = json!(AGENT_CONNECTION);
            o["data"]["messaging_profile_id"] = json!(AGENT_PROFILE);
            o["data"]["customer_reference"] = json!("Main line");
            o
        }))
        .expect(1)
        .mount(&server)
        .await;
    mount_find(&server, "19705555098", vec![owned(NUMBER_ID, NUMBER)]).await;
    // The number lacks what the order carried: given it, once each.
    authorized("PATCH", &format!("{}/messaging", number_path()))
        .and(body_json(json!({"messaging_profile_id": AGENT_PROFILE})))
        .respond_with(ok(
            json!({"data": {"id": NUMBER_ID, "messaging_profile_id": AGENT_PROFILE}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let mut named = owned(NUMBER_ID, NUMBER);
    named["customer_reference"] = json!("Main line");
    named["connection_id"] = json!(AGENT_CONNECTION);
    named["messaging_profile_id"] = json!(AGENT_PROFILE);
    authorized("PATCH", &number_path())
        .and(body_json(
            json!({"customer_reference": "Main line", "connection_id": AGENT_CONNECTION}),
        ))
        .respond_with(ok(owned_answer(named)))
        .expect(1)
        .mount(&server)
        .await;
    let bought = provider(&server)
        .purchase(&PurchaseRequest {
            phone_number: number(NUMBER),
            friendly_name: Some("Main line".into()),
            routing: Routing {
                voice_url: Some(url(VOICE_URL)),
                sms_url: Some(url(SMS_URL)),
                ..Routing::default()
            },
        })
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert_eq!(bought.carrier_id, NUMBER_ID);
    assert_eq!(bought.friendly_name.as_deref(), Some("Main line"));
    assert_eq!(bought.routing.voice_url, Some(url(VOICE_URL)));
    assert_eq!(bought.routing.sms_url, Some(url(SMS_URL)));
    assert_eq!(bought.routing.voice_method, Some(WebhookMethod::Post));
}

#[tokio::test]
async fn routing_telnyx_cannot_hold_is_refused_before_anything_is_bought() {
    let server = MockServer::start().await;
    let err = provider(&server)
        .purchase(&PurchaseRequest {
            phone_number: number(NUMBER),
            friendly_name: None,
            routing: Routing {
                voice_url: Some(url("https://unrouted.example/voice")),
                ..Routing::default()
            },
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn order_status_reads_pending_requirements_failure_and_completion() {
    let server = MockServer::start().await;
    let order_path = format!("{ORDERS}/{ORDER_ID}");
    let telnyx = provider(&server);
    for (answer, expected) in [
        (order("pending", NUMBER), OrderStatus::Pending),
        (
            order_needing_documents(NUMBER),
            OrderStatus::RequirementsNeeded {
                missing: vec!["requirement 8ffb3622-7c6b-4ccc-b65f-7a3dc0099576 (address)".into()],
            },
        ),
        (
            order("failure", NUMBER),
            OrderStatus::Failed {
                reason: format!("telnyx number order {ORDER_ID} failed"),
            },
        ),
    ] {
        server.reset().await;
        authorized("GET", &order_path)
            .and(pairs(&[]))
            .respond_with(ok(answer))
            .expect(1)
            .mount(&server)
            .await;
        assert_eq!(telnyx.order_status(ORDER_ID).await.unwrap(), expected);
        server.verify().await;
    }
    server.reset().await;
    authorized("GET", &order_path)
        .respond_with(ok(order("success", NUMBER)))
        .mount(&server)
        .await;
    mount_find(&server, "19705555098", vec![owned(NUMBER_ID, NUMBER)]).await;
    let OrderStatus::Complete(number) = telnyx.order_status(ORDER_ID).await.unwrap() else {
        panic!("not complete");
    };
    assert_eq!(number.carrier_id, NUMBER_ID);
    // The order's reference is the configured default: no name to copy.
    assert_eq!(number.friendly_name.as_deref(), Some("customer-reference"));
    let err = telnyx.order_status("../phone_numbers").await.unwrap_err();
    assert_eq!(err.field(), Some("order_id"));
}

// ---- owned numbers ---------------------------------------------------------

#[tokio::test]
async fn find_owned_asks_by_digits_and_keeps_only_the_exact_number() {
    let server = MockServer::start().await;
    // The filter matches partially: a longer number containing the digits.
    mount_find(
        &server,
        "19705555098",
        vec![owned("42", "+119705555098"), owned(NUMBER_ID, NUMBER)],
    )
    .await;
    let found = provider(&server)
        .find_owned(&number(NUMBER))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.carrier_id, NUMBER_ID);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn list_owned_pages_by_number_and_size_from_meta() {
    let server = MockServer::start().await;
    authorized("GET", NUMBERS)
        .and(pairs(&[
            ("page[number]", "1"),
            ("page[size]", "2"),
            ("sort", "purchased_at"),
        ]))
        .respond_with(ok(list_page(
            vec![
                owned(NUMBER_ID, NUMBER),
                owned("1293384261075731500", "+19705555099"),
            ],
            1,
            2,
        )))
        .expect(1)
        .mount(&server)
        .await;
    authorized("GET", NUMBERS)
        .and(pairs(&[
            ("page[number]", "2"),
            ("page[size]", "2"),
            ("sort", "purchased_at"),
        ]))
        .respond_with(ok(list_page(
            vec![owned("1293384261075731501", "+19705555100")],
            2,
            2,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let telnyx = provider(&server);
    let first = telnyx.list_owned(&PageRequest::first(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let cursor = first.next_cursor.expect("page 1 of 2 has a next");
    let second = telnyx
        .list_owned(&PageRequest::after(cursor, 2))
        .await
        .unwrap();
    assert_eq!(second.items[0].phone_number.as_str(), "+19705555100");
    assert_eq!(second.next_cursor, None);
    let err = telnyx
        .list_owned(&PageRequest::after(
            "https://evil.example/v2/phone_numbers".to_string(),
            2,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("cursor"));
}

#[tokio::test]
async fn update_writes_the_name_and_routing_where_telnyx_keeps_them() {
    let server = MockServer::start().await;
    authorized("PATCH", &format!("{}/messaging", number_path()))
        .and(body_json(json!({"messaging_profile_id": AGENT_PROFILE})))
        .respond_with(ok(json!({"data": {"id": NUMBER_ID}})))
        .expect(1)
        .mount(&server)
        .await;
    let mut routed = owned(NUMBER_ID, NUMBER);
    routed["customer_reference"] = json!("Support");
    routed["connection_id"] = json!(AGENT_CONNECTION);
    routed["messaging_profile_id"] = json!(AGENT_PROFILE);
    authorized("PATCH", &number_path())
        .and(body_json(
            json!({"customer_reference": "Support", "connection_id": AGENT_CONNECTION}),
        ))
        .respond_with(ok(owned_answer(routed)))
        .expect(1)
        .mount(&server)
        .await;
    authorized("GET", &number_path())
        .respond_with(ok(owned_answer(owned(NUMBER_ID, NUMBER))))
        .expect(1)
        .mount(&server)
        .await;
    let telnyx = provider(&server);
    let updated = telnyx
        .update(
            NUMBER_ID,
            &CarrierUpdate {
                friendly_name: Some("Support".into()),
                routing: Some(Routing {
                    voice_url: Some(url(VOICE_URL)),
                    voice_method: Some(WebhookMethod::Post),
                    sms_url: Some(url(SMS_URL)),
                    ..Routing::default()
                }),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.friendly_name.as_deref(), Some("Support"));
    assert_eq!(updated.routing.voice_url, Some(url(VOICE_URL)));
    assert_eq!(updated.routing.sms_url, Some(url(SMS_URL)));
    // A change of nothing reads the number.
    let same = telnyx
        .update(NUMBER_ID, &CarrierUpdate::default())
        .await
        .unwrap();
    assert_eq!(same.routing, Routing::default());
}

#[tokio::test]
async fn release_deletes_by_int_id_and_a_bad_id_sends_nothing() {
    let server = MockServer::start().await;
    let mut deleted = owned(NUMBER_ID, NUMBER);
    deleted["status"] = json!("deleted");
    authorized("DELETE", &number_path())
        .and(pairs(&[]))
        .respond_with(ok(owned_answer(deleted)))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let telnyx = provider(&server);
    telnyx.release(NUMBER_ID).await.unwrap();
    for bad in ["+19705555098", "../number_orders", ""] {
        let err = telnyx.release(bad).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{bad}: {err:?}");
    }
    server.verify().await;
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_successful_order_whose_number_cannot_be_looked_up_yet_is_pending() {
    for listing in [
        ResponseTemplate::new(200).set_body_json(list_page(vec![], 1, 0)),
        ResponseTemplate::new(503),
    ] {
        let server = MockServer::start().await;
        authorized("POST", ORDERS)
            .respond_with(ok(order("success", NUMBER)))
            .expect(1)
            .mount(&server)
            .await;
        authorized("GET", NUMBERS)
            .respond_with(listing)
            .mount(&server)
            .await;
        let outcome = provider(&server)
            .purchase(&PurchaseRequest {
                phone_number: number(NUMBER),
                friendly_name: None,
                routing: Routing::default(),
            })
            .await
            .unwrap();
        let PurchaseOutcome::Pending(pending) = outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(pending.order_id, ORDER_ID);
    }
}
