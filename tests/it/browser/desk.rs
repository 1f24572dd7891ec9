//! At a desk: county staff go from the dashboard to a station, a waiting child, her pairing
//! and the next waiting child; handle a concern (a blank note refused with the form kept); and
//! open the monthly report.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::{Device, Driver, Tab};
use crate::fixtures::{self, LONGJU};
use crate::harness::TestApp;

/// A station with three trained volunteers, two children waiting, and a pairing whose last
/// contact raised a concern. Answers the station, the waiting children and the concern.
async fn a_county(db: &PgPool) -> (Uuid, [Uuid; 2], Uuid) {
    let station = fixtures::station(db, LONGJU).await;
    for _ in 0..3 {
        fixtures::volunteer(db, station, "active", 2).await;
    }
    let mut waiting = [Uuid::nil(); 2];
    for (i, name) in ["张小花", "李小草"].into_iter().enumerate() {
        waiting[i] = fixtures::pairable_child(db, station).await;
        sqlx::query("UPDATE child SET name = $2 WHERE id = $1")
            .bind(waiting[i])
            .bind(name)
            .execute(db)
            .await
            .unwrap();
    }
    let child = fixtures::pairable_child(db, station).await;
    let volunteer = fixtures::volunteer(db, station, "active", 2).await;
    let pairing = fixtures::pair(db, child, volunteer, station).await.unwrap();
    let concern: Uuid = sqlx::query_scalar(
        "INSERT INTO contact (pairing_id, contacted_on, mode, duration_minutes, concern_category,
                              concern_detail)
         VALUES ($1, (now() AT TIME ZONE 'Asia/Shanghai')::date, 'home_visit', 40, 'safety',
                 '家里的电线裸露，孩子常一个人在家')
         RETURNING id",
    )
    .bind(pairing)
    .fetch_one(db)
    .await
    .unwrap();
    (station, waiting, concern)
}

#[tokio::test(flavor = "multi_thread")]
async fn county_staff_pair_the_waiting_children_and_handle_a_concern_at_a_desk() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let driver = Driver::start();
    for care in [false, true] {
        let (station, [first, second], concern) = a_county(p).await;
        let staff = app.regional_user("staff", "510681").await;
        let mut tab = Tab::open(&driver, &app, Device::Desk, care, "staff-desk").await;
        tab.log_in(&staff.username, "/dashboard").await;
        tab.check("dashboard").await;
        tab.visit(&format!("/stations/{station}"), "station").await;

        // A station's children, filtered: the list says by which station.
        let html = tab
            .visit(&format!("/children?station_id={station}"), "children")
            .await;
        assert!(html.contains("只显示此驿站的记录") && html.contains("龙居社区爱心妈妈驿站"));

        // The first waiting child, paired with the first suggestion.
        tab.visit(&format!("/children/{first}"), "child").await;
        tab.click(&format!("a[href='/pairings/new?child_id={first}']"))
            .await;
        tab.wait_for(|p| p == "/pairings/new").await;
        tab.check("pairing-form").await;
        tab.click("input[name=volunteer_id]:not([disabled])").await;
        tab.click("form[action='/pairings'] button[type=submit]")
            .await;
        tab.wait_for(|p| p.starts_with("/pairings/") && p.len() == "/pairings/".len() + 36)
            .await;
        let html = tab.check("paired").await;
        assert!(html.contains("为下一个等待的孩子结对"), "{html}");
        assert!(html.contains("李小草"));

        // The next child is a click away; the paired child's page offers no second pairing.
        tab.click(&format!("a[href='/pairings/new?child_id={second}']"))
            .await;
        tab.wait_for(|p| p == "/pairings/new").await;
        tab.check("next-child").await;
        let html = tab
            .visit(&format!("/pairings/new?child_id={first}"), "paired-child")
            .await;
        assert!(!html.contains("action=\"/pairings\""));

        // The concern: a note of spaces is refused beside its form, which stays.
        tab.visit("/concerns", "concerns").await;
        tab.click(&format!("#concern-{concern} summary")).await;
        tab.type_in(&format!("#r-{concern}"), "   ").await;
        tab.run(&format!(
            "document.getElementById('r-{concern}').removeAttribute('required')"
        ))
        .await;
        tab.click(&format!("#concern-{concern} button[type=submit]"))
            .await;
        tab.wait_for(|p| p.ends_with("/resolve")).await;
        let html = tab.check("blank-note").await;
        assert!(html.contains("nav class=\"menu\""), "the menu stays");
        assert_eq!(
            tab.run(&format!(
                "return document.getElementById('r-{concern}').getAttribute('aria-invalid')"
            ))
            .await,
            json!("true")
        );
        tab.type_in(
            &format!("#r-{concern}"),
            "已请村委会更换电线，驿站每周上门看看",
        )
        .await;
        tab.click(&format!("#concern-{concern} button[type=submit]"))
            .await;
        tab.wait_for(|p| p == "/concerns").await;
        tab.check("handled").await;
        let html = tab.visit("/concerns?status=resolved", "resolved").await;
        assert!(html.contains("已请村委会更换电线"));

        tab.visit("/reports/monthly", "monthly-report").await;
        tab.close().await;
    }
}
