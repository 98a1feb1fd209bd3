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
    let findings = with_closed_stderr(keyfence().current_dir(dir.path()).args(["scan", ".", "--max-blob-size", "1000"]));
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
    let out = repo.keyfence(&["scan", "--range", "HEAD..HEAD", "--format", "sarif", "--output", target.to_str().unwrap()]);
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
