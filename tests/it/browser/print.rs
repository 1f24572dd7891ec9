//! The printed forms as Chromium prints them on A4: each fits its pages, a table's header
//! stands on every page it runs over, no row is cut in two, and every row is there. The PDFs
//! are read back with poppler's `pdftotext`, page by page, and kept in `target/tmp/prints/`.

use std::path::PathBuf;
use std::process::Command;

use fantoccini::wd::PrintConfiguration;
use uuid::Uuid;

use super::{Device, Driver, Tab};
use crate::fixtures::{self, LONGJU};
use crate::harness::TestApp;

/// Prints `path` to PDF and answers the text of each page.
async fn printed(tab: &Tab, app: &TestApp, path: &str, name: &str) -> Vec<String> {
    tab.client.goto(&app.url(path)).await.unwrap();
    tab.wait_for(|_| true).await;
    let pdf = tab
        .client
        .print(PrintConfiguration::default())
        .await
        .expect("printing to PDF");
    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("prints");
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join(format!("{name}.pdf"));
    std::fs::write(&file, &pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext is missing: apt-get install poppler-utils");
    assert!(out.status.success(), "pdftotext failed on {name}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    while pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// The page each of `texts` is printed on: exactly one, or the test fails.
fn page_of(pages: &[String], text: &str) -> usize {
    let on: Vec<usize> = (0..pages.len())
        .filter(|&i| pages[i].contains(text))
        .collect();
    assert_eq!(on.len(), 1, "{text} is on pages {on:?}");
    on[0]
}

/// Sixty sessions in a month at a station, each hosted by its own volunteer.
async fn a_busy_month(app: &TestApp, station: Uuid) {
    for n in 1..=60 {
        let host = fixtures::volunteer(app.pool(), station, "active", 2).await;
        sqlx::query("UPDATE volunteer SET name = $2 WHERE id = $1")
            .bind(host)
            .bind(format!("主持{n:02}号"))
            .execute(app.pool())
            .await
            .unwrap();
        let day = 1 + (n - 1) / 2;
        let activity: Uuid = sqlx::query_scalar(
            "INSERT INTO activity (station_id, kind, title, held_on, starts_at, ends_at, guardian_count)
             VALUES ($1, 'tutoring', $2, make_date(2026, 11, $3), '14:00', '16:00', 2) RETURNING id",
        )
        .bind(station)
        .bind(format!("第{n:02}场课业辅导"))
        .bind(day)
        .fetch_one(app.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO attendance (activity_id, volunteer_id, is_host) VALUES ($1, $2, true)",
        )
        .bind(activity)
        .bind(host)
        .execute(app.pool())
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_form_prints_on_a4_with_every_row_whole_and_headers_on_every_page() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    a_busy_month(&app, station).await;
    let mut pairings = Vec::new();
    for _ in 0..3 {
        let child = fixtures::pairable_child(app.pool(), station).await;
        let volunteer = fixtures::volunteer(app.pool(), station, "active", 2).await;
        pairings.push(
            fixtures::pair(app.pool(), child, volunteer, station)
                .await
                .unwrap(),
        );
    }
    for n in 1..=45 {
        let child = fixtures::pairable_child(app.pool(), station).await;
        sqlx::query("UPDATE child SET name = $2 WHERE id = $1")
            .bind(child)
            .bind(format!("花名册{n:02}"))
            .execute(app.pool())
            .await
            .unwrap();
    }
    let staff = app.regional_user("staff", "510681").await;
    let driver = Driver::start();
    let mut tab = Tab::open(&driver, &app, Device::Desk, false, "prints").await;
    tab.log_in(&staff.username, "/dashboard").await;

    // The 60-session ledger: every session once, whole, the header on every page.
    let ledger = printed(
        &tab,
        &app,
        &format!("/stations/{station}/ledger?month=2026-11"),
        "ledger",
    )
    .await;
    assert_eq!(ledger.len(), 4, "the month's ledger on four pages");
    for n in 1..=60 {
        let page = page_of(&ledger, &format!("第{n:02}场课业辅导"));
        assert!(
            ledger[page].contains(&format!("主持{n:02}号")),
            "session {n}'s row is whole"
        );
    }
    for page in &ledger {
        assert!(
            page.contains("活动名称") && page.contains("人次"),
            "the header on every page"
        );
    }
    assert!(
        ledger.last().unwrap().contains("60 次活动"),
        "the totals at the end"
    );

    // The forms of a batch: one page each, with its signature lines.
    let ids: Vec<String> = pairings.iter().map(Uuid::to_string).collect();
    let forms = printed(
        &tab,
        &app,
        &format!("/pairings/forms?ids={}", ids.join(",")),
        "pairing-forms",
    )
    .await;
    assert_eq!(forms.len(), 3, "one page a pairing");
    for page in &forms {
        assert!(page.contains("爱心妈妈结对登记表") && page.contains("监护人（签字）"));
    }

    // The roster of 48 children: each once, the header on every page.
    let roster = printed(
        &tab,
        &app,
        &format!("/stations/{station}/roster-sheet"),
        "roster-sheet",
    )
    .await;
    assert_eq!(roster.len(), 3, "48 children on three pages");
    for n in 1..=45 {
        page_of(&roster, &format!("花名册{n:02}"));
    }
    for page in &roster {
        assert!(
            page.contains("出生日期") && page.contains("身份证号"),
            "the header on every page"
        );
    }

    // One page each: a certificate, the poster.
    let volunteer: Uuid = sqlx::query_scalar("SELECT id FROM volunteer WHERE name = '主持01号'")
        .fetch_one(app.pool())
        .await
        .unwrap();
    let certificate = printed(
        &tab,
        &app,
        &format!("/volunteers/{volunteer}/certificate?year=2026"),
        "certificate",
    )
    .await;
    assert_eq!(certificate.len(), 1);
    assert!(certificate[0].contains("志愿服务时长证明") && certificate[0].contains("2 小时"));
    let poster = printed(&tab, &app, &format!("/stations/{station}/poster"), "poster").await;
    assert_eq!(poster.len(), 1, "the poster on one page");
    assert!(poster[0].contains("申请成为爱心妈妈"));
    tab.close().await;
}
