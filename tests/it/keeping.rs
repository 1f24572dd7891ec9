//! Keeping every pairing alive: health judged against the contact standard of its county (or
//! the region above, or the default), and the queue of staff check-ins due.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::fixtures::{self, LONGJU, YUNDING};
use crate::harness::{PASSWORD, TestApp};

/// A running pairing at `station`, started `started_days_ago` days ago, with a call that
/// reached the child `contact_days_ago` days ago (none when `None`).
async fn pairing(
    p: &PgPool,
    station: Uuid,
    started_days_ago: i32,
    contact_days_ago: Option<i32>,
) -> Uuid {
    let volunteer = fixtures::volunteer(p, station, "active", 3).await;
    let child = fixtures::pairable_child(p, station).await;
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO pairing (child_id, volunteer_id, station_id, started_on)
         VALUES ($1, $2, $3, (now() AT TIME ZONE 'Asia/Shanghai')::date - $4) RETURNING id",
    )
    .bind(child)
    .bind(volunteer)
    .bind(station)
    .bind(started_days_ago)
    .fetch_one(p)
    .await
    .unwrap();
    if let Some(days) = contact_days_ago {
        contact(p, id, days, "call").await;
    }
    id
}

async fn contact(p: &PgPool, pairing: Uuid, days_ago: i32, mode: &str) {
    sqlx::query(
        "INSERT INTO contact (pairing_id, contacted_on, mode)
         VALUES ($1, (now() AT TIME ZONE 'Asia/Shanghai')::date - $2, $3::contact_mode)",
    )
    .bind(pairing)
    .bind(days_ago)
    .bind(mode)
    .execute(p)
    .await
    .unwrap();
}

fn reasons(body: &Value) -> Vec<String> {
    body["health_reasons"]
        .as_array()
        .unwrap_or_else(|| panic!("no health_reasons in {body}"))
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn health_follows_the_county_standard_a_township_inherits_and_the_default_elsewhere() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    // 龙居社区 lies in a township of 广汉市 (510681); 云顶镇 in 南江县, which sets no standard.
    let longju = fixtures::station(p, LONGJU).await;
    let yunding = fixtures::station(p, YUNDING).await;
    let called = pairing(p, longju, 200, Some(3)).await;
    let elsewhere = pairing(p, yunding, 200, Some(3)).await;
    let (county, _) = app.logged_in("staff", "510681").await;
    let (province, _) = app.logged_in("admin", "51").await;

    // No standard anywhere: the default asks a contact every 30 days; both are on track.
    let (_, body) = county.get_json(&format!("/api/v1/pairings/{called}")).await;
    assert_eq!(body["health"], "on_track", "{body}");
    assert!(reasons(&body).is_empty());

    // 每月至少联系 1 次、每季度至少家访 1 次: no home visit since the pairing began.
    let standard = json!({
        "contacts_per_month": 1, "home_visits_per_quarter": 1,
        "check_ins_per_month_first_quarter": 0, "check_ins_per_quarter": 0
    });
    let (status, body) = county
        .put_json("/api/v1/regions/510681/contact-standard", &standard)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = county.get_json(&format!("/api/v1/pairings/{called}")).await;
    assert_eq!(body["health"], "overdue", "{body}");
    // Started 200 days ago, a home visit was due within 91 days: overdue by 110.
    assert_eq!(reasons(&body), vec!["家访已逾期 110 天".to_owned()]);
    let (_, listed) = county.get_json("/api/v1/pairings?health=overdue").await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["id"], called.to_string());
    let page = county
        .get(&format!("/pairings/{called}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("家访已逾期 110 天") && page.contains("已逾期"));

    // The other county follows the default still.
    let (_, body) = province
        .get_json(&format!("/api/v1/pairings/{elsewhere}"))
        .await;
    assert_eq!(body["health"], "on_track", "{body}");

    // A home visit that reached the child puts the pairing back on track; one that did not
    // reach her is an attempt, and counts for nothing.
    sqlx::query(
        "INSERT INTO contact (pairing_id, contacted_on, mode, outcome, not_reached_reason)
         VALUES ($1, (now() AT TIME ZONE 'Asia/Shanghai')::date - 1, 'home_visit', 'not_reached', 'child_away')",
    )
    .bind(called)
    .execute(p)
    .await
    .unwrap();
    let (_, body) = county.get_json(&format!("/api/v1/pairings/{called}")).await;
    assert_eq!(body["health"], "overdue");
    contact(p, called, 1, "home_visit").await;
    let (_, body) = county.get_json(&format!("/api/v1/pairings/{called}")).await;
    assert_eq!(body["health"], "on_track", "{body}");
    assert_eq!(body["last_home_visit_on"], body["last_contact_on"]);

    // Four contacts a month asked: after yesterday's visit the next is due within six days.
    let mut weekly = standard.clone();
    weekly["contacts_per_month"] = json!(4);
    weekly["version"] = json!(1);
    let (status, _) = county
        .put_json("/api/v1/regions/510681/contact-standard", &weekly)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = county.get_json(&format!("/api/v1/pairings/{called}")).await;
    assert_eq!(body["health"], "due_soon", "{body}");
}

#[tokio::test]
async fn every_mark_of_the_list_filter_is_the_mark_of_each_pairing_it_lists() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    // Under the default (a contact every 30 days): new, due soon, on track, overdue by 11 days.
    let new = pairing(p, station, 10, None).await;
    let due_soon = pairing(p, station, 200, Some(25)).await;
    let on_track = pairing(p, station, 200, Some(3)).await;
    let overdue = pairing(p, station, 200, Some(40)).await;
    let (staff, _) = app.logged_in("staff", "510681").await;

    for (mark, id) in [
        ("new", new),
        ("due_soon", due_soon),
        ("on_track", on_track),
        ("overdue", overdue),
    ] {
        let (status, list) = staff
            .get_json(&format!("/api/v1/pairings?health={mark}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["total"], 1, "{mark}: {list}");
        assert_eq!(list["items"][0]["id"], id.to_string(), "{mark}");
        assert_eq!(list["items"][0]["health"], mark);
    }
    let (_, body) = staff.get_json(&format!("/api/v1/pairings/{overdue}")).await;
    assert_eq!(reasons(&body), vec!["联系已逾期 11 天".to_owned()]);
    let (status, _) = staff
        .get_json("/api/v1/pairings?health=needs_check_in")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A shorter default (`AIXIN_CHECK_IN_DAYS` = 14) judges every pairing again.
    aixin::pairings::standard::apply_default(p, 14)
        .await
        .unwrap();
    let (_, list) = staff.get_json("/api/v1/pairings?health=overdue").await;
    assert_eq!(list["total"], 2, "{list}");
}

#[tokio::test]
async fn check_ins_due_by_the_standard_are_queued_for_staff_in_scope() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let waiting = pairing(p, station, 200, Some(3)).await;
    let (county, _) = app.logged_in("staff", "510681").await;

    // No check-ins asked: nothing is due.
    let (status, queue) = county.get_json("/api/v1/check-ins/due").await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    assert_eq!(queue["total"], 0);

    let standard = json!({
        "contacts_per_month": 1, "home_visits_per_quarter": 0,
        "check_ins_per_month_first_quarter": 1, "check_ins_per_quarter": 1
    });
    let (status, _) = county
        .put_json("/api/v1/regions/510681/contact-standard", &standard)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, queue) = county.get_json("/api/v1/check-ins/due").await;
    assert_eq!(queue["total"], 1, "{queue}");
    assert_eq!(queue["items"][0]["pairing_id"], waiting.to_string());
    assert_eq!(queue["items"][0]["overdue"], true);
    let page = county.get("/check-ins/due").await.text().await.unwrap();
    assert!(page.contains("李小雨") && page.contains("待回访的结对"));
    let (_, body) = county
        .get_json(&format!("/api/v1/pairings/{waiting}"))
        .await;
    assert!(
        reasons(&body)
            .iter()
            .any(|r| r.starts_with("工作人员回访已逾期")),
        "{body}"
    );

    // Outside the county nothing is queued; the station's manager sees it; a volunteer may not ask.
    let (elsewhere, _) = app.logged_in("staff", "510623").await;
    let (_, queue) = elsewhere.get_json("/api/v1/check-ins/due").await;
    assert_eq!(queue["total"], 0);
    let manager = app.station_manager(&[station]).await;
    let browser = app.browser();
    browser.log_in(&manager.username, PASSWORD).await;
    let (_, queue) = browser.get_json("/api/v1/check-ins/due").await;
    assert_eq!(queue["total"], 1);
    let volunteer = fixtures::volunteer(p, station, "active", 3).await;
    let user = app.volunteer_user(volunteer).await;
    let her = app.browser();
    her.log_in(&user.username, PASSWORD).await;
    let (status, _) = her.get_json("/api/v1/check-ins/due").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A check-in with the volunteer today: the next is due in a quarter, off the queue.
    let (status, body) = county
        .post_json(
            &format!("/api/v1/pairings/{waiting}/check-ins"),
            &json!({"with": "volunteer", "mode": "call", "rating": 4}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, queue) = county.get_json("/api/v1/check-ins/due").await;
    assert_eq!(queue["total"], 0, "{queue}");
    let (_, body) = county
        .get_json(&format!("/api/v1/pairings/{waiting}"))
        .await;
    assert_eq!(body["health"], "on_track", "{body}");
}

async fn pairing_status(p: &PgPool, id: Uuid) -> String {
    sqlx::query_scalar("SELECT status::text FROM pairing WHERE id = $1")
        .bind(id)
        .fetch_one(p)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_safeguarding_closure_suspends_at_once_and_takes_effect_only_when_a_second_person_confirms()
 {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 3).await;
    let child = fixtures::pairable_child(p, station).await;
    let id = fixtures::pair(p, child, volunteer, station).await.unwrap();
    let user = app.volunteer_user(volunteer).await;
    let her = app.browser();
    her.log_in(&user.username, PASSWORD).await;
    assert!(her.get("/me").await.text().await.unwrap().contains("小雨"));
    let (first, _) = app.logged_in("staff", "510681").await;
    let (second, _) = app.logged_in("staff", "510681").await;

    let (status, body) = first
        .post_json(
            &format!("/api/v1/pairings/{id}/close"),
            &json!({"closure_reason": "safeguarding_concern", "closure_note": "孩子说爱心妈妈打过她",
                    "closure_decided_by": "staff", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "suspended");
    assert!(body["health"].is_null());

    // At once: the volunteer loses the child and can log nothing.
    assert!(!her.get("/me").await.text().await.unwrap().contains("小雨"));
    let (status, _) = her.get_json(&format!("/api/v1/pairings/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = her
        .post_json(
            &format!("/api/v1/pairings/{id}/contacts"),
            &json!({"mode": "call", "duration_minutes": 10}),
        )
        .await;
    assert!(
        status == StatusCode::NOT_FOUND || status == StatusCode::CONFLICT,
        "{status}"
    );
    let (status, _) = her
        .get_json(&format!("/api/v1/pairings/{id}/contacts"))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "her entries are out of her reach meanwhile"
    );
    let direct = sqlx::query("INSERT INTO contact (pairing_id, contacted_on, mode) VALUES ($1, DATE '2026-06-01', 'call')")
        .bind(id)
        .execute(p)
        .await;
    assert_eq!(fixtures::violated(direct), "contact_on_active_pairing");
    // Nobody pairs the child meanwhile.
    let other = fixtures::volunteer(p, station, "active", 3).await;
    let (status, body) = first
        .post_json(
            "/api/v1/pairings",
            &json!({"child_id": child, "volunteer_id": other, "started_on": "2026-06-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Her other children wait: she is paired with no one else meanwhile.
    let another = fixtures::pairable_child(p, station).await;
    let (status, body) = first
        .post_json(
            "/api/v1/pairings",
            &json!({"child_id": another, "volunteer_id": volunteer, "started_on": "2026-06-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "volunteer_suspended");
    // No other way settles it: not a transfer, not the child's exit, not another closing.
    let other_station = fixtures::station(p, crate::fixtures::YUNDING).await;
    let (province, _) = app.logged_in("admin", "51").await;
    let (status, body) = province
        .post_json(
            &format!("/api/v1/children/{child}/transfer"),
            &json!({"station_id": other_station, "region_code": crate::fixtures::YUNDING, "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "pairing_suspended");
    let exit = sqlx::query(
        "UPDATE child SET status = 'exited', exit_reason = 'family_moved', exited_on = DATE '2026-07-01'
         WHERE id = $1",
    )
    .bind(child)
    .execute(p)
    .await;
    assert_eq!(
        fixtures::violated(exit),
        "child_exit_without_active_pairing"
    );
    let rewritten = sqlx::query(
        "UPDATE pairing SET status = 'closed', closure_reason = 'transferred' WHERE id = $1",
    )
    .bind(id)
    .execute(p)
    .await;
    assert_eq!(
        fixtures::violated(rewritten),
        "pairing_safeguarding_confirmed"
    );

    // The person who suspended it cannot confirm it, nor can anyone skip the suspension.
    let (status, body) = first
        .post_json(&format!("/api/v1/pairings/{id}/close/confirm"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "second_person_needed");
    assert_eq!(pairing_status(p, id).await, "suspended");
    let skipped = sqlx::query("UPDATE pairing SET status = 'closed' WHERE id = $1")
        .bind(id)
        .execute(p)
        .await;
    assert_eq!(
        fixtures::violated(skipped),
        "pairing_safeguarding_confirmed"
    );

    // A second staff member confirms: it is closed, and says who did what.
    let (status, body) = second
        .post_json(&format!("/api/v1/pairings/{id}/close/confirm"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "closed");
    assert!(body["closed_by"].is_string() && body["closure_confirmed_by"].is_string());
    assert_ne!(body["closed_by"], body["closure_confirmed_by"]);
    let (status, _) = second
        .post_json(&format!("/api/v1/pairings/{id}/close/cancel"), &json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a closed pairing is not suspended"
    );
}

#[tokio::test]
async fn a_cancelled_suspension_resumes_the_pairing_for_the_volunteer() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 3).await;
    let child = fixtures::pairable_child(p, station).await;
    let id = fixtures::pair(p, child, volunteer, station).await.unwrap();
    let user = app.volunteer_user(volunteer).await;
    let her = app.browser();
    her.log_in(&user.username, PASSWORD).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let page = staff
        .post_form(
            &format!("/pairings/{id}/close"),
            &[
                ("closure_reason", "safeguarding_concern"),
                ("closure_note", "需要核实"),
                ("closing_talk_child", "no"),
                ("closing_talk_guardian", "yes"),
                ("closure_decided_by", "staff"),
                ("version", "1"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert!(page.status().is_success() || page.status().is_redirection());
    let page = staff
        .get(&format!("/pairings/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("结对已暂停，等待确认") && page.contains("确认结束结对"));
    assert!(!her.get("/me").await.text().await.unwrap().contains("小雨"));

    // Not by the one who suspended it: a second staff member decides.
    let refused = staff
        .post_form(&format!("/pairings/{id}/close/cancel"), &[])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(pairing_status(p, id).await, "suspended");
    let (second, _) = app.logged_in("staff", "510681").await;
    let page = second
        .post_form(&format!("/pairings/{id}/close/cancel"), &[])
        .await;
    assert!(page.status().is_success() || page.status().is_redirection());
    assert_eq!(pairing_status(p, id).await, "active");
    assert!(her.get("/me").await.text().await.unwrap().contains("小雨"));
    let (_, body) = staff.get_json(&format!("/api/v1/pairings/{id}")).await;
    assert!(
        body["closure_reason"].is_null() && body["closed_by"].is_null(),
        "{body}"
    );
}

#[tokio::test]
async fn a_closing_records_the_talks_and_who_decided_and_a_child_to_re_pair_heads_the_waiting_list()
{
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    // One child has waited since she was registered; the other's pairing now ends.
    let (waiting, _) = fixtures::child(p, station).await;
    sqlx::query(
        "UPDATE child SET name = '张早等', created_at = now() - interval '300 days' WHERE id = $1",
    )
    .bind(waiting)
    .execute(p)
    .await
    .unwrap();
    let volunteer = fixtures::volunteer(p, station, "active", 3).await;
    let child = fixtures::pairable_child(p, station).await;
    let id = fixtures::pair(p, child, volunteer, station).await.unwrap();
    let (staff, _) = app.logged_in("staff", "510681").await;

    // The page asks every question: unanswered, nothing changes.
    let refused = staff
        .post_form(
            &format!("/pairings/{id}/close"),
            &[
                ("closure_reason", "family_moved"),
                ("version", "1"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("与孩子的结束谈话") && html.contains("由谁决定结束"));
    assert_eq!(pairing_status(p, id).await, "active");

    let (status, body) = staff
        .post_json(
            &format!("/api/v1/pairings/{id}/close"),
            &json!({"closure_reason": "family_moved", "closing_talk_child": true,
                    "closing_talk_guardian": false, "closure_decided_by": "guardian",
                    "re_pair": true, "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "closed");
    assert_eq!(
        (
            body["closing_talk_child"].clone(),
            body["closing_talk_guardian"].clone()
        ),
        (json!(true), json!(false))
    );
    assert_eq!(body["closure_decided_by"], "guardian");
    assert_eq!(body["re_pair"], true);
    assert!(body["closed_by"].is_string());

    // She heads the waiting list, the reason beside her name, ahead of the child who waited
    // longer.
    let page = staff.get("/pairings/waiting").await.text().await.unwrap();
    let first = page.find("李小雨").expect("the re-paired child is listed");
    let second = page
        .find("张早等")
        .expect("the long-waiting child is listed");
    assert!(first < second, "the child to pair again comes first");
    assert!(
        page.contains("优先重新结对（家庭迁居）"),
        "the reason beside her name"
    );
    let invalid = staff
        .post_json(
            &format!("/api/v1/pairings/{id}/close"),
            &json!({"closure_reason": "other", "closure_decided_by": "neighbour", "version": 2}),
        )
        .await;
    assert_eq!(invalid.0, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_volunteers_access_copy_holds_the_check_ins_with_her_and_her_surveys_not_the_guardians() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 3).await;
    let child = fixtures::pairable_child(p, station).await;
    let id = fixtures::pair(p, child, volunteer, station).await.unwrap();
    let (staff, _) = app.logged_in("staff", "510681").await;
    for (with, note) in [
        ("volunteer", "她说最近工作忙，想每两周见一次"),
        ("guardian", "奶奶很满意这次结对"),
    ] {
        let (status, body) = staff
            .post_json(
                &format!("/api/v1/pairings/{id}/check-ins"),
                &json!({"with": with, "mode": "call", "rating": 4, "note": note}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    for respondent in ["volunteer", "guardian"] {
        let (status, body) = staff
            .post_json(
                &format!("/api/v1/pairings/{id}/surveys"),
                &json!({"respondent": respondent, "answers": {"trust": 4, "enjoy": 4, "talks": 3,
                        "support": 4, "change": if respondent == "volunteer" { 5 } else { 1 }}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, request) = staff
        .post_json(
            "/api/v1/requests",
            &json!({
                "kind": "access", "volunteer_id": volunteer, "requester_name": "张秀英",
                "requester_relation": "self", "channel": "in_person",
                "received_on": crate::harness::today(), "identity_check": "核对身份证"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let sheets = crate::privacy::copy(
        &staff,
        &format!(
            "/api/v1/requests/{}/export?format=xlsx",
            request["id"].as_str().unwrap()
        ),
    )
    .await;
    let text = format!("{sheets:?}");
    assert!(
        text.contains("她说最近工作忙"),
        "the check-in with her: {text}"
    );
    assert!(
        !text.contains("奶奶很满意这次结对"),
        "the guardian's check-in is the child's"
    );
    let surveys = sheets
        .iter()
        .find(|(name, _)| name.contains("结对关系问卷"))
        .expect("a surveys sheet");
    assert_eq!(
        surveys.1.len(),
        3,
        "a title, the headings and her survey: {surveys:?}"
    );
    assert!(surveys.1[2].contains(&"4".to_owned()) && surveys.1[2].contains(&"5".to_owned()));
}
