//! The README's walkthrough, run literally: the shell block between the
//! `walkthrough:begin` / `walkthrough:end` markers must behave as the README
//! says, so the README cannot rot.

use std::process::Command;

use crate::util::{git_env, stderr, stdout};

/// The walkthrough as a script: lines whose comment says "blocked" must
/// fail, every other line must succeed.
fn walkthrough_script() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let begin = readme.find("<!-- walkthrough:begin -->").expect("README has the walkthrough");
    let end = readme.find("<!-- walkthrough:end -->").expect("walkthrough ends");
    let block = &readme[begin..end];
    let body = block.split("```sh\n").nth(1).and_then(|b| b.split("```").next()).expect("a sh block");
    let mut script = String::from("set -e\n");
    for line in body.lines() {
        match line.split_once("  #") {
            Some((command, comment)) if comment.contains("blocked") => {
                let command = command.trim();
                script.push_str(&format!(
                    "if {command}; then echo 'README says this is blocked, but it passed: {command}' >&2; exit 1; fi\n"
                ));
            }
            _ => script.push_str(&format!("{line}\n")),
        }
    }
    script
}

#[test]
fn the_readme_walkthrough_blocks_the_commit_and_then_passes() {
    let script = walkthrough_script();
    assert!(script.contains("keyfence install") && script.contains("if git commit"), "{script}");

    let work = tempfile::tempdir().unwrap();
    let bin = work.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_keyfence"), bin.join("keyfence")).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());

    let mut sh = Command::new("sh");
    git_env(&mut sh);
    let out = sh.arg("-c").arg(&script).env("PATH", path).current_dir(work.path()).output().unwrap();
    assert!(
        out.status.success(),
        "walkthrough failed:\n{script}\nstdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );

    // The blocked commit said why, and nothing with the key was committed.
    let report = format!("{}{}", stdout(&out), stderr(&out));
    assert!(report.contains("AKIAQW6YJ5RTNMZ2KX4E"), "{report}");
    let demo = work.path().join("demo");
    let log =
        Command::new("git").args(["log", "--all", "--format=%s", "--name-only"]).current_dir(&demo).output().unwrap();
    let log = String::from_utf8_lossy(&log.stdout);
    assert!(log.contains("ignore local credentials") && !log.contains("add deploy credentials"), "{log}");
}

/// The README's first command, run in keyfence's own repository: its fake
/// keys (fixtures, rule examples, unit tests) are allowed by its
/// `.keyfence.toml`, so a new user trying `keyfence scan` here sees exit 0.
#[test]
fn keyfence_scans_its_own_repository_clean() {
    let out = crate::util::run_in(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), &["scan", "."]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
}
