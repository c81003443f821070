//! The access log says what happened to each request and never shows a token.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{ACME, TestServer};
use reqwest::StatusCode;
use serde_json::json;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// Single-threaded runtime: the server's tasks run on this thread, where the
// capturing subscriber is installed.
#[tokio::test(flavor = "current_thread")]
async fn logs_have_method_path_status_latency_and_request_id_but_no_token() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = TestServer::start().await;
    let number = server.for_sale(1).remove(0);
    let wrong = "sb_wrong_token_do_not_log_me_0000000000000";

    let ok = server
        .client
        .post(server.url("/functions/v1/provision-phone-number"))
        .bearer_auth(ACME)
        .header("x-request-id", "req-provision-1")
        .json(&json!({"phone_number": number.as_str()}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let denied = server
        .client
        .get(server.url("/functions/v1/list-phone-numbers"))
        .bearer_auth(wrong)
        .header("x-request-id", "req-denied-2")
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
    let basic = server
        .client
        .get(server.url("/functions/v1/list-phone-numbers"))
        .header("authorization", format!("Basic {ACME}"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
    server.stop().await;

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    for expected in [
        "request finished",
        "method=POST",
        "path=/functions/v1/provision-phone-number",
        "request_id=req-provision-1",
        "request_id=req-denied-2",
        "status=200",
        "status=401",
        "latency_ms=",
        "account=acme",
    ] {
        assert!(logs.contains(expected), "missing {expected:?} in:\n{logs}");
    }
    for secret in [
        ACME.to_string(),
        wrong.to_string(),
        switchboard_core::hash_token(ACME),
        switchboard_core::hash_token(wrong),
        "Bearer".to_string(),
    ] {
        assert!(!logs.contains(&secret), "{secret:?} appears in:\n{logs}");
    }
}
