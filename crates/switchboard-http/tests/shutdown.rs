//! `serve` stops on its signal only after the requests in flight are answered.

mod common;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use switchboard_core::{
    InMemoryRepository, InMemoryTokenStore, ProviderRegistry, ProvisioningService,
};
use switchboard_fake::FakeProvider;
use switchboard_http::AppState;
use tokio::sync::{Mutex, mpsc, oneshot};

#[tokio::test]
async fn graceful_shutdown_lets_in_flight_requests_finish() {
    let (started_tx, mut started) = mpsc::channel::<()>(1);
    let (finish_tx, finish_rx) = oneshot::channel::<()>();
    let finish_rx = Arc::new(Mutex::new(Some(finish_rx)));
    let slow = get(move || {
        let started_tx = started_tx.clone();
        let finish_rx = finish_rx.clone();
        async move {
            let _ = started_tx.send(()).await;
            if let Some(rx) = finish_rx.lock().await.take() {
                let _ = rx.await;
            }
            "done"
        }
    });
    let service = ProvisioningService::new(
        ProviderRegistry::new(Arc::new(FakeProvider::new())),
        Arc::new(InMemoryRepository::new()),
    );
    let state = AppState::new(service, Arc::new(InMemoryTokenStore::new()));
    // The user's own route beside the mounted API.
    let app = Router::new()
        .route("/slow", slow)
        .merge(switchboard_http::router(state));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(switchboard_http::serve(listener, app, async move {
        let _ = stop_rx.await;
    }));

    let client = reqwest::Client::new();
    let health = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let request = tokio::spawn({
        let client = client.clone();
        async move {
            let response = client.get(format!("http://{addr}/slow")).send().await?;
            response.text().await
        }
    });
    started.recv().await.unwrap();
    // Shut down while the request is in its handler, then let it finish.
    stop_tx.send(()).unwrap();
    tokio::task::yield_now().await;
    finish_tx.send(()).unwrap();
    assert_eq!(request.await.unwrap().unwrap(), "done");
    server.await.unwrap().unwrap();
    // Stopped: nothing listens any more.
    assert!(
        client
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .is_err()
    );
}
