//! Stations: registration through the API and the pages, validation, scope, concurrency.

use reqwest::StatusCode;
use reqwest::header;
use serde_json::{Value, json};

use crate::fixtures::{self, LONGJU, YUNDING};
use crate::harness::{TestApp, assert_error};

fn station_body(region: &str) -> Value {
    json!({
        "name": "龙居社区爱心妈妈驿站",
        "region_code": region,
        "address": "汉州街道龙居路 8 号",
        "build_mode": "embedded",
        "host_site": "阳光驿站",
        "schedule": [
            { "weekday": 3, "opens": "14:00", "closes": "17:30" },
            { "weekday": 6, "opens": "9:00", "closes": "11:30" }
        ],
        "phone": "0838-5221234",
        "opened_on": "2024-06-01"
    })
}

#[tokio::test]
async fn staff_register_a_station_and_read_it_back() {
    let app = TestApp::spawn().await;
    let (staff, _) = app.logged_in("staff", "510681").await;

    let (status, created) = staff
        .post_json("/api/v1/stations", &station_body(LONGJU))
        .await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["version"], 1);
    assert_eq!(
        created["open_days_per_week"], 2,
        "derived from the schedule"
    );
    assert_eq!(created["schedule"][1]["opens"], "09:00");
    assert_eq!(
        created["region_name"],
        "四川省 / 德阳市 / 广汉市 / 汉州街道 / 龙居社区居民委员会"
    );
    let id = created["id"].as_str().unwrap();
    let (status, fetched) = staff.get_json(&format!("/api/v1/stations/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        fetched, created,
        "a create answers the record as a GET returns it"
    );
    let (_, list) = staff.get_json("/api/v1/stations?q=龙居").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE entity = 'station' AND action = 'create'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn a_bad_station_is_refused_field_by_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let (staff, _) = app.logged_in("staff", "5106").await;
    let cases = [
        ("region_code", json!("510681"), "驿站应设在乡镇"),
        ("region_code", json!("510681999"), "没有这个行政区划代码"),
        ("region_code", json!(YUNDING), "只能选择您管辖范围内的地区"),
        (
            "schedule",
            json!([{ "weekday": 3, "opens": "14:00", "closes": "17:00" }]),
            "至少开放 2 天",
        ),
        (
            "schedule",
            json!([{ "weekday": 3, "opens": "17:00", "closes": "14:00" }, { "weekday": 4, "opens": "9:00", "closes": "10:00" }]),
            "结束时间应晚于开放时间",
        ),
        ("build_mode", json!("tent"), "请从选项中选择"),
        ("opened_on", json!("2999-01-01"), "日期不能晚于今天"),
        ("name", json!(""), "此项必填"),
        ("phone", json!("call me"), "电话号码"),
    ];
    for (field, value, message) in cases {
        let mut body = station_body(LONGJU);
        body[field] = value.clone();
        let (status, error) = staff.post_json("/api/v1/stations", &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field} = {value}: {error}"
        );
        assert_error(&error, "validation_failed");
        let said = error["error"]["fields"][field].as_str().unwrap_or_default();
        assert!(said.contains(message), "{field} = {value}: {said}");
    }
    let stations: i64 = sqlx::query_scalar("SELECT count(*) FROM station")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(stations, 0);
}

#[tokio::test]
async fn a_stale_edit_is_refused_with_the_current_record_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (first, _) = app.logged_in("staff", "510681").await;
    let (second, _) = app.logged_in("staff", "510681").await;
    let (_, created) = first
        .post_json("/api/v1/stations", &station_body(LONGJU))
        .await;
    let path = format!("/api/v1/stations/{}", created["id"].as_str().unwrap());

    let (status, saved) = first
        .patch_json(&path, &json!({ "name": "龙居社区驿站", "version": 1 }))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        (saved["version"].as_i64(), saved["address"].as_str()),
        (Some(2), Some("汉州街道龙居路 8 号")),
        "untouched fields keep their value"
    );

    let (status, error) = second
        .patch_json(&path, &json!({ "address": "别的地址", "version": 1 }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&error, "stale_version");
    assert_eq!(
        error["error"]["current"]["name"], "龙居社区驿站",
        "the 409 shows what changed"
    );
    let (_, now) = first.get_json(&path).await;
    assert_eq!(
        (now["address"].as_str(), now["version"].as_i64()),
        (Some("汉州街道龙居路 8 号"), Some(2))
    );

    let (status, error) = second
        .patch_json(&path, &json!({ "address": "别的地址" }))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a PATCH names the version it edited: {error}"
    );
}

#[tokio::test]
async fn stations_are_seen_only_within_scope() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let guanghan = fixtures::station(p, LONGJU).await;
    let nanjiang = fixtures::station(p, YUNDING).await;
    let (county, _) = app.logged_in("staff", "510623").await;
    let (city, _) = app.logged_in("admin", "5106").await;
    let manager = app.station_manager(&[guanghan]).await;
    let manager_browser = app.browser();
    manager_browser
        .log_in(&manager.username, crate::harness::PASSWORD)
        .await;

    // 中江县 staff see neither; 德阳市 sees 广汉市's; the manager sees her own only.
    let (_, list) = county.get_json("/api/v1/stations").await;
    assert_eq!(list["total"], 0);
    assert_eq!(
        county
            .get_json(&format!("/api/v1/stations/{guanghan}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = county
        .patch_json(
            &format!("/api/v1/stations/{nanjiang}"),
            &json!({ "name": "x", "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = city.get_json("/api/v1/stations").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], guanghan.to_string());
    assert_eq!(
        city.get_json(&format!("/api/v1/stations/{nanjiang}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, list) = manager_browser.get_json("/api/v1/stations").await;
    assert_eq!(list["total"], 1);
    assert_eq!(
        manager_browser
            .get_json(&format!("/api/v1/stations/{nanjiang}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Managers read their station but do not edit or register stations.
    let (status, _) = manager_browser
        .post_json("/api/v1/stations", &station_body(LONGJU))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_pages_register_show_and_edit_a_station() {
    let app = TestApp::spawn().await;
    let (staff, _) = app.logged_in("staff", "510681").await;

    let page = staff.get("/stations/new").await.text().await.unwrap();
    assert!(
        page.contains("汉州街道") && page.contains("龙居社区居民委员会"),
        "the county's places are offered"
    );

    // A failed submit keeps every field, ticks included.
    let mut fields = vec![
        ("name", "龙居驿站"),
        ("region_code", LONGJU),
        ("build_mode", "embedded"),
        ("host_site", "阳光驿站"),
        ("day3", "on"),
        ("opens3", "14:00"),
        ("closes3", "17:00"),
    ];
    let refused = staff.post_form("/stations", &fields).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("每周至少开放 2 天"));
    assert!(
        html.contains(r#"value="龙居驿站""#) && html.contains(r#"name="day3" value="on" checked"#)
    );

    fields.extend([("day6", "on"), ("opens6", "09:00"), ("closes6", "11:30")]);
    let created = staff.post_form("/stations", &fields).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let location = created.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let detail = staff.get(&location).await.text().await.unwrap();
    assert!(
        detail.contains("驿站已登记"),
        "the action says what happened: {detail}"
    );
    assert!(
        detail.contains("龙居驿站")
            && detail.contains("星期三 14:00–17:00")
            && detail.contains("星期六 09:00–11:30")
    );

    let list = staff.get("/stations").await.text().await.unwrap();
    assert!(list.contains("龙居驿站") && list.contains("嵌入建"));

    // Editing with a stale version shows a warning and keeps the typed values.
    let edit = format!("{location}/edit");
    let mut change = fields.clone();
    change[0] = ("name", "龙居社区驿站");
    change.push(("version", "1"));
    change.push(("status", "active"));
    assert_eq!(
        staff.post_form(&edit, &change).await.status(),
        StatusCode::SEE_OTHER
    );
    change[0] = ("name", "过时的名字");
    let stale = staff.post_form(&edit, &change).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    let html = stale.text().await.unwrap();
    assert!(
        html.contains("该记录已被他人修改")
            && html.contains("龙居社区驿站")
            && html.contains(r#"value="过时的名字""#)
    );
}

#[tokio::test]
async fn an_empty_list_says_what_to_do_next() {
    let app = TestApp::spawn().await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let html = staff.get("/stations").await.text().await.unwrap();
    assert!(html.contains("还没有登记驿站") && html.contains(r#"href="/stations/new""#));
}

#[tokio::test]
async fn city_staff_choose_a_county_then_a_place() {
    let app = TestApp::spawn().await;
    let (city, _) = app.logged_in("staff", "5106").await;

    let page = city.get("/stations/new").await.text().await.unwrap();
    assert!(
        page.contains(r#"name="county""#) && page.contains("广汉市") && page.contains("中江县")
    );
    assert!(
        !page.contains("龙居社区居民委员会"),
        "no places until a county is chosen"
    );

    let page = city
        .get("/stations/new?county=510681")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"<option value="510681" selected>"#) && page.contains("龙居社区居民委员会")
    );
    let outside = city
        .get("/stations/new?county=511922")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !outside.contains("云顶镇"),
        "a county outside the scope is not offered"
    );
}

#[tokio::test]
async fn the_service_and_the_database_refuse_the_same_places_and_weeks_with_the_same_answer() {
    let app = TestApp::spawn().await;
    let (staff, _) = app.logged_in("staff", "5106").await;
    let one_day = json!([{ "weekday": 3, "opens": "14:00", "closes": "17:00" }]);
    for (field, value, sql, constraint) in [
        (
            "region_code",
            json!("510681"),
            "INSERT INTO station (name, region_code, build_mode, open_days_per_week)
             VALUES ('驿站', '510681', 'standalone', 3)",
            "station_region_level",
        ),
        (
            "schedule",
            one_day,
            "INSERT INTO station (name, region_code, build_mode, open_days_per_week)
             VALUES ('驿站', '510681002006', 'standalone', 1)",
            "station_open_days",
        ),
    ] {
        let mut body = station_body(LONGJU);
        body[field] = value;
        let (status, error) = staff.post_json("/api/v1/stations", &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_error(&error, "validation_failed");
        assert!(error["error"]["fields"][field].is_string(), "{error}");

        let direct = sqlx::query(sql).execute(app.pool()).await;
        assert_eq!(fixtures::violated(direct), constraint);
        // The database's refusal is answered as the service's: same code, same field.
        let refusal = aixin::web::Refusal::of_constraint(constraint).unwrap();
        assert_eq!(refusal.code, "validation_failed");
        assert_eq!(refusal.field.map(|(f, _)| f), Some(field));
    }
}
