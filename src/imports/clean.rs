//! What a spreadsheet typed by hand holds, read as the template means it: full-width digits and
//! letters, headers wrapped over two lines or written with full-width brackets, dates in the
//! forms people type them, the short and long forms of a choice, totals under the list, and
//! ID numbers Excel turned into numbers. Both imports read their cells through here.

use time::{Date, Month};

/// Full-width digits and Latin letters (１３８, Ｘ) as ordinary ones, and the ideographic
/// space as a space; everything else as typed.
pub fn half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => full_to_ascii(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// A full-width form (U+FF01–U+FF5E) as its ASCII character.
fn full_to_ascii(c: char) -> char {
    char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
}

/// Text as it is compared with a header or an option: every full-width ASCII form (brackets,
/// slashes, digits) as ASCII, no spaces or line breaks, no required-column mark `*`, Latin
/// letters in lower case.
fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => full_to_ascii(c),
            '【' | '〔' => '[',
            '】' | '〕' => ']',
            c => c,
        })
        .filter(|c| !c.is_whitespace() && *c != '*')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether a header cell names `header`, whatever its spaces, line breaks, full-width or
/// half-width brackets and letter case.
pub fn same_header(cell: &str, header: &str) -> bool {
    let cell = fold(cell);
    !cell.is_empty() && cell == fold(header)
}

/// A date typed as 2016-05-06, 2016/5/6, 2014.7.8, 2017年1月2日, 20160506 (or with a time
/// after it) as an ISO date; `None` for anything else, which the form's checks then name.
pub fn date(text: &str) -> Option<String> {
    let text = half_width(text);
    let text = text.trim();
    // A time after the date (2016/5/6 0:00:00, 2016-05-06T00:00:00) is dropped.
    let text = match text.split_once(|c: char| c.is_whitespace() || c == 'T') {
        Some((date, time)) if time.contains(':') => date,
        _ => text,
    };
    let text = fold(text);
    let parts: Vec<&str> = if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        vec![&text[..4], &text[4..6], &text[6..]]
    } else {
        text.trim_end_matches(['日', '号'])
            .split(['-', '/', '.', '年', '月'])
            .collect()
    };
    let [year, month, day] = parts[..] else {
        return None;
    };
    let digits = |s: &str, most: usize| {
        (!s.is_empty() && s.len() <= most && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u16>().ok())
            .flatten()
    };
    if year.len() != 4 {
        return None;
    }
    let (year, month, day) = (digits(year, 4)?, digits(month, 2)?, digits(day, 2)?);
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = Date::from_calendar_date(i32::from(year), month, u8::try_from(day).ok()?).ok()?;
    Some(date.to_string())
}

/// Whether an ID number's cell is one Excel stored as a number, which keeps 15 significant
/// digits: written as 5.10681201605061E+17, or as 16 to 18 digits of which those after the
/// 15th are zeros (a real number may end so: the caller asks only of one that fails its checks).
pub fn lost_digits(text: &str) -> bool {
    let text = fold(&half_width(text));
    if let Some((mantissa, exponent)) = text.split_once('e') {
        let exponent = exponent.trim_start_matches('+');
        return !mantissa.is_empty()
            && mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && !exponent.is_empty()
            && exponent.bytes().all(|b| b.is_ascii_digit());
    }
    (16..=18).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.bytes().skip(15).all(|b| b == b'0')
}

/// Whether a row is a total under the list: a 合计, 小计 or 总计 label (合计：35人 too), with
/// nothing beside it but counts.
pub fn is_total(cells: &[String]) -> bool {
    let cells: Vec<String> = cells
        .iter()
        .map(|c| fold(&half_width(c)))
        .filter(|c| !c.is_empty())
        .collect();
    let label = |c: &str| ["合计", "小计", "总计"].iter().any(|l| c.starts_with(l));
    let count = |c: &str| {
        let digits = c.trim_end_matches(['人', '名', '个', '户', '位']);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    };
    cells.iter().any(|c| label(c)) && cells.iter().all(|c| label(c) || count(c))
}

/// Yes or no as people write it: 是/否, 同意/不同意, 有/无, √/×, Y/N, yes/no, true/false,
/// 1/0; `None` for anything else.
pub fn yes_no(text: &str) -> Option<bool> {
    match fold(&half_width(text)).as_str() {
        "是" | "同意" | "有" | "√" | "✓" | "y" | "yes" | "true" | "1" => Some(true),
        "否" | "不同意" | "无" | "没有" | "不是" | "×" | "✗" | "n" | "no" | "false" | "0" => {
            Some(false)
        }
        _ => None,
    }
}

/// A gender as people write it (女, 女性, 女孩, 女生, F, female; 男 likewise) as 女 or 男;
/// `None` for anything else.
pub fn gender(text: &str) -> Option<&'static str> {
    match fold(&half_width(text)).as_str() {
        "女" | "女性" | "女孩" | "女生" | "f" | "female" => Some("女"),
        "男" | "男性" | "男孩" | "男生" | "m" | "male" => Some("男"),
        _ => None,
    }
}

/// Whether `typed` names the option whose label is `label`: the label itself, whatever its
/// spaces, brackets and case; either side of a label with a slash (祖母/外祖母); or its short
/// or long form: without 已 before it (已报名: 报名) or 儿童, 家庭, 确认 after it (留守儿童:
/// 留守; 当面确认: 当面), or with 儿童 after it (残疾: 残疾儿童).
pub fn names_option(typed: &str, label: &str) -> bool {
    let typed = fold(&half_width(typed));
    if typed.is_empty() {
        return false;
    }
    let label = fold(label);
    if typed == label {
        return true;
    }
    let typed_short = typed.strip_suffix("儿童").unwrap_or(&typed);
    label.split('/').any(|label| {
        let short = label.strip_prefix('已').unwrap_or(label);
        let short = ["儿童", "家庭", "确认"]
            .iter()
            .find_map(|s| short.strip_suffix(s).filter(|rest| !rest.is_empty()))
            .unwrap_or(short);
        [label, short].contains(&typed.as_str()) || [label, short].contains(&typed_short)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_and_letters_become_ordinary() {
        assert_eq!(half_width("１３８１２３４５６７８"), "13812345678");
        assert_eq!(
            half_width("５１０６８１２０１６０５０６１２３Ｘ"),
            "51068120160506123X"
        );
        assert_eq!(half_width("ａｂｃ　王（秀）"), "abc 王（秀）");
    }

    #[test]
    fn headers_match_whatever_their_spaces_breaks_and_brackets() {
        assert!(same_header("出生\n日期", "出生日期"));
        assert!(same_header(" 出生 日期 ", "出生日期"));
        assert!(same_header("联系电话（监护人）", "联系电话(监护人)"));
        assert!(same_header("*姓名", "姓名"));
        assert!(same_header("Birth_Date", "birth_date"));
        assert!(!same_header("出生地", "出生日期"));
        assert!(!same_header("", ""));
    }

    #[test]
    fn dates_in_the_forms_people_type_them() {
        for (typed, iso) in [
            ("2016-05-06", "2016-05-06"),
            ("2016/5/6", "2016-05-06"),
            ("2014.7.8", "2014-07-08"),
            ("2017年1月2日", "2017-01-02"),
            ("2017年1月2号", "2017-01-02"),
            ("2026-9-2", "2026-09-02"),
            ("２０１６／５／６", "2016-05-06"),
            ("20160506", "2016-05-06"),
            ("2016/5/6 0:00:00", "2016-05-06"),
            ("2016-05-06T00:00:00", "2016-05-06"),
            (" 2016 - 5 - 6 ", "2016-05-06"),
        ] {
            assert_eq!(date(typed).as_deref(), Some(iso), "{typed}");
        }
        for typed in [
            "2016-2-30",
            "16/5/6",
            "5/6/2016",
            "2016-5",
            "2016年",
            "明天",
            "",
            "2016-5-6-7",
            "201605",
        ] {
            assert_eq!(date(typed), None, "{typed}");
        }
    }

    #[test]
    fn an_id_number_excel_stored_as_a_number_is_told_apart() {
        assert!(lost_digits("5.10681201605061E+17"));
        assert!(lost_digits("5.10681E+17"));
        assert!(lost_digits("510681201605061000"));
        assert!(lost_digits("５１０６８１２０１６０５０６１０００"));
        assert!(!lost_digits("510681201605061234"));
        assert!(!lost_digits("51068120160506123X"));
        assert!(!lost_digits("13812345678"));
        assert!(!lost_digits("王E+17"));
    }

    #[test]
    fn a_total_row_is_a_label_and_counts() {
        let row = |cells: &[&str]| cells.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        assert!(is_total(&row(&["合计", "", "", "3人"])));
        assert!(is_total(&row(&["", "小 计"])));
        assert!(is_total(&row(&["合计：35人"])));
        assert!(!is_total(&row(&["合计", "王秀兰"])));
        assert!(!is_total(&row(&["王秀兰", "女"])));
        assert!(!is_total(&row(&["", ""])));
    }

    #[test]
    fn yes_and_no_as_people_write_them() {
        assert_eq!(yes_no("是"), Some(true));
        assert_eq!(yes_no("Ｙ"), Some(true));
        assert_eq!(yes_no("否"), Some(false));
        assert_eq!(yes_no("不同意"), Some(false));
        assert_eq!(yes_no("也许"), None);
    }

    #[test]
    fn genders_as_people_write_them() {
        assert_eq!(gender("女性"), Some("女"));
        assert_eq!(gender(" 男 "), Some("男"));
        assert_eq!(gender("Female"), Some("女"));
        assert_eq!(gender("未知"), None);
    }

    #[test]
    fn options_by_their_short_and_long_forms() {
        assert!(names_option("留守", "留守儿童"));
        assert!(names_option("留守儿童", "留守儿童"));
        assert!(names_option("困境", "困境儿童"));
        assert!(names_option("报名", "已报名"));
        assert!(names_option("当面", "当面确认"));
        assert!(names_option("低收入", "低收入家庭"));
        assert!(names_option("残疾儿童", "残疾"));
        assert!(names_option("外祖母", "祖母/外祖母"));
        assert!(names_option("祖母", "祖母/外祖母"));
        assert!(names_option("left-behind CHILD", "Left-behind child"));
        assert!(!names_option("儿童", "留守儿童"));
        assert!(!names_option("其他", "其他亲属"));
        assert!(!names_option("", "其他"));
    }
}
