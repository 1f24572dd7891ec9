//! Reaching past one's scope: a volunteer's API, duplicate checks, an admin's reach (findings 3, 5, 6).
//! Each finding of the hardening review, sent as the attack it was and answered by a refusal.
//!
//! One file per group of findings; every test here failed on the code before its fix.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::fixtures::{self, LONGJU, YUNDING};
use crate::harness::{Browser, PASSWORD, TestApp, assert_error};
use crate::imports::{children_csv, upload_children};

/// 雒城街道, another township of 广汉市 (the same county as 龙居社区).
const LUOCHENG: &str = "510681001";

async fn logged_in_as(app: &TestApp, username: &str) -> Browser {
    let browser = app.browser();
    browser.log_in(username, PASSWORD).await;
    browser
}

async fn rename(db: &PgPool, table: &str, id: Uuid, name: &str) {
    sqlx::query(&format!("UPDATE {table} SET name = $2 WHERE id = $1"))
        .bind(id)
        .bind(name)
        .execute(db)
        .await
        .unwrap();
}

/// Closes a pairing as the service does: a safeguarding closure is suspended first, then
/// confirmed by a second person.
async fn close(db: &PgPool, pairing: Uuid, reason: &str, note: &str) {
    let two_people: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO app_user (username, display_name, password_hash, role, region_code)
         VALUES ('closer-' || gen_random_uuid(), '王芳', 'x', 'staff', '510681'),
                ('confirmer-' || gen_random_uuid(), '李静', 'x', 'staff', '510681')
         RETURNING id",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let first = if reason == "safeguarding_concern" {
        "suspended"
    } else {
        "closed"
    };
    sqlx::query(
        "UPDATE pairing SET status = $4::pairing_status, ended_on = DATE '2026-06-01',
                closure_reason = $2::pairing_closure_reason, closure_note = $3, closed_by = $5
         WHERE id = $1",
    )
    .bind(pairing)
    .bind(reason)
    .bind(note)
    .bind(first)
    .bind(two_people[0])
    .execute(db)
    .await
    .unwrap();
    sqlx::query("UPDATE pairing SET status = 'closed', closure_confirmed_by = $2 WHERE id = $1")
        .bind(pairing)
        .bind(two_people[1])
        .execute(db)
        .await
        .unwrap();
}

// Finding 3: a volunteer reads through the API only what her portal shows.

#[tokio::test]
async fn a_volunteer_reads_her_active_pairings_with_given_names_and_no_closing_notes() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let current_child = fixtures::pairable_child(p, station).await;
    let former_child = fixtures::pairable_child(p, station).await;
    rename(p, "child", former_child, "张晓琳").await;
    let active = fixtures::pair(p, current_child, volunteer, station)
        .await
        .unwrap();
    let closed = fixtures::pair(p, former_child, volunteer, station)
        .await
        .unwrap();
    close(
        p,
        closed,
        "safeguarding_concern",
        "志愿者与孩子单独外出，已报告",
    )
    .await;
    let user = app.volunteer_user(volunteer).await;
    let me = logged_in_as(&app, &user.username).await;

    let (status, list) = me.get_json("/api/v1/pairings").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], active.to_string());
    assert_eq!(items[0]["child_name"], "小雨", "the given name only");
    for field in ["ended_on", "closure_reason", "closure_note"] {
        assert!(items[0].get(field).is_none(), "{field} is omitted: {list}");
    }
    let text = list.to_string();
    assert!(!text.contains("李小雨") && !text.contains("张晓琳") && !text.contains("单独外出"));

    // Searching by the family name she is not shown finds nothing; her child's given name does.
    let (_, by_family) = me.get_json("/api/v1/pairings?q=%E6%9D%8E").await;
    assert_eq!(by_family["total"], 0, "{by_family}");
    let (_, by_given) = me.get_json("/api/v1/pairings?q=%E5%B0%8F%E9%9B%A8").await;
    assert_eq!(by_given["total"], 1, "{by_given}");
    assert_eq!(by_given["items"][0]["child_name"], "小雨");

    // Asking for closed pairings finds none.
    let (status, closed_list) = me.get_json("/api/v1/pairings?status=closed").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(closed_list["total"], 0, "{closed_list}");
    assert!(closed_list["items"].as_array().unwrap().is_empty());

    // The closed pairing is not found; the active one shows the given name only.
    let (status, body) = me.get_json(&format!("/api/v1/pairings/{closed}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_error(&body, "not_found");
    let (status, one) = me.get_json(&format!("/api/v1/pairings/{active}")).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["child_name"], "小雨");
    for field in ["ended_on", "closure_reason", "closure_note"] {
        assert!(one.get(field).is_none(), "{field} is omitted: {one}");
    }

    // No spreadsheet of pairings for a volunteer.
    let (status, body) = me.get_json("/api/v1/pairings?format=xlsx").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_error(&body, "forbidden");

    // Staff still read the whole record, closing note included.
    let (staff, _) = app.logged_in("staff", "510681").await;
    let (status, record) = staff.get_json(&format!("/api/v1/pairings/{closed}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(record["child_name"], "张晓琳");
    assert_eq!(record["closure_reason"], "safeguarding_concern");
    assert_eq!(record["closure_note"], "志愿者与孩子单独外出，已报告");
    let (_, active_record) = staff.get_json(&format!("/api/v1/pairings/{active}")).await;
    assert!(active_record["closure_note"].is_null());
    assert!(active_record.get("closure_note").is_some());
}

// Finding 5: duplicate checks look within one's scope and tell nothing beyond it.

/// A station manager of 龙居社区's station, and a child of the same name and birth date at
/// another station of the same county (out of the manager's reach).
async fn manager_and_a_child_elsewhere(app: &TestApp) -> (Browser, Uuid, Uuid, Uuid) {
    let p = app.pool();
    let mine = fixtures::station(p, LONGJU).await;
    let theirs = fixtures::station(p, LUOCHENG).await;
    rename(p, "station", theirs, "雒城爱心妈妈驿站").await;
    let (elsewhere, _) = fixtures::child(p, theirs).await;
    let manager = app.station_manager(&[mine]).await;
    let browser = logged_in_as(app, &manager.username).await;
    (browser, manager.id, mine, elsewhere)
}

async fn outside_scope_events(db: &PgPool, actor: Uuid) -> Vec<Value> {
    sqlx::query_scalar(
        "SELECT detail FROM audit_event
         WHERE actor_id = $1 AND entity = 'child' AND detail ? 'possible_duplicates_outside_scope'",
    )
    .bind(actor)
    .fetch_all(db)
    .await
    .unwrap()
}

#[tokio::test]
async fn registering_a_child_like_one_out_of_reach_reveals_nothing_and_is_audited() {
    let app = TestApp::spawn().await;
    let (manager, manager_id, mine, elsewhere) = manager_and_a_child_elsewhere(&app).await;
    let body = json!({
        "name": "李小雨",
        "gender": "female",
        "birth_date": "2016-05-04",
        "category": "left_behind",
        "region_code": LONGJU,
        "station_id": mine,
        "guardian": { "name": "李奶奶", "relation": "grandmother", "phone": "13812345678" },
        "consent": { "given_on": "2026-09-01", "method": "signed_form" }
    });
    let (status, created) = manager.post_json("/api/v1/children", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(
        !created.to_string().contains(&elsewhere.to_string()),
        "nothing of the other record: {created}"
    );
    let events = outside_scope_events(app.pool(), manager_id).await;
    assert_eq!(events.len(), 1, "the attempt is audited");
    let detail = events[0].to_string();
    assert!(
        !detail.contains("李小雨") && !detail.contains("2016-05-04"),
        "no personal values in the audit: {detail}"
    );

    // Within the manager's own station the same child is a warning to confirm, as before.
    let (status, error) = manager.post_json("/api/v1/children", &body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_error(&error, "possible_duplicate");
    assert!(
        error["error"]["fields"]["name"]
            .as_str()
            .unwrap()
            .contains(created["id"].as_str().unwrap())
    );
    assert!(!error.to_string().contains(&elsewhere.to_string()));
}

#[tokio::test]
async fn importing_a_child_like_one_out_of_reach_reveals_nothing_and_is_audited() {
    let app = TestApp::spawn().await;
    let (manager, manager_id, _, elsewhere) = manager_and_a_child_elsewhere(&app).await;
    let row = "李小雨,女,2016-05-04,留守儿童,510681002006,龙居社区爱心妈妈驿站,学业,李奶奶,祖母/外祖母,13812345678,2026-09-01,纸质签字";
    let answer = upload_children(&manager, children_csv(&[row.to_owned()])).await;
    let status = answer.status();
    let html = answer.text().await.unwrap();
    assert!(
        !html.contains(&elsewhere.to_string()),
        "nothing of the other record"
    );
    assert_eq!(status, StatusCode::OK, "{html}");
    let children: i64 = sqlx::query_scalar("SELECT count(*) FROM child")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(children, 2);
    let events = outside_scope_events(app.pool(), manager_id).await;
    assert_eq!(events.len(), 1, "the attempt is audited");
    assert!(!events[0].to_string().contains("李小雨"));
}

// Finding 6: an admin manages an account only when all of its scope lies in her region.

async fn password_hash(db: &PgPool, user: Uuid) -> String {
    sqlx::query_scalar("SELECT password_hash FROM app_user WHERE id = $1")
        .bind(user)
        .fetch_one(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_county_admin_cannot_take_over_a_manager_of_two_counties() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let here = fixtures::station(p, LONGJU).await;
    let there = fixtures::station(p, YUNDING).await;
    let wide = app.station_manager(&[here, there]).await;
    let before = password_hash(p, wide.id).await;
    let (admin, _) = app.logged_in("admin", "510681").await;

    let (status, body) = admin
        .post_json(
            &format!("/api/v1/users/{}/reset-password", wide.id),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        password_hash(p, wide.id).await,
        before,
        "password unchanged"
    );
    let page = admin
        .post_form(&format!("/admin/users/{}/reset-password", wide.id), &[])
        .await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        password_hash(p, wide.id).await,
        before,
        "password unchanged"
    );

    let (status, _) = admin.get_json(&format!("/api/v1/users/{}", wide.id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        admin
            .get(&format!("/admin/users/{}", wide.id))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let (status, _) = admin
        .patch_json(
            &format!("/api/v1/users/{}", wide.id),
            &json!({ "station_ids": [here.to_string()], "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let page = admin
        .post_form(&format!("/admin/users/{}/disable", wide.id), &[])
        .await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let (stations, active): (i64, bool) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM user_station WHERE user_id = $1), active FROM app_user WHERE id = $1",
    )
    .bind(wide.id)
    .fetch_one(p)
    .await
    .unwrap();
    assert_eq!((stations, active), (2, true), "the account is unchanged");

    let (_, list) = admin.get_json("/api/v1/users?per_page=200").await;
    assert!(!list.to_string().contains(&wide.id.to_string()), "{list}");
    let html = admin.get("/admin/users").await.text().await.unwrap();
    assert!(!html.contains(&wide.username));

    // A manager of this county's station alone is the county admin's to manage, and the
    // province's admin manages the manager of two counties.
    let narrow = app.station_manager(&[here]).await;
    let (status, _) = admin
        .post_json(
            &format!("/api/v1/users/{}/reset-password", narrow.id),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (province, _) = app.logged_in("admin", "51").await;
    let (status, body) = province
        .post_json(
            &format!("/api/v1/users/{}/reset-password", wide.id),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_county_admin_cannot_reach_a_volunteer_account_of_another_countys_station() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let there = fixtures::station(p, YUNDING).await;
    // She lives in 广汉 and serves at 南江's station: a record from before a residence had to
    // lie in the station's county (the database checks a change, not the rows already there).
    let with_login = fixtures::volunteer(p, there, "active", 1).await;
    let without_login = fixtures::volunteer(p, there, "active", 1).await;
    let mut legacy = p.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *legacy)
        .await
        .unwrap();
    sqlx::query("UPDATE volunteer SET region_code = $2 WHERE id = ANY($1)")
        .bind([with_login, without_login])
        .bind(LONGJU)
        .execute(&mut *legacy)
        .await
        .unwrap();
    legacy.commit().await.unwrap();
    let account = app.volunteer_user(with_login).await;
    let before = password_hash(p, account.id).await;
    let (admin, _) = app.logged_in("admin", "510681").await;

    let (status, _) = admin
        .post_json(
            &format!("/api/v1/users/{}/reset-password", account.id),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(password_hash(p, account.id).await, before);
    let (status, _) = admin
        .get_json(&format!("/api/v1/users/{}", account.id))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = admin
        .post_json(
            "/api/v1/users",
            &json!({ "username": "nanjiang.mama", "display_name": "王秀兰", "role": "volunteer",
                     "volunteer_id": without_login.to_string() }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "validation_failed");

    // Nor through her page: a login for her is given by those whose region holds her station.
    let (staff, _) = app.logged_in("staff", "510681").await;
    for who in [&admin, &staff] {
        let (status, body) = who
            .post_json(
                &format!("/api/v1/volunteers/{without_login}/account"),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_error(&body, "station_outside_scope");
        assert!(body.get("one_time_password").is_none());
    }
    let page = admin
        .post_form(&format!("/volunteers/{without_login}/account"), &[])
        .await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM app_user WHERE volunteer_id = $1")
        .bind(without_login)
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(accounts, 0);

    // The province's admin, whose region holds both, gives her the login.
    let (province, _) = app.logged_in("admin", "51").await;
    let (status, body) = province
        .post_json(
            &format!("/api/v1/volunteers/{without_login}/account"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

// The pairing histories on a child's and a volunteer's page show only what lies in scope.

#[tokio::test]
async fn record_pages_show_no_names_from_pairings_beyond_the_readers_scope() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let here = fixtures::station(p, LONGJU).await;
    let there = fixtures::station(p, YUNDING).await;

    // A child of 广汉 once paired at 南江's station with 南江's volunteer.
    let child = fixtures::pairable_child(p, there).await;
    let their_volunteer = fixtures::volunteer(p, there, "active", 2).await;
    rename(p, "volunteer", their_volunteer, "赵南江").await;
    let old = fixtures::pair(p, child, their_volunteer, there)
        .await
        .unwrap();
    close(p, old, "family_moved", "").await;
    sqlx::query("UPDATE child SET station_id = $2, region_code = $3 WHERE id = $1")
        .bind(child)
        .bind(here)
        .bind(LONGJU)
        .execute(p)
        .await
        .unwrap();

    // A volunteer of 广汉 paired with a child at 南江's station.
    let our_volunteer = fixtures::volunteer(p, here, "active", 2).await;
    let their_child = fixtures::pairable_child(p, there).await;
    rename(p, "child", their_child, "孙南南").await;
    fixtures::pair(p, their_child, our_volunteer, there)
        .await
        .unwrap();

    let (staff, _) = app.logged_in("staff", "510681").await;
    let page = staff.get(&format!("/children/{child}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(!html.contains("赵南江"), "another county's volunteer");

    let page = staff.get(&format!("/volunteers/{our_volunteer}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(!html.contains("孙南南"), "another county's child");

    // 南江's staff see their own pairings on the same records' counterparts.
    let (nanjiang, _) = app.logged_in("staff", "511922").await;
    let html = nanjiang
        .get(&format!("/volunteers/{their_volunteer}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("李小雨"), "a pairing at their own station");
}
