//! git-secrets compatibility: its configuration enforced by keyfence, and
//! its command line when keyfence runs as `git-secrets` (a symlink), checked
//! the way git-secrets' own bats tests check it.

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::util::{code, credentials, git_env, stderr, stdout, Repo, KEY_ID, KEY_ID_2, SECRET};

/// A `git-secrets` symlink to the binary under test, in its own directory.
struct GitSecrets {
    dir: tempfile::TempDir,
}

impl GitSecrets {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_keyfence"), dir.path().join("git-secrets")).unwrap();
        GitSecrets { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("git-secrets")
    }

    /// `git secrets ARGS` in `repo`, with the symlink first on PATH, exactly
    /// as a user's shell would run it.
    fn run(&self, repo: &Repo, args: &[&str]) -> Output {
        self.git(repo, &[&["secrets"], args].concat())
    }

    /// Any git command with the symlink on PATH: hooks that call
    /// `git secrets` back find it, as they would on the user's machine.
    fn git(&self, repo: &Repo, args: &[&str]) -> Output {
        self.git_with_ci(repo, args, None)
    }

    /// [`Self::git`] with `CI` set to `ci` (every CI runner sets it), or unset.
    fn git_with_ci(&self, repo: &Repo, args: &[&str], ci: Option<&str>) -> Output {
        let path = format!("{}:{}", self.dir.path().display(), std::env::var("PATH").unwrap());
        let mut cmd = Command::new("git");
        git_env(&mut cmd);
        cmd.env("PATH", path).env_remove("CI").current_dir(repo.path()).args(args);
        if let Some(ci) = ci {
            cmd.env("CI", ci);
        }
        cmd.output().unwrap()
    }
}

/// The fixture git-secrets' test_helper builds: two prohibited patterns.
fn repo_with_patterns() -> Repo {
    let repo = Repo::new();
    repo.git(&["config", "--add", "secrets.patterns", "@todo"]);
    repo.git(&["config", "--add", "secrets.patterns", "forbidden|me"]);
    repo
}

#[test]
fn scan_reports_path_line_text_on_stderr_with_the_banner() {
    let gs = GitSecrets::new();
    let repo = repo_with_patterns();
    repo.write("test.txt", "@todo stuff\nthis is forbidden right?\nmesa Jar Jar Binks\nfoo.me\n\"me\"\n");
    let out = gs.run(&repo, &["--scan", "test.txt"]);
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[..4],
        ["test.txt:1:@todo stuff", "test.txt:2:this is forbidden right?", "test.txt:4:foo.me", "test.txt:5:\"me\""]
    );
    assert!(err.contains("[ERROR] Matched one or more prohibited patterns"));
    assert!(err.contains("Possible mitigations:"));
    assert!(stdout(&out).is_empty());
}

#[test]
fn scan_exit_codes_match_git_secrets() {
    let gs = GitSecrets::new();
    let repo = repo_with_patterns();
    repo.write("ok.txt", "it is ok\n");
    assert_eq!(code(&gs.run(&repo, &["--scan", "ok.txt"])), 0);
    let missing = gs.run(&repo, &["--scan", "/path/to/not/there"]);
    assert_eq!(code(&missing), 2);
    assert!(stderr(&missing).contains("No such file"));
    // No patterns configured at all: nothing can match.
    let bare = Repo::new();
    bare.write("x.txt", "@todo\n");
    assert_eq!(code(&gs.run(&bare, &["--scan", "x.txt"])), 0);
    // Without arguments it scans the tracked files.
    repo.commit_file("tracked.txt", "@todo more\n", "add");
    assert_eq!(code(&gs.run(&repo, &["--scan"])), 1);
}

#[test]
fn scan_recurses_only_with_r() {
    let gs = GitSecrets::new();
    let repo = repo_with_patterns();
    repo.write("foo/bar/baz/data.txt", "@todo more stuff\n");
    assert_eq!(code(&gs.run(&repo, &["--scan", "foo"])), 0);
    assert_eq!(code(&gs.run(&repo, &["--scan", "-r", "foo"])), 1);
    let misuse = gs.run(&repo, &["--scan", "-r", "--cached"]);
    assert_ne!(code(&misuse), 0);
    assert!(stderr(&misuse).contains("cannot be supplied"));
}

#[test]
fn allowed_patterns_exclude_whole_lines() {
    let gs = GitSecrets::new();
    let repo = Repo::new();
    repo.git(&["config", "--add", "secrets.patterns", "foo=\"baz{1,5}\""]);
    repo.git(&["config", "--add", "secrets.allowed", "foo=\"bazzz\""]);
    repo.write("test.txt", "foo=\"bazzz\" is ok because 3 \"z\"s\n");
    assert_eq!(code(&gs.run(&repo, &["--scan", "test.txt"])), 0);
    repo.write("test.txt", "This is NOT: ok foo=\"bazzzz\"\n");
    assert_eq!(code(&gs.run(&repo, &["--scan", "test.txt"])), 1);
}

#[test]
fn add_list_and_dedupe() {
    let gs = GitSecrets::new();
    let repo = repo_with_patterns();
    assert_eq!(code(&gs.run(&repo, &["--add", "testing+123"])), 0);
    assert_eq!(code(&gs.run(&repo, &["--add", "testing+123"])), 1);
    assert_eq!(code(&gs.run(&repo, &["--add", "--literal", "testing+abc"])), 0);
    assert_eq!(code(&gs.run(&repo, &["--add", "-l", "testing+abc"])), 1);
    assert_eq!(code(&gs.run(&repo, &["--add", "-a", "allowed+1"])), 0);
    let list = stdout(&gs.run(&repo, &["--list"]));
    for expected in [
        "secrets.patterns @todo",
        "secrets.patterns forbidden|me",
        "secrets.patterns testing+123",
        "secrets.patterns testing\\+abc",
        "secrets.allowed allowed+1",
    ] {
        assert!(list.lines().any(|l| l == expected), "{expected} missing from:\n{list}");
    }
}

#[test]
fn register_aws_writes_git_secrets_values_and_blocks_keys() {
    let gs = GitSecrets::new();
    let repo = Repo::new();
    let out = gs.run(&repo, &["--register-aws"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "OK");
    assert_eq!(repo.git(&["config", "--get", "secrets.providers"]), "git secrets --aws-provider");
    let list = stdout(&gs.run(&repo, &["--list"]));
    assert!(list.contains("(A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}"));
    assert!(list.contains("secrets.allowed AKIAIOSFODNN7EXAMPLE"));
    assert!(list.contains("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
    // The documentation example is allowed, a real-looking key is not.
    repo.write("docs.txt", "key = AKIAIOSFODNN7EXAMPLE\n");
    assert_eq!(code(&gs.run(&repo, &["--scan", "docs.txt"])), 0);
    repo.write("creds", &credentials(KEY_ID, SECRET));
    assert_eq!(code(&gs.run(&repo, &["--scan", "creds"])), 1);
}

#[test]
fn providers_and_aws_provider() {
    let gs = GitSecrets::new();
    let repo = Repo::new();
    let ini = repo.path().join("test.ini");
    std::fs::write(&ini, "aws_access_key_id = abc123\naws_secret_access_key=foobaz\naws_access_key_id= Hoagie+man\n")
        .unwrap();
    let printed = stdout(&gs.run(&repo, &["--aws-provider", ini.to_str().unwrap()]));
    assert_eq!(printed.lines().collect::<Vec<_>>(), ["abc123", "foobaz", "Hoagie\\+man"]);
    assert_eq!(
        code(&gs.run(&repo, &["--add-provider", "--", "git", "secrets", "--aws-provider", ini.to_str().unwrap()])),
        0
    );
    assert_eq!(code(&gs.run(&repo, &["--add-provider", "--", "echo", "bam"])), 0);
    repo.write("bad_file", "(foobaz) test\nHoagie+man test\nbam\n");
    let out = gs.run(&repo, &["--scan", "bad_file"]);
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(
        err.contains("bad_file:1:(foobaz) test") && err.contains("Hoagie+man") && err.contains("bad_file:3:bam"),
        "{err}"
    );
}

#[test]
fn scan_history_prints_sha_path_line() {
    let gs = GitSecrets::new();
    let repo = repo_with_patterns();
    let first = repo.commit_file("notes.txt", "@todo remove me later\n", "one");
    repo.git(&["rm", "-q", "notes.txt"]);
    repo.git(&["commit", "-q", "-m", "two"]);
    let out = gs.run(&repo, &["--scan-history"]);
    assert_eq!(code(&out), 1);
    assert_eq!(stderr(&out).lines().next().unwrap(), format!("{first}:notes.txt:1:@todo remove me later"));
}

#[test]
fn stdin_and_usage() {
    let gs = GitSecrets::new();
    let repo = repo_with_patterns();
    let run_stdin = |input: &str| {
        let mut child = Command::new(gs.path())
            .args(["--scan", "-"])
            .current_dir(repo.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("CI")
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    assert_eq!(code(&run_stdin("foo\n")), 0);
    let out = run_stdin("me\n");
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).starts_with("(standard input):1:me"));
    let usage = gs.run(&repo, &[]);
    assert_eq!(code(&usage), 0);
    assert!(stdout(&usage).starts_with("usage: git secrets"));
}

/// keyfence's own commands enforce git-secrets configuration too, with
/// per-match allowed patterns and `.gitallowed`.
#[test]
fn keyfence_enforces_git_secrets_config() {
    let repo = Repo::new();
    repo.git(&["config", "--add", "secrets.patterns", "corp-[0-9]{6}"]);
    repo.git(&["config", "--add", "secrets.allowed", "corp-000000"]);
    repo.write(".gitallowed", "# reviewed\n\n^vendor/\n");
    repo.write("app.cfg", "ticket corp-123456\nsample corp-000000\n");
    repo.write("vendor/lib.cfg", "corp-654321\n");
    let out = repo.keyfence(&["scan", ".", "--format", "json", "--show-secrets"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let found = crate::util::findings(&crate::util::json(&out));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].1.as_str(), found[0].2), ("app.cfg", 1));

    // Staged too: config patterns apply to every source.
    repo.git(&["add", "app.cfg"]);
    assert_eq!(code(&repo.keyfence(&["scan", "--staged"])), 1);

    // Allowed patterns suppress only what they overlap in keyfence mode.
    repo.git(&["config", "--add", "secrets.allowed", KEY_ID]);
    repo.write("keys.txt", &format!("{KEY_ID} {KEY_ID_2}\n"));
    let out = repo.keyfence(&["scan", "keys.txt", "--format", "json", "--show-secrets"]);
    let report = crate::util::json(&out);
    let secrets: Vec<&str> =
        report["findings"].as_array().unwrap().iter().map(|f| f["secret"].as_str().unwrap()).collect();
    assert_eq!(secrets, [KEY_ID_2]);
}

#[test]
fn an_invalid_pattern_exits_2_naming_it() {
    let repo = Repo::new();
    repo.git(&["config", "--add", "secrets.patterns", "(a)\\1"]);
    repo.write("x.txt", "aa\n");
    let out = repo.keyfence(&["scan", "x.txt"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("(a)\\1") && err.lines().count() == 1, "{err}");
}

#[test]
fn install_into_a_repository_or_a_template_directory() {
    let gs = GitSecrets::new();
    let repo = Repo::new();
    let out = gs.run(&repo, &["--install", repo.path().to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for hook in ["pre-commit", "commit-msg", "prepare-commit-msg"] {
        assert!(repo.path().join(".git/hooks").join(hook).is_file(), "{hook}");
    }
    // A directory that is not a repository is a template directory, as in
    // git-secrets: `git init --template DIR` then copies the hooks.
    let template = tempfile::tempdir().unwrap();
    let out = gs.run(&repo, &["--install", template.path().to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let fresh = tempfile::tempdir().unwrap();
    let status =
        Command::new("git").args(["init", "-q", "--template"]).arg(template.path()).arg(fresh.path()).status().unwrap();
    assert!(status.success());
    assert!(fresh.path().join(".git/hooks/pre-commit").is_file());
}

/// `git secrets --install` writes git-secrets' own hooks, so a commit is
/// checked and reported the way git-secrets does it (pre-commit.bats,
/// commit-msg.bats), not the way `keyfence hook` does.
#[test]
fn installed_hooks_report_commits_like_git_secrets() {
    let gs = GitSecrets::new();
    let repo = repo_with_patterns();
    let out = gs.run(&repo, &["--install"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".git/hooks/pre-commit")).unwrap(),
        "#!/usr/bin/env bash\ngit secrets --pre_commit_hook -- \"$@\"\n"
    );
    assert!(stdout(&out).contains("Installed pre-commit hook to .git/hooks/pre-commit"), "{}", stdout(&out));

    repo.write("data.txt", "@todo more stuff\n");
    repo.write("da ta.txt", "@todo more stuff\n");
    repo.write("ok.txt", "hi there\n");
    repo.write("failure2.txt", "me\n");
    repo.git(&["add", "-A"]);
    // Fixed in the work tree only: the staged content is what is checked.
    repo.write("data.txt", "fixed, but not staged\n");
    let out = gs.git(&repo, &["commit", "-q", "-m", "Contents are bad not the message"]);
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert_eq!(
        err.lines().take(3).collect::<Vec<_>>(),
        ["da ta.txt:1:@todo more stuff", "data.txt:1:@todo more stuff", "failure2.txt:1:me"],
        "{err}"
    );
    assert!(err.contains("[ERROR] Matched one or more prohibited patterns"), "{err}");

    // git-secrets' allowed patterns drop the whole line, in hooks too.
    repo.git(&["config", "--add", "secrets.allowed", "more stuff|^failure2"]);
    repo.git(&["add", "-A"]);
    let out = gs.git(&repo, &["commit", "-q", "-m", "@todo in the message??"]);
    assert_eq!(code(&out), 1);
    assert_eq!(stderr(&out).lines().next(), Some(".git/COMMIT_EDITMSG:1:@todo in the message??"), "{}", stderr(&out));
    let out = gs.git(&repo, &["commit", "-q", "-m", "This is OK"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// git-secrets' install rules (git-secrets.bats): an existing hook is kept
/// unless `-f` (exit 1), a `<hook>.d/` directory gets `git-secrets` inside.
#[test]
fn install_refuses_existing_hooks_and_uses_dot_d_directories() {
    let gs = GitSecrets::new();
    let repo = repo_with_patterns();
    let hooks = repo.path().join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(hooks.join("pre-commit"), "#!/bin/sh\necho mine\n").unwrap();
    let out = gs.run(&repo, &["--install", repo.path().to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("pre-commit already exists. Use -f to force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(hooks.join("pre-commit")).unwrap(), "#!/bin/sh\necho mine\n");
    assert!(!hooks.join("commit-msg").exists(), "nothing is written when one hook is refused");
    let out = gs.run(&repo, &["--install", "-f", repo.path().to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(std::fs::read_to_string(hooks.join("pre-commit")).unwrap().contains("git secrets --pre_commit_hook"));

    let debian = repo_with_patterns();
    let hooks = debian.path().join(".git/hooks");
    for hook in ["pre-commit", "commit-msg", "prepare-commit-msg"] {
        std::fs::create_dir_all(hooks.join(format!("{hook}.d"))).unwrap();
    }
    let out = gs.run(&debian, &["--install", debian.path().to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for hook in ["pre-commit", "commit-msg", "prepare-commit-msg"] {
        assert!(hooks.join(format!("{hook}.d/git-secrets")).is_file(), "{hook}");
        assert!(!hooks.join(hook).exists(), "{hook}");
    }
}

/// From a linked worktree the hooks go where git runs them, the common git
/// directory (git-secrets writes them under `.git/worktrees/`, never run).
#[test]
fn install_from_a_linked_worktree_protects_its_commits() {
    let gs = GitSecrets::new();
    let repo = repo_with_patterns();
    repo.commit_file("README", "hello\n", "init");
    let tree = tempfile::tempdir().unwrap();
    let tree_path = tree.path().join("wt");
    repo.git(&["worktree", "add", "-q", tree_path.to_str().unwrap()]);
    let linked = Repo { dir: tree };
    let out = gs.git(&linked, &["-C", "wt", "secrets", "--install"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(repo.path().join(".git/hooks/pre-commit").is_file());
    std::fs::write(tree_path.join("todo.txt"), "@todo\n").unwrap();
    assert_eq!(code(&gs.git(&linked, &["-C", "wt", "add", "todo.txt"])), 0);
    assert_eq!(code(&gs.git(&linked, &["-C", "wt", "commit", "-q", "-m", "x"])), 1);
}

/// git-secrets' `--scan-history` greps the tracked files when no commit
/// matches (its `git grep` gets no revision): a repository with no commits
/// yet, or a clean history with a secret staged (git-secrets.bats, "Scans
/// all files including history").
#[test]
fn scan_history_without_a_matching_commit_greps_tracked_files() {
    let gs = GitSecrets::new();
    let repo = repo_with_patterns();
    repo.write("data.txt", "@todo more stuff\n");
    repo.write("ok.txt", "hi there\n");
    repo.git(&["add", "-A"]);
    let out = gs.run(&repo, &["--scan-history"]);
    assert_eq!(code(&out), 1);
    assert_eq!(stderr(&out).lines().next(), Some("data.txt:1:@todo more stuff"), "{}", stderr(&out));

    let clean = repo_with_patterns();
    clean.commit_file("ok.txt", "hi there\n", "clean");
    assert_eq!(code(&gs.run(&clean, &["--scan-history"])), 0);
    clean.write("ok.txt", "hi there, forbidden\n");
    let out = gs.run(&clean, &["--scan-history"]);
    assert_eq!(code(&out), 1);
    assert_eq!(stderr(&out).lines().next(), Some("ok.txt:1:hi there, forbidden"), "{}", stderr(&out));
}

/// A flag given to the wrong mode dies as git-sh-setup's `die` does: the
/// bare message on stderr, exit 1 (git-secrets.bats, "-f can only be used
/// with --install" and its siblings).
#[test]
fn a_misplaced_flag_dies_with_git_secrets_message() {
    let gs = GitSecrets::new();
    let repo = repo_with_patterns();
    for (args, message) in [
        (&["--scan", "-f"][..], "-f|--force can only be supplied with the --install subcommand"),
        (&["--list", "--cached"][..], "--cached can only be supplied with the --scan subcommand"),
        (
            &["--scan", "-r", "--untracked"][..],
            "-r|--recursive cannot be supplied with --cached, --no-index, or --untracked",
        ),
    ] {
        let out = gs.run(&repo, args);
        assert_eq!(code(&out), 1, "{args:?}");
        assert_eq!(stderr(&out), format!("{message}\n"), "{args:?}");
    }
}

/// git-secrets mode is a contract: scripts grep its output, so under `CI`
/// (set by every runner) it prints exactly what it prints without, values
/// whole, as git-secrets does. Redaction is for keyfence's own formats.
#[test]
fn output_is_the_same_bytes_with_or_without_ci() {
    let gs = GitSecrets::new();
    let repo = repo_with_patterns();
    repo.git(&["config", "--add", "secrets.patterns", "AKIA[A-Z0-9]{16}"]);
    repo.write("test.txt", &format!("@todo stuff\nid {KEY_ID}\n"));
    let plain = gs.run(&repo, &["--scan", "test.txt"]);
    assert_eq!(code(&plain), 1);
    assert!(
        stderr(&plain).starts_with(&format!("test.txt:1:@todo stuff\ntest.txt:2:id {KEY_ID}\n")),
        "{}",
        stderr(&plain)
    );
    for ci in ["true", "1", ""] {
        let in_ci = gs.git_with_ci(&repo, &["secrets", "--scan", "test.txt"], Some(ci));
        assert_eq!((code(&in_ci), &in_ci.stdout, &in_ci.stderr), (1, &plain.stdout, &plain.stderr), "CI={ci:?}");
    }
}

/// git-secrets parses its arguments with `git rev-parse --parseopt`: an
/// option it does not know exits 129 with git's message and the usage on
/// stderr, nothing on stdout; `-h` prints the usage on stdout, also 129; a
/// word that is no option is echoed, then the usage, 129.
#[test]
fn unknown_options_exit_129_with_usage_on_stderr() {
    let gs = GitSecrets::new();
    let repo = repo_with_patterns();
    for (args, error) in [
        (&["--bogus"][..], "error: unknown option `bogus'\n"),
        (&["--scan", "--bogus", "file"][..], "error: unknown option `bogus'\n"),
        (&["--scan", "-z"][..], "error: unknown switch `z'\n"),
        (&["--install", "-fz"][..], "error: unknown switch `z'\n"),
    ] {
        let out = gs.run(&repo, args);
        assert_eq!(code(&out), 129, "{args:?}");
        assert!(stdout(&out).is_empty(), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.starts_with(error) && err[error.len()..].starts_with("usage: git secrets --scan"),
            "{args:?}: {err}"
        );
    }
    // After `--`, anything is an operand (the hooks pass git's arguments so).
    repo.write("-z", "clean\n");
    assert_eq!(code(&gs.run(&repo, &["--scan", "--", "-z"])), 0);
    let help = gs.run(&repo, &["-h"]);
    assert_eq!(code(&help), 129);
    assert!(stdout(&help).starts_with("usage: git secrets"));
    let word = gs.run(&repo, &["scan"]);
    assert_eq!(code(&word), 129);
    assert!(stdout(&word).starts_with("Unknown option: scan\nusage: git secrets"), "{}", stdout(&word));
}

/// `--install` off a terminal (a script, a CI log): plain lines, no `✓`.
#[test]
fn install_prints_no_tick_when_not_on_a_terminal() {
    let gs = GitSecrets::new();
    let repo = repo_with_patterns();
    let out = gs.run(&repo, &["--install"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "Installed commit-msg hook to .git/hooks/commit-msg\n\
         Installed pre-commit hook to .git/hooks/pre-commit\n\
         Installed prepare-commit-msg hook to .git/hooks/prepare-commit-msg\n"
    );
}

/// git-secrets honours no inline marker: in its mode `keyfence:allow` (or
/// gitleaks' marker) on the line does not hide a match, in a scan or a hook;
/// keyfence's own scan still honours it.
#[test]
fn inline_allow_markers_are_not_honoured_in_git_secrets_mode() {
    let gs = GitSecrets::new();
    let repo = repo_with_patterns();
    repo.write("notes.txt", "@todo later # keyfence:allow\nok\nme // gitleaks:allow\n");
    let out = gs.run(&repo, &["--scan", "notes.txt"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).starts_with("notes.txt:1:@todo later # keyfence:allow\nnotes.txt:3:me // gitleaks:allow\n"),
        "{}",
        stderr(&out)
    );
    assert_eq!(code(&gs.run(&repo, &["--install"])), 0);
    repo.git(&["add", "notes.txt"]);
    let commit = gs.git(&repo, &["commit", "-q", "-m", "reviewed"]);
    assert_eq!(code(&commit), 1, "{}", stderr(&commit));
    assert!(stderr(&commit).contains("notes.txt:1:@todo later # keyfence:allow"), "{}", stderr(&commit));
    let own = repo.keyfence(&["scan", "notes.txt", "--format", "json"]);
    assert_eq!(code(&own), 0, "{}", stderr(&own));
}

/// git-secrets prints `git grep`'s lines, and scripts parse them: a CRLF
/// line keeps its CR, a lone CR does not end a line, a long line is printed
/// whole. git grep itself, run the way git-secrets runs it, is the reference.
#[test]
fn scan_prints_cr_and_long_lines_byte_for_byte_as_git_grep_does() {
    let gs = GitSecrets::new();
    let repo = repo_with_patterns();
    let long = format!("{}@todo{}", "x ".repeat(600), " y".repeat(600));
    let content = format!("a @todo b\r\nclassic\rmac @todo\r\n{long}\nlast @todo");
    repo.write("lines.txt", &content);
    let out = gs.run(&repo, &["--scan", "lines.txt"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let reference = repo
        .git_cmd()
        .args(["grep", "--no-index", "-n", "-w", "-H", "-I", "-E", "@todo", "--", "lines.txt"])
        .output()
        .unwrap();
    let expected = String::from_utf8(reference.stdout).unwrap();
    assert_eq!(expected.lines().count(), 4, "{expected:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with(&expected), "git-secrets mode printed {err:?}, git grep {expected:?}");
}
