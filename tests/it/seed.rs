//! `seed-demo`: the bulk load keeps every rule the triggers and constraints keep row by row,
//! and refuses a database that already has records.

use aixin::seed::{self, Scale};
use reqwest::StatusCode;

use crate::harness::TestApp;

/// Rows that break a rule of the model (each query counts offenders; all must be zero).
pub const RULES: &[(&str, &str)] = &[
    (
        "a follow-up hangs from an entry of its pairing, assigned to staff who reach the pairing's station",
        "SELECT count(*) FROM follow_up f
         JOIN pairing p ON p.id = f.pairing_id JOIN station s ON s.id = p.station_id
         JOIN app_user u ON u.id = f.assignee_id
         WHERE NOT (u.role = 'staff' AND u.active AND s.region_code LIKE u.region_code || '%')
            OR f.pairing_id IS DISTINCT FROM coalesce(
                   (SELECT k.pairing_id FROM contact k WHERE k.id = f.contact_id),
                   (SELECT c.pairing_id FROM check_in c WHERE c.id = f.check_in_id))",
    ),
    (
        "a child's status follows its pairings",
        "SELECT count(*) FROM child c WHERE c.status <> 'exited'
           AND (c.status = 'paired') <> EXISTS (SELECT 1 FROM pairing p WHERE p.child_id = c.id AND p.status = 'active')",
    ),
    (
        "exited children have no active pairing",
        "SELECT count(*) FROM child c JOIN pairing p ON p.child_id = c.id AND p.status = 'active' WHERE c.status = 'exited'",
    ),
    (
        "active pairings are with active volunteers within capacity",
        "SELECT count(*) FROM (SELECT v.id FROM pairing p JOIN volunteer v ON v.id = p.volunteer_id
           WHERE p.status = 'active' GROUP BY v.id, v.status, v.capacity
           HAVING v.status <> 'active' OR count(*) > v.capacity) x",
    ),
    (
        "pairings are at the child's station, under a pairing consent",
        "SELECT count(*) FROM pairing p JOIN child c ON c.id = p.child_id WHERE p.station_id <> c.station_id
           OR NOT EXISTS (SELECT 1 FROM consent k WHERE k.child_id = c.id AND k.scope = 'pairing' AND k.given_on <= p.started_on)",
    ),
    (
        "attendance counts follow the attendance rows",
        "SELECT count(*) FROM activity a CROSS JOIN LATERAL (SELECT count(child_id) AS c, count(volunteer_id) AS v
           FROM attendance t WHERE t.activity_id = a.id) k WHERE (a.child_count, a.volunteer_count) <> (k.c, k.v)",
    ),
    (
        "children attend their own station's sessions",
        "SELECT count(*) FROM attendance t JOIN activity a ON a.id = t.activity_id JOIN child c ON c.id = t.child_id
           WHERE c.station_id <> a.station_id",
    ),
    (
        "pairings carry their contacts that reached the child, the last of them and the attempts since",
        "SELECT count(*) FROM pairing p CROSS JOIN LATERAL (
           SELECT count(*) FILTER (WHERE outcome = 'reached')::int AS n,
                  max(contacted_on) FILTER (WHERE outcome = 'reached') AS last FROM contact k
           WHERE k.pairing_id = p.id) k
           CROSS JOIN LATERAL (SELECT count(*)::int AS streak FROM contact a
             WHERE a.pairing_id = p.id AND a.outcome = 'not_reached'
               AND a.contacted_on > coalesce(k.last, '-infinity'::date)) a
           WHERE (p.contact_count, p.last_contact_on, p.unreached_streak)
                 IS DISTINCT FROM (k.n, k.last, a.streak)",
    ),
    (
        "per station and day, contacts, new pairings, activities, person-visits and fulfilled wishes are a recount",
        "SELECT count(*) FROM (SELECT station_id, day, sum(c)::int AS c, sum(s)::int AS s, sum(a)::int AS a,
           sum(v)::int AS v, sum(w)::int AS w FROM (
             SELECT p.station_id, k.contacted_on AS day, 1 AS c, 0 AS s, 0 AS a, 0 AS v, 0 AS w
             FROM contact k JOIN pairing p ON p.id = k.pairing_id WHERE k.outcome = 'reached'
             UNION ALL SELECT station_id, started_on, 0, 1, 0, 0, 0 FROM pairing
             UNION ALL SELECT station_id, held_on, 0, 0, 1, person_visits, 0 FROM activity
             UNION ALL SELECT c.station_id, w.fulfilled_on, 0, 0, 0, 0, 1 FROM wish w
               JOIN child c ON c.id = w.child_id WHERE w.status = 'fulfilled') y GROUP BY 1, 2) x
           FULL JOIN (SELECT * FROM station_day
                      WHERE contacts + pairings_started + activities + person_visits + wishes_fulfilled > 0) d
             ON d.station_id = x.station_id AND d.day = x.day
           WHERE (x.c, x.s, x.a, x.v, x.w) IS DISTINCT FROM
                 (d.contacts, d.pairings_started, d.activities, d.person_visits, d.wishes_fulfilled)",
    ),
    (
        "the months add up their days",
        "SELECT count(*) FROM (SELECT station_id, date_trunc('month', day)::date AS month, sum(contacts)::int AS c,
           sum(pairings_started)::int AS s, sum(activities)::int AS a, sum(person_visits)::int AS v,
           sum(wishes_fulfilled)::int AS w FROM station_day GROUP BY 1, 2) x
           FULL JOIN station_month m ON m.station_id = x.station_id AND m.month = x.month
           WHERE (x.c, x.s, x.a, x.v, x.w) IS DISTINCT FROM
                 (m.contacts, m.pairings_started, m.activities, m.person_visits, m.wishes_fulfilled)",
    ),
    (
        "the open concerns are the contacts with an unresolved concern, at their pairing's station",
        "SELECT count(*) FROM (SELECT k.id, p.station_id, k.created_at FROM contact k
           JOIN pairing p ON p.id = k.pairing_id
           WHERE k.concern_category IS NOT NULL AND k.concern_resolved_at IS NULL) x
           FULL JOIN open_concern o ON o.contact_id = x.id
           WHERE (x.station_id, x.created_at) IS DISTINCT FROM (o.station_id, o.raised_at)",
    ),
    (
        "every child's wait starts when her last pairing ended, or when she was registered",
        "SELECT count(*) FROM child c WHERE c.waiting_since IS DISTINCT FROM
           coalesce((SELECT max(p.ended_on) FROM pairing p WHERE p.child_id = c.id),
                    (c.created_at AT TIME ZONE 'Asia/Shanghai')::date)",
    ),
    (
        "the volunteer tally is a recount",
        "SELECT count(*) FROM (SELECT region_code, station_id, status, trained_on IS NOT NULL AS trained,
           count(*)::int AS n FROM volunteer GROUP BY 1, 2, 3, 4) x
           FULL JOIN (SELECT * FROM volunteer_tally WHERE n > 0) t ON t.region_code = x.region_code
             AND t.station_id IS NOT DISTINCT FROM x.station_id AND t.status = x.status AND t.trained = x.trained
           WHERE x.n IS DISTINCT FROM t.n",
    ),
    (
        "the child tally is a recount",
        "SELECT count(*) FROM (SELECT region_code, station_id, category, status, count(*)::int AS n
           FROM child GROUP BY 1, 2, 3, 4) x
           FULL JOIN (SELECT * FROM child_tally WHERE n > 0) t ON t.region_code = x.region_code
             AND t.station_id = x.station_id AND t.category = x.category AND t.status = x.status
           WHERE x.n IS DISTINCT FROM t.n",
    ),
    (
        "the active pairings tally is a recount",
        "SELECT count(*) FROM (SELECT station_id, count(*)::int AS n FROM pairing WHERE status = 'active'
           GROUP BY 1) x FULL JOIN (SELECT * FROM pairing_tally WHERE active > 0) t ON t.station_id = x.station_id
           WHERE x.n IS DISTINCT FROM t.active",
    ),
    (
        "nothing is dated in the future",
        "SELECT (SELECT count(*) FROM contact WHERE contacted_on > (now() AT TIME ZONE 'Asia/Shanghai')::date)
              + (SELECT count(*) FROM pairing WHERE started_on > (now() AT TIME ZONE 'Asia/Shanghai')::date)",
    ),
    (
        "a pairing's last check-in is its latest check-in",
        "SELECT count(*) FROM pairing p
         WHERE p.last_check_in_on IS DISTINCT FROM (SELECT max(held_on) FROM check_in c WHERE c.pairing_id = p.id)",
    ),
    (
        "a pairing's last home visit is its latest home visit that reached the child",
        "SELECT count(*) FROM pairing p
         WHERE p.last_home_visit_on IS DISTINCT FROM (SELECT max(contacted_on) FROM contact c
               WHERE c.pairing_id = p.id AND c.outcome = 'reached' AND c.mode = 'home_visit')",
    ),
    (
        "a running pairing's due days follow its standard",
        "SELECT count(*) FROM pairing p JOIN station s ON s.id = p.station_id,
                LATERAL standard_gaps(s.region_code) g,
                LATERAL pairing_due_days(p.started_on, p.last_contact_on, p.last_home_visit_on,
                    p.last_check_in_on, g.contact_gap, g.home_visit_gap,
                    g.first_quarter_check_in_gap, g.check_in_gap) d
         WHERE p.status = 'active'
           AND (p.contact_due_on, p.home_visit_due_on, p.check_in_due_on)
               IS DISTINCT FROM (d.contact_due_on, d.home_visit_due_on, d.check_in_due_on)",
    ),
    (
        "a pairing's relationship score is its latest survey's",
        "SELECT count(*) FROM pairing p
         WHERE p.relationship_score IS DISTINCT FROM (SELECT s.score FROM survey s WHERE s.pairing_id = p.id
               ORDER BY s.answered_on DESC, s.created_at DESC LIMIT 1)",
    ),
];

#[tokio::test]
async fn the_small_scale_keeps_every_rule_and_the_dashboard_counts_it() {
    let app = TestApp::spawn().await;
    let loaded = seed::run(app.pool(), Scale::Small).await.unwrap();
    let counts: std::collections::HashMap<_, _> = loaded.counts.iter().copied().collect();
    assert_eq!(counts["stations"], 6);
    assert_eq!(counts["volunteers"], 600);
    assert_eq!(counts["children"], 600);
    assert!(counts["active pairings"] > 450, "{counts:?}");
    assert!(loaded.person_visits > 8_000);
    let (standards, check_ins, surveys): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM contact_standard), (SELECT count(*) FROM check_in),
                (SELECT count(*) FROM survey)",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert!(
        standards >= 1 && check_ins > 100 && surveys > 100,
        "{standards} {check_ins} {surveys}"
    );
    // Follow-ups, some done and some open; the accounts they are assigned to cannot sign in.
    assert!(
        counts["follow-ups"] > counts["open follow-ups"] && counts["open follow-ups"] > 0,
        "{counts:?}"
    );
    let (status, _) = app
        .browser()
        .post_json(
            "/api/v1/session",
            &serde_json::json!({"username": "demo-staff-510681", "password": "!"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);

    for (rule, sql) in RULES {
        let broken: i64 = sqlx::query_scalar(sql).fetch_one(app.pool()).await.unwrap();
        assert_eq!(broken, 0, "{rule}");
    }
    // The triggers are back on after the load.
    let off: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'D'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(off, 0);

    let (admin, _) = app.logged_in("admin", "510681").await;
    // All of the seeded history (a period may span five years at most).
    let today = crate::harness::today();
    let (status, stats) = admin
        .get_json(&format!(
            "/api/v1/stats?from={}&to={today}",
            four_years_before(&today)
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stats["stations"], 6);
    assert_eq!(stats["volunteers"], 600);
    assert_eq!(stats["pairings_active"], counts["active pairings"]);
    assert_eq!(stats["activities"], counts["activities"]);
    assert_eq!(stats["person_visits"], loaded.person_visits);
    assert_eq!(stats["contacts"], counts["contacts"]);

    let again = seed::run(app.pool(), Scale::Small).await.unwrap_err();
    assert!(
        again.to_string().contains("already holds 6 stations"),
        "{again}"
    );
}

/// The first of January four years before `today` (`YYYY-MM-DD`).
fn four_years_before(today: &str) -> String {
    let year: i32 = today[..4].parse().unwrap();
    format!("{}-01-01", year - 4)
}

/// A bulk load is not a request: the requests' statement timeout (here 1 ms, so that every
/// step of the load would pass it) does not cut it short.
#[tokio::test]
async fn the_bulk_load_is_not_held_to_the_requests_statement_timeout() {
    let app = TestApp::spawn().await;
    let options = (*app.pool().connect_options())
        .clone()
        .options([("statement_timeout", "1")]);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .unwrap();
    let loaded = seed::run(&pool, Scale::Small).await.unwrap();
    let count = |table: &str| loaded.counts.iter().find(|(t, _)| *t == table).unwrap().1;
    assert_eq!(count("stations"), 6);
    assert!(count("contacts") > 0 && loaded.person_visits > 0);
}
