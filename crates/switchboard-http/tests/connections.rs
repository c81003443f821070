//! `serve_with`'s connection limits, seen from raw TCP clients: the header
//! timeout cuts off slow senders, the idle timeout closes quiet keep-alive
//! connections (and only those), the cap makes extra connections wait, and
//! shutdown does not wait for idle connections.

mod common;

use std::time::{Duration, Instant};

use common::raw::{self, closed_within, read_response, send};
use common::{Setup, TestServer};
use switchboard_http::ServeOptions;
use tokio::net::TcpStream;

/// The timeout under test; bounds are multiples of it, so that a loaded
/// machine slows the test rather than failing it.
const SHORT: Duration = Duration::from_millis(300);

async fn server(serve: ServeOptions) -> TestServer {
    TestServer::with(Setup {
        serve,
        ..Setup::default()
    })
    .await
}

async fn healthz(stream: &mut TcpStream) {
    send(stream, raw::get("/healthz").as_bytes()).await;
    let answer = read_response(stream).await.expect("an answer");
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[tokio::test]
async fn a_client_sending_half_a_request_line_is_cut_off_at_the_header_timeout() {
    let server = server(ServeOptions::default().with_header_read_timeout(SHORT)).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    send(&mut stream, b"GET /healthz HT").await;
    let closed = closed_within(&mut stream, SHORT * 5).await;
    // Not before the timeout: it is the timeout that closed it.
    assert!(closed - started >= SHORT, "{:?}", closed - started);
    server.stop().await;
}

#[tokio::test]
async fn trickling_headers_a_byte_at_a_time_does_not_extend_the_deadline() {
    let server = server(ServeOptions::default().with_header_read_timeout(SHORT)).await;
    let started = Instant::now();
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    // One byte every 50 ms: each would reset a naive read timeout, and the
    // request takes far longer than the header timeout to arrive.
    let trickle = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let request = b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
        for byte in request {
            if write.write_all(&[*byte]).await.is_err() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        true
    });
    let mut chunk = [0u8; 256];
    let read = tokio::time::timeout(
        SHORT * 5,
        tokio::io::AsyncReadExt::read(&mut read, &mut chunk),
    )
    .await
    .expect("still open after 5x the header timeout");
    assert!(
        matches!(read, Ok(0)) || read.is_err(),
        "expected a close, got {read:?}"
    );
    let elapsed = started.elapsed();
    assert!(elapsed >= SHORT, "{elapsed:?}");
    assert!(
        !trickle.await.unwrap(),
        "the whole request was sent before the close"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_at_the_idle_timeout() {
    let server = server(ServeOptions::default().with_idle_timeout(SHORT)).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let asked = Instant::now();
    healthz(&mut stream).await;
    // Kept alive after the answer, then closed for being idle.
    let closed = closed_within(&mut stream, SHORT * 5).await;
    assert!(closed - asked >= SHORT, "{:?}", closed - asked);
    server.stop().await;
}

#[tokio::test]
async fn idling_longer_than_the_header_timeout_is_not_a_slow_request() {
    // The two clocks are separate: a keep-alive connection quiet for twice
    // the header timeout is still served, and the header clock starts again
    // with the next request's first byte.
    let server = server(
        ServeOptions::default()
            .with_header_read_timeout(SHORT)
            .with_idle_timeout(SHORT * 20),
    )
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    healthz(&mut stream).await;
    tokio::time::sleep(SHORT * 2).await;
    healthz(&mut stream).await;
    tokio::time::sleep(SHORT * 2).await;
    let started = Instant::now();
    send(&mut stream, b"GET /hea").await;
    let closed = closed_within(&mut stream, SHORT * 5).await;
    assert!(closed - started >= SHORT, "{:?}", closed - started);
    server.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let server = server(ServeOptions::default().with_max_connections(2)).await;
    let mut first = TcpStream::connect(server.addr).await.unwrap();
    healthz(&mut first).await;
    let mut second = TcpStream::connect(server.addr).await.unwrap();
    healthz(&mut second).await;

    // The third connects (the kernel's backlog holds it) but is not served
    // while the two others stay open.
    let mut third = TcpStream::connect(server.addr).await.unwrap();
    send(&mut third, raw::get("/healthz").as_bytes()).await;
    assert!(
        tokio::time::timeout(SHORT, read_response(&mut third))
            .await
            .is_err(),
        "a third connection was served with the cap at 2"
    );
    // The open ones still are.
    healthz(&mut second).await;

    drop(first);
    let answer = tokio::time::timeout(SHORT * 10, read_response(&mut third))
        .await
        .expect("the waiting connection is served once one closes")
        .expect("an answer");
    assert_eq!(answer.status, 200, "{answer:?}");
    server.stop().await;
}

#[tokio::test]
async fn shutdown_closes_idle_keep_alive_connections_at_once() {
    // With the default 60 s idle timeout, waiting for idle connections to
    // time out would hold shutdown for a minute.
    let server = server(ServeOptions::default()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    healthz(&mut stream).await;
    tokio::time::timeout(SHORT * 10, server.stop())
        .await
        .expect("shutdown waited on an idle connection");
    closed_within(&mut stream, SHORT * 5).await;
}

#[tokio::test]
async fn options_out_of_range_are_refused_naming_the_field() {
    let router = || axum::Router::new();
    for (options, field) in [
        (
            ServeOptions::default().with_max_connections(0),
            "max_connections",
        ),
        (
            ServeOptions::default().with_header_read_timeout(Duration::ZERO),
            "header_read_timeout",
        ),
        (
            ServeOptions::default().with_idle_timeout(Duration::ZERO),
            "idle_timeout",
        ),
    ] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let error =
            switchboard_http::serve_with(listener, router(), options, std::future::pending())
                .await
                .unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        assert!(error.to_string().contains(field), "{error}");
    }
}
