//! On a phone: a station manager logs a session of twenty children at a station of 400
//! volunteers; a volunteer logs a home visit that raises a concern and later reads what staff
//! did about it; she answers her relationship survey, and staff read its trend.

use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::{Device, Driver, Tab};
use crate::fixtures::{self, LONGJU};
use crate::harness::TestApp;

/// A station of 400 volunteers and 30 children; last week's session had 18 of the children and
/// 3 of the volunteers; the volunteers' mobile numbers start with `phones`.
async fn a_big_station(db: &PgPool, phones: &str) -> Uuid {
    let station = fixtures::station(db, LONGJU).await;
    sqlx::query(
        "INSERT INTO volunteer (name, phone, region_code, station_id, status, capacity,
                                background_check_on, interviewed_on, trained_on)
         SELECT '爱心妈妈' || lpad(g::text, 3, '0'), $2 || lpad(g::text, 7, '0'),
                s.region_code, s.id, 'active', 2, DATE '2026-03-01', DATE '2026-03-02',
                DATE '2026-03-10'
         FROM station s, generate_series(1, 400) g WHERE s.id = $1",
    )
    .bind(station)
    .bind(phones)
    .execute(db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO child (name, gender, birth_date, category, region_code, station_id)
         SELECT '儿童' || lpad(g::text, 2, '0'), 'female', DATE '2016-05-04', 'left_behind',
                s.region_code, s.id
         FROM station s, generate_series(1, 30) g WHERE s.id = $1",
    )
    .bind(station)
    .execute(db)
    .await
    .unwrap();
    let last: Uuid = sqlx::query_scalar(
        "INSERT INTO activity (station_id, kind, title, held_on)
         VALUES ($1, 'tutoring', '学业辅导', (now() AT TIME ZONE 'Asia/Shanghai')::date - 7)
         RETURNING id",
    )
    .bind(station)
    .fetch_one(db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO attendance (activity_id, child_id)
         SELECT $1, id FROM child WHERE station_id = $2 AND name <= '儿童18'",
    )
    .bind(last)
    .bind(station)
    .execute(db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO attendance (activity_id, volunteer_id, is_host)
         SELECT $1, id, name = '爱心妈妈001' FROM volunteer
         WHERE station_id = $2 AND name <= '爱心妈妈003'",
    )
    .bind(last)
    .bind(station)
    .execute(db)
    .await
    .unwrap();
    station
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manager_logs_a_session_of_twenty_children_at_a_station_of_400_volunteers() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let driver = Driver::start();
    for care in [false, true] {
        let station = a_big_station(p, if care { "1392" } else { "1391" }).await;
        let manager = app.station_manager(&[station]).await;
        let mut tab = Tab::open(&driver, &app, Device::Phone, care, "manager-session").await;
        tab.log_in(&manager.username, "/dashboard").await;
        tab.check("dashboard").await;

        // The form shows last week's people first; the other 12 children and 397 volunteers
        // are folded away, and the whole form fits in three screens.
        tab.visit(&format!("/activities/new?station_id={station}"), "form")
            .await;
        let shown = "return [...document.querySelectorAll('.people .tick')]\
                     .filter(t => !t.closest('details:not([open])')).length";
        assert_eq!(tab.run(shown).await, json!(18 + 3));
        let folded = tab
            .run("return [...document.querySelectorAll('details.more')].map(d => d.open)")
            .await;
        assert_eq!(folded, json!([false, false]));

        // Same people as last time, then two more children found by name.
        let started = Instant::now();
        tab.click("button[value=copy_last]").await;
        tab.wait_for(|p| p == "/activities").await;
        let html = tab.check("copied").await;
        assert!(
            html.contains("已选 18") || html.contains("18 ticked"),
            "{html}"
        );
        for name in ["儿童19", "儿童20"] {
            tab.run("const q = document.getElementById('q'); q.value = ''")
                .await;
            tab.type_in("#q", name).await;
            // The fold opens to show who matches; the others hide.
            assert_eq!(
                tab.run("return document.querySelector('#children details.more').open")
                    .await,
                json!(true)
            );
            tab.click("#children .tick:not([hidden]) input[name=child]:not(:checked)")
                .await;
        }
        tab.run(
            "const q = document.getElementById('q'); q.value = ''; \
             q.dispatchEvent(new Event('input'))",
        )
        .await;
        let guardians = tab.find("#guardian_count").await;
        guardians.clear().await.unwrap();
        guardians.send_keys("5").await.unwrap();

        // Twenty children ticked and Save in reach, without scrolling past three screens.
        // (In care mode every line is larger: four screens.)
        let screens = tab.screens().await;
        let most = if care { 4.0 } else { 3.0 };
        assert!(screens <= most, "the form is {screens:.1} screens tall");
        eprintln!("manager-session: the ticked form is {screens:.1} screens tall");
        let save_in_view = tab
            .run(
                "window.scrollTo(0, 0); const r = document.getElementById('save')\
                 .getBoundingClientRect(); return r.bottom <= window.innerHeight && r.top >= 0",
            )
            .await;
        assert_eq!(save_in_view, json!(true), "Save is off the first screen");
        tab.check("ticked").await;
        tab.click("#save").await;
        let at = tab
            .wait_for(|p| p.starts_with("/activities/") && p.len() == "/activities/".len() + 36)
            .await;
        let html = tab.check("saved").await;
        eprintln!(
            "manager-session ({}): ticked and saved in {:.1} s",
            if care { "care" } else { "normal" },
            started.elapsed().as_secs_f64()
        );
        assert!(html.contains("活动已记录"));
        assert!(
            html.contains("<strong>28</strong>"),
            "20 + 3 + 5 person-visits"
        );
        let id: Uuid = at.trim_start_matches("/activities/").parse().unwrap();
        let (children, volunteers, hosts): (i64, i64, i64) = sqlx::query_as(
            "SELECT count(child_id), count(volunteer_id), count(*) FILTER (WHERE is_host)
             FROM attendance WHERE activity_id = $1",
        )
        .bind(id)
        .fetch_one(p)
        .await
        .unwrap();
        assert_eq!((children, volunteers, hosts), (20, 3, 1));
        tab.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_volunteer_logs_a_home_visit_with_a_concern_and_reads_what_staff_did() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let (county, _) = app.logged_in("staff", "510681").await;
    let driver = Driver::start();
    for care in [false, true] {
        let station = fixtures::station(p, LONGJU).await;
        let volunteer = fixtures::volunteer(p, station, "active", 2).await;
        let mut pairings = Vec::new();
        for name in ["王小明", "陈小雨"] {
            let child = fixtures::pairable_child(p, station).await;
            sqlx::query("UPDATE child SET name = $2 WHERE id = $1")
                .bind(child)
                .bind(name)
                .execute(p)
                .await
                .unwrap();
            pairings.push(fixtures::pair(p, child, volunteer, station).await.unwrap());
        }
        let mother = app.volunteer_user(volunteer).await;
        let mut tab = Tab::open(&driver, &app, Device::Phone, care, "volunteer-concern").await;
        tab.log_in(&mother.username, "/me").await;
        let home = tab.check("me").await;
        // A volunteer's phone pages stay light: her first page, stylesheet included.
        assert!(
            tab.transferred() < 100_000,
            "/me took {} bytes",
            tab.transferred()
        );
        assert!(home.contains("小明") && home.contains("小雨") && !home.contains("王小明"));
        // Her menu: her children, the wish wall, her requests — no station list.
        let menu = tab
            .run("return [...document.querySelectorAll('nav.menu a')].map(a => a.getAttribute('href'))")
            .await;
        assert_eq!(
            menu,
            json!(["/me", "/wishes", "/requests", "/account/password"])
        );

        // Open her first child and log a home visit that raises a concern.
        let started = Instant::now();
        tab.click(&format!("a[href='/me/pairings/{}']", pairings[0]))
            .await;
        tab.wait_for(|p| p.starts_with("/me/pairings/")).await;
        tab.check("child").await;
        assert!(
            tab.transferred() < 100_000,
            "her child's page took {} bytes",
            tab.transferred()
        );
        tab.click("input[name=mode][value=home_visit]").await;
        tab.type_in("#duration_minutes", "45").await;
        tab.click("input[name=topics][value=study]").await;
        tab.type_in("#note", "辅导数学作业，聊了学校的事").await;
        tab.click("#log details summary").await;
        tab.click("#concern_category option[value=health]").await;
        tab.type_in("#concern_detail", "一直咳嗽，奶奶没带去看病")
            .await;
        // The concern's label sits above its box, not around it.
        let label_above = tab
            .run(
                "const l = document.querySelector('label[for=concern_detail]').getBoundingClientRect(); \
                 const t = document.getElementById('concern_detail').getBoundingClientRect(); \
                 return l.bottom <= t.top + 1",
            )
            .await;
        assert_eq!(label_above, json!(true));
        tab.check("concern").await;
        tab.click("#log button[type=submit]").await;
        tab.find("main .flash").await;
        eprintln!(
            "volunteer-concern ({}): logged in {:.1} s",
            if care { "care" } else { "normal" },
            started.elapsed().as_secs_f64()
        );
        let html = tab.check("logged").await;
        assert!(html.contains("关注事项已报告给驿站和县妇联"), "{html}");
        assert!(html.contains("辅导数学作业") && html.contains("健康问题"));
        assert!(html.contains("等待工作人员查看"));

        // County staff resolve it; she reads what they did, and her entry no longer waits.
        let contact: Uuid = sqlx::query_scalar("SELECT id FROM contact WHERE pairing_id = $1")
            .bind(pairings[0])
            .fetch_one(p)
            .await
            .unwrap();
        let resolved = county
            .post_form(
                &format!("/concerns/{contact}/resolve"),
                &[("resolution", "已联系村医上门看诊，奶奶已带孩子复查")],
            )
            .await;
        assert!(resolved.status().is_success() || resolved.status().is_redirection());
        tokio::time::sleep(Duration::from_millis(50)).await;
        tab.client.refresh().await.unwrap();
        let html = tab.check("resolved").await;
        assert!(html.contains("已联系村医上门看诊"), "{html}");
        assert!(html.contains("工作人员的处理情况"));
        assert!(!html.contains("等待工作人员查看"));
        // Her home page lists it among the replies to her entries.
        let html = tab.visit("/me", "replies").await;
        assert!(html.contains("工作人员的回复") && html.contains("已联系村医上门看诊"));
        tab.close().await;
    }
}

/// Three months into a pairing her survey is due: she answers its five statements with her
/// thumb, and staff read the trend with its drop alert and open the guardian's form.
#[tokio::test(flavor = "multi_thread")]
async fn a_volunteer_answers_her_relationship_survey_and_staff_read_its_trend() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let (county, county_user) = app.logged_in("staff", "510681").await;
    let driver = Driver::start();
    for care in [false, true] {
        let station = fixtures::station(p, LONGJU).await;
        let volunteer = fixtures::volunteer(p, station, "active", 2).await;
        let child = fixtures::pairable_child(p, station).await;
        let pairing = fixtures::pair(p, child, volunteer, station).await.unwrap();
        sqlx::query(
            "UPDATE pairing SET started_on = ((now() AT TIME ZONE 'Asia/Shanghai')::date
                                              - interval '3 months')::date WHERE id = $1",
        )
        .bind(pairing)
        .execute(p)
        .await
        .unwrap();
        let mother = app.volunteer_user(volunteer).await;
        let mut tab = Tab::open(&driver, &app, Device::Phone, care, "volunteer-survey").await;
        tab.log_in(&mother.username, "/me").await;
        let home = tab.check("me").await;
        assert!(home.contains("该填写结对关系问卷了"), "{home}");
        tab.click(&format!("a.button[href='/me/pairings/{pairing}/survey']"))
            .await;
        tab.wait_for(|path| path.ends_with("/survey")).await;
        tab.check("survey").await;
        for (key, n) in [
            ("trust", 5),
            ("enjoy", 5),
            ("talks", 4),
            ("support", 4),
            ("change", 3),
        ] {
            tab.click(&format!("input[name={key}][value='{n}']")).await;
        }
        tab.click("main form button[type=submit]").await;
        tab.wait_for(|path| path == format!("/me/pairings/{pairing}"))
            .await;
        let html = tab.check("answered").await;
        assert!(html.contains("问卷已保存") && !html.contains("该填写结对关系问卷了"));
        tab.close().await;

        // The guardian's answers fall sharply: staff see it on the pairing's page.
        for answers in [[4, 4, 4, 4, 4], [2, 3, 2, 3, 2]] {
            let (status, _) = county
                .post_json(
                    &format!("/api/v1/pairings/{pairing}/surveys"),
                    &json!({"respondent": "guardian", "answers": {
                        "trust": answers[0], "enjoy": answers[1], "talks": answers[2],
                        "support": answers[3], "change": answers[4]
                    }}),
                )
                .await;
            assert_eq!(status, reqwest::StatusCode::CREATED);
        }
        let mut tab = Tab::open(&driver, &app, Device::Phone, care, "staff-survey").await;
        tab.log_in(&county_user.username, "/dashboard").await;
        let page = tab.visit(&format!("/pairings/{pairing}"), "trend").await;
        assert!(page.contains("结对关系明显下降"), "{page}");
        tab.click("#surveys details summary").await;
        tab.check("guardian-form").await;
        tab.close().await;
    }
}

/// Every page county staff and an admin open, on a phone and at a desk, in both modes: nothing
/// scrolls sideways, no serious accessibility violation, on a phone every control thumb-sized.
#[tokio::test(flavor = "multi_thread")]
async fn every_page_fits_a_phone_and_a_desk_in_both_modes() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let child = fixtures::pairable_child(p, station).await;
    let waiting = fixtures::pairable_child(p, station).await;
    let pairing = fixtures::pair(p, child, volunteer, station).await.unwrap();
    let activity = fixtures::activity(p, station).await;
    fixtures::wish(p, child).await;
    sqlx::query(
        "INSERT INTO contact (pairing_id, contacted_on, mode, duration_minutes, note,
                              concern_category, concern_detail)
         VALUES ($1, (now() AT TIME ZONE 'Asia/Shanghai')::date, 'home_visit', 40,
                 '一起读了绘本', 'health', '咳嗽两周了')",
    )
    .bind(pairing)
    .execute(p)
    .await
    .unwrap();
    let staff = app.regional_user("staff", "510681").await;
    let admin = app.regional_user("admin", "510681").await;
    // A follow-up on the contact, for the staff member: her list has a card to mark done.
    sqlx::query(
        "INSERT INTO follow_up (pairing_id, contact_id, assignee_id, action, due_on)
         SELECT pairing_id, id, $1, '给班主任打电话', (now() AT TIME ZONE 'Asia/Shanghai')::date
         FROM contact",
    )
    .bind(staff.id)
    .execute(p)
    .await
    .unwrap();
    // A county roster: one child on it registered and paired, one not registered.
    sqlx::query(
        "WITH import AS (INSERT INTO roster_import (county_code, rows) VALUES ('510681', 2)
                         RETURNING id)
         INSERT INTO roster_child (import_id, county_code, sheet_row, name, birth_date, category,
                                   region_code, guardian_name, guardian_phone)
         SELECT id, '510681', 2, '李小雨', DATE '2016-05-04', 'left_behind'::child_category, $1, '李奶奶',
                '13812345678' FROM import
         UNION ALL
         SELECT id, '510681', 3, '张未登', DATE '2015-02-03', 'in_difficulty'::child_category, $1, NULL, NULL
         FROM import",
    )
    .bind(LONGJU)
    .execute(p)
    .await
    .unwrap();
    sqlx::query("SELECT roster_match('510681')")
        .execute(p)
        .await
        .unwrap();
    let pages = [
        "/dashboard".to_owned(),
        "/stations".into(),
        format!("/stations/{station}"),
        format!("/stations/{station}/wishes"),
        "/volunteers".into(),
        format!("/volunteers/{volunteer}"),
        "/volunteers/new".into(),
        "/children".into(),
        format!("/children/{child}"),
        format!("/children/{child}/wishes"),
        "/children/new".into(),
        "/children/import".into(),
        "/pairings".into(),
        "/pairings/waiting".into(),
        format!("/pairings/{pairing}"),
        format!("/pairings/new?child_id={waiting}"),
        "/concerns".into(),
        "/concerns?status=resolved".into(),
        "/contact-standard".into(),
        "/check-ins/due".into(),
        "/follow-ups".into(),
        "/follow-ups?assignee=all&status=done".into(),
        "/activities".into(),
        format!("/activities/{activity}"),
        format!("/activities/new?station_id={station}"),
        "/wishes".into(),
        "/reports".into(),
        "/reports/monthly".into(),
        "/requests".into(),
        "/account/password".into(),
        "/privacy".into(),
        "/roster".into(),
        "/roster?view=all".into(),
        "/roster?view=unlisted".into(),
        "/roster/import".into(),
        format!("/stations/{station}/poster"),
        format!("/stations/{station}/ledger"),
        format!("/stations/{station}/roster-sheet"),
        format!("/volunteers/{volunteer}/certificate"),
        format!("/pairings/{pairing}/form"),
        format!("/apply/{station}"),
    ];
    let driver = Driver::start();
    for (device, care) in [
        (Device::Phone, false),
        (Device::Phone, true),
        (Device::Desk, false),
        (Device::Desk, true),
    ] {
        let name = |who: &str| match device {
            Device::Phone => format!("{who}-phone-sweep"),
            Device::Desk => format!("{who}-desk-sweep"),
        };
        let mut tab = Tab::open(&driver, &app, device, care, &name("staff")).await;
        tab.log_in(&staff.username, "/dashboard").await;
        for (i, path) in pages.iter().enumerate() {
            tab.visit(path, &format!("page{i:02}")).await;
        }
        tab.close().await;
        let mut tab = Tab::open(&driver, &app, device, care, &name("admin")).await;
        tab.log_in(&admin.username, "/dashboard").await;
        for path in [
            "/admin/users",
            "/admin/users/new",
            "/admin/audit",
            "/admin/retention",
        ] {
            tab.visit(
                path,
                path.trim_start_matches("/admin/")
                    .replace('/', "-")
                    .as_str(),
            )
            .await;
        }
        tab.close().await;
    }
}
