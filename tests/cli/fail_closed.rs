//! Fail-closed regressions (issue 12): a repository that cannot be opened,
//! a file that cannot be read and a walk that fails each end in exit 2 with
//! one line naming it, never in a "clean" scan of less than was asked.

use std::path::Path;
use std::process::{Command, Output};

use crate::util::{code, git_env, stderr, Repo, KEY_ID};

/// A repository git itself cannot read: its config does not parse.
fn repo_with_a_broken_config() -> Repo {
    let repo = Repo::new();
    repo.commit_file("notes.txt", "clean\n", "first");
    let config = repo.path().join(".git/config");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("[core\n");
    std::fs::write(&config, text).unwrap();
    repo
}

/// keyfence invoked as `git-secrets` (through a symlink), in `dir`.
fn git_secrets(dir: &Path, args: &[&str]) -> Output {
    let bin = tempfile::tempdir().unwrap();
    let link = bin.path().join("git-secrets");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_keyfence"), &link).unwrap();
    let mut cmd = Command::new(&link);
    git_env(&mut cmd);
    cmd.current_dir(dir).args(args).output().unwrap()
}

/// Exit 2 with exactly one error line, which contains `naming`.
fn assert_one_error_naming(out: &Output, naming: &str) {
    let err = stderr(out);
    assert_eq!(code(out), 2, "stderr: {err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("keyfence: error:")).collect();
    assert_eq!(errors.len(), 1, "stderr: {err}");
    assert!(errors[0].contains(naming), "{:?} does not name {naming}", errors[0]);
}

/// Whether `path` cannot be read (false as root, which reads anything).
fn unreadable(path: &Path) -> bool {
    std::fs::read_dir(path).is_err() && std::fs::read(path).is_err()
}

#[test]
fn commit_msg_hook_in_a_repository_that_cannot_be_opened_exits_2() {
    let repo = repo_with_a_broken_config();
    repo.write("MSG", &format!("deploy with {KEY_ID}\n"));
    let out = repo.keyfence(&["hook", "commit-msg", "MSG"]);
    assert_one_error_naming(&out, "cannot open it");
}

#[test]
fn commit_msg_hook_outside_a_repository_still_scans_the_message() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("MSG"), format!("deploy with {KEY_ID}\n")).unwrap();
    let mut cmd = crate::util::keyfence();
    git_env(&mut cmd);
    let out = cmd.current_dir(dir.path()).args(["hook", "commit-msg", "MSG"]).output().unwrap();
    assert_eq!(code(&out), 1, "stderr: {}", stderr(&out));
}

#[test]
fn git_secrets_scan_in_a_repository_that_cannot_be_opened_exits_2() {
    let repo = repo_with_a_broken_config();
    let out = git_secrets(repo.path(), &["--scan", "notes.txt"]);
    assert_one_error_naming(&out, "cannot open it");
}

#[test]
fn git_secrets_scan_reports_a_tracked_file_it_cannot_read() {
    let repo = Repo::new();
    repo.commit_file("config.env", "clean\n", "first");
    // A symlink to itself: reading it fails (ELOOP) even as root.
    std::fs::remove_file(repo.path().join("config.env")).unwrap();
    std::os::unix::fs::symlink("config.env", repo.path().join("config.env")).unwrap();
    let out = git_secrets(repo.path(), &["--scan"]);
    assert_one_error_naming(&out, "cannot read config.env");
}

#[test]
fn git_secrets_scan_skips_a_tracked_file_deleted_from_the_work_tree() {
    let repo = Repo::new();
    repo.commit_file("config.env", "clean\n", "first");
    std::fs::remove_file(repo.path().join("config.env")).unwrap();
    let out = git_secrets(repo.path(), &["--scan"]);
    assert_eq!(code(&out), 0, "as git grep: stderr: {}", stderr(&out));
}

#[test]
fn git_secrets_untracked_scan_reports_an_untracked_file_it_cannot_read() {
    use std::os::unix::fs::PermissionsExt;
    let repo = Repo::new();
    repo.commit_file("tracked.txt", "clean\n", "first");
    repo.write("new.env", "clean\n");
    let path = repo.path().join("new.env");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if !unreadable(&path) {
        eprintln!("skipped: running as root, every file is readable");
        return;
    }
    let out = git_secrets(repo.path(), &["--scan", "--untracked"]);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_one_error_naming(&out, "new.env");
}

#[test]
fn git_secrets_untracked_scan_reports_a_directory_it_cannot_walk() {
    use std::os::unix::fs::PermissionsExt;
    let repo = Repo::new();
    repo.commit_file("tracked.txt", "clean\n", "first");
    repo.write("private/new.env", "clean\n");
    let dir = repo.path().join("private");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o000)).unwrap();
    if !unreadable(&dir) {
        eprintln!("skipped: running as root, every directory is readable");
        return;
    }
    let out = git_secrets(repo.path(), &["--scan", "--untracked"]);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_one_error_naming(&out, "private");
}
