//! The web skeleton: pages in Chinese (and English on request), care mode, headers, static
//! files, errors in both shapes, health probes.

use reqwest::StatusCode;
use reqwest::header;

use crate::harness::{PASSWORD, TestApp, assert_error};

#[tokio::test]
async fn pages_speak_chinese_by_default() {
    let app = TestApp::spawn().await;

    let response = app.get("/login").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"<html lang="zh-CN""#));
    assert!(html.contains("爱心妈妈驿站服务平台"));
    assert!(
        html.contains("English"),
        "the switch offers the other language"
    );
}

#[tokio::test]
async fn the_language_switch_is_remembered() {
    let app = TestApp::spawn().await;

    let switched = app
        .post_form("/preferences", &[("lang", "en"), ("back", "/login")])
        .await;
    assert_eq!(switched.status(), StatusCode::SEE_OTHER);
    assert_eq!(switched.headers()[header::LOCATION], "/login");

    let html = app.get("/login").await.text().await.unwrap();
    assert!(html.contains(r#"<html lang="en""#));
    assert!(html.contains("Caring Mothers Station Service"));
    assert!(html.contains("Username or mobile number"));
    assert!(html.contains("中文"));
}

#[tokio::test]
async fn care_mode_enlarges_the_page() {
    let app = TestApp::spawn().await;
    assert!(
        !app.get("/login")
            .await
            .text()
            .await
            .unwrap()
            .contains(r#"class="care""#)
    );

    app.post_form("/preferences", &[("care", "1"), ("back", "/login")])
        .await;

    let html = app.get("/login").await.text().await.unwrap();
    assert!(html.contains(r#"<html lang="zh-CN" class="care">"#));
    assert!(
        html.contains("标准版"),
        "the switch now offers the standard size"
    );
}

#[tokio::test]
async fn preferences_never_redirect_off_site() {
    let app = TestApp::spawn().await;
    let response = app
        .post_form(
            "/preferences",
            &[("lang", "en"), ("back", "//evil.example/")],
        )
        .await;
    assert_eq!(response.headers()[header::LOCATION], "/");
}

#[tokio::test]
async fn pages_carry_the_security_headers_and_a_request_id() {
    let app = TestApp::spawn().await;

    let response = app.get("/login").await;

    let h = response.headers();
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    for part in [
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "script-src 'self'",
    ] {
        assert!(csp.contains(part), "CSP lacks {part}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert!(h.contains_key(header::REFERRER_POLICY));
    assert_eq!(h["x-request-id"].to_str().unwrap().len(), 36);
}

#[tokio::test]
async fn static_files_are_cached_and_compressed() {
    let app = TestApp::spawn().await;

    let css = app
        .client
        .get(app.url("/static/app.css"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(
        css.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert_eq!(css.headers()[header::CONTENT_ENCODING], "gzip");
    assert!(
        css.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let etag = css.headers()[header::ETAG].clone();

    let again = app
        .client
        .get(app.url("/static/app.css"))
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    assert_eq!(
        app.get("/static/missing.css").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/static/../Cargo.toml").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn unknown_pages_and_api_paths_answer_in_their_own_shape() {
    let app = TestApp::spawn().await;

    let page = app.get("/no-such-page").await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(
        page.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().await.unwrap().contains("找不到该页面或记录"));

    let (status, body) = app.get_json("/api/v1/no-such-thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");

    let english = app
        .client
        .get(app.url("/api/v1/no-such-thing"))
        .header(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = english.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "This page or record does not exist"
    );

    let wrong_method = app
        .client
        .delete(app.url("/api/v1/regions"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: serde_json::Value = wrong_method.json().await.unwrap();
    assert_error(&body, "method_not_allowed");
}

#[tokio::test]
async fn health_probes_answer() {
    let app = TestApp::spawn().await;

    let (status, body) = app.get_json("/healthz").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("alive"))
    );

    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ready"))
    );
}

/// Paths that browsers resolve to another site, or that cannot be a header: each goes to `/`.
/// (`next=/%09/evil.example/` in a form arrives as the first.)
const OFF_SITE: &[&str] = &[
    "/\t/evil.example/",
    "/\\evil.example/",
    "/ /evil.example/",
    "/x\r\nSet-Cookie: a=b",
    "//evil.example/",
    "https://evil.example/",
];

#[tokio::test]
async fn a_login_or_a_preference_goes_back_only_to_a_local_path() {
    let app = TestApp::spawn().await;
    let user = app.regional_user("staff", "510681").await;
    for next in OFF_SITE {
        let response = app
            .post_form("/preferences", &[("care", "1"), ("back", next)])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "back={next:?}");
        assert_eq!(response.headers()[header::LOCATION], "/", "back={next:?}");

        let browser = app.browser();
        let response = browser
            .post_form(
                "/login",
                &[
                    ("username", &user.username),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "next={next:?}");
        assert_eq!(response.headers()[header::LOCATION], "/", "next={next:?}");

        // A link with it carries nothing into the login form.
        let page = app
            .get(&format!("/login?next={}", aixin::web::urlencode(next)))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(r#"<input type="hidden" name="next" value="">"#),
            "next={next:?}"
        );
    }
    // A local path is kept.
    let response = app
        .browser()
        .post_form(
            "/login",
            &[
                ("username", &user.username),
                ("password", PASSWORD),
                ("next", "/children?page=2"),
            ],
        )
        .await;
    assert_eq!(response.headers()[header::LOCATION], "/children?page=2");
}

#[tokio::test]
async fn https_deployments_ask_browsers_to_stay_on_https_and_no_page_asks_for_devices() {
    let plain = TestApp::spawn().await;
    let response = plain.get("/login").await;
    let h = response.headers();
    let permissions = h["permissions-policy"].to_str().unwrap();
    for feature in ["camera=()", "microphone=()", "geolocation=()"] {
        assert!(permissions.contains(feature), "{permissions}");
    }
    // Over plain HTTP (secure cookies off) there is no HTTPS to insist on.
    assert!(!h.contains_key(header::STRICT_TRANSPORT_SECURITY));

    let secure = TestApp::spawn_with(|config| config.secure_cookies = true).await;
    for path in ["/login", "/api/v1/me", "/static/app.css"] {
        let response = secure.get(path).await;
        assert_eq!(
            response.headers()[header::STRICT_TRANSPORT_SECURITY],
            "max-age=31536000",
            "{path}"
        );
        assert!(
            response.headers().contains_key("permissions-policy"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn each_role_lands_where_it_works() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = crate::fixtures::station(p, crate::fixtures::LONGJU).await;
    let volunteer = crate::fixtures::volunteer(p, station, "active", 2).await;
    let landing = |browser: &crate::harness::Browser| {
        let url = browser.url("/");
        let http = browser.http.clone();
        async move {
            let response = http.get(url).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
            response.headers()[header::LOCATION]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(landing(&app.browser()).await, "/login");
    let (staff, _) = app.logged_in("staff", "510681").await;
    assert_eq!(landing(&staff).await, "/dashboard");
    let (admin, _) = app.logged_in("admin", "51").await;
    assert_eq!(landing(&admin).await, "/dashboard");
    for user in [
        app.station_manager(&[station]).await,
        app.volunteer_user(volunteer).await,
    ] {
        let browser = app.browser();
        browser.log_in(&user.username, PASSWORD).await;
        let expected = if user.username.starts_with("volunteer") {
            "/me"
        } else {
            "/dashboard"
        };
        assert_eq!(landing(&browser).await, expected);
        let page = browser.get(expected).await;
        assert_eq!(
            page.status(),
            StatusCode::OK,
            "{expected} opens for {}",
            user.username
        );
    }
}
