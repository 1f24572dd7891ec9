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
