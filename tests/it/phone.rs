//! Journeys in headless Chromium at the size of a phone: 360 CSS pixels wide, touch, no mouse.
//!
//! Chromium is driven through chromedriver (Debian's `chromium` and `chromium-driver`).

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::fixtures::{self, LONGJU};
use crate::harness::{PASSWORD, TestApp};

/// A chromedriver of this test's own, stopped when dropped.
struct Driver {
    process: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is missing: apt-get install chromium chromium-driver");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { process, port }
    }

    /// A fresh headless browser with a phone's screen, its profile in `profile`.
    async fn phone(&self, profile: &std::path::Path) -> Client {
        let options = json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.display()),
            ],
            "mobileEmulation": {
                "deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 2.0, "touch": true}
            }
        });
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("starting headless Chromium")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The page is no wider than the phone: nothing to scroll sideways.
async fn fits_the_phone(browser: &Client) {
    let width = browser
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap();
    assert!(
        width.as_i64().unwrap() <= 360,
        "{} is {width} px wide",
        browser.current_url().await.unwrap()
    );
}

async fn wait_for_path(browser: &Client, wanted: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let url = browser.current_url().await.unwrap();
        if wanted(url.path()) {
            return url.path().to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "still at {url}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manager_logs_a_session_of_twenty_children_on_a_phone() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    for _ in 0..20 {
        fixtures::child(p, station).await;
    }
    for _ in 0..3 {
        fixtures::volunteer(p, station, "active", 2).await;
    }
    let manager = app.station_manager(&[station]).await;
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let phone = driver.phone(profile.path()).await;

    // Log in on the login page, as she would.
    phone.goto(&app.url("/login")).await.unwrap();
    fits_the_phone(&phone).await;
    let field = |name: &'static str| phone.find(Locator::Css(name));
    field("#username")
        .await
        .unwrap()
        .send_keys(&manager.username)
        .await
        .unwrap();
    field("#password")
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    field("main form button[type=submit]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&phone, |p| p == "/dashboard").await;

    // Log the session: twenty children, three volunteers (one hosting), five guardians.
    let started = Instant::now();
    phone.goto(&app.url("/activities/new")).await.unwrap();
    fits_the_phone(&phone).await;
    // With the page's script: the training topic hides for a tutoring session, and the list
    // narrows as she types a name.
    let topic_hidden = phone
        .execute(
            "return document.getElementById('topic-field').hidden",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(topic_hidden, json!(true));
    field("#q")
        .await
        .unwrap()
        .send_keys("没有这个名字")
        .await
        .unwrap();
    let shown =
        "return [...document.querySelectorAll('#children .tick')].filter(t => !t.hidden).length";
    assert_eq!(phone.execute(shown, vec![]).await.unwrap(), json!(0));
    phone
        .execute(
            "const q = document.getElementById('q'); q.value = ''; q.dispatchEvent(new Event('input'))",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(phone.execute(shown, vec![]).await.unwrap(), json!(20));
    let children = phone
        .find_all(Locator::Css("input[name=child]"))
        .await
        .unwrap();
    assert_eq!(children.len(), 20);
    for child in &children {
        child.click().await.unwrap();
    }
    for volunteer in phone
        .find_all(Locator::Css("input[name=volunteer]"))
        .await
        .unwrap()
    {
        volunteer.click().await.unwrap();
    }
    field("input[name=host]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let guardians = field("#guardian_count").await.unwrap();
    guardians.clear().await.unwrap();
    guardians.send_keys("5").await.unwrap();
    field("#save").await.unwrap().click().await.unwrap();
    let at = wait_for_path(&phone, |p| {
        p.starts_with("/activities/") && p.len() == "/activities/".len() + 36
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(60));

    // The session's page: the message, and 20 + 3 + 5 person-visits.
    fits_the_phone(&phone).await;
    let html = phone.source().await.unwrap();
    assert!(html.contains("活动已记录"));
    assert!(html.contains("<strong>28</strong>"), "{html}");
    let id = at.trim_start_matches("/activities/");
    let (children, volunteers, hosts): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(child_id), count(volunteer_id), count(*) FILTER (WHERE is_host)
         FROM attendance WHERE activity_id = $1::uuid",
    )
    .bind(id)
    .fetch_one(p)
    .await
    .unwrap();
    assert_eq!((children, volunteers, hosts), (20, 3, 1));

    // The station's open days and person-visits follow.
    phone
        .goto(&app.url(&format!("/stations/{station}")))
        .await
        .unwrap();
    let html = phone.source().await.unwrap();
    assert!(html.contains("<strong>1</strong> / 12"));
    assert!(html.contains("人次: <strong>28</strong>"));
    phone.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_volunteer_logs_a_home_visit_with_a_concern_on_her_phone() {
    let app = TestApp::spawn().await;
    let p = app.pool();
    let station = fixtures::station(p, LONGJU).await;
    let volunteer = fixtures::volunteer(p, station, "active", 2).await;
    let mut pairings = Vec::new();
    for name in ["王小明", "陈小雨"] {
        let child = fixtures::pairable_child(p, station).await;
        sqlx::query("UPDATE child SET name = $2 WHERE id = $1")
            .bind(child)
            .bind(name)
            .execute(p)
            .await
            .unwrap();
        pairings.push(fixtures::pair(p, child, volunteer, station).await.unwrap());
    }
    let mother = app.volunteer_user(volunteer).await;
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let phone = driver.phone(profile.path()).await;

    phone.goto(&app.url("/login")).await.unwrap();
    let field = |css: &'static str| phone.find(Locator::Css(css));
    field("#username")
        .await
        .unwrap()
        .send_keys(&mother.username)
        .await
        .unwrap();
    field("#password")
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    field("main form button[type=submit]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&phone, |p| p == "/me").await;
    fits_the_phone(&phone).await;
    let home = phone.source().await.unwrap();
    assert!(home.contains("小明") && home.contains("小雨") && !home.contains("王小明"));

    // Open her first child and log a home visit that raises a concern.
    let started = Instant::now();
    phone
        .find(Locator::LinkText("小明"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&phone, |p| p.starts_with("/me/pairings/")).await;
    fits_the_phone(&phone).await;
    field("input[name=mode][value=home_visit]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    field("#duration_minutes")
        .await
        .unwrap()
        .send_keys("45")
        .await
        .unwrap();
    field("input[name=topics][value=study]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    field("#note")
        .await
        .unwrap()
        .send_keys("辅导数学作业，聊了学校的事")
        .await
        .unwrap();
    field("#log details summary")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    field("#concern_category option[value=health]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    field("#concern_detail")
        .await
        .unwrap()
        .send_keys("一直咳嗽，奶奶没带去看病")
        .await
        .unwrap();
    field("#log button[type=submit]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The answer is the same page again, now with a message.
    phone
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("main .flash"))
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(60));

    // The entry is listed, with the concern, and the message says it was reported.
    fits_the_phone(&phone).await;
    let html = phone.source().await.unwrap();
    assert!(html.contains("关注事项已报告给驿站和县妇联"), "{html}");
    assert!(html.contains("辅导数学作业") && html.contains("健康问题"));
    phone.close().await.unwrap();

    // The staff member of her county sees it on the pairing's page.
    let (county, _) = app.logged_in("staff", "510681").await;
    let record = county
        .get(&format!("/pairings/{}", pairings[0]))
        .await
        .text()
        .await
        .unwrap();
    assert!(record.contains("辅导数学作业") && record.contains("一直咳嗽"));
}
