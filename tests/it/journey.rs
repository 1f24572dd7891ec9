//! The registry's whole day for a county staff member, through the pages alone: a station,
//! three volunteers, five children with guardians and consent, then 500 children from a
//! spreadsheet.

use reqwest::StatusCode;

use crate::fixtures::LONGJU;
use crate::harness::{Browser, TestApp};
use crate::imports::{child_rows, children_csv, upload_children};

/// Posts a page's form and follows the answer's redirect to the page it names.
async fn submit(staff: &Browser, path: &str, form: &[(&str, &str)]) -> String {
    let answer = staff.post_form(path, form).await;
    let status = answer.status();
    let location = answer
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let Some(location) = location else {
        panic!(
            "{path} refused ({status}): {}",
            answer.text().await.unwrap()
        );
    };
    assert_eq!(status, StatusCode::SEE_OTHER);
    location
}

#[tokio::test]
async fn county_staff_register_a_station_volunteers_and_children_then_import_500() {
    let app = TestApp::spawn().await;
    let (staff, _) = app.logged_in("staff", "510681").await;

    let station_page = submit(
        &staff,
        "/stations",
        &[
            ("name", "龙居社区爱心妈妈驿站"),
            ("region_code", LONGJU),
            ("build_mode", "embedded"),
            ("host_site", "阳光驿站"),
            ("day3", "on"),
            ("opens3", "14:00"),
            ("closes3", "17:00"),
            ("day6", "on"),
            ("opens6", "09:00"),
            ("closes6", "11:30"),
        ],
    )
    .await;
    let station = station_page.trim_start_matches("/stations/").to_owned();

    for (name, phone) in [
        ("李春梅", "13812345601"),
        ("王秀兰", "13812345602"),
        ("张丽华", "13812345603"),
    ] {
        submit(
            &staff,
            "/volunteers",
            &[
                ("name", name),
                ("gender", "female"),
                ("phone", phone),
                ("region_code", LONGJU),
                ("station_id", &station),
                ("skills", "学业辅导、心理"),
                ("status", "applied"),
                ("capacity", "2"),
            ],
        )
        .await;
    }

    for (name, born, guardian, phone) in [
        ("陈小明", "2017-03-02", "陈爷爷", "13700001231"),
        ("刘小芳", "2015-06-12", "刘奶奶", "13700001232"),
        ("周小勇", "2013-09-30", "周妈妈", "13700001233"),
        ("吴小燕", "2018-01-15", "吴外婆", "13700001234"),
        ("郑小龙", "2016-11-08", "郑爸爸", "13700001235"),
    ] {
        let child_page = submit(
            &staff,
            "/children",
            &[
                ("name", name),
                ("gender", "male"),
                ("birth_date", born),
                ("category", "left_behind"),
                ("region_code", LONGJU),
                ("station_id", &station),
                ("needs", "academic"),
                ("needs", "companionship"),
                ("guardian_name", guardian),
                ("guardian_relation", "grandfather"),
                ("guardian_phone", phone),
                ("guardian_share", "on"),
                ("consent_given_on", "2026-09-01"),
                ("consent_method", "signed_form"),
            ],
        )
        .await;
        let detail = staff.get(&child_page).await.text().await.unwrap();
        assert!(detail.contains(name) && detail.contains(guardian));
    }

    let imported = upload_children(&staff, children_csv(&child_rows(500))).await;
    assert_eq!(imported.status(), StatusCode::OK);
    assert!(imported.text().await.unwrap().contains("已导入 500 位"));

    let volunteers = staff.get("/volunteers").await.text().await.unwrap();
    assert!(volunteers.contains("共 3 条") && volunteers.contains("张丽华"));
    let children = staff.get("/children").await.text().await.unwrap();
    assert!(
        children.contains("共 505 条"),
        "five by hand and 500 imported"
    );
    let (guardians, consents): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM guardian),
                (SELECT count(*) FROM consent WHERE scope = 'registration' AND withdrawn_on IS NULL)",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!((guardians, consents), (505, 505));
    let station_detail = staff.get(&station_page).await.text().await.unwrap();
    assert!(
        station_detail.contains("已报名: 3") && station_detail.contains("待结对: 505"),
        "the station counts its people: {station_detail}"
    );
}
