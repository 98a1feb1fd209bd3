//! The built-in rule files (`src/rules/builtin/*.toml`) are written by
//! people in TOML and read by keyfence at every start: parsing 80 KB of TOML
//! took ~0.7 ms of a pre-commit hook's run (a profile of
//! `startup/scanner-new`, benches/runs/startup-2026-12-01.md), JSON of the same
//! rules a fraction of that. So the build turns each file into JSON
//! (`$OUT_DIR/builtin/<provider>.json`), which `rules::BUILTIN` includes.
//! The TOML stays the source; a file that does not parse fails the build,
//! naming it.

use std::path::Path;

fn main() {
    let source = Path::new("src/rules/builtin");
    println!("cargo::rerun-if-changed={}", source.display());
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin");
    std::fs::create_dir_all(&out).expect("create $OUT_DIR/builtin");
    let mut files: Vec<_> = std::fs::read_dir(source)
        .expect("read src/rules/builtin")
        .map(|entry| entry.expect("read src/rules/builtin").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for path in files {
        println!("cargo::rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let value: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let json = serde_json::to_string(&value).expect("TOML values are JSON values");
        let stem = path.file_stem().expect("a file name").to_string_lossy().into_owned();
        std::fs::write(out.join(format!("{stem}.json")), json).expect("write the JSON rules");
    }
}
