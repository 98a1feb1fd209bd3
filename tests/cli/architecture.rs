//! The layout rules of `docs/architecture.md`, checked on the source tree so
//! that a change which breaks them fails here rather than in review:
//! top-level modules of `src/` form no import cycle, no file carries more than
//! 450 lines of non-test code, and the generic stages (findings, pipeline,
//! reports) hold no provider-specific branch.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_NON_TEST_LINES: usize = 450;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The lines of a file that ship: everything before its first
/// `#[cfg(test)]`, and nothing of a file that only tests compile.
fn production_lines(path: &Path) -> Vec<String> {
    let name = path.file_name().unwrap().to_string_lossy();
    if name.contains("proptests") || name == "tests.rs" {
        return Vec::new();
    }
    let text = std::fs::read_to_string(path).expect("source file is readable");
    let mut kept = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "#[cfg(test)]" {
            kept.push(line.to_string());
            continue;
        }
        // Skip the gated item: a one-line `mod x;` or a braced block.
        let mut depth = 0i64;
        for gated in lines.by_ref() {
            depth += gated.matches('{').count() as i64 - gated.matches('}').count() as i64;
            if depth <= 0 && (gated.trim_end().ends_with(';') || gated.trim_end().ends_with('}')) {
                break;
            }
        }
    }
    kept
}

/// The top-level module a file belongs to: `src/a.rs` and `src/a/**` are `a`.
fn top_level_module(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(src_dir()).ok()?;
    let first = relative.components().next()?.as_os_str().to_string_lossy().into_owned();
    let module = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (module != "lib" && module != "main").then_some(module)
}

/// `module -> modules it names as crate::X` in production code.
fn import_edges() -> BTreeMap<String, BTreeSet<String>> {
    let files = rust_files(&src_dir());
    let modules: BTreeSet<String> = files.iter().filter_map(|f| top_level_module(f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(from) = top_level_module(file) else { continue };
        let code = production_lines(file).join("\n");
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if name != from && modules.contains(&name) {
                edges.entry(from.clone()).or_default().insert(name);
            }
        }
        // `use crate::{a, b::c}` names several modules at once.
        for (at, _) in code.match_indices("crate::{") {
            let group = &code[at + "crate::{".len()..];
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for part in group.split(',') {
                let name: String = part.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if name != from && modules.contains(&name) {
                    edges.entry(from.clone()).or_default().insert(name);
                }
            }
        }
    }
    edges
}

/// A cycle through `start`, as the list of modules on it, if there is one.
fn cycle_from(start: &str, edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((module, path)) = stack.pop() {
        for next in edges.get(&module).into_iter().flatten() {
            if next == start {
                return Some([path.clone(), vec![start.to_string()]].concat());
            }
            if seen.insert(next.clone()) {
                stack.push((next.clone(), [path.clone(), vec![next.clone()]].concat()));
            }
        }
    }
    None
}

#[test]
fn top_level_modules_import_each_other_in_no_cycle() {
    let edges = import_edges();
    let cycles: Vec<String> =
        edges.keys().filter_map(|m| cycle_from(m, &edges)).map(|cycle| cycle.join(" -> ")).collect();
    assert!(cycles.is_empty(), "module import cycles (see docs/architecture.md):\n{}", cycles.join("\n"));
}

#[test]
fn no_source_file_has_more_than_450_lines_of_non_test_code() {
    let too_long: Vec<String> = rust_files(&src_dir())
        .iter()
        .map(|f| (f, production_lines(f).len()))
        .filter(|(_, lines)| *lines > MAX_NON_TEST_LINES)
        .map(|(f, lines)| format!("{}: {lines}", f.strip_prefix(src_dir()).unwrap().display()))
        .collect();
    assert!(too_long.is_empty(), "files over {MAX_NON_TEST_LINES} non-test lines: {too_long:?}");
}

#[test]
fn generic_stages_hold_no_provider_specific_branch() {
    let src = src_dir();
    let generic: Vec<PathBuf> =
        [rust_files(&src.join("report")), vec![src.join("finding.rs"), src.join("pipeline.rs")]].concat();
    let mut offending = Vec::new();
    for file in generic {
        for (number, line) in production_lines(&file).iter().enumerate() {
            // Comments may use AWS as an example; code may not branch on it.
            let code = line.split("//").next().unwrap_or("");
            if code.to_ascii_lowercase().contains("aws") {
                offending.push(format!(
                    "{}:{}: {}",
                    file.strip_prefix(&src).unwrap().display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(offending.is_empty(), "provider-specific code belongs in src/providers/:\n{}", offending.join("\n"));
}
