//! Micro-wishes: the lifecycle, who may claim, and the wall's given names.

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::fixtures::{self, LONGJU};
use crate::harness::{Browser, PASSWORD, TestApp, assert_error};

struct Station {
    id: Uuid,
    manager: Browser,
    /// A volunteer's browser, and the child paired with her.
    volunteer: (Browser, Uuid),
    paired_child: Uuid,
}

async fn station(app: &TestApp) -> Station {
    let p = app.pool();
    let id = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, id, "active", 2).await;
    let paired_child = fixtures::pairable_child(p, id).await;
    fixtures::pair(p, paired_child, volunteer, id)
        .await
        .unwrap();
    let manager_user = app.station_manager(&[id]).await;
    let manager = app.browser();
    manager.log_in(&manager_user.username, PASSWORD).await;
    let volunteer_user = app.volunteer_user(volunteer).await;
    let browser = app.browser();
    browser.log_in(&volunteer_user.username, PASSWORD).await;
    Station {
        id,
        manager,
        volunteer: (browser, volunteer),
        paired_child,
    }
}

async fn post_wish(by: &Browser, child: Uuid, text: &str) -> serde_json::Value {
    let (status, wish) = by
        .post_json(
            &format!("/api/v1/children/{child}/wishes"),
            &json!({"text": text, "category": "books", "estimated_cost": "25.50"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{wish}");
    wish
}

#[tokio::test]
async fn a_wish_is_posted_claimed_and_fulfilled_and_a_cancelled_one_is_not_fulfilled() {
    let app = TestApp::spawn().await;
    let s = station(&app).await;
    let (volunteer, volunteer_id) = &s.volunteer;

    let wish = post_wish(&s.manager, s.paired_child, "一本《安徒生童话》").await;
    assert_eq!(wish["status"], "posted");
    assert_eq!(wish["estimated_cost"], 25.5);
    let id = wish["id"].as_str().unwrap();

    // Fulfilled before anyone claimed it: refused.
    let (status, body) = s
        .manager
        .post_json(&format!("/api/v1/wishes/{id}/fulfil"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "invalid_transition");

    let (status, claimed) = volunteer
        .post_json(&format!("/api/v1/wishes/{id}/claim"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["status"], "claimed");
    assert_eq!(claimed["claimed_by"], volunteer_id.to_string());
    assert_eq!(claimed["claimed_on"], aixin::domain::today().to_string());

    // A second claim finds it taken.
    let (status, body) = s
        .manager
        .post_json(
            &format!("/api/v1/wishes/{id}/claim"),
            &json!({"organization": "广汉市爱心企业协会"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "invalid_transition");

    let (status, done) = s
        .manager
        .post_json(
            &format!("/api/v1/wishes/{id}/fulfil"),
            &json!({"fulfilment_note": "在驿站送到孩子手中"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "fulfilled");
    assert_eq!(done["fulfilled_on"], aixin::domain::today().to_string());

    // Another wish, cancelled: it can be neither fulfilled nor claimed any more.
    let other = post_wish(&s.manager, s.paired_child, "一双运动鞋").await;
    let other = other["id"].as_str().unwrap();
    let (status, cancelled) = s
        .manager
        .post_json(&format!("/api/v1/wishes/{other}/cancel"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["status"], "cancelled");
    let (status, body) = s
        .manager
        .post_json(&format!("/api/v1/wishes/{other}/fulfil"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "invalid_transition");
    assert_eq!(body["error"]["fields"]["status"], "这个心愿已取消");
    let (status, _) = volunteer
        .post_json(&format!("/api/v1/wishes/{other}/claim"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let status: String = sqlx::query_scalar("SELECT status::text FROM wish WHERE id = $1::uuid")
        .bind(other)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(status, "cancelled");

    // The database refuses the same step on its own.
    let direct = sqlx::query(
        "UPDATE wish SET status = 'fulfilled', fulfilled_on = (now() AT TIME ZONE 'Asia/Shanghai')::date WHERE id = $1::uuid",
    )
    .bind(other)
    .execute(app.pool())
    .await;
    assert_eq!(fixtures::violated(direct), "wish_status_transition");

    // Every step audited: two posts, a claim, a fulfilment, a cancellation.
    let steps: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE entity = 'wish'")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(steps, 5);

    // The child's list shows both, open ones first.
    let (status, list) = s
        .manager
        .get_json(&format!("/api/v1/children/{}/wishes", s.paired_child))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 2);
}

#[tokio::test]
async fn a_volunteer_reads_and_claims_only_her_paired_childrens_wishes() {
    let app = TestApp::spawn().await;
    let s = station(&app).await;
    let (volunteer, _) = &s.volunteer;
    let (unpaired, _) = fixtures::child(app.pool(), s.id).await;
    let theirs = post_wish(&s.manager, unpaired, "一个书包").await;
    let ours = post_wish(&s.manager, s.paired_child, "一盒彩铅").await;

    let (status, _) = volunteer
        .get_json(&format!("/api/v1/children/{unpaired}/wishes"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = volunteer
        .post_json(
            &format!("/api/v1/wishes/{}/claim", theirs["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Her own child's wishes, with the given name only.
    let (status, list) = volunteer
        .get_json(&format!("/api/v1/children/{}/wishes", s.paired_child))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["child_name"], "小雨");

    // She claims for herself only, and may not post, fulfil or cancel.
    let id = ours["id"].as_str().unwrap();
    let (status, body) = volunteer
        .post_json(
            &format!("/api/v1/wishes/{id}/claim"),
            &json!({"organization": "某公司"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    for (path, body) in [
        (
            format!("/api/v1/children/{}/wishes", s.paired_child),
            json!({"text": "x", "category": "toys"}),
        ),
        (format!("/api/v1/wishes/{id}/fulfil"), json!({})),
        (format!("/api/v1/wishes/{id}/cancel"), json!({})),
    ] {
        let (status, _) = volunteer.post_json(&path, &body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let page = volunteer.get("/wishes").await.text().await.unwrap();
    assert!(page.contains("一盒彩铅"));
    assert!(!page.contains("一个书包"));
    assert!(!page.contains("李小雨"), "given names only");
    let claimed = volunteer
        .post_form(&format!("/wishes/{id}/claim"), &[("version", "1")])
        .await;
    assert_eq!(claimed.status(), StatusCode::SEE_OTHER);
    assert_eq!(claimed.headers()["location"], "/wishes");
}

#[tokio::test]
async fn staff_name_a_partner_organization_or_a_volunteer_but_not_both() {
    let app = TestApp::spawn().await;
    let s = station(&app).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let wish = post_wish(&staff, s.paired_child, "一个地球仪").await;
    let id = wish["id"].as_str().unwrap();

    let (status, body) = staff
        .post_json(
            &format!("/api/v1/wishes/{id}/claim"),
            &json!({"organization": "爱心企业", "volunteer_id": s.volunteer.1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["organization"].is_string());
    let (status, body) = staff
        .post_json(
            &format!("/api/v1/wishes/{id}/claim"),
            &json!({"organization": "广汉市爱心企业协会"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["claimed_by_organization"], "广汉市爱心企业协会");
    assert_eq!(body["claimed_by"], serde_json::Value::Null);

    // A bad amount is named; a refused form keeps what was typed.
    let (status, body) = staff
        .post_json(
            &format!("/api/v1/children/{}/wishes", s.paired_child),
            &json!({"text": "一把尤克里里", "category": "arts", "estimated_cost": -3}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["estimated_cost"].is_string());
    let page = staff
        .post_form(
            &format!("/children/{}/wishes", s.paired_child),
            &[
                ("text", "一把尤克里里"),
                ("category", "arts"),
                ("estimated_cost", "12.345"),
            ],
        )
        .await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"value="一把尤克里里""#));
    assert!(html.contains(r#"value="12.345""#));
}

#[tokio::test]
async fn the_wish_wall_shows_given_names_only() {
    let app = TestApp::spawn().await;
    let s = station(&app).await;
    sqlx::query("UPDATE child SET name = '王小明' WHERE id = $1")
        .bind(s.paired_child)
        .execute(app.pool())
        .await
        .unwrap();
    post_wish(&s.manager, s.paired_child, "一套百科全书").await;

    let response = s.manager.get(&format!("/stations/{}/wishes", s.id)).await;

    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("小明"));
    assert!(!html.contains("王小明"));
    assert!(html.contains("一套百科全书"));
    assert!(html.contains("¥25.50"));
    // The wall is for printing at the station: volunteers do not open it.
    assert_eq!(
        s.volunteer
            .0
            .get(&format!("/stations/{}/wishes", s.id))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_wish_moves_forward_only_in_the_service_as_in_the_database() {
    let app = TestApp::spawn().await;
    let s = station(&app).await;
    let p = app.pool();
    let fulfilled = post_wish(&s.manager, s.paired_child, "一盒彩笔").await;
    let fulfilled = fulfilled["id"].as_str().unwrap().to_owned();
    let claimed = s
        .manager
        .post_json(
            &format!("/api/v1/wishes/{fulfilled}/claim"),
            &json!({"organization": "县妇联"}),
        )
        .await;
    assert_eq!(claimed.0, StatusCode::OK, "{}", claimed.1);
    let (status, _) = s
        .manager
        .post_json(&format!("/api/v1/wishes/{fulfilled}/fulfil"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let cancelled = post_wish(&s.manager, s.paired_child, "一个书包").await;
    let cancelled = cancelled["id"].as_str().unwrap().to_owned();
    let (status, _) = s
        .manager
        .post_json(&format!("/api/v1/wishes/{cancelled}/cancel"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);

    // Each step back from a final status: the service answers 409 with why, on the status; the
    // database refuses the same move.
    for (wish, step, body, to, why) in [
        (
            &fulfilled,
            "claim",
            json!({"organization": "县妇联"}),
            "claimed",
            "这个心愿已经实现",
        ),
        (
            &fulfilled,
            "cancel",
            json!({}),
            "cancelled",
            "这个心愿已经实现",
        ),
        (
            &cancelled,
            "claim",
            json!({"organization": "县妇联"}),
            "claimed",
            "这个心愿已取消",
        ),
        (
            &cancelled,
            "fulfil",
            json!({}),
            "fulfilled",
            "这个心愿已取消",
        ),
    ] {
        let (status, refused) = s
            .manager
            .post_json(&format!("/api/v1/wishes/{wish}/{step}"), &body)
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{step}: {refused}");
        assert_error(&refused, "invalid_transition");
        assert_eq!(refused["error"]["fields"]["status"], why);
        let direct = sqlx::query(
            "UPDATE wish SET status = $2::wish_status, claimed_by_organization = '县妇联',
                    claimed_on = coalesce(claimed_on, (now() AT TIME ZONE 'Asia/Shanghai')::date),
                    fulfilled_on = CASE WHEN $2 = 'fulfilled' THEN (now() AT TIME ZONE 'Asia/Shanghai')::date END
             WHERE id = $1::uuid",
        )
        .bind(wish)
        .bind(to)
        .execute(p)
        .await;
        assert_eq!(
            fixtures::violated(direct),
            "wish_status_transition",
            "{step}"
        );
    }
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT status::text FROM wish WHERE id = ANY($1::uuid[]) ORDER BY 1")
            .bind([&fulfilled, &cancelled])
            .fetch_all(p)
            .await
            .unwrap();
    assert_eq!(statuses, ["cancelled", "fulfilled"]);

    // The same step through the page says why next to the wish.
    let page = s
        .manager
        .post_form(&format!("/wishes/{cancelled}/fulfil"), &[])
        .await;
    assert_eq!(page.status(), StatusCode::CONFLICT);
    assert!(page.text().await.unwrap().contains("这个心愿已取消"));
}
