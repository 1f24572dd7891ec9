//! Importing volunteers from spreadsheets: all rows or none, with a per-row report.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::fixtures::{self, LONGJU};
use crate::harness::{Browser, TestApp};

fn csv(rows: &[String]) -> Vec<u8> {
    let mut text = String::from("姓名,性别,手机号,居住地区代码,驿站名称,特长,状态\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text.into_bytes()
}

fn rows(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!("志愿者{i},女,139{i:08},510681002006,龙居社区爱心妈妈驿站,学业辅导,已报名")
        })
        .collect()
}

async fn upload(browser: &Browser, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()));
    browser
        .http
        .post(browser.url("/volunteers/import"))
        .header("origin", browser.url(""))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM volunteer")
        .fetch_one(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn one_bad_row_among_500_writes_nothing_and_the_fixed_file_imports_all() {
    let app = TestApp::spawn().await;
    fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let mut lines = rows(500);
    lines[241] = "志愿者241,女,1391234,510681002006,龙居社区爱心妈妈驿站,学业辅导,已报名".into();

    let refused = upload(&staff, "volunteers.csv", csv(&lines)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("<td class=\"num\">243</td><td>手机号</td>"),
        "row 243 (header is row 1), column 手机号"
    );
    assert!(html.contains("本次没有导入任何数据"));
    assert_eq!(count(&app).await, 0);
    let report = html
        .split("/imports/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let download = staff.get(&format!("/imports/{report}")).await;
    assert_eq!(download.status(), StatusCode::OK);
    let other = app.logged_in("staff", "510681").await.0;
    assert_eq!(
        other.get(&format!("/imports/{report}")).await.status(),
        StatusCode::NOT_FOUND,
        "only its author reads a report"
    );

    lines[241] =
        "志愿者241,女,13900000241,510681002006,龙居社区爱心妈妈驿站,学业辅导,已报名".into();
    let imported = upload(&staff, "volunteers.csv", csv(&lines)).await;
    assert_eq!(imported.status(), StatusCode::OK);
    assert!(imported.text().await.unwrap().contains("已导入 500 位"));
    assert_eq!(count(&app).await, 500);
}

#[tokio::test]
async fn duplicates_in_the_file_and_in_the_database_are_reported() {
    let app = TestApp::spawn().await;
    fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    assert_eq!(
        upload(&staff, "first.csv", csv(&rows(2))).await.status(),
        StatusCode::OK
    );

    let mut lines = rows(2);
    lines.push("新人,女,13700000001,510681002006,,心理,已报名".into());
    lines.push("又一人,女,13700000001,510681002006,,心理,已报名".into());
    let refused = upload(&staff, "second.csv", csv(&lines)).await;

    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("该手机号已登记"),
        "rows already in the database"
    );
    assert!(html.contains("与第 4 行重复"), "a repeat inside the file");
    assert_eq!(count(&app).await, 2);
}

#[tokio::test]
async fn the_template_downloads_and_a_bad_file_is_explained() {
    let app = TestApp::spawn().await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let template = staff.get("/volunteers/import/template").await;
    assert_eq!(template.status(), StatusCode::OK);
    let bytes = template.bytes().await.unwrap();
    let sheet = aixin::web::sheet::read(&bytes).unwrap();
    assert_eq!(sheet[0][0], "姓名");

    // Large files show their upload and checking progress (the form still posts without it).
    let form = staff.get("/children/import").await.text().await.unwrap();
    assert!(form.contains("data-progress") && form.contains("正在逐行检查"));
    let script = staff.get("/static/import.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(
        script
            .text()
            .await
            .unwrap()
            .contains("upload.addEventListener(\"progress\"")
    );

    let refused = upload(&staff, "photo.jpg", vec![0xff, 0xd8, 0xff, 0x00, 0x10]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("无法读取这个文件"));
    let missing = upload(&staff, "x.csv", "姓名,性别\n王,女\n".as_bytes().to_vec()).await;
    assert!(missing.text().await.unwrap().contains("缺少这一列"));
}

pub fn children_csv(rows: &[String]) -> Vec<u8> {
    let mut text = String::from(
        "姓名,性别,出生日期,类别,居住地区代码,驿站名称,需求,监护人姓名,监护人关系,监护人电话,同意日期,同意方式\n",
    );
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text.into_bytes()
}

pub fn child_rows(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("孩子{i},女,2016-05-04,留守儿童,510681002006,龙居社区爱心妈妈驿站,学业、陪伴,家长{i},祖母/外祖母,138{i:08},2026-09-01,纸质签字"))
        .collect()
}

pub async fn upload_children(browser: &Browser, bytes: Vec<u8>) -> reqwest::Response {
    let form = Form::new().part("file", Part::bytes(bytes).file_name("children.csv"));
    browser
        .http
        .post(browser.url("/children/import"))
        .header("origin", browser.url(""))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn children_import_with_guardians_and_consent_all_or_nothing() {
    let app = TestApp::spawn().await;
    fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let mut lines = child_rows(500);
    // A 9-year-old without a guardian's consent, and a repeated child.
    lines[99] = "孩子99,女,2016-05-04,留守儿童,510681002006,龙居社区爱心妈妈驿站,学业,,,,,".into();
    lines.push(lines[0].clone());

    let refused = upload_children(&staff, children_csv(&lines)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("<td class=\"num\">101</td><td>监护人姓名</td>"),
        "row 101 needs a guardian"
    );
    assert!(html.contains("与第 2 行重复"), "row 502 repeats row 2");
    let children: i64 = sqlx::query_scalar("SELECT count(*) FROM child")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(children, 0);

    let imported = upload_children(&staff, children_csv(&child_rows(500))).await;
    assert_eq!(imported.status(), StatusCode::OK);
    let (children, guardians, consents): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM child), (SELECT count(*) FROM guardian), (SELECT count(*) FROM consent WHERE scope = 'registration')",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!((children, guardians, consents), (500, 500, 500));

    // The same file again: every child is already there.
    let again = upload_children(&staff, children_csv(&child_rows(3))).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text().await.unwrap().contains("同名同出生日期"));
}

#[tokio::test]
async fn the_command_line_imports_as_an_account_and_refuses_bad_files() {
    let app = TestApp::spawn().await;
    fixtures::station(app.pool(), LONGJU).await;
    let staff = app.regional_user("staff", "510681").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("volunteers.csv");
    let config = crate::harness::test_config("127.0.0.1:0".parse().unwrap());

    std::fs::write(
        &file,
        csv(&["王秀兰,女,1391234,510681002006,,心理,已报名".into()]),
    )
    .unwrap();
    let refused =
        aixin::import_file(app.pool(), &config, "volunteers", &file, &staff.username).await;
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("nothing was imported")
    );
    assert_eq!(count(&app).await, 0);

    std::fs::write(&file, csv(&rows(3))).unwrap();
    aixin::import_file(app.pool(), &config, "volunteers", &file, &staff.username)
        .await
        .unwrap();
    assert_eq!(count(&app).await, 3);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE actor_id = $1 AND detail ->> 'imported' = '3'",
    )
    .bind(staff.id)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(audited, 1);
}
