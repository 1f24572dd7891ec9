//! Pairing: every guard, concurrent pairings, suggestions, the batch page, closing.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::fixtures::{self, LONGJU, YUNDING};
use crate::harness::{Browser, PASSWORD, TestApp, assert_error};

/// 雒城街道, another township of 广汉市.
const LUOCHENG: &str = "510681001";

async fn pairings_of(db: &PgPool, child: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM pairing WHERE child_id = $1")
        .bind(child)
        .fetch_one(db)
        .await
        .unwrap()
}

async fn child_status(db: &PgPool, child: Uuid) -> String {
    sqlx::query_scalar("SELECT status::text FROM child WHERE id = $1")
        .bind(child)
        .fetch_one(db)
        .await
        .unwrap()
}

async fn pair(staff: &Browser, child: Uuid, volunteer: Uuid) -> (StatusCode, Value) {
    staff
        .post_json(
            "/api/v1/pairings",
            &json!({ "child_id": child.to_string(), "volunteer_id": volunteer.to_string() }),
        )
        .await
}

async fn set_skills(db: &PgPool, volunteer: Uuid, skills: &[&str]) {
    sqlx::query("UPDATE volunteer SET skills = $2, name = $3 WHERE id = $1")
        .bind(volunteer)
        .bind(skills)
        .bind(format!("志愿者{}", &volunteer.to_string()[..4]))
        .execute(db)
        .await
        .unwrap();
}

/// The suggestions for `child` when staff search the name of `volunteer`.
async fn search_by_name(staff: &Browser, db: &PgPool, child: Uuid, volunteer: Uuid) -> Value {
    let name: String = sqlx::query_scalar("SELECT name FROM volunteer WHERE id = $1")
        .bind(volunteer)
        .fetch_one(db)
        .await
        .unwrap();
    let path = format!("/api/v1/children/{child}/match-suggestions?q={name}");
    staff.get_json(&path).await.1
}

#[tokio::test]
async fn a_pairing_is_made_and_the_child_becomes_paired() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let child = fixtures::pairable_child(p, station).await;
    let (staff, _) = app.logged_in("staff", "510681").await;

    let (status, body) = pair(&staff, child, volunteer).await;

    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["child_id"], child.to_string());
    assert_eq!(body["status"], "active");
    assert_eq!(body["health"], "new");
    assert_eq!(body["station_id"], station.to_string());
    assert_eq!(child_status(p, child).await, "paired");
    let id = body["id"].as_str().unwrap();
    let (status, got) = staff.get_json(&format!("/api/v1/pairings/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["version"], body["version"]);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE entity = 'pairing' AND action = 'create'",
    )
    .fetch_one(p)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn every_guard_refuses_with_its_code_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let active = fixtures::volunteer(p, station, "active", 1).await;

    // No pairing consent: only the registration consent.
    let (no_consent, guardian) = fixtures::child(p, station).await;
    fixtures::consent(p, no_consent, guardian, "registration").await;
    let (status, body) = pair(&staff, no_consent, active).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "consent_missing");
    assert!(
        body["error"]["fields"]["child_id"]
            .as_str()
            .unwrap()
            .contains("李小雨")
    );
    assert_eq!(pairings_of(p, no_consent).await, 0);

    // A trained volunteer is not active yet.
    let trained = fixtures::volunteer(p, station, "trained", 2).await;
    let child = fixtures::pairable_child(p, station).await;
    let (status, body) = pair(&staff, child, trained).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "volunteer_not_active");
    assert_eq!(pairings_of(p, child).await, 0);

    // The child is already paired.
    let (status, _) = pair(&staff, child, active).await;
    assert_eq!(status, StatusCode::CREATED);
    let other = fixtures::volunteer(p, station, "active", 2).await;
    let (status, body) = pair(&staff, child, other).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "child_already_paired");
    assert_eq!(pairings_of(p, child).await, 1);

    // The volunteer (capacity 1) has no place left.
    let second = fixtures::pairable_child(p, station).await;
    let (status, body) = pair(&staff, second, active).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "volunteer_at_capacity");
    assert_eq!(pairings_of(p, second).await, 0);
    assert_eq!(child_status(p, second).await, "registered");

    // An exited child.
    let exited = fixtures::pairable_child(p, station).await;
    sqlx::query("UPDATE child SET status = 'exited', exit_reason = 'family_moved', exited_on = DATE '2026-06-01' WHERE id = $1")
        .bind(exited)
        .execute(p)
        .await
        .unwrap();
    let (status, body) = pair(&staff, exited, other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "child_exited");

    // Records outside the caller's county are unknown to her.
    let far = fixtures::station(p, YUNDING).await;
    let far_child = fixtures::pairable_child(p, far).await;
    let far_volunteer = fixtures::volunteer(p, far, "active", 2).await;
    let (status, body) = pair(&staff, far_child, other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["child_id"].is_string());
    let (status, body) = pair(&staff, second, far_volunteer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["volunteer_id"].is_string());
    assert_eq!(
        pairings_of(p, far_child).await + pairings_of(p, second).await,
        0
    );

    // A pairing starting before the consent was given is not covered by it.
    let early = fixtures::pairable_child(p, station).await;
    let (status, body) = staff
        .post_json(
            "/api/v1/pairings",
            &json!({ "child_id": early, "volunteer_id": other, "started_on": "2026-03-01" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "consent_missing");

    // Malformed input names its fields.
    let (status, body) = staff
        .post_json(
            "/api/v1/pairings",
            &json!({ "child_id": "x", "started_on": "2030-01-01" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &body["error"]["fields"];
    assert!(fields["child_id"].is_string() && fields["volunteer_id"].is_string());
    assert!(fields["started_on"].is_string(), "a future start: {fields}");
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM pairing")
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(total, 1, "only the one good pairing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_simultaneous_pairings_of_one_child_make_exactly_one() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let child = fixtures::pairable_child(p, station).await;
    let mut volunteers = Vec::new();
    for _ in 0..20 {
        volunteers.push(fixtures::volunteer(p, station, "active", 2).await);
    }
    let (staff, _) = app.logged_in("staff", "510681").await;

    let results = all_at_once(&staff, volunteers.iter().map(|v| (child, *v)).collect()).await;

    let created = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::CONFLICT);
        assert_error(body, "child_already_paired");
    }
    assert_eq!(pairings_of(p, child).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_simultaneous_pairings_for_a_volunteers_last_place_make_exactly_one() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let first = fixtures::pairable_child(p, station).await;
    fixtures::pair(p, first, volunteer, station).await.unwrap();
    let mut children = Vec::new();
    for _ in 0..10 {
        children.push(fixtures::pairable_child(p, station).await);
    }
    let (staff, _) = app.logged_in("staff", "510681").await;

    let results = all_at_once(&staff, children.iter().map(|c| (*c, volunteer)).collect()).await;

    let created = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::CONFLICT);
        assert_error(body, "volunteer_at_capacity");
    }
    let active: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pairing WHERE volunteer_id = $1 AND status = 'active'",
    )
    .bind(volunteer)
    .fetch_one(p)
    .await
    .unwrap();
    assert_eq!(active, 2);
}

/// Sends every pairing at once, each from its own task (so they really overlap on the
/// server), and collects the answers.
async fn all_at_once(staff: &Browser, pairs: Vec<(Uuid, Uuid)>) -> Vec<(StatusCode, Value)> {
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(pairs.len()));
    let tasks: Vec<_> = pairs
        .into_iter()
        .map(|(child, volunteer)| {
            let (staff, start) = (staff.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                pair(&staff, child, volunteer).await
            })
        })
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_withdrawn_consent_blocks_a_new_pairing_and_keeps_the_history() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let (child, guardian) = fixtures::child(p, station).await;
    let consent = fixtures::consent(p, child, guardian, "pairing").await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let (_, made) = pair(&staff, child, volunteer).await;
    let id = made["id"].as_str().unwrap().to_owned();
    let (status, closed) = staff
        .post_json(
            &format!("/api/v1/pairings/{id}/close"),
            &json!({ "closure_reason": "guardian_request", "version": made["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");

    let (status, _) = staff
        .post_json(
            &format!("/api/v1/consents/{consent}/withdraw"),
            &json!({ "withdrawn_on": "2026-11-01" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = pair(&staff, child, volunteer).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "consent_missing");
    let (_, history) = staff
        .get_json(&format!("/api/v1/pairings?child_id={child}"))
        .await;
    assert_eq!(history["total"], 1);
    assert_eq!(history["items"][0]["status"], "closed");
    assert_eq!(history["items"][0]["closure_reason"], "guardian_request");
    let page = staff
        .get(&format!("/children/{child}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("监护人要求") && page.contains(&format!("/pairings/{id}")));
}

#[tokio::test]
async fn closing_returns_the_child_to_waiting_and_keeps_both_histories() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 1).await;
    let child = fixtures::pairable_child(p, station).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let (_, made) = pair(&staff, child, volunteer).await;
    let id = made["id"].as_str().unwrap().to_owned();
    let close = format!("/api/v1/pairings/{id}/close");

    // A concern must be described; a stale version is refused; neither changes anything.
    let (status, body) = staff
        .post_json(
            &close,
            &json!({ "closure_reason": "safeguarding_concern", "version": made["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["closure_note"].is_string());
    // `transferred` is the transfer's own reason, not one to choose by hand.
    let (status, body) = staff
        .post_json(
            &close,
            &json!({ "closure_reason": "transferred", "version": made["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["closure_reason"].is_string());
    let (status, body) = staff
        .post_json(
            &close,
            &json!({ "closure_reason": "family_moved", "version": 99 }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "stale_version");
    assert_eq!(body["error"]["current"]["status"], "active");
    assert_eq!(child_status(p, child).await, "paired");

    let (status, closed) = staff
        .post_json(
            &close,
            &json!({ "closure_reason": "family_moved", "closure_note": "随父母去成都", "version": made["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["status"], "closed");
    assert!(closed["health"].is_null());
    assert_eq!(child_status(p, child).await, "registered");
    let (status, body) = staff
        .post_json(
            &close,
            &json!({ "closure_reason": "other", "closure_note": "x", "version": closed["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "pairing_closed");

    // The child can be paired again, and the volunteer's place is free again.
    let (status, _) = pair(&staff, child, volunteer).await;
    assert_eq!(status, StatusCode::CREATED);
    let volunteer_page = staff
        .get(&format!("/volunteers/{volunteer}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(volunteer_page.contains("家庭迁居") && volunteer_page.contains("新结对"));
}

#[tokio::test]
async fn suggestions_rank_near_fitting_volunteers_first_and_explain_the_ineligible() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let across_town = fixtures::station(p, LUOCHENG).await;
    let child = fixtures::pairable_child(p, station).await;
    sqlx::query("UPDATE child SET needs = '{academic,emotional}' WHERE id = $1")
        .bind(child)
        .execute(p)
        .await
        .unwrap();
    let same_station = fixtures::volunteer(p, station, "active", 2).await;
    set_skills(p, same_station, &["学业辅导", "心理疏导"]).await;
    let same_county = fixtures::volunteer(p, across_town, "active", 2).await;
    set_skills(p, same_county, &["烹饪"]).await;
    let full = fixtures::volunteer(p, station, "active", 1).await;
    set_skills(p, full, &["学业辅导"]).await;
    let other_child = fixtures::pairable_child(p, station).await;
    fixtures::pair(p, other_child, full, station).await.unwrap();
    let applied = fixtures::volunteer(p, station, "applied", 2).await;
    set_skills(p, applied, &["学业辅导"]).await;
    let (staff, _) = app.logged_in("staff", "510681").await;

    let (status, body) = staff
        .get_json(&format!("/api/v1/children/{child}/match-suggestions"))
        .await;

    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["volunteer_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [same_station.to_string(), same_county.to_string()],
        "nearest and fitting first; never the full or the unscreened: {body}"
    );
    let best = &body["items"][0];
    assert_eq!(best["proximity"], "same_station");
    assert_eq!(best["fitting_skills"], json!(["学业辅导", "心理疏导"]));
    assert!(best["explanation"].as_str().unwrap().contains("同一驿站"));
    assert_eq!(body["items"][1]["proximity"], "same_county");
    assert_eq!(body["total"], 2);

    // Looking for a volunteer by name shows why she cannot be paired.
    let found = search_by_name(&staff, p, child, full).await;
    assert_eq!(found["items"][0]["eligible"], false);
    assert!(
        found["items"][0]["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("at_capacity"))
    );
    let found = search_by_name(&staff, p, child, applied).await;
    assert_eq!(found["items"][0]["eligible"], false);
    assert!(
        found["items"][0]["explanation"]
            .as_str()
            .unwrap()
            .contains("已报名")
    );
}

#[tokio::test]
async fn staff_pair_a_child_in_three_clicks_from_the_childs_page() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let child = fixtures::pairable_child(p, station).await;
    let (staff, _) = app.logged_in("staff", "510681").await;

    // 1: the child's page offers the pairing.
    let child_page = staff
        .get(&format!("/children/{child}"))
        .await
        .text()
        .await
        .unwrap();
    let link = format!("/pairings/new?child_id={child}");
    assert!(child_page.contains(&link));
    // 2: the suggestions, each a choice.
    let new_page = staff.get(&link).await.text().await.unwrap();
    assert!(new_page.contains(&format!(r#"name="volunteer_id" value="{volunteer}""#)));
    assert!(new_page.contains("同一驿站"));
    // 3: confirm.
    let done = staff
        .post_form(
            "/pairings",
            &[
                ("child_id", &child.to_string()),
                ("volunteer_id", &volunteer.to_string()),
                ("started_on", &crate::harness::today()),
                ("agreement_signed_on", ""),
                ("first_activity_id", ""),
            ],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let record = done.headers()["location"].to_str().unwrap().to_owned();
    let page = staff.get(&record).await.text().await.unwrap();
    assert!(page.contains("结对成功") && page.contains("新结对"));

    // A second pairing is refused, saying with whom she is paired; her page offers no form.
    let again = staff
        .post_form(
            "/pairings",
            &[
                ("child_id", &child.to_string()),
                ("volunteer_id", &volunteer.to_string()),
                ("started_on", "2026-10-01"),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let html = again.text().await.unwrap();
    assert!(html.contains("已与") && !html.contains(r#"action="/pairings""#));
}

#[tokio::test]
async fn the_batch_page_writes_all_pairs_or_none_and_explains_the_bad_one() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let event: Uuid = sqlx::query_scalar(
        "INSERT INTO activity (station_id, kind, title, held_on) VALUES ($1, 'ice_breaking', '破冰游戏', DATE '2026-10-01') RETURNING id",
    )
    .bind(station)
    .fetch_one(p)
    .await
    .unwrap();
    let mut children = Vec::new();
    for _ in 0..5 {
        children.push(fixtures::pairable_child(p, station).await);
    }
    let mut volunteers = Vec::new();
    for _ in 0..4 {
        volunteers.push(fixtures::volunteer(p, station, "active", 1).await);
    }
    let trained = fixtures::volunteer(p, station, "trained", 2).await;
    let (staff, _) = app.logged_in("staff", "510681").await;

    let page = staff
        .get(&format!(
            "/pairings/batch?station_id={station}&activity_id={event}"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("破冰游戏") && page.contains(&children[4].to_string()));

    let posted = |fifth: Uuid| {
        let mut form: Vec<(String, String)> = vec![
            ("station_id".into(), station.to_string()),
            ("activity_id".into(), event.to_string()),
            ("started_on".into(), "2026-10-02".into()),
        ];
        for (i, child) in children.iter().enumerate() {
            form.push(("child_id".into(), child.to_string()));
            let volunteer = if i < 4 { volunteers[i] } else { fifth };
            form.push(("volunteer_id".into(), volunteer.to_string()));
        }
        form
    };
    let form = posted(trained);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let refused = staff.post_form("/pairings/batch", &pairs).await;

    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("一对也没有保存"));
    assert!(
        html.contains("不是在岗的爱心妈妈"),
        "the bad pair is explained"
    );
    assert!(html.contains(&format!(r#"<option value="{}" selected>"#, volunteers[0])));
    let written: i64 = sqlx::query_scalar("SELECT count(*) FROM pairing")
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(written, 0, "nothing is written");

    // The fifth child paired with the first volunteer too: she has one place only.
    let form = posted(volunteers[0]);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let refused = staff.post_form("/pairings/batch", &pairs).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("名额已满"));

    // Four good pairs, the fifth child left for later.
    let mut form = posted(volunteers[0]);
    form.last_mut().unwrap().1 = String::new();
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let done = staff.post_form("/pairings/batch", &pairs).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let linked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pairing WHERE first_activity_id = $1 AND status = 'active'",
    )
    .bind(event)
    .fetch_one(p)
    .await
    .unwrap();
    assert_eq!(linked, 4);
    assert_eq!(child_status(p, children[4]).await, "registered");
}

#[tokio::test]
async fn health_follows_the_contacts_and_filters_the_list() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 3).await;
    let quiet = fixtures::pairable_child(p, station).await;
    let busy = fixtures::pairable_child(p, station).await;
    let quiet_pairing = fixtures::pair(p, quiet, volunteer, station).await.unwrap();
    let busy_pairing = fixtures::pair(p, busy, volunteer, station).await.unwrap();
    sqlx::query(
        "INSERT INTO contact (pairing_id, contacted_on, mode) VALUES ($1, (now() AT TIME ZONE 'Asia/Shanghai')::date - 3, 'home_visit'), ($1, (now() AT TIME ZONE 'Asia/Shanghai')::date - 40, 'call')",
    )
    .bind(busy_pairing)
    .execute(p)
    .await
    .unwrap();
    let (staff, _) = app.logged_in("staff", "510681").await;

    let (_, due) = staff.get_json("/api/v1/pairings?health=overdue").await;
    let (_, fine) = staff.get_json("/api/v1/pairings?health=on_track").await;
    let (_, busy_record) = staff
        .get_json(&format!("/api/v1/pairings/{busy_pairing}"))
        .await;

    assert_eq!(due["total"], 1);
    assert_eq!(due["items"][0]["id"], quiet_pairing.to_string());
    assert_eq!(fine["total"], 1);
    assert_eq!(busy_record["contact_count"], 2);
    assert_eq!(busy_record["health"], "on_track");
    assert_eq!(busy_record["version"], 1, "bookkeeping is not an edit");
    let page = staff
        .get(&format!("/pairings/{busy_pairing}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("家访") && page.contains("联系正常"));
    let waiting = staff.get("/pairings/waiting").await.text().await.unwrap();
    assert!(waiting.contains("目前没有等待结对的儿童"));
}

#[tokio::test]
async fn station_managers_pair_only_at_their_own_stations_and_volunteers_read_their_own() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let own = fixtures::station(p, LONGJU).await;
    let other = fixtures::station(p, LUOCHENG).await;
    let own_volunteer = fixtures::volunteer(p, own, "active", 2).await;
    let other_volunteer = fixtures::volunteer(p, other, "active", 2).await;
    let own_child = fixtures::pairable_child(p, own).await;
    let other_child = fixtures::pairable_child(p, other).await;
    let manager = app.station_manager(&[own]).await;
    let browser = app.browser();
    browser.log_in(&manager.username, PASSWORD).await;

    let (status, _) = pair(&browser, other_child, other_volunteer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = pair(&browser, own_child, other_volunteer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, made) = pair(&browser, own_child, own_volunteer).await;
    assert_eq!(status, StatusCode::CREATED);

    let other_pairing = fixtures::pair(p, other_child, other_volunteer, other)
        .await
        .unwrap();
    let volunteer_user = app.volunteer_user(own_volunteer).await;
    let mother = app.browser();
    mother.log_in(&volunteer_user.username, PASSWORD).await;
    let (status, _) = mother
        .get_json(&format!(
            "/api/v1/pairings/{}",
            made["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = mother
        .get_json(&format!("/api/v1/pairings/{other_pairing}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, mine) = mother.get_json("/api/v1/pairings").await;
    assert_eq!(mine["total"], 1);
    let (status, _) = pair(&mother, other_child, own_volunteer).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Tries a pairing with plain SQL, the way a hand-made fix in psql would, and undoes it: the
/// database's own answer to the same input the service is asked.
async fn pair_by_sql(
    db: &PgPool,
    (child, volunteer, station): (Uuid, Uuid, Uuid),
    started_on: &str,
    first_activity: Option<Uuid>,
) -> Result<Uuid, sqlx::Error> {
    let mut tx = db.begin().await.unwrap();
    let made = sqlx::query_scalar(
        "INSERT INTO pairing (child_id, volunteer_id, station_id, started_on, first_activity_id)
         VALUES ($1, $2, $3, $4::date, $5) RETURNING id",
    )
    .bind(child)
    .bind(volunteer)
    .bind(station)
    .bind(started_on)
    .bind(first_activity)
    .fetch_one(&mut *tx)
    .await;
    tx.rollback().await.unwrap();
    made
}

/// What the service answers when the database refuses: status and code.
fn answered(refused: Result<Uuid, sqlx::Error>) -> (u16, &'static str) {
    let e = aixin::web::error::AppError::from(refused.unwrap_err());
    (e.status().as_u16(), e.code())
}

#[tokio::test]
async fn the_service_and_the_database_judge_the_consent_on_the_first_day_alike() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 10).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let start = "2026-05-01";

    // (the day the guardian consented, whether a pairing starting on 2026-05-01 is made)
    for (given, accepted) in [("2026-05-02", false), ("2026-05-01", true)] {
        let (child, guardian) = fixtures::child(p, station).await;
        sqlx::query(
            "INSERT INTO consent (child_id, guardian_id, scope, given_on, method)
             VALUES ($1, $2, 'pairing', $3::date, 'signed_form')",
        )
        .bind(child)
        .bind(guardian)
        .bind(given)
        .execute(p)
        .await
        .unwrap();

        let by_sql = pair_by_sql(p, (child, volunteer, station), start, None).await;
        let (status, body) = staff
            .post_json(
                "/api/v1/pairings",
                &json!({ "child_id": child, "volunteer_id": volunteer, "started_on": start }),
            )
            .await;

        if accepted {
            assert!(by_sql.is_ok(), "given {given}: {by_sql:?}");
            assert_eq!(status, StatusCode::CREATED, "given {given}: {body}");
        } else {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "given {given}");
            assert_error(&body, "consent_missing");
            let refused = pair_by_sql(p, (child, volunteer, station), start, None).await;
            assert_eq!(answered(refused), (422, "consent_missing"));
            assert_eq!(fixtures::violated(by_sql), "pairing_consent_current");
            assert_eq!(pairings_of(p, child).await, 0);
        }
    }
}

#[tokio::test]
async fn the_service_and_the_database_refuse_a_second_pairing_and_a_full_volunteer_alike() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let full = fixtures::volunteer(p, station, "active", 1).await;
    let other = fixtures::volunteer(p, station, "active", 2).await;
    let paired = fixtures::pairable_child(p, station).await;
    let waiting = fixtures::pairable_child(p, station).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let (status, _) = pair(&staff, paired, full).await;
    assert_eq!(status, StatusCode::CREATED);
    let today = crate::harness::today();

    // The paired child with another volunteer.
    let (status, body) = pair(&staff, paired, other).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "child_already_paired");
    let by_sql = pair_by_sql(p, (paired, other, station), &today, None).await;
    assert_eq!(
        fixtures::violated(pair_by_sql(p, (paired, other, station), &today, None).await),
        "pairing_one_active_per_child"
    );
    assert_eq!(answered(by_sql), (409, "child_already_paired"));

    // The full volunteer with a waiting child.
    let (status, body) = pair(&staff, waiting, full).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "volunteer_at_capacity");
    let by_sql = pair_by_sql(p, (waiting, full, station), &today, None).await;
    assert_eq!(
        fixtures::violated(pair_by_sql(p, (waiting, full, station), &today, None).await),
        "pairing_volunteer_capacity"
    );
    assert_eq!(answered(by_sql), (409, "volunteer_at_capacity"));

    // With a place and a free child, both accept.
    assert!(
        pair_by_sql(p, (waiting, other, station), &today, None)
            .await
            .is_ok()
    );
    let (status, _) = pair(&staff, waiting, other).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_service_and_the_database_hold_the_first_meeting_to_one_rule() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let elsewhere = fixtures::station(p, fixtures::HANZHOU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 10).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let event = |at: Uuid, kind: &'static str, day: &'static str| async move {
        sqlx::query_scalar::<_, Uuid>(
            "INSERT INTO activity (station_id, kind, title, held_on)
             VALUES ($1, $2::activity_kind, '见面会', $3::date) RETURNING id",
        )
        .bind(at)
        .bind(kind)
        .bind(day)
        .fetch_one(p)
        .await
        .unwrap()
    };
    let start = "2026-05-01";
    let pair_after = |child: Uuid, first: Uuid| {
        let staff = staff.clone();
        async move {
            staff
                .post_json(
                    "/api/v1/pairings",
                    &json!({ "child_id": child, "volunteer_id": volunteer,
                             "started_on": start, "first_activity_id": first }),
                )
                .await
        }
    };

    // Not an ice-breaking event; another station's; held after the start.
    for first in [
        event(station, "tutoring", "2026-04-20").await,
        event(elsewhere, "ice_breaking", "2026-04-20").await,
        event(station, "ice_breaking", "2026-05-02").await,
    ] {
        let child = fixtures::pairable_child(p, station).await;
        let by_sql = pair_by_sql(p, (child, volunteer, station), start, Some(first)).await;
        assert_eq!(
            fixtures::violated(
                pair_by_sql(p, (child, volunteer, station), start, Some(first)).await
            ),
            "pairing_first_meeting"
        );
        assert_eq!(answered(by_sql), (422, "validation_failed"));
        let (status, body) = pair_after(child, first).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_error(&body, "validation_failed");
        assert!(
            body["error"]["fields"]["first_activity_id"].is_string(),
            "{body}"
        );
        assert_eq!(pairings_of(p, child).await, 0);
    }

    // An ice-breaking event at the station on the first day: both accept.
    let good = event(station, "ice_breaking", start).await;
    let child = fixtures::pairable_child(p, station).await;
    assert!(
        pair_by_sql(p, (child, volunteer, station), start, Some(good))
            .await
            .is_ok()
    );
    let (status, body) = pair_after(child, good).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["first_activity_id"], good.to_string());
}

#[tokio::test]
async fn the_pairing_pages_ask_the_same_consent_question_as_the_pairing() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    // A consent dated tomorrow is not in force today: no pairing starting today is made on it.
    let (child, guardian) = fixtures::child(p, station).await;
    sqlx::query(
        "INSERT INTO consent (child_id, guardian_id, scope, given_on, method)
         VALUES ($1, $2, 'pairing', (now() AT TIME ZONE 'Asia/Shanghai')::date + 1, 'signed_form')",
    )
    .bind(child)
    .bind(guardian)
    .execute(p)
    .await
    .unwrap();
    let (staff, _) = app.logged_in("staff", "510681").await;

    let (status, body) = pair(&staff, child, volunteer).await;
    let new_page = staff
        .get(&format!("/pairings/new?child_id={child}"))
        .await
        .text()
        .await
        .unwrap();
    let waiting = staff.get("/pairings/waiting").await.text().await.unwrap();

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "consent_missing");
    assert!(
        new_page.contains("缺少监护人有效的结对同意书")
            && !new_page.contains("已有有效的结对同意书")
    );
    assert!(waiting.contains("先补监护人结对同意书"));
    assert!(!waiting.contains(&format!("/pairings/new?child_id={child}")));
}

#[tokio::test]
async fn a_refused_database_write_is_answered_by_the_pairing_rule_it_breaks() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let child = fixtures::pairable_child(p, station).await;
    let pairing = fixtures::pair(p, child, volunteer, station).await.unwrap();

    // Closing before the start, the way the service refuses it: on the end date's field.
    let early = sqlx::query(
        "UPDATE pairing SET status = 'closed', ended_on = DATE '2026-04-01',
                            closure_reason = 'other' WHERE id = $1",
    )
    .bind(pairing)
    .execute(p)
    .await;
    match aixin::web::error::AppError::from(early.unwrap_err()) {
        aixin::web::error::AppError::Unprocessable { code, fields } => {
            assert_eq!(code, "validation_failed");
            assert_eq!(fields["ended_on"].key, "error.ended_before_start");
        }
        other => panic!("{other:?}"),
    }
    let (staff, _) = app.logged_in("staff", "510681").await;
    let (status, body) = staff
        .post_json(
            &format!("/api/v1/pairings/{pairing}/close"),
            &json!({ "closure_reason": "other", "closure_note": "x", "ended_on": "2026-04-01", "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["ended_on"].is_string(), "{body}");

    // A child leaves the programme only once her pairing is closed.
    let exit = sqlx::query(
        "UPDATE child SET status = 'exited', exit_reason = 'family_moved',
                          exited_on = DATE '2026-07-01' WHERE id = $1",
    )
    .bind(child)
    .execute(p)
    .await
    .map(|_| Uuid::nil());
    assert_eq!(answered(exit), (409, "child_has_active_pairing"));
}
