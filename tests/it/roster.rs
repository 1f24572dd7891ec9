//! The civil-affairs roster: an import checked row by row and all or nothing, matched to the
//! children registered by ID number (or name and birth date), figures that follow every
//! registration and pairing, a county's next import replacing the last, and the roster's
//! personal data going with a child's erasure and after its keeping period.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::{self, LONGJU};
use crate::harness::{Browser, PASSWORD, TestApp, assert_error};
use crate::volunteers::id_number;

/// The roster's header as civil affairs export it: variants of the template's names, a
/// number column, and a remark the import does not read.
const HEADER: &str = "序号,儿童姓名,身份证号码,出生日期,类别,户籍所在地,监护人姓名,联系电话,备注";

fn roster(rows: &[&str]) -> Vec<u8> {
    let mut text = format!("广汉市农村留守儿童和困境儿童名册\n{HEADER}\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text.into_bytes()
}

async fn upload(browser: &Browser, county: Option<&str>, bytes: Vec<u8>) -> (StatusCode, Value) {
    let mut form = Form::new().part("file", Part::bytes(bytes).file_name("名册.csv"));
    if let Some(county) = county {
        form = form.text("county", county.to_owned());
    }
    let response = browser
        .http
        .post(browser.url("/api/v1/roster/imports"))
        .header("origin", browser.url(""))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn manager_browser(app: &TestApp, station: Uuid) -> Browser {
    let manager = app.station_manager(&[station]).await;
    let browser = app.browser();
    browser.log_in(&manager.username, PASSWORD).await;
    browser
}

/// Registers a child at `station` through the API: her id.
async fn register(
    staff: &Browser,
    station: Uuid,
    name: &str,
    birth: &str,
    id: Option<&str>,
) -> Uuid {
    let mut body = json!({
        "name": name, "gender": "female", "birth_date": birth, "category": "left_behind",
        "region_code": LONGJU, "station_id": station,
        "guardian": { "name": "李奶奶", "relation": "grandmother", "phone": "13812345678" },
        "consent": { "given_on": "2026-09-01", "method": "signed_form" }
    });
    if let Some(id) = id {
        body["id_number"] = json!(id);
    }
    let (status, child) = staff.post_json("/api/v1/children", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{child}");
    child["id"].as_str().unwrap().parse().unwrap()
}

/// The roster figures of `GET /api/v1/stats` for a region.
async fn figures(staff: &Browser, region: &str) -> (Value, Value, Value) {
    let (status, stats) = staff
        .get_json(&format!("/api/v1/stats?region={region}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    (
        stats["roster_children"].clone(),
        stats["roster_registered"].clone(),
        stats["roster_paired"].clone(),
    )
}

/// The roster figures counted over the records themselves within a region.
async fn counted(app: &TestApp, region: &str) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT count(*),
                count(*) FILTER (WHERE c.status IN ('registered', 'paired')),
                count(*) FILTER (WHERE c.status = 'paired')
         FROM roster_child r LEFT JOIN child c ON c.id = r.child_id
         WHERE r.region_code LIKE $1 || '%'",
    )
    .bind(region)
    .fetch_one(app.pool())
    .await
    .unwrap()
}

async fn statuses(app: &TestApp) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as(
        "SELECT name, status::text, matched_by::text FROM roster_child ORDER BY sheet_row",
    )
    .fetch_all(app.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_roster_is_matched_by_id_number_or_name_and_follows_registration_and_pairing() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let xiaoyu = id_number("51068120160504002");
    let zhang = id_number("51068120150101004");
    let paired = register(&staff, station, "李小雨", "2016-05-04", Some(&xiaoyu)).await;
    register(&staff, station, "王小明", "2015-03-02", None).await;
    let unlisted = register(&staff, station, "赵不在", "2014-07-08", None).await;

    let file = roster(&[
        &format!("1,李小雨,{xiaoyu},,留守儿童,汉州街道龙居社区,李奶奶,13812345678,"),
        "2,王小明,,2015/3/2,留守,510681002006,王爷爷,0838-5221234,",
        &format!("3,张三,{zhang},,困境儿童,汉州街道,,,已核实"),
        "合计,3人,,,,,,,",
    ]);
    let (status, done) = upload(&staff, None, file).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(done["county_code"], "510681");
    assert_eq!(done["rows"], 3);
    assert_eq!(done["registered_waiting"], 2);
    assert_eq!(done["not_registered"], 1);
    assert_eq!(done["matched_by_name"], 1);
    assert_eq!(done["unknown_columns"], json!(["备注"]));
    assert_eq!(
        statuses(&app).await,
        [
            (
                "李小雨".into(),
                "registered_waiting".into(),
                Some("id_number".into())
            ),
            (
                "王小明".into(),
                "registered_waiting".into(),
                Some("name_birth".into())
            ),
            ("张三".into(), "not_registered".into(), None),
        ]
    );
    let plain: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM roster_child WHERE position($1::bytea IN id_number) > 0",
    )
    .bind(xiaoyu.as_bytes())
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(plain, 0, "the ID number is never stored plain");

    // A pairing moves her row; registering the third child matches hers.
    let volunteer = fixtures::volunteer(app.pool(), station, "active", 2).await;
    let guardian: Uuid = sqlx::query_scalar("SELECT id FROM guardian WHERE child_id = $1")
        .bind(paired)
        .fetch_one(app.pool())
        .await
        .unwrap();
    fixtures::consent(app.pool(), paired, guardian, "pairing").await;
    fixtures::pair(app.pool(), paired, volunteer, station)
        .await
        .unwrap();
    register(&staff, station, "张三", "2015-01-01", Some(&zhang)).await;
    let (province, _) = app.logged_in("staff", "51").await;
    for region in ["51", "510681", "510681002"] {
        let (children, registered, paired) = counted(&app, region).await;
        assert_eq!((children, registered, paired), (3, 3, 1), "{region}");
        assert_eq!(
            figures(&province, region).await,
            (json!(children), json!(registered), json!(paired)),
            "{region}"
        );
    }
    let (_, stats) = staff.get_json("/api/v1/stats?region=510681").await;
    let township = stats["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["region_code"] == "510681002")
        .unwrap();
    assert_eq!(township["roster_children"], 3);
    assert_eq!(township["roster_paired"], 1);
    let (_, elsewhere) = staff.get_json("/api/v1/stats?region=510681101").await;
    assert_eq!(
        elsewhere["roster_children"], 0,
        "a township of a county with a roster"
    );
    let (_, other) = province.get_json("/api/v1/stats?region=511922").await;
    assert_eq!(
        other["roster_children"],
        Value::Null,
        "a county without a roster"
    );

    let (status, list) = staff.get_json("/api/v1/roster?status=paired").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["name"], "李小雨");
    assert_eq!(list["items"][0]["child_id"], json!(paired));
    let masked = list["items"][0]["id_number_masked"].as_str().unwrap();
    assert!(
        masked.contains("****") && !masked.contains(&xiaoyu[6..14]),
        "{masked}"
    );
    assert_eq!(list["items"][0]["guardian_phone_masked"], "138****5678");
    let (status, error) = staff.get_json("/api/v1/roster?status=lost").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&error, "validation_failed");

    // The page: by township, the list, and the registered child missing from the roster.
    let page = staff.get("/roster?view=all").await.text().await.unwrap();
    assert!(page.contains("汉州街道") && page.contains("张三"), "{page}");
    let page = staff
        .get("/roster?view=unlisted")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/children/{unlisted}")), "{page}");
    assert!(!page.contains("王小明"));

    // The next import replaces the roster; the figures follow.
    let (status, done) = upload(
        &staff,
        None,
        roster(&["1,王小明,,2015-03-02,留守儿童,汉州街道,,,"]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(done["replaced"], 3);
    assert_eq!(
        figures(&staff, "510681").await,
        (json!(1), json!(1), json!(0))
    );
    let imports: i64 = sqlx::query_scalar("SELECT count(*) FROM roster_import")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(imports, 1);
}

#[tokio::test]
async fn a_roster_with_one_bad_row_imports_nothing_and_names_each_row_and_column() {
    let app = TestApp::spawn().await;
    fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let good = id_number("51068120160504002");
    let (status, _) = upload(
        &staff,
        None,
        roster(&[&format!("1,李小雨,{good},,留守儿童,汉州街道,,,")]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let mut bad_check = id_number("51068120150101004");
    bad_check.replace_range(17.., if bad_check.ends_with('1') { "2" } else { "1" });
    let file = roster(&[
        &format!("1,李小雨,{good},2016-05-05,留守儿童,汉州街道,,,"),
        &format!("2,王小明,{bad_check},,留守儿童,汉州街道,,,"),
        "3,张三,,,留守儿童,汉州街道,,,",
        "4,赵四,,2015-01-01,孤残,汉州街道,,,",
        "5,钱五,,2015-01-01,困境儿童,幸福乡,,,",
        &format!("6,孙六,{good},,留守儿童,汉州街道,,,"),
        "7,周七,,2015-01-01,留守儿童,510682002,,12345,",
    ]);
    let (status, error) = upload(&staff, None, file).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_error(&error, "import_refused");
    let found: Vec<(u64, String)> = error["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (3, "出生日期".to_owned()),
            (4, "身份证号".to_owned()),
            (5, "出生日期".to_owned()),
            (6, "类别".to_owned()),
            (7, "户籍地".to_owned()),
            (8, "身份证号".to_owned()),
            (9, "户籍地".to_owned()),
            (9, "联系电话".to_owned()),
        ],
        "{error}"
    );
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM roster_child")
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert_eq!(names, ["李小雨"], "the roster before stays whole");

    // Not a roster at all, a county beyond the user's region, a station manager, no Origin.
    let (status, error) = upload(&staff, None, b"a,b\n1,2\n".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["rows"][0]["column"], "姓名", "{error}");
    let (status, error) = upload(&staff, Some("511922"), roster(&[])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["error"]["fields"]["county"].is_string(), "{error}");
    let station = fixtures::station(app.pool(), LONGJU).await;
    let manager = manager_browser(&app, station).await;
    let (status, _) = upload(&manager, None, roster(&[])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let no_origin = staff
        .http
        .post(staff.url("/api/v1/roster/imports"))
        .multipart(Form::new().part("file", Part::bytes(roster(&[])).file_name("r.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(no_origin.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_gbk_roster_with_township_and_village_columns_is_read() {
    let app = TestApp::spawn().await;
    let (staff, _) = app.logged_in("staff", "51").await;
    let text = "姓名,出生日期,类别,乡镇（街道）,村（社区）\n王小明,2015-03-02,留守儿童,汉州街道,龙居社区\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let (status, error) = upload(&staff, None, gbk.to_vec()).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a province must name the county"
    );
    assert!(error["error"]["fields"]["county"].is_string(), "{error}");
    let (status, done) = upload(&staff, Some("510681"), gbk.to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    let region: String = sqlx::query_scalar("SELECT region_code FROM roster_child")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(region, LONGJU);
}

#[tokio::test]
async fn a_childs_erasure_takes_her_roster_row_and_an_old_roster_goes_with_retention() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let id = id_number("51068120160504002");
    let child = register(&staff, station, "李小雨", "2016-05-04", Some(&id)).await;
    let file = roster(&[
        &format!("1,李小雨,{id},,留守儿童,汉州街道,李奶奶,13812345678,"),
        "2,王小明,,2015-03-02,留守儿童,汉州街道,,,",
    ]);
    assert_eq!(upload(&staff, None, file).await.0, StatusCode::CREATED);
    let p = app.pool();
    sqlx::query("UPDATE child SET status = 'exited', exit_reason = 'family_moved', exited_on = DATE '2026-10-01' WHERE id = $1")
        .bind(child)
        .execute(p)
        .await
        .unwrap();
    assert_eq!(
        statuses(&app).await[0].1,
        "not_registered",
        "a child who left counts as not registered"
    );
    sqlx::query("SELECT anonymise_child($1)")
        .bind(child)
        .execute(p)
        .await
        .unwrap();
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM roster_child")
        .fetch_all(p)
        .await
        .unwrap();
    assert_eq!(names, ["王小明"]);
    assert_eq!(
        figures(&staff, "510681").await,
        (json!(1), json!(0), json!(0))
    );

    let done = aixin::privacy::service::retention::run(p, 36, "command", false)
        .await
        .unwrap();
    assert_eq!(done.roster_rows, 0, "a roster of this month stays");
    sqlx::query("UPDATE roster_import SET imported_at = now() - interval '13 months'")
        .execute(p)
        .await
        .unwrap();
    let done = aixin::privacy::service::retention::run(p, 36, "command", false)
        .await
        .unwrap();
    assert_eq!(done.roster_rows, 1);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM roster_child")
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(
        figures(&staff, "510681").await,
        (Value::Null, Value::Null, Value::Null)
    );
}

#[tokio::test]
async fn registering_from_the_roster_fills_the_form_within_the_region_only() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let id = id_number("51068120150101004");
    let file = roster(&[&format!(
        "1,张三,{id},,困境儿童,汉州街道龙居社区,张奶奶,13912345678,"
    )]);
    assert_eq!(upload(&staff, None, file).await.0, StatusCode::CREATED);
    let row: Uuid = sqlx::query_scalar("SELECT id FROM roster_child")
        .fetch_one(app.pool())
        .await
        .unwrap();
    let form = staff
        .get(&format!("/children/new?roster={row}"))
        .await
        .text()
        .await
        .unwrap();
    for value in [
        "张三",
        id.as_str(),
        "2015-01-01",
        "in_difficulty",
        LONGJU,
        "13912345678",
    ] {
        assert!(form.contains(value), "{value} prefilled");
    }
    let reveals: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'reveal' AND entity = 'roster_child'
           AND entity_id = $1 AND record_region_code = $2",
    )
    .bind(row)
    .bind(LONGJU)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        reveals, 1,
        "the whole ID number shown is recorded, filed under her village"
    );
    let (other, _) = app.logged_in("staff", "511922").await;
    assert_eq!(
        other
            .get(&format!("/children/new?roster={row}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let manager = manager_browser(&app, station).await;
    assert_eq!(
        manager
            .get(&format!("/children/new?roster={row}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(manager.get("/roster").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn imports_registrations_and_pairings_at_once_leave_every_row_matched_and_counted() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let ids: Vec<String> = (0..120)
        .map(|i| id_number(&format!("51068120150{:03}{:03}", 101 + i % 28, i)))
        .collect();
    let lines: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| format!("{},孩子{i},{id},,留守儿童,汉州街道,,,", i + 1))
        .collect();
    let file = || roster(&lines.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(upload(&staff, None, file()).await.0, StatusCode::CREATED);

    // Imports of the same roster, one after another, while the children on it are registered
    // one by one and every other one of the first twenty is paired as soon as she is.
    let volunteer = fixtures::volunteer(app.pool(), station, "active", 10).await;
    let imports = async {
        for _ in 0..8 {
            assert_eq!(upload(&staff, None, file()).await.0, StatusCode::CREATED);
        }
    };
    let registrations = async {
        for (i, id) in ids.iter().enumerate() {
            let child: Uuid = sqlx::query_scalar(
                "INSERT INTO child (name, gender, birth_date, category, region_code, station_id,
                                    id_number, id_number_hash)
                 VALUES ($1, 'female', DATE '2015-01-01', 'left_behind', $2, $3, $4, $5)
                 RETURNING id",
            )
            .bind(format!("孩子{i}"))
            .bind(LONGJU)
            .bind(station)
            .bind(crate::paperwork::seal(id))
            .bind(crate::paperwork::hash(id))
            .fetch_one(app.pool())
            .await
            .unwrap();
            if i % 2 == 0 && i < 20 {
                sqlx::query(
                    "INSERT INTO guardian (child_id, name, relation, phone)
                     VALUES ($1, '家长', 'grandmother', '13812345678')",
                )
                .bind(child)
                .execute(app.pool())
                .await
                .unwrap();
                let guardian: Uuid =
                    sqlx::query_scalar("SELECT id FROM guardian WHERE child_id = $1")
                        .bind(child)
                        .fetch_one(app.pool())
                        .await
                        .unwrap();
                fixtures::consent(app.pool(), child, guardian, "pairing").await;
                let other = fixtures::volunteer(app.pool(), station, "active", 1).await;
                fixtures::pair(
                    app.pool(),
                    child,
                    if i == 0 { volunteer } else { other },
                    station,
                )
                .await
                .unwrap();
            }
        }
    };
    tokio::join!(imports, registrations);

    let (rows, matched, paired): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(r.child_id), count(*) FILTER (WHERE r.status = 'paired')
         FROM roster_child r",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!((rows, matched, paired), (120, 120, 10));
    let astray: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM roster_child r JOIN child c ON c.id = r.child_id
         WHERE r.status <> roster_status_of(c.status) OR r.id_number_hash <> c.id_number_hash",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(astray, 0, "every row follows its child");
    let kept: Vec<(String, i32, i32, i32)> = sqlx::query_as(
        "SELECT region_code, children, registered, paired FROM roster_tally ORDER BY 1",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    sqlx::query("SELECT roster_tally_rebuild()")
        .execute(app.pool())
        .await
        .unwrap();
    let rebuilt: Vec<(String, i32, i32, i32)> = sqlx::query_as(
        "SELECT region_code, children, registered, paired FROM roster_tally ORDER BY 1",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(kept, rebuilt, "the kept figures are the rows' figures");
    assert_eq!(rebuilt, [("510681002".to_owned(), 120, 120, 10)]);
}

#[tokio::test]
async fn a_child_of_another_county_is_not_matched_to_this_countys_roster() {
    let app = TestApp::spawn().await;
    let here = fixtures::station(app.pool(), LONGJU).await;
    let there = fixtures::station(app.pool(), crate::fixtures::YUNDING).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let (far, _) = app.logged_in("staff", "511922").await;
    let id = id_number("51068120160504002");
    let file = roster(&[&format!("1,李小雨,{id},,留守儿童,汉州街道,,,")]);
    assert_eq!(upload(&staff, None, file).await.0, StatusCode::CREATED);
    let body = json!({
        "name": "李小雨", "gender": "female", "birth_date": "2016-05-04", "category": "left_behind",
        "region_code": "511922132", "station_id": there, "id_number": id,
        "guardian": { "name": "李奶奶", "relation": "grandmother", "phone": "13812345678" },
        "consent": { "given_on": "2026-09-01", "method": "signed_form" }
    });
    let (status, child) = far.post_json("/api/v1/children", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{child}");
    assert_eq!(
        statuses(&app).await[0].1,
        "not_registered",
        "registered in another county: not this county's child"
    );
    let (_, list) = staff.get_json("/api/v1/roster").await;
    assert_eq!(
        list["items"][0]["child_id"],
        Value::Null,
        "nothing of hers shows here"
    );
    // Moved to this county (a transfer), she is matched.
    let child_id: Uuid = child["id"].as_str().unwrap().parse().unwrap();
    sqlx::query("UPDATE child SET station_id = $2, region_code = $3 WHERE id = $1")
        .bind(child_id)
        .bind(here)
        .bind(LONGJU)
        .execute(app.pool())
        .await
        .unwrap();
    assert_eq!(statuses(&app).await[0].1, "registered_waiting");
}
