//! Keeping every pairing alive: one visit to several children logged once.

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::fixtures::{self, LONGJU};
use crate::harness::{Browser, PASSWORD, TestApp};

/// A volunteer paired with two siblings (小明, 小雨), logged in; answers her pairings.
async fn a_volunteer_with_two_children(app: &TestApp) -> (Browser, [Uuid; 2], Uuid) {
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 3).await;
    let mut pairings = [Uuid::nil(); 2];
    for (i, name) in ["王小明", "王小雨"].into_iter().enumerate() {
        let child = fixtures::pairable_child(p, station).await;
        sqlx::query("UPDATE child SET name = $2 WHERE id = $1")
            .bind(child)
            .bind(name)
            .execute(p)
            .await
            .unwrap();
        pairings[i] = fixtures::pair(p, child, volunteer, station).await.unwrap();
    }
    let user = app.volunteer_user(volunteer).await;
    let browser = app.browser();
    browser.log_in(&user.username, PASSWORD).await;
    (browser, pairings, station)
}

async fn contacts_of(app: &TestApp, pairing: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM contact WHERE pairing_id = $1")
        .bind(pairing)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn one_visit_to_two_siblings_is_one_entry_stored_for_each_pairing() {
    let app = TestApp::spawn().await;
    let (mother, [first, second], _) = a_volunteer_with_two_children(&app).await;
    let (status, body) = mother
        .post_json(
            "/api/v1/me/contacts",
            &json!({
                "pairing_ids": [first, second, first],
                "mode": "home_visit",
                "duration_minutes": 60,
                "topics": ["study"],
                "note": "姐弟俩一起做作业"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "a pairing named twice counts once");
    assert_eq!(items[0]["pairing_id"], json!(first));
    assert_eq!(items[1]["pairing_id"], json!(second));
    assert_eq!(items[1]["note"], json!("姐弟俩一起做作业"));
    for pairing in [first, second] {
        assert_eq!(contacts_of(&app, pairing).await, 1);
        let count: i32 = sqlx::query_scalar("SELECT contact_count FROM pairing WHERE id = $1")
            .bind(pairing)
            .fetch_one(app.pool())
            .await
            .unwrap();
        assert_eq!(count, 1);
    }
}

#[tokio::test]
async fn an_entry_for_several_children_is_written_for_all_or_for_none() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let (mother, [first, second], station) = a_volunteer_with_two_children(&app).await;
    let entry =
        |ids: Vec<Uuid>| json!({"pairing_ids": ids, "mode": "call", "duration_minutes": 15});

    // Another volunteer's pairing: not hers to log, and nothing is written for hers either.
    let other = fixtures::volunteer(p, station, "active", 2).await;
    let child = fixtures::pairable_child(p, station).await;
    let theirs = fixtures::pair(p, child, other, station).await.unwrap();
    let (status, _) = mother
        .post_json("/api/v1/me/contacts", &entry(vec![first, theirs]))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // One of hers closed: refused whole.
    sqlx::query(
        "UPDATE pairing SET status = 'closed', ended_on = (now() AT TIME ZONE 'Asia/Shanghai')::date,
                closure_reason = 'family_moved' WHERE id = $1",
    )
    .bind(second)
    .execute(p)
    .await
    .unwrap();
    let (status, body) = mother
        .post_json("/api/v1/me/contacts", &entry(vec![first, second]))
        .await;
    assert!(status.is_client_error(), "{status} {body}");
    assert_eq!(contacts_of(&app, first).await, 0);
    assert_eq!(contacts_of(&app, second).await, 0);

    // None, or more than ten.
    let (status, body) = mother
        .post_json("/api/v1/me/contacts", &entry(vec![]))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["pairing_ids"].is_string());
    let (status, _) = mother
        .post_json(
            "/api/v1/me/contacts",
            &entry(
                vec![first; 1]
                    .into_iter()
                    .chain((0..10).map(|_| Uuid::new_v4()))
                    .collect(),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(contacts_of(&app, first).await, 0);

    // A concern is about one child: not copied onto a sibling's entry.
    let mut worried = entry(vec![first]);
    worried["pairing_ids"] = json!([first, Uuid::new_v4()]);
    worried["concern_category"] = json!("health");
    worried["concern_detail"] = json!("弟弟一直咳嗽");
    let (status, body) = mother.post_json("/api/v1/me/contacts", &worried).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["concern_category"].is_string());

    // Staff cannot log for her.
    let (staff, _) = app.logged_in("staff", "510681").await;
    let (status, _) = staff
        .post_json("/api/v1/me/contacts", &entry(vec![first]))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn on_her_phone_she_ticks_the_sibling_seen_on_the_same_visit() {
    let app = TestApp::spawn().await;
    let (mother, [first, second], _) = a_volunteer_with_two_children(&app).await;
    let page = mother
        .get(&format!("/me/pairings/{first}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("同一次也看望了") && page.contains(&format!(r#"value="{second}""#)));
    assert!(
        page.contains("小雨") && !page.contains("王小雨"),
        "given names only"
    );
    let today = crate::harness::today();
    let saved = mother
        .post_form(
            &format!("/me/pairings/{first}/contacts"),
            &[
                ("contacted_on", today.as_str()),
                ("mode", "home_visit"),
                ("duration_minutes", "50"),
                ("note", "给姐弟俩讲故事"),
                ("also", &second.to_string()),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(contacts_of(&app, first).await, 1);
    assert_eq!(contacts_of(&app, second).await, 1);
}

#[tokio::test]
async fn an_attempt_is_effort_not_a_contact_and_three_in_a_row_reach_staff() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let (mother, [first, _], station) = a_volunteer_with_two_children(&app).await;
    let attempt = json!({
        "mode": "call", "outcome": "not_reached", "not_reached_reason": "no_answer"
    });

    // An attempt names why; a contact names none.
    let (status, body) = mother
        .post_json(
            &format!("/api/v1/pairings/{first}/contacts"),
            &json!({"mode": "call", "outcome": "not_reached"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["not_reached_reason"].is_string());
    let (status, _) = mother
        .post_json(
            &format!("/api/v1/pairings/{first}/contacts"),
            &json!({"mode": "call", "duration_minutes": 10, "not_reached_reason": "no_answer"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Three tries on three days, no minutes needed: none of them is a contact.
    for days_ago in [3, 2, 1] {
        let mut entry = attempt.clone();
        entry["contacted_on"] = json!(
            (time::OffsetDateTime::now_utc()
                .to_offset(time::macros::offset!(+8))
                .date()
                - time::Duration::days(days_ago))
            .to_string()
        );
        let (status, body) = mother
            .post_json(&format!("/api/v1/pairings/{first}/contacts"), &entry)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["outcome"], json!("not_reached"));
        assert_eq!(body["not_reached_reason"], json!("no_answer"));
    }
    let facts = || async {
        sqlx::query_as::<_, (i32, Option<time::Date>, i32)>(
            "SELECT contact_count, last_contact_on, unreached_streak FROM pairing WHERE id = $1",
        )
        .bind(first)
        .fetch_one(p)
        .await
        .unwrap()
    };
    assert_eq!(facts().await, (0, None, 3));
    let day_contacts: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(contacts), 0)::bigint FROM station_day WHERE station_id = $1",
    )
    .bind(station)
    .fetch_one(p)
    .await
    .unwrap();
    assert_eq!(day_contacts, 0, "attempts are not counted as contacts");

    // Staff see the pairing among what needs attention.
    let (staff, _) = app.logged_in("staff", "510681").await;
    let dashboard = staff.get("/dashboard").await.text().await.unwrap();
    assert!(
        dashboard.contains("连续三次没联系上孩子的结对"),
        "{dashboard}"
    );
    assert!(dashboard.contains(&format!("/pairings/{first}")));

    // Reached today: one contact, the streak over, the alert gone.
    let (status, _) = mother
        .post_json(
            &format!("/api/v1/pairings/{first}/contacts"),
            &json!({"mode": "home_visit", "duration_minutes": 40}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (count, last, streak) = facts().await;
    assert_eq!((count, streak), (1, 0));
    assert!(last.is_some());
    let dashboard = staff.get("/dashboard").await.text().await.unwrap();
    assert!(!dashboard.contains("连续三次没联系上孩子的结对"));
}

#[tokio::test]
async fn a_county_sets_its_contact_standard_and_a_township_follows_it() {
    let app = TestApp::spawn().await;
    let (county, _) = app.logged_in("staff", "510681").await;
    let path = |code: &str| format!("/api/v1/regions/{code}/contact-standard");

    // None set: the service's default, a contact every 30 days.
    let (status, body) = county.get_json(&path("510681")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["source"], json!("default"));
    assert_eq!(body["contacts_per_month"], json!(1));
    assert_eq!(body["home_visits_per_quarter"], json!(0));
    assert_eq!(body["set_in"], json!(null));

    // 每月至少联系 1 次、每季度至少家访 1 次.
    let standard = json!({
        "contacts_per_month": 1, "home_visits_per_quarter": 1,
        "check_ins_per_month_first_quarter": 1, "check_ins_per_quarter": 1
    });
    let (status, body) = county.put_json(&path("510681"), &standard).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["source"], json!("own"));
    assert_eq!(body["version"], json!(1));
    let (_, township) = county.get_json(&path("510681002")).await;
    assert_eq!(township["source"], json!("inherited"));
    assert_eq!(township["set_in"], json!("510681"));
    assert_eq!(township["home_visits_per_quarter"], json!(1));

    // The province's standard reaches the counties that set none, not this one.
    let (province, _) = app.logged_in("admin", "51").await;
    let mut twice = standard.clone();
    twice["contacts_per_month"] = json!(2);
    let (status, _) = province.put_json(&path("51"), &twice).await;
    assert_eq!(status, StatusCode::OK);
    let (_, other) = province.get_json(&path("510623")).await;
    assert_eq!(
        (other["set_in"].clone(), other["contacts_per_month"].clone()),
        (json!("51"), json!(2))
    );
    let (_, own) = province.get_json(&path("510681")).await;
    assert_eq!(own["contacts_per_month"], json!(1));

    // A township sets none; figures stay within their period; a stale copy is refused.
    let (status, body) = county.put_json(&path("510681002"), &standard).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["region_code"].is_string());
    let mut too_many = standard.clone();
    too_many["contacts_per_month"] = json!(32);
    too_many["version"] = json!(1);
    let (status, body) = county.put_json(&path("510681"), &too_many).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["contacts_per_month"].is_string());
    let (status, body) = county.put_json(&path("510681"), &standard).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a second first standard is stale"
    );
    assert_eq!(body["error"]["code"], json!("stale_version"));
    assert_eq!(body["error"]["current"]["version"], json!(1));

    // Beyond one's scope nothing is seen; a station manager sets none.
    let (elsewhere, _) = app.logged_in("staff", "510623").await;
    let (status, _) = elsewhere.get_json(&path("510681")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let station = fixtures::station(app.pool(), LONGJU).await;
    let manager = app.station_manager(&[station]).await;
    let browser = app.browser();
    browser.log_in(&manager.username, PASSWORD).await;
    let (status, _) = browser.put_json(&path("510681"), &standard).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn county_staff_set_the_standard_on_its_page() {
    let app = TestApp::spawn().await;
    let (county, _) = app.logged_in("staff", "510681").await;
    let page = county.get("/contact-standard").await.text().await.unwrap();
    assert!(page.contains("联系标准") && page.contains("广汉市") && page.contains("系统默认"));
    let refused = county
        .post_form(
            "/contact-standard",
            &[
                ("region", "510681"),
                ("contacts_per_month", "一次"),
                ("home_visits_per_quarter", "1"),
                ("check_ins_per_month_first_quarter", "1"),
                ("check_ins_per_quarter", "1"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains(r##"<a href="#contacts_per_month">"##) && html.contains(r#"value="一次""#)
    );
    let saved = county
        .post_form(
            "/contact-standard",
            &[
                ("region", "510681"),
                ("contacts_per_month", "1"),
                ("home_visits_per_quarter", "1"),
                ("check_ins_per_month_first_quarter", "1"),
                ("check_ins_per_quarter", "1"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let page = county
        .get("/contact-standard?region=510681")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("联系标准已保存") && page.contains("本级设定"));
    assert!(page.contains(r#"name="version" value="1""#));
}

#[tokio::test]
async fn staff_and_the_manager_log_check_ins_within_scope_and_erasure_takes_their_notes() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let child = fixtures::pairable_child(p, station).await;
    let pairing = fixtures::pair(p, child, volunteer, station).await.unwrap();
    let path = format!("/api/v1/pairings/{pairing}/check-ins");
    let check_in = json!({
        "with": "guardian", "mode": "call", "rating": 4,
        "note": "奶奶说孩子盼着周末见爱心妈妈", "flags": ["needs_help"]
    });

    let (staff, _) = app.logged_in("staff", "510681").await;
    let (status, body) = staff.post_json(&path, &check_in).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["with"], json!("guardian"));
    assert_eq!(body["flags"], json!(["needs_help"]));
    let last: Option<time::Date> =
        sqlx::query_scalar("SELECT last_check_in_on FROM pairing WHERE id = $1")
            .bind(pairing)
            .fetch_one(p)
            .await
            .unwrap();
    assert!(last.is_some(), "the pairing remembers its last check-in");

    // The station's manager too; not another county's staff, not the volunteer.
    let manager = app.station_manager(&[station]).await;
    let browser = app.browser();
    browser.log_in(&manager.username, PASSWORD).await;
    let mut with_her = check_in.clone();
    with_her["with"] = json!("volunteer");
    let (status, _) = browser.post_json(&path, &with_her).await;
    assert_eq!(status, StatusCode::CREATED);
    let (elsewhere, _) = app.logged_in("staff", "510623").await;
    let (status, _) = elsewhere.post_json(&path, &check_in).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = elsewhere.get_json(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let mother = app.volunteer_user(volunteer).await;
    let her = app.browser();
    her.log_in(&mother.username, PASSWORD).await;
    let (status, _) = her.get_json(&path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = staff.get_json(&path).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);

    // A rating is 1 to 5.
    let mut six = check_in.clone();
    six["rating"] = json!(6);
    let (status, body) = staff.post_json(&path, &six).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["rating"].is_string());

    // Ended: no more check-ins, and the database refuses one too.
    sqlx::query(
        "UPDATE pairing SET status = 'closed', ended_on = (now() AT TIME ZONE 'Asia/Shanghai')::date,
                closure_reason = 'family_moved' WHERE id = $1",
    )
    .bind(pairing)
    .execute(p)
    .await
    .unwrap();
    let (status, body) = staff.post_json(&path, &check_in).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let direct = sqlx::query(
        "INSERT INTO check_in (pairing_id, held_with, mode, held_on, rating)
         VALUES ($1, 'guardian', 'call', (now() AT TIME ZONE 'Asia/Shanghai')::date, 3)",
    )
    .bind(pairing)
    .execute(p)
    .await;
    assert_eq!(fixtures::violated(direct), "check_in_on_active_pairing");

    // The child leaves and is erased: the notes about her go.
    sqlx::query(
        "UPDATE child SET status = 'exited', exit_reason = 'family_moved',
                exited_on = (now() AT TIME ZONE 'Asia/Shanghai')::date WHERE id = $1",
    )
    .bind(child)
    .execute(p)
    .await
    .unwrap();
    sqlx::query("SELECT anonymise_child($1)")
        .bind(child)
        .execute(p)
        .await
        .unwrap();
    let notes: i64 = sqlx::query_scalar("SELECT count(note) FROM check_in WHERE pairing_id = $1")
        .bind(pairing)
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(notes, 0);
}

#[tokio::test]
async fn a_refused_check_in_comes_back_on_the_pairings_page_with_what_was_typed() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let child = fixtures::pairable_child(p, station).await;
    let pairing = fixtures::pair(p, child, volunteer, station).await.unwrap();
    let (staff, _) = app.logged_in("staff", "510681").await;
    let refused = staff
        .post_form(
            &format!("/pairings/{pairing}/check-ins"),
            &[
                ("with", "volunteer"),
                ("mode", "video"),
                ("note", "她最近工作忙"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains(r##"<a href="#check_in_rating">"##), "{html}");
    assert!(html.contains("她最近工作忙") && html.contains("<details open>"));
    let saved = staff
        .post_form(
            &format!("/pairings/{pairing}/check-ins"),
            &[
                ("with", "volunteer"),
                ("mode", "video"),
                ("rating", "3"),
                ("note", "她最近工作忙"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let page = staff
        .get(&format!("/pairings/{pairing}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("回访已记录") && page.contains("结对情况 3 分"));
}
