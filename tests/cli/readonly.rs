//! keyfence never writes to the repository: not to objects, the index,
//! refs or config, and not to the work tree. Every scan mode runs against a
//! repository with packed and loose objects, refs, a stash, a merge in
//! progress, a staged key and git-secrets settings, and a snapshot of the
//! whole directory (`.git` included: every path, its content, size,
//! permissions and mtime, directories too) must be identical afterwards.
//! `keyfence install` is the one command that writes, and only hooks: the
//! last test checks that the snapshot sees that.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::SystemTime;

use crate::util::*;

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Dir,
    File(Vec<u8>),
    Link(PathBuf),
}

#[derive(Debug, PartialEq, Eq)]
struct Entry {
    kind: Kind,
    len: u64,
    mode: u32,
    modified: SystemTime,
}

type Snapshot = BTreeMap<PathBuf, Entry>;

/// Every path under `root` (symlinks not followed), relative to it.
fn snapshot(root: &Path) -> Snapshot {
    fn walk(root: &Path, dir: &Path, out: &mut Snapshot) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let kind = if meta.file_type().is_symlink() {
                Kind::Link(std::fs::read_link(&path).unwrap())
            } else if meta.is_dir() {
                walk(root, &path, out);
                Kind::Dir
            } else {
                Kind::File(std::fs::read(&path).unwrap())
            };
            #[cfg(unix)]
            let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions());
            #[cfg(not(unix))]
            let mode = u32::from(meta.permissions().readonly());
            let entry = Entry { kind, len: meta.len(), mode, modified: meta.modified().unwrap() };
            out.insert(path.strip_prefix(root).unwrap().to_path_buf(), entry);
        }
    }
    let mut out = Snapshot::new();
    walk(root, root, &mut out);
    out
}

/// The paths that differ between two snapshots.
fn changed(before: &Snapshot, after: &Snapshot) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = before.keys().chain(after.keys()).cloned().collect();
    paths.sort();
    paths.dedup();
    paths.retain(|p| before.get(p) != after.get(p));
    paths
}

#[track_caller]
fn assert_unchanged(root: &Path, before: &Snapshot, what: &str, out: &Output) {
    let after = snapshot(root);
    let changed = changed(before, &after);
    assert!(changed.is_empty(), "`{what}` changed the repository: {changed:?}\nstderr: {}", stderr(out));
    let err = stderr(out);
    assert!(!err.contains("internal error"), "`{what}` panicked: {err}");
}

/// A repository with something of everything a scan reads.
fn busy_repo() -> Repo {
    let repo = Repo::new();
    repo.git(&["config", "secrets.patterns", "forbidden-[0-9]+"]);
    repo.git(&["config", "secrets.allowed", "forbidden-0"]);
    repo.write(".gitallowed", "fixtures/\n");
    repo.write(".keyfence.toml", "[allowlist]\npaths = [\"docs/**\"]\n");
    repo.commit_file("README", "hello\n", "base");
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    repo.git(&["tag", "-a", "-m", "v1", "v1"]);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.commit_file("feature.env", &format!("AWS_ACCESS_KEY_ID={KEY_ID_2}\n"), "feature key");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["gc", "-q"]);
    // Loose objects after the pack, a stash, an unreachable blob.
    repo.commit_file("notes.txt", "forbidden-42\n", "notes");
    repo.write("README", "hello\nstashed\n");
    repo.git(&["stash", "-q"]);
    repo.git(&["hash-object", "-w", "creds"]);
    // A merge in progress, a staged key, an untracked key, a message file.
    repo.git(&["merge", "-q", "--no-ff", "--no-commit", "feature"]);
    repo.write("staged.env", &format!("aws_secret_access_key = {SECRET_2}\n"));
    repo.git(&["add", "staged.env"]);
    repo.write("untracked.env", &format!("AWS_ACCESS_KEY_ID={KEY_ID}\n"));
    repo.write(".git/COMMIT_EDITMSG", &format!("Merge feature\n\nold key {KEY_ID}\n"));
    repo
}

/// A `git-secrets` symlink to the binary, as git-secrets users install it.
fn git_secrets_link() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_keyfence"), dir.path().join("git-secrets")).unwrap();
    dir
}

#[test]
fn no_scan_mode_writes_to_the_repository() {
    let repo = busy_repo();
    let reports = tempfile::tempdir().unwrap();
    let report = reports.path().join("report.json");
    let report = report.to_str().unwrap();
    let before = snapshot(repo.path());
    assert!(before.keys().any(|p| p.starts_with(".git/objects/pack")), "packed objects");
    assert!(before.contains_key(Path::new(".git/MERGE_HEAD")), "a merge in progress");

    let runs: Vec<(Vec<&str>, i32)> = vec![
        (vec!["scan"], 1),
        (vec!["scan", "."], 1),
        (vec!["scan", "creds", "--format", "json"], 1),
        (vec!["scan", "--staged"], 1),
        (vec!["scan", "--staged", "--whole-files", "--format", "sarif"], 1),
        (vec!["scan", "--range", "HEAD~1..HEAD"], 1),
        (vec!["scan", "--range", "main...feature", "--format", "jsonl"], 1),
        (vec!["scan", "--since", "v1"], 1),
        (vec!["scan", "--history"], 1),
        (vec!["scan", "--history", "--all-objects", "--format", "git-secrets"], 1),
        (vec!["scan", "--history", "--branch", "feature", "--output", report], 1),
        (vec!["scan", "--history", "--skip-missing", "--max-blob-size", "10"], 0),
        (vec!["baseline", report, "--all-refs"], 0),
        (vec!["scan", "--history", "--baseline", report], 0),
        (vec!["hook", "pre-commit"], 1),
        (vec!["hook", "commit-msg", ".git/COMMIT_EDITMSG"], 1),
        (vec!["hook", "prepare-commit-msg", ".git/MERGE_MSG", "merge"], 1),
        (vec!["hook", "prepare-commit-msg", ".git/COMMIT_EDITMSG", "message"], 0),
        (vec!["rules"], 0),
        (vec!["explain", KEY_ID], 0),
    ];
    for (args, expected) in runs {
        let out = repo.keyfence(&args);
        assert_eq!(code(&out), expected, "{args:?}: {}", stderr(&out));
        assert_unchanged(repo.path(), &before, &args.join(" "), &out);
    }

    // git-secrets mode: every command that only reads.
    let link = git_secrets_link();
    let git_secrets = link.path().join("git-secrets");
    for args in [
        &["--scan"][..],
        &["--scan", "-r", "."],
        &["--scan", "--cached"],
        &["--scan", "--untracked"],
        &["--scan", "--no-index", "untracked.env"],
        &["--scan-history"],
        &["--list"],
        &["--pre_commit_hook"],
        &["--commit_msg_hook", ".git/COMMIT_EDITMSG"],
        &["--prepare_commit_msg_hook", ".git/MERGE_MSG", "merge"],
    ] {
        let mut cmd = std::process::Command::new(&git_secrets);
        git_env(&mut cmd);
        let out = cmd.current_dir(repo.path()).args(args).output().unwrap();
        assert!(out.status.code().is_some_and(|c| c <= 2), "git-secrets {args:?}: {}", stderr(&out));
        assert_unchanged(repo.path(), &before, &format!("git-secrets {}", args.join(" ")), &out);
    }
}

#[test]
fn errors_and_odd_layouts_write_nothing_either() {
    let repo = busy_repo();
    let holder = tempfile::tempdir().unwrap();
    let bare = holder.path().join("bare.git");
    let wt = holder.path().join("wt");
    repo.git(&["clone", "-q", "--bare", "--no-local", repo.path().to_str().unwrap(), bare.to_str().unwrap()]);
    repo.git(&["worktree", "add", "-q", "-b", "wt-branch", wt.to_str().unwrap(), "HEAD"]);
    std::fs::write(wt.join("wt.env"), format!("AWS_ACCESS_KEY_ID={KEY_ID_2}\n")).unwrap();
    assert!(std::process::Command::new("git").current_dir(&wt).args(["add", "wt.env"]).status().unwrap().success());
    // A missing object makes history fail: failing must not write either.
    let loose = repo.git(&["rev-parse", "HEAD:notes.txt"]);
    let loose = repo.path().join(".git/objects").join(&loose[..2]).join(&loose[2..]);
    std::fs::remove_file(&loose).unwrap();

    let before = (snapshot(repo.path()), snapshot(&bare), snapshot(&wt));
    let check = |dir: &Path, args: &[&str], expected: i32| {
        let mut cmd = keyfence();
        git_env(&mut cmd);
        let out = cmd.current_dir(dir).args(args).output().unwrap();
        assert_eq!(code(&out), expected, "{args:?} in {}: {}", dir.display(), stderr(&out));
        let what = format!("{} (in {})", args.join(" "), dir.display());
        assert_unchanged(repo.path(), &before.0, &what, &out);
        assert_unchanged(&bare, &before.1, &what, &out);
        assert_unchanged(&wt, &before.2, &what, &out);
    };
    check(repo.path(), &["scan", "--history"], 2);
    check(repo.path(), &["scan", "--history", "--skip-missing"], 1);
    check(repo.path(), &["scan", "--range", "nope..HEAD"], 2);
    check(repo.path(), &["scan", "--output", "/nonexistent/dir/report"], 2);
    check(&bare, &["scan", "--history"], 1);
    check(&bare, &["scan", "--staged"], 0);
    check(&bare, &["scan", "--range", "HEAD~2..HEAD"], 1);
    check(&wt, &["scan", "--staged"], 1);
    check(&wt, &["hook", "pre-commit"], 1);
    check(&wt, &["scan", "--history"], 2);
}

#[test]
fn install_is_the_one_writer_and_writes_only_hooks() {
    let repo = busy_repo();
    let before = snapshot(repo.path());
    let out = repo.keyfence(&["install"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let changed = changed(&before, &snapshot(repo.path()));
    assert!(!changed.is_empty(), "the snapshot must see what install writes");
    for path in &changed {
        assert!(path.starts_with(".git/hooks"), "install wrote outside .git/hooks: {path:?} (all: {changed:?})");
    }
}
