//! Hook managers driven for real: husky and lefthook from the npm registry
//! in a scratch repository, and the pre-commit framework's advice. A test
//! whose tool cannot be had prints "SKIPPED: <reason>" on stderr and, with
//! `KEYFENCE_REQUIRE_HOOK_MANAGERS=1` (set by `.ci/run`), fails instead.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::hooks::{commits, install, ok, path_with_keyfence, read, HOOK_NAMES};
use crate::util::{code, credentials, git_env, stderr, stdout, Repo, KEY_ID, SECRET};

/// The npm packages, pinned so a new release cannot change what is tested.
const NPM_PACKAGES: [&str; 2] = ["husky@9.1.7", "lefthook@2.2.2"];

/// `node_modules/.bin` with husky and lefthook, installed once per test
/// binary run (kept under cargo's target tmp dir, so later runs reuse it);
/// `Err(reason)` when npm or the registry cannot be had.
fn npm_bin() -> Result<PathBuf, String> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(|| {
        let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hook-managers-npm");
        let bin = prefix.join("node_modules/.bin");
        let stamp = prefix.join("installed");
        if read_stamp(&stamp) == NPM_PACKAGES.join(" ") && bin.join("husky").exists() && bin.join("lefthook").exists() {
            return Ok(bin);
        }
        std::fs::create_dir_all(&prefix).map_err(|e| e.to_string())?;
        // --ignore-scripts and not from here: lefthook's postinstall runs
        // `lefthook install` in the directory npm was started from, which
        // is this checkout, and would install hooks into its git dir.
        let out = Command::new("npm")
            .current_dir(&prefix)
            .env("LEFTHOOK", "0")
            .args(["install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
            .arg(&prefix)
            .args(NPM_PACKAGES)
            .output()
            .map_err(|e| format!("cannot run npm: {e}"))?;
        if !out.status.success() {
            return Err(format!("npm install {} failed: {}", NPM_PACKAGES.join(" "), stderr(&out).trim()));
        }
        let version = Command::new(bin.join("lefthook")).arg("version").output();
        if !version.is_ok_and(|o| o.status.success()) {
            return Err("lefthook from npm does not run on this machine".into());
        }
        std::fs::write(&stamp, NPM_PACKAGES.join(" ")).map_err(|e| e.to_string())?;
        Ok(bin)
    })
    .clone()
}

fn read_stamp(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn tools_or_skip(test: &str) -> Option<PathBuf> {
    crate::util::tool_or_skip(test, npm_bin())
}

/// PATH with keyfence (the binary under test) and the npm tools first.
fn path_with(bin: &Path) -> (tempfile::TempDir, std::ffi::OsString) {
    let (dir, path) = path_with_keyfence();
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(std::env::split_paths(&path))).unwrap();
    (dir, path)
}

/// A command in `repo` as a user's shell would run it: the repository's
/// hermetic git environment, `path`, and no manager switched off.
fn in_repo(repo: &Repo, path: &std::ffi::OsStr, program: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(program);
    git_env(&mut cmd);
    cmd.current_dir(repo.path()).env("PATH", path).env_remove("HUSKY").env_remove("LEFTHOOK");
    cmd.env_remove("LEFTHOOK_EXCLUDE").args(args).output().unwrap()
}

/// A commit that is blocked (with `what` shown) and leaves HEAD where it was.
#[track_caller]
fn assert_blocked(repo: &Repo, path: &std::ffi::OsStr, args: &[&str], what: &str) {
    let before = commits(repo.path());
    let out = in_repo(repo, path, "git", &[&["commit", "-q"][..], args].concat());
    assert!(!out.status.success(), "blocked: {args:?}\nstdout: {}\nstderr: {}", stdout(&out), stderr(&out));
    let shown = format!("{}{}", stdout(&out), stderr(&out));
    assert!(shown.contains(what), "{what} shown: {shown}");
    assert_eq!(commits(repo.path()), before);
}

#[track_caller]
fn assert_commits(repo: &Repo, path: &std::ffi::OsStr, message: &str) {
    let before = commits(repo.path());
    let out = in_repo(repo, path, "git", &["commit", "-q", "-m", message]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(commits(repo.path()), before + 1);
}

/// Through a hook manager: a staged key is blocked while the project's own
/// pre-commit command (it writes `lint-ran`) still runs, a key in the commit
/// message is blocked, and a clean commit goes through.
fn assert_keys_blocked_and_clean_commits_pass(repo: &Repo, path: &std::ffi::OsStr) {
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    assert_blocked(repo, path, &["-m", "creds"], "creds");
    assert!(repo.path().join("lint-ran").exists(), "the project's own command still runs");
    repo.git(&["rm", "-q", "--cached", "creds"]);
    std::fs::remove_file(repo.path().join("creds")).unwrap();

    repo.write("notes", "clean\n");
    repo.git(&["add", "notes"]);
    assert_blocked(repo, path, &["-m", &format!("deploy with {KEY_ID} {SECRET}")], KEY_ID);
    assert_commits(repo, path, "clean notes");
}

#[test]
fn husky_runs_keyfence_after_husky_runs_again() {
    let Some(bin) = tools_or_skip("husky_runs_keyfence_after_husky_runs_again") else { return };
    let (_dir, path) = path_with(&bin);
    let repo = Repo::new();
    repo.commit_file("README", "hello\n", "init");
    // The project's own husky script, as `husky init` writes one.
    repo.write(".husky/pre-commit", "touch lint-ran\n");
    let husky = bin.join("husky").display().to_string();
    let out = in_repo(&repo, &path, &husky, &[]);
    assert!(out.status.success(), "husky: {}{}", stdout(&out), stderr(&out));
    assert_eq!(repo.git(&["config", "core.hooksPath"]), ".husky/_");

    // keyfence adds its line to husky's scripts, not to .husky/_.
    let out = install(&repo, &[]);
    let text = ok(&out);
    assert!(!stderr(&out).contains("--force"), "{}", stderr(&out));
    assert!(text.contains("added to .husky/pre-commit: keyfence hook pre-commit"), "{text}");
    assert_eq!(read(&repo.path().join(".husky/pre-commit")), "touch lint-ran\nkeyfence hook pre-commit\n");
    let scripts: Vec<String> = HOOK_NAMES.iter().map(|n| read(&repo.path().join(".husky").join(n))).collect();
    assert!(scripts[1].contains("keyfence hook commit-msg"), "{}", scripts[1]);

    // Asked again: nothing changes.
    ok(&install(&repo, &[]));
    let again: Vec<String> = HOOK_NAMES.iter().map(|n| read(&repo.path().join(".husky").join(n))).collect();
    assert_eq!(again, scripts);

    // husky runs again, as every `npm install` does, and keyfence still checks.
    let out = in_repo(&repo, &path, &husky, &[]);
    assert!(out.status.success(), "husky: {}{}", stdout(&out), stderr(&out));
    // A staged key, then a key in the commit message (commit-msg).
    assert_keys_blocked_and_clean_commits_pass(&repo, &path);
}

/// The text between the line `start` and the next line starting with
/// `# ` or `Then` (the blocks `keyfence install` prints for lefthook).
fn block_after(text: &str, start: &str) -> String {
    let mut lines = text.lines().skip_while(|l| *l != start);
    assert!(lines.next().is_some(), "no {start:?} in {text}");
    lines.take_while(|l| !l.starts_with("# ") && !l.starts_with("Then")).map(|l| format!("{l}\n")).collect()
}

#[test]
fn the_lefthook_snippet_merges_into_an_existing_lefthook_yml_as_printed() {
    let Some(bin) = tools_or_skip("the_lefthook_snippet_merges_into_an_existing_lefthook_yml_as_printed") else {
        return;
    };
    let (_dir, path) = path_with(&bin);
    let lefthook = bin.join("lefthook").display().to_string();
    let repo = Repo::new();
    repo.commit_file("README", "hello\n", "init");
    // A project that already has pre-commit and commit-msg hooks.
    let config = "pre-commit:\n  commands:\n    lint:\n      run: touch lint-ran\ncommit-msg:\n  commands:\n    \
                  msg:\n      run: touch msg-ran\n";
    repo.write("lefthook.yml", config);
    let out = in_repo(&repo, &path, &lefthook, &["install"]);
    assert!(out.status.success(), "lefthook install: {}{}", stdout(&out), stderr(&out));

    let out = install(&repo, &[]);
    assert_eq!(code(&out), 0, "instructions are not an error: {}", stderr(&out));
    let err = stderr(&out);
    assert!(!err.contains("--force"), "{err}");
    // Exactly as printed: the new file, and the lines appended.
    let file = block_after(&err, "# .keyfence-lefthook.yml (a new file; commit it)");
    let append = block_after(&err, "# lefthook.yml (append)");
    repo.write(".keyfence-lefthook.yml", &file);
    repo.write("lefthook.yml", &format!("{config}{append}"));
    let out = in_repo(&repo, &path, &lefthook, &["install"]);
    assert!(out.status.success(), "lefthook install: {}{}", stdout(&out), stderr(&out));

    assert_keys_blocked_and_clean_commits_pass(&repo, &path);
    assert!(repo.path().join("msg-ran").exists());

    // With an `extends:` list already there, it says to add one line.
    let repo = Repo::new();
    repo.write("lefthook.yml", "extends:\n  - other.yml\n");
    let out = install(&repo, &[]);
    assert_eq!(code(&out), 0);
    assert_eq!(
        block_after(&stderr(&out), "# lefthook.yml: add this line to its extends: list"),
        "  - .keyfence-lefthook.yml\n"
    );
}

#[test]
fn pre_commit_advice_names_every_hook_type_and_the_readme_gives_the_same() {
    let repo = Repo::new();
    let hook = repo.path().join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n").unwrap();
    let out = install(&repo, &[]);
    assert_eq!(code(&out), 0, "instructions are not an error: {}", stderr(&out));
    let err = stderr(&out);
    let install_line = "pre-commit install -t pre-commit -t commit-msg -t prepare-commit-msg";
    let config_line = "default_install_hook_types: [pre-commit, commit-msg, prepare-commit-msg]";
    assert!(err.contains(&format!("\n  {install_line}\n")), "{err}");
    assert!(err.contains(&format!("\n  {config_line}")), "{err}");
    assert!(!err.contains("--force"), "{err}");
    let readme = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    assert!(readme.contains(install_line), "README gives the same command");
    assert!(readme.contains(config_line), "README gives the same setting");
}
