//! The pre-commit framework driven for real (from PyPI), with the project's
//! own `.pre-commit-hooks.yaml`, in the four ways pre-commit runs a hook: a
//! `git commit`, `run --all-files`, `run --files F` and `run --from-ref A
//! --to-ref B`. With a key already committed, each must fail where it
//! looks at the key (before issue 15 the three `run` modes printed Passed).
//! A test whose tool cannot be had prints "SKIPPED: <reason>" on stderr and,
//! with `KEYFENCE_REQUIRE_HOOK_MANAGERS=1` (set by `.ci/run`), fails instead.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::hooks::{commits, path_with_keyfence};
use crate::util::{code, credentials, git_env, stderr, stdout, Repo, KEY_ID, KEY_ID_2, SECRET, SECRET_2};

/// Pinned so a new release cannot change what is tested.
const PRE_COMMIT: &str = "pre-commit==4.7.0";

/// A virtualenv's `bin` with pre-commit, installed once per test binary run
/// (kept under cargo's target tmp dir, so later runs reuse it); `Err(reason)`
/// when python or PyPI cannot be had.
fn venv_bin() -> Result<PathBuf, String> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(|| {
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-venv");
        let bin = venv.join("bin");
        let stamp = venv.join("installed");
        if std::fs::read_to_string(&stamp).unwrap_or_default() == PRE_COMMIT && bin.join("pre-commit").exists() {
            return Ok(bin);
        }
        let run = |program: &Path, args: &[&str]| {
            let out = Command::new(program)
                .args(args)
                .output()
                .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!("{} {} failed: {}", program.display(), args.join(" "), stderr(&out).trim()))
            }
        };
        run(Path::new("python3"), &["-m", "venv", &venv.to_string_lossy()])?;
        run(&bin.join("pip"), &["install", "--quiet", "--disable-pip-version-check", PRE_COMMIT])?;
        std::fs::write(&stamp, PRE_COMMIT).map_err(|e| e.to_string())?;
        Ok(bin)
    })
    .clone()
}

fn pre_commit_or_skip(test: &str) -> Option<PathBuf> {
    crate::util::tool_or_skip(test, venv_bin())
}

/// A hook repository holding the project's own `.pre-commit-hooks.yaml`,
/// with `language: system` for `language: rust` (which would cargo-build
/// keyfence for minutes): `entry` then runs the binary under test from PATH.
fn hook_repo() -> Repo {
    let yaml = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml")).unwrap();
    assert!(yaml.contains("language: rust"), "{yaml}");
    let repo = Repo::new();
    repo.commit_file(".pre-commit-hooks.yaml", &yaml.replace("language: rust", "language: system"), "hooks");
    repo
}

/// A project using hook `id` from `hooks`, its config committed.
fn project(hooks: &Repo, id: &str) -> Repo {
    let repo = Repo::new();
    let rev = hooks.git(&["rev-parse", "HEAD"]);
    let config =
        format!("repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: {id}\n", hooks.path().display());
    repo.commit_file(".pre-commit-config.yaml", &config, "pre-commit config");
    repo
}

/// Runs `pre-commit` and `git` in a project as a user's shell would: the
/// binary under test and pre-commit on PATH, pre-commit's cache private.
struct Shell {
    path: std::ffi::OsString,
    home: tempfile::TempDir,
    _keyfence: tempfile::TempDir,
}

impl Shell {
    fn new(venv: &Path) -> Shell {
        let (keyfence, path) = path_with_keyfence();
        let path =
            std::env::join_paths(std::iter::once(venv.to_path_buf()).chain(std::env::split_paths(&path))).unwrap();
        Shell { path, home: tempfile::tempdir().unwrap(), _keyfence: keyfence }
    }

    fn run(&self, repo: &Repo, program: &str, args: &[&str]) -> Output {
        let mut cmd = Command::new(program);
        git_env(&mut cmd);
        cmd.current_dir(repo.path()).env("PATH", &self.path).env("PRE_COMMIT_HOME", self.home.path());
        cmd.env_remove("PRE_COMMIT_FROM_REF").env_remove("PRE_COMMIT_TO_REF").env_remove("SKIP");
        cmd.env("PRE_COMMIT_COLOR", "never").args(args).output().unwrap()
    }
}

fn shown(out: &Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

#[track_caller]
fn expect(out: &Output, expected: i32, what: &str) -> String {
    let text = shown(out);
    assert_eq!(code(out), expected, "{what}:\n{text}");
    text
}

/// `pre-commit run --all-files`, `--files F` and `--from-ref A --to-ref B`
/// check the files and commits named, with a key committed already, for
/// both hooks.
#[test]
fn pre_commit_run_checks_the_files_and_commits_it_names() {
    let Some(venv) = pre_commit_or_skip("pre_commit_run_checks_the_files_and_commits_it_names") else { return };
    let hooks = hook_repo();
    let shell = Shell::new(&venv);
    for id in ["keyfence", "keyfence-whole-files"] {
        let repo = project(&hooks, id);
        let before = repo.commit_file("README.md", "hello\n", "readme");
        let keyed = repo.commit_file("creds", &credentials(KEY_ID, SECRET), "creds");
        let after = repo.commit_file("notes.txt", "notes\n", "notes");
        let pre_commit = |args: &[&str]| shell.run(&repo, "pre-commit", &[&["run"][..], args].concat());

        let text = expect(&pre_commit(&["--all-files"]), 1, &format!("{id}: --all-files"));
        assert!(text.contains("Failed") && text.contains("creds") && text.contains(KEY_ID), "{id}:\n{text}");
        let text = expect(&pre_commit(&["--files", "creds"]), 1, &format!("{id}: --files creds"));
        assert!(text.contains("creds") && text.contains(KEY_ID), "{id}:\n{text}");
        let text = expect(&pre_commit(&["--files", "notes.txt", "README.md"]), 0, &format!("{id}: --files clean"));
        assert!(text.contains("Passed"), "{id}:\n{text}");

        let range = |from: &str, to: &str| pre_commit(&["--from-ref", from, "--to-ref", to]);
        let text = expect(&range(&before, &after), 1, &format!("{id}: --from-ref before the key"));
        assert!(text.contains(KEY_ID), "{id}:\n{text}");
        expect(&range(&keyed, &after), 0, &format!("{id}: --from-ref after the key"));
        // Not a commit: no advice about one.
        assert!(!shown(&pre_commit(&["--all-files"])).contains("blocked this commit"), "{id}");
    }
}

/// In a real `git commit` the hooks check the staged changes: `keyfence`
/// the lines added, `keyfence-whole-files` every line of a touched file.
#[test]
fn pre_commit_in_a_commit_checks_the_staged_changes() {
    let Some(venv) = pre_commit_or_skip("pre_commit_in_a_commit_checks_the_staged_changes") else { return };
    let hooks = hook_repo();
    let shell = Shell::new(&venv);
    for (id, whole_files) in [("keyfence", false), ("keyfence-whole-files", true)] {
        let repo = project(&hooks, id);
        repo.commit_file("creds", &credentials(KEY_ID, SECRET), "a key from before the hook");
        expect(&shell.run(&repo, "pre-commit", &["install"]), 0, "pre-commit install");
        let commit = |message: &str| shell.run(&repo, "git", &["commit", "-q", "-m", message]);

        // A change elsewhere: the old key is not in it.
        repo.write("notes.txt", "notes\n");
        repo.git(&["add", "notes.txt"]);
        expect(&commit("notes"), 0, &format!("{id}: a clean change"));

        // A clean line added to the keyed file: only whole-files objects.
        let before = commits(repo.path());
        repo.write("creds", &format!("{}# rotated\n", credentials(KEY_ID, SECRET)));
        repo.git(&["add", "creds"]);
        let out = commit("touch creds");
        assert_eq!(code(&out) != 0, whole_files, "{id}: a clean line in the keyed file:\n{}", shown(&out));
        if whole_files {
            assert!(shown(&out).contains(KEY_ID), "{id}:\n{}", shown(&out));
            assert_eq!(commits(repo.path()), before);
            repo.git(&["reset", "-q"]);
        }

        // A new key staged: blocked, and the commit says so.
        let before = commits(repo.path());
        repo.write("deploy.env", &credentials(KEY_ID_2, SECRET_2));
        repo.git(&["add", "deploy.env"]);
        let out = commit("deploy");
        let text = shown(&out);
        assert_ne!(code(&out), 0, "{id}: a new key:\n{text}");
        assert!(text.contains(KEY_ID_2) && text.contains("keyfence blocked this commit"), "{id}:\n{text}");
        assert!(text.contains("git restore --staged -- deploy.env"), "{id}:\n{text}");
        assert_eq!(commits(repo.path()), before);
    }
}
