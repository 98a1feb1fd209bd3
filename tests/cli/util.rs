//! Shared helpers: run the binary, build git repositories with the git CLI.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary under test, built by cargo for this test run.
pub fn keyfence() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyfence"));
    // CI (set on CI machines) switches redaction on; tests that check it set it themselves.
    cmd.env_remove("NO_COLOR").env_remove("CI").env("KEYFENCE_TEST", "1");
    cmd
}

/// Run keyfence with `args` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    keyfence().current_dir(dir).args(args).output().expect("keyfence runs")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed")
}

/// Parse a `--format json` report.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", stdout(out), stderr(out)))
}

/// `(rule, path, line)` of every finding in a JSON report.
pub fn findings(report: &serde_json::Value) -> Vec<(String, String, u64)> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The repository's `fixtures/` directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A temporary git repository driven through the git CLI.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    /// `git init` with a fixed identity and no user/system config leaking in.
    pub fn new() -> Repo {
        Self::with_init_args(&[])
    }

    pub fn with_init_args(args: &[&str]) -> Repo {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = Repo { dir };
        let mut init = vec!["init", "-q", "-b", "main"];
        init.extend_from_slice(args);
        repo.git(&init);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A git command in the repository with a hermetic environment.
    pub fn git_cmd(&self) -> Command {
        let mut cmd = Command::new("git");
        git_env(&mut cmd);
        cmd.current_dir(self.path());
        cmd
    }

    /// Run git; panic with its stderr on failure. Returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_cmd().args(args).output().expect("git runs");
        assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn write(&self, path: &str, content: &str) {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }

    /// Write, `git add` and commit one file; returns the commit id.
    pub fn commit_file(&self, path: &str, content: &str, message: &str) -> String {
        self.write(path, content);
        self.git(&["add", path]);
        self.git(&["commit", "-q", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// keyfence in this repository, same hermetic environment as git.
    pub fn keyfence(&self, args: &[&str]) -> Output {
        let mut cmd = keyfence();
        git_env(&mut cmd);
        cmd.current_dir(self.path()).args(args).output().expect("keyfence runs")
    }
}

/// Identity and isolation for git and keyfence: no global or system config.
pub fn git_env(cmd: &mut Command) {
    // Hooks run keyfence with git's environment: keep CI out, as above.
    cmd.env_remove("CI")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE");
}

/// Fake credentials in the AWS formats, never real ones.
pub const KEY_ID: &str = "AKIA2E3MTGS5LTN4WCQV";
pub const SECRET: &str = "9dKq2Lm7Vt+Wx4Yz8Rp1Nb6Hc3Jf5Gs0Ta/EuIoA";
pub const KEY_ID_2: &str = "AKIAQW6YJ5RTNMZ2KX4E";
pub const SECRET_2: &str = "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";

/// A credentials file holding `KEY_ID` and `SECRET` on lines 2 and 3.
pub fn credentials(key_id: &str, secret: &str) -> String {
    format!("[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")
}

/// A tool a test needs (`found`), or a loud skip: `SKIPPED: …` straight to
/// the stream (the harness swallows `eprintln!` of a passing test), and a
/// failure instead when CI requires the hook managers
/// (`KEYFENCE_REQUIRE_HOOK_MANAGERS=1`, set by `.ci/run`).
pub fn tool_or_skip(test: &str, found: Result<PathBuf, String>) -> Option<PathBuf> {
    match found {
        Ok(bin) => Some(bin),
        Err(reason) => {
            if std::env::var_os("KEYFENCE_REQUIRE_HOOK_MANAGERS").is_some_and(|v| v == "1") {
                panic!("{test}: KEYFENCE_REQUIRE_HOOK_MANAGERS=1 but {reason}");
            }
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {reason}");
            None
        }
    }
}

/// Run git in `repo` with `input` on its standard input; panic unless it
/// succeeds. Returns its trimmed stdout (an object id, a pack name).
pub fn git_stdin(repo: &Repo, args: &[&str], input: &str) -> String {
    use std::io::Write;
    let mut child = repo
        .git_cmd()
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
