//! Follow-ups: flagged on a contact or a check-in, seen by the person assigned and by no one
//! beyond the pairing's scope, done once with a note that the volunteer reads as a reply, and
//! erased with the child.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::{self, LONGJU};
use crate::harness::{Browser, PASSWORD, TestApp, TestUser, assert_error, today};

/// A pairing at 龙居 (广汉市) with a contact its volunteer logged, county staff and the
/// station's manager logged in, and the volunteer logged in.
struct World {
    station: Uuid,
    child: Uuid,
    pairing: Uuid,
    contact: Uuid,
    staff: Browser,
    staff_user: TestUser,
    manager: Browser,
    manager_user: TestUser,
    mother: Browser,
}

const ACTION: &str = "给班主任打电话问问期中考试";

async fn world(app: &TestApp) -> World {
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let child = fixtures::pairable_child(p, station).await;
    sqlx::query("UPDATE child SET name = '王小雨' WHERE id = $1")
        .bind(child)
        .execute(p)
        .await
        .unwrap();
    let pairing = fixtures::pair(p, child, volunteer, station).await.unwrap();
    let account = app.volunteer_user(volunteer).await;
    let mother = app.browser();
    mother.log_in(&account.username, PASSWORD).await;
    let (status, contact) = mother
        .post_json(
            &format!("/api/v1/pairings/{pairing}/contacts"),
            &json!({"mode": "home_visit", "duration_minutes": 40, "note": "一起写作业",
                    "concern_category": "school", "concern_detail": "数学跟不上"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contact}");
    let contact = contact["id"].as_str().unwrap().parse().unwrap();
    let (staff, staff_user) = app.logged_in("staff", "510681").await;
    let manager_user = app.station_manager(&[station]).await;
    let manager = app.browser();
    manager.log_in(&manager_user.username, PASSWORD).await;
    World {
        station,
        child,
        pairing,
        contact,
        staff,
        staff_user,
        manager,
        manager_user,
        mother,
    }
}

async fn follow_ups(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM follow_up")
        .fetch_one(app.pool())
        .await
        .unwrap()
}

/// Staff flag the contact for the manager; answers the follow-up.
async fn flagged(w: &World) -> Value {
    let (status, body) = w
        .staff
        .post_json(
            "/api/v1/follow-ups",
            &json!({"contact_id": w.contact, "assignee_id": w.manager_user.id,
                    "action": ACTION, "due_on": today()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

#[tokio::test]
async fn a_follow_up_reaches_its_assignee_and_no_one_beyond_the_pairings_scope() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let w = world(&app).await;
    let f = flagged(&w).await;
    assert_eq!(f["pairing_id"], json!(w.pairing));
    assert_eq!(f["contact_id"], json!(w.contact));
    assert_eq!(f["check_in_id"], Value::Null);
    assert_eq!(f["assignee_name"], json!(w.manager_user.username));
    assert_eq!(f["created_by"], json!(w.staff_user.username));
    assert_eq!(f["status"], json!("open"));
    assert_eq!(f["overdue"], json!(false));
    assert_eq!(f["child_name"], json!("王小雨"));
    assert_eq!(f["version"], json!(1));
    let id = f["id"].as_str().unwrap().to_owned();

    // Her list holds it; so does the county's, not as theirs.
    let (status, mine) = w.manager.get_json("/api/v1/follow-ups?assignee=me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine["total"], json!(1));
    assert_eq!(mine["items"][0]["id"], json!(id));
    assert_eq!(mine["page"], json!(1));
    let (_, theirs) = w.staff.get_json("/api/v1/follow-ups?assignee=me").await;
    assert_eq!(theirs["total"], json!(0));
    let (_, all) = w
        .staff
        .get_json(&format!("/api/v1/follow-ups?pairing_id={}", w.pairing))
        .await;
    assert_eq!(all["total"], json!(1));
    let (status, one) = w
        .manager
        .get_json(&format!("/api/v1/follow-ups/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["action"], json!(ACTION));

    // Another county's staff: not in their list, 404 on it, and its contact names nothing.
    let (elsewhere, _) = app.logged_in("staff", "510623").await;
    let (_, list) = elsewhere.get_json("/api/v1/follow-ups").await;
    assert_eq!(list["total"], json!(0));
    assert_eq!(list["items"], json!([]));
    let (status, _) = elsewhere
        .get_json(&format!("/api/v1/follow-ups/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = elsewhere
        .post_json(
            &format!("/api/v1/follow-ups/{id}/done"),
            &json!({"note": "我来处理", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = elsewhere
        .post_json(
            "/api/v1/follow-ups",
            &json!({"contact_id": w.contact, "assignee_id": w.manager_user.id,
                    "action": ACTION, "due_on": today()}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["contact_id"].is_string());
    let page = elsewhere
        .get("/follow-ups?assignee=all")
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains(ACTION) && page.contains("还没有跟进事项"));

    // A manager of another station neither.
    let other_station = fixtures::station(p, LONGJU).await;
    let other_manager = app.station_manager(&[other_station]).await;
    let other = app.browser();
    other.log_in(&other_manager.username, PASSWORD).await;
    let (status, _) = other.get_json(&format!("/api/v1/follow-ups/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The volunteer uses none of it.
    let (status, _) = w.mother.get_json("/api/v1/follow-ups").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = w.mother.get_json(&format!("/api/v1/follow-ups/{id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Filed under the station's region, as flagged by the county.
    let filed: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT action::text, record_region_code FROM audit_event WHERE entity = 'follow_up'",
    )
    .fetch_all(p)
    .await
    .unwrap();
    assert_eq!(filed, [("create".to_owned(), Some(LONGJU.to_owned()))]);
    let _ = w.station;
}

#[tokio::test]
async fn a_follow_up_is_checked_and_nothing_is_written_when_refused() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let w = world(&app).await;
    let valid = json!({"contact_id": w.contact, "assignee_id": w.manager_user.id,
                       "action": ACTION, "due_on": today()});
    let refused = |change: &dyn Fn(&mut Value)| {
        let mut body = valid.clone();
        change(&mut body);
        body
    };
    let yesterday = (aixin::domain::today() - time::Duration::days(1)).to_string();
    let another_county = app.regional_user("staff", "510623").await;
    let volunteer_user: Uuid =
        sqlx::query_scalar("SELECT id FROM app_user WHERE role = 'volunteer'")
            .fetch_one(p)
            .await
            .unwrap();
    let cases: Vec<(Value, &str)> = vec![
        (
            refused(&|b| b["check_in_id"] = json!(Uuid::new_v4())),
            "contact_id",
        ),
        (refused(&|b| b["contact_id"] = Value::Null), "contact_id"),
        (
            refused(&|b| b["contact_id"] = json!(Uuid::new_v4())),
            "contact_id",
        ),
        (
            refused(&|b| b["contact_id"] = json!("not-an-id")),
            "contact_id",
        ),
        (refused(&|b| b["action"] = json!("  ")), "action"),
        (
            refused(&|b| b["action"] = json!("做".repeat(501))),
            "action",
        ),
        (refused(&|b| b["due_on"] = json!(yesterday)), "due_on"),
        (refused(&|b| b["due_on"] = json!("2026-13-01")), "due_on"),
        (refused(&|b| b["assignee_id"] = Value::Null), "assignee_id"),
        (
            refused(&|b| b["assignee_id"] = json!(another_county.id)),
            "assignee_id",
        ),
        (
            refused(&|b| b["assignee_id"] = json!(volunteer_user)),
            "assignee_id",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = w.staff.post_json("/api/v1/follow-ups", &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} → {answer}"
        );
        assert!(
            answer["error"]["fields"][field].is_string(),
            "{body} → {answer}"
        );
    }
    assert_eq!(follow_ups(&app).await, 0, "nothing written");

    // The database refuses the same.
    let insert = |due: String, assignee: Uuid| {
        sqlx::query(
            "INSERT INTO follow_up (pairing_id, contact_id, assignee_id, action, due_on)
             VALUES ($1, $2, $3, '看看', $4::date)",
        )
        .bind(w.pairing)
        .bind(w.contact)
        .bind(assignee)
        .bind(due)
        .execute(p)
    };
    assert_eq!(
        fixtures::violated(insert(yesterday.clone(), w.manager_user.id).await),
        "follow_up_due_from_today"
    );
    assert_eq!(
        fixtures::violated(insert(today(), another_county.id).await),
        "follow_up_assignee_reaches_pairing"
    );

    // Closed: no more follow-ups, by the service or the database.
    sqlx::query(
        "UPDATE pairing SET status = 'closed', ended_on = (now() AT TIME ZONE 'Asia/Shanghai')::date,
                closure_reason = 'family_moved' WHERE id = $1",
    )
    .bind(w.pairing)
    .execute(p)
    .await
    .unwrap();
    let (status, body) = w.staff.post_json("/api/v1/follow-ups", &valid).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "pairing_closed");
    assert_eq!(
        fixtures::violated(insert(today(), w.manager_user.id).await),
        "follow_up_on_running_pairing"
    );
    assert_eq!(follow_ups(&app).await, 0);
    let _ = w.child;
}

#[tokio::test]
async fn a_follow_up_is_done_once_with_a_note_and_the_version_seen() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let w = world(&app).await;
    // On a check-in with the guardian this time.
    let (status, check_in) = w
        .staff
        .post_json(
            &format!("/api/v1/pairings/{}/check-ins", w.pairing),
            &json!({"with": "guardian", "mode": "call", "rating": 2, "flags": ["needs_help"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, f) = w
        .manager
        .post_json(
            "/api/v1/follow-ups",
            &json!({"check_in_id": check_in["id"], "assignee_id": w.staff_user.id,
                    "action": "帮奶奶申请低保", "due_on": today()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    assert_eq!(f["check_in_id"], check_in["id"]);
    let done = format!("/api/v1/follow-ups/{}/done", f["id"].as_str().unwrap());

    let (status, body) = w.staff.post_json(&done, &json!({"version": 1})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["note"].is_string());
    let (status, body) = w
        .staff
        .post_json(&done, &json!({"note": "已递交申请", "version": 7}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "stale_version");
    assert_eq!(body["error"]["current"]["status"], json!("open"));
    assert_eq!(body["error"]["current"]["version"], json!(1));

    let (status, body) = w
        .staff
        .post_json(&done, &json!({"note": "已递交申请", "version": 1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], json!("done"));
    assert_eq!(body["done_note"], json!("已递交申请"));
    assert_eq!(body["done_by"], json!(w.staff_user.username));
    assert!(body["done_at"].is_string());
    assert_eq!(body["version"], json!(2));

    // Done once: again with the current version is 409 `follow_up_done`; the database too.
    let (status, again) = w
        .manager
        .post_json(&done, &json!({"note": "我也办了", "version": 2}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&again, "follow_up_done");
    let redo = sqlx::query("UPDATE follow_up SET done_at = now(), done_note = 'x'")
        .execute(p)
        .await;
    assert_eq!(fixtures::violated(redo), "follow_up_done_once");
    let reassign = sqlx::query("UPDATE follow_up SET assignee_id = $1")
        .bind(w.manager_user.id)
        .execute(p)
        .await;
    assert_eq!(fixtures::violated(reassign), "follow_up_kept");

    // The filters: done, open, overdue (a follow-up past its day, written as if flagged then).
    sqlx::query("ALTER TABLE follow_up DISABLE TRIGGER follow_up_guard")
        .execute(p)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO follow_up (pairing_id, contact_id, assignee_id, action, due_on)
         VALUES ($1, $2, $3, '过期的事', (now() AT TIME ZONE 'Asia/Shanghai')::date - 3)",
    )
    .bind(w.pairing)
    .bind(w.contact)
    .bind(w.staff_user.id)
    .execute(p)
    .await
    .unwrap();
    sqlx::query("ALTER TABLE follow_up ENABLE TRIGGER follow_up_guard")
        .execute(p)
        .await
        .unwrap();
    let count = |path: &'static str| {
        let staff = &w.staff;
        async move { staff.get_json(path).await.1["total"].as_i64().unwrap() }
    };
    assert_eq!(count("/api/v1/follow-ups?status=done").await, 1);
    assert_eq!(count("/api/v1/follow-ups?status=open").await, 1);
    assert_eq!(count("/api/v1/follow-ups?status=overdue").await, 1);
    assert_eq!(count("/api/v1/follow-ups").await, 2);
    let (_, list) = w.staff.get_json("/api/v1/follow-ups?assignee=me").await;
    assert_eq!(list["items"][0]["overdue"], json!(true), "the open first");
    assert_eq!(list["items"][1]["status"], json!("done"));
    let (status, body) = w.staff.get_json("/api/v1/follow-ups?status=late").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["status"].is_string());
}

#[tokio::test]
async fn the_volunteer_reads_the_reply_to_her_contact_and_to_her_concern_on_her_page() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let f = flagged(&w).await;
    let (status, _) = w
        .manager
        .post_json(
            &format!("/api/v1/follow-ups/{}/done", f["id"].as_str().unwrap()),
            &json!({"note": "班主任说会安排课后辅导", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = w
        .staff
        .post_json(
            &format!("/api/v1/contacts/{}/resolve", w.contact),
            &json!({"resolution": "已请志愿者每周辅导数学"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let home = w.mother.get("/me").await.text().await.unwrap();
    assert!(home.contains("工作人员的回复"), "{home}");
    assert!(
        home.contains("班主任说会安排课后辅导"),
        "the follow-up's note"
    );
    assert!(
        home.contains("已请志愿者每周辅导数学"),
        "the concern's resolution"
    );
    assert!(
        home.contains("小雨") && !home.contains("王小雨"),
        "given name only"
    );
    assert!(
        !home.contains(ACTION),
        "what staff set themselves to do is theirs"
    );

    // Another volunteer sees none of it.
    let p = app.pool();
    let other = fixtures::volunteer(p, w.station, "active", 2).await;
    let account = app.volunteer_user(other).await;
    let her = app.browser();
    her.log_in(&account.username, PASSWORD).await;
    let home = her.get("/me").await.text().await.unwrap();
    assert!(!home.contains("班主任说会安排课后辅导") && home.contains("还没有回复"));
}

#[tokio::test]
async fn erasing_the_child_erases_what_was_asked_and_answered() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let w = world(&app).await;
    let done = flagged(&w).await;
    flagged(&w).await;
    let (status, _) = w
        .manager
        .post_json(
            &format!("/api/v1/follow-ups/{}/done", done["id"].as_str().unwrap()),
            &json!({"note": "已和班主任谈过", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    sqlx::query(
        "UPDATE pairing SET status = 'closed', ended_on = (now() AT TIME ZONE 'Asia/Shanghai')::date,
                closure_reason = 'family_moved' WHERE id = $1",
    )
    .bind(w.pairing)
    .execute(p)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE child SET status = 'exited', exit_reason = 'family_moved',
                exited_on = (now() AT TIME ZONE 'Asia/Shanghai')::date WHERE id = $1",
    )
    .bind(w.child)
    .execute(p)
    .await
    .unwrap();
    sqlx::query("SELECT anonymise_child($1)")
        .bind(w.child)
        .execute(p)
        .await
        .unwrap();
    let left: Vec<(String, Option<String>, bool)> = sqlx::query_as(
        "SELECT action, done_note, done_at IS NOT NULL FROM follow_up ORDER BY done_at NULLS LAST",
    )
    .fetch_all(p)
    .await
    .unwrap();
    assert_eq!(
        left,
        [
            ("（已删除）".to_owned(), Some("（已删除）".to_owned()), true),
            ("（已删除）".to_owned(), Some("（已删除）".to_owned()), true),
        ],
        "the text goes, that it was done stays, and an open one is closed with it"
    );
    let (_, list) = w.staff.get_json("/api/v1/follow-ups").await;
    assert!(!list.to_string().contains(ACTION));
}

#[tokio::test]
async fn staff_flag_a_contact_on_the_pairings_page_and_the_manager_marks_it_done_in_her_list() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let record = format!("/pairings/{}", w.pairing);
    let page = w.staff.get(&record).await.text().await.unwrap();
    assert!(page.contains("提出跟进"));
    assert!(
        page.contains(&format!(r#"name="contact_id" value="{}""#, w.contact)),
        "a form beside the contact"
    );
    assert!(
        page.contains(&format!(r#"<option value="{}">"#, w.manager_user.id)),
        "the station's manager may be assigned"
    );

    // Refused: back on the page, open, with what was typed and the summary's links.
    let flag = format!("/pairings/{}/follow-ups", w.pairing);
    let contact = w.contact.to_string();
    let manager = w.manager_user.id.to_string();
    let refused = w
        .staff
        .post_form(
            &flag,
            &[
                ("contact_id", contact.as_str()),
                ("assignee_id", manager.as_str()),
                ("action", ""),
                ("due_on", today().as_str()),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains(r##"<a href="#follow_up_action">"##), "{html}");
    assert!(html.contains(r#"id="follow_up_action""#) && html.contains("<details open>"));
    assert!(html.contains(&format!(r#"<option value="{manager}" selected>"#)));
    assert_eq!(follow_ups(&app).await, 0);

    let saved = w
        .staff
        .post_form(
            &flag,
            &[
                ("contact_id", contact.as_str()),
                ("assignee_id", manager.as_str()),
                ("action", ACTION),
                ("due_on", today().as_str()),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        saved.headers()["location"],
        format!("/pairings/{}#contact-{contact}", w.pairing).as_str()
    );
    let page = w.staff.get(&record).await.text().await.unwrap();
    assert!(page.contains("跟进事项已提出") && page.contains(ACTION));

    // Not the county's to-do; the manager's.
    let list = w.staff.get("/follow-ups").await.text().await.unwrap();
    assert!(list.contains("您没有待办的跟进事项") && !list.contains(ACTION));
    let list = w
        .staff
        .get("/follow-ups?assignee=all")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains(ACTION));
    let list = w.manager.get("/follow-ups").await.text().await.unwrap();
    assert!(list.contains("我的待办") && list.contains(ACTION) && list.contains("标记为已完成"));

    let id: Uuid = sqlx::query_scalar("SELECT id FROM follow_up")
        .fetch_one(app.pool())
        .await
        .unwrap();
    let blank = w
        .manager
        .post_form(
            &format!("/follow-ups/{id}/done"),
            &[("note", " "), ("version", "1"), ("assignee", "me")],
        )
        .await;
    assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blank.text().await.unwrap().contains("<details open>"));
    let done = w
        .manager
        .post_form(
            &format!("/follow-ups/{id}/done"),
            &[
                ("note", "已经和班主任谈过"),
                ("version", "1"),
                ("assignee", "me"),
            ],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let list = w.manager.get("/follow-ups").await.text().await.unwrap();
    assert!(list.contains("跟进事项已完成") && list.contains("已经和班主任谈过"));
    let stale = w
        .manager
        .post_form(
            &format!("/follow-ups/{id}/done"),
            &[("note", "再来一次"), ("version", "1"), ("assignee", "me")],
        )
        .await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);

    // The menu leads there.
    assert!(list.contains(r#"href="/follow-ups""#));
}
