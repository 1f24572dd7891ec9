//! The volunteer's portal: her children only, shared phones only, contacts, concerns and the
//! 24-hour correction window.

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::fixtures::{self, LONGJU, YUNDING};
use crate::harness::{Browser, PASSWORD, TestApp, assert_error};

/// 雒城街道, another township of 广汉市.
const LUOCHENG: &str = "510681001";

/// A volunteer with two paired children at a station, logged in; returns her browser, her
/// volunteer id and the two pairings.
async fn mother(app: &TestApp, station: Uuid) -> (Browser, Uuid, [Uuid; 2]) {
    let p = app.pool();
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let first = fixtures::pairable_child(p, station).await;
    let second = fixtures::pairable_child(p, station).await;
    sqlx::query(
        "UPDATE child SET name = '王小明', grade = '四年级', school = '汉州小学' WHERE id = $1",
    )
    .bind(second)
    .execute(p)
    .await
    .unwrap();
    let a = fixtures::pair(p, first, volunteer, station).await.unwrap();
    let b = fixtures::pair(p, second, volunteer, station).await.unwrap();
    let user = app.volunteer_user(volunteer).await;
    let browser = app.browser();
    browser.log_in(&user.username, PASSWORD).await;
    (browser, volunteer, [a, b])
}

async fn log(
    browser: &Browser,
    pairing: Uuid,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    browser
        .post_json(&format!("/api/v1/pairings/{pairing}/contacts"), &body)
        .await
}

#[tokio::test]
async fn a_volunteer_sees_exactly_her_active_pairings_and_nothing_else() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let (me, volunteer, [a, b]) = mother(&app, station).await;
    // Another volunteer's child at the same station, and a closed pairing of her own.
    let other = fixtures::volunteer(p, station, "active", 2).await;
    let theirs_child = fixtures::pairable_child(p, station).await;
    let theirs = fixtures::pair(p, theirs_child, other, station)
        .await
        .unwrap();
    sqlx::query("UPDATE volunteer SET capacity = 3 WHERE id = $1")
        .bind(volunteer)
        .execute(p)
        .await
        .unwrap();
    let old_child = fixtures::pairable_child(p, station).await;
    let old = fixtures::pair(p, old_child, volunteer, station)
        .await
        .unwrap();
    sqlx::query("UPDATE pairing SET status = 'closed', ended_on = DATE '2026-06-01', closure_reason = 'family_moved' WHERE id = $1")
        .bind(old)
        .execute(p)
        .await
        .unwrap();

    let (status, mine) = me.get_json("/api/v1/me/children").await;

    assert_eq!(status, StatusCode::OK);
    let pairings: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["pairing_id"].as_str().unwrap())
        .collect();
    assert_eq!(pairings, [a.to_string(), b.to_string()]);
    let xiaoming = &mine["items"][1];
    assert_eq!(xiaoming["given_name"], "小明", "the given name only");
    assert_eq!(xiaoming["grade"], "四年级");
    let text = mine.to_string();
    assert!(
        !text.contains("王小明") && !text.contains("id_number") && !text.contains("region_code")
    );
    assert!(
        !text.contains("13812345678"),
        "a guardian who did not agree to share"
    );

    // Every other child and pairing is not found, through pages and the API.
    for path in [
        format!("/me/pairings/{theirs}"),
        format!("/me/pairings/{old}"),
        format!("/api/v1/pairings/{theirs}"),
        format!("/api/v1/pairings/{theirs}/contacts"),
    ] {
        assert_eq!(
            me.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let (status, _) = log(
        &me,
        theirs,
        json!({ "mode": "call", "duration_minutes": 10 }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for path in [
        format!("/children/{theirs_child}"),
        format!("/api/v1/children/{theirs_child}"),
    ] {
        assert_eq!(
            me.get(&path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let page = me.get("/me").await;
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("小明") && !html.contains("王小明"));
    assert!(html.len() < 100_000, "a page for a cheap phone");
}

#[tokio::test]
async fn the_guardians_phone_shows_only_when_they_agreed_to_share_it() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let (me, _, [a, _]) = mother(&app, station).await;
    let child: Uuid = sqlx::query_scalar("SELECT child_id FROM pairing WHERE id = $1")
        .bind(a)
        .fetch_one(p)
        .await
        .unwrap();
    sqlx::query("INSERT INTO guardian (child_id, name, relation, phone, share_contact_with_volunteer) VALUES ($1, '李妈妈', 'mother', '13798765432', true)")
        .bind(child)
        .execute(p)
        .await
        .unwrap();

    let (_, mine) = me.get_json("/api/v1/me/children").await;
    let page = me
        .get(&format!("/me/pairings/{a}"))
        .await
        .text()
        .await
        .unwrap();

    assert_eq!(
        mine["items"][0]["guardian_contacts"],
        json!([{ "relation": "mother", "phone": "13798765432" }])
    );
    assert!(page.contains("tel:13798765432"));
    assert!(!page.contains("13812345678") && !page.contains("李奶奶") && !page.contains("李妈妈"));
}

#[tokio::test]
async fn a_concern_reaches_the_right_county_and_manager_and_stays() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let (me, _, [a, _]) = mother(&app, station).await;

    let (status, contact) = log(
        &me,
        a,
        json!({ "mode": "home_visit", "duration_minutes": 60, "topics": ["safety", "emotions"],
                "note": "一起写作业", "concern_category": "abuse_neglect", "concern_detail": "胳膊上有淤青，说是摔的" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{contact}");
    let id = contact["id"].as_str().unwrap().to_owned();

    let (county, _) = app.logged_in("staff", "510681").await;
    let (elsewhere, _) = app.logged_in("staff", "511922").await;
    let manager = app.station_manager(&[station]).await;
    let manager_browser = app.browser();
    manager_browser.log_in(&manager.username, PASSWORD).await;
    let other_station = fixtures::station(p, LUOCHENG).await;
    let other_manager = app.station_manager(&[other_station]).await;
    let other_browser = app.browser();
    other_browser
        .log_in(&other_manager.username, PASSWORD)
        .await;

    for (who, sees) in [
        (&county, true),
        (&manager_browser, true),
        (&elsewhere, false),
        (&other_browser, false),
    ] {
        let (_, open) = who.get_json("/api/v1/concerns").await;
        assert_eq!(open["total"], if sees { 1 } else { 0 });
        let page = who.get("/concerns").await.text().await.unwrap();
        assert_eq!(page.contains("胳膊上有淤青"), sees);
    }
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE entity = 'contact' AND detail->>'concern' = 'abuse_neglect'",
    )
    .fetch_one(p)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // The volunteer can neither delete nor withdraw it.
    let (status, _) = me.delete(&format!("/api/v1/contacts/{id}")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, body) = me
        .patch_json(
            &format!("/api/v1/contacts/{id}"),
            &json!({ "mode": "home_visit", "duration_minutes": 60, "version": contact["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "concern_kept");
    let deleted = sqlx::query("DELETE FROM contact WHERE id = $1::uuid")
        .bind(&id)
        .execute(p)
        .await;
    assert!(deleted.is_err(), "the database keeps it too");

    // Only staff resolve it, with a note; then it leaves the list.
    let resolve = format!("/api/v1/contacts/{id}/resolve");
    let (status, _) = manager_browser
        .post_json(&resolve, &json!({ "resolution": "x" }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = county.post_json(&resolve, &json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["resolution"].is_string());
    let (status, done) = county
        .post_json(
            &resolve,
            &json!({ "resolution": "已家访核实，联系学校心理老师跟进" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(done["concern_resolved_at"].is_string());
    assert_eq!(county.get_json("/api/v1/concerns").await.1["total"], 0);
}

#[tokio::test]
async fn a_volunteer_corrects_her_own_entry_for_24_hours_only() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let (me, _, [a, _]) = mother(&app, station).await;
    let (_, contact) = log(&me, a, json!({ "mode": "call", "duration_minutes": 15 })).await;
    let id = contact["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/contacts/{id}");

    let (status, fixed) = me
        .patch_json(
            &path,
            &json!({ "mode": "video", "duration_minutes": 25, "topics": ["study"], "version": contact["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fixed}");
    assert_eq!(fixed["mode"], "video");
    let (status, body) = me
        .patch_json(
            &path,
            &json!({ "mode": "call", "duration_minutes": 5, "version": contact["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a stale version");
    assert_error(&body, "stale_version");

    // A day later the entry is closed to her.
    sqlx::query("UPDATE contact SET created_at = now() - interval '25 hours' WHERE id = $1::uuid")
        .bind(&id)
        .execute(p)
        .await
        .unwrap();
    let (status, body) = me
        .patch_json(
            &path,
            &json!({ "mode": "call", "duration_minutes": 5, "version": fixed["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "correction_window_closed");
    let mode: String = sqlx::query_scalar("SELECT mode::text FROM contact WHERE id = $1::uuid")
        .bind(&id)
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(mode, "video", "nothing changed");
    assert_eq!(
        me.get(&format!("/me/contacts/{id}/edit")).await.status(),
        StatusCode::FORBIDDEN
    );

    // Staff cannot rewrite her entry either; they mark it as read, and she sees that.
    let (county, _) = app.logged_in("staff", "510681").await;
    let (status, _) = county
        .patch_json(
            &path,
            &json!({ "mode": "call", "duration_minutes": 5, "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, seen) = county
        .post_json(&format!("/api/v1/contacts/{id}/seen"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(seen["seen_at"].is_string());
    let page = me
        .get(&format!("/me/pairings/{a}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("工作人员已阅"));
}

#[tokio::test]
async fn contacts_are_checked_and_the_month_is_counted() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let (me, _, [a, b]) = mother(&app, station).await;

    let (status, body) = log(
        &me,
        a,
        json!({ "mode": "flying", "duration_minutes": 0, "contacted_on": "2030-01-01", "concern_category": "health" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &body["error"]["fields"];
    for field in ["mode", "duration_minutes", "contacted_on", "concern_detail"] {
        assert!(fields[field].is_string(), "{field}: {fields}");
    }
    let (status, _) = log(
        &me,
        a,
        json!({ "mode": "call", "duration_minutes": 10, "contacted_on": "2026-04-30" }),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "before the pairing began"
    );
    let none: i64 = sqlx::query_scalar("SELECT count(*) FROM contact")
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(none, 0);

    // Both children quiet since the pairing began in May: both due a check-in.
    let home = me.get("/me").await.text().await.unwrap();
    assert_eq!(home.matches("找时间看看孩子吧").count(), 2);
    log(
        &me,
        a,
        json!({ "mode": "home_visit", "duration_minutes": 90 }),
    )
    .await;
    log(&me, b, json!({ "mode": "call", "duration_minutes": 30 })).await;
    let home = me.get("/me").await.text().await.unwrap();
    assert!(home.contains("本月您已联系孩子 2 次") && home.contains("共 2 小时。"));
    assert_eq!(home.matches("找时间看看孩子吧").count(), 0);
    let (_, record) = me.get_json(&format!("/api/v1/pairings/{a}")).await;
    assert_eq!(record["contact_count"], 1);
    assert_eq!(record["health"], "on_track");
}

#[tokio::test]
async fn staff_give_a_volunteer_her_login_in_one_click() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let phone: String = sqlx::query_scalar("SELECT phone FROM volunteer WHERE id = $1")
        .bind(volunteer)
        .fetch_one(p)
        .await
        .unwrap();
    let far = fixtures::station(p, YUNDING).await;
    let far_volunteer = fixtures::volunteer(p, far, "active", 2).await;
    let (staff, _) = app.logged_in("staff", "510681").await;

    let page = staff
        .get(&format!("/volunteers/{volunteer}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/volunteers/{volunteer}/account")));
    let created = staff
        .post_form(&format!("/volunteers/{volunteer}/account"), &[])
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    let html = created.text().await.unwrap();
    let password = html
        .split(r#"<strong class="secret">"#)
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    assert!(html.contains(&phone) && password.len() >= 10);

    let (status, body) = staff
        .post_json(
            &format!("/api/v1/volunteers/{volunteer}/account"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "account_exists");
    let (status, _) = staff
        .post_json(
            &format!("/api/v1/volunteers/{far_volunteer}/account"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // She logs in with her mobile number and the one-time password, then must choose her own.
    let her = app.browser();
    let (status, me) = her
        .post_json(
            "/api/v1/session",
            &json!({ "username": phone, "password": password }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["role"], "volunteer");
    assert_eq!(her.get("/me").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_service_and_the_database_close_an_entry_to_corrections_at_the_same_hour() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let (me, _, [a, _]) = mother(&app, station).await;
    let (_, contact) = log(&me, a, json!({ "mode": "call", "duration_minutes": 15 })).await;
    let id: Uuid = contact["id"].as_str().unwrap().parse().unwrap();
    let logged_ago = |hours: i32| async move {
        sqlx::query(
            "UPDATE contact SET created_at = now() - make_interval(hours => $2) WHERE id = $1",
        )
        .bind(id)
        .bind(hours)
        .execute(p)
        .await
        .unwrap();
    };
    // A correction by plain SQL, undone: the database's answer to the same change.
    let corrected_by_sql = || async move {
        let mut tx = p.begin().await.unwrap();
        let done = sqlx::query("UPDATE contact SET mode = 'home_visit' WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await;
        tx.rollback().await.unwrap();
        done
    };
    let corrected_by_her = || async {
        let version: i32 = sqlx::query_scalar("SELECT version FROM contact WHERE id = $1")
            .bind(id)
            .fetch_one(p)
            .await
            .unwrap();
        me.patch_json(
            &format!("/api/v1/contacts/{id}"),
            &json!({ "mode": "video", "duration_minutes": 15, "version": version }),
        )
        .await
    };

    // Logged 23 hours ago: both accept the correction.
    logged_ago(23).await;
    assert!(corrected_by_sql().await.is_ok());
    let (status, body) = corrected_by_her().await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Logged 25 hours ago (the move itself is the last correction the day allows): both refuse,
    // with the same answer.
    logged_ago(25).await;
    let refused = corrected_by_sql().await;
    let (status, body) = corrected_by_her().await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "correction_window_closed");
    let answer = aixin::web::error::AppError::from(refused.unwrap_err());
    assert_eq!(
        (answer.status().as_u16(), answer.code()),
        (403, "correction_window_closed")
    );
    assert_eq!(
        fixtures::violated(corrected_by_sql().await),
        "contact_correction_window"
    );
}

#[tokio::test]
async fn a_contact_is_logged_only_on_an_active_pairing_from_its_first_day() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let (me, _, [a, b]) = mother(&app, station).await;
    sqlx::query(
        "UPDATE pairing SET status = 'closed', ended_on = DATE '2026-06-01',
                            closure_reason = 'family_moved' WHERE id = $1",
    )
    .bind(b)
    .execute(p)
    .await
    .unwrap();

    let (status, body) = log(&me, b, json!({ "mode": "call", "duration_minutes": 10 })).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "pairing_closed");
    // The pairings began on 2026-05-01.
    let (status, body) = log(
        &me,
        a,
        json!({ "mode": "call", "duration_minutes": 10, "contacted_on": "2026-04-30" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "validation_failed");
    assert!(
        body["error"]["fields"]["contacted_on"].is_string(),
        "{body}"
    );
    let (status, body) = log(
        &me,
        a,
        json!({ "mode": "call", "duration_minutes": 10, "contacted_on": "2026-05-01" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Her closed pairing's contacts are still hers to read.
    let (status, _) = me.get_json(&format!("/api/v1/pairings/{b}/contacts")).await;
    assert_eq!(status, StatusCode::OK);
}
