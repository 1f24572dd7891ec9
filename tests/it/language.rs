//! Language: names in pinyin order, spreadsheets in the language of the page they came from,
//! and English pages that read as English (their lists, brackets, needs and skills).

use std::io::Cursor;

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, HeaderMap, HeaderValue};
use uuid::Uuid;

use crate::fixtures::{self, LONGJU};
use crate::harness::{Browser, PASSWORD, TestApp};

const NAMES: [&str; 3] = ["张三", "李四", "王五"];
const PINYIN: [&str; 3] = ["李四", "王五", "张三"];

async fn named_child(db: &sqlx::PgPool, station: Uuid, name: &str, needs: &str) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO child (name, gender, birth_date, category, region_code, station_id, needs)
         SELECT $1, 'female', DATE '2016-05-04', 'left_behind', s.region_code, s.id, $3::child_need[]
         FROM station s WHERE s.id = $2 RETURNING id",
    )
    .bind(name)
    .bind(station)
    .bind(needs)
    .fetch_one(db)
    .await
    .unwrap()
}

async fn named_volunteer(db: &sqlx::PgPool, station: Uuid, name: &str, skills: &[&str]) -> Uuid {
    let v = fixtures::volunteer(db, station, "active", 2).await;
    sqlx::query("UPDATE volunteer SET name = $1, skills = $2 WHERE id = $3")
        .bind(name)
        .bind(skills)
        .bind(v)
        .execute(db)
        .await
        .unwrap();
    v
}

/// A browser whose every request says it prefers `accept_language`.
fn browser_preferring(app: &TestApp, accept_language: &'static str) -> Browser {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_static(accept_language));
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap();
    Browser::with_client(&app.url(""), http)
}

/// Switches the browser's pages to `lang` (the header's language switch).
async fn switch_to(browser: &Browser, lang: &str) {
    let response = browser
        .post_form("/preferences", &[("lang", lang), ("back", "/")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

async fn page(browser: &Browser, path: &str) -> String {
    let response = browser.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

/// Where each name first appears in `text`, asserting it does.
fn positions(text: &str, names: &[&str]) -> Vec<usize> {
    names
        .iter()
        .map(|n| text.find(n).unwrap_or_else(|| panic!("{n} is not shown")))
        .collect()
}

fn in_order(text: &str, names: &[&str]) -> bool {
    positions(text, names).windows(2).all(|w| w[0] < w[1])
}

async fn api_names(browser: &Browser, path: &str) -> Vec<String> {
    let (status, body) = browser.get_json(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn lists_by_name_read_in_pinyin_order() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    for name in NAMES {
        named_child(p, station, name, "{}").await;
        named_volunteer(p, station, name, &[]).await;
    }
    for name in ["张家驿站", "李家驿站", "王家驿站"] {
        sqlx::query(
            "INSERT INTO station (name, region_code, build_mode, open_days_per_week)
             VALUES ($1, $2, 'embedded', 3)",
        )
        .bind(name)
        .bind(LONGJU)
        .execute(p)
        .await
        .unwrap();
    }
    let (staff, _) = app.logged_in("staff", "510681").await;

    for list in ["children", "volunteers"] {
        assert_eq!(
            api_names(&staff, &format!("/api/v1/{list}?sort=name")).await,
            PINYIN,
            "{list} by name through the API"
        );
        assert_eq!(
            api_names(&staff, &format!("/api/v1/{list}")).await,
            PINYIN,
            "{list} in their default order, by name"
        );
        let html = page(&staff, &format!("/{list}?sort=name")).await;
        assert!(
            in_order(&html, &PINYIN),
            "{list} page: {:?}",
            positions(&html, &NAMES)
        );
    }
    let stations = api_names(&staff, "/api/v1/stations?sort=name").await;
    let ours: Vec<&str> = stations
        .iter()
        .map(String::as_str)
        .filter(|n| n.ends_with("家驿站"))
        .collect();
    assert_eq!(
        ours,
        ["李家驿站", "王家驿站", "张家驿站"],
        "stations by name"
    );

    // The log form of a session offers the station's children (then its volunteers) by name.
    let manager = app.station_manager(&[station]).await;
    let browser = app.browser();
    browser.log_in(&manager.username, PASSWORD).await;
    let form = page(&browser, &format!("/activities/new?station_id={station}")).await;
    assert!(
        in_order(&form, &PINYIN),
        "the log form: {:?}",
        positions(&form, &NAMES)
    );
}

/// The first row of the spreadsheet a page's export link downloads.
async fn export_header(browser: &Browser, html: &str) -> Vec<String> {
    let start = html
        .find("class=\"export\"><a href=\"")
        .expect("an export link")
        + 24;
    let link = html[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let response = browser.get(&link).await;
    assert_eq!(response.status(), StatusCode::OK, "{link}");
    let bytes = response.bytes().await.unwrap();
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect()
}

#[tokio::test]
async fn a_spreadsheet_is_in_the_language_of_the_page_whatever_the_browser_prefers() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    named_child(p, station, "李四", "{academic}").await;
    named_volunteer(p, station, "王五", &["学业辅导"]).await;
    let user = app.regional_user("staff", "510681").await;

    // An English browser reading the pages in Chinese (the default) gets Chinese sheets.
    let chinese_page = browser_preferring(&app, "en-GB,en;q=0.9");
    chinese_page.log_in(&user.username, PASSWORD).await;
    let html = page(&chinese_page, "/children").await;
    assert!(html.contains("<html lang=\"zh-CN\""));
    assert_eq!(export_header(&chinese_page, &html).await[0], "姓名");
    let html = page(&chinese_page, "/volunteers").await;
    let header = export_header(&chinese_page, &html).await;
    assert_eq!(header[0], "姓名", "{header:?}");

    // A Chinese browser whose reader switched the pages to English gets English sheets.
    let english_page = browser_preferring(&app, "zh-CN,zh;q=0.9");
    english_page.log_in(&user.username, PASSWORD).await;
    switch_to(&english_page, "en").await;
    let children = page(&english_page, "/children").await;
    assert!(children.contains("<html lang=\"en\""));
    assert_eq!(export_header(&english_page, &children).await[0], "Name");
    let volunteers = page(&english_page, "/volunteers").await;
    let header = export_header(&english_page, &volunteers).await;
    assert_eq!(header[0], "Name", "{header:?}");
    assert!(
        header
            .iter()
            .all(|h| !h.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)))
    );

    // The link of a page read in English still gives English after the language was switched
    // back in another tab: the sheet follows the page it was asked from.
    switch_to(&english_page, "zh-CN").await;
    assert_eq!(export_header(&english_page, &children).await[0], "Name");
    assert_eq!(
        export_header(&english_page, &page(&english_page, "/children").await).await[0],
        "姓名"
    );
}

/// The text of the `<dd>` after the `<dt>` labelled `label`.
fn described(html: &str, label: &str) -> String {
    let at = html
        .find(&format!("<dt>{label}</dt>"))
        .unwrap_or_else(|| panic!("no {label}"));
    let rest = &html[at..];
    let start = rest.find("<dd>").unwrap() + 4;
    let end = rest.find("</dd>").unwrap();
    rest[start..end].to_owned()
}

/// Each Chinese list separator, bracket or colon on a page, with the text around it.
fn chinese_punctuation(html: &str) -> Vec<String> {
    let chars: Vec<char> = html.chars().collect();
    (0..chars.len())
        .filter(|&i| "、，（）：".contains(chars[i]))
        .map(|i| {
            chars[i.saturating_sub(30)..(i + 30).min(chars.len())]
                .iter()
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn english_pages_show_needs_and_skills_in_english_each_once() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    // A need and a skill recorded twice (as older demo data has them) show once.
    let child = named_child(p, station, "李四", "{emotional,academic,emotional}").await;
    sqlx::query(
        "INSERT INTO guardian (child_id, name, relation, phone)
         VALUES ($1, '李奶奶', 'grandmother', '13812345678')",
    )
    .bind(child)
    .execute(p)
    .await
    .unwrap();
    let volunteer =
        named_volunteer(p, station, "王五", &["学业辅导", "心理", "心理", "养蜂"]).await;
    let (staff, _) = app.logged_in("staff", "510681").await;

    let html = page(&staff, &format!("/children/{child}")).await;
    assert_eq!(described(&html, "需求"), "情感、学业");
    let html = page(&staff, &format!("/volunteers/{volunteer}")).await;
    assert_eq!(described(&html, "特长"), "学业辅导、心理、养蜂");

    switch_to(&staff, "en").await;
    let html = page(&staff, &format!("/children/{child}")).await;
    assert_eq!(described(&html, "Needs"), "Emotional, Study");
    assert!(
        html.contains("李奶奶 (Grandmother)"),
        "the guardian and her relation"
    );
    assert_eq!(
        chinese_punctuation(&html),
        Vec::<String>::new(),
        "the child's page in English"
    );

    let html = page(&staff, &format!("/volunteers/{volunteer}")).await;
    assert_eq!(described(&html, "Skills"), "Tutoring, Counselling, 养蜂");
    assert_eq!(
        chinese_punctuation(&html),
        Vec::<String>::new(),
        "the volunteer's page in English"
    );

    let html = page(&staff, "/volunteers").await;
    assert!(
        html.contains("Tutoring, Counselling, 养蜂"),
        "the volunteer list"
    );
    assert_eq!(
        chinese_punctuation(&html),
        Vec::<String>::new(),
        "the volunteer list in English"
    );
}

/// The terms of an `ORDER BY` (or of a list's order given to `page_ordered_by!`), split at the
/// commas outside brackets, up to where the clause ends.
fn order_terms(clause: &str) -> Vec<String> {
    let clause = clause
        .split(['"', '\n'])
        .next()
        .unwrap_or("")
        .split(" LIMIT")
        .next()
        .unwrap_or("");
    let (mut terms, mut term, mut depth) = (Vec::new(), String::new(), 0);
    for c in clause.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => break,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(std::mem::take(&mut term));
                continue;
            }
            _ => {}
        }
        term.push(c);
    }
    terms.push(term);
    terms.into_iter().map(|t| t.trim().to_owned()).collect()
}

/// Every query that orders by a person's or a station's name orders in pinyin (the collation
/// `zh_pinyin`, whose indexes serve the province's lists); a new one cannot forget it.
#[test]
fn every_order_by_a_name_is_in_pinyin_order() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    let mut unordered = Vec::new();
    let mut seen = 0;
    for file in files
        .iter()
        .filter(|f| !f.starts_with(root.join("src/seed")))
    {
        let text = std::fs::read_to_string(file).unwrap();
        for marker in ["ORDER BY ", "page_ordered_by!(\""] {
            for (at, _) in text.match_indices(marker) {
                for term in order_terms(&text[at + marker.len()..]) {
                    let first = term.split_whitespace().next().unwrap_or("");
                    let names_a_name = first.split(['.', '(', ',']).any(|w| {
                        matches!(w, "name" | "display_name" | "child_name" | "volunteer_name")
                    });
                    if names_a_name {
                        seen += 1;
                        if !term.contains("COLLATE zh_pinyin") {
                            unordered.push(format!(
                                "{}: {term}",
                                file.strip_prefix(root).unwrap().display()
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(seen >= 10, "the name orders were found ({seen})");
    assert!(
        unordered.is_empty(),
        "ordered by name in code-point order: {unordered:#?}"
    );
}
