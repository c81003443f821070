//! Every operation on the wire: exact method, path, query or form body and
//! Authorization header, answered with the examples from Twilio's own
//! OpenAPI document.

mod common;

use common::*;
use serde_json::json;
use switchboard_core::{
    Capabilities, CarrierUpdate, CountryCode, DigitPattern, NumberType, PageRequest, PhoneNumber,
    PurchaseRequest, Routing, SearchQuery, TelephonyProvider, WebhookMethod, WebhookUrl,
};
use switchboard_twilio::{TwilioConfig, TwilioProvider};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn url(u: &str) -> WebhookUrl {
    WebhookUrl::parse(u).unwrap()
}

#[tokio::test]
async fn search_local_sends_every_filter_under_its_twilio_name() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(available("US", "Local")))
        .respond_with(ResponseTemplate::new(200).set_body_json(local_search_example()))
        .expect(1)
        .mount(&server)
        .await;
    let query = SearchQuery::new(CountryCode::US)
        .area_code("808")
        .pattern(DigitPattern::EndsWith("1571".into()))
        .region("HI")
        .locality("Hilo")
        .postal_code("96720")
        .capabilities(Capabilities {
            voice: true,
            mms: true,
            ..Capabilities::default()
        })
        .limit(5);
    let found = provider(&server).search(&query).await.unwrap();

    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(request.url.path(), available("US", "Local"));
    assert_eq!(
        query_pairs(request),
        pairs(&[
            ("AreaCode", "808"),
            ("Contains", "1571$"),
            ("InRegion", "HI"),
            ("InLocality", "Hilo"),
            ("InPostalCode", "96720"),
            ("VoiceEnabled", "true"),
            ("MmsEnabled", "true"),
            ("PageSize", "5"),
        ])
    );
    assert_eq!(
        header(request, "authorization"),
        Some(basic(AC, AUTH_TOKEN).as_str())
    );
    assert!(request.body.is_empty());

    // Twilio's example: +18089251571 in Hilo, HI; voice and MMS, no SMS.
    assert_eq!(found.len(), 1);
    let n = &found[0];
    assert_eq!(n.phone_number.as_str(), "+18089251571");
    assert_eq!(n.country, CountryCode::US);
    assert_eq!(n.number_type, NumberType::Local);
    assert_eq!(n.region.as_deref(), Some("HI"));
    assert_eq!(n.locality.as_deref(), Some("Hilo"));
    assert_eq!(n.postal_code.as_deref(), Some("96720"));
    assert_eq!(n.rate_center.as_deref(), Some("HILO"));
    assert_eq!(
        n.capabilities,
        Capabilities {
            voice: true,
            sms: false,
            mms: true,
            fax: false
        }
    );
    assert_eq!(n.provider, "twilio");
}

#[tokio::test]
async fn search_patterns_are_anchored_for_starts_and_ends() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(available("US", "Local")))
        .respond_with(ResponseTemplate::new(200).set_body_json(local_search_example()))
        .mount(&server)
        .await;
    let p = provider(&server);
    let us = SearchQuery::new(CountryCode::US);
    let starts = p
        .search(&us.clone().pattern(DigitPattern::StartsWith("808".into())))
        .await
        .unwrap();
    let contains = p
        .search(&us.clone().pattern(DigitPattern::Contains("925".into())))
        .await
        .unwrap();
    // Twilio's answer does not match, so the narrowing filter drops it.
    let mismatched = p
        .search(&us.clone().pattern(DigitPattern::StartsWith("604".into())))
        .await
        .unwrap();
    let contains_values: Vec<String> = received(&server)
        .await
        .iter()
        .map(|r| {
            query_pairs(r)
                .into_iter()
                .find(|(k, _)| k == "Contains")
                .map(|(_, v)| v)
                .unwrap()
        })
        .collect();
    assert_eq!(contains_values, ["+1808", "925", "+1604"]);
    assert_eq!(starts.len(), 1);
    assert_eq!(contains.len(), 1);
    assert!(mismatched.is_empty());
}

#[tokio::test]
async fn search_toll_free_and_mobile_use_their_paths() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(available("US", "TollFree")))
        .respond_with(ResponseTemplate::new(200).set_body_json(example(
            T_TOLL_FREE,
            "get",
            "200",
            "readFull",
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(available("US", "Mobile")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(example(T_MOBILE, "get", "200", "readFull")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server);
    let toll_free = p
        .search(&SearchQuery::new(CountryCode::US).number_type(NumberType::TollFree))
        .await
        .unwrap();
    assert_eq!(toll_free.len(), 1);
    assert_eq!(toll_free[0].phone_number.as_str(), "+18001000052");
    assert_eq!(toll_free[0].number_type, NumberType::TollFree);
    // Twilio's toll-free example has null locality fields.
    assert_eq!(toll_free[0].region, None);
    assert_eq!(toll_free[0].rate_center, None);
    let mobile = p
        .search(&SearchQuery::new(CountryCode::US).number_type(NumberType::Mobile))
        .await
        .unwrap();
    // The example number is Norwegian; the carrier's iso_country is kept.
    assert_eq!(mobile[0].phone_number.as_str(), "+4759440374");
    assert_eq!(mobile[0].country, CountryCode::parse("NO").unwrap());
    assert_eq!(mobile[0].number_type, NumberType::Mobile);
    for request in received(&server).await {
        assert_eq!(query_pairs(&request), pairs(&[("PageSize", "20")]));
    }
}

#[tokio::test]
async fn purchase_posts_the_form_twilio_documents() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(201).set_body_json(purchase_example()))
        .expect(1)
        .mount(&server)
        .await;
    let config = config(&server)
        .address_sid("ADaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        .unwrap()
        .bundle_sid("BUaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        .unwrap();
    let p = TwilioProvider::new(config).unwrap();
    let bought = p
        .purchase(&PurchaseRequest {
            phone_number: PhoneNumber::parse("+18089255327").unwrap(),
            friendly_name: Some("Main Line".into()),
            routing: Routing {
                voice_url: Some(url("https://agent.example.com/voice")),
                voice_method: Some(WebhookMethod::Post),
                sms_url: Some(url("https://agent.example.com/sms")),
                sms_method: Some(WebhookMethod::Get),
                status_callback: Some(url("https://agent.example.com/status")),
            },
        })
        .await
        .unwrap()
        .bought()
        .expect("sold at once");

    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), INCOMING);
    assert_eq!(request.url.query(), None);
    assert_eq!(
        header(request, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        header(request, "authorization"),
        Some(basic(AC, AUTH_TOKEN).as_str())
    );
    assert_eq!(
        form_pairs(request),
        pairs(&[
            ("PhoneNumber", "+18089255327"),
            ("FriendlyName", "Main Line"),
            ("VoiceUrl", "https://agent.example.com/voice"),
            ("VoiceMethod", "POST"),
            ("SmsUrl", "https://agent.example.com/sms"),
            ("SmsMethod", "GET"),
            ("StatusCallback", "https://agent.example.com/status"),
            ("AddressSid", "ADaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            ("BundleSid", "BUaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        ])
    );
    // The answer is Twilio's example "create" resource.
    assert_eq!(bought.carrier_id, PN);
    assert_eq!(bought.phone_number.as_str(), "+18089255327");
    assert_eq!(bought.friendly_name.as_deref(), Some("friendly_name"));
    assert_eq!(
        bought.capabilities,
        Capabilities {
            voice: true,
            sms: false,
            mms: true,
            fax: false
        }
    );
    assert_eq!(
        bought.routing,
        Routing {
            voice_url: Some(url("https://example.com")),
            voice_method: Some(WebhookMethod::Get),
            sms_url: Some(url("https://example.com")),
            sms_method: Some(WebhookMethod::Get),
            status_callback: Some(url("https://example.com")),
        }
    );
}

#[tokio::test]
async fn a_minimal_purchase_sends_only_the_number() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(201).set_body_json(purchase_example()))
        .expect(1)
        .mount(&server)
        .await;
    provider(&server)
        .purchase(&PurchaseRequest {
            phone_number: PhoneNumber::parse("+18089255327").unwrap(),
            friendly_name: None,
            routing: Routing::default(),
        })
        .await
        .unwrap()
        .bought()
        .expect("sold at once");
    let requests = received(&server).await;
    assert_eq!(
        form_pairs(&requests[0]),
        pairs(&[("PhoneNumber", "+18089255327")])
    );
}

#[tokio::test]
async fn find_owned_lists_with_the_phone_number_filter() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .and(query_param("PhoneNumber", "+18089255327"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_example()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .and(query_param("PhoneNumber", "+18089250000"))
        .respond_with(ResponseTemplate::new(200).set_body_json(example(
            T_INCOMING,
            "get",
            "200",
            "readEmpty",
        )))
        .mount(&server)
        .await;
    let p = provider(&server);
    let found = p
        .find_owned(&PhoneNumber::parse("+18089255327").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.carrier_id, PN);
    assert_eq!(found.friendly_name.as_deref(), Some("(808) 925-5327"));
    // Twilio's list example: voice_url null, sms_url "" -> no routing at all.
    assert_eq!(found.routing, Routing::default());
    let missing = p
        .find_owned(&PhoneNumber::parse("+18089250000").unwrap())
        .await
        .unwrap();
    assert!(missing.is_none());

    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method.as_str(), "GET");
    assert_eq!(requests[0].url.path(), INCOMING);
    assert_eq!(
        query_pairs(&requests[0]),
        pairs(&[("PhoneNumber", "+18089255327")])
    );
    assert_eq!(
        header(&requests[0], "authorization"),
        Some(basic(AC, AUTH_TOKEN).as_str())
    );
}

#[tokio::test]
async fn find_owned_matches_the_exact_number_only() {
    // If the filter matched loosely, a longer number containing ours must
    // not be taken for it.
    let server = MockServer::start().await;
    let mut body = list_example();
    body["incoming_phone_numbers"][0]["phone_number"] = json!("+180892553270");
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let found = provider(&server)
        .find_owned(&PhoneNumber::parse("+18089255327").unwrap())
        .await
        .unwrap();
    assert!(found.is_none());
}

#[tokio::test]
async fn list_owned_follows_next_page_uri_relative_to_the_base_url() {
    let server = MockServer::start().await;
    let next = format!("{INCOMING}?PageSize=1&Page=1&PageToken=PAtoken1");
    let mut first = list_example();
    first["next_page_uri"] = json!(next);
    first["page_size"] = json!(1);
    let mut second = list_example();
    second["incoming_phone_numbers"][0]["sid"] = json!("PNbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    second["incoming_phone_numbers"][0]["phone_number"] = json!("+18089255328");
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .and(query_param_is_missing("PageToken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(first))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(INCOMING))
        .and(query_param("PageToken", "PAtoken1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(second))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server);
    let page1 = p.list_owned(&PageRequest::first(1)).await.unwrap();
    assert_eq!(page1.items.len(), 1);
    assert_eq!(page1.items[0].carrier_id, PN);
    let cursor = page1.next_cursor.clone().expect("a next page");
    assert_eq!(cursor, next);
    let page2 = p.list_owned(&PageRequest::after(cursor, 1)).await.unwrap();
    assert_eq!(
        page2.items[0].carrier_id,
        "PNbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    );
    assert_eq!(page2.next_cursor, None);

    let requests = received(&server).await;
    assert_eq!(query_pairs(&requests[0]), pairs(&[("PageSize", "1")]));
    assert_eq!(requests[1].url.path(), INCOMING);
    assert_eq!(
        query_pairs(&requests[1]),
        pairs(&[("PageSize", "1"), ("Page", "1"), ("PageToken", "PAtoken1")])
    );
    for request in &requests {
        assert_eq!(
            header(request, "authorization"),
            Some(basic(AC, AUTH_TOKEN).as_str())
        );
    }
}

#[tokio::test]
async fn update_posts_only_the_changed_fields() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(INCOMING_PN))
        .respond_with(ResponseTemplate::new(200).set_body_json(update_example()))
        .expect(2)
        .mount(&server)
        .await;
    let p = provider(&server);
    let updated = p
        .update(
            PN,
            &CarrierUpdate {
                friendly_name: Some("Support".into()),
                routing: Some(Routing {
                    voice_url: Some(url("https://agent.example.com/v2")),
                    voice_method: Some(WebhookMethod::Post),
                    ..Routing::default()
                }),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.carrier_id, PN);
    assert_eq!(updated.phone_number.as_str(), "+18089255327");
    p.update(
        PN,
        &CarrierUpdate {
            friendly_name: None,
            routing: Some(Routing {
                sms_url: Some(url("https://agent.example.com/sms")),
                ..Routing::default()
            }),
        },
    )
    .await
    .unwrap();

    let requests = received(&server).await;
    assert_eq!(requests[0].method.as_str(), "POST");
    assert_eq!(requests[0].url.path(), INCOMING_PN);
    assert_eq!(
        header(&requests[0], "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        form_pairs(&requests[0]),
        pairs(&[
            ("FriendlyName", "Support"),
            ("VoiceUrl", "https://agent.example.com/v2"),
            ("VoiceMethod", "POST"),
        ])
    );
    assert_eq!(
        form_pairs(&requests[1]),
        pairs(&[("SmsUrl", "https://agent.example.com/sms")])
    );
    assert_eq!(
        header(&requests[1], "authorization"),
        Some(basic(AC, AUTH_TOKEN).as_str())
    );
}

#[tokio::test]
async fn release_deletes_the_number_and_accepts_an_empty_204() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(INCOMING_PN))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    provider(&server).release(PN).await.unwrap();
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method.as_str(), "DELETE");
    assert_eq!(requests[0].url.path(), INCOMING_PN);
    assert!(requests[0].body.is_empty());
    assert_eq!(
        header(&requests[0], "authorization"),
        Some(basic(AC, AUTH_TOKEN).as_str())
    );
}

#[tokio::test]
async fn an_api_key_authenticates_while_the_path_names_the_account() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(INCOMING_PN))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let config = TwilioConfig::with_api_key(AC, SK, API_SECRET)
        .unwrap()
        .base_url(&server.uri())
        .unwrap();
    TwilioProvider::new(config)
        .unwrap()
        .release(PN)
        .await
        .unwrap();
    let requests = received(&server).await;
    assert_eq!(requests[0].url.path(), INCOMING_PN);
    assert_eq!(
        header(&requests[0], "authorization"),
        Some(basic(SK, API_SECRET).as_str())
    );
}

#[tokio::test]
async fn a_base_url_with_a_path_prefix_prefixes_every_request() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(format!("/edge{INCOMING_PN}")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let config = config(&server)
        .base_url(&format!("{}/edge/", server.uri()))
        .unwrap();
    TwilioProvider::new(config)
        .unwrap()
        .release(PN)
        .await
        .unwrap();
}
