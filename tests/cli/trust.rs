//! Trust and I/O: what repository-supplied files may do (allowlists from
//! the base of a range, `.gitallowed` only where git-secrets is set up,
//! bounded reads of `.keyfence.toml`, `.gitallowed` and baselines), which
//! `.gitignore` files a `scan PATH` obeys, where a report may be written,
//! and standard error that nobody reads.

use std::process::Stdio;

use crate::util::{code, credentials, json, keyfence, stderr, Repo, KEY_ID, SECRET};

/// A scan whose standard error is a pipe with no reader.
fn with_closed_stderr(cmd: &mut std::process::Command) -> i32 {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let status = cmd.stdout(Stdio::null()).stderr(writer).status().expect("keyfence runs");
    status.code().unwrap_or_else(|| panic!("killed by a signal: {status:?}"))
}

#[test]
fn closed_stderr_pipe_still_exits_by_the_findings_not_sigabrt() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("creds"), credentials(KEY_ID, SECRET)).unwrap();
    for i in 0..20 {
        std::fs::write(dir.path().join(format!("big{i}.txt")), "a".repeat(2000)).unwrap();
    }
    let findings =
        with_closed_stderr(keyfence().current_dir(dir.path()).args(["scan", ".", "--max-blob-size", "1000"]));
    assert_eq!(findings, 1);
    let repo = Repo::new();
    repo.commit_file("README", "hi\n", "base");
    let error = with_closed_stderr(keyfence().current_dir(repo.path()).args(["scan", "--range", "nope..HEAD"]));
    assert_eq!(error, 2);
}

#[test]
fn output_refuses_a_symlink_committed_at_the_report_path() {
    let repo = Repo::new();
    repo.commit_file("README", "hi\n", "base");
    std::os::unix::fs::symlink(".git/config", repo.path().join("keyfence.sarif")).unwrap();
    let before = std::fs::read_to_string(repo.path().join(".git/config")).unwrap();
    let target = repo.path().join("keyfence.sarif");
    let out =
        repo.keyfence(&["scan", "--range", "HEAD..HEAD", "--format", "sarif", "--output", target.to_str().unwrap()]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(repo.path().join(".git/config")).unwrap(), before);
    // A plain path in the repository and a link outside it are written.
    let out = repo.keyfence(&["scan", "--range", "HEAD..HEAD", "--format", "sarif", "--output", "plain.sarif"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn output_to_dev_stdout_through_a_pipe_is_not_an_fsync_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("creds"), credentials(KEY_ID, SECRET)).unwrap();
    let out = keyfence()
        .current_dir(dir.path())
        .args(["scan", ".", "--format", "json", "--output", "/dev/stdout"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(json(&out)["findings"].as_array().unwrap().len(), 2);
}

/// `main` with a README, then branch `pr` checked out.
fn repo_with_pr_branch() -> Repo {
    let repo = Repo::new();
    repo.commit_file("README", "hi\n", "base");
    repo.git(&["checkout", "-q", "-b", "pr"]);
    repo
}

#[test]
fn range_reads_allowlists_from_the_base_commit_not_the_change() {
    let repo = repo_with_pr_branch();
    repo.git(&["config", "secrets.patterns", "corp-[0-9]{6}"]);
    repo.write("deploy.ini", &credentials(KEY_ID, SECRET));
    repo.write(".gitallowed", "[A-Za-z0-9]\n");
    repo.write(".keyfence.toml", "[allowlist]\npaths = [\"**\"]\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "deploy config"]);
    for args in [&["scan", "--range", "main...HEAD"][..], &["scan", "--range", "main...HEAD", "--no-config"]] {
        let out = repo.keyfence(args);
        assert_eq!(code(&out), 1, "{args:?}: {}", stderr(&out));
    }
    assert_eq!(code(&repo.keyfence(&["scan", "--since", "main"])), 1);
    // An allowlist the base has applies, even where the change deletes it.
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file(".keyfence.toml", "[allowlist]\npaths = [\"deploy.ini\"]\n", "allow deploy.ini");
    repo.git(&["checkout", "-q", "-b", "pr2"]);
    repo.git(&["rm", "-q", ".keyfence.toml"]);
    repo.commit_file("deploy.ini", &credentials(KEY_ID, SECRET), "deploy config");
    let out = repo.keyfence(&["scan", "--range", "main...HEAD"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn gitallowed_applies_only_where_git_secrets_is_configured_and_not_with_no_config() {
    let repo = Repo::new();
    repo.write("deploy.ini", &credentials(KEY_ID, SECRET));
    repo.write(".gitallowed", "deploy\n");
    assert_eq!(code(&repo.keyfence(&["scan", "."])), 1, "no git-secrets here: .gitallowed is not read");
    repo.git(&["config", "secrets.patterns", "corp-[0-9]{6}"]);
    let out = repo.keyfence(&["scan", "."]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(code(&repo.keyfence(&["scan", ".", "--no-config"])), 1);
}

#[test]
fn range_baseline_inside_the_repository_comes_from_the_base_commit() {
    let repo = repo_with_pr_branch();
    repo.commit_file("deploy.ini", &credentials(KEY_ID, SECRET), "deploy config");
    let baseline = repo.keyfence(&["baseline", ".keyfence-baseline.json", "--range", "main...HEAD"]);
    assert_eq!(code(&baseline), 0, "{}", stderr(&baseline));
    // Untracked (a CI artifact): read from disk.
    let out = repo.keyfence(&["scan", "--range", "main...HEAD", "--baseline", ".keyfence-baseline.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // Committed by the change itself: refused.
    repo.git(&["add", ".keyfence-baseline.json"]);
    repo.git(&["commit", "-qm", "accept"]);
    let out = repo.keyfence(&["scan", "--range", "main...HEAD", "--baseline", ".keyfence-baseline.json"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot accept its own findings"), "{}", stderr(&out));
}

#[test]
fn committed_config_symlink_to_dev_zero_is_an_error_not_a_hang() {
    let repo = Repo::new();
    repo.write("README", "hi\n");
    std::os::unix::fs::symlink("/dev/zero", repo.path().join(".keyfence.toml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", repo.path().join("baseline.json")).unwrap();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "innocuous"]);
    let runs: [&[&str]; 3] = [
        &["scan", "--range", "HEAD..HEAD"],
        &["scan", "."],
        &["scan", ".", "--no-config", "--baseline", "baseline.json"],
    ];
    for args in runs {
        let out = repo.keyfence(args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("not a regular file"), "{args:?}: {}", stderr(&out));
    }
    std::fs::remove_file(repo.path().join(".keyfence.toml")).unwrap();
    repo.git(&["config", "secrets.patterns", "corp-[0-9]{6}"]);
    let fifo = std::process::Command::new("mkfifo").arg(repo.path().join(".gitallowed")).status().unwrap();
    assert!(fifo.success());
    let out = repo.keyfence(&["scan", "."]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains(".gitallowed: not a regular file"), "{}", stderr(&out));
}

#[test]
fn allowlist_with_too_many_globs_or_bytes_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("creds"), credentials(KEY_ID, SECRET)).unwrap();
    let globs: Vec<String> = (0..2001).map(|i| format!("\"a{i}/**/b*{{c,d}}/*.x\"")).collect();
    let config = dir.path().join(".keyfence.toml");
    std::fs::write(&config, format!("[allowlist]\npaths = [{}]\n", globs.join(","))).unwrap();
    let out = keyfence().current_dir(dir.path()).args(["scan", "."]).output().unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(".keyfence.toml: allowlist.paths: 2001 entries; the limit is 2000"),
        "{}",
        stderr(&out)
    );
    std::fs::write(&config, format!("# {}\n", "x".repeat(1 << 20))).unwrap();
    let out = keyfence().current_dir(dir.path()).args(["scan", "."]).output().unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains(".keyfence.toml: too large"), "{}", stderr(&out));
}

/// The paths of a `--format json` report's findings, sorted and deduplicated.
fn found_paths(out: &std::process::Output) -> Vec<String> {
    let mut paths: Vec<String> = crate::util::findings(&json(out)).into_iter().map(|(_, path, _)| path).collect();
    paths.sort();
    paths.dedup();
    paths
}

#[test]
fn scan_path_in_a_repository_sees_what_git_sees_not_gitignores_above_it() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join(".gitignore"), "*\n").unwrap();
    let proj = home.path().join("proj");
    let mut init = std::process::Command::new("git");
    crate::util::git_env(&mut init);
    assert!(init.args(["init", "-q", "-b", "main"]).arg(&proj).status().unwrap().success());
    let git = |args: &[&str]| {
        let mut cmd = std::process::Command::new("git");
        crate::util::git_env(&mut cmd);
        assert!(cmd.current_dir(&proj).args(args).status().unwrap().success(), "git {args:?}");
    };
    let creds = credentials(KEY_ID, SECRET);
    for file in ["credentials", "forced.env", "ignored.env", "hidden-by-dot-ignore.txt", "sub/deep.ini"] {
        std::fs::create_dir_all(proj.join(file).parent().unwrap()).unwrap();
        std::fs::write(proj.join(file), &creds).unwrap();
    }
    std::fs::write(proj.join(".gitignore"), "*.env\n").unwrap();
    std::fs::write(proj.join(".ignore"), "hidden-by-dot-ignore.txt\n").unwrap();
    git(&["add", "-f", "forced.env"]);
    let scan = |args: &[&str]| {
        let mut cmd = keyfence();
        crate::util::git_env(&mut cmd);
        cmd.current_dir(&proj).args(args).args(["--format", "json"]).output().unwrap()
    };
    let out = scan(&["scan"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    // Tracked (though .gitignore matches it) and untracked-not-ignored; not ignored.env.
    assert_eq!(found_paths(&out), ["credentials", "forced.env", "hidden-by-dot-ignore.txt", "sub/deep.ini"]);
    let out = scan(&["scan", "sub"]);
    assert_eq!(found_paths(&out), ["sub/deep.ini"]);
    let out = scan(&["scan", ".", "--no-ignore"]);
    assert_eq!(found_paths(&out).len(), 5, "{:?}", found_paths(&out));
    // Outside a repository, .gitignore and .ignore still apply.
    std::fs::remove_dir_all(proj.join(".git")).unwrap();
    std::fs::remove_file(home.path().join(".gitignore")).unwrap();
    let out = scan(&["scan", "."]);
    assert_eq!(found_paths(&out), ["credentials", "sub/deep.ini"]);
}
