//! The engine's layering, checked: every module under `src/engine/` imports only modules ranked
//! below it (no cycles, no sideways edges), and `src/ffi/` reaches the engine through
//! `engine::api` only. The ranks are the map in `src/engine/mod.rs` and docs/ARCHITECTURE.md;
//! an edge that must break the rule goes on the short, commented allow-list below.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Rank of a module path under `engine` (its first segment, then its place inside a group).
fn rank(path: &[String]) -> Option<(u32, u32)> {
    let top = path.first()?.as_str();
    let group = match top {
        "log" | "diag" | "error" | "reactor" | "completion" | "settings" | "callback" | "metrics" => 0,
        "cancel" => 1,
        "transport" => 2,
        "conn" => 3,
        "plan" => 4,
        "pool" => 5,
        "lane" => 6,
        "objects" => 7,
        "ops" => 8,
        "handles" => 9,
        "options" => 10,
        "api" => 11,
        _ => return None,
    };
    // A second segment that is not a submodule is an item of the group's own module.
    let sub = path.get(1).map(String::as_str).filter(|s| {
        matches!(
            *s,
            "resolve" | "tls" | "tcp" | "handle" | "session" | "request" | "connect" | "send" | "receive" | "read"
        )
    });
    let inner = match (top, sub) {
        // The logger ranks first among the leaves: any module may log, it imports none.
        ("log", _) => 0,
        ("transport", Some("resolve" | "tls" | "gssapi")) => 0,
        ("transport", Some("tcp")) => 1,
        ("objects", Some("handle")) => 0,
        ("objects", Some("session")) => 1,
        ("objects", Some("request")) => 2,
        ("objects", Some("resolver")) => 1,
        ("ops", Some("connect")) => 1,
        ("ops", Some("send")) => 2,
        ("ops", Some("receive" | "read")) => 3,
        // The group's own mod.rs (the ops driver) ranks first: its children build on it.
        ("ops", None) => 0,
        (_, None) => 9,
        _ => 5,
    };
    Some((group, inner))
}

/// Edges allowed although they break the ranks: (from, to), with the reason.
const ALLOWED: &[(&str, &str, &str)] = &[
    // None today. Add an edge here only with a reason a reviewer can check.
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file under src/ (`engine/ops/mod.rs` -> [engine, ops]).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    if last != "mod.rs" {
        parts.push(last.trim_end_matches(".rs").to_string());
    }
    parts
}

/// The code of a file without its test modules (they sit at the end and `use super::*`).
fn code(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]" && lines.peek().is_some_and(|l| l.contains("mod ")) {
            break;
        }
        if !line.trim_start().starts_with("//") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Every module path `text` refers to, absolute (`crate::...`) or relative (`super::...`), as
/// seen from module `from`.
fn references(text: &str, from: &[String]) -> BTreeSet<Vec<String>> {
    let mut refs = BTreeSet::new();
    let bytes = text.as_bytes();
    let ident = |s: &str| -> Vec<String> {
        let path: String = s.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        path.split("::").take_while(|p| !p.is_empty()).map(str::to_string).collect()
    };
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let boundary =
            i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b':');
        if boundary && rest.starts_with("crate::") {
            refs.insert(ident(&rest["crate::".len()..]));
            i += 7;
        } else if boundary && rest.starts_with("super::") {
            let mut up = 0;
            let mut r = rest;
            while let Some(x) = r.strip_prefix("super::") {
                up += 1;
                r = x;
            }
            if up <= from.len() {
                let mut path: Vec<String> = from[..from.len() - up].to_vec();
                path.extend(ident(r));
                refs.insert(path);
            }
            i += 7 * up;
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    refs
}

#[test]
fn engine_imports_only_go_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src.join("engine"), &mut files);
    let mut bad = Vec::new();
    let mut edges = 0;
    for file in &files {
        let from = module_of(&src, file);
        let Some(from_rank) = rank(&from[1..]) else { continue };
        for to in references(&code(file), &from) {
            if to.first().map(String::as_str) != Some("engine") || to.len() < 2 {
                continue;
            }
            let to = &to[1..];
            let Some(to_rank) = rank(to) else { continue };
            // A module may use its own items and its own children.
            if to.starts_with(&from[1..]) {
                continue;
            }
            edges += 1;
            let (f, t) = (from[1..].join("::"), to.join("::"));
            let allowed = ALLOWED.iter().any(|(a, b, _)| f == *a && t.starts_with(b));
            if to_rank >= from_rank && !allowed {
                bad.push(format!("{f} -> {t} (ranks {from_rank:?} -> {to_rank:?})"));
            }
        }
    }
    assert!(edges > 30, "the checker found only {edges} edges: is it still reading the code?");
    bad.sort();
    bad.dedup();
    assert!(bad.is_empty(), "imports that go up or sideways inside src/engine/:\n{}", bad.join("\n"));
}

#[test]
fn ffi_reaches_the_engine_through_its_api_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src.join("ffi"), &mut files);
    let mut bad = Vec::new();
    for file in &files {
        let from = module_of(&src, file);
        for to in references(&code(file), &from) {
            if to.first().map(String::as_str) == Some("engine") && to.get(1).map(String::as_str) != Some("api") {
                bad.push(format!("{} -> {}", from.join("::"), to.join("::")));
            }
        }
    }
    assert!(bad.is_empty(), "src/ffi/ reaching past engine::api:\n{}", bad.join("\n"));
}

#[test]
fn the_checker_sees_an_upward_edge() {
    let from: Vec<String> = ["engine", "conn"].iter().map(|s| s.to_string()).collect();
    let refs = references("use super::pool::Permit;\nlet x = crate::engine::ops::run;", &from);
    assert!(refs.contains(&vec!["engine".to_string(), "pool".into(), "Permit".into()]));
    assert!(refs.iter().any(|r| r.starts_with(&["engine".to_string(), "ops".into()])));
    assert!(rank(&["pool".to_string()]) > rank(&["conn".to_string()]));
}
