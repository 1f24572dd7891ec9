//! Station life: logging sessions with who came, person-visits, trainings, the correction
//! window, open days and the quick log form.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::{self, HANZHOU, LONGJU};
use crate::harness::{Browser, PASSWORD, TestApp, assert_error};

async fn manager_of(app: &TestApp, station: Uuid) -> Browser {
    let user = app.station_manager(&[station]).await;
    let browser = app.browser();
    browser.log_in(&user.username, PASSWORD).await;
    browser
}

fn today() -> String {
    aixin::domain::today().to_string()
}

fn days_ago(n: i64) -> String {
    (aixin::domain::today() - time::Duration::days(n)).to_string()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.pool()).await.unwrap()
}

#[tokio::test]
async fn a_child_from_another_station_is_refused() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let here = fixtures::station(p, LONGJU).await;
    let there = fixtures::station(p, HANZHOU).await;
    let (ours, _) = fixtures::child(p, here).await;
    let (theirs, _) = fixtures::child(p, there).await;
    let (staff, _) = app.logged_in("staff", "510681").await;

    let (status, body) = staff
        .post_json(
            &format!("/api/v1/stations/{here}/activities"),
            &json!({"kind": "tutoring", "held_on": today(), "child_ids": [ours, theirs]}),
        )
        .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "child_not_at_station");
    assert!(body["error"]["fields"]["child_ids"].is_string());
    assert_eq!(count(&app, "SELECT count(*) FROM activity").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM attendance").await, 0);

    // A correction cannot bring the child in either, and the database refuses it on its own.
    let (_, created) = staff
        .post_json(
            &format!("/api/v1/stations/{here}/activities"),
            &json!({"kind": "tutoring", "held_on": today(), "child_ids": [ours]}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let (status, body) = staff
        .patch_json(
            &format!("/api/v1/activities/{id}"),
            &json!({"child_ids": [ours, theirs], "version": created["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "child_not_at_station");
    let direct =
        sqlx::query("INSERT INTO attendance (activity_id, child_id) VALUES ($1::uuid, $2)")
            .bind(id)
            .bind(theirs)
            .execute(p)
            .await;
    assert_eq!(fixtures::violated(direct), "attendance_child_same_station");
    // The database's refusal is answered as the service's: same code, same field.
    let refusal = aixin::web::Refusal::of_constraint("attendance_child_same_station").unwrap();
    assert_eq!(refusal.code, "child_not_at_station");
    assert_eq!(refusal.field.map(|(f, _)| f), Some("child_ids"));
}

#[tokio::test]
async fn person_visits_are_the_sum_of_the_parts() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let mut children = Vec::new();
    for _ in 0..3 {
        children.push(fixtures::child(p, station).await.0);
    }
    let host = fixtures::volunteer(p, station, "active", 2).await;
    let helper = fixtures::volunteer(p, station, "active", 2).await;
    let manager = manager_of(&app, station).await;

    let (status, a) = manager
        .post_json(
            &format!("/api/v1/stations/{station}/activities"),
            &json!({
                "kind": "heart_to_heart", "title": "周三谈心", "held_on": today(),
                "starts_at": "14:30", "ends_at": "16:00",
                "child_ids": children, "volunteer_ids": [helper], "host_ids": [host],
                "guardian_count": 5, "other_count": 1,
                // Derived, never typed: whatever a client sends is ignored.
                "person_visits": 1000, "child_count": 99
            }),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert_eq!(a["child_count"], 3);
    assert_eq!(a["volunteer_count"], 2);
    assert_eq!(a["person_visits"], 3 + 2 + 5 + 1);
    assert_eq!(a["starts_at"], "14:30");
    assert_eq!(a["children"].as_array().unwrap().len(), 3);
    let hosts: Vec<&Value> = a["volunteers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["is_host"] == true)
        .collect();
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0]["id"], host.to_string());
    let id = a["id"].as_str().unwrap();
    let rows = count(
        &app,
        &format!("SELECT count(*) FROM attendance WHERE activity_id = '{id}'"),
    )
    .await;
    assert_eq!(rows, 5);

    // One child fewer and two more guardians: the sum follows.
    let (status, b) = manager
        .patch_json(
            &format!("/api/v1/activities/{id}"),
            &json!({"child_ids": &children[..2], "guardian_count": 7, "version": a["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["person_visits"], 2 + 2 + 7 + 1);
    assert_eq!(b["volunteer_count"], 2, "absent lists keep who came");
    let (_, got) = manager.get_json(&format!("/api/v1/activities/{id}")).await;
    assert_eq!(got["person_visits"], b["person_visits"]);
    assert_eq!(
        got["person_visits"].as_i64().unwrap(),
        got["child_count"].as_i64().unwrap()
            + got["volunteer_count"].as_i64().unwrap()
            + got["guardian_count"].as_i64().unwrap()
            + got["other_count"].as_i64().unwrap()
    );

    // The station's list carries the same figure.
    let (status, list) = manager
        .get_json(&format!("/api/v1/stations/{station}/activities"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["person_visits"], b["person_visits"]);

    // As a spreadsheet, the export audited.
    let sheet = manager
        .get(&format!(
            "/api/v1/stations/{station}/activities?format=xlsx"
        ))
        .await;
    assert_eq!(sheet.status(), StatusCode::OK);
    assert!(
        sheet.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(sheet.bytes().await.unwrap().starts_with(b"PK"));
    let exports = count(
        &app,
        "SELECT count(*) FROM audit_event WHERE action = 'export' AND entity = 'activities'",
    )
    .await;
    assert_eq!(exports, 1);
}

async fn volunteer_row(app: &TestApp, id: Uuid) -> (String, Option<time::Date>) {
    sqlx::query_as("SELECT status::text, trained_on FROM volunteer WHERE id = $1")
        .bind(id)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_required_training_moves_a_screened_volunteer_to_trained_and_another_topic_does_not() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let learner = fixtures::volunteer(p, station, "screened", 2).await;
    let other = fixtures::volunteer(p, station, "screened", 2).await;
    let manager = manager_of(&app, station).await;
    let held = days_ago(2);

    let (status, body) = manager
        .post_json(
            &format!("/api/v1/stations/{station}/activities"),
            &json!({"kind": "training", "topic": "mental_health", "held_on": held,
                    "volunteer_ids": [other]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["topic"], "mental_health");
    assert_eq!(volunteer_row(&app, other).await, ("screened".into(), None));

    let (status, body) = manager
        .post_json(
            &format!("/api/v1/stations/{station}/activities"),
            &json!({"kind": "training", "topic": "minors_protection_law", "held_on": held,
                    "volunteer_ids": [learner]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, trained_on) = volunteer_row(&app, learner).await;
    assert_eq!(status, "trained");
    assert_eq!(trained_on.unwrap().to_string(), held);
    assert_eq!(volunteer_row(&app, other).await, ("screened".into(), None));

    // The move is audited against the volunteer, and her page lists the trainings.
    let audited = count(
        &app,
        &format!(
            "SELECT count(*) FROM audit_event WHERE entity = 'volunteer' AND entity_id = '{learner}'
             AND action = 'update' AND detail->'fields' ? 'status'"
        ),
    )
    .await;
    assert_eq!(audited, 1);
    let staff = app.logged_in("staff", "510681").await.0;
    let page = staff.get(&format!("/volunteers/{learner}")).await;
    let html = page.text().await.unwrap();
    assert!(html.contains("参加的培训"));
    assert!(html.contains("未成年人保护法"));
    let page = staff
        .get(&format!("/volunteers/{other}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("心理健康"));

    // A training needs its topic.
    let (status, body) = manager
        .post_json(
            &format!("/api/v1/stations/{station}/activities"),
            &json!({"kind": "training", "held_on": held}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["topic"].is_string());
}

/// Moves a log back in time, as if it had been logged `days` ago about a session that day.
async fn age(app: &TestApp, id: &str, days: i64) {
    sqlx::query(
        "UPDATE activity SET held_on = held_on - $2::int,
                created_at = created_at - make_interval(days => $2::int),
                version = version - 1
         WHERE id = $1::uuid",
    )
    .bind(id)
    .bind(days as i32)
    .execute(app.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn a_manager_corrects_a_log_for_seven_days_and_staff_at_any_time() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let (child, _) = fixtures::child(p, station).await;
    let manager = manager_of(&app, station).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let (_, a) = manager
        .post_json(
            &format!("/api/v1/stations/{station}/activities"),
            &json!({"kind": "arts", "held_on": today(), "child_ids": [child]}),
        )
        .await;
    let id = a["id"].as_str().unwrap().to_owned();

    // Six days on, the manager may still correct it.
    age(&app, &id, 6).await;
    let (status, b) = manager
        .patch_json(
            &format!("/api/v1/activities/{id}"),
            &json!({"guardian_count": 2, "version": a["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");

    // Eight days on, only staff may.
    age(&app, &id, 2).await;
    let (status, body) = manager
        .patch_json(
            &format!("/api/v1/activities/{id}"),
            &json!({"guardian_count": 3, "version": b["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_error(&body, "correction_window_closed");
    assert_eq!(
        manager
            .get(&format!("/activities/{id}/edit"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let page = manager
        .get(&format!("/activities/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("超过 7 天"),
        "the manager is told whom to ask"
    );
    let (status, c) = staff
        .patch_json(
            &format!("/api/v1/activities/{id}"),
            &json!({"guardian_count": 3, "version": b["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["guardian_count"], 3);

    // Every edit is audited, the late one marked as such.
    let edits: Vec<(Value,)> = sqlx::query_as(
        "SELECT detail FROM audit_event WHERE entity = 'activity' AND entity_id = $1::uuid
         AND action = 'update' ORDER BY at",
    )
    .bind(&id)
    .fetch_all(p)
    .await
    .unwrap();
    assert_eq!(edits.len(), 2);
    assert_eq!(edits[0].0["fields"], json!(["guardian_count"]));
    assert_eq!(edits[0].0["after_manager_window"], false);
    assert_eq!(edits[1].0["after_manager_window"], true);

    // A stale version is a conflict with the record as it is now.
    let (status, body) = staff
        .patch_json(
            &format!("/api/v1/activities/{id}"),
            &json!({"other_count": 1, "version": b["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "stale_version");
    assert_eq!(body["error"]["current"]["guardian_count"], 3);
}

#[tokio::test]
async fn volunteers_read_their_own_station_schedule_only() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let elsewhere = fixtures::station(p, HANZHOU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let session = fixtures::activity(p, station).await;
    fixtures::activity(p, elsewhere).await;
    let user = app.volunteer_user(volunteer).await;
    let browser = app.browser();
    browser.log_in(&user.username, PASSWORD).await;

    let (status, list) = browser
        .get_json(&format!("/api/v1/stations/{station}/activities"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1);
    assert!(
        list["items"][0].get("children").is_none(),
        "no names in a list"
    );
    let (status, _) = browser
        .get_json(&format!("/api/v1/stations/{elsewhere}/activities"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = browser
        .get_json(&format!("/api/v1/activities/{session}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let page = browser.get("/activities").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("学业辅导"));
    assert!(!html.contains(&format!("/activities/{session}")));
}

#[tokio::test]
async fn the_station_page_compares_open_days_with_the_plan() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await; // plans 3 days a week
    let (child, _) = fixtures::child(p, station).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let log = |kind: &'static str, held_on: String| {
        let staff = &staff;
        async move {
            let mut body = json!({"kind": kind, "held_on": held_on, "child_ids": [child]});
            if kind == "training" {
                body = json!({"kind": kind, "topic": "other", "held_on": held_on});
            }
            let (status, a) = staff
                .post_json(&format!("/api/v1/stations/{station}/activities"), &body)
                .await;
            assert_eq!(status, StatusCode::CREATED, "{a}");
        }
    };
    log("tutoring", days_ago(1)).await;
    log("arts", days_ago(1)).await; // the same day counts once
    log("tutoring", days_ago(10)).await;
    log("training", days_ago(3)).await; // volunteers' training: not an open day
    log("tutoring", days_ago(40)).await; // before the four weeks

    let html = staff
        .get(&format!("/stations/{station}"))
        .await
        .text()
        .await
        .unwrap();

    assert!(html.contains("近 4 周开放情况"));
    assert!(
        html.contains("<strong>2</strong> / 12"),
        "2 open days of 12 planned"
    );
    assert!(html.contains("未达计划"));
    // Four sessions in the four weeks (the training included), one child at each of three.
    assert!(html.contains("活动: <strong>4</strong>"), "{html}");
    assert!(html.contains("人次: <strong>3</strong>"));
}

/// A form body of pairs, with one `child` pair per tick.
fn log_form<'a>(
    station: &'a str,
    children: &'a [String],
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("station_id", station), ("kind", "tutoring")];
    form.extend(children.iter().map(|c| ("child", c.as_str())));
    form.extend_from_slice(extra);
    form
}

#[tokio::test]
async fn the_quick_log_form_keeps_every_tick_when_a_submit_fails() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let mut children = Vec::new();
    for _ in 0..25 {
        children.push(fixtures::child(p, station).await.0.to_string());
    }
    let host = fixtures::volunteer(p, station, "active", 2)
        .await
        .to_string();
    let manager = manager_of(&app, station).await;
    let s = station.to_string();
    let today = today();
    let ticked = &children[..20];

    // Ends before it starts: refused, and everything comes back as it was.
    let refused = manager
        .post_form(
            "/activities",
            &log_form(
                &s,
                ticked,
                &[
                    ("held_on", &today),
                    ("starts_at", "15:00"),
                    ("ends_at", "14:00"),
                    ("host", &host),
                    ("guardian_count", "5"),
                    ("action", "save"),
                ],
            ),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    for c in ticked {
        assert!(
            html.contains(&format!(r#"name="child" value="{c}" checked"#)),
            "tick of {c} kept"
        );
    }
    assert!(!html.contains(&format!(r#"value="{}" checked"#, children[24])));
    assert!(html.contains(&format!(r#"name="host" value="{host}" checked"#)));
    assert!(html.contains(r#"value="5""#));
    assert!(html.contains("结束时间应晚于开始时间"));
    assert_eq!(count(&app, "SELECT count(*) FROM activity").await, 0);

    // A search narrows the list but keeps the ticks, and saves nothing.
    let searched = manager
        .post_form(
            "/activities",
            &log_form(
                &s,
                ticked,
                &[("held_on", &today), ("q", "王"), ("action", "search")],
            ),
        )
        .await;
    assert_eq!(searched.status(), StatusCode::OK);
    let html = searched.text().await.unwrap();
    assert_eq!(html.matches(r#"name="child""#).count(), 20);
    assert!(html.contains("另有 5 人不符合搜索"));
    assert_eq!(count(&app, "SELECT count(*) FROM activity").await, 0);

    // Saved: the session's page shows who came.
    let saved = manager
        .post_form(
            "/activities",
            &log_form(
                &s,
                ticked,
                &[
                    ("held_on", &today),
                    ("host", &host),
                    ("guardian_count", "5"),
                    ("action", "save"),
                ],
            ),
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let at = saved.headers()["location"].to_str().unwrap().to_owned();
    let page = manager.get(&at).await.text().await.unwrap();
    assert!(page.contains("活动已记录"));
    assert!(
        page.contains("<strong>26</strong>"),
        "20 + 1 + 5 person-visits"
    );

    // Next time, "same as last time" ticks the same people.
    let again = manager
        .post_form(
            "/activities",
            &log_form(&s, &[], &[("held_on", &today), ("action", "copy_last")]),
        )
        .await;
    let html = again.text().await.unwrap();
    assert_eq!(html.matches(r#"name="child" value=""#).count(), 25);
    assert_eq!(html.matches("\" checked> <span>").count(), 21);
    // The regulars come first on the list.
    let position = |id: &str| html.find(&format!(r#"value="{id}""#)).unwrap();
    for c in ticked {
        assert!(position(c) < position(&children[24]));
    }
}

/// Sets when a log's session was held and when it was logged, as if days had passed.
async fn set_dates(app: &TestApp, id: &str, held_days_ago: i64, logged_days_ago: i64) {
    sqlx::query(
        "UPDATE activity SET held_on = (now() AT TIME ZONE 'Asia/Shanghai')::date - $2::int,
                created_at = now() - make_interval(days => $3::int), version = version - 1
         WHERE id = $1::uuid",
    )
    .bind(id)
    .bind(held_days_ago as i32)
    .bind(logged_days_ago as i32)
    .execute(app.pool())
    .await
    .unwrap();
}

async fn version_of(app: &TestApp, id: &str) -> i32 {
    sqlx::query_scalar("SELECT version FROM activity WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

/// An update of the log that says who makes it, straight in the database.
async fn correct_in_database(app: &TestApp, id: &str, by: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE activity SET other_count = other_count + 1, updated_by = $2 WHERE id = $1::uuid",
    )
    .bind(id)
    .bind(by)
    .execute(app.pool())
    .await
    .map(drop)
}

#[tokio::test]
async fn the_service_and_the_database_close_a_managers_window_on_the_same_logs() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let manager_user = app.station_manager(&[station]).await;
    let manager = app.browser();
    manager.log_in(&manager_user.username, PASSWORD).await;
    let (staff, staff_user) = app.logged_in("staff", "510681").await;
    let (_, a) = manager
        .post_json(
            &format!("/api/v1/stations/{station}/activities"),
            &json!({"kind": "arts", "held_on": today()}),
        )
        .await;
    let id = a["id"].as_str().unwrap().to_owned();

    // (held, logged) days ago, and whether the manager may still correct the log.
    for (held, logged, open) in [
        (0, 0, true),
        (6, 6, true),
        (8, 8, false),
        (30, 2, true), // logged late: seven days from the logging
        (30, 9, false),
    ] {
        set_dates(&app, &id, held, logged).await;
        let (status, body) = manager
            .patch_json(
                &format!("/api/v1/activities/{id}"),
                &json!({"guardian_count": held, "version": version_of(&app, &id).await}),
            )
            .await;
        let direct = correct_in_database(&app, &id, manager_user.id).await;
        if open {
            assert_eq!(
                status,
                StatusCode::OK,
                "held {held}, logged {logged}: {body}"
            );
            assert!(direct.is_ok(), "held {held}, logged {logged}: {direct:?}");
        } else {
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "held {held}, logged {logged}"
            );
            assert_error(&body, "correction_window_closed");
            assert_eq!(fixtures::violated(direct), "activity_correction_window");
        }
        // Staff correct at any time, through the service and in the database alike.
        let (status, body) = staff
            .patch_json(
                &format!("/api/v1/activities/{id}"),
                &json!({"other_count": 1, "version": version_of(&app, &id).await}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        correct_in_database(&app, &id, staff_user.id).await.unwrap();
    }

    // A volunteer's account never corrects a log; a fix that names nobody is not judged.
    set_dates(&app, &id, 0, 0).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let volunteer_user = app.volunteer_user(volunteer).await;
    assert_eq!(
        fixtures::violated(correct_in_database(&app, &id, volunteer_user.id).await),
        "activity_correction_window"
    );
    set_dates(&app, &id, 30, 30).await;
    sqlx::query("UPDATE activity SET other_count = 0 WHERE id = $1::uuid")
        .bind(&id)
        .execute(p)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_refused_late_correction_changes_nothing_and_the_page_says_whom_to_ask() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let (child, _) = fixtures::child(p, station).await;
    let manager = manager_of(&app, station).await;
    let (_, a) = manager
        .post_json(
            &format!("/api/v1/stations/{station}/activities"),
            &json!({"kind": "arts", "held_on": today(), "child_ids": [child], "guardian_count": 1}),
        )
        .await;
    let id = a["id"].as_str().unwrap().to_owned();
    set_dates(&app, &id, 9, 9).await;
    let version = version_of(&app, &id).await.to_string();

    let posted = manager
        .post_form(
            &format!("/activities/{id}/edit"),
            &[
                ("station_id", &station.to_string()),
                ("kind", "arts"),
                ("held_on", &days_ago(9)),
                ("guardian_count", "4"),
                ("version", &version),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(posted.status(), StatusCode::FORBIDDEN);
    let (status, body) = manager
        .patch_json(
            &format!("/api/v1/activities/{id}"),
            &json!({"child_ids": [], "version": version_of(&app, &id).await}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "correction_window_closed");
    let (_, now) = manager.get_json(&format!("/api/v1/activities/{id}")).await;
    assert_eq!(now["guardian_count"], 1);
    assert_eq!(now["child_count"], 1);
    let page = manager
        .get(&format!("/activities/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("超过 7 天"));
    assert!(!page.contains(&format!("/activities/{id}/edit")));
}

#[tokio::test]
async fn a_first_meeting_stays_one_through_the_service_as_in_the_database() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let child = fixtures::pairable_child(p, station).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let (status, meeting) = staff
        .post_json(
            &format!("/api/v1/stations/{station}/activities"),
            &json!({"kind": "ice_breaking", "title": "见面会", "held_on": "2026-05-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    let id = meeting["id"].as_str().unwrap().to_owned();
    sqlx::query(
        "INSERT INTO pairing (child_id, volunteer_id, station_id, started_on, first_activity_id)
         VALUES ($1, $2, $3, DATE '2026-05-01', $4::uuid)",
    )
    .bind(child)
    .bind(volunteer)
    .bind(station)
    .bind(&id)
    .execute(p)
    .await
    .unwrap();

    // Another kind, or a day after the pairing started: refused on the kind, as a form shows it.
    for (change, sql) in [
        (
            json!({"kind": "tutoring"}),
            "UPDATE activity SET kind = 'tutoring' WHERE id = $1::uuid",
        ),
        (
            json!({"held_on": "2026-05-02"}),
            "UPDATE activity SET held_on = DATE '2026-05-02' WHERE id = $1::uuid",
        ),
    ] {
        let mut body = change.clone();
        body["version"] = json!(version_of(&app, &id).await);
        let (status, refused) = staff
            .patch_json(&format!("/api/v1/activities/{id}"), &body)
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{change}: {refused}"
        );
        assert_error(&refused, "validation_failed");
        assert!(
            refused["error"]["fields"]["kind"]
                .as_str()
                .unwrap()
                .contains("首次见面"),
            "{refused}"
        );
        let direct = sqlx::query(sql).bind(&id).execute(p).await;
        assert_eq!(
            fixtures::violated(direct),
            "activity_first_meeting",
            "{sql}"
        );
    }
    let form = staff
        .post_form(
            &format!("/activities/{id}/edit"),
            &[
                ("station_id", &station.to_string()),
                ("kind", "tutoring"),
                ("title", "见面会"),
                ("held_on", "2026-05-01"),
                ("version", &version_of(&app, &id).await.to_string()),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(form.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(form.text().await.unwrap().contains("首次见面"));

    // A correction that keeps it the first meeting is fine.
    let (status, kept) = staff
        .patch_json(
            &format!("/api/v1/activities/{id}"),
            &json!({"title": "破冰见面会", "held_on": "2026-04-28",
                    "version": version_of(&app, &id).await}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(kept["kind"], "ice_breaking");
}
