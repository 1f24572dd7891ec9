//! Spreadsheet and CSV bombs, control characters (findings 1 and 9).

use std::io::{Cursor, Write};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::{self, LONGJU};
use crate::harness::{Browser, TestApp, assert_error, test_config};
use crate::imports::upload_children;

/// A workbook written part by part, as a hostile client would: `cells` are (reference, text).
fn workbook(cells: &[(&str, &str)]) -> Vec<u8> {
    let mut rows = String::new();
    for (at, text) in cells {
        let row: String = at.chars().filter(char::is_ascii_digit).collect();
        rows.push_str(&format!(
            r#"<row r="{row}"><c r="{at}" t="inlineStr"><is><t>{text}</t></is></c></row>"#
        ));
    }
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#.to_owned(),
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned(),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData>{rows}</sheetData></worksheet>"#
            ),
        ),
    ];
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in parts {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

async fn children(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM child")
        .fetch_one(app.pool())
        .await
        .unwrap()
}

async fn assert_ready(app: &TestApp) {
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK, "the service still answers");
}

/// Uploads `bytes` to the children's import and returns the status and page.
async fn refused(browser: &Browser, bytes: Vec<u8>) -> String {
    let answer = upload_children(browser, bytes).await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    answer.text().await.unwrap()
}

#[tokio::test]
async fn a_spreadsheet_that_claims_its_last_cell_is_refused_and_the_service_stays_up() {
    let app = TestApp::spawn().await;
    fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let bomb = workbook(&[("A1", "姓名"), ("XFD1048576", "x")]);
    assert!(bomb.len() < 8 * 1024, "a few kilobytes");

    let page = refused(&staff, bomb).await;

    assert!(
        page.contains("一次最多导入 20,000 行"),
        "the limit is named"
    );
    assert_eq!(children(&app).await, 0);
    assert_ready(&app).await;
    let wide = workbook(&[("A1", "姓名"), ("XFD1", "x")]);
    assert!(refused(&staff, wide).await.contains("最多 100 列"));
}

#[tokio::test]
async fn a_csv_line_of_a_million_columns_is_refused_naming_the_limit() {
    let app = TestApp::spawn().await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let line = ",x".repeat(1_000_000);

    let page = refused(&staff, format!("姓名{line}\n").into_bytes()).await;

    assert!(page.contains("最多 100 列"), "the limit is named");
    assert_ready(&app).await;
}

#[tokio::test]
async fn a_15_mb_field_is_refused_naming_the_file_limit_and_a_long_cell_the_cell_limit() {
    let app = TestApp::spawn().await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let field = "x".repeat(15 * 1000 * 1000);

    let page = refused(&staff, format!("姓名\n\"{field}\"\n").into_bytes()).await;

    assert!(page.contains("文件不能超过 10 MB"), "the limit is named");
    let cell = "长".repeat(3_000);
    let page = refused(&staff, format!("姓名\n{cell}\n").into_bytes()).await;
    assert!(
        page.contains("最多 2,000 个字"),
        "the cell's limit is named"
    );
    assert_eq!(children(&app).await, 0);
    assert_ready(&app).await;
}

#[tokio::test]
async fn the_command_line_import_refuses_the_bomb_naming_the_limit() {
    let app = TestApp::spawn().await;
    fixtures::station(app.pool(), LONGJU).await;
    let staff = app.regional_user("staff", "510681").await;
    let file = tempfile::Builder::new().suffix(".xlsx").tempfile().unwrap();
    std::fs::write(
        file.path(),
        workbook(&[("A1", "姓名"), ("XFD1048576", "x")]),
    )
    .unwrap();
    let config = test_config("127.0.0.1:0".parse().unwrap());

    let refused = aixin::import_file(
        app.pool(),
        &config,
        "children",
        file.path(),
        &staff.username,
    )
    .await
    .unwrap_err()
    .to_string();

    assert!(
        refused.contains("一次最多导入 20,000 行") && refused.contains("At most 20,000 rows"),
        "{refused}"
    );
    assert_eq!(children(&app).await, 0);
    assert_ready(&app).await;
}

/// A 422 `validation_failed` naming `field`.
fn assert_names(status: StatusCode, body: &Value, field: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(body, "validation_failed");
    assert!(
        body["error"]["fields"][field].is_string(),
        "{field} is named: {body}"
    );
}

#[tokio::test]
async fn a_nul_in_a_query_parameter_is_refused_naming_it() {
    let app = TestApp::spawn().await;
    let (staff, _) = app.logged_in("staff", "510681").await;

    for path in [
        "/api/v1/children?q=%00",
        "/api/v1/volunteers?q=a%00b",
        "/api/v1/stations?q=%1B",
    ] {
        let (status, body) = staff.get_json(path).await;
        assert_names(status, &body, "q");
    }
    let page = staff.get("/children?q=%00").await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().await.unwrap().contains("控制字符"));
}

#[tokio::test]
async fn a_nul_in_json_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let body = json!({
        "name": "龙居\u{0}驿站",
        "region_code": LONGJU,
        "address": "汉州街道龙居路 8 号",
        "build_mode": "embedded",
        "host_site": "阳光驿站",
        "schedule": [
            { "weekday": 3, "opens": "14:00", "closes": "17:30" },
            { "weekday": 6, "opens": "9:00", "closes": "11:30" }
        ],
    });

    let (status, answer) = staff.post_json("/api/v1/stations", &body).await;
    assert_names(status, &answer, "name");

    // A tab is kept in long text only: a name is one line.
    let mut tabbed = body.clone();
    tabbed["name"] = json!("龙居\t驿站");
    let (status, answer) = staff.post_json("/api/v1/stations", &tabbed).await;
    assert_names(status, &answer, "name");
    let mut belled = body.clone();
    belled["host_site"] = json!("阳光\u{7}驿站");
    belled["schedule"][1]["opens"] = json!("9:00\u{0}");
    let (status, answer) = staff.post_json("/api/v1/stations", &belled).await;
    assert_names(status, &answer, "host_site");
    assert_names(status, &answer, "schedule[1].opens");
    let stations: i64 = sqlx::query_scalar("SELECT count(*) FROM station")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(stations, 0);
}

#[tokio::test]
async fn a_control_character_in_a_form_is_shown_at_its_field_keeping_the_input() {
    let app = TestApp::spawn().await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let fields = [
        ("name", "龙居\u{0}驿站"),
        ("region_code", LONGJU),
        ("build_mode", "embedded"),
        ("host_site", "阳光驿站"),
        ("day3", "on"),
        ("opens3", "14:00"),
        ("closes3", "17:00"),
        ("day6", "on"),
        ("opens6", "09:00"),
        ("closes6", "11:30"),
    ];

    let answer = staff.post_form("/stations", &fields).await;

    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = answer.text().await.unwrap();
    assert!(html.contains("控制字符"), "the field's error is shown");
    assert!(
        html.contains(r#"value="阳光驿站""#),
        "what was typed is kept"
    );
}

#[tokio::test]
async fn a_nul_in_the_login_form_or_a_search_page_answers_no_500() {
    let app = TestApp::spawn().await;
    let answer = app
        .post_form("/login", &[("username", "ad\u{0}min"), ("password", "x")])
        .await;
    assert!(answer.status().is_client_error(), "{}", answer.status());
    let (staff, _) = app.logged_in("staff", "510681").await;
    for path in ["/volunteers?q=%00", "/stations?q=%00", "/pairings?q=%00"] {
        let status = staff.get(path).await.status();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
    }
}

#[tokio::test]
async fn a_json_body_over_the_limit_is_refused_before_it_is_read_into_memory() {
    let app = TestApp::spawn().await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    // 300 KB of small values: read as a document, many times its size in memory.
    let zeros = format!("[{}0]", "0,".repeat(150_000));
    let login = format!(r#"{{"username": "admin", "password": {zeros}}}"#);
    let browser = app.browser();
    for (who, path, body) in [
        (&browser, "/api/v1/session", login),
        (
            &staff,
            "/api/v1/children",
            format!(r#"{{"name": {zeros}}}"#),
        ),
    ] {
        let response = who
            .http
            .post(who.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_error(&body, "payload_too_large");
    }
    // Sent in chunks, with no length declared, it is cut at the limit as it arrives.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = "POST /api/v1/session HTTP/1.1\r\nHost: aixin\r\n\
                Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("2000\r\n{}\r\n", " ".repeat(0x2000));
    for _ in 0..40 {
        // The service may answer and stop reading before the last chunk.
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = vec![0; 64];
    let n = stream.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert_eq!(children(&app).await, 0);
}
