//! Request-level tests: each operation against a local server that answers
//! only the exact request SignalWire expects (method, path, query or JSON
//! body, Authorization header), with answers taken from SignalWire's
//! descriptions and the live observations in docs/carriers/signalwire.md.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use serde_json::json;
use switchboard_core::{
    Capabilities, CarrierUpdate, DigitPattern, Error, NumberType, PageRequest, PhoneNumber,
    PurchaseRequest, Routing, SearchQuery, TelephonyProvider, WebhookMethod, WebhookUrl,
};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

/// Matches the whole query string, byte for byte (`None`: no query at all).
struct ExactQuery(Option<&'static str>);

impl Match for ExactQuery {
    fn matches(&self, request: &Request) -> bool {
        request.url.query() == self.0
    }
}

fn query(q: &'static str) -> ExactQuery {
    ExactQuery(Some(q))
}

fn no_query() -> ExactQuery {
    ExactQuery(None)
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

// ---- search ---------------------------------------------------------------

#[tokio::test]
async fn search_sends_every_parameter_and_reads_the_live_shape() {
    let server = MockServer::start().await;
    authorized("GET", SEARCH)
        .and(query(
            "areacode=555&number_type=local&contains=867&max_results=5",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(search_live()))
        .expect(1)
        .mount(&server)
        .await;
    let found = provider(&server)
        .search(
            &SearchQuery::default()
                .area_code("555")
                .pattern(DigitPattern::Contains("867".into()))
                .limit(5),
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].phone_number.as_str(), "+15558675309");
    assert_eq!(found[0].region.as_deref(), Some("TX"));
    assert_eq!(found[0].rate_center.as_deref(), Some("AUBURN"));
    assert_eq!(found[0].number_type, NumberType::Local);
    assert_eq!(found[0].provider, "signalwire");
    assert!(found[0].capabilities.fax && found[0].capabilities.mms);
    assert!(!found[1].capabilities.mms && found[1].capabilities.sms);
}

#[tokio::test]
async fn search_reads_the_described_shape() {
    let server = MockServer::start().await;
    authorized("GET", SEARCH)
        .and(query(
            "number_type=local&region=CA&city=Los+Angeles&max_results=20",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(search_described()))
        .expect(1)
        .mount(&server)
        .await;
    let found = provider(&server)
        .search(&SearchQuery::default().region("CA").locality("Los Angeles"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].phone_number.as_str(), "+15551234567");
    assert_eq!(found[0].locality.as_deref(), Some("Los Angeles"));
    assert_eq!(
        found[0].capabilities,
        Capabilities {
            voice: true,
            sms: true,
            mms: false,
            fax: false
        }
    );
}

#[tokio::test]
async fn toll_free_and_the_other_patterns_use_signalwire_spellings() {
    let server = MockServer::start().await;
    for (q, pattern) in [
        (
            "number_type=toll-free&starts_with=888&max_results=3",
            DigitPattern::StartsWith("888".into()),
        ),
        (
            "number_type=toll-free&ends_with=1234567&max_results=3",
            DigitPattern::EndsWith("1234567".into()),
        ),
        // Digits only: a vanity pattern goes as its keypad digits.
        (
            "number_type=toll-free&ends_with=2255&max_results=3",
            DigitPattern::EndsWith("CALL".into()),
        ),
    ] {
        authorized("GET", SEARCH)
            .and(query(q))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"links": {}, "data": []})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let found = provider(&server)
            .search(
                &SearchQuery::default()
                    .number_type(NumberType::TollFree)
                    .pattern(pattern)
                    .limit(3),
            )
            .await
            .unwrap();
        assert!(found.is_empty());
    }
}

#[tokio::test]
async fn queries_signalwire_cannot_answer_are_refused_without_a_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(search_live()))
        .expect(0)
        .mount(&server)
        .await;
    let signalwire = provider(&server);
    let not_supported = [
        SearchQuery::default().number_type(NumberType::Mobile),
        // No wildcard in its patterns: refused, never sent as a literal.
        SearchQuery::default().pattern(DigitPattern::Contains("55*5".into())),
        SearchQuery::default().postal_code("78701"),
        // SignalWire answers 422 to these (docs/carriers/signalwire.md).
        SearchQuery::default()
            .number_type(NumberType::TollFree)
            .region("TX"),
        SearchQuery::default()
            .number_type(NumberType::TollFree)
            .region("TX")
            .locality("Austin"),
        SearchQuery::default().locality("Austin"),
    ];
    for q in not_supported {
        match signalwire.search(&q).await {
            Err(Error::NotSupported { provider, what }) => {
                assert_eq!(provider, "signalwire");
                assert!(!what.is_empty());
            }
            other => panic!("{q:?}: {other:?}"),
        }
    }
    for digits in ["12", "12345678"] {
        let q = SearchQuery::default().pattern(DigitPattern::EndsWith(digits.into()));
        let err = signalwire.search(&q).await.unwrap_err();
        assert_eq!(err.field(), Some("pattern"), "{err}");
    }
    let features = signalwire.features();
    assert!(!features.postal_code);
    assert!(!features.number_types.contains(&NumberType::Mobile));
    assert_eq!(features.max_search_results, 100);
}

#[tokio::test]
async fn a_capability_filter_is_applied_to_the_results() {
    let server = MockServer::start().await;
    authorized("GET", SEARCH)
        .and(query("number_type=local&max_results=100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(search_live()))
        .expect(1)
        .mount(&server)
        .await;
    let fax = Capabilities {
        fax: true,
        ..Default::default()
    };
    let found = provider(&server)
        .search(&SearchQuery::default().capabilities(fax).limit(10))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].phone_number.as_str(), "+15558675309");
}

// ---- purchase -------------------------------------------------------------

#[tokio::test]
async fn purchase_posts_the_number_then_puts_name_and_routing() {
    let server = MockServer::start().await;
    authorized("POST", NUMBERS)
        .and(no_query())
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"number": NUMBER})))
        .respond_with(ResponseTemplate::new(200).set_body_json(phone_number_purchased()))
        .expect(1)
        .mount(&server)
        .await;
    authorized("PUT", &number_path())
        .and(body_json(json!({
            "name": "Main Office Line",
            "call_handler": "laml_webhooks",
            "call_request_url": "https://agent.example.com/voice",
            "call_request_method": "POST",
            "call_status_callback_url": "https://agent.example.com/status",
            "message_handler": "laml_webhooks",
            "message_request_url": "https://agent.example.com/sms",
            "message_request_method": "GET"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(phone_number_routed()))
        .expect(1)
        .mount(&server)
        .await;
    let routing = Routing {
        voice_url: Some(url("https://agent.example.com/voice")),
        voice_method: Some(WebhookMethod::Post),
        sms_url: Some(url("https://agent.example.com/sms")),
        sms_method: Some(WebhookMethod::Get),
        status_callback: Some(url("https://agent.example.com/status")),
    };
    let bought = provider(&server)
        .purchase(&PurchaseRequest {
            phone_number: number(NUMBER),
            friendly_name: Some("Main Office Line".into()),
            routing: routing.clone(),
        })
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert_eq!(bought.carrier_id, NUMBER_ID);
    assert_eq!(bought.friendly_name.as_deref(), Some("Main Office Line"));
    assert_eq!(bought.routing, routing);
}

#[tokio::test]
async fn a_plain_purchase_reads_the_fresh_number_with_its_nulls_and_blanks() {
    let server = MockServer::start().await;
    authorized("POST", NUMBERS)
        .and(body_json(json!({"number": NUMBER})))
        .respond_with(ResponseTemplate::new(200).set_body_json(phone_number_purchased()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let bought = provider(&server)
        .purchase(&PurchaseRequest {
            phone_number: number(NUMBER),
            friendly_name: None,
            routing: Routing::default(),
        })
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert_eq!(bought.phone_number.as_str(), NUMBER);
    assert_eq!(bought.friendly_name, None);
    assert_eq!(bought.routing, Routing::default());
    assert_eq!(
        bought.capabilities,
        Capabilities {
            voice: true,
            sms: true,
            mms: true,
            fax: true
        }
    );
}

#[tokio::test]
async fn a_422_on_purchase_is_number_unavailable_and_is_never_retried() {
    let server = MockServer::start().await;
    authorized("POST", NUMBERS)
        .respond_with(ResponseTemplate::new(422).set_body_json(validation_error(None)))
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
    match err {
        Error::NumberUnavailable {
            phone_number,
            provider,
            code,
            ..
        } => {
            assert_eq!(phone_number, NUMBER);
            assert_eq!(provider, "signalwire");
            assert_eq!(code.as_deref(), Some("422"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_failed_purchase_post_is_sent_once_even_when_temporary() {
    let server = MockServer::start().await;
    authorized("POST", NUMBERS)
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"error": "Internal Server Error"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .purchase(&PurchaseRequest {
            phone_number: number(NUMBER),
            friendly_name: Some("x".into()),
            routing: Routing::default(),
        })
        .await
        .unwrap_err();
    assert!(err.is_temporary(), "{err:?}");
}

#[tokio::test]
async fn a_purchase_whose_configuration_fails_still_returns_the_bought_number() {
    let server = MockServer::start().await;
    authorized("POST", NUMBERS)
        .respond_with(ResponseTemplate::new(200).set_body_json(phone_number_purchased()))
        .expect(1)
        .mount(&server)
        .await;
    // The PUT is idempotent: retried up to the policy's attempts, then given up.
    authorized("PUT", &number_path())
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .expect(fast_retry().max_attempts as u64)
        .mount(&server)
        .await;
    let bought = provider(&server)
        .purchase(&PurchaseRequest {
            phone_number: number(NUMBER),
            friendly_name: Some("Main Office Line".into()),
            routing: Routing::default(),
        })
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    assert_eq!(bought.carrier_id, NUMBER_ID);
    // As SignalWire holds it: unconfigured.
    assert_eq!(bought.friendly_name, None);
}

#[tokio::test]
async fn an_unreadable_purchase_answer_is_an_unknown_outcome() {
    let server = MockServer::start().await;
    authorized("POST", NUMBERS)
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>ok</html>"))
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
    // Temporary, so the service settles it by asking find_owned.
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

// ---- find, list, get ------------------------------------------------------

#[tokio::test]
async fn find_owned_filters_by_number_and_keeps_the_exact_match_only() {
    let server = MockServer::start().await;
    // filter_number is a substring match: a longer number may come first.
    authorized("GET", NUMBERS)
        .and(query("filter_number=%2B15558675309"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_page(
            vec![
                phone_number("9f3c2a10-0000-4000-8000-000000000001", "+155586753091"),
                phone_number_purchased(),
            ],
            None,
        )))
        .expect(2)
        .mount(&server)
        .await;
    let signalwire = provider(&server);
    let found = signalwire
        .find_owned(&number(NUMBER))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.carrier_id, NUMBER_ID);
    let _ = signalwire.find_owned(&number(NUMBER)).await.unwrap();
    let server = MockServer::start().await;
    authorized("GET", NUMBERS)
        .and(query("filter_number=%2B15558675309"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_page(vec![], None)))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        provider(&server).find_owned(&number(NUMBER)).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn list_owned_follows_relative_and_absolute_next_links() {
    let server = MockServer::start().await;
    let second = "/api/relay/rest/phone_numbers?page_number=1&page_size=2&page_token=PA1";
    let third = format!(
        "{}/api/relay/rest/phone_numbers?page_number=2&page_size=2&page_token=PA2",
        server.uri()
    );
    authorized("GET", NUMBERS)
        .and(query("page_size=2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_page(
            vec![
                phone_number("9f3c2a10-0000-4000-8000-000000000001", "+15558675301"),
                phone_number("9f3c2a10-0000-4000-8000-000000000002", "+15558675302"),
            ],
            Some(second),
        )))
        .expect(1)
        .mount(&server)
        .await;
    authorized("GET", NUMBERS)
        .and(query("page_number=1&page_size=2&page_token=PA1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_page(
            vec![
                phone_number("9f3c2a10-0000-4000-8000-000000000003", "+15558675303"),
                phone_number("9f3c2a10-0000-4000-8000-000000000004", "+15558675304"),
            ],
            Some(&third),
        )))
        .expect(1)
        .mount(&server)
        .await;
    authorized("GET", NUMBERS)
        .and(query("page_number=2&page_size=2&page_token=PA2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_page(
            vec![phone_number(
                "9f3c2a10-0000-4000-8000-000000000005",
                "+15558675305",
            )],
            None,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let signalwire = provider(&server);
    let mut page = PageRequest::first(2);
    let mut seen = Vec::new();
    loop {
        let batch = signalwire.list_owned(&page).await.unwrap();
        seen.extend(batch.items.into_iter().map(|n| n.phone_number.to_string()));
        match batch.next_cursor {
            Some(cursor) => page = PageRequest::after(cursor, 2),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "+15558675301",
            "+15558675302",
            "+15558675303",
            "+15558675304",
            "+15558675305"
        ]
    );
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed() {
    let server = MockServer::start().await;
    authorized("GET", NUMBERS)
        .respond_with(ResponseTemplate::new(200).set_body_json(list_page(
            vec![phone_number_purchased()],
            Some("https://elsewhere.example/api/relay/rest/phone_numbers?page_token=x"),
        )))
        .mount(&server)
        .await;
    let err = provider(&server)
        .list_owned(&PageRequest::first(10))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("outside the configured space"),
        "{err}"
    );
    let err = provider(&server)
        .list_owned(&PageRequest::after("https://elsewhere.example/x", 10))
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("cursor"));
}

#[tokio::test]
async fn get_reads_blank_uuid_fields_null_methods_and_unknown_fields() {
    let server = MockServer::start().await;
    let mut answer = phone_number_routed();
    answer["call_request_method"] = json!(null);
    answer["call_video_room_id"] = json!("");
    answer["e911_status"] = json!("active");
    answer["a_field_from_next_year"] = json!({"nested": [1, 2]});
    authorized("GET", &number_path())
        .and(no_query())
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .expect(1)
        .mount(&server)
        .await;
    let got = provider(&server).get(NUMBER_ID).await.unwrap();
    assert_eq!(got.friendly_name.as_deref(), Some("Main Office Line"));
    assert_eq!(
        got.routing.voice_url,
        Some(url("https://agent.example.com/voice"))
    );
    assert_eq!(got.routing.voice_method, None);
    assert_eq!(got.routing.sms_method, Some(WebhookMethod::Get));
}

// ---- update and release ---------------------------------------------------

#[tokio::test]
async fn update_puts_only_what_changes() {
    let server = MockServer::start().await;
    authorized("PUT", &number_path())
        .and(body_json(json!({"name": "Support line"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(phone_number_routed()))
        .expect(1)
        .mount(&server)
        .await;
    authorized("PUT", &number_path())
        .and(body_json(json!({
            "call_handler": "laml_webhooks",
            "call_request_url": "https://agent.example.com/voice"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(phone_number_routed()))
        .expect(1)
        .mount(&server)
        .await;
    authorized("GET", &number_path())
        .respond_with(ResponseTemplate::new(200).set_body_json(phone_number_routed()))
        .expect(1)
        .mount(&server)
        .await;
    let signalwire = provider(&server);
    signalwire
        .update(
            NUMBER_ID,
            &CarrierUpdate {
                friendly_name: Some("Support line".into()),
                routing: None,
            },
        )
        .await
        .unwrap();
    signalwire
        .update(
            NUMBER_ID,
            &CarrierUpdate {
                friendly_name: None,
                routing: Some(Routing {
                    voice_url: Some(url("https://agent.example.com/voice")),
                    ..Routing::default()
                }),
            },
        )
        .await
        .unwrap();
    signalwire
        .update(NUMBER_ID, &CarrierUpdate::default())
        .await
        .unwrap();
}

/// A messages-only routing change switches the message handler to webhooks
/// (SignalWire never calls `message_request_url` otherwise) and leaves the
/// call handler, and so the number's calls, as they were.
#[tokio::test]
async fn a_messages_only_update_sets_the_message_handler_alone() {
    let server = MockServer::start().await;
    authorized("PUT", &number_path())
        .and(body_json(json!({
            "message_handler": "laml_webhooks",
            "message_request_url": "https://agent.example.com/sms",
            "message_request_method": "POST"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(phone_number_routed()))
        .expect(1)
        .mount(&server)
        .await;
    provider(&server)
        .update(
            NUMBER_ID,
            &CarrierUpdate {
                friendly_name: None,
                routing: Some(Routing {
                    sms_url: Some(url("https://agent.example.com/sms")),
                    sms_method: Some(WebhookMethod::Post),
                    ..Routing::default()
                }),
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn release_deletes_and_a_missing_number_is_not_found() {
    let server = MockServer::start().await;
    authorized("DELETE", &number_path())
        .and(no_query())
        .respond_with(ResponseTemplate::new(204))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    authorized("DELETE", &number_path())
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": "Not Found"})))
        .expect(1)
        .mount(&server)
        .await;
    let signalwire = provider(&server);
    signalwire.release(NUMBER_ID).await.unwrap();
    assert!(matches!(
        signalwire.release(NUMBER_ID).await,
        Err(Error::NotFound { .. })
    ));
    // Not a SignalWire id: nothing is sent.
    assert!(matches!(
        signalwire.release("PN123").await,
        Err(Error::InvalidInput { .. })
    ));
}

#[tokio::test]
async fn the_release_cooldown_is_retry_later_with_its_end_and_is_not_retried_here() {
    let server = MockServer::start().await;
    authorized("DELETE", &number_path())
        .respond_with(ResponseTemplate::new(422).set_body_json(validation_error(Some(COOLDOWN))))
        .expect(1)
        .mount(&server)
        .await;
    match provider(&server).release(NUMBER_ID).await {
        Err(Error::RetryLater {
            provider,
            not_before,
            message,
        }) => {
            assert_eq!(provider, "signalwire");
            assert_eq!(
                not_before,
                Some(Utc.with_ymd_and_hms(2025, 6, 18, 5, 49, 47).unwrap())
            );
            assert!(message.contains("too recently"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_release_refusal_without_a_readable_time_is_retry_later_without_one() {
    for detail in [
        None,
        Some("Please wait a while before releasing this number."),
    ] {
        let server = MockServer::start().await;
        authorized("DELETE", &number_path())
            .respond_with(ResponseTemplate::new(422).set_body_json(validation_error(detail)))
            .expect(1)
            .mount(&server)
            .await;
        match provider(&server).release(NUMBER_ID).await {
            Err(Error::RetryLater { not_before, .. }) => assert_eq!(not_before, None),
            other => panic!("{other:?}"),
        }
    }
}

// ---- errors and retries ---------------------------------------------------

#[tokio::test]
async fn unauthorized_answers_of_any_shape_say_the_scope_may_be_missing() {
    for body in [
        ResponseTemplate::new(401).set_body_json(json!({"error": "Unauthorized"})),
        ResponseTemplate::new(401).set_body_string("Unauthorized"),
        ResponseTemplate::new(401),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(body)
            .expect(1)
            .mount(&server)
            .await;
        match provider(&server).search(&SearchQuery::default()).await {
            Err(Error::Unauthenticated {
                provider, message, ..
            }) => {
                assert_eq!(provider, "signalwire");
                assert!(message.contains("Numbers scope"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn opaque_error_bodies_never_panic() {
    for status in [400u16, 404, 500] {
        for body in [&b"\xff\xfe not utf-8"[..], b"", b"{\"error\":", b"[1,2]"] {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .respond_with(ResponseTemplate::new(status).set_body_bytes(body.to_vec()))
                .mount(&server)
                .await;
            let err = provider(&server).get(NUMBER_ID).await.unwrap_err();
            assert_eq!(err.is_temporary(), status >= 500, "{status}: {err:?}");
        }
    }
}

#[tokio::test]
async fn a_429_is_retried_after_the_wait_asked_and_a_long_wait_is_returned() {
    let server = MockServer::start().await;
    authorized("GET", SEARCH)
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    authorized("GET", SEARCH)
        .respond_with(ResponseTemplate::new(200).set_body_json(search_live()))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        provider(&server)
            .search(&SearchQuery::default())
            .await
            .unwrap()
            .len(),
        2
    );

    let server = MockServer::start().await;
    authorized("GET", SEARCH)
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    match provider(&server).search(&SearchQuery::default()).await {
        Err(Error::RateLimited { retry_after, .. }) => {
            assert_eq!(retry_after, Some(std::time::Duration::from_secs(3600)))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn temporary_failures_of_idempotent_calls_are_retried_a_bounded_number_of_times() {
    let server = MockServer::start().await;
    authorized("GET", NUMBERS)
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    authorized("GET", NUMBERS)
        .respond_with(ResponseTemplate::new(200).set_body_json(list_page(vec![], None)))
        .expect(1)
        .mount(&server)
        .await;
    let page = provider(&server)
        .list_owned(&PageRequest::first(5))
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.next_cursor.is_none());

    let server = MockServer::start().await;
    authorized("DELETE", &number_path())
        .respond_with(ResponseTemplate::new(500))
        .expect(fast_retry().max_attempts as u64)
        .mount(&server)
        .await;
    let err = provider(&server).release(NUMBER_ID).await.unwrap_err();
    assert!(err.is_temporary());
}

#[tokio::test]
async fn an_unreachable_space_is_a_transport_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = switchboard_signalwire::SignalWireConfig::new(
        &format!("http://127.0.0.1:{port}"),
        PROJECT,
        TOKEN.to_string(),
    )
    .unwrap()
    .with_retry_policy(fast_retry());
    let signalwire = switchboard_signalwire::SignalWireProvider::new(config).unwrap();
    let err = signalwire.get(NUMBER_ID).await.unwrap_err();
    assert!(
        matches!(err.last_attempt(), Error::Transport { .. }),
        "{err:?}"
    );
    assert!(err.retries_exhausted(), "{err:?}");
}
