//! The house's rule that layers import only downward: within every crate of
//! the workspace, the modules' imports (`crate::…` and `super::…` paths in
//! non-test code) form no circle. Read from the sources, so a new import
//! that closes a loop fails here, with the loop named.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The source folders of the workspace's library crates.
const CRATES: &[&str] = &["src", "crates/catalog/src", "crates/sandbox/src"];

#[test]
fn no_module_takes_part_in_an_import_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for dir in CRATES {
        let src = root.join(dir);
        if !src.is_dir() {
            continue;
        }
        let graph = import_graph(&src);
        assert!(graph.len() > 1, "{dir}: no modules read");
        if *dir == "src" {
            // The reader sees the imports it must: crate paths, super paths
            // and a parent's paths into its children.
            for (from, to) in [
                ("pipeline.rs", "guard.rs"),
                ("vendors/leadgenius.rs", "vendors/adapter.rs"),
                ("vendors/mod.rs", "vendors/leadgenius.rs"),
            ] {
                assert!(graph[from].contains(to), "{from} -> {to} not read");
            }
        }
        checked += 1;
        if let Some(circle) = find_circle(&graph) {
            panic!("{dir}: an import circle: {}", circle.join(" -> "));
        }
    }
    assert!(checked >= 2, "the crates were not found under {root:?}");
}

#[test]
fn the_circle_finder_finds_circles() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    let circle = find_circle(&graph).unwrap();
    assert_eq!(circle.first(), circle.last());
    assert_eq!(circle.len(), 4);
    let mut acyclic = graph.clone();
    acyclic.get_mut("c").unwrap().clear();
    assert!(find_circle(&acyclic).is_none());
}

/// Module (its file, relative to `src`) → the modules it imports.
fn import_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files = rust_files(src);
    let modules: BTreeMap<Vec<String>, String> = files
        .iter()
        .filter_map(|f| module_path(src, f).map(|m| (m, rel(src, f))))
        .collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let Some(me) = module_path(src, file) else {
            continue;
        };
        let code = non_test_code(&std::fs::read_to_string(file).unwrap());
        let mut imports = BTreeSet::new();
        let mut paths = paths_in(&code);
        // A parent's own paths into its child modules (`auth::Session`).
        for child in children(&me, &modules) {
            if mentions(&code, &child) {
                paths.push(vec!["self".into(), child]);
            }
        }
        for path in paths {
            let target = resolve(&me, &path, &modules);
            if let Some(target) = target
                && !target.is_empty()
                && target != me
            {
                imports.insert(modules[&target].clone());
            }
        }
        graph.insert(rel(src, file), imports);
    }
    graph
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn rel(src: &Path, file: &Path) -> String {
    file.strip_prefix(src)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// `vendors/auth.rs` → `[vendors, auth]`, `vendors/mod.rs` → `[vendors]`;
/// the crate roots (`lib.rs`, `main.rs`) are `[]`.
fn module_path(src: &Path, file: &Path) -> Option<Vec<String>> {
    let rel = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.clear();
    }
    Some(parts)
}

/// The code without comments and without the `#[cfg(test)] mod tests`
/// block that ends a file.
fn non_test_code(text: &str) -> String {
    let mut out = String::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
        if line.trim() == "#[cfg(test)]" && next.starts_with("mod tests") {
            break;
        }
        let code = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// Every `crate::…` and `super::…` path, brace groups expanded one level:
/// `crate::{a, b::c}` gives `crate::a` and `crate::b::c`.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(start) {
            let begin = from + at;
            from = begin + start.len();
            let before = begin.checked_sub(1).map(|i| bytes[i] as char);
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let head = start.trim_end_matches("::").to_string();
            let rest = &code[from..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let mut path = vec![head.clone()];
                    path.extend(segments(item.trim()));
                    out.push(path);
                }
            } else {
                let mut path = vec![head];
                path.extend(segments(rest));
                out.push(path);
            }
        }
    }
    out
}

/// The names of the modules directly below `me`.
fn children(me: &[String], modules: &BTreeMap<Vec<String>, String>) -> Vec<String> {
    modules
        .keys()
        .filter(|m| m.len() == me.len() + 1 && m.starts_with(me))
        .filter_map(|m| m.last().cloned())
        .collect()
}

/// Whether `code` uses `name::` as a path of its own (not `x::name::`).
fn mentions(code: &str, name: &str) -> bool {
    let needle = format!("{name}::");
    code.match_indices(&needle).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
    })
}

fn segments(text: &str) -> Vec<String> {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(text.len());
    text[..end]
        .split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The longest module path that `path` names from module `me`.
fn resolve(
    me: &[String],
    path: &[String],
    modules: &BTreeMap<Vec<String>, String>,
) -> Option<Vec<String>> {
    let (mut base, rest) = match path.first()?.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" => (me.to_vec(), &path[1..]),
        _ => {
            // `super` of `a/b.rs` is `a`; of `a/b/mod.rs` (module a::b) too.
            let mut base = me.to_vec();
            base.pop();
            (base, &path[1..])
        }
    };
    let mut found = modules.contains_key(&base).then(|| base.clone());
    for segment in rest {
        base.push(segment.clone());
        if modules.contains_key(&base) {
            found = Some(base.clone());
        } else {
            break;
        }
    }
    found
}

/// A circle of the graph as `a -> b -> … -> a`, if it has one.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let at = stack.iter().position(|n| n == node).unwrap();
                let mut circle = stack[at..].to_vec();
                circle.push(node.to_string());
                return Some(circle);
            }
            None => {}
        }
        marks.insert(node.to_string(), Mark::Open);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, marks, stack) {
                return Some(circle);
            }
        }
        stack.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if let Some(circle) = visit(node, graph, &mut marks, &mut Vec::new()) {
            return Some(circle);
        }
    }
    None
}
