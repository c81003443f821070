//! Wrong or unreachable databases fail at `connect` with a message that says
//! what is wrong, and never shows the password.

mod common;

use std::time::Duration;

use switchboard_core::Error;
use switchboard_sql::{SqlOptions, SqlRepository};

const PASSWORD: &str = "hunter2-Sup3rSecret";

fn assert_hidden(err: &Error) {
    let shown = format!("{err} / {err:?}");
    assert!(!shown.contains(PASSWORD), "password leaked: {shown}");
    assert!(!shown.contains("Sup3rSecret"), "password leaked: {shown}");
}

#[tokio::test]
async fn an_unreachable_server_is_a_temporary_repository_error_naming_the_host() {
    // Port 1 on loopback: nothing listens there, so the connect is refused.
    let url = format!("postgres://app:{PASSWORD}@127.0.0.1:1/numbers");
    let err = SqlRepository::connect(&url).await.unwrap_err();
    assert_hidden(&err);
    match &err {
        Error::Repository {
            message, temporary, ..
        } => {
            assert!(*temporary, "{err}");
            assert!(
                message.contains("postgres://app:***@127.0.0.1:1/numbers"),
                "{err}"
            );
        }
        other => panic!("expected a repository error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_with_a_clear_message() {
    // A listener that accepts and then says nothing.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let url = format!("postgres://app:{PASSWORD}@127.0.0.1:{port}/numbers");
    let options = SqlOptions::new(&url).connect_timeout(Duration::from_millis(300));
    let err = SqlRepository::connect_with(options).await.unwrap_err();
    drop(listener);
    assert_hidden(&err);
    assert!(err.is_temporary(), "{err:?}");
    assert!(err.to_string().contains("within 300 ms"), "{err}");
}

#[tokio::test]
async fn a_malformed_url_is_a_configuration_error() {
    let url = format!("postgres://app:{PASSWORD}@db.internal:notaport/numbers");
    let err = SqlRepository::connect(&url).await.unwrap_err();
    assert_hidden(&err);
    match &err {
        Error::Configuration { message } => {
            assert!(message.contains("invalid PostgreSQL URL"), "{err}");
            assert!(message.contains("app:***@db.internal"), "{err}");
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unknown_scheme_names_the_supported_ones() {
    let url = format!("mysql://root:{PASSWORD}@localhost/numbers");
    let err = SqlRepository::connect(&url).await.unwrap_err();
    assert_hidden(&err);
    assert!(matches!(err, Error::Configuration { .. }), "{err:?}");
    assert!(
        err.to_string().contains("sqlite:// or postgres://"),
        "{err}"
    );
}

#[tokio::test]
async fn a_password_in_the_query_string_is_hidden_too() {
    let url = format!("postgres://app@127.0.0.1:1/numbers?password={PASSWORD}&sslmode=disable");
    let err = SqlRepository::connect(&url).await.unwrap_err();
    assert_hidden(&err);
    assert!(err.to_string().contains("password=***"), "{err}");
}

#[tokio::test]
async fn a_sqlite_file_in_a_missing_directory_names_the_path() {
    let dir = common::TempDir::new();
    let url = format!(
        "sqlite://{}",
        dir.path().join("no-such-dir").join("numbers.db").display()
    );
    let err = SqlRepository::connect(&url).await.unwrap_err();
    assert!(err.to_string().contains("no-such-dir"), "{err}");
    assert!(!err.is_temporary(), "{err:?}");
}

#[tokio::test]
async fn a_bad_schema_name_is_refused_before_connecting() {
    let url = format!("postgres://app:{PASSWORD}@127.0.0.1:1/numbers");
    let options = SqlOptions::new(&url).schema("public; DROP TABLE numbers");
    let err = SqlRepository::connect_with(options.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Configuration { .. }), "{err:?}");
    assert_hidden(&err);
    let shown = format!("{options:?}");
    assert!(!shown.contains(PASSWORD), "{shown}");
}

#[tokio::test]
async fn a_connected_repository_does_not_show_the_password() {
    let Some(url) = common::postgres_url() else {
        return;
    };
    // The CI cluster trusts loopback, so any password is accepted: put one
    // in the URL and check that it shows nowhere.
    let Some(rest) = url.strip_prefix("postgres://") else {
        panic!("test URL is not postgres://");
    };
    let (userinfo, host) = rest.split_once('@').expect("user@host in the test URL");
    let user = userinfo.split(':').next().unwrap_or(userinfo);
    let with_password = format!("postgres://{user}:{PASSWORD}@{host}");
    let schema = common::fresh_schema();
    let options = SqlOptions::new(&with_password).schema(&schema);
    let store = match SqlRepository::connect_with(options.clone()).await {
        Ok(store) => store,
        // A server that checks passwords refuses this one; the refusal must
        // not show it either.
        Err(err) => {
            assert_hidden(&err);
            return;
        }
    };
    let shown = format!("{store:?} {options:?}");
    assert!(!shown.contains(PASSWORD), "{shown}");
    assert!(shown.contains(":***@"), "{shown}");
    store.close().await;
    common::PgSchema { url, name: schema }.drop_now().await;
}
