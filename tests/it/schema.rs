//! The model's rules hold in the database itself: every test here tries to break one with
//! plain SQL, the way a buggy handler or a hand-made fix in psql would, and expects the
//! constraint that refuses it. The schema's own bookkeeping is checked here too: schema.sql is
//! what the migrations build, and committed migrations are never edited or removed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use aixin::db;
use sqlx::PgPool;
use uuid::Uuid;

use crate::fixtures::{self, HANZHOU, LONGJU, YUNDING, violated};
use crate::harness::TestDb;

#[tokio::test]
async fn migrations_apply_to_an_empty_database_and_a_second_start_applies_nothing() {
    let empty = TestDb::empty().await;

    let first = db::prepare(&empty.pool).await.unwrap();
    assert_eq!(first.migrations_applied, db::MIGRATOR.iter().count());
    assert_eq!(first.regions_loaded, 3_351 + 37_523);

    let second = db::prepare(&empty.pool).await.unwrap();
    assert_eq!(second.migrations_applied, 0);
    assert_eq!(second.regions_loaded, 0);

    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )
    .fetch_all(&empty.pool)
    .await
    .unwrap();
    for table in [
        "activity",
        "app_user",
        "attendance",
        "audit_event",
        "child",
        "consent",
        "contact",
        "guardian",
        "pairing",
        "region",
        "station",
        "user_station",
        "volunteer",
        "wish",
    ] {
        assert!(
            tables.iter().any(|t| t == table),
            "table {table} missing from {tables:?}"
        );
    }
}

/// The committed schema.sql is what the migrations build: a fresh database, migrated, dumped
/// the way scripts/schema-dump dumps it.
#[tokio::test]
async fn schema_sql_is_what_the_migrations_build() {
    let committed = std::fs::read_to_string(repo_path("schema.sql"))
        .expect("reading schema.sql (write it with scripts/schema-dump)");
    let (header, committed_dump) = split_schema_header(&committed);
    let pg_dump = db::embedded::find_bin_dir().unwrap().join("pg_dump");
    let version = run(Command::new(&pg_dump).arg("--version"));
    let major = version
        .split_whitespace()
        .find_map(|word| word.split('.').next()?.parse::<u32>().ok())
        .expect("pg_dump's version");
    let committed_major = header
        .strip_prefix("-- PostgreSQL ")
        .and_then(|rest| rest.split_whitespace().next()?.parse::<u32>().ok())
        .expect(
            "schema.sql starts with `-- PostgreSQL <major>`: rewrite it with scripts/schema-dump",
        );
    if major != committed_major {
        eprintln!(
            "skipped: schema.sql was dumped by PostgreSQL {committed_major}'s pg_dump, which \
             prints it differently from this machine's ({major})"
        );
        return;
    }

    let fresh = TestDb::empty().await;
    db::MIGRATOR.run(&fresh.pool).await.unwrap();
    let options = fresh.pool.connect_options();
    let host = match options.get_socket() {
        Some(dir) => dir.display().to_string(),
        None => options.get_host().to_owned(),
    };
    let mut dump = Command::new(&pg_dump);
    dump.args([
        "--schema-only",
        "--no-owner",
        "--no-privileges",
        "--exclude-table=public._sqlx_migrations",
    ]);
    if run(Command::new(&pg_dump).arg("--help")).contains("--restrict-key") {
        dump.arg("--restrict-key=aixin");
    }
    dump.arg("-h")
        .arg(host)
        .arg("-p")
        .arg(options.get_port().to_string())
        .arg("-U")
        .arg(options.get_username())
        .arg(options.get_database().unwrap());
    let fresh_dump: String = run(&mut dump)
        .lines()
        .filter(|line| !varies_between_machines(line))
        .map(|line| format!("{line}\n"))
        .collect();

    if committed_dump != fresh_dump {
        let (n, (was, is)) = committed_dump
            .lines()
            .chain(std::iter::repeat("<end of file>"))
            .zip(fresh_dump.lines().chain(std::iter::repeat("<end of file>")))
            .enumerate()
            .find(|(_, (was, is))| was != is)
            .unwrap();
        panic!(
            "schema.sql is not what the migrations build: run scripts/schema-dump and commit \
             schema.sql.\nFirst difference, line {} of the dump:\n  schema.sql: {was}\n  \
             migrations: {is}",
            n + 1
        );
    }
}

/// Lines of a dump that differ between machines for the same schema, left out of schema.sql.
fn varies_between_machines(line: &str) -> bool {
    line.starts_with("\\restrict ")
        || line.starts_with("\\unrestrict ")
        || line.starts_with("-- Dumped from database version ")
        || line.starts_with("-- Dumped by pg_dump version ")
}

/// schema.sql's own header (the lines before pg_dump's first `--`) and the dump after it.
fn split_schema_header(text: &str) -> (&str, &str) {
    let at = text
        .find("\n--\n")
        .map(|i| i + 1)
        .expect("schema.sql holds no dump: rewrite it with scripts/schema-dump");
    text.split_at(at)
}

/// Migrations are append-only: once committed, a migration is never edited or removed (a
/// database that applied it would refuse to start, or differ from a new one without anyone
/// knowing). migrations/CHECKSUMS lists every migration with its SHA-256.
#[test]
fn migrations_are_append_only() {
    use sha2::{Digest, Sha256};

    let dir = repo_path("migrations");
    let list =
        std::fs::read_to_string(dir.join("CHECKSUMS")).expect("reading migrations/CHECKSUMS");
    let mut listed = BTreeMap::new();
    for line in list.lines().filter(|l| !l.trim().is_empty()) {
        let (hash, name) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("migrations/CHECKSUMS: `{line}` is not `<sha256>  <file>`"));
        let name = name.trim_start_matches([' ', '*']);
        let name = name.strip_prefix("migrations/").unwrap_or(name);
        listed.insert(name.to_owned(), hash.to_ascii_lowercase());
    }
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sql") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let hash = hex::encode(Sha256::digest(std::fs::read(&path).unwrap()));
            files.insert(name, hash);
        }
    }

    let mut problems = Vec::new();
    for (name, hash) in &listed {
        match files.get(name) {
            None => problems.push(format!(
                "{name} is listed but gone: a migration is never removed, as databases have \
                 applied it (restore it)"
            )),
            Some(actual) if actual != hash => problems.push(format!(
                "{name} was edited after it was listed: databases that applied it keep the old \
                 text (undo the edit and add a new migration with the change)"
            )),
            Some(_) => {}
        }
    }
    let version = |name: &str| name.split('_').next().and_then(|v| v.parse::<i64>().ok());
    let newest_listed = listed.keys().filter_map(|n| version(n)).max();
    for name in files.keys().filter(|name| !listed.contains_key(*name)) {
        problems.push(format!(
            "{name} is not listed: add it with `sha256sum migrations/{name} >> migrations/CHECKSUMS`"
        ));
        if let (Some(new), Some(newest)) = (version(name), newest_listed)
            && new <= newest
        {
            problems.push(format!(
                "{name} comes before a listed migration ({newest}): give it a later version, or \
                 databases already past it apply it out of order"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "migrations are append-only (migrations/CHECKSUMS):\n  {}",
        problems.join("\n  ")
    );
}

/// A path in the repository.
fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Runs a command to completion and returns its standard output; panics when it fails.
fn run(command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("running {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn a_child_has_at_most_one_active_pairing() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let child = fixtures::pairable_child(p, station).await;
    let first = fixtures::volunteer(p, station, "active", 2).await;
    let second = fixtures::volunteer(p, station, "active", 2).await;
    fixtures::pair(p, child, first, station).await.unwrap();

    let again = fixtures::pair(p, child, second, station).await;

    assert_eq!(violated(again), "pairing_one_active_per_child");
    assert_eq!(active_pairings(p, child).await, 1);
}

#[tokio::test]
async fn a_closed_pairing_frees_the_child_and_status_follows() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let child = fixtures::pairable_child(p, station).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let pairing = fixtures::pair(p, child, volunteer, station).await.unwrap();
    assert_eq!(child_status(p, child).await, "paired");

    // Closing without an end date and a reason is refused.
    let bare = sqlx::query("UPDATE pairing SET status = 'closed' WHERE id = $1")
        .bind(pairing)
        .execute(p)
        .await;
    assert_eq!(violated(bare), "pairing_closure_recorded");

    sqlx::query(
        "UPDATE pairing SET status = 'closed', ended_on = DATE '2026-06-01',
                            closure_reason = 'family_moved' WHERE id = $1",
    )
    .bind(pairing)
    .execute(p)
    .await
    .unwrap();
    assert_eq!(child_status(p, child).await, "registered");
    let other = fixtures::volunteer(p, station, "active", 2).await;
    fixtures::pair(p, child, other, station).await.unwrap();
    assert_eq!(child_status(p, child).await, "paired");
}

#[tokio::test]
async fn a_volunteer_is_never_paired_beyond_capacity() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 1).await;
    let a = fixtures::pairable_child(p, station).await;
    let b = fixtures::pairable_child(p, station).await;
    fixtures::pair(p, a, volunteer, station).await.unwrap();

    let over = fixtures::pair(p, b, volunteer, station).await;

    assert_eq!(violated(over), "pairing_volunteer_capacity");
    assert_eq!(active_pairings(p, b).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn simultaneous_pairings_cannot_both_take_the_last_place() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 1).await;
    let mut children = Vec::new();
    for _ in 0..8 {
        children.push(fixtures::pairable_child(p, station).await);
    }

    let attempts = children.iter().map(|&child| {
        let p = p.clone();
        tokio::spawn(async move { fixtures::pair(&p, child, volunteer, station).await })
    });
    let results = futures_join(attempts).await;

    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "exactly one pairing takes the place: {results:?}");
    let taken: i64 = sqlx::query_scalar("SELECT count(*) FROM pairing WHERE volunteer_id = $1")
        .bind(volunteer)
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(taken, 1);
}

#[tokio::test]
async fn only_an_active_volunteer_is_paired() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let child = fixtures::pairable_child(p, station).await;
    for status in ["applied", "screened", "trained", "paused", "withdrawn"] {
        let volunteer = fixtures::volunteer(p, station, status, 2).await;
        let attempt = fixtures::pair(p, child, volunteer, station).await;
        assert_eq!(
            violated(attempt),
            "pairing_volunteer_active",
            "status {status}"
        );
    }
    assert_eq!(child_status(p, child).await, "registered");
}

#[tokio::test]
async fn pairing_needs_a_current_pairing_consent() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 3).await;
    let (child, guardian) = fixtures::child(p, station).await;

    // Registration consent alone is not consent to pairing.
    fixtures::consent(p, child, guardian, "registration").await;
    assert_eq!(
        violated(fixtures::pair(p, child, volunteer, station).await),
        "pairing_consent_current"
    );

    // A withdrawn pairing consent no longer counts, and the earlier pairing stays on record.
    let consent = fixtures::consent(p, child, guardian, "pairing").await;
    let pairing = fixtures::pair(p, child, volunteer, station).await.unwrap();
    sqlx::query(
        "UPDATE pairing SET status = 'closed', ended_on = DATE '2026-06-01',
                            closure_reason = 'guardian_request' WHERE id = $1",
    )
    .bind(pairing)
    .execute(p)
    .await
    .unwrap();
    sqlx::query("UPDATE consent SET withdrawn_on = DATE '2026-06-01' WHERE id = $1")
        .bind(consent)
        .execute(p)
        .await
        .unwrap();
    assert_eq!(
        violated(fixtures::pair(p, child, volunteer, station).await),
        "pairing_consent_current"
    );
    let history: i64 = sqlx::query_scalar("SELECT count(*) FROM pairing WHERE child_id = $1")
        .bind(child)
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(history, 1);
}

/// The consent a pairing needs is judged on the pairing's start date (`consent_current`): given
/// on or before that day, and not withdrawn. A withdrawal counts whatever day it carries, as in
/// the service's own check: once a guardian has withdrawn, no pairing is made on that consent,
/// not even one dated back to before the withdrawal.
#[tokio::test]
async fn the_pairing_consent_is_judged_on_the_start_date() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 10).await;
    let start = "2026-05-01";

    // (given on, withdrawn on, whether a pairing starting on 2026-05-01 is accepted)
    let cases = [
        ("2026-05-02", None, false), // given the day after the start
        ("2026-05-01", None, true),  // given on the start day
        ("2026-04-01", None, true),  // given before, never withdrawn
        ("2026-04-01", Some("2026-04-30"), false), // withdrawn before the start
        ("2026-04-01", Some("2026-05-01"), false), // withdrawn on the start day
        ("2026-04-01", Some("2026-05-02"), false), // withdrawn after it (a backdated pairing)
    ];
    for (given, withdrawn, accepted) in cases {
        let case = format!("consent given {given}, withdrawn {withdrawn:?}");
        let (child, guardian) = fixtures::child(p, station).await;
        let consent: Uuid = sqlx::query_scalar(
            "INSERT INTO consent (child_id, guardian_id, scope, given_on, method)
             VALUES ($1, $2, 'pairing', $3::date, 'signed_form') RETURNING id",
        )
        .bind(child)
        .bind(guardian)
        .bind(given)
        .fetch_one(p)
        .await
        .unwrap();
        if let Some(withdrawn) = withdrawn {
            sqlx::query("UPDATE consent SET withdrawn_on = $2::date WHERE id = $1")
                .bind(consent)
                .bind(withdrawn)
                .execute(p)
                .await
                .unwrap();
        }

        let current: bool = sqlx::query_scalar("SELECT consent_current($1, 'pairing', $2::date)")
            .bind(child)
            .bind(start)
            .fetch_one(p)
            .await
            .unwrap();
        assert_eq!(current, accepted, "consent_current: {case}");

        let pairing = sqlx::query_scalar::<_, Uuid>(
            "INSERT INTO pairing (child_id, volunteer_id, station_id, started_on)
             VALUES ($1, $2, $3, $4::date) RETURNING id",
        )
        .bind(child)
        .bind(volunteer)
        .bind(station)
        .bind(start)
        .fetch_one(p)
        .await;
        if accepted {
            assert!(pairing.is_ok(), "{case}: refused: {pairing:?}");
        } else {
            assert_eq!(violated(pairing), "pairing_consent_current", "{case}");
        }
    }

    // A pairing's consent is the pairing scope's: registration consent never counts.
    let (child, guardian) = fixtures::child(p, station).await;
    fixtures::consent(p, child, guardian, "registration").await;
    let current: bool = sqlx::query_scalar("SELECT consent_current($1, 'pairing', $2::date)")
        .bind(child)
        .bind(start)
        .fetch_one(p)
        .await
        .unwrap();
    assert!(!current);
}

/// Reopening a closed pairing is judged like a new one: after the guardian withdrew, it stays
/// closed.
#[tokio::test]
async fn a_pairing_is_not_reopened_after_its_consent_was_withdrawn() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let (child, guardian) = fixtures::child(p, station).await;
    let consent = fixtures::consent(p, child, guardian, "pairing").await;
    let pairing = fixtures::pair(p, child, volunteer, station).await.unwrap();
    sqlx::query(
        "UPDATE pairing SET status = 'closed', ended_on = DATE '2026-06-01',
                            closure_reason = 'other' WHERE id = $1",
    )
    .bind(pairing)
    .execute(p)
    .await
    .unwrap();
    sqlx::query("UPDATE consent SET withdrawn_on = DATE '2026-06-02' WHERE id = $1")
        .bind(consent)
        .execute(p)
        .await
        .unwrap();

    let reopen = sqlx::query(
        "UPDATE pairing SET status = 'active', ended_on = NULL, closure_reason = NULL
         WHERE id = $1",
    )
    .bind(pairing)
    .execute(p)
    .await;

    assert_eq!(violated(reopen), "pairing_consent_current");
    assert_eq!(active_pairings(p, child).await, 0);
}

#[tokio::test]
async fn consent_is_never_deleted_and_only_withdrawn_once() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let (child, guardian) = fixtures::child(p, station).await;
    let consent = fixtures::consent(p, child, guardian, "pairing").await;

    let delete = sqlx::query("DELETE FROM consent WHERE id = $1")
        .bind(consent)
        .execute(p)
        .await;
    assert_eq!(violated(delete), "consent_append_only");

    let rewrite = sqlx::query("UPDATE consent SET given_on = DATE '2026-01-01' WHERE id = $1")
        .bind(consent)
        .execute(p)
        .await;
    assert_eq!(violated(rewrite), "consent_only_withdrawn");

    sqlx::query("UPDATE consent SET withdrawn_on = DATE '2026-06-01' WHERE id = $1")
        .bind(consent)
        .execute(p)
        .await
        .unwrap();
    let undo = sqlx::query("UPDATE consent SET withdrawn_on = NULL WHERE id = $1")
        .bind(consent)
        .execute(p)
        .await;
    assert_eq!(violated(undo), "consent_only_withdrawn");
}

#[tokio::test]
async fn consent_comes_from_the_childs_own_guardian() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let (child, _) = fixtures::child(p, station).await;
    let (_, stranger) = fixtures::child(p, station).await;

    let attempt = sqlx::query(
        "INSERT INTO consent (child_id, guardian_id, scope, given_on, method)
         VALUES ($1, $2, 'pairing', DATE '2026-04-01', 'in_person')",
    )
    .bind(child)
    .bind(stranger)
    .execute(p)
    .await;

    assert_eq!(violated(attempt), "consent_guardian_of_child");
}

#[tokio::test]
async fn a_volunteer_is_active_only_when_screened_and_trained() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let applicant = fixtures::volunteer(p, station, "applied", 2).await;

    let unscreened = set_volunteer_status(p, applicant, "active").await;
    assert_eq!(violated(unscreened), "volunteer_screening_recorded");

    sqlx::query(
        "UPDATE volunteer SET status = 'screened', background_check_on = DATE '2026-03-01',
                              interviewed_on = DATE '2026-03-02' WHERE id = $1",
    )
    .bind(applicant)
    .execute(p)
    .await
    .unwrap();
    let untrained = set_volunteer_status(p, applicant, "active").await;
    assert_eq!(violated(untrained), "volunteer_training_recorded");

    let status: String = sqlx::query_scalar("SELECT status::text FROM volunteer WHERE id = $1")
        .bind(applicant)
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(status, "screened");
}

#[tokio::test]
async fn volunteer_phones_and_id_hashes_are_unique_and_well_formed() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let insert = |phone: &'static str, hash: Option<Vec<u8>>| {
        sqlx::query(
            "INSERT INTO volunteer (name, phone, region_code, station_id, id_number, id_number_hash)
             VALUES ('张敏', $1, $2, $3, $4, $4)",
        )
        .bind(phone)
        .bind(LONGJU)
        .bind(station)
        .bind(hash)
        .execute(p)
    };
    insert("13800000001", Some(vec![1; 32])).await.unwrap();

    assert_eq!(
        violated(insert("13800000001", None).await),
        "volunteer_phone_key"
    );
    assert_eq!(
        violated(insert("13800000002", Some(vec![1; 32])).await),
        "volunteer_id_number_hash_key"
    );
    assert_eq!(
        violated(insert("1380000000", None).await),
        "volunteer_phone_format"
    );
    assert_eq!(
        violated(insert("12800000003", None).await),
        "volunteer_phone_format"
    );
}

#[tokio::test]
async fn child_id_hashes_are_unique_and_difficulty_is_described() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let insert = |category: &'static str, hash: Option<Vec<u8>>| {
        sqlx::query(
            "INSERT INTO child (name, gender, birth_date, category, region_code, station_id,
                                id_number, id_number_hash)
             VALUES ('陈小明', 'male', DATE '2015-01-01', $1::child_category, $2, $3, $4, $4)",
        )
        .bind(category)
        .bind(LONGJU)
        .bind(station)
        .bind(hash)
        .execute(p)
    };
    insert("left_behind", Some(vec![7; 32])).await.unwrap();

    assert_eq!(
        violated(insert("left_behind", Some(vec![7; 32])).await),
        "child_id_number_hash_key"
    );
    assert_eq!(
        violated(insert("in_difficulty", None).await),
        "child_difficulty_types_given"
    );
}

#[tokio::test]
async fn an_exited_child_is_not_paired_and_exits_only_when_unpaired() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let child = fixtures::pairable_child(p, station).await;
    fixtures::pair(p, child, volunteer, station).await.unwrap();
    let exit = |child: Uuid| {
        sqlx::query(
            "UPDATE child SET status = 'exited', exit_reason = 'family_moved',
                              exited_on = DATE '2026-07-01' WHERE id = $1",
        )
        .bind(child)
        .execute(p)
    };

    assert_eq!(
        violated(exit(child).await),
        "child_exit_without_active_pairing"
    );

    let other = fixtures::pairable_child(p, station).await;
    exit(other).await.unwrap();
    assert_eq!(
        violated(fixtures::pair(p, other, volunteer, station).await),
        "pairing_child_not_exited"
    );
}

#[tokio::test]
async fn stations_sit_in_a_township_or_village_and_open_at_least_twice_a_week() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let insert = |region: &'static str, days: i16| {
        sqlx::query(
            "INSERT INTO station (name, region_code, build_mode, open_days_per_week)
             VALUES ('驿站', $1, 'standalone', $2)",
        )
        .bind(region)
        .bind(days)
        .execute(p)
    };
    insert(HANZHOU, 2).await.unwrap();
    insert(LONGJU, 7).await.unwrap();

    assert_eq!(violated(insert("510681", 3).await), "station_region_level");
    assert_eq!(violated(insert(YUNDING, 1).await), "station_open_days");
    assert_eq!(
        violated(insert("510681999999", 3).await),
        "station_region_code_fkey"
    );
}

#[tokio::test]
async fn attendance_is_from_the_station_and_person_visits_are_derived() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let elsewhere = fixtures::station(p, YUNDING).await;
    let activity: Uuid = sqlx::query_scalar(
        "INSERT INTO activity (station_id, kind, title, held_on, guardian_count, other_count)
         VALUES ($1, 'tutoring', '周末作业辅导', DATE '2026-10-03', 5, 2) RETURNING id",
    )
    .bind(station)
    .fetch_one(p)
    .await
    .unwrap();
    let attend_child = |child: Uuid| {
        sqlx::query("INSERT INTO attendance (activity_id, child_id) VALUES ($1, $2)")
            .bind(activity)
            .bind(child)
            .execute(p)
    };
    for _ in 0..3 {
        let (child, _) = fixtures::child(p, station).await;
        attend_child(child).await.unwrap();
    }
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    sqlx::query(
        "INSERT INTO attendance (activity_id, volunteer_id, is_host) VALUES ($1, $2, true)",
    )
    .bind(activity)
    .bind(volunteer)
    .execute(p)
    .await
    .unwrap();

    let (outsider, _) = fixtures::child(p, elsewhere).await;
    assert_eq!(
        violated(attend_child(outsider).await),
        "attendance_child_same_station"
    );

    let (visits, version): (i32, i32) =
        sqlx::query_as("SELECT person_visits, version FROM activity WHERE id = $1")
            .bind(activity)
            .fetch_one(p)
            .await
            .unwrap();
    assert_eq!(
        visits,
        3 + 1 + 5 + 2,
        "children + volunteers + guardians + others"
    );
    assert_eq!(
        version, 1,
        "counting attendance is not an edit of the activity"
    );

    let typed = sqlx::query("UPDATE activity SET person_visits = 100 WHERE id = $1")
        .bind(activity)
        .execute(p)
        .await;
    assert!(typed.is_err(), "person-visits cannot be typed in");
}

#[tokio::test]
async fn a_raised_concern_cannot_be_removed() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let child = fixtures::pairable_child(p, station).await;
    let pairing = fixtures::pair(p, child, volunteer, station).await.unwrap();
    let contact: Uuid = sqlx::query_scalar(
        "INSERT INTO contact (pairing_id, contacted_on, mode, concern_category, concern_detail)
         VALUES ($1, DATE '2026-10-01', 'home_visit', 'safety', '家中电线裸露') RETURNING id",
    )
    .bind(pairing)
    .fetch_one(p)
    .await
    .unwrap();

    let erase = sqlx::query(
        "UPDATE contact SET concern_category = NULL, concern_detail = NULL WHERE id = $1",
    )
    .bind(contact)
    .execute(p)
    .await;
    assert_eq!(violated(erase), "contact_concern_kept");
    let delete = sqlx::query("DELETE FROM contact WHERE id = $1")
        .bind(contact)
        .execute(p)
        .await;
    assert_eq!(violated(delete), "contact_concern_kept");

    // Resolving needs a note.
    let silent = sqlx::query("UPDATE contact SET concern_resolved_at = now() WHERE id = $1")
        .bind(contact)
        .execute(p)
        .await;
    assert_eq!(violated(silent), "contact_concern_resolution");
}

#[tokio::test]
async fn a_first_meeting_is_an_ice_breaking_event_at_the_station_before_the_start() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let elsewhere = fixtures::station(p, HANZHOU).await;
    let child = fixtures::pairable_child(p, station).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let event = |at: Uuid, kind: &'static str, day: &'static str| async move {
        sqlx::query_scalar::<_, Uuid>(
            "INSERT INTO activity (station_id, kind, title, held_on)
             VALUES ($1, $2::activity_kind, '见面会', $3::date) RETURNING id",
        )
        .bind(at)
        .bind(kind)
        .bind(day)
        .fetch_one(p)
        .await
        .unwrap()
    };
    let pair_after = |first: Uuid| async move {
        sqlx::query_scalar::<_, Uuid>(
            "INSERT INTO pairing (child_id, volunteer_id, station_id, started_on, first_activity_id)
             VALUES ($1, $2, $3, DATE '2026-05-01', $4) RETURNING id",
        )
        .bind(child)
        .bind(volunteer)
        .bind(station)
        .bind(first)
        .fetch_one(p)
        .await
    };
    for first in [
        event(station, "tutoring", "2026-04-20").await,
        event(elsewhere, "ice_breaking", "2026-04-20").await,
        event(station, "ice_breaking", "2026-05-02").await,
    ] {
        assert_eq!(violated(pair_after(first).await), "pairing_first_meeting");
    }
    let good = event(station, "ice_breaking", "2026-05-01").await;
    let pairing = pair_after(good).await.unwrap();
    // Nor can the start be moved before the meeting afterwards, nor the meeting be corrected
    // into another kind, another station or a later day.
    let moved = sqlx::query("UPDATE pairing SET started_on = DATE '2026-04-30' WHERE id = $1")
        .bind(pairing)
        .execute(p)
        .await;
    assert_eq!(violated(moved), "pairing_first_meeting");
    for change in [
        "UPDATE activity SET kind = 'tutoring' WHERE id = $1",
        "UPDATE activity SET held_on = DATE '2026-05-02' WHERE id = $1",
        "UPDATE activity SET station_id = (SELECT id FROM station WHERE region_code LIKE '510681%'
             AND id <> activity.station_id LIMIT 1) WHERE id = $1",
    ] {
        let corrected = sqlx::query(change).bind(good).execute(p).await;
        assert_eq!(violated(corrected), "activity_first_meeting", "{change}");
    }
    // A correction that keeps it a meeting before the start is fine.
    sqlx::query(
        "UPDATE activity SET held_on = DATE '2026-04-28', title = '破冰见面会' WHERE id = $1",
    )
    .bind(good)
    .execute(p)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_contact_is_the_record_once_its_day_of_corrections_is_over() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let child = fixtures::pairable_child(p, station).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let pairing = fixtures::pair(p, child, volunteer, station).await.unwrap();
    let contact: Uuid = sqlx::query_scalar(
        "INSERT INTO contact (pairing_id, contacted_on, mode, note, concern_category, concern_detail)
         VALUES ($1, DATE '2026-05-03', 'home_visit', '一起做作业', 'safety', '晚上独自在家')
         RETURNING id",
    )
    .bind(pairing)
    .fetch_one(p)
    .await
    .unwrap();
    let update = |sql: &'static str| async move { sqlx::query(sql).bind(contact).execute(p).await };
    // Within the day, her entry can be corrected.
    update("UPDATE contact SET note = '一起做作业，读了绘本' WHERE id = $1")
        .await
        .unwrap();
    update("UPDATE contact SET created_at = now() - interval '25 hours' WHERE id = $1")
        .await
        .unwrap();
    for sql in [
        "UPDATE contact SET note = '改写' WHERE id = $1",
        "UPDATE contact SET pairing_id = pairing_id, mode = 'call' WHERE id = $1",
        "UPDATE contact SET contacted_on = DATE '2026-05-04' WHERE id = $1",
        "UPDATE contact SET duration_minutes = 90 WHERE id = $1",
        "UPDATE contact SET created_at = now() WHERE id = $1",
    ] {
        assert_eq!(
            violated(update(sql).await),
            "contact_correction_window",
            "{sql}"
        );
    }
    // Others' marks are not corrections: it can still be seen and its concern resolved.
    update("UPDATE contact SET seen_at = now() WHERE id = $1")
        .await
        .unwrap();
    update(
        "UPDATE contact SET concern_resolved_at = now(), concern_resolution = '已联系监护人' WHERE id = $1",
    )
    .await
    .unwrap();
    let note: String = sqlx::query_scalar("SELECT note FROM contact WHERE id = $1")
        .bind(contact)
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(note, "一起做作业，读了绘本");
}

#[tokio::test]
async fn a_wish_moves_forward_only() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let (child, _) = fixtures::child(p, station).await;
    let wish: Uuid = sqlx::query_scalar(
        "INSERT INTO wish (child_id, text, category) VALUES ($1, '一套课外书', 'books') RETURNING id",
    )
    .bind(child)
    .fetch_one(p)
    .await
    .unwrap();

    let unclaimed = sqlx::query("UPDATE wish SET status = 'claimed' WHERE id = $1")
        .bind(wish)
        .execute(p)
        .await;
    assert_eq!(violated(unclaimed), "wish_claim_recorded");

    sqlx::query("UPDATE wish SET status = 'cancelled' WHERE id = $1")
        .bind(wish)
        .execute(p)
        .await
        .unwrap();
    let revived = sqlx::query(
        "UPDATE wish SET status = 'fulfilled', fulfilled_on = DATE '2026-10-01' WHERE id = $1",
    )
    .bind(wish)
    .execute(p)
    .await;
    assert_eq!(violated(revived), "wish_status_transition");
}

#[tokio::test]
async fn the_audit_trail_is_append_only() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let event: Uuid = sqlx::query_scalar(
        "INSERT INTO audit_event (action, entity, detail) VALUES ('login_failed', 'session', '{}') RETURNING id",
    )
    .fetch_one(p)
    .await
    .unwrap();

    let edit = sqlx::query("UPDATE audit_event SET action = 'login' WHERE id = $1")
        .bind(event)
        .execute(p)
        .await;
    assert_eq!(violated(edit), "audit_event_append_only");
    let delete = sqlx::query("DELETE FROM audit_event WHERE id = $1")
        .bind(event)
        .execute(p)
        .await;
    assert_eq!(violated(delete), "audit_event_append_only");
}

#[tokio::test]
async fn accounts_carry_the_scope_their_role_needs() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let insert = |username: &'static str, role: &'static str, region: Option<&'static str>| {
        sqlx::query(
            "INSERT INTO app_user (username, display_name, password_hash, role, region_code)
             VALUES ($1, '测试', 'x', $2::user_role, $3) RETURNING id",
        )
        .bind(username)
        .bind(role)
        .bind(region)
        .fetch_one(p)
    };
    let staff: Uuid = sqlx::query_scalar::<_, Uuid>(
        "INSERT INTO app_user (username, display_name, password_hash, role, region_code)
         VALUES ('zhongjiang', '中江县妇联', 'x', 'staff', '510623') RETURNING id",
    )
    .fetch_one(p)
    .await
    .unwrap();

    assert_eq!(
        violated(insert("nobody", "staff", None).await),
        "app_user_region_for_role"
    );
    assert_eq!(
        violated(insert("ZhongJiang", "admin", Some("51")).await),
        "app_user_username_key"
    );
    assert_eq!(
        violated(insert("mgr", "station_manager", Some("51")).await),
        "app_user_region_for_role"
    );

    // Only station managers run stations.
    let station = fixtures::station(p, LONGJU).await;
    let link = sqlx::query("INSERT INTO user_station (user_id, station_id) VALUES ($1, $2)")
        .bind(staff)
        .bind(station)
        .execute(p)
        .await;
    assert_eq!(violated(link), "user_station_user");
}

#[tokio::test]
async fn every_edit_bumps_the_version() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;

    let stale = sqlx::query("UPDATE station SET name = '新名字' WHERE id = $1 AND version = $2")
        .bind(station)
        .bind(7)
        .execute(p)
        .await
        .unwrap();
    assert_eq!(
        stale.rows_affected(),
        0,
        "an edit of a version that is not current touches nothing"
    );

    sqlx::query("UPDATE station SET name = '新名字' WHERE id = $1 AND version = 1")
        .bind(station)
        .execute(p)
        .await
        .unwrap();
    let (version, name): (i32, String) =
        sqlx::query_as("SELECT version, name FROM station WHERE id = $1")
            .bind(station)
            .fetch_one(p)
            .await
            .unwrap();
    assert_eq!((version, name.as_str()), (2, "新名字"));
}

#[tokio::test]
async fn text_is_stored_and_searched_as_utf8() {
    let db = TestDb::new().await;
    let encoding: String = sqlx::query_scalar(
        "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(encoding, "UTF8");
    let found: i64 = sqlx::query_scalar("SELECT count(*) FROM region WHERE name LIKE '%汉州%'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(found, 1);
}

async fn active_pairings(p: &PgPool, child: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM pairing WHERE child_id = $1 AND status = 'active'")
        .bind(child)
        .fetch_one(p)
        .await
        .unwrap()
}

async fn child_status(p: &PgPool, child: Uuid) -> String {
    sqlx::query_scalar("SELECT status::text FROM child WHERE id = $1")
        .bind(child)
        .fetch_one(p)
        .await
        .unwrap()
}

async fn set_volunteer_status(
    p: &PgPool,
    volunteer: Uuid,
    status: &str,
) -> Result<sqlx::postgres::PgQueryResult, sqlx::Error> {
    sqlx::query("UPDATE volunteer SET status = $2::volunteer_status WHERE id = $1")
        .bind(volunteer)
        .bind(status)
        .execute(p)
        .await
}

async fn futures_join<T: Send + 'static>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await.unwrap());
    }
    out
}

/// What the service answers when the database refuses with `err`: status, code and the fields
/// the answer names (the same conversion every handler's `?` makes).
fn answer_to(err: sqlx::Error) -> (u16, String, Vec<String>) {
    use aixin::web::error::AppError;
    let e = AppError::from(err);
    let fields = match &e {
        AppError::Conflict { fields, .. } | AppError::Unprocessable { fields, .. } => {
            fields.keys().cloned().collect()
        }
        _ => Vec::new(),
    };
    (e.status().as_u16(), e.code().to_owned(), fields)
}

/// The same of an answer over HTTP.
fn answered(status: reqwest::StatusCode, body: &serde_json::Value) -> (u16, String, Vec<String>) {
    let fields = body["error"]["fields"]
        .as_object()
        .map(|f| f.keys().cloned().collect())
        .unwrap_or_default();
    let code = body["error"]["code"].as_str().unwrap_or("").to_owned();
    (status.as_u16(), code, fields)
}

#[tokio::test]
async fn a_registered_phone_or_id_number_is_refused_alike_by_the_services_and_the_database() {
    use serde_json::json;
    let app = crate::harness::TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let volunteer = json!({
        "name": "王秀兰", "phone": "13912345678", "region_code": LONGJU, "station_id": station,
        "id_number": crate::volunteers::id_number("51068119850312002"),
    });
    let (_, first) = staff.post_json("/api/v1/volunteers", &volunteer).await;
    let first: Uuid = first["id"].as_str().unwrap().parse().unwrap();

    // The same mobile number.
    let mut same_phone = volunteer.clone();
    same_phone["id_number"] = json!(null);
    let (status, body) = staff.post_json("/api/v1/volunteers", &same_phone).await;
    let by_service = answered(status, &body);
    let by_database = sqlx::query(
        "INSERT INTO volunteer (name, phone, region_code, station_id)
         SELECT name, phone, region_code, station_id FROM volunteer WHERE id = $1",
    )
    .bind(first)
    .execute(p)
    .await
    .unwrap_err();
    assert_eq!(
        by_service,
        (409, "duplicate_phone".to_owned(), vec!["phone".to_owned()])
    );
    assert_eq!(answer_to(by_database), by_service);

    // The same ID number, another phone.
    let mut same_id = volunteer.clone();
    same_id["phone"] = json!("13700000000");
    let (status, body) = staff.post_json("/api/v1/volunteers", &same_id).await;
    let by_service = answered(status, &body);
    let by_database = sqlx::query(
        "INSERT INTO volunteer (name, phone, region_code, station_id, id_number, id_number_hash)
         SELECT name, '13700000000', region_code, station_id, id_number, id_number_hash
         FROM volunteer WHERE id = $1",
    )
    .bind(first)
    .execute(p)
    .await
    .unwrap_err();
    assert_eq!(
        by_service,
        (
            409,
            "duplicate_id_number".to_owned(),
            vec!["id_number".to_owned()]
        )
    );
    assert_eq!(answer_to(by_database), by_service);

    // A child's ID number.
    let child = json!({
        "name": "李小雨", "gender": "female", "birth_date": "2012-05-04", "category": "left_behind",
        "region_code": LONGJU, "station_id": station,
        "id_number": crate::volunteers::id_number("51068120120504002"),
    });
    let (status, body) = staff.post_json("/api/v1/children", &child).await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    let registered: Uuid = body["id"].as_str().unwrap().parse().unwrap();
    let mut same_id = child.clone();
    same_id["name"] = json!("李小雪");
    let (status, body) = staff.post_json("/api/v1/children", &same_id).await;
    let by_service = answered(status, &body);
    let by_database = sqlx::query(
        "INSERT INTO child (name, gender, birth_date, category, region_code, station_id,
                            id_number, id_number_hash)
         SELECT '李小雪', gender, birth_date, category, region_code, station_id, id_number,
                id_number_hash
         FROM child WHERE id = $1",
    )
    .bind(registered)
    .execute(p)
    .await
    .unwrap_err();
    assert_eq!(
        by_service,
        (
            409,
            "duplicate_id_number".to_owned(),
            vec!["id_number".to_owned()]
        )
    );
    assert_eq!(answer_to(by_database), by_service);

    let counts: (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM volunteer), (SELECT count(*) FROM child)")
            .fetch_one(p)
            .await
            .unwrap();
    assert_eq!(counts, (1, 1));
}

#[tokio::test]
async fn nobody_is_screened_or_trained_without_the_record_through_the_service_or_the_database() {
    use serde_json::json;
    let app = crate::harness::TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let applicant = fixtures::volunteer(p, station, "applied", 2).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let path = format!("/api/v1/volunteers/{applicant}");

    // Screened without the check and the interview on record.
    let (status, body) = staff
        .patch_json(&path, &json!({ "status": "screened", "version": 1 }))
        .await;
    let (by_service, by_database) = (
        answered(status, &body),
        answer_to(
            set_volunteer_status(p, applicant, "screened")
                .await
                .unwrap_err(),
        ),
    );
    assert_eq!(
        by_service,
        (
            422,
            "validation_failed".to_owned(),
            vec![
                "background_check_on".to_owned(),
                "interviewed_on".to_owned()
            ]
        )
    );
    assert_eq!(
        by_database,
        (422, "volunteer_not_screened_and_trained".to_owned(), vec![])
    );

    // Trained without training on record.
    sqlx::query(
        "UPDATE volunteer SET status = 'screened', background_check_on = DATE '2026-03-01',
                              interviewed_on = DATE '2026-03-02' WHERE id = $1",
    )
    .bind(applicant)
    .execute(p)
    .await
    .unwrap();
    let (status, body) = staff
        .patch_json(&path, &json!({ "status": "trained", "version": 2 }))
        .await;
    let (by_service, by_database) = (
        answered(status, &body),
        answer_to(
            set_volunteer_status(p, applicant, "trained")
                .await
                .unwrap_err(),
        ),
    );
    assert_eq!(
        by_service,
        (
            422,
            "validation_failed".to_owned(),
            vec!["trained_on".to_owned()]
        )
    );
    assert_eq!(
        by_database,
        (422, "volunteer_not_screened_and_trained".to_owned(), vec![])
    );

    let status: String = sqlx::query_scalar("SELECT status::text FROM volunteer WHERE id = $1")
        .bind(applicant)
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(status, "screened");
}

#[tokio::test]
async fn a_consent_is_withdrawn_once_and_kept_through_the_service_or_the_database() {
    use serde_json::json;
    let app = crate::harness::TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let (child, guardian) = fixtures::child(p, station).await;
    let consent = fixtures::consent(p, child, guardian, "pairing").await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let withdraw = format!("/api/v1/consents/{consent}/withdraw");

    let (status, _) = staff
        .post_json(&withdraw, &json!({ "withdrawn_on": "2026-10-01" }))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let (status, body) = staff
        .post_json(&withdraw, &json!({ "withdrawn_on": "2026-10-02" }))
        .await;
    assert_eq!(
        answered(status, &body),
        (409, "already_withdrawn".to_owned(), vec![])
    );

    let rewrite = sqlx::query("UPDATE consent SET withdrawn_on = DATE '2026-10-02' WHERE id = $1")
        .bind(consent)
        .execute(p)
        .await
        .unwrap_err();
    assert_eq!(answer_to(rewrite), (409, "append_only".to_owned(), vec![]));
    let delete = sqlx::query("DELETE FROM consent WHERE id = $1")
        .bind(consent)
        .execute(p)
        .await
        .unwrap_err();
    assert_eq!(answer_to(delete), (409, "append_only".to_owned(), vec![]));

    let kept: Option<time::Date> =
        sqlx::query_scalar("SELECT withdrawn_on FROM consent WHERE id = $1")
            .bind(consent)
            .fetch_one(p)
            .await
            .unwrap();
    assert_eq!(kept.map(|d| d.to_string()).as_deref(), Some("2026-10-01"));
}

#[tokio::test]
async fn a_station_manager_corrects_a_log_for_seven_days_and_staff_at_any_time() {
    let db = TestDb::new().await;
    let p = &db.pool;
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let account = |role: &'static str, region: Option<&'static str>, volunteer: Option<Uuid>| async move {
        sqlx::query_scalar::<_, Uuid>(
            "INSERT INTO app_user (username, display_name, password_hash, role, region_code, volunteer_id)
             VALUES ($1 || gen_random_uuid(), '某某', 'x', $1::user_role, $2, $3) RETURNING id",
        )
        .bind(role)
        .bind(region)
        .bind(volunteer)
        .fetch_one(p)
        .await
        .unwrap()
    };
    let manager = account("station_manager", None, None).await;
    let staff = account("staff", Some("510681"), None).await;
    let mama = account("volunteer", None, Some(volunteer)).await;
    let activity = fixtures::activity(p, station).await;
    // When the session was held and logged, in days before today.
    let dated = |held: i32, logged: i32| async move {
        sqlx::query(
            "UPDATE activity SET held_on = (now() AT TIME ZONE 'Asia/Shanghai')::date - $2,
                    created_at = now() - make_interval(days => $3) WHERE id = $1",
        )
        .bind(activity)
        .bind(held)
        .bind(logged)
        .execute(p)
        .await
        .unwrap();
    };
    let correct = |by: Uuid| async move {
        sqlx::query("UPDATE activity SET guardian_count = guardian_count + 1, updated_by = $2 WHERE id = $1")
            .bind(activity)
            .bind(by)
            .execute(p)
            .await
    };

    correct(manager).await.unwrap();
    dated(6, 6).await;
    correct(manager).await.unwrap();
    // Logged late: seven days from the logging, however long ago the session was.
    dated(40, 6).await;
    correct(manager).await.unwrap();
    for (held, logged) in [(8, 8), (40, 8)] {
        dated(held, logged).await;
        assert_eq!(
            violated(correct(manager).await),
            "activity_correction_window"
        );
        correct(staff).await.unwrap();
    }
    // A volunteer's account never corrects a log, even on the day.
    dated(0, 0).await;
    assert_eq!(violated(correct(mama).await), "activity_correction_window");
    // Bookkeeping and fixes that name nobody are nobody's corrections.
    dated(40, 40).await;
    sqlx::query("UPDATE activity SET other_count = 2 WHERE id = $1")
        .bind(activity)
        .execute(p)
        .await
        .unwrap();
    let guardians: i32 = sqlx::query_scalar("SELECT guardian_count FROM activity WHERE id = $1")
        .bind(activity)
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(
        guardians, 5,
        "three of the manager's corrections and two of staff's"
    );
}

/// Every rule a trigger enforces under its own name is declared by an area as a refusal, so
/// that the database's refusal is answered as the service's own (a rule with no declared
/// refusal would surface as a bare 422 or a 500).
#[test]
fn every_rule_a_trigger_raises_is_declared_as_a_refusal() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut named = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "sql") {
            continue;
        }
        let sql = std::fs::read_to_string(&path).unwrap();
        for part in sql.split("CONSTRAINT = '").skip(1) {
            named.insert(part.split('\'').next().unwrap().to_owned());
        }
        // `refuse_change()` names its refusal after the table it guards.
        for part in sql.split("CREATE TRIGGER ").skip(1) {
            let statement = part.split(';').next().unwrap();
            if statement.contains("refuse_change()") {
                let table = statement
                    .split(" ON ")
                    .nth(1)
                    .unwrap()
                    .split_whitespace()
                    .next()
                    .unwrap();
                named.insert(format!("{table}_append_only"));
            }
        }
    }
    assert!(named.len() >= 15, "{named:?}");
    let undeclared: Vec<_> = named
        .iter()
        .filter(|c| aixin::web::Refusal::of_constraint(c).is_none())
        .collect();
    assert!(
        undeclared.is_empty(),
        "rules with no declared refusal: {undeclared:?}"
    );
}
