//! The code's floors, checked: no two top-level modules import each other, and route
//! handlers only translate HTTP (no query, no event, a screen at most).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let relative = p.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
            (relative, std::fs::read_to_string(&p).expect("read file"))
        })
        .collect()
}

/// The top-level module a file under `src/` belongs to (`cycles/create.rs` → `cycles`).
fn top_module(relative: &str) -> String {
    relative.split('/').next().unwrap_or_default().trim_end_matches(".rs").to_string()
}

/// Names following `crate::` on a code line, including those inside `crate::{…}`.
fn imported(line: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (i, _) in line.match_indices("crate::") {
        let rest = &line[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or_default();
            names.extend(group.split(',').filter_map(|item| {
                let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                (!name.is_empty()).then_some(name)
            }));
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            names.push(name);
        }
    }
    names
}

#[test]
fn no_two_top_level_modules_import_each_other() {
    let files = sources();
    let modules: BTreeSet<String> = files.iter().map(|(p, _)| top_module(p)).collect();
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in &files {
        let from = top_module(path);
        if from == "lib" || from == "main" {
            continue;
        }
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for name in imported(line) {
                if name != from && modules.contains(&name) {
                    imports.entry(from.clone()).or_default().insert(name);
                }
            }
        }
    }
    let loops: Vec<String> = imports
        .iter()
        .flat_map(|(a, to)| to.iter().map(move |b| (a, b)))
        .filter(|(a, b)| a < b && imports.get(*b).is_some_and(|back| back.contains(*a)))
        .map(|(a, b)| format!("{a} <-> {b}"))
        .collect();
    assert!(loops.is_empty(), "modules that import each other: {loops:?}");
}

/// Each route handler: where it is, its length from `async fn` to its closing brace, and
/// its body.
fn handlers() -> Vec<(String, usize, String)> {
    let route = ["#[get(", "#[post(", "#[put(", "#[patch(", "#[delete("];
    let mut found = Vec::new();
    for (path, text) in sources() {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !route.iter().any(|r| line.starts_with(r)) {
                continue;
            }
            let start = i + lines[i..].iter().position(|l| l.contains("async fn")).expect("handler fn");
            let end = start + lines[start..].iter().position(|l| *l == "}").expect("handler end");
            let name = lines[start].split("fn ").nth(1).unwrap_or_default().split('(').next().unwrap_or_default();
            found.push((format!("{path}::{name}"), end - start + 1, lines[start..=end].join("\n")));
        }
    }
    found
}

#[test]
fn handlers_only_translate_http() {
    let handlers = handlers();
    assert!(handlers.len() > 40, "found only {} handlers", handlers.len());
    let mut faults = Vec::new();
    for (name, length, body) in &handlers {
        if *length >= 45 {
            faults.push(format!("{name} is {length} lines long"));
        }
        for forbidden in ["db_run!", "events::record", "diesel::", ".filter("] {
            if body.contains(forbidden) {
                faults.push(format!("{name} runs `{forbidden}` itself"));
            }
        }
    }
    assert!(faults.is_empty(), "handlers doing more than HTTP:\n{}", faults.join("\n"));
}
