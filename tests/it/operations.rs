//! Running it for real: retries of a write with an `Idempotency-Key`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures;
use crate::harness::{TestApp, assert_error, today};

#[tokio::test]
async fn a_retry_with_the_same_key_answers_the_first_result_and_writes_nothing_new() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), fixtures::HANZHOU).await;
    let (admin, _) = app.logged_in("admin", "51").await;
    let path = format!("/api/v1/stations/{station}/activities");
    let send = |key: &'static str, kind: &'static str| {
        let admin = admin.clone();
        let path = path.clone();
        async move {
            let response = admin
                .http
                .post(admin.url(&path))
                .header("idempotency-key", key)
                .json(&json!({ "held_on": today(), "kind": kind }))
                .send()
                .await
                .unwrap();
            let replayed = response.headers().contains_key("idempotent-replayed");
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (status, replayed, body)
        }
    };
    let (status, replayed, first) = send("key-1", "tutoring").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(!replayed);
    let (status, replayed, again) = send("key-1", "tutoring").await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert!(replayed, "a retry is answered the stored answer");
    assert_eq!(again, first);
    let written: i64 = sqlx::query_scalar("SELECT count(*) FROM activity")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(written, 1, "the retry wrote nothing");

    let (status, _, body) = send("key-1", "reading").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "idempotency_key_reused");

    let (status, _, other) = send("key-2", "tutoring").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(other["id"], first["id"], "a new key is a new request");
}
