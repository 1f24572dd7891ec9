//! The house rules of docs/ARCHITECTURE.md, read from the source: every import points down the
//! layers, no area reaches into another area's store, pages or API, and no file grows past what
//! a person can hold in mind.

use std::path::{Path, PathBuf};

/// The modules of `src/`, bottom first. A module may use only modules of a lower rank.
const LAYERS: &[(&str, u32)] = &[
    ("i18n", 0),
    ("config", 0),
    ("domain", 1),
    ("crypto", 1),
    ("db", 1),
    ("seed", 2),
    ("audit", 2),
    ("web", 3),
    ("regions", 4),
    ("health", 4),
    ("auth", 5),
    ("stations", 10),
    ("imports", 11),
    ("volunteers", 12),
    ("roster", 12),
    ("children", 13),
    ("recruitment", 13),
    ("activities", 14),
    ("contacts", 15),
    ("pairings", 16),
    ("wishes", 17),
    ("privacy", 18),
    ("portal", 19),
    ("dashboard", 20),
    ("reports", 21),
    ("paperwork", 21),
    ("ops", 25),
    ("app", 30),
    ("lib", 31),
    ("main", 32),
];

/// The modules that are areas: their store, pages and API are theirs alone.
const FIRST_AREA: u32 = 10;

/// The most lines a source file may have.
const MAX_LINES: usize = 600;

fn rank(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module a file belongs to: `src/pairings/store.rs` → `pairings`, `src/app.rs` → `app`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_owned()
}

/// Every `crate::a::b…` path a file names outside comments, as its segments.
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let tail = &rest[at + "crate::".len()..];
            let mut segments: Vec<String> = Vec::new();
            for part in tail.split("::") {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let whole = name.len() == part.len();
                if !name.is_empty() {
                    segments.push(name);
                }
                if !whole {
                    break;
                }
            }
            if !segments.is_empty() {
                paths.push(segments);
            }
            rest = tail;
        }
    }
    paths
}

#[test]
fn imports_point_down_and_stores_stay_home_and_files_stay_small() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut broken = Vec::new();
    for file in &files {
        let here = module_of(&src, file);
        let shown = file.strip_prefix(root).unwrap().display();
        let Some(own_rank) = rank(&here) else {
            broken.push(format!("{}: module `{here}` has no layer", shown));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        let lines = text.lines().count();
        if lines > MAX_LINES {
            broken.push(format!("{}: {lines} lines (at most {MAX_LINES})", shown));
        }
        for path in crate_paths(&text) {
            let there = &path[0];
            if *there == here {
                continue;
            }
            let Some(their_rank) = rank(there) else {
                continue;
            };
            if their_rank >= own_rank {
                broken.push(format!(
                    "{}: `{here}` uses `crate::{}`, which is not below it",
                    shown,
                    path.join("::")
                ));
            } else if their_rank >= FIRST_AREA
                && path
                    .get(1)
                    .is_some_and(|part| ["store", "pages", "api", "read"].contains(&part.as_str()))
            {
                broken.push(format!(
                    "{}: `{here}` reaches into another area: `crate::{}` (use its service)",
                    shown,
                    path.join("::")
                ));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "{} breaches of docs/ARCHITECTURE.md#layers:\n{}",
        broken.len(),
        broken.join("\n")
    );
}

#[test]
fn the_layer_check_sees_an_upward_import() {
    let paths = crate_paths(
        "use crate::pairings::service::find; // crate::ignored\nlet x = crate::web::error::AppError::NotFound;\ncrate::imports::form(super::import::KIND)",
    );
    assert_eq!(
        paths,
        vec![
            vec![
                "pairings".to_owned(),
                "service".to_owned(),
                "find".to_owned()
            ],
            vec![
                "web".to_owned(),
                "error".to_owned(),
                "AppError".to_owned(),
                "NotFound".to_owned()
            ],
            vec!["imports".to_owned(), "form".to_owned()],
        ]
    );
    assert!(rank("stations") < rank("pairings"));
    assert!(rank("auth") < Some(FIRST_AREA));
}
