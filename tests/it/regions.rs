//! The region tree: shipped, loaded whole, and served by the API.

use reqwest::StatusCode;

use crate::harness::{TestApp, assert_error};

#[tokio::test]
async fn sichuan_is_complete_to_village_level() {
    let app = TestApp::spawn().await;
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT level::text AS l, count(*) FROM region WHERE code LIKE '51%' GROUP BY level ORDER BY level",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    let counts: Vec<(&str, i64)> = counts.iter().map(|(l, n)| (l.as_str(), *n)).collect();
    assert_eq!(
        counts,
        [
            ("province", 1),
            ("city", 21),
            ("county", 183),
            ("township", 3_111),
            ("village", 34_412)
        ]
    );
    let provinces: i64 = sqlx::query_scalar("SELECT count(*) FROM region WHERE level = 'province'")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(provinces, 31, "all of China to county level");
}

#[tokio::test]
async fn a_region_comes_with_its_ancestors() {
    let app = TestApp::spawn().await;
    let (staff, _) = app.logged_in("staff", "510681").await;

    let (status, body) = staff.get_json("/api/v1/regions/510681002006").await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "龙居社区居民委员会");
    assert_eq!(body["level"], "village");
    let chain: Vec<&str> = body["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(chain, ["四川省", "德阳市", "广汉市", "汉州街道"]);
    assert_eq!(
        body["full_name"],
        "四川省 / 德阳市 / 广汉市 / 汉州街道 / 龙居社区居民委员会"
    );
}

#[tokio::test]
async fn a_region_lists_its_children_a_page_at_a_time() {
    let app = TestApp::spawn().await;
    let (app, _) = app.logged_in("staff", "5106").await;

    let (status, body) = app.get_json("/api/v1/regions?parent=5106").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], 6);
    let names: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"中江县") && names.contains(&"广汉市"),
        "{names:?}"
    );
    assert!(
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["parent_code"] == "5106")
    );

    let (_, second) = app
        .get_json("/api/v1/regions?parent=5106&page=2&per_page=4")
        .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        (second["page"].as_u64(), second["per_page"].as_u64()),
        (Some(2), Some(4))
    );

    let (_, provinces) = app.get_json("/api/v1/regions").await;
    assert_eq!(provinces["total"], 31);
}

#[tokio::test]
async fn unknown_or_malformed_regions_answer_in_the_error_shape() {
    let app = TestApp::spawn().await;
    let (app, _) = app.logged_in("staff", "51").await;

    let (status, body) = app.get_json("/api/v1/regions/519999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");

    let (status, body) = app.get_json("/api/v1/regions/abc").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");

    let (status, body) = app.get_json("/api/v1/regions?parent=519999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");

    let (status, body) = app.get_json("/api/v1/regions?parent=51x").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "validation_failed");
    assert!(body["error"]["fields"]["parent"].is_string(), "{body}");

    let (status, body) = app.get_json("/api/v1/regions?parent=51&per_page=500").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["fields"]["per_page"]
            .as_str()
            .unwrap()
            .contains("200"),
        "{body}"
    );
}
