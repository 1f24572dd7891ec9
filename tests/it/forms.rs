//! Forms as people meet them: a refused form says which fields and links to each; an error
//! page keeps the menu and the way back; the account form's station picker; the concern lists.

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::fixtures::{self, LONGJU, YUNDING};
use crate::harness::TestApp;

/// The `href="#…"` links of a page's error summary.
fn summary_links(html: &str) -> Vec<String> {
    let start = html
        .find("error-summary")
        .expect("the page has an error summary");
    let end = start + html[start..].find("</div>").unwrap();
    html[start..end]
        .split("href=\"#")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_error_summary_names_each_field_and_links_to_it() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await.to_string();
    let (staff, _) = app.logged_in("staff", "510681").await;
    let refused = staff
        .post_form(
            "/children",
            &[
                ("name", "  "),
                ("gender", "male"),
                ("birth_date", "2017-02-30"),
                ("category", "left_behind"),
                ("region_code", "510681002006"),
                ("station_id", station.as_str()),
                ("guardian_name", "陈爷爷"),
                ("guardian_relation", "grandfather"),
                ("guardian_phone", "1370000"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    let links = summary_links(&html);
    assert!(
        links.contains(&"name".to_owned()) && links.contains(&"birth_date".to_owned()),
        "{links:?}"
    );
    // Each link leads to a field of the page, named as its label names it.
    for id in &links {
        assert!(html.contains(&format!("id=\"{id}\"")), "no field #{id}");
    }
    assert!(
        html.contains(r##"<a href="#birth_date">出生日期</a>："##),
        "{html}"
    );
    assert!(html.contains(r##"<a href="#name">姓名</a>："##));
    // Spaces are no name: trimmed, then refused; nothing is written.
    let children: i64 = sqlx::query_scalar("SELECT count(*) FROM child")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(children, 0);
}

#[tokio::test]
async fn an_error_page_keeps_the_menu_and_the_way_back() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let (child, guardian) = fixtures::child(app.pool(), station).await;
    let consent = fixtures::consent(app.pool(), child, guardian, "pairing").await;
    let (staff, _) = app.logged_in("staff", "510681").await;

    // A page that does not exist: the reader keeps her menu.
    let missing = staff.get("/no-such-page").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let html = missing.text().await.unwrap();
    assert!(html.contains(r#"<nav class="menu""#) && html.contains(r#"href="/children""#));

    // A form without a page of its own to come back to: the refusal names the field in words
    // and leads back to the page the form was on.
    let from = staff.url(&format!("/children/{child}"));
    let refused = staff
        .http
        .post(staff.url(&format!("/consents/{consent}/withdraw")))
        .header("origin", staff.url(""))
        .header("referer", &from)
        .form(&[("withdrawn_on", "not a date")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("撤回日期"), "{html}");
    assert!(html.contains(&format!(r#"href="/children/{child}""#)));
    assert!(html.contains(r#"<nav class="menu""#));
    let withdrawn: Option<time::Date> =
        sqlx::query_scalar("SELECT withdrawn_on FROM consent WHERE id = $1")
            .bind(consent)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(withdrawn, None);

    // Not logged in: no menu, and still an answer in words.
    let html = app.get("/no-such-page").await.text().await.unwrap();
    assert!(!html.contains(r#"<nav class="menu""#));
}

#[tokio::test]
async fn the_account_form_picks_stations_by_county_and_the_account_page_lists_them() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let guanghan = fixtures::station(p, LONGJU).await;
    let nanjiang = fixtures::station(p, YUNDING).await;
    let (admin, _) = app.logged_in("admin", "51").await;

    // Two stations of one name, told apart by county and place.
    let html = admin.get("/admin/users/new").await.text().await.unwrap();
    assert!(html.contains("德阳市 · 广汉市") && html.contains("巴中市 · 南江县"));
    assert!(html.contains("汉州街道 · 龙居社区") && html.contains("云顶镇"));
    assert_eq!(html.matches("龙居社区爱心妈妈驿站").count(), 2);
    // Each under its county, the counties in the order of their codes.
    let at = |text: &str| html.find(text).unwrap();
    assert!(at("德阳市 · 广汉市") < at(&guanghan.to_string()));
    assert!(at(&guanghan.to_string()) < at("巴中市 · 南江县"));
    assert!(at("巴中市 · 南江县") < at(&nanjiang.to_string()));

    // A manager without a station: the message sits at the top of the picker.
    let refused = admin
        .post_form(
            "/admin/users",
            &[
                ("username", "liuzhanzhang"),
                ("display_name", "刘站长"),
                ("role", "station_manager"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    let picker = html.find(r#"id="station_ids""#).unwrap();
    let error = html[picker..].find("field-error").unwrap();
    let first_station = html[picker..].find("name=\"station_ids\"").unwrap();
    assert!(error < first_station, "the error sits above the stations");
    assert!(summary_links(&html).contains(&"station_ids".to_owned()));

    let created = admin
        .post_form(
            "/admin/users",
            &[
                ("username", "liuzhanzhang"),
                ("display_name", "刘站长"),
                ("role", "station_manager"),
                ("station_ids", &nanjiang.to_string()),
            ],
        )
        .await;
    assert!(created.status().is_success(), "{}", created.status());
    let id: Uuid = sqlx::query_scalar("SELECT id FROM app_user WHERE username = 'liuzhanzhang'")
        .fetch_one(p)
        .await
        .unwrap();
    let html = admin
        .get(&format!("/admin/users/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let facts = &html[..html.find("<section").unwrap()];
    assert!(facts.contains(&format!(r#"href="/stations/{nanjiang}""#)));
    assert!(facts.contains("巴中市 · 南江县") && !facts.contains(&guanghan.to_string()));
}

#[tokio::test]
async fn concerns_come_gravest_first_and_resolved_ones_keep_their_history() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let child = fixtures::pairable_child(p, station).await;
    let pairing = fixtures::pair(p, child, volunteer, station).await.unwrap();
    let mut ids = Vec::new();
    // Raised in this order; the gravest (abuse or neglect) last.
    for (category, detail) in [
        ("school", "作业常常没做完"),
        ("health", "一直咳嗽"),
        ("health", "牙疼了一周"),
        ("abuse_neglect", "身上有淤青"),
    ] {
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO contact (pairing_id, contacted_on, mode, concern_category, concern_detail)
             VALUES ($1, (now() AT TIME ZONE 'Asia/Shanghai')::date, 'home_visit',
                     $2::concern_category, $3)
             RETURNING id",
        )
        .bind(pairing)
        .bind(category)
        .bind(detail)
        .fetch_one(p)
        .await
        .unwrap();
        ids.push(id);
    }
    let (staff, _) = app.logged_in("staff", "510681").await;
    let (status, body) = staff.get_json("/api/v1/concerns").await;
    assert_eq!(status, StatusCode::OK);
    let details: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["concern_detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        details,
        ["身上有淤青", "牙疼了一周", "一直咳嗽", "作业常常没做完"]
    );

    // Handled: it leaves the open list for the resolved one, with who did what.
    let done = staff
        .post_form(
            &format!("/concerns/{}/resolve", ids[3]),
            &[("resolution", "  已报告派出所和村儿童主任，孩子暂住外婆家  ")],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let (_, body) = staff.get_json("/api/v1/concerns?status=resolved").await;
    assert_eq!(body["total"], json!(1));
    let resolved = &body["items"][0];
    assert_eq!(resolved["concern_detail"], json!("身上有淤青"));
    assert_eq!(
        resolved["resolution"],
        json!("已报告派出所和村儿童主任，孩子暂住外婆家")
    );
    assert!(resolved["resolved_at"].is_string() && resolved["resolved_by"].is_string());
    let (_, open) = staff.get_json("/api/v1/concerns").await;
    assert_eq!(open["total"], json!(3));
    let page = staff
        .get("/concerns?status=resolved")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("已报告派出所") && page.contains(r#"aria-current="page">已处理"#));

    // Only open or resolved.
    let (status, body) = staff.get_json("/api/v1/concerns?status=closed").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["status"].is_string());
}

#[tokio::test]
async fn the_audit_log_reads_as_sentences() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let (child, guardian) = fixtures::child(p, station).await;
    sqlx::query("UPDATE child SET name = '李小明' WHERE id = $1")
        .bind(child)
        .execute(p)
        .await
        .unwrap();
    let (staff, user) = app.logged_in("staff", "510681").await;
    sqlx::query("UPDATE app_user SET display_name = '王芳' WHERE id = $1")
        .bind(user.id)
        .execute(p)
        .await
        .unwrap();
    let revealed = staff
        .post_form(
            &format!("/children/{child}/reveal"),
            &[
                ("field", "guardian_phone"),
                ("guardian_id", &guardian.to_string()),
            ],
        )
        .await;
    assert_eq!(revealed.status(), StatusCode::OK);

    let (admin, _) = app.logged_in("admin", "510681").await;
    let page = admin
        .get("/admin/audit?action=reveal")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("王芳 查看了监护人「李奶奶」的手机号"),
        "{page}"
    );
    // No raw kinds, ids or JSON.
    assert!(!page.contains("{&quot;") && !page.contains(&guardian.to_string()));

    // Opening the child's page is heard too, with a link to her record.
    staff.get(&format!("/children/{child}")).await;
    let page = admin
        .get("/admin/audit?action=view")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("王芳 查看了儿童「李小明」"), "{page}");
    assert!(page.contains(&format!(r#"href="/children/{child}""#)));

    // An export of full numbers says so.
    let full = admin.get("/api/v1/children?format=xlsx&full=true").await;
    assert_eq!(full.status(), StatusCode::OK);
    let page = admin
        .get("/admin/audit?action=export")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("导出了儿童名单（1 行）（含完整身份证号和电话）"),
        "{page}"
    );
}

#[tokio::test]
async fn the_monthly_report_names_each_column_once_and_the_dashboard_says_what_a_rate_counts() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let manager = app.station_manager(&[station]).await;
    let browser = app.browser();
    browser
        .log_in(&manager.username, crate::harness::PASSWORD)
        .await;
    let html = browser.get("/reports/monthly").await.text().await.unwrap();
    let heads: Vec<&str> = html
        .split(r#"<th scope="col""#)
        .skip(1)
        .map(|rest| {
            let text = &rest[rest.find('>').unwrap() + 1..];
            &text[..text.find("</th>").unwrap()]
        })
        .collect();
    assert!(
        heads.contains(&"驿站名称") && heads.contains(&"驿站数"),
        "{heads:?}"
    );
    let mut unique = heads.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), heads.len(), "{heads:?}");

    let html = browser.get("/dashboard").await.text().await.unwrap();
    assert!(html.contains("按计划开放的驿站占比") && html.contains("个达到每周开放计划"));
    assert!(html.contains("完成培训的爱心妈妈"));
}
