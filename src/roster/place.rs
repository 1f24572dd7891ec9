//! Where a roster child is registered (户籍地), as clerks write it: a township or village code,
//! a name (金鱼镇, 红旗村, 红旗村民委员会), the two together (金鱼镇红旗村, 金鱼镇/红旗村), the
//! address from the province down (四川省德阳市广汉市金鱼镇红旗村3组), or township and village in
//! columns of their own. Resolved against the county's own townships and villages only.

use std::collections::HashMap;

/// A township or village of the county: its code and name.
pub type Place = (String, String);

/// A county's townships and villages, found by name.
#[derive(Debug, Default)]
pub struct Places {
    /// Names of the county and the regions above it, longest first (stripped from the start).
    above: Vec<String>,
    townships: Vec<(String, Vec<String>)>,
    /// Village code → its names.
    villages: HashMap<String, Vec<String>>,
}

/// Why a residence was not understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFound {
    /// Not a township or village of the county.
    Unknown,
    /// A village name found in several townships: the township must be named too.
    Ambiguous,
}

/// The names a village goes by: as registered (红旗村民委员会), and as people say it (红旗村;
/// 金领社区 for 金领社区居民委员会).
fn village_names(name: &str) -> Vec<String> {
    let mut names = vec![name.to_owned()];
    let short = if let Some(stem) = name.strip_suffix("村民委员会") {
        format!("{stem}村")
    } else if let Some(stem) = name.strip_suffix("居民委员会") {
        stem.to_owned()
    } else if let Some(stem) = name.strip_suffix("委员会") {
        stem.to_owned()
    } else {
        String::new()
    };
    if !short.is_empty() {
        names.push(short);
    }
    names
}

fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '/' | '／' | '-' | '·' | ',' | '，'))
        .collect()
}

impl Places {
    /// The places of `county` (its townships and villages, `places`), with the names of the
    /// county and the regions above it (`above`: 四川省, 德阳市, 广汉市).
    pub fn new(above: Vec<String>, places: Vec<Place>) -> Places {
        let mut townships = Vec::new();
        let mut villages = HashMap::new();
        for (code, name) in places {
            match code.len() {
                9 => townships.push((code, vec![name])),
                12 => {
                    villages.insert(code, village_names(&name));
                }
                _ => {}
            }
        }
        let mut above = above;
        above.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
        Places {
            above,
            townships,
            villages,
        }
    }

    /// The township or village code of a residence, given in one cell or as township and
    /// village in two.
    pub fn resolve(&self, residence: &str) -> Result<String, NotFound> {
        let text = clean(residence);
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            let known = (text.len() == 9 && self.townships.iter().any(|(c, _)| *c == text))
                || (text.len() == 12 && self.villages.contains_key(&text));
            return if known {
                Ok(text)
            } else {
                Err(NotFound::Unknown)
            };
        }
        let mut rest = text.as_str();
        // 四川省德阳市广汉市…: the regions above, in order, each where it stands.
        while let Some(n) = self.above.iter().find(|n| rest.starts_with(n.as_str())) {
            rest = &rest[n.len()..];
        }
        if rest.is_empty() {
            return Err(NotFound::Unknown);
        }
        // A township first, then a village of it in what follows (a group, 3组, may follow).
        let township = self
            .townships
            .iter()
            .flat_map(|(code, names)| names.iter().map(move |n| (code, n)))
            .filter(|(_, n)| rest.starts_with(n.as_str()))
            .max_by_key(|(_, n)| n.len());
        if let Some((code, name)) = township {
            let after = &rest[name.len()..];
            return Ok(self
                .village_at(after, Some(code))
                .map(|(c, _)| c)
                .unwrap_or_else(|| code.clone()));
        }
        // A village alone: it must be the only one of that name in the county.
        let found: Vec<(String, usize)> = self
            .villages
            .iter()
            .filter_map(|(code, names)| {
                names
                    .iter()
                    .filter(|n| rest.starts_with(n.as_str()))
                    .map(|n| n.len())
                    .max()
                    .map(|len| (code.clone(), len))
            })
            .collect();
        let longest = found.iter().map(|(_, l)| *l).max();
        let best: Vec<&String> = found
            .iter()
            .filter(|(_, l)| Some(*l) == longest)
            .map(|(c, _)| c)
            .collect();
        match best.as_slice() {
            [] => Err(NotFound::Unknown),
            [one] => Ok((*one).clone()),
            _ => Err(NotFound::Ambiguous),
        }
    }

    /// A residence given as township and village columns.
    pub fn resolve_parts(&self, township: &str, village: Option<&str>) -> Result<String, NotFound> {
        let code = self.resolve(township)?;
        if code.len() != 9 {
            return Err(NotFound::Unknown);
        }
        match village.map(clean).filter(|v| !v.is_empty()) {
            None => Ok(code),
            Some(v) if v.bytes().all(|b| b.is_ascii_digit()) => {
                if v.len() == 12 && v.starts_with(&code) && self.villages.contains_key(&v) {
                    Ok(v)
                } else {
                    Err(NotFound::Unknown)
                }
            }
            Some(v) => self
                .village_at(&v, Some(&code))
                .map(|(c, _)| c)
                .ok_or(NotFound::Unknown),
        }
    }

    /// The village of `township` whose name begins `text` (the longest such name).
    fn village_at(&self, text: &str, township: Option<&String>) -> Option<(String, usize)> {
        if text.is_empty() {
            return None;
        }
        self.villages
            .iter()
            .filter(|(code, _)| township.is_none_or(|t| code.starts_with(t.as_str())))
            .filter_map(|(code, names)| {
                names
                    .iter()
                    .filter(|n| text.starts_with(n.as_str()))
                    .map(|n| n.len())
                    .max()
                    .map(|len| (code.clone(), len))
            })
            .max_by_key(|(_, len)| *len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places() -> Places {
        let p = |c: &str, n: &str| (c.to_owned(), n.to_owned());
        Places::new(
            vec!["四川省".into(), "德阳市".into(), "广汉市".into()],
            vec![
                p("510681114", "金鱼镇"),
                p("510681101", "三水镇"),
                p("510681001", "雒城街道"),
                p("510681114201", "红旗村民委员会"),
                p("510681101205", "红旗村民委员会"),
                p("510681114202", "石堰村民委员会"),
                p("510681001001", "金领社区居民委员会"),
            ],
        )
    }

    #[test]
    fn codes_of_the_county_only() {
        let p = places();
        assert_eq!(p.resolve("510681114"), Ok("510681114".into()));
        assert_eq!(p.resolve(" 510681114202 "), Ok("510681114202".into()));
        assert_eq!(p.resolve("510682114"), Err(NotFound::Unknown));
        assert_eq!(p.resolve("510681999"), Err(NotFound::Unknown));
    }

    #[test]
    fn names_as_clerks_write_them() {
        let p = places();
        assert_eq!(p.resolve("金鱼镇"), Ok("510681114".into()));
        assert_eq!(p.resolve("金鱼镇红旗村"), Ok("510681114201".into()));
        assert_eq!(p.resolve("金鱼镇 / 石堰村"), Ok("510681114202".into()));
        assert_eq!(p.resolve("石堰村"), Ok("510681114202".into()));
        assert_eq!(p.resolve("石堰村民委员会"), Ok("510681114202".into()));
        assert_eq!(
            p.resolve("四川省德阳市广汉市金鱼镇石堰村3组"),
            Ok("510681114202".into())
        );
        assert_eq!(p.resolve("金领社区"), Ok("510681001001".into()));
        assert_eq!(
            p.resolve("金鱼镇幸福村"),
            Ok("510681114".into()),
            "the township"
        );
        assert_eq!(p.resolve("红旗村"), Err(NotFound::Ambiguous));
        assert_eq!(p.resolve("三水镇红旗村"), Ok("510681101205".into()));
        assert_eq!(p.resolve("新华村"), Err(NotFound::Unknown));
        assert_eq!(p.resolve("广汉市"), Err(NotFound::Unknown));
    }

    #[test]
    fn township_and_village_in_columns_of_their_own() {
        let p = places();
        assert_eq!(
            p.resolve_parts("三水镇", Some("红旗村")),
            Ok("510681101205".into())
        );
        assert_eq!(p.resolve_parts("金鱼镇", None), Ok("510681114".into()));
        assert_eq!(
            p.resolve_parts("金鱼镇", Some("新华村")),
            Err(NotFound::Unknown)
        );
        assert_eq!(
            p.resolve_parts("石堰村", Some("红旗村")),
            Err(NotFound::Unknown)
        );
    }
}
