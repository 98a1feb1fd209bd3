//! A blocked commit says so: through a real `git commit` with keyfence's
//! hooks installed, standard error says that keyfence blocked the commit,
//! how to take the file (or the secret) out of it, how to mark a false
//! positive and how to skip the check once. Human format only.

use crate::hooks::{commits, install, ok};
use crate::util::{credentials, stderr, stdout, Repo, KEY_ID, SECRET};

fn commit(repo: &Repo, args: &[&str]) -> std::process::Output {
    repo.git_cmd().arg("commit").args(args).output().unwrap()
}

#[test]
fn a_blocked_commit_says_what_blocked_it_and_the_ways_on() {
    let repo = Repo::new();
    repo.commit_file("README.md", "hello\n", "readme");
    ok(&install(&repo, &[]));

    // pre-commit: the staged file, named in the commands to take it out.
    repo.write("config/prod env.sh", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "."]);
    let out = commit(&repo, &["-q", "-m", "deploy"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    for expected in [
        "keyfence blocked this commit: 2 findings in the staged changes",
        "git restore --staged -- 'config/prod env.sh'",
        "git rm --cached -- 'config/prod env.sh'",
        "`keyfence:allow`",
        "[allowlist]",
        ".keyfence.toml",
        "git commit --no-verify",
    ] {
        assert!(err.contains(expected), "{expected:?} in:\n{err}");
    }
    assert_eq!(commits(repo.path()), 1);
    // The advice works as printed.
    repo.git(&["restore", "--staged", "--", "config/prod env.sh"]);
    repo.write("app.txt", "clean\n");
    repo.git(&["add", "app.txt"]);
    let out = commit(&repo, &["-q", "-m", "clean"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("blocked"), "a commit that goes on says nothing: {}", stderr(&out));

    // commit-msg: the message is what to fix.
    repo.write("b.txt", "b\n");
    repo.git(&["add", "b.txt"]);
    let out = commit(&repo, &["-q", "-m", &format!("rotate {KEY_ID}")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("keyfence blocked this commit: 1 finding in its message"), "{err}");
    assert!(err.contains("git commit -e -F") && err.contains("git commit --no-verify"), "{err}");
    assert_eq!(commits(repo.path()), 2);

    // --no-verify skips it, as the message says.
    let out = commit(&repo, &["-q", "--no-verify", "-m", &format!("rotate {KEY_ID}")]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A report for a program (`--format json`) gets no advice for a person.
#[test]
fn a_machine_format_gets_no_blocked_message() {
    let repo = Repo::new();
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    let out = repo.keyfence(&["hook", "pre-commit", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!stderr(&out).contains("blocked") && !stdout(&out).contains("blocked"), "{}", stderr(&out));
    let human = repo.keyfence(&["hook", "pre-commit"]);
    assert!(stderr(&human).contains("keyfence blocked this commit"), "{}", stderr(&human));
    let quiet = repo.keyfence(&["hook", "pre-commit", "-q"]);
    assert!(!stderr(&quiet).contains("blocked"), "{}", stderr(&quiet));
}
