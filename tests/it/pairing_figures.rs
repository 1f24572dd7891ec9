//! The figures that say whether pairing works, in `GET /api/v1/stats` and on the dashboard: each
//! equal, when read, to its definition counted straight from the records — for the province, a
//! county and one station.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::fixtures::{self, LONGJU, YUNDING};
use crate::harness::{Browser, TestApp};

/// A pairing at `station` started `started_days_ago` days ago; closed `ended_days_ago` days ago
/// for `reason` when given.
async fn pairing(
    p: &PgPool,
    station: Uuid,
    started_days_ago: i32,
    ended: Option<(i32, &str)>,
) -> Uuid {
    let volunteer = fixtures::volunteer(p, station, "active", 3).await;
    // Her guardian's consent reaches back before the pairings begun long ago.
    let (child, guardian) = fixtures::child(p, station).await;
    sqlx::query(
        "INSERT INTO consent (child_id, guardian_id, scope, given_on, method)
         VALUES ($1, $2, 'pairing', DATE '2020-01-01', 'signed_form')",
    )
    .bind(child)
    .bind(guardian)
    .execute(p)
    .await
    .unwrap();
    sqlx::query_scalar(
        "INSERT INTO pairing (child_id, volunteer_id, station_id, started_on, status, ended_on,
                              closure_reason)
         VALUES ($1, $2, $3, (now() AT TIME ZONE 'Asia/Shanghai')::date - $4,
                 CASE WHEN $5::int IS NULL THEN 'active' ELSE 'closed' END::pairing_status,
                 (now() AT TIME ZONE 'Asia/Shanghai')::date - $5,
                 $6::pairing_closure_reason)
         RETURNING id",
    )
    .bind(child)
    .bind(volunteer)
    .bind(station)
    .bind(started_days_ago)
    .bind(ended.map(|(days, _)| days))
    .bind(ended.map(|(_, reason)| reason))
    .fetch_one(p)
    .await
    .unwrap()
}

async fn call(p: &PgPool, pairing: Uuid, days_ago: i32) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO contact (pairing_id, contacted_on, mode)
         VALUES ($1, (now() AT TIME ZONE 'Asia/Shanghai')::date - $2, 'call') RETURNING id",
    )
    .bind(pairing)
    .bind(days_ago)
    .fetch_one(p)
    .await
    .unwrap()
}

/// Running, meeting, check-ins due and overdue, follow-ups open and overdue, the mean score,
/// ended, ended early, the median length.
type Counted = (
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<f64>,
    i64,
    i64,
    Option<i32>,
);

/// The figures counted straight from the records, for the stations `region LIKE` (or one).
async fn counted(p: &PgPool, region: Option<&str>, station: Option<Uuid>) -> Value {
    let row: Counted = sqlx::query_as(
        "WITH s AS (SELECT id FROM station WHERE ($1::text IS NULL OR region_code LIKE $1 || '%')
                                            AND ($2::uuid IS NULL OR id = $2)),
              today AS (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date AS d),
              running AS (SELECT p.* FROM pairing p JOIN s ON s.id = p.station_id WHERE p.status = 'active'),
              ended AS (SELECT p.*, p.ended_on - p.started_on AS days FROM pairing p JOIN s ON s.id = p.station_id
                        WHERE p.status = 'closed'
                          AND p.ended_on >= date_trunc('year', (SELECT d FROM today))::date)
         SELECT (SELECT count(*) FROM running),
                (SELECT count(*) FROM running WHERE NOT coalesce(due_on < (SELECT d FROM today), false)),
                (SELECT count(*) FROM running WHERE check_in_due_on BETWEEN (SELECT d FROM today) AND (SELECT d FROM today) + 7),
                (SELECT count(*) FROM running WHERE check_in_due_on < (SELECT d FROM today)),
                (SELECT count(*) FROM follow_up f JOIN pairing p ON p.id = f.pairing_id JOIN s ON s.id = p.station_id
                 WHERE f.done_at IS NULL),
                (SELECT count(*) FROM follow_up f JOIN pairing p ON p.id = f.pairing_id JOIN s ON s.id = p.station_id
                 WHERE f.done_at IS NULL AND f.due_on < (SELECT d FROM today)),
                (SELECT round(avg(relationship_score), 1)::float8 FROM running),
                (SELECT count(*) FROM ended),
                (SELECT count(*) FROM ended WHERE days < 180),
                (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY days) FROM ended)",
    )
    .bind(region)
    .bind(station)
    .fetch_one(p)
    .await
    .unwrap();
    json!({
        "pairings_active": row.0, "pairings_meeting_standard": row.1, "check_ins_due": row.2,
        "check_ins_overdue": row.3, "follow_ups_open": row.4, "follow_ups_overdue": row.5,
        "relationship_score_avg": row.6, "pairings_ended": row.7, "early_closures": row.8,
        "median_pairing_days": row.9,
    })
}

async fn check(who: &Browser, query: &str, expected: &Value) -> Value {
    let (status, stats) = who.get_json(&format!("/api/v1/stats?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    for (name, want) in expected.as_object().unwrap() {
        assert_eq!(&stats[name], want, "{name} of {query}: {stats}");
    }
    stats
}

#[tokio::test]
async fn every_pairing_support_figure_is_its_count_over_the_records() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let longju = fixtures::station(p, LONGJU).await;
    let yunding = fixtures::station(p, YUNDING).await;
    let (county, staff) = app.logged_in("staff", "510681").await;
    let (province, _) = app.logged_in("admin", "51").await;
    // 广汉市 asks a check-in a month in the first quarter and one a quarter after.
    let (status, _) = county
        .put_json(
            "/api/v1/regions/510681/contact-standard",
            &json!({"contacts_per_month": 1, "home_visits_per_quarter": 0,
                    "check_ins_per_month_first_quarter": 1, "check_ins_per_quarter": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Running: one in touch, one quiet for 40 days, one new, one far away quiet too.
    let fine = pairing(p, longju, 200, None).await;
    let contact = call(p, fine, 2).await;
    let quiet = pairing(p, longju, 200, None).await;
    call(p, quiet, 40).await;
    let young = pairing(p, longju, 20, None).await;
    call(p, young, 5).await;
    let far = pairing(p, yunding, 300, None).await;
    call(p, far, 45).await;
    // A check-in today with the volunteer of the one in touch: her next is a quarter away.
    let (status, _) = county
        .post_json(
            &format!("/api/v1/pairings/{fine}/check-ins"),
            &json!({"with": "volunteer", "mode": "call", "rating": 4}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // Relationship surveys: 4.2 and 2.0 (a drop), so 3.1 on average in the county.
    for (id, a) in [(fine, [5, 4, 4, 4, 4]), (quiet, [2, 2, 2, 2, 2])] {
        let (status, body) = county
            .post_json(
                &format!("/api/v1/pairings/{id}/surveys"),
                &json!({"respondent": "guardian", "answers": {"trust": a[0], "enjoy": a[1],
                        "talks": a[2], "support": a[3], "change": a[4]}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // Two follow-ups, one of them since overdue (its due day passed: moved back by hand, as
    // the calendar would).
    for _ in 0..2 {
        let (status, body) = county
            .post_json(
                "/api/v1/follow-ups",
                &json!({"contact_id": contact, "assignee_id": staff.id, "action": "请社工再去看看",
                        "due_on": crate::harness::today()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let mut tx = p.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE follow_up SET due_on = due_on - 3
         WHERE id = (SELECT id FROM follow_up ORDER BY created_at LIMIT 1)",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Ended this year: after 60 days (family moved, early), 100 (volunteer withdrew, early),
    // 400 days; one ended last year is outside the period. (Days ago kept within this year.)
    let day_of_year: i32 =
        sqlx::query_scalar("SELECT extract(doy FROM (now() AT TIME ZONE 'Asia/Shanghai'))::int")
            .fetch_one(p)
            .await
            .unwrap();
    let within = (day_of_year - 1).min(5);
    pairing(p, longju, 60 + within, Some((within, "family_moved"))).await;
    pairing(
        p,
        longju,
        100 + within,
        Some((within, "volunteer_withdrew")),
    )
    .await;
    pairing(p, yunding, 400 + within, Some((within, "parents_returned"))).await;
    pairing(
        p,
        longju,
        500 + day_of_year,
        Some((day_of_year + 10, "other")),
    )
    .await;

    let county_figures = counted(p, Some("510681"), None).await;
    assert_eq!(
        county_figures["pairings_meeting_standard"], 2,
        "{county_figures}"
    );
    assert_eq!(county_figures["follow_ups_overdue"], 1);
    assert_eq!(county_figures["relationship_score_avg"], 3.1);
    let stats = check(&county, "region=510681", &county_figures).await;
    assert_eq!(stats["early_closures_by_reason"]["family_moved"], 1);
    assert_eq!(stats["early_closures_by_reason"]["volunteer_withdrew"], 1);
    assert_eq!(stats["pairing_days_distribution"]["under_90"], 1);
    assert_eq!(stats["pairing_days_distribution"]["90_to_179"], 1);
    let province_figures = counted(p, Some("51"), None).await;
    assert_eq!(province_figures["pairings_ended"], 3, "{province_figures}");
    let stats = check(&province, "region=51", &province_figures).await;
    assert_eq!(stats["pairing_days_distribution"]["365_to_729"], 1);
    // The cities' rows add up to the province.
    let meeting: i64 = stats["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["pairings_meeting_standard"].as_i64().unwrap())
        .sum();
    assert_eq!(
        json!(meeting),
        province_figures["pairings_meeting_standard"]
    );
    let station_figures = counted(p, None, Some(longju)).await;
    check(&county, &format!("station={longju}"), &station_figures).await;

    // The dashboard shows them.
    let page = county.get("/dashboard").await.text().await.unwrap();
    assert!(page.contains("结对关爱质量") && page.contains("180 天内提前结束"));
    assert!(page.contains("家庭迁居"));
}

/// The stations whose kept support figures differ from their pairings: how many run and their
/// scores always, the counts by due day on the day they hold for (none when they are kept right).
async fn astray(p: &PgPool) -> Vec<(Uuid, String)> {
    sqlx::query_as(
        "SELECT t.station_id, format('kept %s, counted %s',
                    (t.active, t.overdue, t.check_ins_due, t.check_ins_overdue, t.scored, t.score_sum),
                    (c.active, c.overdue, c.due, c.check_ins_overdue, c.scored, c.score_sum))
         FROM pairing_tally t CROSS JOIN LATERAL (
             SELECT count(*) AS active,
                    count(*) FILTER (WHERE p.due_on < t.due_as_of) AS overdue,
                    count(*) FILTER (WHERE p.check_in_due_on BETWEEN t.due_as_of AND t.due_as_of + 7) AS due,
                    count(*) FILTER (WHERE p.check_in_due_on < t.due_as_of) AS check_ins_overdue,
                    count(p.relationship_score) AS scored,
                    coalesce(sum(p.relationship_score), 0) AS score_sum
             FROM pairing p WHERE p.station_id = t.station_id AND p.status = 'active') c
         WHERE (t.active, t.scored, t.score_sum) IS DISTINCT FROM (c.active, c.scored, c.score_sum)
            OR t.due_as_of IS NOT NULL
               AND (t.overdue, t.check_ins_due, t.check_ins_overdue)
                   IS DISTINCT FROM (c.overdue, c.due, c.check_ins_overdue)",
    )
    .fetch_all(p)
    .await
    .unwrap()
}

/// Counts the kept figures of every station again as of `days` from today.
async fn recount(p: &PgPool, days: i32) {
    sqlx::query(
        "SELECT pairing_support_refresh(NULL, NULL,
                                        (now() AT TIME ZONE 'Asia/Shanghai')::date + $1)",
    )
    .bind(days)
    .execute(p)
    .await
    .unwrap();
}

#[tokio::test]
async fn the_kept_figures_follow_every_write_and_each_new_day_counts_them_again() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let soon: i64 = sqlx::query_scalar("SELECT due_soon_days()::bigint")
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(soon, aixin::domain::pairing::DUE_SOON_DAYS);
    let longju = fixtures::station(p, LONGJU).await;
    let yunding = fixtures::station(p, YUNDING).await;
    let (county, _) = app.logged_in("staff", "510681").await;
    let quiet = pairing(p, longju, 200, None).await;
    call(p, quiet, 40).await;
    let fine = pairing(p, longju, 100, None).await;
    call(p, fine, 3).await;
    let far = pairing(p, yunding, 50, None).await;

    // The first read of the day counts the stations it reads, and no others; the figures are
    // the records'.
    let expected = counted(p, Some("510681"), None).await;
    check(&county, "region=510681", &expected).await;
    let as_of = |station: Uuid| {
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT due_as_of::text FROM pairing_tally WHERE station_id = $1",
        )
        .bind(station)
        .fetch_one(p)
    };
    assert_eq!(as_of(longju).await.unwrap(), Some(crate::harness::today()));
    assert_eq!(as_of(yunding).await.unwrap(), None);

    // Writes of every kind after that: a contact brings the quiet one back, a check-in is
    // held, a survey scored, a pairing closed, one begun, one moved to another station, and a
    // new standard re-judges every pairing of the county in one statement.
    call(p, quiet, 0).await;
    let (status, _) = county
        .post_json(
            &format!("/api/v1/pairings/{fine}/check-ins"),
            &json!({"with": "guardian", "mode": "home_visit", "rating": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = county
        .post_json(
            &format!("/api/v1/pairings/{fine}/surveys"),
            &json!({"respondent": "guardian", "answers": {"trust": 4, "enjoy": 4, "talks": 3,
                    "support": 4, "change": 5}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    sqlx::query(
        "UPDATE pairing SET status = 'closed', ended_on = started_on + 10,
                            closure_reason = 'family_moved'
         WHERE id = $1",
    )
    .bind(far)
    .execute(p)
    .await
    .unwrap();
    let young = pairing(p, yunding, 95, None).await;
    sqlx::query("UPDATE pairing SET station_id = $2 WHERE id = $1")
        .bind(young)
        .bind(longju)
        .execute(p)
        .await
        .unwrap();
    let (status, _) = county
        .put_json(
            "/api/v1/regions/510681/contact-standard",
            &json!({"contacts_per_month": 2, "home_visits_per_quarter": 1,
                    "check_ins_per_month_first_quarter": 1, "check_ins_per_quarter": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(astray(p).await, vec![]);
    let expected = counted(p, Some("510681"), None).await;
    check(&county, "region=510681", &expected).await;

    // A safeguarding closure suspends the pairing (it no longer runs), a second person cancels
    // it (it runs again), and then confirms another (it has ended).
    let (other, _) = app.logged_in("staff", "510681").await;
    for (who, path, body, status) in [
        (
            &county,
            "close",
            json!({"closure_reason": "safeguarding_concern",
                                  "closure_note": "需要核实", "closure_decided_by": "staff"}),
            "suspended",
        ),
        (&other, "close/cancel", json!({}), "active"),
        (
            &county,
            "close",
            json!({"closure_reason": "safeguarding_concern",
                                  "closure_note": "再次核实", "closure_decided_by": "staff"}),
            "suspended",
        ),
        (&other, "close/confirm", json!({}), "closed"),
    ] {
        let (_, pairing) = county.get_json(&format!("/api/v1/pairings/{fine}")).await;
        let mut body = body;
        if path == "close" {
            body["version"] = pairing["version"].clone();
        }
        let (code, answer) = who
            .post_json(&format!("/api/v1/pairings/{fine}/{path}"), &body)
            .await;
        assert_eq!(code, StatusCode::OK, "{path}: {answer}");
        assert_eq!(answer["status"], status);
        assert_eq!(astray(p).await, vec![], "after {path}");
    }

    // Another day: the figures are counted again as of it, and writes adjust them as of it: a
    // contact, a running pairing with a score begun and then deleted, a closed one deleted.
    recount(p, 40).await;
    assert_eq!(astray(p).await, vec![]);
    call(p, quiet, 0).await;
    let scored = pairing(p, longju, 120, None).await;
    sqlx::query("UPDATE pairing SET relationship_score = 3.5 WHERE id = $1")
        .bind(scored)
        .execute(p)
        .await
        .unwrap();
    assert_eq!(astray(p).await, vec![]);
    for id in [scored, far] {
        sqlx::query("DELETE FROM pairing WHERE id = $1")
            .bind(id)
            .execute(p)
            .await
            .unwrap();
    }
    assert_eq!(astray(p).await, vec![]);
    // Today's read counts today's again.
    let expected = counted(p, Some("510681"), None).await;
    check(&county, "region=510681", &expected).await;
}

#[tokio::test]
async fn concurrent_writes_and_recounts_never_lose_a_change() {
    let app = TestApp::spawn().await;
    let p = app.pool().clone();
    let longju = fixtures::station(&p, LONGJU).await;
    let mut pairings = Vec::new();
    for age in [200, 150, 100, 60] {
        let id = pairing(&p, longju, age, None).await;
        call(&p, id, age / 2).await;
        pairings.push(id);
    }
    recount(&p, 0).await;
    // Four writers log contacts while recounts swing the figures between two days.
    let mut tasks = Vec::new();
    for (i, id) in pairings.iter().copied().enumerate() {
        let p = p.clone();
        tasks.push(tokio::spawn(async move {
            for d in 0..12 {
                call(&p, id, (40 - d * 3 - i as i32).max(0)).await;
            }
        }));
    }
    for round in 0..12 {
        let p = p.clone();
        tasks.push(tokio::spawn(async move {
            recount(&p, if round % 2 == 0 { 35 } else { 0 }).await
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(astray(&p).await, vec![]);
}

#[tokio::test]
async fn a_read_never_waits_for_a_writer_and_counts_what_it_holds_from_the_records() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let longju = fixtures::station(p, LONGJU).await;
    let (county, _) = app.logged_in("staff", "510681").await;
    let quiet = pairing(p, longju, 200, None).await;
    call(p, quiet, 40).await;
    let fine = pairing(p, longju, 100, None).await;
    call(p, fine, 3).await;
    // The station's figures hold for another day, and a writer holds its row: a contact not yet
    // committed.
    recount(p, 40).await;
    let mut writer = p.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO contact (pairing_id, contacted_on, mode)
         VALUES ($1, (now() AT TIME ZONE 'Asia/Shanghai')::date, 'call')",
    )
    .bind(quiet)
    .execute(&mut *writer)
    .await
    .unwrap();
    // The read neither waits nor counts the uncommitted contact: the quiet pairing is overdue.
    let expected = counted(p, Some("510681"), None).await;
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        check(&county, "region=510681", &expected),
    )
    .await
    .expect("the read waited for the writer");
    assert_eq!(read["pairings_meeting_standard"], 1, "{read}");
    writer.commit().await.unwrap();
    assert_eq!(astray(p).await, vec![]);
    // Now both meet the standard, and the station is counted for today.
    let expected = counted(p, Some("510681"), None).await;
    let read = check(&county, "region=510681", &expected).await;
    assert_eq!(read["pairings_meeting_standard"], 2, "{read}");
    let as_of: Option<String> =
        sqlx::query_scalar("SELECT due_as_of::text FROM pairing_tally WHERE station_id = $1")
            .bind(longju)
            .fetch_one(p)
            .await
            .unwrap();
    assert_eq!(as_of, Some(crate::harness::today()));
}
