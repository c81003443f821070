//! The Twilio protocol over real HTTP, in live and strict mode.

mod common;

use common::{SID, client, send, twilio};
use reqwest::Method;
use serde_json::Value;
use switchboard_emulator::{
    DEFAULT_TWILIO_API_KEY_SECRET, DEFAULT_TWILIO_API_KEY_SID, Emulator, Mode, TwilioAccount,
};

const OTHER_SID: &str = "ACffffffffffffffffffffffffffffffff";

async fn first_available(
    c: &reqwest::Client,
    e: &switchboard_emulator::RunningEmulator,
    area: &str,
) -> String {
    let country = if area == "604" { "CA" } else { "US" };
    let (status, body) = send(
        twilio(
            c,
            e,
            Method::GET,
            &format!("AvailablePhoneNumbers/{country}/Local.json"),
        )
        .query(&[("AreaCode", area)]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["available_phone_numbers"][0]["phone_number"]
        .as_str()
        .expect("a number")
        .to_string()
}

#[tokio::test]
async fn live_search_has_the_live_quirks() {
    let e = Emulator::builder().start().await.unwrap();
    let c = client();
    let (status, body) = send(
        twilio(&c, &e, Method::GET, "AvailablePhoneNumbers/US/Local.json")
            .query(&[("AreaCode", "512"), ("PageSize", "200")]),
    )
    .await;
    assert_eq!(status, 200);
    let items = body["available_phone_numbers"].as_array().unwrap();
    assert_eq!(items.len(), 30, "live caps searches at about 30");
    assert!(body.get("next_page_uri").is_none());
    for item in items {
        assert!(item["phone_number"].as_str().unwrap().starts_with("+1512"));
        assert!(item["latitude"].is_string() && item["longitude"].is_string());
        assert!(item["capabilities"].get("SMS").is_some());
        assert!(item["capabilities"].get("sms").is_none());
    }
}

#[tokio::test]
async fn strict_search_has_the_documented_shape() {
    let e = Emulator::builder()
        .mode(Mode::Strict)
        .start()
        .await
        .unwrap();
    let (_, body) = send(
        twilio(
            &client(),
            &e,
            Method::GET,
            "AvailablePhoneNumbers/US/Local.json",
        )
        .query(&[("AreaCode", "512"), ("PageSize", "60")]),
    )
    .await;
    let items = body["available_phone_numbers"].as_array().unwrap();
    assert_eq!(items.len(), 60);
    assert!(items[0]["latitude"].is_f64());
    assert!(items[0]["capabilities"]["sms"].is_boolean());
    assert!(items[0]["capabilities"].get("SMS").is_none());
    assert!(body["next_page_uri"].is_null());
}

#[tokio::test]
async fn search_filters_narrow() {
    let e = Emulator::builder().start().await.unwrap();
    let c = client();
    let search = |query: Vec<(&'static str, &'static str)>, path: &'static str| {
        let request = twilio(&c, &e, Method::GET, path).query(&query);
        async move { send(request).await }
    };
    let (_, body) = search(
        vec![("Contains", "+1512%")],
        "AvailablePhoneNumbers/US/Local.json",
    )
    .await;
    let items = body["available_phone_numbers"].as_array().unwrap().clone();
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|i| i["phone_number"].as_str().unwrap().starts_with("+1512"))
    );
    let (_, body) = search(
        vec![("Contains", "77$")],
        "AvailablePhoneNumbers/US/Local.json",
    )
    .await;
    let items = body["available_phone_numbers"].as_array().unwrap().clone();
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|i| i["phone_number"].as_str().unwrap().ends_with("77"))
    );
    let (_, body) = search(
        vec![("InRegion", "BC")],
        "AvailablePhoneNumbers/CA/Local.json",
    )
    .await;
    let items = body["available_phone_numbers"].as_array().unwrap().clone();
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|i| i["region"] == "BC" && i["iso_country"] == "CA")
    );
    let (_, body) = search(
        vec![("FaxEnabled", "true")],
        "AvailablePhoneNumbers/US/Local.json",
    )
    .await;
    let items = body["available_phone_numbers"].as_array().unwrap().clone();
    assert!(!items.is_empty());
    let (_, body) = search(vec![], "AvailablePhoneNumbers/US/TollFree.json").await;
    let first = body["available_phone_numbers"][0]["phone_number"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        [
            "+1800", "+1833", "+1844", "+1855", "+1866", "+1877", "+1888"
        ]
        .iter()
        .any(|p| first.starts_with(p)),
        "{first}"
    );
    let (status, body) = search(
        vec![("Contains", "5*5")],
        "AvailablePhoneNumbers/US/Local.json",
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("Contains"));
    let (status, _) = search(
        vec![("PageSize", "0")],
        "AvailablePhoneNumbers/US/Local.json",
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = search(vec![], "AvailablePhoneNumbers/ZZZ/Local.json").await;
    assert_eq!((status, body["code"].as_u64()), (404, Some(20404)));
}

#[tokio::test]
async fn purchase_list_fetch_update_release() {
    for mode in [Mode::Live, Mode::Strict] {
        let e = Emulator::builder().mode(mode).start().await.unwrap();
        let c = client();
        let number = first_available(&c, &e, "604").await;
        let (status, bought) = send(
            twilio(&c, &e, Method::POST, "IncomingPhoneNumbers.json").form(&[
                ("PhoneNumber", number.as_str()),
                ("FriendlyName", "Main Line"),
            ]),
        )
        .await;
        assert_eq!(status, 201, "{bought}");
        assert_eq!(bought["phone_number"], number.as_str());
        assert_eq!(bought["friendly_name"], "Main Line");
        assert_eq!(bought["account_sid"], SID);
        let unset = if mode == Mode::Live {
            Value::from("")
        } else {
            Value::Null
        };
        assert_eq!(bought["voice_url"], unset, "{mode:?}");
        let sid = bought["sid"].as_str().unwrap().to_string();
        assert!(sid.starts_with("PN") && sid.len() == 34);

        // Bought numbers leave the search.
        let (_, body) = send(
            twilio(&c, &e, Method::GET, "AvailablePhoneNumbers/CA/Local.json")
                .query(&[("Contains", format!("+{}$", &number[1..]))]),
        )
        .await;
        assert_eq!(body["available_phone_numbers"].as_array().unwrap().len(), 0);

        // Buying it again answers 201 with the same number (live behaviour 6
        // in docs/carriers/twilio.md).
        let (status, again) = send(
            twilio(&c, &e, Method::POST, "IncomingPhoneNumbers.json")
                .form(&[("PhoneNumber", number.as_str())]),
        )
        .await;
        assert_eq!(status, 201);
        assert_eq!(again["sid"], sid.as_str());
        assert_eq!(again["status"], "in-use");

        let (status, fetched) = send(twilio(
            &c,
            &e,
            Method::GET,
            &format!("IncomingPhoneNumbers/{sid}.json"),
        ))
        .await;
        assert_eq!(status, 200);
        assert_eq!(fetched["sid"], sid.as_str());

        let (status, updated) = send(
            twilio(
                &c,
                &e,
                Method::POST,
                &format!("IncomingPhoneNumbers/{sid}.json"),
            )
            .form(&[
                ("VoiceUrl", "https://agent.example/voice"),
                ("VoiceMethod", "GET"),
                ("FriendlyName", "Support"),
            ]),
        )
        .await;
        assert_eq!(status, 200, "{updated}");
        assert_eq!(updated["voice_url"], "https://agent.example/voice");
        assert_eq!(updated["voice_method"], "GET");
        assert_eq!(updated["friendly_name"], "Support");
        let (status, bad) = send(
            twilio(
                &c,
                &e,
                Method::POST,
                &format!("IncomingPhoneNumbers/{sid}.json"),
            )
            .form(&[("VoiceUrl", "ftp://nope"), ("FriendlyName", "Changed")]),
        )
        .await;
        assert_eq!(status, 400);
        assert!(bad["message"].as_str().unwrap().contains("VoiceUrl"));
        let (_, unchanged) = send(twilio(
            &c,
            &e,
            Method::GET,
            &format!("IncomingPhoneNumbers/{sid}.json"),
        ))
        .await;
        assert_eq!(
            unchanged["friendly_name"], "Support",
            "bad input changes nothing"
        );

        let (_, listed) = send(
            twilio(&c, &e, Method::GET, "IncomingPhoneNumbers.json")
                .query(&[("PhoneNumber", number.as_str())]),
        )
        .await;
        assert_eq!(
            listed["incoming_phone_numbers"].as_array().unwrap().len(),
            1
        );
        let (_, listed) = send(
            twilio(&c, &e, Method::GET, "IncomingPhoneNumbers.json")
                .query(&[("FriendlyName", "Nope")]),
        )
        .await;
        assert_eq!(
            listed["incoming_phone_numbers"].as_array().unwrap().len(),
            0
        );

        let response = twilio(
            &c,
            &e,
            Method::DELETE,
            &format!("IncomingPhoneNumbers/{sid}.json"),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(response.status().as_u16(), 204);
        assert!(response.text().await.unwrap().is_empty());
        let (status, gone) = send(twilio(
            &c,
            &e,
            Method::GET,
            &format!("IncomingPhoneNumbers/{sid}.json"),
        ))
        .await;
        assert_eq!((status, gone["code"].as_u64()), (404, Some(20404)));
        assert!(e.owned_numbers().is_empty());
    }
}

#[tokio::test]
async fn purchase_errors_carry_twilio_codes() {
    let e = Emulator::builder()
        .twilio_account(TwilioAccount::default_test())
        .twilio_account(TwilioAccount::new(OTHER_SID, "other-token").trial(true))
        .start()
        .await
        .unwrap();
    let c = client();
    let buy = |sid: &'static str, token: &'static str, form: Vec<(&'static str, String)>| {
        let request = c
            .post(format!(
                "{}/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json",
                e.base_url()
            ))
            .basic_auth(sid, Some(token))
            .form(&form);
        async move { send(request).await }
    };
    let number = first_available(&c, &e, "512").await;
    let (status, _) = buy(
        SID,
        switchboard_emulator::DEFAULT_TWILIO_AUTH_TOKEN,
        vec![("PhoneNumber", number.clone())],
    )
    .await;
    assert_eq!(status, 201);
    // Another account cannot buy it.
    let (status, body) = buy(
        OTHER_SID,
        "other-token",
        vec![("PhoneNumber", number.clone())],
    )
    .await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(21422)));
    let (status, body) = buy(
        OTHER_SID,
        "other-token",
        vec![("PhoneNumber", "12345".into())],
    )
    .await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(21421)));
    let (status, body) = buy(
        OTHER_SID,
        "other-token",
        vec![("PhoneNumber", "+15005550000".into())],
    )
    .await;
    assert_eq!(
        (status, body["code"].as_u64()),
        (400, Some(21422)),
        "not in the catalogue"
    );
    let (status, body) = buy(OTHER_SID, "other-token", vec![("AreaCode", "999".into())]).await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(21452)));
    let (status, body) = buy(OTHER_SID, "other-token", vec![("AreaCode", "415".into())]).await;
    assert_eq!(status, 201, "{body}");
    assert!(body["phone_number"].as_str().unwrap().starts_with("+1415"));
    // A trial account may own one number.
    let (status, body) = buy(OTHER_SID, "other-token", vec![("AreaCode", "415".into())]).await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(21404)));
    // Accounts see only their own numbers.
    let (_, listed) = send(twilio(&c, &e, Method::GET, "IncomingPhoneNumbers.json")).await;
    assert_eq!(
        listed["incoming_phone_numbers"].as_array().unwrap().len(),
        1
    );
    let other_sid = e
        .owned_numbers()
        .into_iter()
        .find(|a| a.account == OTHER_SID)
        .unwrap()
        .numbers[0]
        .id
        .clone();
    let (status, _) = send(twilio(
        &c,
        &e,
        Method::GET,
        &format!("IncomingPhoneNumbers/{other_sid}.json"),
    ))
    .await;
    assert_eq!(status, 404);
    let (status, _) = send(twilio(
        &c,
        &e,
        Method::DELETE,
        &format!("IncomingPhoneNumbers/{other_sid}.json"),
    ))
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn authentication_takes_tokens_and_api_keys() {
    let e = Emulator::builder().start().await.unwrap();
    let c = client();
    let url = format!(
        "{}/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json",
        e.base_url()
    );
    let (status, _) = send(c.get(&url).basic_auth(
        DEFAULT_TWILIO_API_KEY_SID,
        Some(DEFAULT_TWILIO_API_KEY_SECRET),
    ))
    .await;
    assert_eq!(status, 200);
    let (status, body) = send(c.get(&url).basic_auth(SID, Some("wrong"))).await;
    assert_eq!((status, body["code"].as_u64()), (401, Some(20003)));
    assert!(body["detail"].is_string());
    let (status, _) = send(c.get(&url)).await;
    assert_eq!(status, 401);
    // A key of this account does not open another account's path.
    let other = format!(
        "{}/2010-04-01/Accounts/{OTHER_SID}/IncomingPhoneNumbers.json",
        e.base_url()
    );
    let (status, _) = send(c.get(&other).basic_auth(
        DEFAULT_TWILIO_API_KEY_SID,
        Some(DEFAULT_TWILIO_API_KEY_SECRET),
    ))
    .await;
    assert_eq!(status, 401);
    // Secrets never reach the request log or error bodies.
    let log = format!("{:?}", e.requests());
    assert!(!log.contains(DEFAULT_TWILIO_API_KEY_SECRET) && !log.contains("wrong"));
    assert!(!body.to_string().contains("wrong"));
}

#[tokio::test]
async fn owned_numbers_page_by_next_page_uri() {
    let e = Emulator::builder().start().await.unwrap();
    let c = client();
    let (_, found) = send(
        twilio(&c, &e, Method::GET, "AvailablePhoneNumbers/US/Local.json")
            .query(&[("AreaCode", "212"), ("PageSize", "7")]),
    )
    .await;
    let mut bought = Vec::new();
    for item in found["available_phone_numbers"].as_array().unwrap() {
        let number = item["phone_number"].as_str().unwrap();
        let (status, _) = send(
            twilio(&c, &e, Method::POST, "IncomingPhoneNumbers.json")
                .form(&[("PhoneNumber", number)]),
        )
        .await;
        assert_eq!(status, 201);
        bought.push(number.to_string());
    }
    let mut seen = Vec::new();
    let mut next = Some(format!(
        "/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json?PageSize=3"
    ));
    let mut pages = 0;
    while let Some(uri) = next {
        let (status, page) = send(
            c.get(format!("{}{uri}", e.base_url()))
                .basic_auth(SID, Some(switchboard_emulator::DEFAULT_TWILIO_AUTH_TOKEN)),
        )
        .await;
        assert_eq!(status, 200);
        for item in page["incoming_phone_numbers"].as_array().unwrap() {
            seen.push(item["phone_number"].as_str().unwrap().to_string());
        }
        next = page["next_page_uri"].as_str().map(str::to_string);
        pages += 1;
        assert!(pages < 10);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, bought);
}
