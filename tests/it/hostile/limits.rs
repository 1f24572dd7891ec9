//! Lockout, unbounded cost and a database restart (findings 8 and 11).

use std::net::IpAddr;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header;
use serde_json::{Value, json};

use crate::fixtures;
use crate::harness::{Browser, PASSWORD, TestApp, assert_error};

/// A browser whose connections come from `address` (any of 127.0.0.0/8 reaches the app).
fn browser_from(app: &TestApp, address: &str) -> Browser {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(address.parse::<IpAddr>().unwrap())
        .build()
        .unwrap();
    Browser::with_client(&app.base, http)
}

/// A login through the API, perhaps with an `X-Forwarded-For`: status, `Retry-After`, body.
async fn attempt(
    browser: &Browser,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> (StatusCode, Option<u64>, Value) {
    let mut request = browser
        .http
        .post(browser.url("/api/v1/session"))
        .json(&json!({ "username": username, "password": password }));
    if let Some(client) = forwarded_for {
        request = request.header("x-forwarded-for", client);
    }
    let response = request.send().await.unwrap();
    let retry = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (
        response.status(),
        retry,
        response.json().await.unwrap_or(Value::Null),
    )
}

/// `n` failed logins of `username` from `ip`, the last one just now, a second apart before it.
async fn failures(app: &TestApp, username: &str, ip: &str, n: i32) {
    sqlx::query(
        "INSERT INTO login_attempt (username_key, ip, succeeded, at)
         SELECT lower($1), $2::inet, false, now() - make_interval(secs => g)
         FROM generate_series(0, $3 - 1) g",
    )
    .bind(username)
    .bind(ip)
    .bind(n)
    .execute(app.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn wrong_passwords_from_one_address_do_not_lock_the_owner_out_from_another() {
    let app = TestApp::spawn().await;
    let user = app.regional_user("admin", "51").await;
    let attacker = browser_from(&app, "127.0.0.2");
    // The first failures cost nothing (typing mistakes)…
    for _ in 0..4 {
        let (status, _, body) = attempt(&attacker, &user.username, "wrong-password", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    // …then the guessing address waits, however many it tries.
    failures(&app, &user.username, "127.0.0.2", 20).await;
    let (status, retry, body) = attempt(&attacker, &user.username, PASSWORD, None).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the guessing address waits: {body}"
    );
    assert!(retry.is_some());

    let owner = browser_from(&app, "127.0.0.3");
    let (status, _, body) = attempt(&owner, &user.username, PASSWORD, None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the right password from another address gets in: {body}"
    );
}

#[tokio::test]
async fn a_guessing_address_waits_longer_after_each_failure_but_never_more_than_a_minute() {
    let app = TestApp::spawn().await;
    let user = app.regional_user("staff", "510623").await;
    let browser = app.browser();

    let mut waits = Vec::new();
    // 4 failures, then one more, one more, and 30 more (below the address's bound of 50).
    for n in [4, 1, 1, 30] {
        failures(&app, &user.username, "127.0.0.1", n).await;
        let (status, retry, body) = attempt(&browser, &user.username, PASSWORD, None).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_error(&body, "too_many_requests");
        waits.push(retry.expect("Retry-After"));
    }
    assert!(
        waits.windows(2).all(|w| w[0] < w[1] || w[1] == 60),
        "each failure makes the wait longer: {waits:?}"
    );
    assert!(
        waits.iter().all(|w| (1..=60).contains(w)),
        "at most a minute: {waits:?}"
    );
    assert_eq!(waits, [5, 10, 20, 60]);
}

#[tokio::test]
async fn wrong_passwords_sent_all_at_once_get_no_more_tries_than_one_after_another() {
    let app = TestApp::spawn().await;
    let user = app.regional_user("staff", "510623").await;

    let burst: Vec<_> = (0..10)
        .map(|_| {
            let browser = browser_from(&app, "127.0.0.9");
            let username = user.username.clone();
            tokio::spawn(async move {
                attempt(&browser, &username, "not-the-password-1", None)
                    .await
                    .0
            })
        })
        .collect();
    let mut answers = Vec::new();
    for answer in burst {
        answers.push(answer.await.unwrap());
    }
    let tried = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    // One after another, four wrong passwords are checked before the address must wait.
    assert_eq!((tried, refused), (4, 6), "{answers:?}");
    let recorded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM login_attempt WHERE ip = '127.0.0.9' AND NOT succeeded",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(recorded, 4);
}

#[tokio::test]
async fn forwarded_for_names_the_client_only_behind_a_trusted_proxy() {
    // 50 failures from 203.0.113.7 over many accounts: that address is throttled.
    let throttled_address = async |app: &TestApp| {
        sqlx::query(
            "INSERT INTO login_attempt (username_key, ip, succeeded)
             SELECT 'someone' || g, '203.0.113.7', false FROM generate_series(1, 50) g",
        )
        .execute(app.pool())
        .await
        .unwrap();
    };

    // No trusted proxy: the header is anyone's to write and is ignored.
    let app = TestApp::spawn().await;
    throttled_address(&app).await;
    let user = app.regional_user("staff", "510623").await;
    let (status, _, body) = attempt(
        &app.browser(),
        &user.username,
        PASSWORD,
        Some("203.0.113.7"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Behind a trusted proxy, the address it forwards for is the client's.
    let app = TestApp::spawn_with_vars(&[("AIXIN_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")]).await;
    throttled_address(&app).await;
    let user = app.regional_user("staff", "510623").await;
    let browser = app.browser();
    let (status, _, body) = attempt(
        &browser,
        &user.username,
        PASSWORD,
        Some("203.0.113.7, 10.1.2.3"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // A client that writes the header itself does not escape: the rightmost address the
    // trusted proxies did not add is the one counted.
    let (status, _, body) = attempt(
        &browser,
        &user.username,
        PASSWORD,
        Some("198.51.100.1, 203.0.113.7"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let (status, _, body) = attempt(&browser, &user.username, PASSWORD, Some("198.51.100.1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Waits (briefly, polling) until `n` statements of the app wait for a lock.
async fn waiting_for_a_lock(app: &TestApp, n: i64) {
    for _ in 0..200 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(app.pool())
        .await
        .unwrap();
        if waiting >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{n} statements never waited for the lock");
}

#[tokio::test]
async fn an_export_over_the_limit_is_refused_and_names_it() {
    let app = TestApp::spawn_with_vars(&[("AIXIN_EXPORT_MAX_ROWS", "3")]).await;
    for _ in 0..4 {
        fixtures::station(app.pool(), fixtures::HANZHOU).await;
    }
    let (admin, _) = app.logged_in("admin", "51").await;
    let (status, body) = admin.get_json("/api/v1/stations?format=xlsx").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "export_too_large");
    assert!(body.to_string().contains('3'), "names the limit: {body}");

    // Within the limit, the download works.
    sqlx::query("DELETE FROM station WHERE id IN (SELECT id FROM station LIMIT 1)")
        .execute(app.pool())
        .await
        .unwrap();
    let response = admin.get("/api/v1/stations?format=xlsx").await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_third_export_at_once_is_refused_with_retry_after() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), fixtures::HANZHOU).await;
    fixtures::child(app.pool(), station).await;
    let (admin, _) = app.logged_in("admin", "51").await;

    // Hold the children's table so that two exports wait inside the database.
    let mut lock = app.pool().begin().await.unwrap();
    sqlx::query("LOCK TABLE child IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let first = tokio::spawn({
        let admin = admin.clone();
        async move { admin.get("/api/v1/children?format=xlsx").await.status() }
    });
    let second = tokio::spawn({
        let admin = admin.clone();
        async move { admin.get("/api/v1/children?format=xlsx").await.status() }
    });
    waiting_for_a_lock(&app, 2).await;

    let third = tokio::time::timeout(
        Duration::from_secs(10),
        admin.get("/api/v1/children?format=xlsx"),
    )
    .await
    .expect("the third export is answered at once, not queued");
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(third.headers().contains_key(header::RETRY_AFTER));
    let body: Value = third.json().await.unwrap();
    assert_error(&body, "too_many_requests");
    // The monthly report's download is an export too.
    let report = tokio::time::timeout(
        Duration::from_secs(10),
        admin.get("/reports/monthly?month=2026-10&format=xlsx"),
    )
    .await
    .expect("answered at once");
    assert_eq!(report.status(), StatusCode::TOO_MANY_REQUESTS);

    // Another user's export is not hers to wait for.
    let (other, _) = app.logged_in("admin", "51").await;
    let fourth =
        tokio::spawn(async move { other.get("/api/v1/children?format=xlsx").await.status() });

    lock.commit().await.unwrap();
    assert_eq!(first.await.unwrap(), StatusCode::OK);
    assert_eq!(second.await.unwrap(), StatusCode::OK);
    assert_eq!(fourth.await.unwrap(), StatusCode::OK);
    // Once they are done, she may export again.
    let again = admin.get("/api/v1/children?format=xlsx").await;
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_period_over_five_years_is_refused_naming_from() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in("admin", "51").await;
    let (status, body) = admin
        .get_json("/api/v1/stats?region=51&from=2019-01-01&to=2026-11-30")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "validation_failed");
    assert!(body["error"]["fields"]["from"].is_string(), "{body}");

    let page = admin
        .get("/dashboard?region=51&from=1900-01-01&to=2026-11-30")
        .await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let (status, body) = admin
        .get_json("/api/v1/stats?region=51&from=2022-01-01&to=2026-11-30")
        .await;
    assert_eq!(status, StatusCode::OK, "five years or less is fine: {body}");
}

#[tokio::test]
async fn a_statement_past_the_timeout_answers_503_with_retry_after() {
    let app = TestApp::spawn_with_vars(&[("AIXIN_DB_STATEMENT_TIMEOUT_MS", "300")]).await;
    let (admin, _) = app.logged_in("admin", "51").await;
    let mut lock = app.pool().begin().await.unwrap();
    sqlx::query("LOCK TABLE child IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(10), admin.get("/api/v1/children"))
        .await
        .expect("answered when the statement times out, not when the lock goes");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key(header::RETRY_AFTER));
    let body: Value = response.json().await.unwrap();
    assert_error(&body, "database_unavailable");
    lock.rollback().await.unwrap();
    assert_eq!(admin.get("/api/v1/children").await.status(), StatusCode::OK);
}

/// Ends every other connection to the test's database, as a restart of PostgreSQL does.
async fn terminate_connections(app: &TestApp, which: &str) {
    sqlx::query(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND {which}"
    ))
    .execute(app.pool())
    .await
    .unwrap();
}

/// A transaction holding `table` so that statements on it wait.
async fn hold(app: &TestApp, table: &str) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut lock = app.pool().begin().await.unwrap();
    sqlx::query(&format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        .execute(&mut *lock)
        .await
        .unwrap();
    lock
}

#[tokio::test]
async fn a_restart_of_the_database_retries_what_is_safe_and_never_answers_500() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), fixtures::HANZHOU).await;
    let (admin, _) = app.logged_in("admin", "51").await;

    // Connections that died while idle in the pool are replaced before they are used.
    terminate_connections(&app, "true").await;
    let (status, body) = admin.get_json("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The session's read, cut off in flight, is tried again on a fresh connection.
    let lock = hold(&app, "tower_sessions.session").await;
    let pending = tokio::spawn({
        let admin = admin.clone();
        async move { admin.get_json("/api/v1/me").await }
    });
    waiting_for_a_lock(&app, 1).await;
    terminate_connections(&app, "wait_event_type = 'Lock'").await;
    lock.rollback().await.unwrap();
    let (status, body) = pending.await.unwrap();
    assert_eq!(
        status,
        StatusCode::OK,
        "the session read is retried: {body}"
    );

    // So is the write of a new session at login (the same row, written again).
    let user = app.regional_user("staff", "51").await;
    let browser = app.browser();
    let lock = hold(&app, "tower_sessions.session").await;
    let pending = tokio::spawn({
        let (browser, username) = (browser.clone(), user.username.clone());
        async move {
            browser
                .post_json(
                    "/api/v1/session",
                    &json!({ "username": username, "password": PASSWORD }),
                )
                .await
        }
    });
    waiting_for_a_lock(&app, 1).await;
    terminate_connections(&app, "wait_event_type = 'Lock'").await;
    lock.rollback().await.unwrap();
    let (status, body) = pending.await.unwrap();
    assert_eq!(
        status,
        StatusCode::OK,
        "the session write is retried: {body}"
    );
    assert_eq!(browser.get_json("/api/v1/me").await.0, StatusCode::OK);

    // Cut off twice (here the removal of the session a login replaces), the database is taken
    // to be away: 503 with Retry-After, never 500.
    let user = app.regional_user("staff", "51").await;
    let lock = hold(&app, "tower_sessions.session").await;
    let pending = tokio::spawn({
        let (browser, username) = (app.browser(), user.username.clone());
        async move {
            let response = browser
                .http
                .post(browser.url("/api/v1/session"))
                .json(&json!({ "username": username, "password": PASSWORD }))
                .send()
                .await
                .unwrap();
            (
                response.status(),
                response.headers().contains_key(header::RETRY_AFTER),
            )
        }
    });
    let mut ended: Vec<i32> = Vec::new();
    for _ in 0..2 {
        // The next statement to wait, not the one just ended (which may linger a moment).
        let mut polls = 0;
        let pid = loop {
            polls += 1;
            assert!(polls < 200, "no statement waited for the lock");
            let waiting: Option<i32> = sqlx::query_scalar(
                "SELECT pid FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'
                   AND pid <> ALL($1) LIMIT 1",
            )
            .bind(&ended)
            .fetch_optional(app.pool())
            .await
            .unwrap();
            match waiting {
                Some(pid) => break pid,
                None => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        sqlx::query("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .execute(app.pool())
            .await
            .unwrap();
        ended.push(pid);
    }
    lock.rollback().await.unwrap();
    assert_eq!(
        pending.await.unwrap(),
        (StatusCode::SERVICE_UNAVAILABLE, true)
    );

    // A write of the request's own, cut off in flight, may have been made: it is not
    // repeated but answered 503 with Retry-After, for the caller to send again.
    let lock = hold(&app, "activity").await;
    let pending = tokio::spawn({
        let admin = admin.clone();
        async move {
            let response = admin
                .http
                .post(admin.url(&format!("/api/v1/stations/{station}/activities")))
                .json(&json!({ "held_on": crate::harness::today(), "kind": "tutoring" }))
                .send()
                .await
                .unwrap();
            (
                response.status(),
                response.headers().contains_key(header::RETRY_AFTER),
            )
        }
    });
    waiting_for_a_lock(&app, 1).await;
    terminate_connections(&app, "wait_event_type = 'Lock'").await;
    lock.rollback().await.unwrap();
    assert_eq!(
        pending.await.unwrap(),
        (StatusCode::SERVICE_UNAVAILABLE, true)
    );
    let written: i64 = sqlx::query_scalar("SELECT count(*) FROM activity")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(written, 0);
}

#[tokio::test]
async fn the_login_page_says_how_many_seconds_to_wait() {
    let app = TestApp::spawn().await;
    let user = app.regional_user("staff", "510623").await;
    failures(&app, &user.username, "127.0.0.1", 4).await;
    let response = app
        .post_form(
            "/login",
            &[("username", user.username.as_str()), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let page = response.text().await.unwrap();
    assert!(page.contains("请 5 秒后再试"), "{page}");
}
