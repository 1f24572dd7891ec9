//! Recruiting from a station's poster: the public application works without a session, is
//! rate-limited per address, refuses a known number without saying so, and brings the
//! applicant to her station only — where its manager sees her.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::fixtures::{self, LONGJU, YUNDING};
use crate::harness::{Browser, PASSWORD, TestApp};

fn application<'a>(name: &'a str, phone: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("phone", phone),
        ("region_code", "510681002"),
        ("skills", "tutoring"),
        ("skills", "storytelling"),
        ("skills_other", "养蜂"),
        ("available", "weekend"),
        ("available", "weekday_evening"),
        ("consent", "yes"),
    ]
}

async fn manager(app: &TestApp, station: Uuid) -> Browser {
    let user = app.station_manager(&[station]).await;
    let browser = app.browser();
    browser.log_in(&user.username, PASSWORD).await;
    browser
}

#[tokio::test]
async fn a_woman_applies_without_a_login_and_her_stations_manager_sees_her() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let other = fixtures::station(app.pool(), LONGJU).await;
    let path = format!("/apply/{station}");

    let page = app.get(&path).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("申请成为爱心妈妈") && html.contains("个人信息的使用"));
    assert!(
        html.contains("value=\"510681002\" selected"),
        "her station's township first"
    );

    // No consent: nothing is written and what she typed comes back.
    let mut unconsented = application("王秀兰", "13912345678");
    unconsented.retain(|(k, _)| *k != "consent");
    let refused = app.post_form(&path, &unconsented).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("请阅读并勾选同意") && html.contains("value=\"王秀兰\""));
    assert!(html.contains("value=\"tutoring\" checked"));

    let done = app
        .post_form(&path, &application("王秀兰", "139 1234 5678"))
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    let first = done.text().await.unwrap();
    assert!(first.contains("申请已收到"));
    let (status, station_id, skills, available, region): (
        String,
        Uuid,
        Vec<String>,
        Vec<String>,
        String,
    ) = sqlx::query_as(
        "SELECT status::text, station_id, skills, available, region_code FROM volunteer
             WHERE phone = '13912345678' AND applied_online_at IS NOT NULL",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!((status.as_str(), station_id), ("applied", station));
    assert_eq!(
        skills,
        ["学业辅导", "讲故事", "养蜂"].map(String::from).to_vec()
    );
    assert_eq!(
        available,
        ["weekend", "weekday_evening"].map(String::from).to_vec()
    );
    assert_eq!(region, "510681002");

    // The same number again, under another name: the same page, nothing written.
    let again = app
        .post_form(&path, &application("李四", "13912345678"))
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(
        again.text().await.unwrap(),
        first,
        "nothing tells the two apart"
    );
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM volunteer")
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert_eq!(names, ["王秀兰"]);

    // Her station's manager sees her; another station's does not.
    let mine = manager(&app, station).await;
    let dashboard = mine.get("/dashboard").await.text().await.unwrap();
    assert!(dashboard.contains("新的爱心妈妈申请") && dashboard.contains("王秀兰"));
    let theirs = manager(&app, other).await;
    let dashboard = theirs.get("/dashboard").await.text().await.unwrap();
    assert!(!dashboard.contains("王秀兰"));
    let (far, _) = app.logged_in("staff", "511922").await;
    let dashboard = far.get("/dashboard").await.text().await.unwrap();
    assert!(!dashboard.contains("王秀兰"));

    // A closed station, or none, has no application page.
    sqlx::query("UPDATE station SET status = 'closed' WHERE id = $1")
        .bind(other)
        .execute(app.pool())
        .await
        .unwrap();
    assert_eq!(
        app.get(&format!("/apply/{other}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/apply/{}", Uuid::new_v4()))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_address_sends_ten_applications_an_hour_even_all_at_once() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), YUNDING).await;
    let path = format!("/apply/{station}");
    let base = app.url("");
    let mut sent = tokio::task::JoinSet::new();
    for i in 0..15 {
        let phone = format!("139123456{i:02}");
        let mut form: Vec<(String, String)> = application("王秀兰", &phone)
            .into_iter()
            .filter(|(k, _)| *k != "region_code")
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        form.push(("region_code".into(), "511922132".into()));
        let (url, origin) = (format!("{base}{path}"), base.clone());
        sent.spawn(async move {
            let answer = reqwest::Client::new()
                .post(url)
                .header("origin", origin)
                .form(&form)
                .send()
                .await
                .unwrap();
            (
                answer.status(),
                answer.headers().contains_key("retry-after"),
            )
        });
    }
    let answers = sent.join_all().await;
    let taken = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let refused: Vec<bool> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS)
        .map(|(_, retry)| *retry)
        .collect();
    assert_eq!((taken, refused.len()), (10, 5), "{answers:?}");
    assert!(
        refused.iter().all(|retry| *retry),
        "Retry-After on each refusal"
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM volunteer")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(count, 10);
}

#[tokio::test]
async fn a_poster_holds_the_public_address_in_its_qr_code() {
    let app =
        TestApp::spawn_with_vars(&[("AIXIN_PUBLIC_URL", "https://aixin.example.gov.cn/")]).await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let poster = staff.get(&format!("/stations/{station}/poster")).await;
    assert_eq!(poster.status(), StatusCode::OK);
    let html = poster.text().await.unwrap();
    assert!(html.contains(&format!("https://aixin.example.gov.cn/apply/{station}")));
    assert!(html.contains("<svg") && !html.contains("AIXIN_PUBLIC_URL"));
    let (far, _) = app.logged_in("staff", "511922").await;
    assert_eq!(
        far.get(&format!("/stations/{station}/poster"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    let plain = TestApp::spawn().await;
    let station = fixtures::station(plain.pool(), LONGJU).await;
    let (staff, _) = plain.logged_in("staff", "510681").await;
    let html = staff
        .get(&format!("/stations/{station}/poster"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&staff.url(&format!("/apply/{station}"))),
        "the address it was opened at"
    );
    assert!(html.contains("AIXIN_PUBLIC_URL"), "and it says so");
}

#[tokio::test]
async fn an_applicant_never_screened_is_erased_a_year_after_she_applied() {
    let app = TestApp::spawn().await;
    let station = fixtures::station(app.pool(), LONGJU).await;
    let path = format!("/apply/{station}");
    for (name, phone) in [("王久等", "13912345601"), ("李新来", "13912345602")] {
        let done = app.post_form(&path, &application(name, phone)).await;
        assert_eq!(done.status(), StatusCode::OK);
    }
    sqlx::query(
        "UPDATE volunteer SET applied_online_at = now() - interval '13 months' WHERE name = '王久等'",
    )
    .execute(app.pool())
    .await
    .unwrap();
    let done = aixin::privacy::service::retention::run(app.pool(), 36, "command", false)
        .await
        .unwrap();
    assert_eq!(done.volunteers, 1);
    let left: Vec<String> =
        sqlx::query_scalar("SELECT name FROM volunteer WHERE anonymised_at IS NULL ORDER BY name")
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(left, ["李新来"]);
}
