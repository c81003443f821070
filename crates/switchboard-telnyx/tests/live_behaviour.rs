//! One test per live-behaviour fact of docs/carriers/telnyx.md (its
//! numbered list, and the issue threads behind it): where
//! the live service differs from its description, or the description
//! leaves a choice open, the adapter holds under the live reading.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use switchboard_core::{
    Capabilities, Error, OrderStatus, PhoneNumber, PurchaseRequest, Routing, SearchQuery,
    TelephonyProvider,
};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn number(n: &str) -> PhoneNumber {
    PhoneNumber::parse_trusted(n).unwrap()
}

fn ok(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn query_keys(request: &Request) -> Vec<String> {
    request
        .url
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect()
}

/// Live behaviour 8, rate limiting: a 429 with code 10011 and the `x-ratelimit-*` headers,
/// no `Retry-After`; the reset seconds are the wait.
#[tokio::test]
async fn a_429_waits_the_seconds_of_x_ratelimit_reset() {
    let server = MockServer::start().await;
    Mock::given(path(SEARCH))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(too_many_requests())
                .insert_header("x-ratelimit-limit", "100")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "45"),
        )
        .mount(&server)
        .await;
    let mut config = config(&server);
    config = config.with_retry_policy(switchboard_core::RetryPolicy {
        max_retry_after: Duration::from_secs(1),
        ..fast_retry()
    });
    let telnyx = switchboard_telnyx::TelnyxProvider::new(config).unwrap();
    let e = telnyx.search(&SearchQuery::default()).await.unwrap_err();
    assert!(
        matches!(&e, Error::RateLimited { code: Some(c), .. } if c == "10011"),
        "{e:?}"
    );
    assert_eq!(e.retry_after(), Some(Duration::from_secs(45)));
}

/// Live behaviour 1 (telnyx-node#289): unknown, unwrapped keys are ignored, and the filters
/// with them: random area codes came back. Only declared `filter[...]`
/// names are sent, and results outside the filters are not returned.
#[tokio::test]
async fn a_search_whose_filters_the_server_ignored_returns_no_wrong_number() {
    let server = MockServer::start().await;
    Mock::given(path(SEARCH))
        .respond_with(ok(search_answer(&[
            "+13125550101",
            "+19705550102",
            "+16465550103",
        ])))
        .mount(&server)
        .await;
    let found = provider(&server)
        .search(&SearchQuery::default().area_code("970"))
        .await
        .unwrap();
    let numbers: Vec<&str> = found.iter().map(|n| n.phone_number.as_str()).collect();
    assert_eq!(numbers, ["+19705550102"]);
    let requests = server.received_requests().await.unwrap();
    for key in query_keys(&requests[0]) {
        assert!(
            key.starts_with("filter[") && key.ends_with(']'),
            "unwrapped key {key}"
        );
    }
}

/// Live behaviour 2 (telnyx-dotnet#2, telnyx-node#12/#13): SDKs send arrays as
/// `filter[features][]=sms`, the description's example is `voice,sms`,
/// and which the server reads is unclear. The adapter sends the declared
/// name once with the comma form, and checks the results either way.
#[tokio::test]
async fn features_are_one_declared_key_and_checked_in_the_results() {
    let server = MockServer::start().await;
    let mut voice_only = available("+19705550201");
    voice_only["features"] = json!([{"name": "voice"}]);
    Mock::given(path(SEARCH))
        .and(query_param("filter[features]", "voice,sms"))
        .respond_with(ok(json!({"data": [voice_only, available("+19705550202")]})))
        .expect(1)
        .mount(&server)
        .await;
    let found = provider(&server)
        .search(&SearchQuery::default().capabilities(Capabilities {
            voice: true,
            sms: true,
            ..Capabilities::default()
        }))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].phone_number.as_str(), "+19705550202");
    let requests = server.received_requests().await.unwrap();
    let keys = query_keys(&requests[0]);
    assert_eq!(
        keys.iter()
            .filter(|k| k.starts_with("filter[features]"))
            .count(),
        1
    );
    assert!(!keys.iter().any(|k| k.ends_with("[]")), "{keys:?}");
}

/// telnyx-mock#7: a mock refused `filter` parameters on `/number_orders`.
/// The adapter sends no query there at all: the order is in the body.
#[tokio::test]
async fn number_orders_are_asked_without_a_query() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ORDERS))
        .respond_with(ok(order("pending", NUMBER)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{ORDERS}/{ORDER_ID}")))
        .respond_with(ok(order("pending", NUMBER)))
        .mount(&server)
        .await;
    let telnyx = provider(&server);
    telnyx
        .purchase(&PurchaseRequest {
            phone_number: number(NUMBER),
            friendly_name: None,
            routing: Routing::default(),
        })
        .await
        .unwrap();
    assert_eq!(
        telnyx.order_status(ORDER_ID).await.unwrap(),
        OrderStatus::Pending
    );
    for request in server.received_requests().await.unwrap() {
        assert_eq!(request.url.query(), None, "{}", request.url);
    }
}

/// telnyx-ruby#21: DELETE on `/phone_numbers/{id}` came to the docs late;
/// it answers 200 with the record, `status: deleted`, and a second one is
/// Telnyx's not-found.
#[tokio::test]
async fn release_is_a_delete_answered_with_the_deleted_record() {
    let server = MockServer::start().await;
    let mut deleted = owned(NUMBER_ID, NUMBER);
    deleted["status"] = json!("deleted");
    Mock::given(method("DELETE"))
        .and(path(number_path()))
        .respond_with(ok(owned_answer(deleted)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(number_path()))
        .respond_with(ResponseTemplate::new(404).set_body_json(error(
            "10005",
            "Resource not found",
            "x",
            None,
        )))
        .mount(&server)
        .await;
    let telnyx = provider(&server);
    telnyx.release(NUMBER_ID).await.unwrap();
    let e = telnyx.release(NUMBER_ID).await.unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
}

/// Live behaviour 5: `filter[phone_number]` "non-numerical characters will
/// result in no values" (the description) against examples with `+` (the
/// docs). Under the description's reading the digits find it at once.
#[tokio::test]
async fn find_owned_under_the_descriptions_reading_digits_find_it() {
    let server = MockServer::start().await;
    Mock::given(path(NUMBERS))
        .and(query_param("filter[phone_number]", "19705555098"))
        .respond_with(ok(list_page(vec![owned(NUMBER_ID, NUMBER)], 1, 1)))
        .mount(&server)
        .await;
    // A `+` matches nothing here.
    Mock::given(path(NUMBERS))
        .respond_with(ok(list_page(vec![], 1, 0)))
        .mount(&server)
        .await;
    let found = provider(&server).find_owned(&number(NUMBER)).await.unwrap();
    assert_eq!(found.unwrap().carrier_id, NUMBER_ID);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// The same fact under the docs' reading, should the server match only
/// the `+E.164` form: the `+` form is asked next and finds it.
#[tokio::test]
async fn find_owned_under_the_docs_reading_the_plus_form_finds_it() {
    let server = MockServer::start().await;
    Mock::given(path(NUMBERS))
        .and(query_param("filter[phone_number]", NUMBER))
        .respond_with(ok(list_page(vec![owned(NUMBER_ID, NUMBER)], 1, 1)))
        .mount(&server)
        .await;
    Mock::given(path(NUMBERS))
        .respond_with(ok(list_page(vec![], 1, 0)))
        .mount(&server)
        .await;
    let telnyx = provider(&server);
    let found = telnyx.find_owned(&number(NUMBER)).await.unwrap();
    assert_eq!(found.unwrap().carrier_id, NUMBER_ID);
    let asked: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter_map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "filter[phone_number]")
                .map(|(_, v)| v.into_owned())
        })
        .collect();
    assert_eq!(asked, ["19705555098", NUMBER]);
    // A number owned under neither form is not owned.
    let other = telnyx.find_owned(&number("+19705550000")).await.unwrap();
    assert!(other.is_none());
}

/// Live behaviour 4: statuses are spelt with hyphens in records
/// (`deleted`, `purchase-pending`): a listed record in such a state is not
/// an owned number (a pending one is its order's to settle).
#[tokio::test]
async fn a_listed_deleted_record_is_not_an_owned_number() {
    let server = MockServer::start().await;
    let mut deleted = owned(NUMBER_ID, NUMBER);
    deleted["status"] = json!("deleted");
    let mut pending = owned("1293384261075731500", "+19705555099");
    pending["status"] = json!("purchase-pending");
    Mock::given(path(NUMBERS))
        .respond_with(ok(list_page(vec![deleted, pending], 1, 1)))
        .mount(&server)
        .await;
    let telnyx = provider(&server);
    assert!(telnyx.find_owned(&number(NUMBER)).await.unwrap().is_none());
    assert!(
        telnyx
            .find_owned(&number("+19705555099"))
            .await
            .unwrap()
            .is_none()
    );
    let listed = telnyx
        .list_owned(&switchboard_core::PageRequest::first(5))
        .await
        .unwrap();
    assert!(listed.items.is_empty(), "{listed:?}");
}

/// Live behaviour 6: orders stay pending until their regulatory requirements are fulfilled
/// (the docs' ordering-requirements page): the adapter says what is
/// missing rather than "pending", which would wait for nothing.
#[tokio::test]
async fn an_order_waiting_for_documents_names_them() {
    let server = MockServer::start().await;
    Mock::given(path(format!("{ORDERS}/{ORDER_ID}")))
        .respond_with(ok(order_needing_documents(NUMBER)))
        .mount(&server)
        .await;
    let status = provider(&server).order_status(ORDER_ID).await.unwrap();
    let OrderStatus::RequirementsNeeded { missing } = status else {
        panic!("{status:?}");
    };
    assert_eq!(
        missing,
        ["requirement 8ffb3622-7c6b-4ccc-b65f-7a3dc0099576 (address)"]
    );
}

/// Live behaviour 3: the live search answer carries more than the schema: `phone_number_type`, `hd_voice`, `vanity_format: null`, a
/// second top-level `metadata`. It reads as the described one does.
#[tokio::test]
async fn the_live_search_shape_reads() {
    let server = MockServer::start().await;
    Mock::given(path(SEARCH))
        .respond_with(ok(search_answer_live(&[NUMBER, "+19705555099"])))
        .mount(&server)
        .await;
    let found = provider(&server)
        .search(&SearchQuery::default())
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    assert!(found[0].capabilities.voice && found[0].capabilities.sms);
    assert_eq!(found[0].rate_center.as_deref(), Some("LOVELAND"));
}
