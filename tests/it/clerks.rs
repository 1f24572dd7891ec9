//! Spreadsheets as county clerks make them: a title merged above the header, headers wrapped
//! over two lines, dates typed every way, full-width digits, short forms of the choices, a total
//! under the list, a sheet of instructions after the list, and ID numbers Excel turned into
//! numbers.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

use crate::fixtures::{self, LONGJU};
use crate::harness::{Browser, TestApp};

const STATION: &str = "龙居社区爱心妈妈驿站";
const AS_NUMBER: &str = "Excel 把身份证号存成了数字，后几位已丢失：请把该列设为文本后重新填写";

/// A cell of a clerk's sheet.
enum Cell {
    Text(&'static str),
    Number(f64),
    Date(u16, u8, u8),
}
use Cell::{Date, Number, Text};

/// A workbook whose first sheet has `title` merged across its columns in row 1, a line about
/// who filled it in row 2 when `filled_in`, the wrapped `headers` under them, and `rows`; and
/// a second sheet of instructions (with an example row that would be refused if it were read).
fn workbook(title: &str, filled_in: bool, headers: &[&str], rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("花名册").unwrap();
    let centred = Format::new().set_bold().set_align(FormatAlign::Center);
    let last = headers.len() as u16 - 1;
    sheet.merge_range(0, 0, 0, last, title, &centred).unwrap();
    let mut at = 1;
    if filled_in {
        sheet
            .write_string(1, 0, "填报单位：汉州街道妇联　　填报日期：2026年11月")
            .unwrap();
        at = 2;
    }
    let wrapped = Format::new().set_text_wrap();
    for (c, header) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(at, c as u16, *header, &wrapped)
            .unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        write_row(sheet, at + 1 + r as u32, row);
    }
    let notes = book.add_worksheet();
    notes.set_name("填表说明").unwrap();
    for (r, line) in [
        "填表说明",
        "1. 出生日期写作 2016-05-06",
        "2. 身份证号一列请设为文本",
    ]
    .iter()
    .enumerate()
    {
        notes.write_string(r as u32, 0, *line).unwrap();
    }
    notes.write_string(4, 0, "姓名").unwrap();
    notes.write_string(4, 1, "性别").unwrap();
    notes.write_string(5, 0, "示例").unwrap();
    notes.write_string(5, 1, "未知").unwrap();
    book.save_to_buffer().unwrap()
}

fn write_row(sheet: &mut Worksheet, r: u32, row: &[Cell]) {
    let day = Format::new().set_num_format("yyyy-mm-dd");
    for (c, cell) in row.iter().enumerate() {
        let c = c as u16;
        match cell {
            Text("") => {}
            Text(text) => {
                sheet.write_string(r, c, *text).unwrap();
            }
            Number(n) => {
                sheet.write_number(r, c, *n).unwrap();
            }
            Date(y, m, d) => {
                let date = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                sheet.write_date_with_format(r, c, &date, &day).unwrap();
            }
        }
    }
}

async fn upload(browser: &Browser, list: &str, bytes: Vec<u8>) -> reqwest::Response {
    let part = Part::bytes(bytes).file_name("花名册.xlsx");
    browser
        .http
        .post(browser.url(&format!("/{list}/import")))
        .header("origin", browser.url(""))
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(app.pool())
        .await
        .unwrap()
}

const CHILD_HEADERS: &[&str] = &[
    "序号",
    "姓 名",
    "性别",
    "出生\n日期",
    "身份证号",
    "类别",
    "困境类型",
    "居住地区\n代码",
    "驿站名称",
    "监护人姓名",
    "监护人关系",
    "监护人\n电话",
    "同意告知爱心妈妈电话",
    "同意日期",
    "同意方式",
];

#[tokio::test]
async fn a_clerks_children_sheet_imports_every_child_with_her_guardian_and_consent() {
    let app = TestApp::spawn().await;
    fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let rows = vec![
        vec![
            Number(1.0),
            Text("李小雨"),
            Text("女"),
            Date(2016, 5, 6),
            Text(""),
            Text("留守"),
            Text(""),
            Text(LONGJU),
            Text(STATION),
            Text("李奶奶"),
            Text("奶奶"),
            Text("１３８１２３４５６７８"),
            Text("是"),
            Text("2026-9-2"),
            Text("纸质签字"),
        ],
        vec![
            Number(2.0),
            Text("王小明"),
            Text("男"),
            Text("2014.7.8"),
            Text("５１０６８１２０１４０７０８０１３Ｘ"),
            Text("困境"),
            Text("孤儿"),
            Text(LONGJU),
            Text(STATION),
            Text("王大军"),
            Text("父亲"),
            Text("13900000002"),
            Text("否"),
            Text("2026年9月3日"),
            Text("当面"),
        ],
        vec![
            Number(3.0),
            Text("张小花"),
            Text("女"),
            Text("2017年1月2日"),
            Text(""),
            Text("留守儿童"),
            Text(""),
            Number(510_681_002_006.0),
            Text(STATION),
            Text("张奶奶"),
            Text("祖母/外祖母"),
            Text("13700000003"),
            Text("同意"),
            Date(2026, 9, 4),
            Text("电话确认"),
        ],
        vec![],
        vec![Text("合计"), Text("3人")],
    ];
    let file = workbook("XX县留守儿童花名册", true, CHILD_HEADERS, &rows);

    let answer = upload(&staff, "children", file).await;

    assert_eq!(answer.status(), StatusCode::OK);
    assert!(answer.text().await.unwrap().contains("已导入 3 位"));
    type Child = (String, String, String, String, Vec<String>, bool, String);
    let children: Vec<Child> = sqlx::query_as(
        "SELECT name, gender::text, birth_date::text, category::text,
                    difficulty_types::text[], id_number_hash IS NOT NULL, region_code
             FROM child ORDER BY birth_date",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    let child = |name: &str, gender: &str, born: &str, category: &str, kinds: &[&str], id| {
        let text = |s: &str| s.to_owned();
        let kinds = kinds.iter().map(|k| text(k)).collect();
        let (name, gender, born, category) = (text(name), text(gender), text(born), text(category));
        (name, gender, born, category, kinds, id, text(LONGJU))
    };
    assert_eq!(
        children,
        [
            child(
                "王小明",
                "male",
                "2014-07-08",
                "in_difficulty",
                &["orphan"],
                true
            ),
            child("李小雨", "female", "2016-05-06", "left_behind", &[], false),
            child("张小花", "female", "2017-01-02", "left_behind", &[], false),
        ]
    );
    let guardians: Vec<(String, String, String, bool, String, String)> = sqlx::query_as(
        "SELECT g.name, g.relation::text, g.phone, g.share_contact_with_volunteer,
                c.given_on::text, c.method::text
         FROM guardian g JOIN consent c ON c.guardian_id = g.id AND c.scope = 'registration'
         ORDER BY c.given_on",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    let guardian = |name: &str, relation: &str, phone: &str, share, on: &str, how: &str| {
        let text = |s: &str| s.to_owned();
        (
            text(name),
            text(relation),
            text(phone),
            share,
            text(on),
            text(how),
        )
    };
    assert_eq!(
        guardians,
        [
            guardian(
                "李奶奶",
                "grandmother",
                "13812345678",
                true,
                "2026-09-02",
                "signed_form"
            ),
            guardian(
                "王大军",
                "father",
                "13900000002",
                false,
                "2026-09-03",
                "in_person"
            ),
            guardian(
                "张奶奶",
                "grandmother",
                "13700000003",
                true,
                "2026-09-04",
                "phone"
            ),
        ]
    );
}

/// A row of a children's sheet (title in row 1, header in row 2) with `id` as its ID number.
fn child_with_id(name: &'static str, id: Cell) -> Vec<Cell> {
    vec![
        Text(name),
        Text("男"),
        Text("2016-05-06"),
        id,
        Text("留守儿童"),
        Text(LONGJU),
        Text(STATION),
        Text("家长"),
        Text("父亲"),
        Text("13812345678"),
        Text("2026-09-01"),
        Text("纸质签字"),
    ]
}

#[tokio::test]
async fn an_id_number_excel_stored_as_a_number_is_named_at_its_row_and_nothing_is_imported() {
    let app = TestApp::spawn().await;
    fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let headers = [
        "姓名",
        "性别",
        "出生日期",
        "身份证号",
        "类别",
        "居住地区代码",
        "驿站名称",
        "监护人姓名",
        "监护人关系",
        "监护人电话",
        "同意日期",
        "同意方式",
    ];
    let rows = vec![
        child_with_id("一号", Number(510_681_201_605_061_239.0)),
        child_with_id("二号", Text("5.10681201605061E+17")),
        child_with_id("三号", Text("510681201605061000")),
        child_with_id("四号", Text("510681201605061239")),
        child_with_id("五号", Text("510681201605061230")),
    ];
    let file = workbook("XX县留守儿童花名册", false, &headers, &rows);

    let answer = upload(&staff, "children", file).await;

    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = answer.text().await.unwrap();
    for row in 3..=5 {
        let error = format!("<td class=\"num\">{row}</td><td>身份证号</td><td>{AS_NUMBER}</td>");
        assert!(html.contains(&error), "row {row} (the title is row 1)");
    }
    assert!(
        !html.contains("<td class=\"num\">6</td>"),
        "an ID number typed as text passes"
    );
    assert!(
        html.contains("<td class=\"num\">7</td><td>身份证号</td><td>身份证号校验位不正确"),
        "a wrong digit is still a wrong digit"
    );
    assert_eq!(count(&app, "child").await, 0);
}

const VOLUNTEER_HEADERS: &[&str] = &[
    "姓名",
    "性别",
    "手机\n号",
    "身份证号",
    "出生\n日期",
    "居住地区代码",
    "驿站名称",
    "特长",
    "状态",
    "无犯罪记录\n证明日期",
    "面谈日期",
    "培训日期",
    "可结对\n人数",
];

#[tokio::test]
async fn a_clerks_volunteers_sheet_imports_every_volunteer() {
    let app = TestApp::spawn().await;
    fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let rows = vec![
        vec![
            Text("王秀兰"),
            Text("女"),
            Text("１３９１２３４５６７８"),
            Text("５１０６８１１９８５０３１２０５８Ｘ"),
            Text("1985/3/12"),
            Text(LONGJU),
            Text(STATION),
            Text("学业辅导"),
            Text("报名"),
            Text(""),
            Text(""),
            Text(""),
            Text("2人"),
        ],
        vec![
            Text("李春梅"),
            Text("女性"),
            Number(13_812_345_678.0),
            Text(""),
            Date(1990, 6, 1),
            Text(LONGJU),
            Text(""),
            Text("心理"),
            Text("已审核"),
            Text("2026.10.8"),
            Text("2026年10月9日"),
            Text(""),
            Number(1.0),
        ],
        vec![Text("小计"), Text(""), Text("2")],
    ];
    let file = workbook("XX县爱心妈妈花名册", true, VOLUNTEER_HEADERS, &rows);

    let answer = upload(&staff, "volunteers", file).await;

    assert_eq!(answer.status(), StatusCode::OK);
    assert!(answer.text().await.unwrap().contains("已导入 2 位"));
    type Volunteer = (
        String,
        String,
        String,
        bool,
        String,
        String,
        bool,
        String,
        i16,
    );
    let volunteers: Vec<Volunteer> = sqlx::query_as(
        "SELECT name, gender::text, phone, id_number_hash IS NOT NULL, birth_date::text,
                status::text, station_id IS NOT NULL,
                coalesce(background_check_on::text || ' ' || interviewed_on::text, ''), capacity
         FROM volunteer ORDER BY birth_date",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    let text = |s: &str| s.to_owned();
    assert_eq!(
        volunteers,
        [
            (
                text("王秀兰"),
                text("female"),
                text("13912345678"),
                true,
                text("1985-03-12"),
                text("applied"),
                true,
                text(""),
                2
            ),
            (
                text("李春梅"),
                text("female"),
                text("13812345678"),
                false,
                text("1990-06-01"),
                text("screened"),
                false,
                text("2026-10-08 2026-10-09"),
                1
            ),
        ]
    );
}

#[tokio::test]
async fn a_volunteers_id_number_stored_as_a_number_is_named_in_either_language() {
    let app = TestApp::spawn().await;
    fixtures::station(app.pool(), LONGJU).await;
    let (staff, _) = app.logged_in("staff", "510681").await;
    let row = |name, phone, id| {
        vec![
            Text(name),
            Text("女"),
            Text(phone),
            id,
            Text(""),
            Text(LONGJU),
        ]
    };
    let rows = vec![
        row("王秀兰", "13912345678", Text("51068119850312058X")),
        row("李春梅", "13812345678", Number(510_681_198_503_120_580.0)),
    ];
    let file = || workbook("XX县爱心妈妈花名册", true, VOLUNTEER_HEADERS, &rows);

    let answer = upload(&staff, "volunteers", file()).await;

    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = answer.text().await.unwrap();
    let error = format!("<td class=\"num\">5</td><td>身份证号</td><td>{AS_NUMBER}</td>");
    assert!(html.contains(&error), "row 5: title, filled in, header");
    assert!(html.contains("本次没有导入任何数据"));
    assert!(!html.contains("<td class=\"num\">4</td>"), "row 4 is good");
    assert_eq!(count(&app, "volunteer").await, 0);

    staff
        .post_form("/preferences", &[("lang", "en"), ("back", "/")])
        .await;
    let html = upload(&staff, "volunteers", file())
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(
        "<td class=\"num\">5</td><td>id_number</td><td>Excel stored the ID number as a number and lost its last digits"
    ));
    assert_eq!(count(&app, "volunteer").await, 0);
}
