//! Volunteers: validation, privacy of ID and phone numbers, the pipeline, concurrency, scope.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::{self, LONGJU, YUNDING};
use crate::harness::{PASSWORD, TestApp, assert_error};

/// A valid 18-character ID number: 17 digits and their GB 11643 check character.
pub fn id_number(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    format!("{first17}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

fn volunteer_body(station: &str) -> Value {
    json!({
        "name": "王秀兰",
        "gender": "female",
        "phone": "139 1234 5678",
        "id_number": id_number("51068119850312002"),
        "region_code": "510681002006",
        "station_id": station,
        "organization": "汉州街道卫生院",
        "occupation": "护士",
        "skills": ["学业辅导", "医疗"],
        "capacity": 2
    })
}

#[tokio::test]
async fn id_numbers_are_stored_encrypted_shown_masked_and_revealed_with_an_audit() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let id = id_number("51068119850312002");

    let (status, created) = staff
        .post_json("/api/v1/volunteers", &volunteer_body(&station.to_string()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["phone_masked"], "139****5678");
    assert_eq!(
        created["id_number_masked"],
        format!("510681********{}", &id[14..])
    );
    assert_eq!(
        created["birth_date"], "1985-03-12",
        "taken from the ID number"
    );
    assert!(created.get("id_number").is_none() && created.get("phone").is_none());

    let (stored, hash): (Vec<u8>, Vec<u8>) =
        sqlx::query_as("SELECT id_number, id_number_hash FROM volunteer")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert!(
        !stored.windows(18).any(|w| w == id.as_bytes()),
        "the ciphertext is not the ID number"
    );
    assert!(!hash.windows(18).any(|w| w == id.as_bytes()));

    let (_, list) = staff.get_json("/api/v1/volunteers").await;
    let listed = list["items"][0].to_string();
    assert!(
        listed.contains("139****5678") && !listed.contains("13912345678") && !listed.contains(&id)
    );

    let vid = created["id"].as_str().unwrap();
    let (status, shown) = staff
        .post_json(
            &format!("/api/v1/volunteers/{vid}/reveal"),
            &json!({ "field": "id_number" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["value"], id);
    let page = staff
        .post_form(&format!("/volunteers/{vid}/reveal"), &[("field", "phone")])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("13912345678"));
    let reveals: Vec<String> = sqlx::query_scalar(
        "SELECT detail::text FROM audit_event WHERE action = 'reveal' ORDER BY at",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(reveals.len(), 2);
    assert!(
        reveals
            .iter()
            .all(|d| !d.contains(&id) && !d.contains("13912345678")),
        "the audit names the field, never the value"
    );
}

#[tokio::test]
async fn every_validation_rule_names_its_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await.to_string();
    let (staff, _) = app.logged_in("staff", "510681").await;
    let good = id_number("51068119850312002");
    let mut wrong_check = good.clone();
    wrong_check.replace_range(17..18, if good.ends_with('1') { "2" } else { "1" });
    let cases = [
        ("id_number", json!(wrong_check), "校验位不正确"),
        (
            "id_number",
            json!(id_number("51068119850230002")),
            "出生日期不存在",
        ),
        ("id_number", json!("51068119850312"), "应为 18 位"),
        ("phone", json!("1391234567"), "11 位手机号"),
        ("phone", json!("12912345678"), "11 位手机号"),
        ("birth_date", json!("2099-01-01"), "不能晚于今天"),
        ("name", json!("王".repeat(51)), "最多 50 个字符"),
        ("region_code", json!("5106"), "县（市、区）、乡镇"),
        ("capacity", json!(0), "1 到 10"),
        ("status", json!("active"), "需要填写"),
    ];
    for (field, value, message) in cases {
        let mut body = volunteer_body(&station);
        body[field] = value.clone();
        let (status, error) = staff.post_json("/api/v1/volunteers", &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field} = {value}: {error}"
        );
        let fields = &error["error"]["fields"];
        let said = fields.as_object().and_then(|f| {
            f.values()
                .find_map(|m| m.as_str().filter(|m| m.contains(message)))
        });
        assert!(said.is_some(), "{field} = {value}: {fields}");
    }
    // The ID number must agree with the birth date and gender on the same form.
    let mut body = volunteer_body(&station);
    body["birth_date"] = json!("1985-03-13");
    let (_, error) = staff.post_json("/api/v1/volunteers", &body).await;
    assert!(
        error["error"]["fields"]["id_number"]
            .as_str()
            .unwrap()
            .contains("出生日期不一致")
    );
    body["birth_date"] = json!("1985-03-12");
    body["gender"] = json!("male");
    let (_, error) = staff.post_json("/api/v1/volunteers", &body).await;
    assert!(
        error["error"]["fields"]["id_number"]
            .as_str()
            .unwrap()
            .contains("性别不一致")
    );

    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM volunteer")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing written");
}

#[tokio::test]
async fn a_registered_id_number_or_phone_points_to_the_existing_record() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await.to_string();
    let (staff, _) = app.logged_in("staff", "510681").await;
    let (_, first) = staff
        .post_json("/api/v1/volunteers", &volunteer_body(&station))
        .await;

    let mut again = volunteer_body(&station);
    again["phone"] = json!("13700000000");
    let (status, error) = staff.post_json("/api/v1/volunteers", &again).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&error, "duplicate_id_number");
    assert!(
        error["error"]["fields"]["id_number"]
            .as_str()
            .unwrap()
            .contains(first["id"].as_str().unwrap())
    );

    let mut same_phone = volunteer_body(&station);
    same_phone["id_number"] = json!(null);
    let (status, error) = staff.post_json("/api/v1/volunteers", &same_phone).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&error, "duplicate_phone");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM volunteer")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_volunteer_moves_through_the_pipeline_and_is_never_activated_unscreened() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await.to_string();
    let (staff, _) = app.logged_in("staff", "510681").await;
    let (_, v) = staff
        .post_json("/api/v1/volunteers", &volunteer_body(&station))
        .await;
    let path = format!("/api/v1/volunteers/{}", v["id"].as_str().unwrap());
    assert_eq!(v["status"], "applied");

    let (status, error) = staff
        .patch_json(&path, &json!({ "status": "active", "version": 1 }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["error"]["fields"]["status"].is_string(), "{error}");
    let (status, error) = staff
        .patch_json(&path, &json!({ "status": "screened", "version": 1 }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error["error"]["fields"]["background_check_on"].is_string()
            && error["error"]["fields"]["interviewed_on"].is_string()
    );

    let (status, v) = staff
        .patch_json(&path, &json!({ "status": "screened", "background_check_on": "2026-09-01", "interviewed_on": "2026-09-02", "version": 1 }))
        .await;
    assert_eq!(
        (status, v["status"].as_str()),
        (StatusCode::OK, Some("screened")),
        "{v}"
    );
    let (_, v) = staff
        .patch_json(
            &path,
            &json!({ "status": "trained", "trained_on": "2026-09-10", "version": 2 }),
        )
        .await;
    assert_eq!(v["status"], "trained");
    let (_, v) = staff
        .patch_json(&path, &json!({ "status": "active", "version": 3 }))
        .await;
    assert_eq!(v["status"], "active");
    assert_eq!(
        v["phone_masked"], "139****5678",
        "a PATCH without phone keeps it"
    );
    let statuses: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE entity = 'volunteer' AND action = 'update'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(statuses, 3);
}

#[tokio::test]
async fn a_stale_version_is_a_409_and_the_row_is_unchanged() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await.to_string();
    let (staff, _) = app.logged_in("staff", "510681").await;
    let (_, v) = staff
        .post_json("/api/v1/volunteers", &volunteer_body(&station))
        .await;
    let path = format!("/api/v1/volunteers/{}", v["id"].as_str().unwrap());
    staff
        .patch_json(&path, &json!({ "occupation": "教师", "version": 1 }))
        .await;

    let (status, error) = staff
        .patch_json(&path, &json!({ "occupation": "医生", "version": 1 }))
        .await;

    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&error, "stale_version");
    assert_eq!(error["error"]["current"]["occupation"], "教师");
    let occupation: String = sqlx::query_scalar("SELECT occupation FROM volunteer")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(occupation, "教师");
}

#[tokio::test]
async fn station_managers_register_and_edit_only_at_their_own_stations() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let own = fixtures::station(p, LONGJU).await;
    let other = fixtures::station(p, YUNDING).await;
    let manager = app.station_manager(&[own]).await;
    let browser = app.browser();
    browser.log_in(&manager.username, PASSWORD).await;
    let theirs = fixtures::volunteer(p, other, "applied", 2).await;

    let (status, error) = browser
        .post_json("/api/v1/volunteers", &volunteer_body(&other.to_string()))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error["error"]["fields"]["station_id"].is_string(),
        "{error}"
    );
    let mut no_station = volunteer_body("");
    no_station["station_id"] = json!(null);
    let (status, _) = browser.post_json("/api/v1/volunteers", &no_station).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, created) = browser
        .post_json("/api/v1/volunteers", &volunteer_body(&own.to_string()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    let (status, _) = browser
        .patch_json(
            &format!("/api/v1/volunteers/{theirs}"),
            &json!({ "name": "改", "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = browser.get_json("/api/v1/volunteers").await;
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn the_pages_register_a_volunteer_and_keep_input_on_error() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await.to_string();
    let (staff, _) = app.logged_in("staff", "510681").await;
    let form = |phone: &'static str| {
        vec![
            ("name", "李春梅"),
            ("gender", "female"),
            ("phone", phone),
            ("region_code", "510681002"),
            ("station_id", ""),
            ("skills", "学业辅导、心理"),
            ("status", "applied"),
            ("capacity", "2"),
        ]
    };
    let page = staff.get("/volunteers/new").await.text().await.unwrap();
    assert!(page.contains("汉州街道"));

    let refused = staff.post_form("/volunteers", &form("1391234")).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("请填写 11 位手机号")
            && html.contains(r#"value="李春梅""#)
            && html.contains(r#"value="学业辅导、心理""#)
    );

    let mut good = form("13812345678");
    good[4] = ("station_id", station.as_str());
    let created = staff.post_form("/volunteers", &good).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let detail = staff.get(&location).await.text().await.unwrap();
    assert!(
        detail.contains("爱心妈妈已登记")
            && detail.contains("138****5678")
            && !detail.contains("13812345678")
    );
    let list = staff
        .get("/volunteers?q=李春梅")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("李春梅") && list.contains("学业辅导、心理"));
}

#[tokio::test]
async fn her_page_lists_her_pairings_and_the_trainings_she_attended() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let (running, ended) = (
        fixtures::pairable_child(p, station).await,
        fixtures::pairable_child(p, station).await,
    );
    fixtures::pair(p, running, volunteer, station)
        .await
        .unwrap();
    let closed = fixtures::pair(p, ended, volunteer, station).await.unwrap();
    sqlx::query(
        "UPDATE pairing SET status = 'closed', ended_on = DATE '2026-06-01',
                            closure_reason = 'family_moved' WHERE id = $1",
    )
    .bind(closed)
    .execute(p)
    .await
    .unwrap();
    for (title, topic) in [
        ("未保法学习", "minors_protection_law"),
        ("心理讲座", "mental_health"),
    ] {
        sqlx::query(
            "WITH a AS (INSERT INTO activity (station_id, kind, title, held_on, topic)
                        VALUES ($1, 'training', $2, DATE '2026-04-01', $3::training_topic) RETURNING id)
             INSERT INTO attendance (activity_id, volunteer_id) SELECT id, $4 FROM a",
        )
        .bind(station)
        .bind(title)
        .bind(topic)
        .bind(volunteer)
        .execute(p)
        .await
        .unwrap();
    }
    let (staff, _) = app.logged_in("staff", "510681").await;

    let html = staff
        .get(&format!("/volunteers/{volunteer}"))
        .await
        .text()
        .await
        .unwrap();
    // Two pairings: the running one with its health mark, the closed one with its reason.
    assert_eq!(html.matches("/pairings/").count(), 2, "{html}");
    assert_eq!(html.matches("tag health-").count(), 1);
    assert!(html.contains("<td>2026年6月1日（家庭迁居）</td>"));
    // Both trainings, only the law marked as one that qualifies her.
    assert!(html.contains("未保法学习") && html.contains("心理讲座"));
    assert_eq!(html.matches(">必修<").count(), 1);
}
