//! The monthly report: its `.xlsx` opens, its rows add up to its totals, and its totals are the
//! dashboard's for the same month.

use aixin::seed::{self, Scale};
use reqwest::StatusCode;

use crate::harness::TestApp;

/// The report's columns, by the stats API's names, in the sheet's order.
const COLUMNS: &[&str] = &[
    "stations",
    "volunteers_active",
    "volunteers_trained",
    "children_registered",
    "children_paired",
    "coverage",
    "pairings_active",
    "pairings_started",
    "activities",
    "person_visits",
    "trainings",
    "contacts",
    "wishes_fulfilled",
    "open_days_rate",
];

fn last_month() -> (String, String, String) {
    let today = aixin::domain::today();
    let first_this = today.replace_day(1).unwrap();
    let last = first_this.previous_day().unwrap();
    let first = last.replace_day(1).unwrap();
    (
        format!("{:04}-{:02}", first.year(), u8::from(first.month())),
        first.to_string(),
        last.to_string(),
    )
}

#[tokio::test]
async fn the_monthly_xlsx_opens_and_its_totals_are_the_dashboards() {
    let app = TestApp::spawn().await;
    seed::run(app.pool(), Scale::Small).await.unwrap();
    let (month, from, to) = last_month();

    for (role, region, rows) in [("staff", "510681", 6), ("admin", "51", 183)] {
        let (browser, _) = app.logged_in(role, region).await;
        let response = browser
            .get(&format!("/reports/monthly?month={month}&format=xlsx"))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(&format!("monthly-report-{month}.xlsx"))
        );
        let bytes = response.bytes().await.unwrap();
        let sheet = aixin::web::sheet::read(&bytes).expect("the report opens");
        assert!(sheet[0][0].contains("月度报表"), "{:?}", sheet[0]);
        let body = &sheet[2..];
        let (total, areas) = body.split_last().unwrap();
        assert_eq!(total[0], "合计");
        assert_eq!(
            areas.len(),
            rows,
            "one row per station in a county, per county in the province"
        );

        let (status, stats) = browser
            .get_json(&format!(
                "/api/v1/stats?region={region}&from={from}&to={to}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        for (i, key) in COLUMNS.iter().enumerate() {
            let cell: f64 = total[i + 1].parse().unwrap();
            let expected = stats[*key].as_f64().unwrap_or(0.0);
            assert_eq!(
                cell, expected,
                "{key}: the report's total is the dashboard's"
            );
            if !key.ends_with("rate") && *key != "coverage" {
                let sum: f64 = areas.iter().map(|r| r[i + 1].parse::<f64>().unwrap()).sum();
                assert_eq!(sum, expected, "{key}: the rows add up to the total");
            }
        }
        assert!(
            stats["activities"].as_i64().unwrap() > 0,
            "the month had activities"
        );
    }

    // Every download is in the audit trail.
    let exports: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'export' AND entity = 'monthly_report'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(exports, 2);
}

#[tokio::test]
async fn the_printable_report_and_its_month_checks() {
    let app = TestApp::spawn().await;
    seed::run(app.pool(), Scale::Small).await.unwrap();
    let (month, _, _) = last_month();
    let (staff, _) = app.logged_in("staff", "510681").await;

    let index = staff.get("/reports").await;
    assert_eq!(index.status(), StatusCode::OK);
    assert!(
        index
            .text()
            .await
            .unwrap()
            .contains(&format!("month={month}"))
    );

    let page = staff.get(&format!("/reports/monthly?month={month}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("广汉市"));
    assert!(html.contains("合计"));
    assert!(
        html.contains("爱心妈妈驿站"),
        "rows are stations at county level"
    );

    assert_eq!(
        staff.get("/reports/monthly?month=2026-13").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        staff.get("/reports/monthly?month=2999-01").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        staff
            .get(&format!("/reports/monthly?region=5119&month={month}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}
