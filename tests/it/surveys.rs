//! Relationship surveys: the volunteer answers her own pairing's, staff record the guardian's,
//! the answers are checked, a closed pairing takes none, her survey falls due on `/me` three
//! months in, and a sharp drop raises the alert on the pairing's page.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::{self, LONGJU};
use crate::harness::{Browser, PASSWORD, TestApp, assert_error, today};

/// A pairing at a station in 龙居社区 (广汉市) and its volunteer, logged in.
async fn a_pairing_and_its_volunteer(app: &TestApp) -> (Uuid, Uuid, Browser, Uuid) {
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let child = fixtures::pairable_child(p, station).await;
    let pairing = fixtures::pair(p, child, volunteer, station).await.unwrap();
    let user = app.volunteer_user(volunteer).await;
    let browser = app.browser();
    browser.log_in(&user.username, PASSWORD).await;
    (station, pairing, browser, child)
}

fn answers(a: [i64; 5]) -> Value {
    json!({"trust": a[0], "enjoy": a[1], "talks": a[2], "support": a[3], "change": a[4]})
}

async fn surveys_of(app: &TestApp, pairing: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM survey WHERE pairing_id = $1")
        .bind(pairing)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

/// The pairing's kept score (as text, `None` before any survey) and drop mark.
async fn kept(app: &TestApp, pairing: Uuid) -> (Option<String>, bool) {
    sqlx::query_as("SELECT relationship_score::text, relationship_drop FROM pairing WHERE id = $1")
        .bind(pairing)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_volunteer_answers_her_own_pairings_survey_and_no_one_elses() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let (station, pairing, mother, _) = a_pairing_and_its_volunteer(&app).await;
    let path = format!("/api/v1/pairings/{pairing}/surveys");

    let (status, body) = mother
        .post_json(
            &path,
            &json!({"respondent": "volunteer", "answers": answers([4, 5, 4, 3, 5])}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["respondent"], json!("volunteer"));
    assert_eq!(body["pairing_id"], json!(pairing));
    assert_eq!(body["answers"], answers([4, 5, 4, 3, 5]));
    assert_eq!(body["score"], json!(4.2));
    assert_eq!(body["answered_on"], json!(today()));
    assert_eq!(body["check_in_id"], Value::Null);
    assert!(body["recorded_by"].is_string() && body["created_at"].is_string());
    assert_eq!(surveys_of(&app, pairing).await, 1);
    assert_eq!(kept(&app, pairing).await, (Some("4.2".into()), false));
    // Audited, and filed under the station's region; the answers stay out of the trail.
    let (filed, detail): (Option<String>, Value) = sqlx::query_as(
        "SELECT record_region_code, detail FROM audit_event WHERE entity = 'survey' AND entity_id = $1",
    )
    .bind(Uuid::parse_str(body["id"].as_str().unwrap()).unwrap())
    .fetch_one(p)
    .await
    .unwrap();
    assert_eq!(filed.as_deref(), Some(LONGJU));
    assert!(detail.get("answers").is_none() && detail.get("score").is_none());

    // Not the guardian's answers: staff record those.
    let (status, body) = mother
        .post_json(
            &path,
            &json!({"respondent": "guardian", "answers": answers([5, 5, 5, 5, 5])}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "survey_respondent");

    // Not another volunteer's pairing, even at her own station.
    let other_volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let other_child = fixtures::pairable_child(p, station).await;
    let other = fixtures::pair(p, other_child, other_volunteer, station)
        .await
        .unwrap();
    let elsewhere = format!("/api/v1/pairings/{other}/surveys");
    let (status, _) = mother
        .post_json(
            &elsewhere,
            &json!({"respondent": "volunteer", "answers": answers([4, 4, 4, 4, 4])}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(mother.get_json(&elsewhere).await.0, StatusCode::NOT_FOUND);
    assert_eq!(surveys_of(&app, other).await, 0);

    // The station's manager records the guardian's; county staff read both, she her own.
    let manager = app.station_manager(&[station]).await;
    let desk = app.browser();
    desk.log_in(&manager.username, PASSWORD).await;
    let (status, body) = desk
        .post_json(
            &path,
            &json!({"respondent": "guardian", "answers": answers([5, 4, 4, 4, 4])}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (staff, _) = app.logged_in("staff", "510681").await;
    let (status, list) = staff.get_json(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        list["items"][0]["respondent"],
        json!("guardian"),
        "the latest first"
    );
    assert_eq!(list["score"], json!(4.2));
    assert_eq!(list["drop"], json!(false));
    let (_, hers) = mother.get_json(&path).await;
    let items = hers["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "she sees her own answers: {hers}");
    assert_eq!(items[0]["respondent"], json!("volunteer"));

    // Another county's staff reach neither.
    let (stranger, _) = app.logged_in("staff", "510623").await;
    assert_eq!(stranger.get_json(&path).await.0, StatusCode::NOT_FOUND);
    let (status, _) = stranger
        .post_json(
            &path,
            &json!({"respondent": "guardian", "answers": answers([1, 1, 1, 1, 1])}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(surveys_of(&app, pairing).await, 2);
}

#[tokio::test]
async fn answers_are_checked_and_a_refused_survey_writes_nothing() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let (station, pairing, _, child) = a_pairing_and_its_volunteer(&app).await;
    let path = format!("/api/v1/pairings/{pairing}/surveys");
    let (staff, _) = app.logged_in("staff", "510681").await;

    let mut missing = answers([4, 4, 4, 4, 4]);
    missing.as_object_mut().unwrap().remove("change");
    for (body, field) in [
        (
            json!({"respondent": "guardian", "answers": missing}),
            "answers.change",
        ),
        (
            json!({"respondent": "guardian", "answers": answers([0, 4, 4, 4, 4])}),
            "answers.trust",
        ),
        (
            json!({"respondent": "guardian", "answers": answers([4, 6, 4, 4, 4])}),
            "answers.enjoy",
        ),
        (
            json!({"respondent": "guardian", "answers": {"trust": 4, "enjoy": 4, "talks": 3.5, "support": 4, "change": 4}}),
            "answers.talks",
        ),
        (
            json!({"respondent": "teacher", "answers": answers([4, 4, 4, 4, 4])}),
            "respondent",
        ),
        (json!({"answers": answers([4, 4, 4, 4, 4])}), "respondent"),
        (
            json!({"respondent": "guardian", "answers": answers([4, 4, 4, 4, 4]), "answered_on": "2099-01-01"}),
            "answered_on",
        ),
        (
            json!({"respondent": "guardian", "answers": answers([4, 4, 4, 4, 4]), "answered_on": "2026-04-30"}),
            "answered_on",
        ),
    ] {
        let (status, refused) = staff.post_json(&path, &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {refused}"
        );
        assert!(
            refused["error"]["fields"][field].is_string(),
            "{field}: {refused}"
        );
    }
    assert_eq!(surveys_of(&app, pairing).await, 0);

    // At a check-in: one of this pairing's, held with the same person; its day is the default.
    let (status, check_in) = staff
        .post_json(
            &format!("/api/v1/pairings/{pairing}/check-ins"),
            &json!({"with": "guardian", "mode": "home_visit", "held_on": "2026-06-01", "rating": 4}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{check_in}");
    let (status, refused) = staff
        .post_json(
            &path,
            &json!({"respondent": "volunteer", "answers": answers([4, 4, 4, 4, 4]), "check_in_id": check_in["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused["error"]["fields"]["check_in_id"].is_string());
    let (status, at) = staff
        .post_json(
            &path,
            &json!({"respondent": "guardian", "answers": answers([4, 4, 4, 4, 3]), "check_in_id": check_in["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{at}");
    assert_eq!(at["answered_on"], json!("2026-06-01"));
    assert_eq!(at["check_in_id"], check_in["id"]);
    // The database refuses a check-in of another pairing too.
    let other_child = fixtures::pairable_child(p, station).await;
    let other_volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let other = fixtures::pair(p, other_child, other_volunteer, station)
        .await
        .unwrap();
    let direct = sqlx::query(
        "INSERT INTO survey (pairing_id, respondent, trust, enjoy, talks, support, change, answered_on, check_in_id)
         VALUES ($1, 'guardian', 4, 4, 4, 4, 4, DATE '2026-06-02', $2)",
    )
    .bind(other)
    .bind(Uuid::parse_str(check_in["id"].as_str().unwrap()).unwrap())
    .execute(p)
    .await;
    assert_eq!(fixtures::violated(direct), "survey_at_own_check_in");
    let direct = sqlx::query(
        "INSERT INTO survey (pairing_id, respondent, trust, enjoy, talks, support, change, answered_on)
         VALUES ($1, 'guardian', 4, 4, 4, 4, 4, DATE '2026-04-30')",
    )
    .bind(pairing)
    .execute(p)
    .await;
    assert_eq!(fixtures::violated(direct), "survey_from_first_day");

    // Ended: no more surveys, and the database refuses one too.
    sqlx::query(
        "UPDATE pairing SET status = 'closed', ended_on = (now() AT TIME ZONE 'Asia/Shanghai')::date,
                closure_reason = 'family_moved' WHERE id = $1",
    )
    .bind(pairing)
    .execute(p)
    .await
    .unwrap();
    let (status, body) = staff
        .post_json(
            &path,
            &json!({"respondent": "guardian", "answers": answers([4, 4, 4, 4, 4])}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "pairing_closed");
    let direct = sqlx::query(
        "INSERT INTO survey (pairing_id, respondent, trust, enjoy, talks, support, change, answered_on)
         VALUES ($1, 'guardian', 4, 4, 4, 4, 4, (now() AT TIME ZONE 'Asia/Shanghai')::date)",
    )
    .bind(pairing)
    .execute(p)
    .await;
    assert_eq!(fixtures::violated(direct), "survey_on_active_pairing");
    assert_eq!(surveys_of(&app, pairing).await, 1);
    let (_, list) = staff.get_json(&path).await;
    assert_eq!(list["due"], json!({"volunteer": false, "due_on": null}));

    // The child leaves and is erased: her surveys go, and the pairing keeps no score.
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
    assert_eq!(surveys_of(&app, pairing).await, 0);
    assert_eq!(kept(&app, pairing).await, (None, false));
}

#[tokio::test]
async fn her_survey_falls_due_on_her_phone_three_months_into_the_pairing() {
    let app = TestApp::spawn().await;
    let (_, pairing, mother, _) = a_pairing_and_its_volunteer(&app).await;
    let due = "该填写结对关系问卷了";
    let form = format!("/me/pairings/{pairing}/survey");
    // Paired today: nothing due yet.
    sqlx::query(
        "UPDATE pairing SET started_on = (now() AT TIME ZONE 'Asia/Shanghai')::date WHERE id = $1",
    )
    .bind(pairing)
    .execute(app.pool())
    .await
    .unwrap();
    let home = mother.get("/me").await.text().await.unwrap();
    assert!(!home.contains(due), "{home}");

    // Three months on, /me and the child's page say so and lead to the form.
    sqlx::query(
        "UPDATE pairing SET started_on = ((now() AT TIME ZONE 'Asia/Shanghai')::date - interval '3 months')::date
         WHERE id = $1",
    )
    .bind(pairing)
    .execute(app.pool())
    .await
    .unwrap();
    let home = mother.get("/me").await.text().await.unwrap();
    assert!(
        home.contains(due) && home.contains(&format!(r#"href="{form}""#)),
        "{home}"
    );
    let child = mother
        .get(&format!("/me/pairings/{pairing}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(child.contains(due) && child.contains(&format!(r#"href="{form}""#)));
    let (_, api) = mother
        .get_json(&format!("/api/v1/pairings/{pairing}/surveys"))
        .await;
    assert_eq!(api["due"]["volunteer"], json!(true), "{api}");

    // The form, in her words; a refused one comes back with what she chose.
    let page = mother.get(&form).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("孩子信任我，愿意和我说心里话") && page.contains("很同意"));
    let refused = mother
        .post_form(
            &form,
            &[
                ("trust", "5"),
                ("talks", "4"),
                ("support", "4"),
                ("change", "9"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains(r##"<a href="#survey_enjoy">"##), "{html}");
    assert!(html.contains(r##"<a href="#survey_change">"##), "{html}");
    assert!(html.contains(r#"name="trust" value="5" checked"#), "{html}");
    assert_eq!(surveys_of(&app, pairing).await, 0);

    // She answers as herself, whatever the form says; then nothing is due for a year.
    let saved = mother
        .post_form(
            &form,
            &[
                ("respondent", "guardian"),
                ("trust", "5"),
                ("enjoy", "4"),
                ("talks", "4"),
                ("support", "4"),
                ("change", "5"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let respondent: String =
        sqlx::query_scalar("SELECT respondent::text FROM survey WHERE pairing_id = $1")
            .bind(pairing)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(respondent, "volunteer");
    let home = mother.get("/me").await.text().await.unwrap();
    assert!(!home.contains(due));
    let (_, api) = mother
        .get_json(&format!("/api/v1/pairings/{pairing}/surveys"))
        .await;
    assert_eq!(api["due"]["volunteer"], json!(false));
    let next: String = sqlx::query_scalar(
        "SELECT (((now() AT TIME ZONE 'Asia/Shanghai')::date + interval '12 months')::date)::text",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(api["due"]["due_on"], json!(next));
}

#[tokio::test]
async fn a_sharp_drop_raises_the_alert_on_the_pairings_page() {
    let app = TestApp::spawn().await;
    let (_, pairing, mother, _) = a_pairing_and_its_volunteer(&app).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let page_path = format!("/pairings/{pairing}");
    let form = format!("/pairings/{pairing}/surveys");
    let alert = "结对关系明显下降";
    let record = |a: [&'static str; 5]| {
        vec![
            ("respondent", "guardian"),
            ("trust", a[0]),
            ("enjoy", a[1]),
            ("talks", a[2]),
            ("support", a[3]),
            ("change", a[4]),
        ]
    };

    // A refused form comes back open, in the guardian's words, with what was chosen.
    let refused = staff
        .post_form(&form, &[("respondent", "guardian"), ("trust", "4")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("孩子信任爱心妈妈，愿意和她说心里话"),
        "{html}"
    );
    assert!(html.contains(r#"name="trust" value="4" checked"#));
    assert!(html.contains(r##"<a href="#survey_enjoy">"##));

    let saved = staff
        .post_form(&form, &record(["4", "4", "4", "4", "4"]))
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let page = staff.get(&page_path).await.text().await.unwrap();
    assert!(page.contains("4.0") && !page.contains(alert), "{page}");

    // The guardian's next is a whole point lower: a sharp drop.
    let saved = staff
        .post_form(&form, &record(["3", "3", "3", "3", "3"]))
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let page = staff.get(&page_path).await.text().await.unwrap();
    assert!(page.contains(alert) && page.contains("明显下降"), "{page}");
    assert_eq!(kept(&app, pairing).await, (Some("3.0".into()), true));
    let (_, api) = staff
        .get_json(&format!("/api/v1/pairings/{pairing}/surveys"))
        .await;
    assert_eq!(
        (api["drop"].clone(), api["score"].clone()),
        (json!(true), json!(3.0))
    );

    // The volunteer's first, a good one, is the latest now: no alert.
    let (status, _) = mother
        .post_json(
            &format!("/api/v1/pairings/{pairing}/surveys"),
            &json!({"respondent": "volunteer", "answers": answers([5, 4, 5, 4, 4])}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let page = staff.get(&page_path).await.text().await.unwrap();
    assert!(!page.contains(alert));
    assert_eq!(kept(&app, pairing).await, (Some("4.4".into()), false));

    // A score of 2 or less is an alert on its own, whatever came before.
    let (status, _) = mother
        .post_json(
            &format!("/api/v1/pairings/{pairing}/surveys"),
            &json!({"respondent": "volunteer", "answers": answers([2, 2, 2, 2, 2])}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let page = staff.get(&page_path).await.text().await.unwrap();
    assert!(page.contains(alert));
    assert_eq!(kept(&app, pairing).await, (Some("2.0".into()), true));
}
