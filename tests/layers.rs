//! The crate's architecture, held by a test: its top-level modules stand
//! in layers, and no file may import from a layer above its own (the
//! engine knows nothing of statistics, exports or commands); and no files
//! import each other in a circle. Imports are read as text (`crate::`,
//! `super::` and `self::` paths), comments left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules, bottom layer first. A module may use its own
/// layer's and those below.
const LAYERS: &[&[&str]] = &[
    &["duration"],
    &["policy", "population", "server", "client"],
    &["scenario"],
    &["engine"],
    &["stats", "shard", "error", "resources"],
    &["plan", "observe", "simulation"],
    &["export", "fit", "manual"],
    &["commands", "serve"],
    &["main", "cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Every source file, by its module path (`engine::partition::walk`).
fn files() -> BTreeMap<Vec<String>, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(Path::new("src"), &mut paths);
    paths
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix("src").unwrap().with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            (parts, p)
        })
        .collect()
}

/// The module paths `text` (the file at `here`) refers to through
/// `crate::`, `super::` and `self::`, braces expanded one level.
fn references(text: &str, here: &[String]) -> Vec<Vec<String>> {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    for base in ["crate::", "super::", "self::"] {
        let mut rest = code.as_str();
        while let Some(i) = rest.find(base) {
            let before = rest[..i].chars().last();
            rest = &rest[i + base.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let root: Vec<String> = match base {
                "crate::" => Vec::new(),
                "super::" => here[..here.len().saturating_sub(1)].to_vec(),
                _ => here.to_vec(),
            };
            let after = &rest[path.len()..];
            // `a::{b, c::d}`: one path per item.
            let items: Vec<String> = match after.strip_prefix('{') {
                Some(braced) => {
                    let body: String = braced.chars().take_while(|c| *c != '}').collect();
                    body.split(',').map(|i| format!("{path}{}", i.trim())).collect()
                }
                None => vec![path],
            };
            for item in items {
                let mut full = root.clone();
                full.extend(
                    item.split("::")
                        .map(|s| s.split_whitespace().next().unwrap_or(""))
                        .filter(|s| !s.is_empty() && *s != "self")
                        .map(str::to_string),
                );
                out.push(full);
            }
        }
    }
    out
}

/// The file a module path lands in: its longest prefix that is a file.
fn resolve<'a>(path: &[String], files: &'a BTreeMap<Vec<String>, PathBuf>) -> Option<&'a Vec<String>> {
    (1..=path.len())
        .rev()
        .find_map(|n| files.get_key_value(&path[..n]).map(|(k, _)| k))
}

fn edges() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let files = files();
    let mut edges = BTreeMap::new();
    for (module, path) in &files {
        let text = std::fs::read_to_string(path).unwrap();
        // A file's own tests may reach anywhere below it.
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        let here: Vec<String> = if path.ends_with("mod.rs") || path.ends_with("lib.rs") {
            let mut m = module.clone();
            m.push(String::new()); // `super` of a mod.rs is its parent
            m
        } else {
            module.clone()
        };
        let targets: BTreeSet<Vec<String>> = references(text, &here)
            .iter()
            .filter_map(|r| resolve(r, &files))
            .filter(|t| *t != module)
            .cloned()
            .collect();
        edges.insert(module.clone(), targets);
    }
    edges
}

#[test]
fn no_file_imports_from_a_layer_above_its_own() {
    let mut upward = Vec::new();
    for (from, targets) in edges() {
        let Some(top) = from.first() else { continue };
        let Some(own) = layer_of(top) else {
            panic!("src/{top}: a top-level module with no layer; add it to LAYERS");
        };
        for to in targets {
            let target = to.first().map(String::as_str).unwrap_or("");
            if layer_of(target).is_some_and(|l| l > own) {
                upward.push(format!("{} uses {}", from.join("::"), to.join("::")));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports from a layer above:\n{}",
        upward.join("\n")
    );
}

#[test]
fn no_files_import_each_other_in_a_circle() {
    let edges = edges();
    // A file is in a circle if it reaches itself.
    let mut circles = BTreeSet::new();
    for start in edges.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&Vec<String>> = edges[start].iter().collect();
        while let Some(next) = stack.pop() {
            if next == start {
                circles.insert(start.join("::"));
                break;
            }
            if seen.insert(next) {
                stack.extend(edges.get(next).into_iter().flatten());
            }
        }
    }
    assert!(circles.is_empty(), "files in an import circle: {circles:?}");
}

#[test]
fn the_reader_sees_imports() {
    let here = vec!["engine".to_string(), "partition".to_string(), "walk".to_string()];
    let refs = references(
        "use super::upstream::Upstream; // crate::commands\nuse crate::policy::{evicted_at, lifetime::Bounds};",
        &here,
    );
    let path = |p: &str| p.split("::").map(str::to_string).collect::<Vec<_>>();
    assert_eq!(
        refs,
        vec![
            path("policy::evicted_at"),
            path("policy::lifetime::Bounds"),
            path("engine::partition::upstream::Upstream"),
        ]
    );
}
