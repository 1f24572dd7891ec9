//! The paperwork counties file: a month's activity ledger with its totals and its `.xlsx`, a
//! pairing's registration form, a station's child roster with masked ID numbers, and a service
//! certificate whose hours are the volunteer's records and whose code tells nothing more.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::fixtures::{self, LONGJU};
use crate::harness::TestApp;

/// A session at `station` on `day`, from `times` when given, with `guardians` guardians.
async fn session(
    app: &TestApp,
    station: Uuid,
    title: &str,
    day: &str,
    times: Option<(&str, &str)>,
    guardians: i32,
) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO activity (station_id, kind, title, held_on, starts_at, ends_at, guardian_count)
         VALUES ($1, 'tutoring', $2, $3::date, $4::time, $5::time, $6) RETURNING id",
    )
    .bind(station)
    .bind(title)
    .bind(day)
    .bind(times.map(|t| t.0))
    .bind(times.map(|t| t.1))
    .bind(guardians)
    .fetch_one(app.pool())
    .await
    .unwrap()
}

async fn attend(app: &TestApp, activity: Uuid, volunteer: Uuid, host: bool) {
    sqlx::query("INSERT INTO attendance (activity_id, volunteer_id, is_host) VALUES ($1, $2, $3)")
        .bind(activity)
        .bind(volunteer)
        .bind(host)
        .execute(app.pool())
        .await
        .unwrap();
}

async fn contact(app: &TestApp, pairing: Uuid, day: &str, minutes: i32, reached: bool) {
    sqlx::query(
        "INSERT INTO contact (pairing_id, contacted_on, mode, duration_minutes, outcome, not_reached_reason)
         VALUES ($1, $2::date, 'call', $3, $4::contact_outcome, $5::contact_not_reached_reason)",
    )
    .bind(pairing)
    .bind(day)
    .bind(minutes)
    .bind(if reached { "reached" } else { "not_reached" })
    .bind((!reached).then_some("no_answer"))
    .execute(app.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn a_months_ledger_lists_each_session_with_its_totals_and_downloads_as_xlsx() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let volunteer = fixtures::volunteer(app.pool(), station, "active", 2).await;
    let first = session(
        &app,
        station,
        "书法兴趣课",
        "2026-11-04",
        Some(("14:00", "16:30")),
        3,
    )
    .await;
    attend(&app, first, volunteer, true).await;
    session(&app, station, "安全教育", "2026-11-18", None, 2).await;
    session(&app, station, "十月的课", "2026-10-28", None, 0).await;
    let (staff, _) = app.logged_in("staff", "510681").await;

    let page = staff
        .get(&format!("/stations/{station}/ledger?month=2026-11"))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("书法兴趣课") && html.contains("安全教育"));
    assert!(!html.contains("十月的课"), "another month's session");
    assert!(
        html.contains("14:00–16:30") && html.contains("王秀兰"),
        "time and host"
    );
    assert!(html.contains("2 次活动"), "{html}");
    assert!(
        html.contains("<td class=\"num\">6</td>"),
        "person-visits: 3 + 1 + 2 guardians… "
    );

    let xlsx = staff
        .get(&format!(
            "/stations/{station}/ledger?month=2026-11&format=xlsx"
        ))
        .await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    let bytes = xlsx.bytes().await.unwrap();
    let rows = aixin::web::sheet::read(&bytes).unwrap();
    assert_eq!(rows.len(), 4, "header, two sessions, totals: {rows:?}");
    assert_eq!(rows[1][3], "书法兴趣课");
    assert_eq!(rows[3][8], "6");

    let bad = staff
        .get(&format!("/stations/{station}/ledger?month=2026-13"))
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (far, _) = app.logged_in("staff", "511922").await;
    assert_eq!(
        far.get(&format!("/stations/{station}/ledger"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_certificate_states_the_volunteers_own_hours_and_its_code_reveals_nothing_more() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let volunteer = fixtures::volunteer(app.pool(), station, "active", 2).await;
    let other = fixtures::volunteer(app.pool(), station, "active", 2).await;
    let child = fixtures::pairable_child(app.pool(), station).await;
    let pairing = fixtures::pair(app.pool(), child, volunteer, station)
        .await
        .unwrap();
    // 150 minutes timed, one session without times (2 hours, estimated), one last year.
    let timed = session(
        &app,
        station,
        "书法",
        "2026-06-04",
        Some(("14:00", "16:30")),
        0,
    )
    .await;
    let untimed = session(&app, station, "故事会", "2026-07-04", None, 0).await;
    let old = session(
        &app,
        station,
        "去年",
        "2025-07-04",
        Some(("09:00", "10:00")),
        0,
    )
    .await;
    attend(&app, timed, volunteer, true).await;
    attend(&app, untimed, volunteer, false).await;
    attend(&app, old, volunteer, false).await;
    attend(&app, timed, other, false).await;
    // Contacts: 30 + 45 minutes reached; an attempt that did not reach her is not counted.
    contact(&app, pairing, "2026-06-10", 30, true).await;
    contact(&app, pairing, "2026-06-20", 45, true).await;
    contact(&app, pairing, "2026-06-25", 10, false).await;
    let expected: i64 = sqlx::query_scalar(
        "SELECT (SELECT sum(CASE WHEN a.starts_at IS NULL OR a.ends_at IS NULL THEN 120
                                 ELSE extract(epoch FROM a.ends_at - a.starts_at) / 60 END)
                 FROM attendance t JOIN activity a ON a.id = t.activity_id
                 WHERE t.volunteer_id = $1 AND a.held_on >= DATE '2026-01-01')::bigint
              + (SELECT sum(duration_minutes) FROM contact WHERE pairing_id = $2
                 AND outcome = 'reached' AND contacted_on >= DATE '2026-01-01')",
    )
    .bind(volunteer)
    .bind(pairing)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(expected, 150 + 120 + 75);

    let (staff, _) = app.logged_in("staff", "510681").await;
    let path = format!("/volunteers/{volunteer}/certificate?year=2026");
    let html = staff.get(&path).await.text().await.unwrap();
    assert!(html.contains("5 小时 45 分钟"), "{html}");
    assert!(
        html.contains("1 次未记录起止时间"),
        "the estimate is marked"
    );
    let code = html
        .split("<strong>")
        .nth(1)
        .and_then(|s| s.split("</strong>").next())
        .unwrap()
        .to_owned();
    assert_eq!(code.len(), 12);
    let again = staff.get(&path).await.text().await.unwrap();
    assert!(again.contains(&code), "the same figures, the same code");

    let public = app.get(&format!("/verify/{code}")).await;
    assert_eq!(public.status(), StatusCode::OK);
    let shown = public.text().await.unwrap();
    assert!(shown.contains("王**") && shown.contains("5 小时 45 分钟") && shown.contains("2026"));
    assert!(shown.contains("龙居"), "the station");
    let phone: String = sqlx::query_scalar("SELECT phone FROM volunteer WHERE id = $1")
        .bind(volunteer)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert!(!shown.contains("王秀兰") && !shown.contains(&phone));
    assert_eq!(
        app.get("/verify/AAAAAAAAAAAA").await.status(),
        StatusCode::NOT_FOUND
    );

    // A new contact changes the figures: a new code; the old one still says what it said.
    contact(&app, pairing, "2026-07-10", 15, true).await;
    let changed = staff.get(&path).await.text().await.unwrap();
    assert!(
        changed.contains("6 小时") && !changed.contains(&code),
        "{changed}"
    );
    assert_eq!(
        app.get(&format!("/verify/{code}")).await.status(),
        StatusCode::OK
    );

    // Her certificates go when she is erased.
    sqlx::query("UPDATE pairing SET status = 'closed', ended_on = DATE '2026-11-01', closure_reason = 'volunteer_withdrew' WHERE id = $1")
        .bind(pairing)
        .execute(app.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE volunteer SET status = 'withdrawn' WHERE id = $1")
        .bind(volunteer)
        .execute(app.pool())
        .await
        .unwrap();
    sqlx::query("SELECT anonymise_volunteer($1)")
        .bind(volunteer)
        .execute(app.pool())
        .await
        .unwrap();
    assert_eq!(
        app.get(&format!("/verify/{code}")).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn forms_print_the_pairing_and_the_roster_with_masked_numbers_within_scope() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let volunteer = fixtures::volunteer(app.pool(), station, "active", 2).await;
    let child = fixtures::pairable_child(app.pool(), station).await;
    let id_number = crate::volunteers::id_number("51068120160504002");
    sqlx::query("UPDATE child SET id_number = $2, id_number_hash = $3 WHERE id = $1")
        .bind(child)
        .bind(seal(&id_number))
        .bind(hash(&id_number))
        .execute(app.pool())
        .await
        .unwrap();
    let pairing = fixtures::pair(app.pool(), child, volunteer, station)
        .await
        .unwrap();
    let (staff, _) = app.logged_in("staff", "510681").await;

    let form = staff
        .get(&format!("/pairings/{pairing}/form"))
        .await
        .text()
        .await
        .unwrap();
    for text in [
        "爱心妈妈结对登记表",
        "李小雨",
        "王秀兰",
        "李奶奶",
        "138****5678",
        "监护人（签字）",
        "每月至少联系",
    ] {
        assert!(form.contains(text), "{text}");
    }
    assert!(!form.contains("13812345678"), "phones masked");
    let batch = staff
        .get(&format!("/pairings/forms?ids={pairing},{pairing}"))
        .await;
    assert_eq!(batch.status(), StatusCode::OK);
    assert_eq!(
        staff.get("/pairings/forms?ids=").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let sheet = staff
        .get(&format!("/stations/{station}/roster-sheet"))
        .await
        .text()
        .await
        .unwrap();
    let masked = format!("{}********{}", &id_number[..6], &id_number[14..]);
    assert!(
        sheet.contains("李小雨") && sheet.contains(&masked),
        "{sheet}"
    );
    assert!(!sheet.contains(&id_number), "never the whole number");

    // A closed pairing's form is not printed: the child may live elsewhere now.
    sqlx::query("UPDATE pairing SET status = 'closed', ended_on = DATE '2026-11-01', closure_reason = 'family_moved' WHERE id = $1")
        .bind(pairing)
        .execute(app.pool())
        .await
        .unwrap();
    assert_eq!(
        staff
            .get(&format!("/pairings/{pairing}/form"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let (far, _) = app.logged_in("staff", "511922").await;
    for path in [
        format!("/pairings/{pairing}/form"),
        format!("/stations/{station}/roster-sheet"),
        format!("/volunteers/{volunteer}/certificate"),
    ] {
        assert_eq!(
            far.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

pub fn cipher() -> aixin::crypto::Cipher {
    let config = crate::harness::test_config("127.0.0.1:1".parse().unwrap());
    aixin::crypto::Cipher::new(&config.secret_key)
}

pub fn seal(id: &str) -> Vec<u8> {
    cipher().encrypt(id)
}

pub fn hash(id: &str) -> Vec<u8> {
    cipher().hash(id)
}
