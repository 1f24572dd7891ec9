//! Audit gaps and deployment defaults (findings 7 and 10).

use reqwest::StatusCode;
use reqwest::header;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::{self, LONGJU};
use crate::harness::{Browser, PASSWORD, TestApp, assert_error};

/// The admin's audit page, as text.
async fn audit_page(admin: &Browser, query: &str) -> String {
    let response = admin.get(&format!("/admin/audit?{query}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

async fn views_of(app: &TestApp, actor: Uuid, record: Uuid) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'view' AND actor_id = $1 AND entity_id = $2",
    )
    .bind(actor)
    .bind(record)
    .fetch_one(app.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn opening_a_record_is_audited_once_an_hour_and_seen_by_the_records_region() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let (child, _) = fixtures::child(p, station).await;
    let volunteer = fixtures::volunteer(p, station, "applied", 2).await;
    // 德阳市 staff open the records of a child and a volunteer of 广汉市.
    let (city, reader) = app.logged_in("staff", "5106").await;
    let (county_admin, _) = app.logged_in("admin", "510681").await;
    let (elsewhere, _) = app.logged_in("admin", "5117").await;

    for _ in 0..2 {
        assert_eq!(
            city.get(&format!("/children/{child}")).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            city.get_json(&format!("/api/v1/children/{child}")).await.0,
            StatusCode::OK
        );
        assert_eq!(
            city.get(&format!("/volunteers/{volunteer}")).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            city.get_json(&format!("/api/v1/volunteers/{volunteer}"))
                .await
                .0,
            StatusCode::OK
        );
    }
    assert_eq!(views_of(&app, reader.id, child).await, 1, "one an hour");
    assert_eq!(views_of(&app, reader.id, volunteer).await, 1, "one an hour");

    // A second reader gets her own event.
    let (other, other_reader) = app.logged_in("staff", "510681").await;
    other.get_json(&format!("/api/v1/children/{child}")).await;
    assert_eq!(views_of(&app, other_reader.id, child).await, 1);

    // The county that holds the records sees who opened them, though the reader is the city's.
    let page = audit_page(&county_admin, "action=view").await;
    assert!(page.contains(&reader.username), "{page}");
    assert!(page.contains(&child.to_string()) && page.contains(&volunteer.to_string()));
    assert!(page.contains("查看"));
    // The reader's own city still sees what its staff did; another city sees nothing.
    let (city_admin, _) = app.logged_in("admin", "5106").await;
    assert!(
        audit_page(&city_admin, "action=view")
            .await
            .contains(&reader.username)
    );
    assert!(
        !audit_page(&elsewhere, "action=view")
            .await
            .contains(&reader.username)
    );

    // A record out of reach is not opened, and not audited as opened.
    let far = fixtures::station(p, fixtures::YUNDING).await;
    let (far_child, _) = fixtures::child(p, far).await;
    assert_eq!(
        city.get_json(&format!("/api/v1/children/{far_child}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(views_of(&app, reader.id, far_child).await, 0);
}

#[tokio::test]
async fn a_change_is_filed_under_the_records_region_and_the_actors() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let (city, actor) = app.logged_in("staff", "5106").await;
    let (county_admin, _) = app.logged_in("admin", "510681").await;
    let (city_admin, _) = app.logged_in("admin", "5106").await;
    let (status, created) = city
        .post_json(
            "/api/v1/volunteers",
            &json!({ "name": "王秀兰", "phone": "13912345678", "region_code": LONGJU, "station_id": station, "skills": ["心理"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();

    let county = audit_page(&county_admin, "action=create").await;
    assert!(
        county.contains(&actor.username) && county.contains(id),
        "{county}"
    );
    let city_page = audit_page(&city_admin, "action=create").await;
    assert!(city_page.contains(&actor.username) && city_page.contains(id));
}

#[tokio::test]
async fn a_failed_login_is_seen_by_the_admins_of_the_accounts_region() {
    let app = TestApp::spawn().await;
    let staff = app.regional_user("staff", "510681").await;
    let (county_admin, _) = app.logged_in("admin", "510681").await;
    let (beijing, _) = app.logged_in("admin", "11").await;

    let (status, body) = app
        .browser()
        .post_json(
            "/api/v1/session",
            &json!({ "username": staff.username, "password": "not-the-password-1" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // An unknown account is still filed under no region.
    app.browser()
        .post_json(
            "/api/v1/session",
            &json!({ "username": "nobody-at-all", "password": "not-the-password-2" }),
        )
        .await;

    let page = audit_page(&county_admin, "action=login_failed").await;
    assert!(page.contains("登录失败"), "{page}");
    assert!(page.contains(&staff.username), "{page}");
    assert!(!page.contains("nobody-at-all"));
    assert!(
        !audit_page(&beijing, "action=login_failed")
            .await
            .contains(&staff.username),
        "another province's admin does not see 四川's accounts"
    );
    let details: Vec<String> = sqlx::query_scalar("SELECT detail::text FROM audit_event")
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert!(
        details
            .iter()
            .all(|d| !d.contains("not-the-password") && !d.contains("nobody-at-all")),
        "{details:?}"
    );
}

#[tokio::test]
async fn an_export_records_its_filters_and_nothing_more() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    fixtures::child(p, station).await;
    fixtures::volunteer(p, station, "applied", 2).await;
    let (staff, _) = app.logged_in("staff", "510681").await;

    let response = staff
        .get(&format!(
            "/api/v1/children?format=xlsx&q=%E6%9D%8E&status=registered&station_id={station}&page=1"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = staff
        .get("/api/v1/volunteers?format=xlsx&region_code=510681002&status=")
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let exports: Vec<(String, Value)> = sqlx::query_as(
        "SELECT entity, detail FROM audit_event WHERE action = 'export' ORDER BY at",
    )
    .fetch_all(p)
    .await
    .unwrap();
    assert_eq!(exports.len(), 2, "{exports:?}");
    assert_eq!(exports[0].0, "children");
    assert_eq!(
        exports[0].1["filters"],
        json!({ "q": true, "status": "registered", "station_id": station.to_string() }),
        "a name search is recorded as made, not as typed: {exports:?}"
    );
    assert_eq!(exports[0].1["rows"], 1);
    let recorded = exports[0].1.to_string();
    assert!(!recorded.contains('李'), "no name typed, no row's values");
    assert_eq!(exports[1].0, "volunteers");
    assert_eq!(
        exports[1].1["filters"],
        json!({ "region_code": "510681002" }),
        "an empty filter is not a filter: {exports:?}"
    );
}

fn set_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("aixin_session="))
        .unwrap_or_else(|| panic!("no session cookie: {:?}", response.headers()))
        .to_owned()
}

fn ends_with_the_browser(cookie: &str) -> bool {
    let lower = cookie.to_ascii_lowercase();
    !lower.contains("max-age") && !lower.contains("expires")
}

#[tokio::test]
async fn the_session_cookie_ends_with_the_browser_unless_remembered() {
    let app = TestApp::spawn().await;
    let user = app.regional_user("staff", "510681").await;
    let api = |remember: Option<bool>| {
        let mut body = json!({ "username": user.username, "password": PASSWORD });
        if let Some(r) = remember {
            body["remember"] = json!(r);
        }
        let http = crate::harness::client();
        let url = app.url("/api/v1/session");
        async move { http.post(url).json(&body).send().await.unwrap() }
    };

    let plain = api(None).await;
    assert_eq!(plain.status(), StatusCode::OK);
    let cookie = set_cookie(&plain);
    assert!(ends_with_the_browser(&cookie), "{cookie}");
    let not = api(Some(false)).await;
    assert!(ends_with_the_browser(&set_cookie(&not)));
    let kept = api(Some(true)).await;
    assert_eq!(kept.status(), StatusCode::OK);
    let cookie = set_cookie(&kept);
    assert!(cookie.contains("Max-Age=28800"), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));

    // The login page offers the box, and the form honours it.
    let form = app.get("/login").await.text().await.unwrap();
    assert!(
        form.contains(r#"type="checkbox""#) && form.contains(r#"name="remember""#),
        "{form}"
    );
    assert!(form.contains("记住我"));
    let plain = app
        .browser()
        .post_form(
            "/login",
            &[("username", &user.username), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(plain.status(), StatusCode::SEE_OTHER);
    assert!(ends_with_the_browser(&set_cookie(&plain)));
    let kept = app
        .browser()
        .post_form(
            "/login",
            &[
                ("username", &user.username),
                ("password", PASSWORD),
                ("remember", "on"),
            ],
        )
        .await;
    assert_eq!(kept.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&kept).contains("Max-Age=28800"));
}

#[tokio::test]
async fn a_remembered_session_stays_remembered_and_a_plain_one_plain_when_the_cookie_is_renewed() {
    let app = TestApp::spawn().await;
    for remember in [false, true] {
        let user = app.regional_user("staff", "510681").await;
        let browser = app.browser();
        let (status, _) = browser
            .post_json(
                "/api/v1/session",
                &json!({ "username": user.username, "password": PASSWORD, "remember": remember }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        // Changing one's password renews the session id, so the cookie is sent again.
        let response = browser
            .http
            .post(browser.url("/api/v1/me/password"))
            .json(&json!({ "current_password": PASSWORD, "new_password": "另一个足够长的新密码" }))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        let cookie = set_cookie(&response);
        assert_eq!(
            !ends_with_the_browser(&cookie),
            remember,
            "remember={remember}: {cookie}"
        );
    }
}

#[tokio::test]
async fn an_audited_download_asked_from_another_site_is_refused() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    fixtures::child(p, station).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let month = {
        let first = aixin::domain::today().replace_day(1).unwrap();
        let last = first.previous_day().unwrap();
        format!("{:04}-{:02}", last.year(), u8::from(last.month()))
    };
    let downloads = [
        "/api/v1/children?format=xlsx".to_owned(),
        "/api/v1/volunteers?format=xlsx".to_owned(),
        "/api/v1/stations?format=xlsx".to_owned(),
        "/api/v1/pairings?format=xlsx".to_owned(),
        format!("/api/v1/stations/{station}/activities?format=xlsx"),
        format!("/reports/monthly?month={month}&format=xlsx"),
    ];
    for path in &downloads {
        let response = staff
            .http
            .get(staff.url(path))
            .header("sec-fetch-site", "cross-site")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        if path.starts_with("/api/") {
            let body: Value = response.json().await.unwrap_or(Value::Null);
            assert_error(&body, "cross_site_download");
        }
    }
    let exports: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'export'")
            .fetch_one(p)
            .await
            .unwrap();
    assert_eq!(exports, 0, "a refused download is not exported");

    // The same downloads from the site itself, or from a script that sends no such header.
    for path in &downloads {
        for site in [Some("same-origin"), Some("none"), None] {
            let mut request = staff.http.get(staff.url(path));
            if let Some(site) = site {
                request = request.header("sec-fetch-site", site);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path} {site:?}");
        }
    }
    // A cross-site link to a list (not a download) still answers.
    let response = staff
        .http
        .get(staff.url("/api/v1/children"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
