//! The dashboard's figures, each checked against what the test itself inserted, for the
//! province, a county and a station; the edge cases (a closed pairing, an exited child, an
//! activity outside the period); and that a write shows in the very next request.

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use crate::fixtures::{self, HANZHOU, LONGJU, YUNDING};
use crate::harness::{PASSWORD, TestApp, today};

/// What the test inserts, so every expected figure below can be read off it.
struct World {
    /// 龙居 station (广汉市, 德阳市): most of the records.
    longju: Uuid,
    /// 汉州 station (广汉市): a paused station with one training.
    hanzhou: Uuid,
    /// 云顶 station (南江县, 巴中市): another city.
    yunding: Uuid,
    /// The active pairing at 龙居 whose contacts are counted.
    pairing: Uuid,
}

async fn exec(db: &PgPool, sql: &str, id: Uuid) {
    sqlx::query(sql).bind(id).execute(db).await.unwrap();
}

async fn activity_on(db: &PgPool, station: Uuid, kind: &str, day: &str, guardians: i32) -> Uuid {
    let topic = (kind == "training").then_some("minors_protection_law");
    sqlx::query_scalar(
        "INSERT INTO activity (station_id, kind, topic, title, held_on, guardian_count, other_count)
         VALUES ($1, $2::activity_kind, $3::training_topic, '活动', $4::date, $5, 1) RETURNING id",
    )
    .bind(station)
    .bind(kind)
    .bind(topic)
    .bind(day)
    .bind(guardians)
    .fetch_one(db)
    .await
    .unwrap()
}

async fn attend(db: &PgPool, activity: Uuid, child: Option<Uuid>, volunteer: Option<Uuid>) {
    sqlx::query("INSERT INTO attendance (activity_id, child_id, volunteer_id) VALUES ($1, $2, $3)")
        .bind(activity)
        .bind(child)
        .bind(volunteer)
        .execute(db)
        .await
        .unwrap();
}

async fn contact_on(db: &PgPool, pairing: Uuid, day: &str) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO contact (pairing_id, contacted_on, mode) VALUES ($1, $2::date, 'call') RETURNING id",
    )
    .bind(pairing)
    .bind(day)
    .fetch_one(db)
    .await
    .unwrap()
}

async fn world(db: &PgPool) -> World {
    let today = today();
    let longju = fixtures::station(db, LONGJU).await;
    let hanzhou = fixtures::station(db, HANZHOU).await;
    exec(
        db,
        "UPDATE station SET status = 'paused', build_mode = 'joint' WHERE id = $1",
        hanzhou,
    )
    .await;
    let yunding = fixtures::station(db, YUNDING).await;

    // 龙居: three active volunteers, one trained, one applied.
    let v1 = fixtures::volunteer(db, longju, "active", 2).await;
    let v2 = fixtures::volunteer(db, longju, "active", 2).await;
    fixtures::volunteer(db, longju, "active", 2).await;
    fixtures::volunteer(db, longju, "trained", 2).await;
    fixtures::volunteer(db, longju, "applied", 2).await;
    // 云顶: one active volunteer.
    let v3 = fixtures::volunteer(db, yunding, "active", 2).await;

    // 龙居: four children — one paired, one whose pairing closed, one exited, one waiting.
    let paired = fixtures::pairable_child(db, longju).await;
    let pairing = fixtures::pair(db, paired, v1, longju).await.unwrap();
    let unpaired = fixtures::pairable_child(db, longju).await;
    let closed = fixtures::pair(db, unpaired, v2, longju).await.unwrap();
    exec(
        db,
        "UPDATE pairing SET status = 'closed', ended_on = DATE '2026-06-01',
                closure_reason = 'family_moved' WHERE id = $1",
        closed,
    )
    .await;
    let (exited, _) = fixtures::child(db, longju).await;
    exec(
        db,
        "UPDATE child SET status = 'exited', exit_reason = 'family_moved', exited_on = DATE '2026-07-01'
         WHERE id = $1",
        exited,
    )
    .await;
    fixtures::child(db, longju).await;
    // 云顶: one paired child, of the other category.
    let far = fixtures::pairable_child(db, yunding).await;
    exec(
        db,
        "UPDATE child SET category = 'in_difficulty', difficulty_types = '{orphan}' WHERE id = $1",
        far,
    )
    .await;
    fixtures::pair(db, far, v3, yunding).await.unwrap();

    // 龙居: a tutoring session today (2 children, 1 volunteer, 3 guardians, 1 other = 7
    // person-visits) and one last year, outside the period.
    let session = activity_on(db, longju, "tutoring", &today, 3).await;
    attend(db, session, Some(paired), None).await;
    attend(db, session, Some(unpaired), None).await;
    attend(db, session, None, Some(v1)).await;
    activity_on(db, longju, "arts", "2025-06-01", 10).await;
    // 汉州: a training today (0 guardians, 1 other = 1 person-visit).
    activity_on(db, hanzhou, "training", &today, 0).await;
    // 云顶: a safety session today (2 guardians, 1 other = 3 person-visits).
    activity_on(db, yunding, "safety_care", &today, 2).await;

    // Contacts: two this year on the 龙居 pairing, one last year; one this year at 云顶.
    contact_on(db, pairing, &today).await;
    contact_on(db, pairing, "2026-05-02").await;
    contact_on(db, pairing, "2025-12-31").await;
    let far_pairing: Uuid = sqlx::query_scalar("SELECT id FROM pairing WHERE child_id = $1")
        .bind(far)
        .fetch_one(db)
        .await
        .unwrap();
    contact_on(db, far_pairing, &today).await;

    // Wishes at 龙居: one fulfilled this year, one last year, one still posted.
    for (child, fulfilled) in [
        (paired, Some(today.as_str())),
        (unpaired, Some("2025-08-01")),
        (paired, None),
    ] {
        let wish = fixtures::wish(db, child).await;
        if let Some(day) = fulfilled {
            sqlx::query(
                "UPDATE wish SET status = 'fulfilled', claimed_by_organization = '县妇联',
                        claimed_on = $2::date, fulfilled_on = $2::date WHERE id = $1",
            )
            .bind(wish)
            .bind(day)
            .execute(db)
            .await
            .unwrap();
        }
    }
    World {
        longju,
        hanzhou,
        yunding,
        pairing,
    }
}

fn period() -> String {
    format!("from=2026-01-01&to={}", today())
}

/// The figures every focus is checked on, by name.
fn figures(stats: &Value) -> Vec<(&'static str, i64)> {
    [
        "stations",
        "volunteers",
        "volunteers_active",
        "volunteers_trained",
        "children_registered",
        "children_paired",
        "children_exited",
        "pairings_active",
        "pairings_started",
        "activities",
        "person_visits",
        "trainings",
        "contacts",
        "wishes_fulfilled",
    ]
    .into_iter()
    .map(|k| {
        (
            k,
            stats[k]
                .as_i64()
                .unwrap_or_else(|| panic!("{k} missing: {stats}")),
        )
    })
    .collect()
}

#[tokio::test]
async fn every_figure_equals_the_records_for_the_province_a_county_and_a_station() {
    let app = TestApp::spawn().await;
    let w = world(app.pool()).await;
    let (admin, _) = app.logged_in("admin", "51").await;

    // 四川省: three stations, six volunteers (4 active; 5 trained incl. the trained one and
    // 云顶's), five children in the programme (the exited one is not), two paired; pairings
    // started this year: all three (the closed one too); three activities this year (the 2025
    // one is outside) with 7 + 1 + 3 person-visits, one of them a training; three contacts
    // this year; one wish fulfilled this year.
    let (status, province) = admin
        .get_json(&format!("/api/v1/stats?region=51&{}", period()))
        .await;
    assert_eq!(status, StatusCode::OK, "{province}");
    assert_eq!(
        figures(&province),
        [
            ("stations", 3),
            ("volunteers", 6),
            ("volunteers_active", 4),
            ("volunteers_trained", 5),
            ("children_registered", 4),
            ("children_paired", 2),
            ("children_exited", 1),
            ("pairings_active", 2),
            ("pairings_started", 3),
            ("activities", 3),
            ("person_visits", 11),
            ("trainings", 1),
            ("contacts", 3),
            ("wishes_fulfilled", 1),
        ]
    );
    assert_eq!(province["coverage"], 50.0);
    assert_eq!(province["children_by_category"]["in_difficulty"], 1);
    assert_eq!(province["children_by_category"]["left_behind"], 3);
    assert_eq!(province["stations_by_status"]["paused"], 1);
    assert_eq!(province["stations_by_build_mode"]["joint"], 1);
    assert_eq!(province["volunteers_by_status"]["applied"], 1);
    assert_eq!(province["activities_by_kind"]["tutoring"], 1);
    assert_eq!(province["activities_by_kind"]["arts"], 0);
    // The cities add up to the province: 德阳 and 巴中 carry the records, the rest are zero.
    let areas = province["areas"].as_array().unwrap();
    assert_eq!(
        areas.len(),
        21,
        "every city of Sichuan, and nothing unassigned"
    );
    let sum = |k: &str| areas.iter().map(|a| a[k].as_i64().unwrap()).sum::<i64>();
    for (k, n) in figures(&province) {
        assert_eq!(sum(k), n, "{k}: the cities add up to the province");
    }
    let deyang = areas.iter().find(|a| a["region_code"] == "5106").unwrap();
    assert_eq!(deyang["children_registered"], 3);
    assert_eq!(deyang["name"], "德阳市");

    // 广汉市: 龙居 and 汉州 only.
    let (_, county) = admin
        .get_json(&format!("/api/v1/stats?region=510681&{}", period()))
        .await;
    assert_eq!(
        figures(&county),
        [
            ("stations", 2),
            ("volunteers", 5),
            ("volunteers_active", 3),
            ("volunteers_trained", 4),
            ("children_registered", 3),
            ("children_paired", 1),
            ("children_exited", 1),
            ("pairings_active", 1),
            ("pairings_started", 2),
            ("activities", 2),
            ("person_visits", 8),
            ("trainings", 1),
            ("contacts", 2),
            ("wishes_fulfilled", 1),
        ]
    );
    // Its townships: both stations are in 汉州街道.
    let hanzhou_row = county["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["region_code"] == HANZHOU)
        .unwrap();
    assert_eq!(hanzhou_row["stations"], 2);

    // The 龙居 station: its own records only, and its figures by the township's rows too.
    let (_, station) = admin
        .get_json(&format!("/api/v1/stats?station={}&{}", w.longju, period()))
        .await;
    assert_eq!(
        figures(&station),
        [
            ("stations", 1),
            ("volunteers", 5),
            ("volunteers_active", 3),
            ("volunteers_trained", 4),
            ("children_registered", 3),
            ("children_paired", 1),
            ("children_exited", 1),
            ("pairings_active", 1),
            ("pairings_started", 2),
            ("activities", 1),
            ("person_visits", 7),
            ("trainings", 0),
            ("contacts", 2),
            ("wishes_fulfilled", 1),
        ]
    );
    // The township lists its stations, 龙居 with the same figures.
    let (_, township) = admin
        .get_json(&format!("/api/v1/stats?region={HANZHOU}&{}", period()))
        .await;
    let longju_row = township["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["station_id"] == w.longju.to_string())
        .unwrap();
    assert_eq!(longju_row["person_visits"], 7);
    assert_eq!(longju_row["contacts"], 2);

    // A period that holds only last year: the 2025 activity, contact and wish.
    let (_, last_year) = admin
        .get_json("/api/v1/stats?region=51&from=2025-01-01&to=2025-12-31")
        .await;
    assert_eq!(last_year["activities"], 1);
    assert_eq!(last_year["person_visits"], 11);
    assert_eq!(last_year["contacts"], 1);
    assert_eq!(last_year["wishes_fulfilled"], 1);
    assert_eq!(last_year["pairings_started"], 0);
    assert_eq!(
        last_year["children_registered"], 4,
        "people are counted as they are today"
    );
    let _ = (w.hanzhou, w.yunding);
}

#[tokio::test]
async fn a_write_shows_in_the_next_request() {
    let app = TestApp::spawn().await;
    let w = world(app.pool()).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let url = format!("/api/v1/stats?region=510681&{}", period());
    let before = staff.get_json(&url).await.1;

    let session = fixtures::activity(app.pool(), w.longju).await;
    sqlx::query("UPDATE activity SET guardian_count = 4 WHERE id = $1")
        .bind(session)
        .execute(app.pool())
        .await
        .unwrap();
    let contact = contact_on(app.pool(), w.pairing, &today()).await;
    let after = staff.get_json(&url).await.1;
    assert_eq!(
        after["activities"],
        before["activities"].as_i64().unwrap() + 1
    );
    assert_eq!(
        after["person_visits"],
        before["person_visits"].as_i64().unwrap() + 4
    );
    assert_eq!(after["contacts"], before["contacts"].as_i64().unwrap() + 1);

    // A contact corrected to another day, or removed, moves out of the count at once.
    sqlx::query("UPDATE contact SET contacted_on = DATE '2025-01-05' WHERE id = $1")
        .bind(contact)
        .execute(app.pool())
        .await
        .unwrap();
    assert_eq!(staff.get_json(&url).await.1["contacts"], before["contacts"]);
    sqlx::query("DELETE FROM contact WHERE id = $1")
        .bind(contact)
        .execute(app.pool())
        .await
        .unwrap();
    let per_day: i64 =
        sqlx::query_scalar("SELECT coalesce(sum(contacts), 0)::bigint FROM station_day")
            .fetch_one(app.pool())
            .await
            .unwrap();
    let counted: i64 = sqlx::query_scalar("SELECT count(*) FROM contact")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(per_day, counted, "the per-day counts follow every contact");

    // Pairing, closing, exiting and a volunteer's status change keep every tally a recount.
    let db = app.pool();
    let child = fixtures::pairable_child(db, w.hanzhou).await;
    let volunteer = fixtures::volunteer(db, w.hanzhou, "active", 2).await;
    let pairing = fixtures::pair(db, child, volunteer, w.hanzhou)
        .await
        .unwrap();
    let before_close = staff.get_json(&url).await.1;
    sqlx::query(
        "UPDATE pairing SET status = 'closed', ended_on = DATE '2026-06-01', closure_reason = 'family_moved'
         WHERE id = $1",
    )
    .bind(pairing)
    .execute(db)
    .await
    .unwrap();
    sqlx::query("UPDATE child SET status = 'exited', exit_reason = 'aged_out', exited_on = DATE '2026-06-02' WHERE id = $1")
        .bind(child)
        .execute(db)
        .await
        .unwrap();
    sqlx::query("UPDATE volunteer SET status = 'paused' WHERE id = $1")
        .bind(volunteer)
        .execute(db)
        .await
        .unwrap();
    let after_close = staff.get_json(&url).await.1;
    let delta = |k: &str| after_close[k].as_i64().unwrap() - before_close[k].as_i64().unwrap();
    assert_eq!(
        [
            delta("pairings_active"),
            delta("children_paired"),
            delta("children_registered"),
            delta("children_exited"),
            delta("volunteers_active")
        ],
        [-1, -1, -1, 1, -1]
    );
    for (rule, sql) in crate::seed::RULES {
        let broken: i64 = sqlx::query_scalar(sql).fetch_one(db).await.unwrap();
        assert_eq!(broken, 0, "{rule}");
    }
}

#[tokio::test]
async fn wishes_concerns_and_waits_follow_every_write() {
    let app = TestApp::spawn().await;
    let w = world(app.pool()).await;
    let db = app.pool();
    let (staff, _) = app.logged_in("staff", "510681").await;
    let wishes_at = |station: Uuid| {
        let staff = &staff;
        async move {
            let url = format!("/api/v1/stats?station={station}&{}", period());
            staff.get_json(&url).await.1["wishes_fulfilled"]
                .as_i64()
                .unwrap()
        }
    };

    // A wish fulfilled today counts at once at the child's station, and moves with the child.
    let (child, _) = fixtures::child(db, w.longju).await;
    let (longju, hanzhou) = (wishes_at(w.longju).await, wishes_at(w.hanzhou).await);
    let wish = fixtures::wish(db, child).await;
    sqlx::query(
        "UPDATE wish SET status = 'fulfilled', claimed_by_organization = '县妇联',
                claimed_on = $2::date, fulfilled_on = $2::date WHERE id = $1",
    )
    .bind(wish)
    .bind(today())
    .execute(db)
    .await
    .unwrap();
    assert_eq!(wishes_at(w.longju).await, longju + 1);
    sqlx::query("UPDATE child SET station_id = $2 WHERE id = $1")
        .bind(child)
        .bind(w.hanzhou)
        .execute(db)
        .await
        .unwrap();
    assert_eq!(wishes_at(w.longju).await, longju);
    assert_eq!(wishes_at(w.hanzhou).await, hanzhou + 1);

    // A concern is open from the moment it is logged until staff resolve it.
    let concerns = || async { staff.get_json("/api/v1/concerns").await.1["total"].clone() };
    assert_eq!(concerns().await, 0);
    let contact: Uuid = sqlx::query_scalar(
        "INSERT INTO contact (pairing_id, contacted_on, mode, concern_category, concern_detail)
         VALUES ($1, $2::date, 'call', 'safety', '放学后独自在家') RETURNING id",
    )
    .bind(w.pairing)
    .bind(today())
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(concerns().await, 1);
    let page = staff.get("/dashboard").await.text().await.unwrap();
    assert!(
        page.contains(&format!("/pairings/{}", w.pairing)),
        "the alert links the pairing"
    );
    exec(
        db,
        "UPDATE contact SET concern_resolved_at = now(), concern_resolution = '已家访' WHERE id = $1",
        contact,
    )
    .await;
    assert_eq!(concerns().await, 0);

    // The child whose pairing ended on 1 June has waited since then and is among the alerts;
    // a new pairing ends the wait, and closing it starts a new wait on its last day.
    let waiting: Uuid = sqlx::query_scalar(
        "SELECT child_id FROM pairing WHERE station_id = $1 AND status = 'closed'",
    )
    .bind(w.longju)
    .fetch_one(db)
    .await
    .unwrap();
    let link = format!("/children/{waiting}");
    assert!(
        staff
            .get("/dashboard")
            .await
            .text()
            .await
            .unwrap()
            .contains(&link)
    );
    let volunteer = fixtures::volunteer(db, w.longju, "active", 2).await;
    let again = fixtures::pair(db, waiting, volunteer, w.longju)
        .await
        .unwrap();
    assert!(
        !staff
            .get("/dashboard")
            .await
            .text()
            .await
            .unwrap()
            .contains(&link)
    );
    sqlx::query(
        "UPDATE pairing SET status = 'closed', ended_on = $2::date, closure_reason = 'family_moved'
         WHERE id = $1",
    )
    .bind(again)
    .bind(today())
    .execute(db)
    .await
    .unwrap();
    let since: time::Date = sqlx::query_scalar("SELECT waiting_since FROM child WHERE id = $1")
        .bind(waiting)
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(
        since.to_string(),
        today(),
        "a new wait starts when the pairing ends"
    );
    for (rule, sql) in crate::seed::RULES {
        let broken: i64 = sqlx::query_scalar(sql).fetch_one(db).await.unwrap();
        assert_eq!(broken, 0, "{rule}");
    }
}

/// Every count the triggers keep, without its empty rows, as one comparable text.
async fn counts_snapshot(db: &PgPool) -> String {
    sqlx::query_scalar(
        "SELECT concat_ws(' | ',
           (SELECT string_agg(x::text, ';' ORDER BY x::text) FROM (SELECT station_id, day, contacts,
              pairings_started, activities, person_visits, wishes_fulfilled FROM station_day
              WHERE contacts + pairings_started + activities + person_visits + wishes_fulfilled > 0) x),
           (SELECT string_agg(x::text, ';' ORDER BY x::text) FROM (SELECT station_id, month, contacts,
              pairings_started, activities, person_visits, wishes_fulfilled FROM station_month
              WHERE contacts + pairings_started + activities + person_visits + wishes_fulfilled > 0) x),
           (SELECT string_agg(x::text, ';' ORDER BY x::text)
              FROM (SELECT station_id, active FROM pairing_tally WHERE active > 0) x),
           (SELECT string_agg(x::text, ';' ORDER BY x::text)
              FROM (SELECT contact_id, station_id, raised_at FROM open_concern) x),
           (SELECT string_agg(x::text, ';' ORDER BY x::text)
              FROM (SELECT region_code, station_id, status, trained, n FROM volunteer_tally WHERE n > 0) x),
           (SELECT string_agg(x::text, ';' ORDER BY x::text)
              FROM (SELECT region_code, station_id, category, status, n FROM child_tally WHERE n > 0) x))",
    )
    .fetch_one(db)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_counts_follow_moves_corrections_and_removals() {
    let app = TestApp::spawn().await;
    let w = world(app.pool()).await;
    let db = app.pool();
    let run = |sql: &'static str, a: Uuid, b: Uuid| async move {
        sqlx::query(sql).bind(a).bind(b).execute(db).await.unwrap();
    };

    // A 龙居 pairing with a contact that raised a concern and a fulfilled wish; then the child
    // moves to 汉州 and her pairing with her: the contact, the open concern and the wish follow.
    let mover = fixtures::pairable_child(db, w.longju).await;
    let mama = fixtures::volunteer(db, w.longju, "active", 2).await;
    let moving = fixtures::pair(db, mover, mama, w.longju).await.unwrap();
    let concern: Uuid = sqlx::query_scalar(
        "INSERT INTO contact (pairing_id, contacted_on, mode, concern_category, concern_detail)
         VALUES ($1, DATE '2026-05-03', 'call', 'health', '发烧三天') RETURNING id",
    )
    .bind(moving)
    .fetch_one(db)
    .await
    .unwrap();
    let wish = fixtures::wish(db, mover).await;
    run(
        "UPDATE wish SET status = 'fulfilled', claimed_by_organization = '县妇联',
                claimed_on = DATE '2026-05-05', fulfilled_on = DATE '2026-05-06'
         WHERE id = $1 AND child_id = $2",
        wish,
        mover,
    )
    .await;
    run(
        "UPDATE child SET station_id = $2 WHERE id = $1",
        mover,
        w.hanzhou,
    )
    .await;
    run(
        "UPDATE pairing SET station_id = $2 WHERE id = $1",
        moving,
        w.hanzhou,
    )
    .await;
    let queued: Uuid =
        sqlx::query_scalar("SELECT station_id FROM open_concern WHERE contact_id = $1")
            .bind(concern)
            .fetch_one(db)
            .await
            .unwrap();
    assert_eq!(queued, w.hanzhou);

    // A contact corrected onto another pairing and another day; its logging time corrected.
    let far: Uuid = sqlx::query_scalar("SELECT id FROM pairing WHERE station_id = $1")
        .bind(w.yunding)
        .fetch_one(db)
        .await
        .unwrap();
    run(
        "UPDATE contact SET pairing_id = $2, contacted_on = DATE '2026-05-04' WHERE id = $1",
        concern,
        far,
    )
    .await;
    run(
        "UPDATE contact SET created_at = now() - interval '1 hour' WHERE id = $1 AND $2 = $2",
        concern,
        far,
    )
    .await;

    // An activity moved to another day and station.
    let session = fixtures::activity(db, w.longju).await;
    run(
        "UPDATE activity SET station_id = $2, held_on = DATE '2026-03-01' WHERE id = $1",
        session,
        w.hanzhou,
    )
    .await;

    // A pairing that ended, then was removed altogether: the child's wait starts at her
    // registration again.
    let child = fixtures::pairable_child(db, w.longju).await;
    let volunteer = fixtures::volunteer(db, w.longju, "active", 2).await;
    let pairing = fixtures::pair(db, child, volunteer, w.longju)
        .await
        .unwrap();
    run(
        "UPDATE pairing SET status = 'closed', ended_on = DATE '2026-09-01', closure_reason = 'family_moved'
         WHERE id = $1 AND $2 = $2",
        pairing,
        child,
    )
    .await;
    run(
        "DELETE FROM pairing WHERE id = $1 AND child_id = $2",
        pairing,
        child,
    )
    .await;
    let since: time::Date = sqlx::query_scalar("SELECT waiting_since FROM child WHERE id = $1")
        .bind(child)
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(since.to_string(), today());

    for (rule, sql) in crate::seed::RULES {
        let broken: i64 = sqlx::query_scalar(sql).fetch_one(db).await.unwrap();
        assert_eq!(broken, 0, "{rule}");
    }
    // What the triggers kept is what a rebuild from scratch finds.
    let kept = counts_snapshot(db).await;
    sqlx::query("SELECT tally_rebuild()")
        .execute(db)
        .await
        .unwrap();
    assert_eq!(kept, counts_snapshot(db).await);
}

#[tokio::test]
async fn a_period_counts_its_own_days_not_the_months_around_them() {
    let app = TestApp::spawn().await;
    let w = world(app.pool()).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let contacts = |from: &'static str, to: &'static str| {
        let staff = &staff;
        async move {
            let url = format!("/api/v1/stats?station={}&from={from}&to={to}", w.longju);
            staff.get_json(&url).await.1["contacts"].as_i64().unwrap()
        }
    };
    // 龙居's contacts this year: 2 May and today (and 31 December last year).
    assert_eq!(contacts("2026-05-02", "2026-05-02").await, 1);
    assert_eq!(contacts("2026-05-03", "2026-05-31").await, 0);
    assert_eq!(contacts("2026-04-15", "2026-05-01").await, 0);
    assert_eq!(contacts("2025-12-31", "2026-05-02").await, 2);
    assert_eq!(contacts("2025-12-01", "2025-12-30").await, 0);
}

#[tokio::test]
async fn each_role_sees_its_own_figures_and_nothing_beyond() {
    let app = TestApp::spawn().await;
    let w = world(app.pool()).await;

    // County staff: their county by default; another city or a station elsewhere is a 404.
    let (staff, _) = app.logged_in("staff", "510681").await;
    let (status, own) = staff.get_json("/api/v1/stats").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(own["region_code"], "510681");
    assert_eq!(
        staff.get_json("/api/v1/stats?region=5119").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        staff
            .get_json(&format!("/api/v1/stats?station={}", w.yunding))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = staff
        .get_json("/api/v1/stats?from=2026-05-01&to=2026-04-01")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "validation_failed");

    // A station manager: her station, by default and by id; no region.
    let manager = app.station_manager(&[w.longju]).await;
    let browser = app.browser();
    browser.log_in(&manager.username, PASSWORD).await;
    let (status, mine) = browser
        .get_json(&format!("/api/v1/stats?{}", period()))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine["stations"], 1);
    assert_eq!(mine["children_registered"], 3);
    assert_eq!(
        browser.get_json("/api/v1/stats?region=51").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        browser
            .get_json(&format!("/api/v1/stats?station={}", w.hanzhou))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_page_drills_down_and_shows_the_alerts() {
    let app = TestApp::spawn().await;
    let w = world(app.pool()).await;
    let db = app.pool();
    // A concern, and a volunteer whose background check is four years old.
    sqlx::query(
        "INSERT INTO contact (pairing_id, contacted_on, mode, concern_category, concern_detail)
         VALUES ($1, DATE '2026-05-03', 'call', 'safety', '放学后独自在家')",
    )
    .bind(w.pairing)
    .execute(db)
    .await
    .unwrap();
    let stale = fixtures::volunteer(db, w.longju, "active", 2).await;
    sqlx::query("UPDATE volunteer SET name = '赵桂英', background_check_on = DATE '2022-01-01' WHERE id = $1")
        .bind(stale)
        .execute(db)
        .await
        .unwrap();
    // A child registered two months ago and never paired.
    sqlx::query("UPDATE child SET name = '周小雨', created_at = now() - interval '60 days' WHERE status = 'registered' AND station_id = $1 AND id NOT IN (SELECT child_id FROM pairing)")
        .bind(w.longju)
        .execute(db)
        .await
        .unwrap();

    let (admin, _) = app.logged_in("admin", "51").await;
    let page = admin.get("/dashboard").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("四川省"), "the focus is named");
    assert!(
        html.contains("/dashboard?region=5106&"),
        "cities drill down"
    );
    assert!(
        html.contains("id=\"trends\""),
        "the trends table is there without JavaScript"
    );
    assert!(
        html.contains(&format!("/pairings/{}", w.pairing)),
        "the concern is listed"
    );
    assert!(
        html.contains("赵桂英"),
        "the overdue background check is listed"
    );
    assert!(
        html.contains("周小雨"),
        "the child waiting over 30 days is listed"
    );
    assert!(html.contains(&format!("/volunteers/{stale}")));

    // Sorted by children, largest first: 德阳 (3) before 巴中 (1).
    let html = admin
        .get("/dashboard?region=51&sort=children_registered&dir=desc")
        .await
        .text()
        .await
        .unwrap();
    let deyang = html.find(">德阳市<").unwrap();
    let bazhong = html.find(">巴中市<").unwrap();
    assert!(deyang < bazhong);

    // Down to the station: its page names it and lists no areas.
    let station = admin.get(&format!("/dashboard?station={}", w.longju)).await;
    assert_eq!(station.status(), StatusCode::OK);
    let html = station.text().await.unwrap();
    assert!(html.contains("龙居社区爱心妈妈驿站"));
    assert!(html.contains("广汉市"), "the breadcrumbs lead back up");
}

#[tokio::test]
async fn the_station_page_and_the_dashboard_count_the_same_open_days() {
    let app = TestApp::spawn().await;
    let db = app.pool();
    let station = fixtures::station(db, LONGJU).await; // plans 3 days a week: 12 in 4 weeks
    let (staff, _) = app.logged_in("staff", "510681").await;
    let day = |n: i64| (aixin::domain::today() - time::Duration::days(n)).to_string();
    let log = |body: Value| {
        let staff = &staff;
        async move {
            let (status, a) = staff
                .post_json(&format!("/api/v1/stations/{station}/activities"), &body)
                .await;
            assert_eq!(status, StatusCode::CREATED, "{a}");
            a
        }
    };
    // Sessions for children on twelve days of the last four weeks, one day twice; trainings of
    // volunteers on two more days, and a session before the four weeks: twelve open days.
    let mut sessions = Vec::new();
    for n in 0..12 {
        sessions.push(log(serde_json::json!({"kind": "tutoring", "held_on": day(n * 2)})).await);
    }
    log(serde_json::json!({"kind": "arts", "held_on": day(0)})).await;
    for n in [1, 3] {
        let training = serde_json::json!({"kind": "training", "topic": "other", "held_on": day(n)});
        log(training).await;
    }
    log(serde_json::json!({"kind": "tutoring", "held_on": day(28)})).await;

    let opened = |html: &str, days: &str| html.contains(&format!("<strong>{days}</strong> / 12"));
    let page = staff.get(&format!("/stations/{station}")).await;
    let html = page.text().await.unwrap();
    assert!(opened(&html, "12"), "{html}");
    assert!(!html.contains("未达计划"));
    let (status, stats) = staff
        .get_json(&format!("/api/v1/stats?station={station}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stats["stations_assessed"], 1);
    assert_eq!(stats["stations_open_as_planned"], 1, "{stats}");

    // A session corrected into a training takes its day off both counts.
    let last = &sessions[11];
    let (status, corrected) = staff
        .patch_json(
            &format!("/api/v1/activities/{}", last["id"].as_str().unwrap()),
            &serde_json::json!({"kind": "training", "topic": "other", "version": last["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{corrected}");
    let html = staff
        .get(&format!("/stations/{station}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(opened(&html, "11"), "{html}");
    assert!(html.contains("未达计划"));
    let (_, stats) = staff
        .get_json(&format!("/api/v1/stats?station={station}"))
        .await;
    assert_eq!(stats["stations_open_as_planned"], 0, "{stats}");
    let page = staff
        .get(&format!("/dashboard?station={station}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("龙居社区爱心妈妈驿站"));
}
