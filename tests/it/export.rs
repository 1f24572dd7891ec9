//! Lists as spreadsheets: the same rows as the list, masked, scoped and audited.

use std::io::Cursor;

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use reqwest::StatusCode;
use serde_json::json;

use crate::fixtures::{self, LONGJU, YUNDING};
use crate::harness::{Browser, TestApp};

async fn sheet(browser: &Browser, path: &str) -> Vec<Vec<String>> {
    let response = browser.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = response.bytes().await.unwrap();
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[tokio::test]
async fn a_volunteer_export_is_masked_scoped_and_audited() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let here = fixtures::station(p, LONGJU).await;
    let there = fixtures::station(p, YUNDING).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let (status, _) = staff
        .post_json(
            "/api/v1/volunteers",
            &json!({ "name": "王秀兰", "phone": "13912345678", "region_code": "510681002006", "station_id": here, "skills": ["心理"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    fixtures::volunteer(p, there, "applied", 2).await;

    let rows = sheet(&staff, "/api/v1/volunteers?format=xlsx").await;

    assert_eq!(
        rows.len(),
        2,
        "a header and the one volunteer in scope: {rows:?}"
    );
    assert_eq!(rows[0][0], "姓名");
    assert_eq!(rows[1][0], "王秀兰");
    assert_eq!(rows[1][1], "139****5678");
    assert!(rows.iter().flatten().all(|c| c != "13912345678"));
    let exports: Vec<String> =
        sqlx::query_scalar("SELECT detail::text FROM audit_event WHERE action = 'export'")
            .fetch_all(p)
            .await
            .unwrap();
    assert_eq!(exports.len(), 1);
    assert!(exports[0].contains("\"rows\": 1"), "{exports:?}");
}

#[tokio::test]
async fn county_staff_export_only_their_county() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let nanjiang = fixtures::station(p, YUNDING).await;
    fixtures::child(p, nanjiang).await;
    let (zhongjiang, _) = app.logged_in("staff", "510623").await;
    let (bazhong, _) = app.logged_in("staff", "5119").await;

    assert_eq!(
        sheet(&zhongjiang, "/api/v1/children?format=xlsx")
            .await
            .len(),
        1,
        "the header only"
    );
    assert_eq!(
        sheet(&zhongjiang, "/api/v1/stations?format=xlsx")
            .await
            .len(),
        1
    );
    let theirs = sheet(&bazhong, "/api/v1/children?format=xlsx").await;
    assert_eq!(theirs.len(), 2);
    assert_eq!(theirs[1][0], "李小雨");

    let (status, body) = bazhong.get_json("/api/v1/children?format=pdf").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn only_an_admin_exports_full_values_and_it_is_audited_as_such() {
    let app = TestApp::spawn().await;
    let here = fixtures::station(app.pool(), LONGJU).await;
    let (admin, _) = app.logged_in("admin", "5106").await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let id = crate::volunteers::id_number("51068119850312002");
    let (status, _) = staff
        .post_json(
            "/api/v1/volunteers",
            &json!({ "name": "王秀兰", "phone": "13912345678", "id_number": id, "region_code": "510681002006", "station_id": here }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    assert_eq!(
        staff
            .get("/api/v1/volunteers?format=xlsx&full=true")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let rows = sheet(&admin, "/api/v1/volunteers?format=xlsx&full=true").await;
    assert_eq!(rows[1][1], "13912345678");
    assert_eq!(rows[1][6], id);
    let full: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'export' AND detail ->> 'full' = 'true'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(full, 1);
}
