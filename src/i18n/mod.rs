//! User-facing text in zh-CN (the default) and English, looked up by key.
//!
//! The messages live in `zh-CN.toml` and `en.toml` beside this file (flat `key = "text"`
//! tables, `{name}` placeholders). A test keeps the two files' keys identical and checks that
//! every key the code and templates use exists.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// A language the service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    /// Simplified Chinese, the default.
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    /// English.
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// The BCP 47 tag, for `<html lang>` and the language cookie.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Parses a tag or an `Accept-Language` header; anything not English is Chinese.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.trim().to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::ZhCn
        }
    }

    /// The other language, for the switch in the header.
    pub fn other(self) -> Lang {
        match self {
            Lang::ZhCn => Lang::En,
            Lang::En => Lang::ZhCn,
        }
    }

    /// Looks up a message; a missing key shows as the key itself (and fails the i18n test).
    pub fn t(self, key: &str) -> &'static str {
        let table = match self {
            Lang::ZhCn => &*ZH_CN,
            Lang::En => &*EN,
        };
        match table.get(key) {
            Some(text) => text,
            None => {
                tracing::warn!(key, lang = self.tag(), "missing message");
                Box::leak(key.to_owned().into_boxed_str())
            }
        }
    }

    /// A form field's name as the reader knows it (`birth_date` → 出生日期, from the message
    /// `field.birth_date`); a prefixed name (`guardian.name` → 监护人姓名) by its own label, else
    /// by its last part's, and a field without a label by its name.
    pub fn field_label(self, name: &str) -> String {
        let table = match self {
            Lang::ZhCn => &*ZH_CN,
            Lang::En => &*EN,
        };
        let last = name.rsplit('.').next().unwrap_or(name);
        table
            .get(&format!("field.{name}"))
            .or_else(|| table.get(&format!("field.{last}")))
            .map(|label| (*label).to_owned())
            .unwrap_or_else(|| last.to_owned())
    }

    /// Looks up a message and fills its `{name}` placeholders.
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// A length of time as people say it: 40 分钟, 1 小时 30 分钟, 2 小时 (40 minutes,
    /// 1 hour 30 minutes) — never 0.7 小时.
    pub fn duration(self, minutes: i64) -> String {
        let (h, m) = (minutes / 60, minutes % 60);
        match (self, h, m) {
            (Lang::ZhCn, 0, m) => format!("{m} 分钟"),
            (Lang::ZhCn, h, 0) => format!("{h} 小时"),
            (Lang::ZhCn, h, m) => format!("{h} 小时 {m} 分钟"),
            (Lang::En, 0, m) => format!("{m} minute{}", if m == 1 { "" } else { "s" }),
            (Lang::En, h, 0) => format!("{h} hour{}", if h == 1 { "" } else { "s" }),
            (Lang::En, h, m) => format!(
                "{h} hour{} {m} minute{}",
                if h == 1 { "" } else { "s" },
                if m == 1 { "" } else { "s" }
            ),
        }
    }

    /// A number with thousands separators (1,234,567), as both languages write it.
    pub fn number(self, n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }

    /// Items written as a list in this language: 学业、情感 in Chinese, "Academic, Emotional"
    /// in English. Each item once (the first time it comes), blanks left out: the one place a
    /// list of labels, skills or names is joined for a reader.
    pub fn list<I, S>(self, items: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut seen: Vec<String> = Vec::new();
        for item in items {
            let item = item.as_ref().trim();
            if !item.is_empty() && !seen.iter().any(|s| s == item) {
                seen.push(item.to_owned());
            }
        }
        seen.join(match self {
            Lang::ZhCn => "、",
            Lang::En => ", ",
        })
    }

    /// The opening bracket of an aside: （ in Chinese, " (" in English.
    pub fn open_paren(self) -> &'static str {
        match self {
            Lang::ZhCn => "（",
            Lang::En => " (",
        }
    }

    /// The closing bracket of an aside: ） in Chinese, ")" in English.
    pub fn close_paren(self) -> &'static str {
        match self {
            Lang::ZhCn => "）",
            Lang::En => ")",
        }
    }

    /// `text` as an aside after what it explains: 李奶奶（祖母）, "Li Nainai (grandmother)".
    pub fn aside(self, text: &str) -> String {
        format!("{}{text}{}", self.open_paren(), self.close_paren())
    }

    /// What stands between a label and what follows it: ： in Chinese, ": " in English.
    pub fn colon(self) -> &'static str {
        match self {
            Lang::ZhCn => "：",
            Lang::En => ": ",
        }
    }

    /// A date as people write it: 2026年10月3日 in Chinese, ISO 8601 in English.
    pub fn date(self, date: time::Date) -> String {
        match self {
            Lang::ZhCn => format!(
                "{}年{}月{}日",
                date.year(),
                u8::from(date.month()),
                date.day()
            ),
            Lang::En => format!(
                "{:04}-{:02}-{:02}",
                date.year(),
                u8::from(date.month()),
                date.day()
            ),
        }
    }
}

fn parse(source: &'static str, name: &str) -> HashMap<String, &'static str> {
    let table: HashMap<String, String> = toml::from_str(source)
        .unwrap_or_else(|e| panic!("the message file {name} is not valid: {e}"));
    table
        .into_iter()
        .map(|(k, v)| (k, &*Box::leak(v.into_boxed_str())))
        .collect()
}

static ZH_CN: LazyLock<HashMap<String, &'static str>> =
    LazyLock::new(|| parse(include_str!("zh-CN.toml"), "zh-CN.toml"));
static EN: LazyLock<HashMap<String, &'static str>> =
    LazyLock::new(|| parse(include_str!("en.toml"), "en.toml"));

/// Every key of a language's message file (for the completeness test).
pub fn keys(lang: Lang) -> Vec<&'static str> {
    let table = match lang {
        Lang::ZhCn => &*ZH_CN,
        Lang::En => &*EN,
    };
    let mut keys: Vec<&'static str> = table
        .keys()
        .map(|k| &*Box::leak(k.clone().into_boxed_str()))
        .collect();
    keys.sort_unstable();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duration_reads_in_hours_and_minutes() {
        assert_eq!(Lang::ZhCn.duration(40), "40 分钟");
        assert_eq!(Lang::ZhCn.duration(90), "1 小时 30 分钟");
        assert_eq!(Lang::ZhCn.duration(120), "2 小时");
        assert_eq!(Lang::ZhCn.duration(0), "0 分钟");
        assert_eq!(Lang::En.duration(61), "1 hour 1 minute");
        assert_eq!(Lang::En.duration(45), "45 minutes");
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        let zh = keys(Lang::ZhCn);
        let en = keys(Lang::En);
        let only_zh: Vec<_> = zh.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !zh.contains(k)).collect();
        assert!(
            only_zh.is_empty() && only_en.is_empty(),
            "only zh-CN: {only_zh:?}; only en: {only_en:?}"
        );
    }

    #[test]
    fn every_key_used_in_code_and_templates_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let known = keys(Lang::ZhCn);
        let mut missing = Vec::new();
        for dir in ["src", "templates"] {
            for file in walk(&root.join(dir)) {
                let text = std::fs::read_to_string(&file).unwrap();
                for key in used_keys(&text) {
                    if !known.contains(&key.as_str()) {
                        missing.push(format!("{}: {key}", file.display()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys used but not defined: {missing:#?}"
        );
    }

    /// The error summary names every field a form shows an error beside, in both languages.
    #[test]
    fn every_field_a_form_marks_has_a_name_for_the_error_summary() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut missing = Vec::new();
        for file in walk(&root.join("templates")) {
            let text = std::fs::read_to_string(&file).unwrap();
            for marker in ["errors.get(\"", "error(\"", "errors.contains_key(\""] {
                let mut rest = text.as_str();
                while let Some(pos) = rest.find(marker) {
                    rest = &rest[pos + marker.len()..];
                    let field = rest.split('"').next().unwrap_or("");
                    for lang in [Lang::ZhCn, Lang::En] {
                        let last = field.rsplit('.').next().unwrap_or(field);
                        if !field.is_empty() && field != "_" && lang.field_label(field) == last {
                            missing.push(format!("{}: {field} ({})", file.display(), lang.tag()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "fields without a name: {missing:#?}");
    }

    /// Keys appear in `t(…)`, `tf(…)`, `FieldError::new(…)` and flash names; error
    /// codes (`conflict(…)`, `rule(…)`, `Forbidden(…)`) are shown as `error.<code>`.
    fn used_keys(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let markers = [
            (".t(\"", ""),
            (".tf(\"", ""),
            ("FieldError::new(\"", ""),
            ("flash(&session, \"", ""),
            ("AppError::conflict(\"", "error."),
            ("AppError::rule(\"", "error."),
            ("AppError::Forbidden(\"", "error."),
        ];
        for (marker, prefix) in markers {
            let mut rest = text;
            while let Some(pos) = rest.find(marker) {
                rest = &rest[pos + marker.len()..];
                if let Some(end) = rest.find('"') {
                    let key = &rest[..end];
                    if !key.is_empty() && !key.contains('{') {
                        out.push(format!("{prefix}{key}"));
                    }
                }
            }
        }
        // A rule's refusal names its code and message key, and a field's key: its code is shown
        // as `error.<code>`, its keys as they are.
        for (marker, code_prefix) in [
            // (spelt in pieces, so that this list does not find itself)
            (concat!("Refusal::", "conflict("), Some("error.")),
            (concat!("Refusal::", "unprocessable("), Some("error.")),
            (concat!("Refusal::", "forbidden("), Some("error.")),
            (concat!("Refusal::", "new("), None),
            (concat!(".", "on("), None),
        ] {
            let mut rest = text;
            while let Some(pos) = rest.find(marker) {
                rest = &rest[pos + marker.len()..];
                let strings: Vec<&str> = rest
                    .split(')')
                    .next()
                    .unwrap_or("")
                    .split('"')
                    .skip(1)
                    .step_by(2)
                    .collect();
                if let [first, second, ..] = strings.as_slice() {
                    if let Some(prefix) = code_prefix {
                        out.push(format!("{prefix}{first}"));
                    }
                    if second.contains('.') {
                        out.push((*second).to_owned());
                    }
                }
            }
        }
        out
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("rs" | "html")
            ) {
                files.push(path);
            }
        }
        files
    }

    #[test]
    fn a_list_is_joined_in_its_language_each_item_once() {
        let items = ["学业", "情感", "情感", " ", "陪伴"];
        assert_eq!(Lang::ZhCn.list(items), "学业、情感、陪伴");
        assert_eq!(
            Lang::En.list(["Academic", "Emotional", "Emotional"]),
            "Academic, Emotional"
        );
        assert_eq!(Lang::En.list(Vec::<String>::new()), "");
        assert_eq!(Lang::ZhCn.aside("祖母"), "（祖母）");
        assert_eq!(Lang::En.aside("grandmother"), " (grandmother)");
        assert_eq!(Lang::En.colon(), ": ");
    }

    #[test]
    fn numbers_and_dates_read_naturally() {
        assert_eq!(Lang::ZhCn.number(173_000), "173,000");
        assert_eq!(Lang::En.number(-1_234_567), "-1,234,567");
        assert_eq!(Lang::En.number(419), "419");
        let d = time::macros::date!(2026 - 10 - 03);
        assert_eq!(Lang::ZhCn.date(d), "2026年10月3日");
        assert_eq!(Lang::En.date(d), "2026-10-03");
    }
}
