//! The errors table: every Telnyx code with a core meaning, per operation,
//! answered by a local server with the description's `Errors` body, and
//! the statuses that decide when no code does.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use switchboard_core::{
    CarrierUpdate, Error, OrderStatus, PageRequest, PhoneNumber, PurchaseOutcome, PurchaseRequest,
    Result, Routing, SearchQuery, TelephonyProvider,
};
use switchboard_telnyx::TelnyxProvider;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Search,
    Purchase,
    OrderStatus,
    Find,
    List,
    Update,
    Release,
}

const OPS: [Op; 7] = [
    Op::Search,
    Op::Purchase,
    Op::OrderStatus,
    Op::Find,
    Op::List,
    Op::Update,
    Op::Release,
];

/// The error of `op` against a server that refuses everything.
async fn error_of(telnyx: &TelnyxProvider, op: Op) -> Error {
    let number = PhoneNumber::parse_trusted(NUMBER).unwrap();
    let result: Result<()> = match op {
        Op::Search => telnyx.search(&SearchQuery::default()).await.map(drop),
        Op::Purchase => telnyx
            .purchase(&PurchaseRequest {
                phone_number: number,
                friendly_name: None,
                routing: Routing::default(),
            })
            .await
            .map(|o: PurchaseOutcome| drop(o)),
        Op::OrderStatus => telnyx
            .order_status(ORDER_ID)
            .await
            .map(|s: OrderStatus| drop(s)),
        Op::Find => telnyx.find_owned(&number).await.map(drop),
        Op::List => telnyx.list_owned(&PageRequest::first(5)).await.map(drop),
        Op::Update => telnyx
            .update(
                NUMBER_ID,
                &CarrierUpdate {
                    friendly_name: Some("x".into()),
                    routing: None,
                },
            )
            .await
            .map(drop),
        Op::Release => telnyx.release(NUMBER_ID).await,
    };
    result.expect_err("the server refuses everything")
}

async fn refusing(status: u16, body: Value, headers: &[(&str, &str)]) -> MockServer {
    let server = MockServer::start().await;
    let mut answer = ResponseTemplate::new(status).set_body_json(body);
    for (name, value) in headers {
        answer = answer.insert_header(*name, *value);
    }
    Mock::given(any()).respond_with(answer).mount(&server).await;
    server
}

#[tokio::test]
async fn every_code_has_its_meaning_in_every_operation() {
    type Check = fn(Op, &Error) -> bool;
    let table: [(&str, u16, Check); 11] = [
        (
            "10009",
            401,
            |_, e| matches!(e, Error::Unauthenticated { code: Some(c), .. } if c == "10009"),
        ),
        (
            "10010",
            403,
            |_, e| matches!(e, Error::Unauthenticated { code: Some(c), .. } if c == "10010"),
        ),
        ("10005", 404, |op, e| match op {
            Op::Purchase => matches!(e, Error::NumberUnavailable { .. }),
            _ => matches!(e, Error::NotFound { code: Some(c), .. } if c == "10005"),
        }),
        ("10016", 422, |_, e| e.field() == Some("phone_number")),
        ("10002", 422, |_, e| e.field() == Some("phone_number")),
        ("10011", 429, |_, e| matches!(e, Error::RateLimited { .. })),
        ("10012", 422, |_, e| matches!(e, Error::Duplicate { .. })),
        ("10015", 400, |_, e| e.field() == Some("connection_id")),
        ("10004", 400, |_, e| e.field() == Some("connection_id")),
        ("10006", 400, |op, e| match op {
            Op::OrderStatus => e.field() == Some("order_id"),
            _ => e.field() == Some("carrier_id"),
        }),
        ("10021", 422, |op, e| match op {
            Op::Purchase => matches!(e, Error::NumberUnavailable { .. }),
            Op::Release => matches!(e, Error::RetryLater { .. }),
            _ => matches!(e, Error::Conflict { .. }),
        }),
    ];
    for (code, status, check) in table {
        // 10015 and its kin name the field through source.pointer.
        let body = error(code, "title", "detail", Some("/connection_id"));
        let server = refusing(status, body, &[("x-ratelimit-reset", "3600")]).await;
        let telnyx = provider(&server);
        for op in OPS {
            let e = error_of(&telnyx, op).await;
            // Retried or not, the meaning is the last attempt's.
            assert!(check(op, e.last_attempt()), "code {code} on {op:?}: {e:?}");
            // Only a rate limit, and something in use that is not for sale
            // to us, may clear by waiting.
            let temporary = code == "10011" || (code == "10021" && op != Op::Purchase);
            assert_eq!(e.is_temporary(), temporary, "code {code} on {op:?}: {e:?}");
        }
    }
}

#[tokio::test]
async fn a_bad_request_without_a_field_is_a_carrier_error_with_its_status() {
    let server = refusing(400, error("10015", "Bad Request", "no", None), &[]).await;
    let e = error_of(&provider(&server), Op::Search).await;
    assert!(
        matches!(&e, Error::Carrier { status: Some(400), code: Some(c), .. } if c == "10015"),
        "{e:?}"
    );
    assert!(e.to_string().contains("Bad Request: no"), "{e}");
}

#[tokio::test]
async fn the_rate_limit_waits_the_reset_header_and_hands_a_long_one_back() {
    let server = refusing(429, too_many_requests(), &[("x-ratelimit-reset", "3600")]).await;
    let telnyx = provider(&server);
    let e = error_of(&telnyx, Op::Search).await;
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3600)));
    assert!(e.to_string().contains("exceeded the maximum"), "{e}");
    // Longer than the policy waits: returned at once, not retried.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_5xx_is_temporary_and_retried_for_idempotent_calls_only() {
    let server = refusing(500, error("10007", "Unexpected error", "x", None), &[]).await;
    let telnyx = provider(&server);
    for op in OPS {
        let e = error_of(&telnyx, op).await;
        assert!(e.is_temporary(), "{op:?}: {e:?}");
    }
    let requests = server.received_requests().await.unwrap();
    let posts = requests
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(posts, 1, "an order was sent again");
    // Every other call was tried three times (find_owned stops at the
    // error of its first form: an error is not "not found").
    assert_eq!(requests.len(), 1 + 3 * (OPS.len() - 1));
}

#[tokio::test]
async fn a_status_without_a_known_code_decides() {
    for (status, check) in [
        (
            401u16,
            (|e: &Error| matches!(e, Error::Unauthenticated { .. })) as fn(&Error) -> bool,
        ),
        (404, |e| matches!(e, Error::NotFound { .. })),
        (429, |e| matches!(e, Error::RateLimited { .. })),
        (409, |e| {
            matches!(
                e,
                Error::Carrier {
                    status: Some(409),
                    ..
                }
            )
        }),
    ] {
        let server = refusing(status, error("19999", "Something new", "x", None), &[]).await;
        let e = error_of(&provider(&server), Op::Release).await;
        assert!(check(e.last_attempt()), "{status}: {e:?}");
    }
    // A 422 to an order is a number Telnyx will not sell.
    let server = refusing(422, error("19999", "Unprocessable", "x", None), &[]).await;
    let e = error_of(&provider(&server), Op::Purchase).await;
    assert!(matches!(e, Error::NumberUnavailable { .. }), "{e:?}");
}
