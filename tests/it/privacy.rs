//! A child's data from consent to deletion: a withdrawal's effects, guardians' edits, the
//! requests guardians and volunteers make, the anonymising a deletion and the retention run
//! share, and the access copy.

use std::io::Cursor;

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::fixtures::{self, LONGJU, YUNDING};
use crate::harness::{Browser, PASSWORD, TestApp, assert_error};
use crate::volunteers::id_number;

const CHILD_NAME: &str = "欧阳晓雯";
const GUARDIAN_NAME: &str = "欧阳桂芳";
const GUARDIAN_PHONE: &str = "13698765432";
const NOTE: &str = "一起读了《小王子》第三章";
const CONCERN: &str = "说起奶奶生病住院很担心";

/// A child of 龙居 registered through the API, with her grandmother's phone shared, both
/// consents, a pairing with an active volunteer who has a login, a contact with a note and a
/// concern logged days ago, a session she attended and a wish.
struct World {
    station: Uuid,
    child: Uuid,
    guardian: Uuid,
    volunteer: Uuid,
    pairing: Uuid,
    staff: Browser,
    mother: Browser,
    id_number: String,
}

async fn world(app: &TestApp) -> World {
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let id_number = id_number("51068120160504004");
    let (status, child) = staff
        .post_json(
            "/api/v1/children",
            &json!({
                "name": CHILD_NAME, "gender": "female", "birth_date": "2016-05-04",
                "id_number": id_number, "category": "left_behind", "region_code": LONGJU,
                "station_id": station, "school": "汉州小学", "grade": "四年级",
                "needs": ["emotional"],
                "guardian": { "name": GUARDIAN_NAME, "relation": "grandmother",
                              "phone": GUARDIAN_PHONE, "share_contact_with_volunteer": true },
                "consent": { "given_on": "2026-04-01", "method": "signed_form" }
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{child}");
    let child: Uuid = child["id"].as_str().unwrap().parse().unwrap();
    let guardian: Uuid = sqlx::query_scalar("SELECT id FROM guardian WHERE child_id = $1")
        .bind(child)
        .fetch_one(p)
        .await
        .unwrap();
    fixtures::consent(p, child, guardian, "pairing").await;
    let pairing = fixtures::pair(p, child, volunteer, station).await.unwrap();
    sqlx::query(
        "INSERT INTO contact (pairing_id, contacted_on, mode, duration_minutes, topics, note,
                              concern_category, concern_detail)
         VALUES ($1, DATE '2026-06-02', 'home_visit', 45, '{emotions}', $2, 'family', $3),
                ($1, DATE '2026-06-09', 'call', 20, '{study}', $2, 'abuse_neglect', $3)",
    )
    .bind(pairing)
    .bind(NOTE)
    .bind(CONCERN)
    .execute(p)
    .await
    .unwrap();
    // Logged days ago: past the volunteer's 24-hour correction window.
    sqlx::query("UPDATE contact SET created_at = now() - interval '3 days'")
        .execute(p)
        .await
        .unwrap();
    let activity = fixtures::activity(p, station).await;
    sqlx::query("INSERT INTO attendance (activity_id, child_id) VALUES ($1, $2)")
        .bind(activity)
        .bind(child)
        .execute(p)
        .await
        .unwrap();
    fixtures::wish(p, child).await;
    let account = app.volunteer_user(volunteer).await;
    let mother = app.browser();
    mother.log_in(&account.username, PASSWORD).await;
    World {
        station,
        child,
        guardian,
        volunteer,
        pairing,
        staff,
        mother,
        id_number,
    }
}

async fn stats(browser: &Browser, query: &str) -> Value {
    let (status, body) = browser
        .get_json(&format!("/api/v1/stats?{query}&from=2026-01-01"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn consent_of(p: &PgPool, child: Uuid, scope: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM consent WHERE child_id = $1 AND scope = $2::consent_scope")
        .bind(child)
        .bind(scope)
        .fetch_one(p)
        .await
        .unwrap()
}

#[tokio::test]
async fn withdrawing_the_pairing_consent_ends_the_pairing_and_the_volunteer_loses_the_child() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let w = world(&app).await;
    let (_, mine) = w.mother.get_json("/api/v1/me/children").await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
    let before = stats(&w.staff, "region=510681").await;

    let consent = consent_of(p, w.child, "pairing").await;
    let (status, body) = w
        .staff
        .post_json(
            &format!("/api/v1/consents/{consent}/withdraw"),
            &json!({ "withdrawn_on": "2026-06-20" }),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["withdrawn_on"], "2026-06-20");
    let (status, reason, ended): (String, Option<String>, Option<time::Date>) = sqlx::query_as(
        "SELECT status::text, closure_reason::text, ended_on FROM pairing WHERE id = $1",
    )
    .bind(w.pairing)
    .fetch_one(p)
    .await
    .unwrap();
    assert_eq!(
        (
            status.as_str(),
            reason.as_deref(),
            ended.map(|d| d.to_string())
        ),
        (
            "closed",
            Some("consent_withdrawn"),
            Some("2026-06-20".to_owned())
        )
    );
    let (_, mine) = w.mother.get_json("/api/v1/me/children").await;
    assert_eq!(mine["items"], json!([]), "the volunteer no longer sees her");
    let page = w.mother.get("/me").await.text().await.unwrap();
    assert!(!page.contains("晓雯"), "nor on her page");
    let after = stats(&w.staff, "region=510681").await;
    for figure in ["pairings_active", "children_paired"] {
        assert_eq!(
            after[figure].as_i64().unwrap(),
            before[figure].as_i64().unwrap() - 1,
            "{figure}"
        );
    }
    assert_eq!(after["pairings_started"], before["pairings_started"]);
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT entity || ':' || coalesce(detail ->> 'closure_reason', detail ->> 'scope', '')
         FROM audit_event WHERE action = 'update' AND entity IN ('consent', 'pairing') ORDER BY entity",
    )
    .fetch_all(p)
    .await
    .unwrap();
    assert_eq!(audited, ["consent:pairing", "pairing:consent_withdrawn"]);

    // Withdrawn once: a second withdrawal is refused and changes nothing.
    let (status, body) = w
        .staff
        .post_json(&format!("/api/v1/consents/{consent}/withdraw"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "already_withdrawn");
}

#[tokio::test]
async fn a_second_guardians_pairing_consent_keeps_the_pairing_and_a_registration_withdrawal_opens_a_deletion_request()
 {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let w = world(&app).await;
    let (status, father) = w
        .staff
        .post_json(
            &format!("/api/v1/children/{}/guardians", w.child),
            &json!({ "name": "欧阳建国", "relation": "father" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{father}");
    let (status, _) = w
        .staff
        .post_json(
            &format!("/api/v1/children/{}/consents", w.child),
            &json!({ "guardian_id": father["id"], "scope": "pairing", "given_on": "2026-05-01", "method": "in_person" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let grandmothers = sqlx::query_scalar::<_, Uuid>(
        "SELECT id FROM consent WHERE guardian_id = $1 AND scope = 'pairing'",
    )
    .bind(w.guardian)
    .fetch_one(p)
    .await
    .unwrap();
    let (status, _) = w
        .staff
        .post_json(
            &format!("/api/v1/consents/{grandmothers}/withdraw"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let status: String = sqlx::query_scalar("SELECT status::text FROM pairing WHERE id = $1")
        .bind(w.pairing)
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(status, "active", "the father's consent still stands");

    let registration = consent_of(p, w.child, "registration").await;
    let (status, _) = w
        .staff
        .post_json(
            &format!("/api/v1/consents/{registration}/withdraw"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, requests) = w
        .staff
        .get_json(&format!("/api/v1/requests?child_id={}", w.child))
        .await;
    assert_eq!(requests["total"], 1, "{requests}");
    let request = &requests["items"][0];
    assert_eq!(request["kind"], "deletion");
    assert_eq!(request["status"], "open");
    assert_eq!(request["requester_name"], GUARDIAN_NAME);
    assert_eq!(request["requester_relation"], "grandmother");
    assert_eq!(request["consent_id"], registration.to_string());
    let received = time::Date::parse(
        request["received_on"].as_str().unwrap(),
        &time::format_description::well_known::Iso8601::DATE,
    )
    .unwrap();
    assert_eq!(
        request["due_on"],
        (received + time::Duration::days(15)).to_string()
    );
}

#[tokio::test]
async fn a_guardian_is_edited_her_phone_no_longer_shown_and_removed_only_when_her_consent_is_covered()
 {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let w = world(&app).await;
    let (_, mine) = w.mother.get_json("/api/v1/me/children").await;
    assert!(mine.to_string().contains(GUARDIAN_PHONE), "{mine}");
    let path = format!("/api/v1/guardians/{}", w.guardian);

    let (status, body) = w
        .staff
        .patch_json(
            &path,
            &json!({ "share_contact_with_volunteer": false, "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["share_contact_with_volunteer"], false);
    assert_eq!(body["name"], GUARDIAN_NAME, "what is left out stays");
    assert_eq!(body["version"], 2);
    let (_, mine) = w.mother.get_json("/api/v1/me/children").await;
    assert!(!mine.to_string().contains(GUARDIAN_PHONE), "{mine}");

    // A stale copy changes nothing; bad input names its field and changes nothing.
    let (status, body) = w
        .staff
        .patch_json(&path, &json!({ "name": "别人", "version": 1 }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "stale_version");
    assert_eq!(body["error"]["current"]["name"], GUARDIAN_NAME, "{body}");
    let (status, body) = w
        .staff
        .patch_json(
            &path,
            &json!({ "phone": "12345", "relation": "aunt", "version": 2 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["fields"]["phone"].is_string()
            && body["error"]["fields"]["relation"].is_string(),
        "{body}"
    );
    let (status, body) = w
        .staff
        .patch_json(&path, &json!({ "phone": "", "version": 2 }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["phone_masked"],
        Value::Null,
        "an empty phone removes it"
    );
    let kept: Option<String> = sqlx::query_scalar("SELECT phone FROM guardian WHERE id = $1")
        .bind(w.guardian)
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(kept, None);

    // Her consents are in force and nobody else gives them: she stays.
    let (status, body) = w.staff.delete(&path).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "guardian_gives_consent");
    let (_, father) = w
        .staff
        .post_json(
            &format!("/api/v1/children/{}/guardians", w.child),
            &json!({ "name": "欧阳建国", "relation": "father" }),
        )
        .await;
    for scope in ["registration", "pairing"] {
        w.staff
            .post_json(
                &format!("/api/v1/children/{}/consents", w.child),
                &json!({ "guardian_id": father["id"], "scope": scope, "given_on": "2026-05-01", "method": "in_person" }),
            )
            .await;
    }
    let (status, _) = w.staff.delete(&path).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, child) = w
        .staff
        .get_json(&format!("/api/v1/children/{}", w.child))
        .await;
    let names: Vec<&str> = child["guardians"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["欧阳建国"]);
    assert_eq!(
        child["consents"].as_array().unwrap().len(),
        4,
        "her consents stay as evidence"
    );
    let (status, _) = w.staff.patch_json(&path, &json!({ "version": 3 })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a removed guardian is gone");

    // Another county's staff reach neither.
    let (other, _) = app.logged_in("staff", "511922").await;
    let father_path = format!("/api/v1/guardians/{}", father["id"].as_str().unwrap());
    let (status, _) = other
        .patch_json(&father_path, &json!({ "name": "x", "version": 1 }))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = other.delete(&father_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Every column of every table that can hold text (text, arrays, JSON, bytes — the session
/// store's data among them), with the rows that hold `needle`.
async fn found_anywhere(p: &PgPool, needle: &str) -> Vec<String> {
    let columns: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT c.table_schema, c.table_name, c.column_name, c.data_type
         FROM information_schema.columns c
         JOIN information_schema.tables t USING (table_schema, table_name)
         WHERE c.table_schema IN ('public', 'tower_sessions') AND t.table_type = 'BASE TABLE'
           AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea')",
    )
    .fetch_all(p)
    .await
    .unwrap();
    assert!(columns.len() > 40, "the search covers the schema");
    let mut found = Vec::new();
    for (schema, table, column, kind) in columns {
        let holds = if kind == "bytea" {
            format!("position(convert_to($1, 'UTF8') in \"{column}\") > 0")
        } else {
            format!("strpos(\"{column}\"::text, $1) > 0")
        };
        let sql = format!("SELECT count(*) FROM \"{schema}\".\"{table}\" WHERE {holds}");
        let n: i64 = sqlx::query_scalar(&sql)
            .bind(needle)
            .fetch_one(p)
            .await
            .unwrap();
        if n > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    found
}

#[tokio::test]
async fn a_deletion_leaves_no_value_of_hers_anywhere_and_every_count_as_it_was() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let w = world(&app).await;
    // Her name typed into a search and an export, and her record opened and revealed.
    w.staff
        .get(&format!("/api/v1/children?q={CHILD_NAME}"))
        .await;
    w.staff
        .get(&format!("/api/v1/children?q={CHILD_NAME}&format=xlsx"))
        .await;
    w.staff.get(&format!("/api/v1/children/{}", w.child)).await;
    w.staff
        .post_json(
            &format!("/api/v1/children/{}/reveal", w.child),
            &json!({ "field": "id_number" }),
        )
        .await;
    for needle in [CHILD_NAME, GUARDIAN_PHONE, NOTE, CONCERN] {
        assert!(
            !found_anywhere(p, needle).await.is_empty(),
            "{needle} is held before"
        );
    }
    let (admin, _) = app.logged_in("admin", "51").await;
    let focuses = [
        format!("station={}", w.station),
        "region=510681".to_owned(),
        "region=51".to_owned(),
    ];
    let mut before = Vec::new();
    for focus in &focuses {
        before.push(stats(&admin, focus).await);
    }

    let (status, request) = w
        .staff
        .post_json(
            "/api/v1/requests",
            &json!({
                "kind": "deletion", "child_id": w.child, "requester_name": GUARDIAN_NAME,
                "requester_relation": "grandmother", "channel": "phone",
                "received_on": crate::harness::today(),
                "identity_check": "回拨登记的电话并核对身份证后四位",
                "note": format!("奶奶来电要求删除{CHILD_NAME}的信息")
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    assert_eq!(request["status"], "open");
    let id = request["id"].as_str().unwrap();
    let (status, done) = w
        .staff
        .post_json(
            &format!("/api/v1/requests/{id}/complete"),
            &json!({ "version": request["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "done");
    assert!(done["handled_at"].is_string());

    for needle in [
        CHILD_NAME,
        "晓雯",
        GUARDIAN_NAME,
        GUARDIAN_PHONE,
        NOTE,
        CONCERN,
        &w.id_number,
        "汉州小学",
        "水彩笔",
    ] {
        assert_eq!(
            found_anywhere(p, needle).await,
            Vec::<String>::new(),
            "{needle}"
        );
    }
    let (id_number, hash, birth, status): (Option<Vec<u8>>, Option<Vec<u8>>, time::Date, String) =
        sqlx::query_as(
            "SELECT id_number, id_number_hash, birth_date, status::text FROM child WHERE id = $1",
        )
        .bind(w.child)
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!((id_number, hash), (None, None));
    assert_eq!(
        birth.to_string(),
        "2016-01-01",
        "the year stays, for the figures by age"
    );
    assert_eq!(status, "exited");

    for (focus, before) in focuses.iter().zip(&before) {
        let after = stats(&admin, focus).await;
        for figure in [
            "activities",
            "person_visits",
            "contacts",
            "pairings_started",
            "trainings",
            "wishes_fulfilled",
        ] {
            assert_eq!(after[figure], before[figure], "{focus} {figure}");
        }
        // Only the figures of people in the programme now change: she has left it.
        assert_eq!(
            after["pairings_active"].as_i64(),
            before["pairings_active"].as_i64().map(|n| n - 1),
            "{focus}"
        );
        assert_eq!(
            after["children_paired"].as_i64(),
            before["children_paired"].as_i64().map(|n| n - 1),
            "{focus}"
        );
        assert_eq!(
            after["children_exited"].as_i64(),
            before["children_exited"].as_i64().map(|n| n + 1),
            "{focus}"
        );
    }
    let kept: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM contact), (SELECT sum(duration_minutes) FROM contact)::bigint,
                (SELECT count(*) FROM attendance WHERE child_id = $1)",
    )
    .bind(w.child)
    .fetch_one(p)
    .await
    .unwrap();
    assert_eq!(kept, (2, 65, 1), "contacts, minutes and attendance stay");
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT action::text || ':' || entity FROM audit_event
         WHERE entity_id = $1 AND (detail ? 'anonymised' OR detail ->> 'exit_reason' = 'guardian_request')
         ORDER BY at",
    )
    .bind(w.child)
    .fetch_all(p)
    .await
    .unwrap();
    assert_eq!(events, ["update:child", "delete:child"]);

    // She stays erased: her record and her guardians' take no values again.
    let (_, erased) = w
        .staff
        .get_json(&format!("/api/v1/children/{}", w.child))
        .await;
    assert_eq!(erased["name"], "（已删除）");
    let (status, body) = w
        .staff
        .patch_json(
            &format!("/api/v1/children/{}", w.child),
            &json!({ "name": CHILD_NAME, "version": erased["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "anonymised");
    let (status, body) = w
        .staff
        .post_json(
            &format!("/api/v1/children/{}/guardians", w.child),
            &json!({ "name": GUARDIAN_NAME, "relation": "grandmother", "phone": GUARDIAN_PHONE }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "anonymised");
    let refill = sqlx::query("UPDATE child SET name = $2 WHERE id = $1")
        .bind(w.child)
        .bind(CHILD_NAME)
        .execute(p)
        .await;
    assert_eq!(fixtures::violated(refill), "anonymised_stays_erased");
    let (status, body) = w
        .staff
        .post_json(
            "/api/v1/requests",
            &json!({
                "kind": "access", "child_id": w.child, "requester_name": GUARDIAN_NAME,
                "requester_relation": "grandmother", "channel": "phone",
                "received_on": crate::harness::today(), "identity_check": "回拨"
            }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a request about her now would keep names again"
    );
    assert_error(&body, "anonymised");
    assert_eq!(found_anywhere(p, CHILD_NAME).await, Vec::<String>::new());

    // Answered once.
    let (status, body) = w
        .staff
        .post_json(
            &format!("/api/v1/requests/{id}/complete"),
            &json!({ "version": done["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "request_handled");
}

#[tokio::test]
async fn the_guards_of_kept_records_let_only_the_anonymising_through() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let w = world(&app).await;
    // Outside the anonymising, a kept contact's note and concern stay as they are.
    let edit = sqlx::query("UPDATE contact SET note = NULL WHERE pairing_id = $1")
        .bind(w.pairing)
        .execute(p)
        .await;
    assert_eq!(fixtures::violated(edit), "contact_correction_window");
    let edit =
        sqlx::query("UPDATE contact SET concern_detail = '（已删除）' WHERE pairing_id = $1")
            .bind(w.pairing)
            .execute(p)
            .await;
    assert_eq!(fixtures::violated(edit), "contact_concern_kept");
    // Naming another person does not open them, nor does anonymising a child in the programme.
    let other = Uuid::new_v4();
    let mut tx = p.begin().await.unwrap();
    sqlx::query("SELECT set_config('aixin.anonymising', $1, true)")
        .bind(other.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let edit = sqlx::query("UPDATE contact SET note = NULL WHERE pairing_id = $1")
        .bind(w.pairing)
        .execute(&mut *tx)
        .await;
    assert_eq!(fixtures::violated(edit), "contact_correction_window");
    drop(tx);
    let early = sqlx::query_scalar::<_, bool>("SELECT anonymise_child($1)")
        .bind(w.child)
        .fetch_one(p)
        .await;
    assert_eq!(fixtures::violated(early), "anonymise_after_exit");
    // The anonymising itself may not change what is counted.
    let mut tx = p.begin().await.unwrap();
    sqlx::query("SELECT set_config('aixin.anonymising', $1, true)")
        .bind(w.child.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let edit =
        sqlx::query("UPDATE contact SET duration_minutes = 1, note = NULL WHERE pairing_id = $1")
            .bind(w.pairing)
            .execute(&mut *tx)
            .await;
    assert_eq!(fixtures::violated(edit), "contact_correction_window");
    let _ = w.volunteer;
}

#[tokio::test]
async fn the_retention_run_anonymises_exactly_the_records_whose_time_is_up_and_then_nothing() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    // Dated from today, as the run is: the retention period is 36 months.
    let today = aixin::domain::today();
    let ago = |days: i64| today - time::Duration::days(days);
    let child = |name: &'static str, birth: time::Date, exited: Option<time::Date>| async move {
        let (id, _) = fixtures::child(p, station).await;
        sqlx::query(
            "UPDATE child SET name = $2, birth_date = $3,
                    status = CASE WHEN $4::date IS NULL THEN status ELSE 'exited' END,
                    exit_reason = CASE WHEN $4::date IS NULL THEN NULL ELSE 'family_moved'::child_exit_reason END,
                    exited_on = $4
             WHERE id = $1",
        )
        .bind(id)
        .bind(name)
        .bind(birth)
        .bind(exited)
        .execute(p)
        .await
        .unwrap();
        id
    };
    // Exited over 36 months ago; exited lately; 18 over 36 months ago and still registered;
    // grown up lately; a child.
    let long_gone = child("张久别", ago(14 * 365), Some(ago(3 * 365 + 40))).await;
    let lately = child("张刚走", ago(14 * 365), Some(ago(300))).await;
    let grown = child("张长大", ago(21 * 365 + 60), None).await;
    let young_adult = child("张成年", ago(19 * 365), None).await;
    let still = child("张还在", ago(10 * 365), None).await;
    let gone_volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let recent_volunteer = fixtures::volunteer(p, station, "active", 2).await;
    for v in [gone_volunteer, recent_volunteer] {
        sqlx::query("UPDATE volunteer SET status = 'withdrawn' WHERE id = $1")
            .bind(v)
            .execute(p)
            .await
            .unwrap();
    }
    sqlx::query("UPDATE volunteer SET withdrawn_on = $2, name = '赵早退' WHERE id = $1")
        .bind(gone_volunteer)
        .bind(ago(4 * 365))
        .execute(p)
        .await
        .unwrap();

    let dry = aixin::privacy::service::retention::run(p, 36, "command", true)
        .await
        .unwrap();
    assert_eq!((dry.children, dry.volunteers), (2, 1));
    assert_eq!(
        found_anywhere(p, "张久别").await.len(),
        1,
        "a dry run changes nothing"
    );

    let done = aixin::privacy::service::retention::run(p, 36, "command", false)
        .await
        .unwrap();
    assert_eq!((done.children, done.volunteers), (2, 1));
    let anonymised: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM child WHERE anonymised_at IS NOT NULL UNION ALL
         SELECT id FROM volunteer WHERE anonymised_at IS NOT NULL",
    )
    .fetch_all(p)
    .await
    .unwrap();
    let mut expected = vec![long_gone, grown, gone_volunteer];
    let mut got = anonymised.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    for name in ["张久别", "张长大", "赵早退"] {
        assert_eq!(
            found_anywhere(p, name).await,
            Vec::<String>::new(),
            "{name}"
        );
    }
    for id in [lately, young_adult, still] {
        let anonymised: Option<time::OffsetDateTime> =
            sqlx::query_scalar("SELECT anonymised_at FROM child WHERE id = $1")
                .bind(id)
                .fetch_one(p)
                .await
                .unwrap();
        assert_eq!(anonymised, None);
    }
    let (status, reason): (String, String) =
        sqlx::query_as("SELECT status::text, exit_reason::text FROM child WHERE id = $1")
            .bind(grown)
            .fetch_one(p)
            .await
            .unwrap();
    assert_eq!((status.as_str(), reason.as_str()), ("exited", "aged_out"));

    let again = aixin::privacy::service::retention::run(p, 36, "command", false)
        .await
        .unwrap();
    assert_eq!(
        (again.children, again.volunteers),
        (0, 0),
        "a second run touches nothing"
    );
    let runs: Vec<(i32, i32, String)> = sqlx::query_as(
        "SELECT children_anonymised, volunteers_anonymised, started_by FROM retention_run ORDER BY started_at",
    )
    .fetch_all(p)
    .await
    .unwrap();
    assert_eq!(
        runs,
        [(2, 1, "command".to_owned()), (0, 0, "command".to_owned())]
    );
}

/// The sheets of an access copy, each as rows of text.
pub(crate) async fn copy(browser: &Browser, path: &str) -> Vec<(String, Vec<Vec<String>>)> {
    let response = browser.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let bytes = response.bytes().await.unwrap();
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    book.worksheets()
        .into_iter()
        .map(|(name, range)| {
            let rows = range
                .rows()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect();
            (name, rows)
        })
        .collect()
}

#[tokio::test]
async fn an_access_copy_holds_every_kind_of_record_holds_back_abuse_unless_asked_and_is_audited() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let w = world(&app).await;
    let (status, request) = w
        .staff
        .post_json(
            "/api/v1/requests",
            &json!({
                "kind": "access", "child_id": w.child, "requester_name": GUARDIAN_NAME,
                "requester_relation": "grandmother", "channel": "in_person",
                "received_on": crate::harness::today(), "identity_check": "核对户口本"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let id = request["id"].as_str().unwrap();

    let (status, _) = w
        .staff
        .post_json(
            &format!("/api/v1/pairings/{}/check-ins", w.pairing),
            &json!({"with": "guardian", "mode": "call", "rating": 5, "note": "奶奶很满意这次结对"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = w
        .staff
        .post_json(
            &format!("/api/v1/pairings/{}/surveys", w.pairing),
            &json!({"respondent": "guardian", "answers": {
                "trust": 5, "enjoy": 4, "talks": 4, "support": 4, "change": 4
            }}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // A follow-up on each of her contacts: what was asked about the abuse is held back as the
    // abuse's description is.
    let manager = app.station_manager(&[w.station]).await;
    let contacts: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM contact ORDER BY contacted_on")
        .fetch_all(p)
        .await
        .unwrap();
    for (contact, action) in [
        (contacts[0], "请社工上门看看奶奶"),
        (contacts[1], "报告派出所并通知监护人"),
    ] {
        let (status, body) = w
            .staff
            .post_json(
                "/api/v1/follow-ups",
                &json!({"contact_id": contact, "assignee_id": manager.id, "action": action,
                        "due_on": crate::harness::today()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    let sheets = copy(
        &w.staff,
        &format!("/api/v1/requests/{id}/export?format=xlsx"),
    )
    .await;
    let text = format!("{sheets:?}");
    assert!(text.contains("请社工上门看看奶奶") && !text.contains("报告派出所并通知监护人"));
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 11, "{names:?}");
    assert!(
        format!("{sheets:?}").contains("奶奶很满意这次结对"),
        "staff's check-ins are in it"
    );
    let surveys = &sheets[8].1;
    assert_eq!(
        surveys.len(),
        3,
        "a title, the headings and the survey: {surveys:?}"
    );
    assert!(
        surveys[2].contains(&"监护人".to_owned()) && surveys[2].contains(&"4.2".to_owned()),
        "the guardian's survey and its score: {surveys:?}"
    );
    let text = format!("{sheets:?}");
    for held in [
        CHILD_NAME,
        &w.id_number,
        GUARDIAN_NAME,
        GUARDIAN_PHONE,
        "汉州小学",
        NOTE,
        "一套水彩笔",
        "学业辅导",
        "王秀兰",
    ] {
        assert!(text.contains(held), "{held} is in the copy");
    }
    let contacts = &sheets[5].1;
    assert_eq!(contacts.len(), 4, "a title, the headings and two contacts");
    assert!(
        contacts[2].contains(&CONCERN.to_owned()),
        "a family concern is described"
    );
    assert!(
        !contacts[3].contains(&CONCERN.to_owned()),
        "abuse is held back"
    );
    let trail = &sheets[10].1;
    assert!(trail.len() > 3, "who created and opened it: {trail:?}");

    let sheets = copy(
        &w.staff,
        &format!("/api/v1/requests/{id}/export?format=xlsx&include_sensitive=true"),
    )
    .await;
    assert!(
        sheets[5].1[3].contains(&CONCERN.to_owned()),
        "included when asked"
    );
    assert!(format!("{sheets:?}").contains("报告派出所并通知监护人"));
    let exports: Vec<Value> = sqlx::query_scalar(
        "SELECT detail FROM audit_event WHERE action = 'export' AND entity = 'data_request' ORDER BY at",
    )
    .fetch_all(p)
    .await
    .unwrap();
    assert_eq!(exports.len(), 2);
    assert_eq!(exports[0]["sensitive_included"], false);
    assert_eq!(exports[1]["sensitive_included"], true);
    assert_eq!(exports[1]["child_id"], w.child.to_string());

    // Another county's staff see neither the request nor its copy.
    let (other, _) = app.logged_in("staff", "511922").await;
    assert_eq!(
        other.get_json(&format!("/api/v1/requests/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        other
            .get(&format!("/api/v1/requests/{id}/export?format=xlsx"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(other.get_json("/api/v1/requests").await.1["total"], 0);
}

#[tokio::test]
async fn requests_are_seen_and_answered_within_scope_and_a_volunteer_asks_only_about_herself() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let w = world(&app).await;
    let there = fixtures::station(p, YUNDING).await;
    let (far_child, _) = fixtures::child(p, there).await;
    let request = |child: Uuid, kind: &str| {
        json!({
            "kind": kind, "child_id": child, "requester_name": "李奶奶",
            "requester_relation": "grandmother", "channel": "letter",
            "received_on": "2026-11-01", "identity_check": "信函附户口本复印件"
        })
    };
    // A county's staff file about their own children only.
    let (status, _) = w
        .staff
        .post_json("/api/v1/requests", &request(far_child, "access"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = w
        .staff
        .post_json(
            "/api/v1/requests",
            &json!({ "kind": "deletion", "child_id": w.child }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in [
        "requester_name",
        "requester_relation",
        "channel",
        "received_on",
        "identity_check",
    ] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM data_request")
            .fetch_one(p)
            .await
            .unwrap()
    };
    assert_eq!(count().await, 0, "a refused request is not recorded");
    let (_, mine) = w
        .staff
        .post_json("/api/v1/requests", &request(w.child, "correction"))
        .await;
    let (city, _) = app.logged_in("staff", "5106").await;
    let (province, _) = app.logged_in("admin", "51").await;
    let (_, far) = province
        .post_json("/api/v1/requests", &request(far_child, "access"))
        .await;
    assert_eq!(city.get_json("/api/v1/requests").await.1["total"], 1);
    assert_eq!(province.get_json("/api/v1/requests").await.1["total"], 2);
    // Due in 15 days from 2026-11-01: overdue by today.
    let (_, overdue) = province.get_json("/api/v1/requests?overdue=true").await;
    assert_eq!(overdue["total"], 2);
    assert_eq!(overdue["items"][0]["overdue"], true);

    // A county's staff cannot answer another county's request; a manager reaches no request.
    let far_id = far["id"].as_str().unwrap();
    let (status, _) = w
        .staff
        .post_json(
            &format!("/api/v1/requests/{far_id}/refuse"),
            &json!({ "version": 1, "reason": "不是本县" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let manager = app.station_manager(&[w.station]).await;
    let manager_browser = app.browser();
    manager_browser.log_in(&manager.username, PASSWORD).await;
    assert_eq!(
        manager_browser.get_json("/api/v1/requests").await.0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = city
        .post_json(
            &format!("/api/v1/requests/{}/refuse", mine["id"].as_str().unwrap()),
            &json!({ "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["reason"].is_string());
    let (status, refused) = city
        .post_json(
            &format!("/api/v1/requests/{}/refuse", mine["id"].as_str().unwrap()),
            &json!({ "version": 1, "reason": "档案信息经核对无误" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{refused}");
    assert_eq!(refused["status"], "refused");

    // The volunteer files an access request about herself, and nothing else.
    for body in [
        json!({ "kind": "deletion" }),
        json!({ "kind": "access", "child_id": w.child }),
        json!({ "kind": "access", "volunteer_id": Uuid::new_v4() }),
    ] {
        let (status, answer) = w.mother.post_json("/api/v1/requests", &body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body} → {answer}");
    }
    let before = count().await;
    let (status, own) = w
        .mother
        .post_json("/api/v1/requests", &json!({ "kind": "access" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    assert_eq!(own["volunteer_id"], w.volunteer.to_string());
    assert_eq!(own["requester_relation"], "self");
    assert_eq!(count().await, before + 1);
    let (_, listed) = w.mother.get_json("/api/v1/requests").await;
    assert_eq!(listed["total"], 1, "she sees her own only");
    let own_id = own["id"].as_str().unwrap();
    assert_eq!(
        w.mother
            .get(&format!("/api/v1/requests/{own_id}/export?format=xlsx"))
            .await
            .status(),
        StatusCode::CONFLICT,
        "her copy comes once the staff have done the request"
    );
    let (status, _) = w
        .mother
        .post_json(
            &format!("/api/v1/requests/{own_id}/complete"),
            &json!({ "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, done) = w
        .staff
        .post_json(
            &format!("/api/v1/requests/{own_id}/complete"),
            &json!({ "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let sheets = copy(
        &w.mother,
        &format!("/api/v1/requests/{own_id}/export?format=xlsx"),
    )
    .await;
    assert!(format!("{sheets:?}").contains("王秀兰"));
}

#[tokio::test]
async fn a_guardians_phone_call_to_see_then_delete_is_served_from_the_childs_page() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let page = w
        .staff
        .get(&format!("/children/{}", w.child))
        .await
        .text()
        .await
        .unwrap();
    let new = format!("/requests/new?child_id={}", w.child);
    assert!(
        page.contains(&new.replace('&', "&amp;")),
        "the child's page links the request form"
    );

    let form = w.staff.get(&new).await.text().await.unwrap();
    assert!(form.contains(CHILD_NAME) && form.contains(&crate::harness::today()));
    assert!(
        form.contains(r#"<option value="phone" selected>"#),
        "a phone call is the default"
    );
    let child = w.child.to_string();
    let mut fields = vec![
        ("kind", "access"),
        ("child_id", child.as_str()),
        ("requester_name", GUARDIAN_NAME),
        ("requester_relation", "grandmother"),
        ("channel", "phone"),
        ("received_on", "2026-11-30"),
        ("identity_check", ""),
        ("note", "想看看孩子的记录"),
    ];
    // Without the identity check: refused beside the field, what was typed kept.
    let refused = w.staff.post_form("/requests", &fields).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("如何核实申请人身份")
            && html.contains("想看看孩子的记录")
            && html.contains(GUARDIAN_NAME)
    );
    fields[6] = ("identity_check", "回拨登记电话核实");
    let made = w.staff.post_form("/requests", &fields).await;
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let at = made.headers()["location"].to_str().unwrap().to_owned();
    let detail = w.staff.get(&at).await.text().await.unwrap();
    assert!(detail.contains(&format!("{at}/copy")) && detail.contains("/export?format=xlsx"));
    let printable = w
        .staff
        .get(&format!("{at}/copy"))
        .await
        .text()
        .await
        .unwrap();
    for held in [CHILD_NAME, GUARDIAN_PHONE, NOTE, "查阅和修改记录"] {
        assert!(printable.contains(held), "{held}");
    }
    assert!(
        !printable.contains(CONCERN) || printable.matches(CONCERN).count() == 1,
        "abuse held back"
    );
    let version = |html: &str| {
        html.split(r#"name="version" value=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    let done = w
        .staff
        .post_form(&format!("{at}/complete"), &[("version", &version(&detail))])
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert!(
        w.staff
            .get(&at)
            .await
            .text()
            .await
            .unwrap()
            .contains("已办结")
    );

    // Then the deletion, the same way.
    fields[0] = ("kind", "deletion");
    let made = w.staff.post_form("/requests", &fields).await;
    let at = made.headers()["location"].to_str().unwrap().to_owned();
    let detail = w.staff.get(&at).await.text().await.unwrap();
    assert!(detail.contains("不可恢复") && detail.contains(r#"name="confirm""#));
    let done = w
        .staff
        .post_form(
            &format!("{at}/complete"),
            &[("version", &version(&detail)), ("confirm", "1")],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let page = w
        .staff
        .get(&format!("/children/{}", w.child))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("（已删除）") && !page.contains(CHILD_NAME) && !page.contains(GUARDIAN_NAME)
    );
}

#[tokio::test]
async fn the_privacy_notice_is_public_names_its_officer_and_the_retention_page_counts_for_admins() {
    let app = TestApp::spawn_with_vars(&[
        ("AIXIN_PRIVACY_OFFICER", "广汉市妇联 刘芳 0838-5555555"),
        ("AIXIN_RETENTION_MONTHS", "24"),
    ])
    .await;
    let anonymous = app.browser();
    let login = anonymous.get("/login").await.text().await.unwrap();
    assert!(login.contains(r#"href="/privacy""#));
    let notice = anonymous.get("/privacy").await;
    assert_eq!(notice.status(), StatusCode::OK);
    let notice = notice.text().await.unwrap();
    for said in ["刘芳 0838-5555555", "24 个月", "15 天", "爱心妈妈：只看到"] {
        assert!(notice.contains(said), "{said}");
    }
    let english = anonymous
        .http
        .get(anonymous.url("/privacy"))
        .header("cookie", "aixin_lang=en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("Privacy notice") && english.contains("24 months"));

    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let (old, _) = fixtures::child(p, station).await;
    sqlx::query("UPDATE child SET status = 'exited', exit_reason = 'family_moved', exited_on = DATE '2023-01-05' WHERE id = $1")
        .bind(old)
        .execute(p)
        .await
        .unwrap();
    let (admin, _) = app.logged_in("admin", "510681").await;
    let page = admin.get("/admin/retention").await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("已退出的儿童</dt><dd>1</dd>"), "{page}");
    assert!(page.contains("还没有运行记录"));
    let (staff, _) = app.logged_in("staff", "510681").await;
    assert_eq!(
        staff.get("/admin/retention").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_volunteers_deletion_ends_her_pairings_her_login_and_every_trace_of_her_phone() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let w = world(&app).await;
    let (phone, username): (String, String) = sqlx::query_as(
        "SELECT v.phone, u.username FROM volunteer v JOIN app_user u ON u.volunteer_id = v.id
         WHERE v.id = $1",
    )
    .bind(w.volunteer)
    .fetch_one(p)
    .await
    .unwrap();
    // She once mistyped her password, logging in by her mobile number.
    let (status, _) = app
        .browser()
        .post_json(
            "/api/v1/session",
            &json!({ "username": phone, "password": "wrong-password-1" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!found_anywhere(p, &phone).await.is_empty());

    let (status, request) = w
        .staff
        .post_json(
            "/api/v1/requests",
            &json!({
                "kind": "deletion", "volunteer_id": w.volunteer, "requester_name": "王秀兰",
                "requester_relation": "self", "channel": "in_person",
                "received_on": crate::harness::today(), "identity_check": "本人持身份证到县妇联"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let (status, done) = w
        .staff
        .post_json(
            &format!(
                "/api/v1/requests/{}/complete",
                request["id"].as_str().unwrap()
            ),
            &json!({ "version": request["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");

    let (status, reason): (String, Option<String>) =
        sqlx::query_as("SELECT status::text, closure_reason::text FROM pairing WHERE id = $1")
            .bind(w.pairing)
            .fetch_one(p)
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), reason.as_deref()),
        ("closed", Some("volunteer_withdrew"))
    );
    for needle in [phone.as_str(), username.as_str(), "王秀兰"] {
        assert_eq!(
            found_anywhere(p, needle).await,
            Vec::<String>::new(),
            "{needle}"
        );
    }
    let (status, _) = app
        .browser()
        .post_json(
            "/api/v1/session",
            &json!({ "username": username, "password": PASSWORD }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "her login is closed for good"
    );
    let (_, mine) = w.mother.get_json("/api/v1/me/children").await;
    assert!(
        mine["items"].as_array().is_none_or(|i| i.is_empty()),
        "{mine}"
    );
    let (_, stats) = w
        .staff
        .get_json("/api/v1/stats?region=510681&from=2026-01-01")
        .await;
    assert_eq!(stats["contacts"], 2, "her contacts are still counted");
}
