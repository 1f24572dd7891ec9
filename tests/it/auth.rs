//! Accounts, login, sessions, throttling, CSRF, scope and the audit trail.

use reqwest::StatusCode;
use reqwest::header;
use serde_json::{Value, json};

use crate::harness::{Browser, PASSWORD, TestApp, assert_error};

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .cookies()
        .find(|c| c.name() == "aixin_session")
        .map(|c| c.value().to_owned())
}

/// A browser that presents exactly this session cookie (as a thief replaying it would).
fn replay(app: &TestApp, cookie: &str) -> Browser {
    let jar = reqwest::cookie::Jar::default();
    jar.add_cookie_str(
        &format!("aixin_session={cookie}"),
        &app.base.parse().unwrap(),
    );
    let http = reqwest::Client::builder()
        .cookie_provider(std::sync::Arc::new(jar))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Browser::with_client(&app.base, http)
}

async fn login_cookie(
    app: &TestApp,
    username: &str,
    password: &str,
) -> (StatusCode, Option<String>, Value) {
    let response = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let cookie = session_cookie(&response);
    let body = response.json().await.unwrap_or(Value::Null);
    (status, cookie, body)
}

#[tokio::test]
async fn a_fresh_start_creates_the_first_admin_who_must_change_the_password() {
    let app = TestApp::spawn().await;
    let password = aixin::auth::accounts::ensure_first_admin(app.pool())
        .await
        .unwrap()
        .expect("a first admin");
    assert!(
        aixin::auth::accounts::ensure_first_admin(app.pool())
            .await
            .unwrap()
            .is_none(),
        "only on a start with no accounts"
    );
    let admin = app.browser();
    admin.log_in("admin", &password).await;

    // Nothing but the password change until the one-time password is replaced.
    let (status, body) = admin.get_json("/api/v1/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "password_change_required");
    let page = admin.get("/admin/users").await;
    assert_eq!(page.headers()[header::LOCATION], "/account/password");
    let (_, me) = admin.get_json("/api/v1/me").await;
    assert_eq!(me["user"]["must_change_password"], true);
    assert_eq!(me["user"]["region_code"], "51");

    let changed = admin
        .post_form(
            "/account/password",
            &[
                ("current_password", &password),
                ("new_password", "春眠不觉晓处处闻啼鸟"),
                ("confirm_password", "春眠不觉晓处处闻啼鸟"),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    let (status, _) = admin.get_json("/api/v1/users").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the same session goes on after the change"
    );
}

#[tokio::test]
async fn an_admin_creates_county_staff_who_see_only_their_county() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in("admin", "51").await;
    let other_county = app.regional_user("staff", "511922").await;

    let (status, created) = admin
        .post_json(
            "/api/v1/users",
            &json!({ "username": "zhongjiang.admin", "display_name": "中江县妇联", "role": "admin", "region_code": "510623" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let one_time = created["one_time_password"].as_str().unwrap().to_owned();
    assert_eq!(created["must_change_password"], true);
    let hash: String = sqlx::query_scalar(
        "SELECT password_hash FROM app_user WHERE username = 'zhongjiang.admin'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(&one_time));

    let county = app.browser();
    county.log_in("zhongjiang.admin", &one_time).await;
    let (status, _) = county
        .post_json(
            "/api/v1/me/password",
            &json!({ "current_password": one_time, "new_password": "中江县妇联工作账号" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let colleague = app.regional_user("staff", "510623").await;

    let (status, list) = county.get_json("/api/v1/users").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(names.contains(&colleague.username.as_str()), "{names:?}");
    assert!(
        !names.contains(&other_county.username.as_str()),
        "南江县 is outside 中江县: {names:?}"
    );
    let (status, body) = county
        .get_json(&format!("/api/v1/users/{}", other_county.id))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");
}

#[tokio::test]
async fn county_staff_cannot_reach_another_countys_records_and_a_city_admin_sees_its_counties() {
    let app = TestApp::spawn().await;
    let zhongjiang = app.regional_user("staff", "510623").await;
    let guanghan = app.regional_user("staff", "510681").await;
    let nanjiang = app.regional_user("staff", "511922").await;
    let dazhou = app.regional_user("staff", "5117").await;
    let (county_admin, _) = app.logged_in("admin", "510623").await;
    let (city_admin, _) = app.logged_in("admin", "5106").await;

    // 中江县 cannot list, load or edit 南江县.
    let (_, list) = county_admin.get_json("/api/v1/users?per_page=200").await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&zhongjiang.id.to_string().as_str()));
    assert!(!ids.contains(&nanjiang.id.to_string().as_str()));
    let (status, _) = county_admin
        .get_json(&format!("/api/v1/users/{}", nanjiang.id))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = county_admin
        .patch_json(
            &format!("/api/v1/users/{}", nanjiang.id),
            &json!({ "display_name": "改名", "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let page = county_admin
        .get(&format!("/admin/users/{}", nanjiang.id))
        .await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let name: String = sqlx::query_scalar("SELECT display_name FROM app_user WHERE id = $1")
        .bind(nanjiang.id)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_ne!(name, "改名");

    // 德阳市 sees 中江县 and 广汉市, not 达州市.
    for (user, visible) in [
        (&zhongjiang, true),
        (&guanghan, true),
        (&dazhou, false),
        (&nanjiang, false),
    ] {
        let (status, _) = city_admin
            .get_json(&format!("/api/v1/users/{}", user.id))
            .await;
        let expected = if visible {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(status, expected, "{}", user.username);
    }
}

#[tokio::test]
async fn an_admin_never_grants_a_wider_scope_than_their_own() {
    let app = TestApp::spawn().await;
    let (city_admin, _) = app.logged_in("admin", "5106").await;

    for region in ["51", "5117", "511922"] {
        let (status, body) = city_admin
            .post_json(
                "/api/v1/users",
                &json!({ "username": format!("u{region}"), "display_name": "测试", "role": "staff", "region_code": region }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{region}: {body}");
        assert!(body["error"]["fields"]["region_code"].is_string(), "{body}");
    }
    let (status, body) = city_admin
        .post_json(
            "/api/v1/users",
            &json!({ "username": "bad", "display_name": "", "role": "boss" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["display_name", "role"] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM app_user WHERE username LIKE 'u5%' OR username = 'bad'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(count, 0, "nothing written");
}

#[tokio::test]
async fn a_login_gets_a_new_session_id_and_logout_ends_it_on_the_server() {
    let app = TestApp::spawn().await;
    let user = app.regional_user("staff", "510623").await;

    let (status, first, body) = login_cookie(&app, &user.username, PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"]["username"], user.username.as_str());
    let first = first.expect("a session cookie");
    let (_, second, _) = login_cookie(&app, &user.username, PASSWORD).await;
    let second = second.expect("a new session cookie");
    assert_ne!(first, second, "the session id changes at login");
    assert_eq!(
        replay(&app, &first).get_json("/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );

    let browser = replay(&app, &second);
    assert_eq!(browser.get_json("/api/v1/me").await.0, StatusCode::OK);
    let version: i32 = sqlx::query_scalar("SELECT version FROM app_user WHERE id = $1")
        .bind(user.id)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(version, 1, "logging in is not an edit of the account");
    assert_eq!(
        browser.delete("/api/v1/session").await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        replay(&app, &second).get_json("/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED,
        "a replayed cookie is dead after logout"
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site() {
    let app = TestApp::spawn().await;
    let user = app.regional_user("staff", "510623").await;
    let response = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({ "username": user.username, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("aixin_session="));
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in("admin", "5106").await;
    let user = app.regional_user("staff", "510623").await;
    let victim = app.browser();
    victim.log_in(&user.username, PASSWORD).await;
    assert_eq!(victim.get_json("/api/v1/me").await.0, StatusCode::OK);

    let disabled = admin
        .post_form(&format!("/admin/users/{}/disable", user.id), &[])
        .await;
    assert_eq!(disabled.status(), StatusCode::SEE_OTHER);

    assert_eq!(
        victim.get_json("/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = victim
        .post_json(
            "/api/v1/session",
            &json!({ "username": user.username, "password": PASSWORD }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a disabled account cannot log in"
    );
}

#[tokio::test]
async fn an_idle_session_expires_after_eight_hours() {
    let app = TestApp::spawn().await;
    let (browser, _) = app.logged_in("staff", "510623").await;
    let expires_in: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM max(expiry_date) - now())::float8 FROM tower_sessions.session",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert!(
        (8.0 * 3600.0 - 60.0..=8.0 * 3600.0).contains(&expires_in),
        "idle timeout is 8 h: {expires_in}"
    );

    // Eight idle hours later…
    sqlx::query("UPDATE tower_sessions.session SET expiry_date = now() - interval '1 second'")
        .execute(app.pool())
        .await
        .unwrap();

    assert_eq!(
        browser.get_json("/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    let page = browser.get("/admin/users").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert!(
        page.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/login?next=")
    );
}

#[tokio::test]
async fn an_address_waits_after_its_fourth_failure_and_the_same_for_unknown_accounts() {
    let app = TestApp::spawn().await;
    let user = app.regional_user("staff", "510623").await;
    let attempt = |username: String, password: &'static str| {
        let browser = app.browser();
        async move {
            let response = browser
                .http
                .post(browser.url("/api/v1/session"))
                .json(&json!({ "username": username, "password": password }))
                .send()
                .await
                .unwrap();
            let retry = response
                .headers()
                .get(header::RETRY_AFTER)
                .map(|v| v.to_str().unwrap().to_owned());
            (
                response.status(),
                retry,
                response.json::<Value>().await.unwrap(),
            )
        }
    };

    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..4 {
        known.push(attempt(user.username.clone(), "wrong-password").await);
        unknown.push(attempt("nobody.here".into(), "wrong-password").await);
    }
    for (status, _, body) in known.iter().chain(&unknown) {
        assert_eq!(*status, StatusCode::UNAUTHORIZED);
        assert_error(body, "invalid_credentials");
    }
    assert_eq!(
        known[0].2, unknown[0].2,
        "a wrong password and an unknown account read the same"
    );

    // After the fourth failure this address waits before its next try, even with the right
    // password (the clock starts now, so the test does not depend on its own speed).
    sqlx::query("UPDATE login_attempt SET at = now()")
        .execute(app.pool())
        .await
        .unwrap();
    let (status, retry, body) = attempt(user.username.clone(), PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=5).contains(&retry), "{retry}");
    let (status_unknown, retry_unknown, body_unknown) =
        attempt("nobody.here".into(), PASSWORD).await;
    assert_eq!(status_unknown, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_unknown.is_some());
    assert_eq!(
        body, body_unknown,
        "the refusal does not tell whether the account exists"
    );

    let failures: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'login_failed'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(
        failures, 10,
        "every failed login is audited, the throttled ones too"
    );
    let throttled: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE detail ->> 'throttled' = 'true'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(throttled, 2);
}

#[tokio::test]
async fn a_cross_site_form_post_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in("admin", "5106").await;
    let form = [
        ("username", "forged"),
        ("display_name", "伪造"),
        ("role", "admin"),
        ("region_code", "5106"),
    ];

    let cross_site = admin
        .http
        .post(admin.url("/admin/users"))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    let no_origin = admin
        .http
        .post(admin.url("/admin/users"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(no_origin.status(), StatusCode::FORBIDDEN);
    let fetch_site = admin
        .http
        .post(admin.url("/admin/users"))
        .header("origin", admin.url(""))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(fetch_site.status(), StatusCode::FORBIDDEN);
    // An API write that is not JSON (what a cross-site form could send) is refused too.
    let text = admin
        .http
        .post(admin.url("/api/v1/users"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(r#"{"username":"forged","display_name":"x","role":"admin","region_code":"5106"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let forged: i64 = sqlx::query_scalar("SELECT count(*) FROM app_user WHERE username = 'forged'")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(forged, 0);

    // The same post from the site itself goes through.
    let same_site = admin.post_form("/admin/users", &form).await;
    assert_eq!(same_site.status(), StatusCode::OK);
    assert!(same_site.text().await.unwrap().contains("一次性密码"));
}

#[tokio::test]
async fn the_admin_pages_create_find_and_edit_an_account() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in("admin", "5106").await;

    // A failed submit keeps what was typed and names the field.
    let refused = admin
        .post_form(
            "/admin/users",
            &[
                ("username", "lijuan"),
                ("display_name", "李娟"),
                ("role", "staff"),
                ("region_code", "5117"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains(r#"value="lijuan""#) && html.contains(r#"value="李娟""#));
    assert!(html.contains("只能选择您管辖范围内的地区"));

    let created = admin
        .post_form(
            "/admin/users",
            &[
                ("username", "lijuan"),
                ("display_name", "李娟"),
                ("role", "staff"),
                ("region_code", "510623"),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::OK);

    let list = admin.get("/admin/users?q=李娟").await.text().await.unwrap();
    assert!(list.contains("李娟") && list.contains("妇联工作人员"));
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM app_user WHERE username = 'lijuan'")
        .fetch_one(app.pool())
        .await
        .unwrap();

    // Two admins edit at once: the second save is refused and shows a warning.
    let first = admin
        .post_form(
            &format!("/admin/users/{id}"),
            &[
                ("display_name", "李娟（中江）"),
                ("region_code", "510623"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let second = admin
        .post_form(
            &format!("/admin/users/{id}"),
            &[
                ("display_name", "李 娟"),
                ("region_code", "510623"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    assert!(second.text().await.unwrap().contains("该记录已被他人修改"));
    let name: String = sqlx::query_scalar("SELECT display_name FROM app_user WHERE id = $1")
        .bind(id)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(name, "李娟（中江）", "nothing silently overwritten");
}

#[tokio::test]
async fn logins_and_changes_are_audited_without_secrets_and_seen_only_within_the_subtree() {
    let app = TestApp::spawn().await;
    let (admin, admin_user) = app.logged_in("admin", "5106").await;
    let (status, created) = admin
        .post_json("/api/v1/users", &json!({ "username": "audited", "display_name": "被审计", "role": "staff", "region_code": "510623", "password": "一个足够长的初始密码" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(
        created.get("one_time_password").is_none(),
        "a given password is not echoed"
    );
    let (faraway, _) = app.logged_in("admin", "5117").await;

    let details: Vec<String> = sqlx::query_scalar("SELECT detail::text FROM audit_event")
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert!(
        details
            .iter()
            .all(|d| !d.contains("一个足够长的初始密码") && !d.contains(PASSWORD))
    );
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action::text FROM audit_event WHERE actor_id = $1 ORDER BY at")
            .bind(admin_user.id)
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(actions, ["login", "create"]);

    let page = admin
        .get("/admin/audit?action=create")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&admin_user.username) && page.contains("新建"));
    let elsewhere = faraway.get("/admin/audit").await.text().await.unwrap();
    assert!(
        !elsewhere.contains(&admin_user.username),
        "德阳市's events are not 达州市's to read"
    );

    let bad = admin
        .get("/admin/audit?from=yesterday")
        .await
        .text()
        .await
        .unwrap();
    assert!(bad.contains("日期格式应为"));
}

#[tokio::test]
async fn one_address_is_throttled_at_a_higher_bound_across_accounts() {
    let app = TestApp::spawn().await;
    let user = app.regional_user("staff", "510623").await;
    // 50 failures from this address, spread over accounts so no single account is throttled.
    sqlx::query(
        "INSERT INTO login_attempt (username_key, ip, succeeded)
         SELECT 'someone' || (g % 25), '127.0.0.1', false FROM generate_series(1, 50) g",
    )
    .execute(app.pool())
    .await
    .unwrap();

    let (status, body) = app
        .browser()
        .post_json(
            "/api/v1/session",
            &json!({ "username": user.username, "password": PASSWORD }),
        )
        .await;

    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}

#[tokio::test]
async fn the_command_line_creates_an_account_that_can_log_in() {
    let app = TestApp::spawn().await;
    let id = aixin::auth::cli::create(
        app.pool(),
        "cli.staff",
        Some("命令行创建"),
        "staff",
        Some("510623"),
        &[],
        "一段足够长的密码",
    )
    .await
    .unwrap();
    let weak = aixin::auth::cli::create(
        app.pool(),
        "cli.weak",
        None,
        "staff",
        Some("510623"),
        &[],
        "5201314",
    )
    .await;
    assert!(weak.is_err(), "common passwords are refused here too");
    let wide = aixin::auth::cli::create(
        app.pool(),
        "cli.nowhere",
        None,
        "staff",
        Some("519999"),
        &[],
        "一段足够长的密码",
    )
    .await;
    assert!(wide.is_err(), "an unknown region is refused");

    let browser = app.browser();
    browser.log_in("cli.staff", "一段足够长的密码").await;
    let (_, me) = browser.get_json("/api/v1/me").await;
    assert_eq!(me["user"]["id"], id.to_string());
    assert_eq!(me["user"]["region_name"], "四川省 / 德阳市 / 中江县");

    aixin::auth::cli::disable(app.pool(), "cli.staff")
        .await
        .unwrap();
    assert_eq!(
        browser.get_json("/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_username_is_taken_once_whatever_its_case_by_the_service_and_the_database() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in("admin", "51").await;
    let create = |username: &str| json!({ "username": username, "display_name": "中江县妇联", "role": "staff", "region_code": "510623" });
    let (status, _) = admin
        .post_json("/api/v1/users", &create("Zhongjiang.Staff"))
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // The service: the same name in other letters' case is refused, naming the field.
    let (status, body) = admin
        .post_json("/api/v1/users", &create("zhongjiang.staff"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "username_taken");
    assert!(body["error"]["fields"]["username"].is_string(), "{body}");

    // The database refuses the same row written by hand.
    let refused = sqlx::query(
        "INSERT INTO app_user (username, display_name, role, region_code, password_hash)
         VALUES ('ZHONGJIANG.STAFF', '重复', 'staff', '510623', 'x')",
    )
    .execute(app.pool())
    .await;
    assert_eq!(crate::fixtures::violated(refused), "app_user_username_key");
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM app_user WHERE lower(username) = 'zhongjiang.staff'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(n, 1);
}
