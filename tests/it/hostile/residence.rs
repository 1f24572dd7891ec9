//! A person's residence lies in the county of their station; moving further is a transfer (finding 2).

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::fixtures::{self, HANZHOU, LONGJU, YUNDING};
use crate::harness::{Browser, PASSWORD, TestApp, assert_error};
use crate::imports::{children_csv, upload_children};

/// 凯江镇, 中江县, 德阳市: another county of the same city as 汉州街道.
pub(super) const KAIJIANG: &str = "510623100";

pub(super) async fn manager_of(app: &TestApp, station: Uuid) -> Browser {
    let manager = app.station_manager(&[station]).await;
    let browser = app.browser();
    browser.log_in(&manager.username, PASSWORD).await;
    browser
}

pub(super) async fn region_and_station(db: &PgPool, table: &str, id: Uuid) -> (String, Uuid) {
    sqlx::query_as(&format!(
        "SELECT region_code, station_id FROM {table} WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(db)
    .await
    .unwrap()
}

pub(super) async fn version(db: &PgPool, table: &str, id: Uuid) -> i32 {
    sqlx::query_scalar(&format!("SELECT version FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_one(db)
        .await
        .unwrap()
}

pub(super) fn names_region(body: &Value) {
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
async fn a_registration_waits_for_its_stations_move_and_is_checked_against_the_new_county() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    // Staff move the (still empty) station to another county; the change is not committed yet.
    let mut moving = app.pool().begin().await.unwrap();
    sqlx::query("UPDATE station SET region_code = $1 WHERE id = $2")
        .bind(YUNDING)
        .bind(station)
        .execute(&mut *moving)
        .await
        .unwrap();
    // Meanwhile a child living in the old county is registered at it.
    let pool = app.pool().clone();
    let registering = tokio::spawn(async move {
        sqlx::query(
            "INSERT INTO child (name, gender, birth_date, category, region_code, station_id)
             VALUES ('李小雨', 'female', DATE '2016-05-04', 'left_behind', $1, $2)",
        )
        .bind(LONGJU)
        .bind(station)
        .execute(&pool)
        .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !registering.is_finished(),
        "the registration waits for the station's change"
    );
    moving.commit().await.unwrap();
    assert_eq!(
        fixtures::violated(registering.await.unwrap()),
        "child_residence_in_station_county"
    );
}
