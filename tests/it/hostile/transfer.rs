//! Moving a person to a station of another county is a transfer, made by staff whose scope
//! covers both stations (finding 2): pairings close, the residence moves with her, and the trail
//! records it for both counties.

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use super::residence::{KAIJIANG, manager_of, names_region, region_and_station, version};
use crate::fixtures::{self, HANZHOU, LONGJU, YUNDING};
use crate::harness::{PASSWORD, TestApp, assert_error};

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
async fn leaving_the_station_first_does_not_make_another_countys_station_an_edit() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let elsewhere = fixtures::station(app.pool(), KAIJIANG).await;
    let volunteer = fixtures::volunteer(app.pool(), station, "active", 2).await;
    let (city, _) = app.logged_in("staff", "5106").await;

    let v = version(app.pool(), "volunteer", volunteer).await;
    let (status, body) = city
        .patch_json(
            &format!("/api/v1/volunteers/{volunteer}"),
            &json!({ "station_id": "", "version": v }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v = version(app.pool(), "volunteer", volunteer).await;
    let (status, body) = city
        .patch_json(
            &format!("/api/v1/volunteers/{volunteer}"),
            &json!({ "region_code": KAIJIANG, "station_id": elsewhere, "version": v }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "validation_failed");
    assert!(body["error"]["fields"]["station_id"].is_string(), "{body}");
    let (region, now): (String, Option<Uuid>) =
        sqlx::query_as("SELECT region_code, station_id FROM volunteer WHERE id = $1")
            .bind(volunteer)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!((region.as_str(), now), (LONGJU, None));
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
    // The trail records the move for both counties: the admins of the county she left see it
    // as well as those of the county she joined.
    let legs: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT detail->>'transfer', record_region_code, detail->>'transferred_from'
         FROM audit_event WHERE entity = 'child' AND entity_id = $1 AND detail ? 'transfer'
         ORDER BY detail->>'transfer' DESC",
    )
    .bind(child)
    .fetch_all(app.pool())
    .await
    .unwrap();
    let from = station.to_string();
    assert_eq!(
        legs,
        [
            ("out".to_owned(), LONGJU.to_owned(), from.clone()),
            ("in".to_owned(), KAIJIANG.to_owned(), from)
        ]
    );
    for county in ["510681", "510623"] {
        let (admin, _) = app.logged_in("admin", county).await;
        let page = admin.get("/admin/audit?action=update").await;
        let page = page.text().await.unwrap();
        assert!(page.contains(&child.to_string()), "{county}: {page}");
    }

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
    let filed: Vec<String> = sqlx::query_scalar(
        "SELECT record_region_code FROM audit_event
         WHERE entity = 'volunteer' AND entity_id = $1 AND detail ? 'transfer'
         ORDER BY detail->>'transfer' DESC",
    )
    .bind(volunteer)
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(filed, [LONGJU, YUNDING]);
}

#[tokio::test]
async fn a_volunteer_without_a_station_is_transferred_from_none_and_a_same_station_move_refused() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let elsewhere = fixtures::station(app.pool(), YUNDING).await;
    let volunteer = fixtures::volunteer(app.pool(), station, "active", 2).await;
    let (child, _) = fixtures::child(app.pool(), station).await;
    let (province, _) = app.logged_in("staff", "51").await;

    // To the station she is at: not a transfer, and nothing changes.
    let v = version(app.pool(), "child", child).await;
    let (status, body) = province
        .post_json(
            &format!("/api/v1/children/{child}/transfer"),
            &json!({ "station_id": station, "region_code": LONGJU, "version": v }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["station_id"].is_string(), "{body}");
    assert_eq!(version(app.pool(), "child", child).await, v);

    sqlx::query("UPDATE volunteer SET station_id = NULL WHERE id = $1")
        .bind(volunteer)
        .execute(app.pool())
        .await
        .unwrap();
    let v = version(app.pool(), "volunteer", volunteer).await;
    let (status, body) = province
        .post_json(
            &format!("/api/v1/volunteers/{volunteer}/transfer"),
            &json!({ "station_id": elsewhere, "region_code": YUNDING, "version": v }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let from: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT detail->>'transferred_from' FROM audit_event
         WHERE entity = 'volunteer' AND entity_id = $1 AND detail ? 'transfer'",
    )
    .bind(volunteer)
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(from, [None, None], "a move from no station names none");
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
