//! Children, guardians and consent.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::{self, LONGJU, YUNDING};
use crate::harness::{PASSWORD, TestApp, assert_error};
use crate::volunteers::id_number;

fn child_body(station: &str) -> Value {
    json!({
        "name": "李小雨",
        "gender": "female",
        "birth_date": "2016-05-04",
        "category": "left_behind",
        "region_code": "510681002006",
        "station_id": station,
        "school": "汉州小学",
        "grade": "四年级",
        "living_with": "grandparents",
        "parents_status": "both_migrant",
        "needs": ["academic", "companionship"],
        "guardian": { "name": "李奶奶", "relation": "grandmother", "phone": "13812345678", "share_contact_with_volunteer": true },
        "consent": { "given_on": "2026-09-01", "method": "signed_form" }
    })
}

async fn staff_and_station(app: &TestApp) -> (crate::harness::Browser, String) {
    let station = fixtures::station(app.pool(), LONGJU).await.to_string();
    let (staff, _) = app.logged_in("staff", "510681").await;
    (staff, station)
}

#[tokio::test]
async fn a_child_under_14_is_registered_only_with_a_guardians_consent() {
    let app = TestApp::spawn().await;
    let (staff, station) = staff_and_station(&app).await;
    let mut bare = child_body(&station);
    bare.as_object_mut().unwrap().remove("guardian");
    bare.as_object_mut().unwrap().remove("consent");

    let (status, error) = staff.post_json("/api/v1/children", &bare).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error["error"]["fields"]["guardian.name"]
            .as_str()
            .unwrap()
            .contains("监护人同意"),
        "{error}"
    );
    let mut no_consent = child_body(&station);
    no_consent.as_object_mut().unwrap().remove("consent");
    let (status, error) = staff.post_json("/api/v1/children", &no_consent).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error["error"]["fields"]["consent.given_on"].is_string(),
        "{error}"
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM child")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(count, 0);

    let (status, child) = staff
        .post_json("/api/v1/children", &child_body(&station))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{child}");
    assert_eq!(child["status"], "registered");
    assert_eq!(child["guardians"][0]["phone_masked"], "138****5678");
    assert_eq!(child["consents"][0]["scope"], "registration");
    assert_eq!(child["consents"][0]["guardian_name"], "李奶奶");
    let (_, fetched) = staff
        .get_json(&format!(
            "/api/v1/children/{}",
            child["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        fetched, child,
        "a create answers the record as a GET returns it"
    );

    // A 15-year-old may be registered first and the guardian added later.
    let mut older = bare.clone();
    older["name"] = json!("王大山");
    older["birth_date"] = json!("2011-01-10");
    let (status, _) = staff.post_json("/api/v1/children", &older).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn child_rules_are_checked_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let (staff, station) = staff_and_station(&app).await;
    let cases = [
        (
            "category",
            json!("in_difficulty"),
            "difficulty_types",
            "至少选择一种困境类型",
        ),
        (
            "birth_date",
            json!("2000-01-01"),
            "birth_date",
            "未满 18 周岁",
        ),
        (
            "birth_date",
            json!("2030-01-01"),
            "birth_date",
            "不能晚于今天",
        ),
        (
            "id_number",
            json!(id_number("51068120160504003")),
            "id_number",
            "性别不一致",
        ),
        ("region_code", json!(YUNDING), "region_code", "管辖范围"),
        ("needs", json!(["everything"]), "needs", "请从选项中选择"),
    ];
    for (field, value, error_field, message) in cases {
        let mut body = child_body(&station);
        body[field] = value.clone();
        let (status, error) = staff.post_json("/api/v1/children", &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field} = {value}: {error}"
        );
        let said = error["error"]["fields"][error_field]
            .as_str()
            .unwrap_or_default();
        assert!(said.contains(message), "{field} = {value}: {error}");
    }
    let mut share_without_phone = child_body(&station);
    share_without_phone["guardian"]["phone"] = json!("");
    let (_, error) = staff
        .post_json("/api/v1/children", &share_without_phone)
        .await;
    assert!(
        error["error"]["fields"]["guardian.phone"].is_string(),
        "{error}"
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM child")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn duplicates_point_to_the_existing_child() {
    let app = TestApp::spawn().await;
    let (staff, station) = staff_and_station(&app).await;
    let mut first = child_body(&station);
    first["id_number"] = json!(id_number("51068120160504002"));
    let (_, existing) = staff.post_json("/api/v1/children", &first).await;
    let existing_id = existing["id"].as_str().unwrap();
    assert!(
        existing["id_number_masked"]
            .as_str()
            .unwrap()
            .starts_with("510681********")
    );

    // The same ID number: refused, pointing to the record.
    let mut same_id = child_body(&station);
    same_id["name"] = json!("李小雪");
    same_id["id_number"] = first["id_number"].clone();
    let (status, error) = staff.post_json("/api/v1/children", &same_id).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&error, "duplicate_id_number");
    assert!(
        error["error"]["fields"]["id_number"]
            .as_str()
            .unwrap()
            .contains(existing_id)
    );

    // The same name and birth date in the county: a warning to confirm.
    let (status, error) = staff
        .post_json("/api/v1/children", &child_body(&station))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&error, "possible_duplicate");
    let mut confirmed = child_body(&station);
    confirmed["confirm_duplicate"] = json!(true);
    let (status, _) = staff.post_json("/api/v1/children", &confirmed).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn guardians_consent_and_exit() {
    let app = TestApp::spawn().await;
    let (staff, station) = staff_and_station(&app).await;
    let (_, child) = staff
        .post_json("/api/v1/children", &child_body(&station))
        .await;
    let id = child["id"].as_str().unwrap();
    let grandmother = child["guardians"][0]["id"].as_str().unwrap();

    let (status, father) = staff
        .post_json(
            &format!("/api/v1/children/{id}/guardians"),
            &json!({ "name": "李建国", "relation": "father", "phone": "13900001111" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{father}");
    assert_eq!(father["share_contact_with_volunteer"], false);

    let (status, consent) = staff
        .post_json(&format!("/api/v1/children/{id}/consents"), &json!({ "guardian_id": grandmother, "scope": "pairing", "given_on": "2026-09-05", "method": "in_person" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{consent}");
    let (status, error) = staff
        .post_json(&format!("/api/v1/children/{id}/consents"), &json!({ "guardian_id": uuid::Uuid::new_v4(), "scope": "pairing", "given_on": "2026-09-05", "method": "in_person" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["error"]["fields"]["guardian_id"].is_string());

    let withdraw = format!(
        "/api/v1/consents/{}/withdraw",
        consent["id"].as_str().unwrap()
    );
    let (status, withdrawn) = staff
        .post_json(&withdraw, &json!({ "withdrawn_on": "2026-10-01" }))
        .await;
    assert_eq!(
        (status, withdrawn["withdrawn_on"].as_str()),
        (StatusCode::OK, Some("2026-10-01"))
    );
    let (status, error) = staff.post_json(&withdraw, &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&error, "already_withdrawn");
    let consents: i64 = sqlx::query_scalar("SELECT count(*) FROM consent")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(consents, 2, "a withdrawal never deletes the record");

    let (status, shown) = staff
        .post_json(
            &format!("/api/v1/children/{id}/reveal"),
            &json!({ "field": "guardian_phone", "guardian_id": grandmother }),
        )
        .await;
    assert_eq!(
        (status, shown["value"].as_str()),
        (StatusCode::OK, Some("13812345678"))
    );

    let path = format!("/api/v1/children/{id}");
    let (status, error) = staff
        .patch_json(&path, &json!({ "status": "exited", "version": 1 }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["error"]["fields"]["exit_reason"].is_string());
    let (status, error) = staff
        .patch_json(&path, &json!({ "status": "paired", "version": 1 }))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "pairing sets paired: {error}"
    );
    let (status, exited) = staff
        .patch_json(&path, &json!({ "status": "exited", "exit_reason": "family_moved", "exited_on": "2026-10-20", "version": 1 }))
        .await;
    assert_eq!(status, StatusCode::OK, "{exited}");
    assert_eq!(
        (exited["status"].as_str(), exited["exit_reason"].as_str()),
        (Some("exited"), Some("family_moved"))
    );
}

#[tokio::test]
async fn children_are_reached_only_within_scope() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let own = fixtures::station(p, LONGJU).await;
    let other = fixtures::station(p, YUNDING).await;
    let (theirs, _) = fixtures::child(p, other).await;
    let (county, _) = app.logged_in("staff", "510623").await;
    let manager = app.station_manager(&[own]).await;
    let browser = app.browser();
    browser.log_in(&manager.username, PASSWORD).await;

    assert_eq!(
        county
            .get_json(&format!("/api/v1/children/{theirs}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(county.get_json("/api/v1/children").await.1["total"], 0);
    let (status, error) = browser
        .post_json("/api/v1/children", &child_body(&other.to_string()))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["error"]["fields"]["station_id"].is_string());
    let (status, _) = browser
        .post_json("/api/v1/children", &child_body(&own.to_string()))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = browser
        .post_json(
            &format!("/api/v1/children/{theirs}/guardians"),
            &json!({ "name": "x", "relation": "father" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_pages_register_a_child_with_guardian_and_consent() {
    let app = TestApp::spawn().await;
    let (staff, station) = staff_and_station(&app).await;
    let mut form = vec![
        ("name", "陈小明"),
        ("gender", "male"),
        ("birth_date", "2017-03-02"),
        ("category", "in_difficulty"),
        ("difficulty_types", "low_income"),
        ("difficulty_types", "disabled"),
        ("region_code", "510681002006"),
        ("station_id", station.as_str()),
        ("needs", "academic"),
        ("guardian_name", "陈爷爷"),
        ("guardian_relation", "grandfather"),
        ("guardian_phone", "13700001234"),
    ];
    let refused = staff.post_form("/children", &form).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("须有监护人同意"));
    assert!(
        html.contains(r#"value="low_income" checked"#) && html.contains(r#"value="陈爷爷""#),
        "every tick and field kept"
    );

    form.extend([
        ("consent_given_on", "2026-09-01"),
        ("consent_method", "signed_form"),
    ]);
    let created = staff.post_form("/children", &form).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let page = staff.get(&location).await.text().await.unwrap();
    assert!(
        page.contains("儿童已登记")
            && page.contains("陈爷爷")
            && page.contains("137****1234")
            && page.contains("低收入家庭")
    );
    assert!(!page.contains("13700001234"));
}

#[tokio::test]
async fn a_paired_child_cannot_exit_before_the_pairing_closes() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let child = fixtures::pairable_child(p, station).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    fixtures::pair(p, child, volunteer, station).await.unwrap();
    let (staff, _) = app.logged_in("staff", "510681").await;

    let (status, error) = staff
        .patch_json(&format!("/api/v1/children/{child}"), &json!({ "status": "exited", "exit_reason": "family_moved", "exited_on": "2026-10-20", "version": 2 }))
        .await;

    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_error(&error, "child_has_active_pairing");
    let status: String = sqlx::query_scalar("SELECT status::text FROM child WHERE id = $1")
        .bind(child)
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(status, "paired");
}

#[tokio::test]
async fn the_child_list_sorts_by_name_newest_or_age_and_refuses_other_orders() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    // Registered in this order: 张 (oldest child), 王, 李 (youngest child).
    for (name, born) in [
        ("张小军", "2012-01-02"),
        ("王小红", "2014-03-04"),
        ("李小雨", "2018-05-06"),
    ] {
        sqlx::query(
            "INSERT INTO child (name, gender, birth_date, category, region_code, station_id, created_at)
             SELECT $1, 'female', $2::date, 'left_behind', s.region_code, s.id, now() + (SELECT count(*) FROM child) * interval '1 minute'
             FROM station s WHERE s.id = $3",
        )
        .bind(name)
        .bind(born)
        .bind(station)
        .execute(p)
        .await
        .unwrap();
    }
    let (staff, _) = app.logged_in("staff", "510681").await;
    let names = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };

    let (_, by_name) = staff.get_json("/api/v1/children").await;
    let (_, newest) = staff.get_json("/api/v1/children?sort=newest").await;
    let (_, by_age) = staff.get_json("/api/v1/children?sort=birth_date").await;
    let (status, refused) = staff.get_json("/api/v1/children?sort=shoe_size").await;

    assert_eq!(names(&by_name), ["李小雨", "王小红", "张小军"]); // pinyin order: li, wang, zhang
    assert_eq!(names(&newest), ["李小雨", "王小红", "张小军"]);
    assert_eq!(names(&by_age), ["张小军", "王小红", "李小雨"]);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused["error"]["fields"]["sort"].is_string());
    let page = staff
        .get("/children?sort=newest")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<option value="newest" selected>"#));
    let first = page.find("李小雨").unwrap();
    assert!(
        first < page.find("张小军").unwrap(),
        "newest first on the page too"
    );
}

#[tokio::test]
async fn the_child_page_is_titled_by_her_name_and_shows_her_pairing_history_once() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let child = fixtures::pairable_child(p, station).await;
    fixtures::pair(p, child, volunteer, station).await.unwrap();
    let (staff, _) = app.logged_in("staff", "510681").await;

    let page = staff.get(&format!("/children/{child}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let title = html
        .split_once("<title>")
        .and_then(|(_, rest)| rest.split_once("</title>"))
        .map(|(title, _)| title)
        .unwrap();
    assert!(title.contains("李小雨"), "{title}");
    assert!(!title.contains("结对历史"), "{title}");
    // The history is in the page itself, once: her volunteer and how the pairing is doing.
    assert_eq!(html.matches("结对历史").count(), 1);
    assert!(html.contains("王秀兰") && html.contains("tag health-"));
}
