//! A person's residence lies in the county of their station; moving further is a transfer (finding 2).

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::fixtures::{self, HANZHOU, LONGJU, YUNDING};
use crate::harness::{Browser, PASSWORD, TestApp, assert_error};
use crate::imports::{children_csv, upload_children};

/// 凯江镇, 中江县, 德阳市: another county of the same city as 汉州街道.
const KAIJIANG: &str = "510623100";

async fn manager_of(app: &TestApp, station: Uuid) -> Browser {
    let manager = app.station_manager(&[station]).await;
    let browser = app.browser();
    browser.log_in(&manager.username, PASSWORD).await;
    browser
}

async fn region_and_station(db: &PgPool, table: &str, id: Uuid) -> (String, Uuid) {
    sqlx::query_as(&format!(
        "SELECT region_code, station_id FROM {table} WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(db)
    .await
    .unwrap()
}

async fn version(db: &PgPool, table: &str, id: Uuid) -> i32 {
    sqlx::query_scalar(&format!("SELECT version FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_one(db)
        .await
        .unwrap()
}

fn names_region(body: &Value) {
    assert_error(body, "validation_failed");
    assert!(
        body["error"]["fields"]["region_code"].is_string(),
        "the refusal names region_code: {body}"
    );
}

#[tokio::test]
async fn a_station_manager_cannot_move_a_child_into_another_county() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let (child, _) = fixtures::child(app.pool(), station).await;
    let manager = manager_of(&app, station).await;

    let (status, body) = manager
        .patch_json(
            &format!("/api/v1/children/{child}"),
            &json!({ "region_code": YUNDING, "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    names_region(&body);
    assert_eq!(
        region_and_station(app.pool(), "child", child).await,
        (LONGJU.to_owned(), station)
    );

    // Within the county the residence may change.
    let (status, body) = manager
        .patch_json(
            &format!("/api/v1/children/{child}"),
            &json!({ "region_code": HANZHOU, "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_station_manager_cannot_register_a_child_or_volunteer_of_another_county() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let manager = manager_of(&app, station).await;

    let (status, body) = manager
        .post_json(
            "/api/v1/children",
            &json!({
                "name": "张小明", "gender": "male", "birth_date": "2015-03-02",
                "category": "left_behind", "region_code": YUNDING,
                "station_id": station.to_string(), "needs": ["academic"],
                "guardian": { "name": "张奶奶", "relation": "grandmother", "phone": "13812345679" },
                "consent": { "scope": "registration", "given_on": "2026-09-01", "method": "signed_form" }
            }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    names_region(&body);

    let (status, body) = manager
        .post_json(
            "/api/v1/volunteers",
            &json!({
                "name": "王秀兰", "gender": "female", "phone": "13912345670",
                "region_code": YUNDING, "station_id": station.to_string(), "capacity": 2
            }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    names_region(&body);
    let people: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM child) + (SELECT count(*) FROM volunteer)",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(people, 0);
}

#[tokio::test]
async fn a_station_manager_cannot_move_a_volunteer_into_another_county() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let volunteer = fixtures::volunteer(app.pool(), station, "active", 2).await;
    let manager = manager_of(&app, station).await;

    let (status, body) = manager
        .patch_json(
            &format!("/api/v1/volunteers/{volunteer}"),
            &json!({ "region_code": YUNDING, "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    names_region(&body);
    assert_eq!(
        region_and_station(app.pool(), "volunteer", volunteer).await,
        (LONGJU.to_owned(), station)
    );
}

#[tokio::test]
async fn the_edit_pages_show_the_residence_error_beside_the_field() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let (child, _) = fixtures::child(app.pool(), station).await;
    let volunteer = fixtures::volunteer(app.pool(), station, "applied", 2).await;
    let manager = manager_of(&app, station).await;
    let station = station.to_string();

    let page = manager
        .post_form(
            &format!("/children/{child}/edit"),
            &[
                ("name", "李小雨"),
                ("gender", "female"),
                ("birth_date", "2016-05-04"),
                ("category", "left_behind"),
                ("region_code", YUNDING),
                ("station_id", &station),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("驿站所在县"),
        "the child's form names the rule"
    );

    let page = manager
        .post_form(
            &format!("/volunteers/{volunteer}/edit"),
            &[
                ("name", "王秀兰"),
                ("gender", "female"),
                ("phone", "13912345678"),
                ("region_code", YUNDING),
                ("station_id", &station),
                ("capacity", "2"),
                ("status", "applied"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("驿站所在县"),
        "the volunteer's form names the rule"
    );
    assert_eq!(
        region_and_station(app.pool(), "child", child).await.0,
        LONGJU
    );
    assert_eq!(
        region_and_station(app.pool(), "volunteer", volunteer)
            .await
            .0,
        LONGJU
    );
}

#[tokio::test]
async fn an_imported_row_living_in_another_county_is_refused() {
    let app = TestApp::spawn().await;
    fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "51").await;
    let row = format!(
        "孩子,女,2016-05-04,留守儿童,{YUNDING},龙居社区爱心妈妈驿站,学业,家长,祖母/外祖母,13800000001,2026-09-01,纸质签字"
    );
    let refused = upload_children(&staff, children_csv(&[row])).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("驿站所在县"));
    let children: i64 = sqlx::query_scalar("SELECT count(*) FROM child")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(children, 0);
}

#[tokio::test]
async fn an_imported_volunteer_living_in_another_county_is_refused() {
    let app = TestApp::spawn().await;
    fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "51").await;
    let csv = format!(
        "姓名,性别,手机号,居住地区代码,驿站名称,特长,状态\n王秀兰,女,13900000001,{YUNDING},龙居社区爱心妈妈驿站,学业辅导,已报名\n"
    );
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("volunteers.csv"),
    );
    let refused = staff
        .http
        .post(staff.url("/volunteers/import"))
        .header("origin", staff.url(""))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("驿站所在县"));
    let volunteers: i64 = sqlx::query_scalar("SELECT count(*) FROM volunteer")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(volunteers, 0);
}

#[tokio::test]
async fn a_station_with_people_stays_in_its_county() {
    let app = TestApp::spawn().await;
    let (province, _) = app.logged_in("staff", "51").await;
    let schedule = json!([
        { "weekday": 3, "opens": "14:00", "closes": "17:30" },
        { "weekday": 6, "opens": "9:00", "closes": "11:30" }
    ]);
    let (status, created) = province
        .post_json(
            "/api/v1/stations",
            &json!({ "name": "龙居社区爱心妈妈驿站", "region_code": LONGJU,
                     "build_mode": "embedded", "schedule": schedule }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let station: Uuid = created["id"].as_str().unwrap().parse().unwrap();
    fixtures::child(app.pool(), station).await;

    let (status, body) = province
        .patch_json(
            &format!("/api/v1/stations/{station}"),
            &json!({ "region_code": YUNDING, "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    names_region(&body);
    let moved = sqlx::query("UPDATE station SET region_code = $1 WHERE id = $2")
        .bind(KAIJIANG)
        .bind(station)
        .execute(app.pool())
        .await;
    assert_eq!(fixtures::violated(moved), "station_keeps_its_county");
    // Within its county it may move.
    let (status, body) = province
        .patch_json(
            &format!("/api/v1/stations/{station}"),
            &json!({ "region_code": HANZHOU, "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_database_refuses_a_residence_outside_the_station_county() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let (child, _) = fixtures::child(app.pool(), station).await;
    let volunteer = fixtures::volunteer(app.pool(), station, "active", 2).await;

    let moved = sqlx::query("UPDATE child SET region_code = $1 WHERE id = $2")
        .bind(YUNDING)
        .bind(child)
        .execute(app.pool())
        .await;
    assert_eq!(
        fixtures::violated(moved),
        "child_residence_in_station_county"
    );
    let moved = sqlx::query("UPDATE volunteer SET region_code = $1 WHERE id = $2")
        .bind(YUNDING)
        .bind(volunteer)
        .execute(app.pool())
        .await;
    assert_eq!(
        fixtures::violated(moved),
        "volunteer_residence_in_station_county"
    );
    // A station of another county, keeping the residence, is refused as well.
    let elsewhere = fixtures::station(app.pool(), YUNDING).await;
    let moved = sqlx::query("UPDATE child SET station_id = $1 WHERE id = $2")
        .bind(elsewhere)
        .bind(child)
        .execute(app.pool())
        .await;
    assert_eq!(
        fixtures::violated(moved),
        "child_residence_in_station_county"
    );
    let inserted = sqlx::query(
        "INSERT INTO child (name, gender, birth_date, category, region_code, station_id)
         VALUES ('李小雨', 'female', DATE '2016-05-04', 'left_behind', $1, $2)",
    )
    .bind(YUNDING)
    .bind(station)
    .execute(app.pool())
    .await;
    assert_eq!(
        fixtures::violated(inserted),
        "child_residence_in_station_county"
    );
}

#[tokio::test]
async fn a_patch_to_a_station_of_another_county_is_refused_as_a_transfer() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let elsewhere = fixtures::station(app.pool(), KAIJIANG).await;
    let (child, _) = fixtures::child(app.pool(), station).await;
    let (city, _) = app.logged_in("staff", "5106").await;

    let (status, body) = city
        .patch_json(
            &format!("/api/v1/children/{child}"),
            &json!({ "region_code": KAIJIANG, "station_id": elsewhere, "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "validation_failed");
    assert!(body["error"]["fields"]["station_id"].is_string(), "{body}");
    assert_eq!(
        region_and_station(app.pool(), "child", child).await,
        (LONGJU.to_owned(), station)
    );

    let volunteer = fixtures::volunteer(app.pool(), station, "active", 2).await;
    let (status, body) = city
        .patch_json(
            &format!("/api/v1/volunteers/{volunteer}"),
            &json!({ "region_code": KAIJIANG, "station_id": elsewhere, "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "validation_failed");
    assert!(body["error"]["fields"]["station_id"].is_string(), "{body}");
    assert_eq!(
        region_and_station(app.pool(), "volunteer", volunteer).await,
        (LONGJU.to_owned(), station)
    );
}

#[tokio::test]
async fn city_staff_transfer_a_paired_child_who_then_waits_at_the_new_station() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let elsewhere = fixtures::station(app.pool(), KAIJIANG).await;
    let child = fixtures::pairable_child(app.pool(), station).await;
    let volunteer = fixtures::volunteer(app.pool(), station, "active", 2).await;
    let pairing = fixtures::pair(app.pool(), child, volunteer, station)
        .await
        .unwrap();
    let (city, _) = app.logged_in("staff", "5106").await;
    let v = version(app.pool(), "child", child).await;

    let (status, body) = city
        .post_json(
            &format!("/api/v1/children/{child}/transfer"),
            &json!({ "station_id": elsewhere, "region_code": KAIJIANG, "version": v }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["station_id"], elsewhere.to_string());
    assert_eq!(body["region_code"], KAIJIANG);
    assert_eq!(body["status"], "registered");

    let (pairing_status, reason): (String, Option<String>) =
        sqlx::query_as("SELECT status::text, closure_reason::text FROM pairing WHERE id = $1")
            .bind(pairing)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(
        (pairing_status.as_str(), reason.as_deref()),
        ("closed", Some("transferred"))
    );
    let (status, station_now, waiting_today): (String, Uuid, bool) = sqlx::query_as(
        "SELECT status::text, station_id,
                waiting_since = (now() AT TIME ZONE 'Asia/Shanghai')::date
         FROM child WHERE id = $1",
    )
    .bind(child)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        (status.as_str(), station_now, waiting_today),
        ("registered", elsewhere, true)
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event
         WHERE entity = 'child' AND entity_id = $1 AND detail ? 'transferred_from'",
    )
    .bind(child)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // The supervising county's staff no longer reach her; the new county's do.
    let (old_county, _) = app.logged_in("staff", "510681").await;
    let (status, _) = old_county
        .get_json(&format!("/api/v1/children/{child}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (new_county, _) = app.logged_in("staff", "510623").await;
    let (status, _) = new_county
        .get_json(&format!("/api/v1/children/{child}"))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn province_staff_transfer_a_volunteer_whose_pairings_close() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let elsewhere = fixtures::station(app.pool(), YUNDING).await;
    let child = fixtures::pairable_child(app.pool(), station).await;
    let volunteer = fixtures::volunteer(app.pool(), station, "active", 2).await;
    let pairing = fixtures::pair(app.pool(), child, volunteer, station)
        .await
        .unwrap();
    let (province, _) = app.logged_in("staff", "51").await;
    let v = version(app.pool(), "volunteer", volunteer).await;

    let (status, body) = province
        .post_json(
            &format!("/api/v1/volunteers/{volunteer}/transfer"),
            &json!({ "station_id": elsewhere, "region_code": YUNDING, "version": v }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["station_id"], elsewhere.to_string());
    assert_eq!(
        region_and_station(app.pool(), "volunteer", volunteer).await,
        (YUNDING.to_owned(), elsewhere)
    );
    let reason: Option<String> =
        sqlx::query_scalar("SELECT closure_reason::text FROM pairing WHERE id = $1")
            .bind(pairing)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(reason.as_deref(), Some("transferred"));
    let child_status: String = sqlx::query_scalar("SELECT status::text FROM child WHERE id = $1")
        .bind(child)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(child_status, "registered");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event
         WHERE entity = 'volunteer' AND entity_id = $1 AND detail ? 'transferred_from'",
    )
    .bind(volunteer)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn a_transfer_past_the_caller_scope_is_refused() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let elsewhere = fixtures::station(app.pool(), KAIJIANG).await;
    let (child, _) = fixtures::child(app.pool(), station).await;
    let volunteer = fixtures::volunteer(app.pool(), station, "active", 2).await;
    let to_child = json!({ "station_id": elsewhere, "region_code": KAIJIANG, "version": 1 });

    // Staff of the child's county do not reach the other county's station.
    let (county, _) = app.logged_in("staff", "510681").await;
    let (status, body) = county
        .post_json(&format!("/api/v1/children/{child}/transfer"), &to_child)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = county
        .post_json(
            &format!("/api/v1/volunteers/{volunteer}/transfer"),
            &to_child,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // Staff of the other county do not reach the child.
    let (other, _) = app.logged_in("admin", "510623").await;
    let (status, body) = other
        .post_json(&format!("/api/v1/children/{child}/transfer"), &to_child)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // A station manager transfers nobody, even a manager of both stations.
    let both = app.station_manager(&[station, elsewhere]).await;
    let manager = app.browser();
    manager.log_in(&both.username, PASSWORD).await;
    let (status, body) = manager
        .post_json(&format!("/api/v1/children/{child}/transfer"), &to_child)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    assert_eq!(
        region_and_station(app.pool(), "child", child).await,
        (LONGJU.to_owned(), station)
    );
    assert_eq!(
        region_and_station(app.pool(), "volunteer", volunteer).await,
        (LONGJU.to_owned(), station)
    );
}

#[tokio::test]
async fn a_transfer_keeps_the_residence_in_the_new_county_and_refuses_a_stale_copy() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let elsewhere = fixtures::station(app.pool(), KAIJIANG).await;
    let (child, _) = fixtures::child(app.pool(), station).await;
    let (city, _) = app.logged_in("staff", "5106").await;
    let path = format!("/api/v1/children/{child}/transfer");

    let (status, body) = city
        .post_json(
            &path,
            &json!({ "station_id": elsewhere, "region_code": HANZHOU, "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    names_region(&body);

    sqlx::query("UPDATE child SET school = '凯江小学' WHERE id = $1")
        .bind(child)
        .execute(app.pool())
        .await
        .unwrap();
    let (status, body) = city
        .post_json(
            &path,
            &json!({ "station_id": elsewhere, "region_code": KAIJIANG, "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "stale_version");
    assert_eq!(
        region_and_station(app.pool(), "child", child).await,
        (LONGJU.to_owned(), station)
    );
}

#[tokio::test]
async fn the_record_pages_offer_a_transfer_to_those_who_may_make_it() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let elsewhere = fixtures::station(app.pool(), KAIJIANG).await;
    let (child, _) = fixtures::child(app.pool(), station).await;
    let volunteer = fixtures::volunteer(app.pool(), station, "active", 2).await;
    let (city, _) = app.logged_in("staff", "5106").await;
    let manager = manager_of(&app, station).await;

    for record in [
        format!("/children/{child}"),
        format!("/volunteers/{volunteer}"),
    ] {
        let html = city.get(&record).await.text().await.unwrap();
        assert!(
            html.contains(&format!("action=\"{record}/transfer\"")),
            "city staff are offered the transfer on {record}"
        );
        let html = manager.get(&record).await.text().await.unwrap();
        assert!(
            !html.contains("/transfer\""),
            "a station manager is not offered it on {record}"
        );
    }

    // A residence outside the new station's county: the form again, with what was typed.
    let elsewhere = elsewhere.to_string();
    let refused = city
        .post_form(
            &format!("/children/{child}/transfer"),
            &[
                ("station_id", &elsewhere),
                ("region_code", HANZHOU),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("驿站所在县"), "the refusal is shown");
    assert!(
        html.contains(&format!("value=\"{HANZHOU}\"")),
        "the input is kept"
    );

    let done = city
        .post_form(
            &format!("/children/{child}/transfer"),
            &[
                ("station_id", &elsewhere),
                ("region_code", KAIJIANG),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        region_and_station(app.pool(), "child", child).await,
        (KAIJIANG.to_owned(), elsewhere.parse().unwrap())
    );
}
