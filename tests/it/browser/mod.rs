//! Journeys in headless Chromium, each at the size of the device its users hold — a phone of
//! 360 × 740 CSS px with touch for station managers and volunteers, a desk of 1366 × 768 for
//! county staff — in normal and in care mode (关怀版).
//!
//! On every page a journey visits: nothing scrolls sideways, axe-core (vendored for the tests
//! only, `tests/vendor/axe`) finds no violation of serious or critical impact, and on a phone
//! every control is at least 44 × 44 CSS px. Each page's first screen is saved as a PNG and its
//! time to a usable page (`domInteractive`) written beside it, in
//! `target/tmp/journeys/<journey>/` — reported, not asserted.
//!
//! Chromium is driven through chromedriver (Debian's `chromium` and `chromium-driver`).

mod desk;
mod phone;
mod print;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::harness::{PASSWORD, TestApp};

const AXE: &str = include_str!("../../vendor/axe/axe.min.js");
const CHECKS: &str = include_str!("checks.js");

/// A chromedriver of the test's own, stopped when dropped.
pub struct Driver {
    process: Child,
    port: u16,
}

impl Driver {
    pub fn start() -> Driver {
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
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The screen a journey is seen on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Phone,
    Desk,
}

impl Device {
    fn width(self) -> i64 {
        match self {
            Device::Phone => 360,
            Device::Desk => 1366,
        }
    }

    pub fn height(self) -> i64 {
        match self {
            Device::Phone => 740,
            Device::Desk => 768,
        }
    }
}

/// One browser on one device, in one mode, walking one journey.
pub struct Tab {
    pub client: Client,
    device: Device,
    care: bool,
    base: String,
    folder: PathBuf,
    shots: usize,
    transferred: i64,
    _profile: tempfile::TempDir,
}

impl Tab {
    /// A fresh headless browser with its own profile.
    pub async fn open(
        driver: &Driver,
        app: &TestApp,
        device: Device,
        care: bool,
        journey: &str,
    ) -> Tab {
        let profile = tempfile::tempdir().unwrap();
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut options = json!({"binary": "/usr/bin/chromium"});
        match device {
            Device::Phone => {
                options["mobileEmulation"] = json!({"deviceMetrics": {
                    "width": 360, "height": 740, "pixelRatio": 2.0, "touch": true
                }});
            }
            Device::Desk => args.push("--window-size=1366,768".into()),
        }
        options["args"] = json!(args);
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("starting headless Chromium");
        let mode = if care { "care" } else { "normal" };
        let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("journeys")
            .join(format!("{journey}-{mode}"));
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(&folder).unwrap();
        if device == Device::Desk {
            // The window's size is the screen's: make the page's viewport 1366 × 768.
            let inner = client
                .execute("return [window.innerWidth, window.innerHeight]", vec![])
                .await
                .unwrap();
            let (w, h) = (inner[0].as_i64().unwrap(), inner[1].as_i64().unwrap());
            client
                .set_window_size((1366 + 1366 - w) as u32, (768 + 768 - h) as u32)
                .await
                .unwrap();
        }
        Tab {
            client,
            device,
            care,
            base: app.url(""),
            folder,
            shots: 0,
            transferred: 0,
            _profile: profile,
        }
    }

    /// Goes to `path` and checks the page (`step` names its screenshot).
    pub async fn visit(&mut self, path: &str, step: &str) -> String {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
        self.check(step).await
    }

    /// Logs in on the login page as she would, in the tab's mode, and checks where she lands.
    pub async fn log_in(&mut self, username: &str, lands_on: &str) {
        self.client
            .goto(&format!("{}/login", self.base))
            .await
            .unwrap();
        if self.care {
            // As the header's 关怀版 switch leaves it.
            self.run("document.cookie = 'aixin_care=1; path=/'").await;
            self.client.refresh().await.unwrap();
            assert_eq!(
                self.run("return document.documentElement.className").await,
                json!("care")
            );
        }
        self.check("login").await;
        self.type_in("#username", username).await;
        self.type_in("#password", PASSWORD).await;
        self.click("main form button[type=submit]").await;
        self.wait_for(|p| p == lands_on).await;
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    /// Clicks the first element `css` finds, scrolled to the middle of the screen as a thumb
    /// would (the log form's Save bar covers the bottom edge).
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'})",
                vec![serde_json::to_value(&element).unwrap()],
            )
            .await
            .unwrap();
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
    }

    pub async fn type_in(&self, css: &str, text: &str) {
        self.find(css).await.send_keys(text).await.unwrap();
    }

    pub async fn run(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    pub async fn html(&self) -> String {
        self.client.source().await.unwrap()
    }

    /// Waits until the address is one `wanted` accepts, and answers its path.
    pub async fn wait_for(&self, wanted: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let url = self.client.current_url().await.unwrap();
            let ready = self.run("return document.readyState").await;
            if wanted(url.path()) && ready == json!("complete") {
                return url.path().to_owned();
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "still at {url}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The checks of every page: no sideways scroll, no serious or critical axe violation,
    /// thumb-sized controls on a phone; then the screenshot and the time to a usable page.
    /// Answers the page's HTML.
    pub async fn check(&mut self, step: &str) -> String {
        let url = self.client.current_url().await.unwrap();
        self.run(AXE).await;
        let report = self
            .client
            .execute_async(CHECKS, vec![json!(self.device == Device::Phone)])
            .await
            .unwrap();
        let width = report["width"].as_i64().unwrap();
        assert!(
            width <= self.device.width(),
            "{url} is {width} px wide on a {}-px screen: {:#?}",
            self.device.width(),
            report["wide"]
        );
        let strings = |key: &str| -> Vec<String> {
            report[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        let violations = strings("violations");
        assert!(violations.is_empty(), "{url}: {violations:#?}");
        let small = strings("small");
        assert!(
            small.is_empty(),
            "{url}: controls under 44 × 44 px: {small:#?}"
        );

        self.shots += 1;
        let png = self.client.screenshot().await.unwrap();
        let name = format!("{:02}-{step}.png", self.shots);
        std::fs::write(self.folder.join(&name), png).unwrap();
        let mut times = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.folder.join("usable.txt"))
            .unwrap();
        writeln!(
            times,
            "{name}\t{}\tusable after {} ms\t{} bytes transferred",
            url.path(),
            report["usable_ms"],
            report["transferred"]
        )
        .unwrap();
        self.transferred = report["transferred"].as_i64().unwrap_or(0);
        self.html().await
    }

    /// Bytes the last checked page and what it loaded took over the wire.
    pub fn transferred(&self) -> i64 {
        self.transferred
    }

    /// How tall the page is, in screens of the device.
    pub async fn screens(&self) -> f64 {
        let height = self
            .run("return document.documentElement.scrollHeight")
            .await
            .as_f64()
            .unwrap();
        height / self.device.height() as f64
    }

    pub async fn close(self) {
        self.client.close().await.unwrap();
    }
}
