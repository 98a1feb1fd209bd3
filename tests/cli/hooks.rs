//! `keyfence install` / `uninstall` through real `git commit`s: the hooks
//! land where git looks (core.hooksPath, linked worktrees), chain what was
//! there, replace git-secrets' hooks, and fail closed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::{code, credentials, git_env, keyfence, stderr, stdout, Repo, KEY_ID, SECRET};

pub(crate) const HOOK_NAMES: [&str; 3] = ["pre-commit", "commit-msg", "prepare-commit-msg"];
const MARKER: &str = "# keyfence-hook v1";

pub(crate) fn install(repo: &Repo, args: &[&str]) -> Output {
    let mut all = vec!["install"];
    all.extend_from_slice(args);
    repo.keyfence(&all)
}

fn uninstall(repo: &Repo) -> Output {
    repo.keyfence(&["uninstall"])
}

#[track_caller]
pub(crate) fn ok(out: &Output) -> String {
    assert_eq!(code(out), 0, "stdout: {}\nstderr: {}", stdout(out), stderr(out));
    stdout(out)
}

/// `git commit` in `dir` with `args`.
fn commit_in(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("git");
    git_env(&mut cmd);
    cmd.current_dir(dir).arg("commit").args(args).output().expect("git runs")
}

fn commit(repo: &Repo, args: &[&str]) -> Output {
    commit_in(repo.path(), args)
}

/// The number of commits on HEAD (0 before the first).
pub(crate) fn commits(dir: &Path) -> usize {
    let mut cmd = Command::new("git");
    git_env(&mut cmd);
    let out = cmd.current_dir(dir).args(["rev-list", "--count", "HEAD"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0)
}

/// Where git itself looks for hooks (`git rev-parse --git-path hooks`).
fn git_hooks_dir(dir: &Path) -> PathBuf {
    let mut cmd = Command::new("git");
    git_env(&mut cmd);
    let out =
        cmd.current_dir(dir).args(["rev-parse", "--path-format=absolute", "--git-path", "hooks"]).output().unwrap();
    assert!(out.status.success());
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn write_exec(path: &Path, content: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
    set_mode(path, 0o755);
}

fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let _ = (path, mode);
}

fn mode(path: &Path) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        0o755
    }
}

pub(crate) fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[track_caller]
fn assert_ours(path: &Path) {
    assert!(read(path).contains(MARKER), "{} is not keyfence's hook", path.display());
    assert_eq!(mode(path), 0o755, "{}", path.display());
}

/// A commit with a staged key is refused, the finding is shown, and HEAD
/// does not move.
#[track_caller]
fn assert_key_blocked(dir: &Path) {
    let before = commits(dir);
    std::fs::write(dir.join("creds"), credentials(KEY_ID, SECRET)).unwrap();
    let mut add = Command::new("git");
    git_env(&mut add);
    assert!(add.current_dir(dir).args(["add", "creds"]).status().unwrap().success());
    let out = commit_in(dir, &["-q", "-m", "add creds"]);
    assert!(!out.status.success(), "a staged key must block the commit");
    let err = stderr(&out);
    assert!(err.contains("creds"), "the finding is shown: {err}");
    assert_eq!(commits(dir), before, "nothing was committed");
    // Unstage and drop it so the caller's next commit is clean.
    let mut rm = Command::new("git");
    git_env(&mut rm);
    assert!(rm.current_dir(dir).args(["rm", "-q", "--cached", "creds"]).status().unwrap().success());
    std::fs::remove_file(dir.join("creds")).unwrap();
}

/// A clean commit goes through.
#[track_caller]
fn assert_clean_commit_passes(dir: &Path, name: &str) {
    let before = commits(dir);
    std::fs::write(dir.join(name), format!("{name}\n")).unwrap();
    let mut add = Command::new("git");
    git_env(&mut add);
    assert!(add.current_dir(dir).args(["add", name]).status().unwrap().success());
    let out = commit_in(dir, &["-q", "-m", &format!("add {name}")]);
    assert!(out.status.success(), "a clean commit passes: {}", stderr(&out));
    assert_eq!(commits(dir), before + 1);
}

// ---------------------------------------------------------------------------

#[test]
fn install_blocks_a_staged_key_and_lets_a_clean_commit_through() {
    let repo = Repo::new();
    let out = install(&repo, &[]);
    let text = ok(&out);
    let hooks = repo.path().join(".git/hooks");
    for name in HOOK_NAMES {
        let path = hooks.join(name);
        assert!(text.contains(&format!("installed {name} hook: {}", path.display())), "{text}");
        assert_ours(&path);
        // The binary that ran install is the one the hook calls.
        let binary = std::fs::canonicalize(env!("CARGO_BIN_EXE_keyfence")).unwrap();
        assert!(read(&path).contains(&format!("keyfence='{}'", binary.display())));
    }
    assert_eq!(text.lines().count(), 3, "one line per hook: {text}");

    assert_key_blocked(repo.path());
    assert_clean_commit_passes(repo.path(), "README");
    assert_key_blocked(repo.path());
}

#[test]
fn a_key_in_the_commit_message_is_blocked() {
    let repo = Repo::new();
    ok(&install(&repo, &[]));
    repo.write("README", "hello\n");
    repo.git(&["add", "README"]);
    let out = commit(&repo, &["-q", "-m", &format!("deploy with {KEY_ID} {SECRET}")]);
    assert!(!out.status.success(), "blocked by commit-msg");
    assert!(stderr(&out).contains("COMMIT_EDITMSG"), "{}", stderr(&out));
    assert_eq!(commits(repo.path()), 0);
    // The same change with a clean message goes through.
    let out = commit(&repo, &["-q", "-m", "add README"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn an_existing_hook_still_runs_and_uninstall_restores_it_byte_for_byte() {
    let repo = Repo::new();
    let ran = repo.path().join("local-hook-ran");
    let original = format!("#!/bin/sh\n# the team's hook\necho \"$@\" >> '{}'\n", ran.display());
    let hook = repo.path().join(".git/hooks/pre-commit");
    write_exec(&hook, &original);

    let text = ok(&install(&repo, &[]));
    assert!(text.contains("pre-commit.local"), "{text}");
    assert_ours(&hook);
    assert_eq!(read(&hook.with_file_name("pre-commit.local")), original);

    assert_clean_commit_passes(repo.path(), "README");
    assert!(ran.exists(), "the previous hook ran");
    assert_key_blocked(repo.path());

    // A failing previous hook still blocks the commit, before keyfence runs.
    write_exec(&hook.with_file_name("pre-commit.local"), "#!/bin/sh\necho 'lint failed' >&2\nexit 3\n");
    repo.write("other", "clean\n");
    repo.git(&["add", "other"]);
    let out = commit(&repo, &["-q", "-m", "other"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("lint failed"), "{}", stderr(&out));
    assert_eq!(commits(repo.path()), 1);
    write_exec(&hook.with_file_name("pre-commit.local"), &original);

    let text = ok(&uninstall(&repo));
    assert!(text.contains("removed pre-commit hook"), "{text}");
    assert!(text.contains("restored pre-commit.local"), "{text}");
    assert_eq!(read(&hook), original, "restored byte for byte");
    assert_eq!(mode(&hook), 0o755);
    assert!(!hook.with_file_name("pre-commit.local").exists());
    for name in ["commit-msg", "prepare-commit-msg"] {
        assert!(!hook.with_file_name(name).exists(), "{name} removed");
    }
}

#[test]
fn a_linked_worktree_is_protected_through_the_common_hooks_dir() {
    let repo = Repo::new();
    repo.commit_file("README", "hello\n", "init");
    let wt_parent = tempfile::tempdir().unwrap();
    let wt = wt_parent.path().join("wt");
    repo.git(&["worktree", "add", "-q", "-b", "feature", wt.to_str().unwrap()]);

    // Installed from inside the worktree.
    let mut cmd = keyfence();
    git_env(&mut cmd);
    let out = cmd.current_dir(&wt).arg("install").output().unwrap();
    let text = ok(&out);
    let common = repo.path().join(".git/hooks/pre-commit");
    assert!(text.contains(&common.display().to_string()), "{text}");
    assert_ours(&common);
    assert!(!repo.path().join(".git/worktrees/wt/hooks").exists());
    assert_eq!(
        std::fs::canonicalize(git_hooks_dir(&wt)).unwrap(),
        std::fs::canonicalize(repo.path().join(".git/hooks")).unwrap()
    );

    assert_key_blocked(&wt);
    assert_clean_commit_passes(&wt, "feature.txt");
    // The main worktree is protected by the same hooks.
    assert_key_blocked(repo.path());
}

#[test]
fn a_core_hooks_path_repo_is_protected() {
    let repo = Repo::new();
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    let text = ok(&install(&repo, &["-C", "."]));
    let hook = repo.path().join(".githooks/pre-commit");
    assert!(text.contains(&hook.display().to_string()), "{text}");
    assert_ours(&hook);
    assert!(!repo.path().join(".git/hooks/pre-commit").exists());
    assert_eq!(
        std::fs::canonicalize(git_hooks_dir(repo.path())).unwrap(),
        std::fs::canonicalize(repo.path().join(".githooks")).unwrap()
    );

    // From a subdirectory, relative core.hooksPath is still the root's.
    std::fs::create_dir_all(repo.path().join("src/deep")).unwrap();
    let mut cmd = keyfence();
    git_env(&mut cmd);
    let out = cmd.current_dir(repo.path().join("src/deep")).arg("install").output().unwrap();
    assert!(ok(&out).contains(&hook.display().to_string()));
    assert!(!repo.path().join("src/deep/.githooks").exists());

    assert_key_blocked(repo.path());
    assert_clean_commit_passes(repo.path(), "README");
}

#[test]
fn git_secrets_hooks_are_replaced_and_restored_by_uninstall() {
    let repo = Repo::new();
    let hooks = repo.path().join(".git/hooks");
    let originals: Vec<(PathBuf, String)> = [
        ("pre-commit", "pre_commit_hook"),
        ("commit-msg", "commit_msg_hook"),
        ("prepare-commit-msg", "prepare_commit_msg_hook"),
    ]
    .iter()
    .map(|(name, func)| {
        // Exactly what `git secrets --install` writes.
        let content = format!("#!/usr/bin/env bash\ngit secrets --{func} -- \"$@\"\n");
        let path = hooks.join(name);
        write_exec(&path, &content);
        (path, content)
    })
    .collect();

    let text = ok(&install(&repo, &[]));
    for (path, content) in &originals {
        assert_ours(path);
        let saved = path.with_file_name(format!("{}.git-secrets", path.file_name().unwrap().to_str().unwrap()));
        assert_eq!(&read(&saved), content);
        assert!(!path.with_file_name("pre-commit.local").exists(), "not chained");
    }
    assert!(text.contains("git-secrets"), "{text}");

    // git-secrets is not installed here: had its hooks been chained, even
    // a clean commit would fail.
    assert_clean_commit_passes(repo.path(), "README");
    assert_key_blocked(repo.path());

    ok(&uninstall(&repo));
    for (path, content) in &originals {
        assert_eq!(&read(path), content, "{} restored", path.display());
        assert_eq!(mode(path), 0o755);
    }
    assert!(!hooks.join("pre-commit.git-secrets").exists());
}

#[test]
fn install_and_uninstall_are_idempotent() {
    let repo = Repo::new();
    let original = "#!/bin/sh\nexit 0\n";
    let hook = repo.path().join(".git/hooks/pre-commit");
    write_exec(&hook, original);

    ok(&install(&repo, &[]));
    let first: Vec<String> = HOOK_NAMES.iter().map(|n| read(&hook.with_file_name(n))).collect();
    let text = ok(&install(&repo, &[]));
    assert!(!text.contains(".local"), "the second run finds only its own hooks: {text}");
    let second: Vec<String> = HOOK_NAMES.iter().map(|n| read(&hook.with_file_name(n))).collect();
    assert_eq!(first, second);
    assert_eq!(read(&hook.with_file_name("pre-commit.local")), original);
    let mut names: Vec<String> = std::fs::read_dir(hook.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".sample"))
        .collect();
    names.sort();
    assert_eq!(names, ["commit-msg", "pre-commit", "pre-commit.local", "prepare-commit-msg"]);
    assert_key_blocked(repo.path());

    ok(&uninstall(&repo));
    assert_eq!(read(&hook), original);
    let text = ok(&uninstall(&repo));
    assert!(text.contains("no keyfence hooks"), "{text}");
    assert_eq!(read(&hook), original, "the second uninstall leaves it alone");
}

#[test]
fn refuses_an_unexpected_local_hook_without_force() {
    let repo = Repo::new();
    let hook = repo.path().join(".git/hooks/pre-commit");
    write_exec(&hook, "#!/bin/sh\necho current\n");
    write_exec(&hook.with_file_name("pre-commit.local"), "#!/bin/sh\necho older\n");

    let out = install(&repo, &[]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("pre-commit.local"), "{err}");
    assert!(err.contains("--force"), "{err}");
    // Nothing was touched, not even the hooks that had no conflict.
    assert_eq!(read(&hook), "#!/bin/sh\necho current\n");
    assert!(!hook.with_file_name("commit-msg").exists());

    // With --force the current hook is chained and the older one kept aside.
    ok(&install(&repo, &["--force"]));
    assert_ours(&hook);
    assert_eq!(read(&hook.with_file_name("pre-commit.local")), "#!/bin/sh\necho current\n");
    assert_eq!(read(&hook.with_file_name("pre-commit.local.old")), "#!/bin/sh\necho older\n");
}

#[test]
fn husky_scripts_get_keyfences_line_even_with_force() {
    let repo = Repo::new();
    repo.write(".husky/_/husky.sh", "# husky\n");
    repo.write(".husky/pre-commit", "npm test\n");
    repo.git(&["config", "core.hooksPath", ".husky"]);

    // Added to husky's scripts, which husky's next run leaves alone.
    let out = install(&repo, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("husky"), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(".husky/pre-commit: keyfence hook pre-commit"), "{text}");
    assert!(text.contains(".husky/commit-msg: keyfence hook commit-msg \"$1\""), "{text}");
    assert!(!stderr(&out).contains("--force"), "never offered: husky would undo it: {}", stderr(&out));
    assert_eq!(read(&repo.path().join(".husky/pre-commit")), "npm test\nkeyfence hook pre-commit\n");
    assert!(read(&repo.path().join(".husky/commit-msg")).contains("\nkeyfence hook commit-msg \"$1\"\n"));
    assert!(!repo.path().join(".husky/_/pre-commit").exists());

    // Idempotent.
    let scripts: Vec<String> = HOOK_NAMES.iter().map(|n| read(&repo.path().join(".husky").join(n))).collect();
    ok(&install(&repo, &[]));
    let again: Vec<String> = HOOK_NAMES.iter().map(|n| read(&repo.path().join(".husky").join(n))).collect();
    assert_eq!(again, scripts);

    // husky 9: core.hooksPath is .husky/_, the user's scripts are in .husky;
    // --force does not write into .husky/_, which husky rewrites.
    let repo = Repo::new();
    repo.write(".husky/_/h", "#!/usr/bin/env sh\n");
    repo.git(&["config", "core.hooksPath", ".husky/_"]);
    ok(&install(&repo, &["--force", "--hooks", "pre-commit"]));
    assert_eq!(read(&repo.path().join(".husky/pre-commit")), "keyfence hook pre-commit\n");
    assert!(!repo.path().join(".husky/_/pre-commit").exists());

    // uninstall takes the line out again.
    ok(&repo.keyfence(&["uninstall", "--hooks", "pre-commit"]));
    assert_eq!(read(&repo.path().join(".husky/pre-commit")), "");
}

#[test]
fn the_hook_fails_closed_when_keyfence_is_gone() {
    let repo = Repo::new();
    // Install from a copy of the binary, then delete the copy.
    let bin_dir = tempfile::tempdir().unwrap();
    let copy = bin_dir.path().join("keyfence");
    // Copied by `cp`, not std::fs::copy: a write handle open in this
    // process can leak into a child another test forks at that instant, and
    // executing the copy then fails with "Text file busy".
    let cp = Command::new("cp").arg(env!("CARGO_BIN_EXE_keyfence")).arg(&copy).status().unwrap();
    assert!(cp.success());
    set_mode(&copy, 0o755);
    let mut cmd = Command::new(&copy);
    git_env(&mut cmd);
    ok(&cmd.current_dir(repo.path()).arg("install").output().unwrap());
    let copy_path = std::fs::canonicalize(&copy).unwrap().display().to_string();
    assert!(read(&repo.path().join(".git/hooks/pre-commit")).contains(&copy_path));

    // A PATH with git and nothing else: no keyfence to fall back to.
    let path_dir = tempfile::tempdir().unwrap();
    let git = which("git");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&git, path_dir.path().join("git")).unwrap();
    let commit_with = |args: &[&str]| {
        let mut cmd = Command::new(&git);
        git_env(&mut cmd);
        cmd.current_dir(repo.path()).env("PATH", path_dir.path()).arg("commit").args(args).output().unwrap()
    };

    repo.write("README", "clean\n");
    repo.git(&["add", "README"]);

    // keyfence killed (or crashing) blocks the commit too.
    std::fs::remove_file(&copy).unwrap();
    write_exec(&copy, "#!/bin/sh\nkill -9 $$\n");
    let out = commit_with(&["-q", "-m", "clean"]);
    assert!(!out.status.success(), "a killed keyfence blocks the commit");
    assert_eq!(commits(repo.path()), 0);

    std::fs::remove_file(&copy).unwrap();
    let out = commit_with(&["-q", "-m", "clean"]);
    assert!(!out.status.success(), "never passes silently");
    let err = stderr(&out);
    assert!(err.contains("cannot run the pre-commit hook"), "{err}");
    assert!(err.contains("cargo install"), "{err}");
    assert!(err.contains("--no-verify"), "{err}");
    assert_eq!(commits(repo.path()), 0);

    // The advice works: prepare-commit-msg (which --no-verify does not
    // skip) does not block an ordinary commit.
    let out = commit_with(&["-q", "--no-verify", "-m", "clean"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A copy of the binary under test in a directory of its own, hooks
/// installed from it in `repo`, and a PATH with git and nothing else, so the
/// hooks can only run that copy. Returns (directory, copy, PATH).
fn install_from_a_copy(repo: &Repo) -> (tempfile::TempDir, PathBuf, tempfile::TempDir) {
    let bin_dir = tempfile::tempdir().unwrap();
    let copy = bin_dir.path().join("keyfence");
    // `cp`, not std::fs::copy: see the_hook_fails_closed_when_keyfence_is_gone.
    assert!(Command::new("cp").arg(env!("CARGO_BIN_EXE_keyfence")).arg(&copy).status().unwrap().success());
    set_mode(&copy, 0o755);
    let mut cmd = Command::new(&copy);
    git_env(&mut cmd);
    ok(&cmd.current_dir(repo.path()).arg("install").output().unwrap());
    let path_dir = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(which("git"), path_dir.path().join("git")).unwrap();
    (bin_dir, copy, path_dir)
}

#[cfg(unix)]
#[test]
fn a_killed_or_crashing_keyfence_blocks_the_commit_with_keyfences_message() {
    // repro 30: the hook exec'd keyfence, so a killed keyfence left only
    // git's "died of signal 9", and the README promises a message.
    let repo = repo_with_a_keyed_branch();
    let (_bin, copy, path_dir) = install_from_a_copy(&repo);
    let git = |args: &[&str]| {
        let mut cmd = Command::new(which("git"));
        git_env(&mut cmd);
        cmd.current_dir(repo.path()).env("PATH", path_dir.path()).args(args).output().unwrap()
    };
    let before = commits(repo.path());
    repo.write("README", "changed\n");
    repo.git(&["add", "README"]);
    for (fake, what) in [("kill -9 $$", "was killed by signal 9"), ("exit 101", "crashed (exit status 101)")] {
        std::fs::remove_file(&copy).unwrap();
        write_exec(&copy, &format!("#!/bin/sh\n{fake}\n"));
        let out = git(&["commit", "-q", "-m", "clean"]);
        assert!(!out.status.success(), "{fake}: the commit is blocked");
        let err = stderr(&out);
        assert!(err.contains("keyfence: the pre-commit hook failed"), "{fake}: {err}");
        assert!(err.contains(what), "{fake}: {err}");
        assert!(err.contains("cargo install") && err.contains("git commit --no-verify"), "{fake}: {err}");
        assert_eq!(commits(repo.path()), before);

        // commit-msg too (pre-commit skipped, as --no-verify would not do).
        let hooks = git_hooks_dir(repo.path());
        let msg = repo.path().join(".git/MSG");
        std::fs::write(&msg, "clean\n").unwrap();
        let out = Command::new(hooks.join("commit-msg")).arg(&msg).current_dir(repo.path()).output().unwrap();
        assert_ne!(out.status.code(), Some(0), "{fake}");
        assert!(stderr(&out).contains("keyfence: the commit-msg hook failed"), "{fake}: {}", stderr(&out));

        // A merge stops with a message too; an ordinary commit's
        // prepare-commit-msg (which --no-verify does not skip) lets it be.
        let pcm = |args: &[&str]| {
            Command::new(hooks.join("prepare-commit-msg")).args(args).current_dir(repo.path()).output().unwrap()
        };
        let out = pcm(&[".git/MSG", "merge"]);
        assert_ne!(out.status.code(), Some(0), "{fake}");
        assert!(stderr(&out).contains("keyfence: the prepare-commit-msg hook failed"), "{fake}: {}", stderr(&out));
        assert_eq!(pcm(&[".git/MSG", "message"]).status.code(), Some(0), "{fake}");
    }
    // The advice works.
    let out = git(&["commit", "-q", "--no-verify", "-m", "clean"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_hook_installed_by_an_earlier_version_is_upgraded_not_called_edited() {
    let repo = Repo::new();
    let hooks = repo.path().join(".git/hooks");
    let binary = std::fs::canonicalize(env!("CARGO_BIN_EXE_keyfence")).unwrap();
    // What keyfence's first hook scripts rendered (they exec'd keyfence).
    let old = [
        ("pre-commit", include_str!("../../src/hooks/old/pre-commit.v1")),
        ("commit-msg", include_str!("../../src/hooks/old/commit-msg.v1")),
        ("prepare-commit-msg", include_str!("../../src/hooks/old/prepare-commit-msg.v1")),
    ];
    for (name, script) in old {
        assert!(script.contains("\nexec \"$keyfence\""), "{name}");
        write_exec(&hooks.join(name), &script.replace("@KEYFENCE@", &binary.display().to_string()));
    }
    let text = ok(&install(&repo, &[]));
    assert!(!text.contains(".local"), "nothing chained: {text}");
    for name in HOOK_NAMES {
        assert_ours(&hooks.join(name));
        assert!(!read(&hooks.join(name)).contains("exec "), "{name} rewritten to the current script");
        assert!(!hooks.join(format!("{name}.local")).exists(), "{name}");
    }
    assert_key_blocked(repo.path());
    // And uninstall (no --force) removes an old one as ours.
    let (name, script) = old[0];
    write_exec(&hooks.join(name), &script.replace("@KEYFENCE@", &binary.display().to_string()));
    ok(&uninstall(&repo));
    assert!(!hooks.join(name).exists());
}

#[test]
fn a_global_install_runs_the_repositorys_own_hook_first() {
    let home = tempfile::tempdir().unwrap();
    let global_config = home.path().join("gitconfig");
    std::fs::write(&global_config, "").unwrap();
    let xdg = home.path().join("xdg");
    let env = |cmd: &mut Command| {
        git_env(cmd);
        cmd.env("HOME", home.path()).env("XDG_CONFIG_HOME", &xdg).env("GIT_CONFIG_GLOBAL", &global_config);
    };
    let mut cmd = keyfence();
    env(&mut cmd);
    let out = cmd.current_dir(home.path()).args(["install", "--global"]).output().unwrap();
    ok(&out);
    assert!(stderr(&out).contains("run a repository's own"), "{}", stderr(&out));
    let git = |dir: &Path, args: &[&str]| {
        let mut cmd = Command::new("git");
        env(&mut cmd);
        cmd.current_dir(dir).args(args).output().unwrap()
    };

    // The repository's own hooks: a pre-commit framework hook (as
    // `pre-commit install` writes it, the runner replaced by a check that
    // fails on a file named `lint-error`) and a commit-msg hook.
    let repo = Repo::new();
    let hooks = repo.path().join(".git/hooks");
    let ran = repo.path().join(".git/ran");
    write_exec(
        &hooks.join("pre-commit"),
        &format!(
            "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\necho pre-commit >> '{0}'\n\
             if git diff --cached --name-only | grep -q lint-error; then echo 'lint failed' >&2; exit 1; fi\n",
            ran.display()
        ),
    );
    write_exec(&hooks.join("commit-msg"), &format!("#!/bin/sh\necho \"commit-msg $1\" >> '{}'\n", ran.display()));

    repo.write("README", "clean\n");
    repo.git(&["add", "README"]);
    let out = git(repo.path(), &["commit", "-q", "-m", "clean"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = read(&ran);
    assert!(log.starts_with("pre-commit\ncommit-msg "), "{log}");
    assert!(log.contains("COMMIT_EDITMSG"), "with git's arguments: {log}");

    // A failing repository hook blocks the commit.
    repo.write("lint-error", "x\n");
    repo.git(&["add", "lint-error"]);
    let out = git(repo.path(), &["commit", "-q", "-m", "lint"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("lint failed"), "{}", stderr(&out));
    assert_eq!(commits(repo.path()), 1);
    repo.git(&["rm", "-q", "--cached", "lint-error"]);

    // And keyfence still checks.
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    let out = git(repo.path(), &["commit", "-q", "-m", "creds"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("creds"), "{}", stderr(&out));
    assert_eq!(commits(repo.path()), 1);

    // A repository without hooks of its own commits as before.
    let plain = Repo::new();
    plain.write("README", "clean\n");
    plain.git(&["add", "README"]);
    let out = git(plain.path(), &["commit", "-q", "-m", "clean"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let mut cmd = keyfence();
    env(&mut cmd);
    ok(&cmd.current_dir(home.path()).args(["uninstall", "--global"]).output().unwrap());
}

fn which(program: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap();
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{program} not on PATH"))
}

#[test]
fn the_dot_d_convention_gets_its_own_file() {
    let repo = Repo::new();
    let hooks = repo.path().join(".git/hooks");
    let runner = "#!/bin/sh\nfor h in \"$0.d\"/*; do\n  [ -x \"$h\" ] || continue\n  \"$h\" \"$@\" || exit $?\ndone\n";
    write_exec(&hooks.join("pre-commit"), runner);
    let git_secrets = "#!/usr/bin/env bash\ngit secrets --pre_commit_hook -- \"$@\"\n";
    write_exec(&hooks.join("pre-commit.d/git-secrets"), git_secrets);

    let text = ok(&install(&repo, &["--hooks", "pre-commit"]));
    let ours = hooks.join("pre-commit.d/keyfence");
    assert!(text.contains(&ours.display().to_string()), "{text}");
    assert_ours(&ours);
    assert_eq!(read(&hooks.join("pre-commit")), runner, "the runner is left alone");
    assert!(!hooks.join("pre-commit.d/git-secrets").exists(), "git-secrets' hook is switched off");

    assert_clean_commit_passes(repo.path(), "README");
    assert_key_blocked(repo.path());

    ok(&uninstall(&repo));
    assert!(!ours.exists());
    assert_eq!(read(&hooks.join("pre-commit.d/git-secrets")), git_secrets);
    assert_eq!(mode(&hooks.join("pre-commit.d/git-secrets")), 0o755);
}

#[test]
fn global_install_sets_and_unsets_core_hooks_path() {
    let home = tempfile::tempdir().unwrap();
    let global_config = home.path().join("gitconfig");
    std::fs::write(&global_config, "").unwrap();
    let xdg = home.path().join("xdg");
    let env = |cmd: &mut Command| {
        git_env(cmd);
        cmd.env("HOME", home.path()).env("XDG_CONFIG_HOME", &xdg).env("GIT_CONFIG_GLOBAL", &global_config);
    };
    let run = |args: &[&str]| {
        let mut cmd = keyfence();
        env(&mut cmd);
        cmd.current_dir(home.path()).args(args).output().unwrap()
    };

    let out = run(&["install", "--global"]);
    ok(&out);
    let dir = xdg.join("git/hooks");
    assert!(stderr(&out).contains("ignores"), "the user is told: {}", stderr(&out));
    assert_ours(&dir.join("pre-commit"));
    assert!(read(&global_config).contains(&dir.display().to_string()));

    // Any repository of this user is now protected.
    let repo = Repo::new();
    let mut cmd = Command::new("git");
    env(&mut cmd);
    let out = cmd.current_dir(repo.path()).args(["rev-parse", "--git-path", "hooks"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), dir.display().to_string());
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    let mut cmd = Command::new("git");
    env(&mut cmd);
    let out = cmd.current_dir(repo.path()).args(["commit", "-q", "-m", "creds"]).output().unwrap();
    assert!(!out.status.success());
    assert_eq!(commits(repo.path()), 0);

    // Idempotent, then undone.
    ok(&run(&["install", "--global"]));
    let out = run(&["uninstall", "--global"]);
    ok(&out);
    assert!(!dir.join("pre-commit").exists());
    assert!(!read(&global_config).contains("hooksPath"), "{}", read(&global_config));
    ok(&run(&["uninstall", "--global"]));
}

/// `main` with a clean commit, and branch `feature` (not merged) holding a
/// key committed with --no-verify: someone skipped the check on their branch.
fn repo_with_a_keyed_branch() -> Repo {
    let repo = Repo::new();
    repo.commit_file("README", "hello\n", "init");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "creds"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("other", "clean\n", "other");
    repo
}

#[test]
fn a_merge_that_brings_in_a_key_is_blocked() {
    let repo = repo_with_a_keyed_branch();
    ok(&install(&repo, &[]));

    let mut cmd = repo.git_cmd();
    let out = cmd.args(["merge", "--no-ff", "--no-edit", "feature"]).output().unwrap();
    assert!(!out.status.success(), "prepare-commit-msg blocks the merge");
    assert!(stderr(&out).contains("creds"), "{}", stderr(&out));
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]), "other", "no merge commit");
}

#[test]
fn a_hook_edited_after_install_is_neither_overwritten_nor_removed_without_force() {
    let repo = Repo::new();
    ok(&install(&repo, &[]));
    let hook = repo.path().join(".git/hooks/pre-commit");
    // The team added their own check to keyfence's hook.
    let ran = repo.path().join("edit-ran");
    let call = "\n\"$keyfence\" hook";
    let edited = read(&hook).replace(call, &format!("\ntouch '{}' || exit 1{call}", ran.display()));
    assert_ne!(edited, read(&hook));
    write_exec(&hook, &edited);
    let others: Vec<String> =
        ["commit-msg", "prepare-commit-msg"].iter().map(|n| read(&hook.with_file_name(n))).collect();

    // Re-running install refuses instead of rewriting it.
    let out = install(&repo, &[]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(stderr(&out).contains(&hook.display().to_string()), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(read(&hook), edited);

    // uninstall refuses too, before touching any hook.
    let out = uninstall(&repo);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(stderr(&out).contains("changes"), "{}", stderr(&out));
    assert_eq!(read(&hook), edited);
    let after: Vec<String> =
        ["commit-msg", "prepare-commit-msg"].iter().map(|n| read(&hook.with_file_name(n))).collect();
    assert_eq!(after, others, "no hook was removed");

    // The edited hook is still the live one.
    assert_clean_commit_passes(repo.path(), "README");
    assert!(ran.exists(), "the user's edit ran");
    assert_key_blocked(repo.path());

    // --force installs a fresh hook and keeps the edited one aside, where
    // git does not run it.
    let text = ok(&install(&repo, &["--force"]));
    assert!(text.contains("pre-commit.keyfence-edited"), "{text}");
    assert_ours(&hook);
    assert!(!read(&hook).contains("edit-ran"));
    assert_eq!(read(&hook.with_file_name("pre-commit.keyfence-edited")), edited);
    std::fs::remove_file(&ran).unwrap();
    assert_clean_commit_passes(repo.path(), "other");
    assert!(!ran.exists(), "the kept copy does not run");

    // uninstall --force of an edited hook keeps it too.
    write_exec(&hook, &edited);
    let text = ok(&repo.keyfence(&["uninstall", "--force"]));
    assert!(text.contains("pre-commit.keyfence-edited.1"), "{text}");
    assert!(!hook.exists());
    assert_eq!(read(&hook.with_file_name("pre-commit.keyfence-edited.1")), edited);
    assert!(!hook.with_file_name("commit-msg").exists());
}

#[test]
fn a_stray_dot_d_directory_beside_a_plain_hook_does_not_leave_the_repo_unprotected() {
    let repo = Repo::new();
    let hooks = repo.path().join(".git/hooks");
    let ran = repo.path().join("lint-ran");
    // A plain hook that never looks in pre-commit.d.
    let lint = format!("#!/bin/sh\ntouch '{}'\n", ran.display());
    write_exec(&hooks.join("pre-commit"), &lint);
    std::fs::create_dir_all(hooks.join("pre-commit.d")).unwrap();

    let text = ok(&install(&repo, &["--hooks", "pre-commit"]));
    assert!(text.contains("pre-commit.local"), "{text}");
    assert!(!hooks.join("pre-commit.d/keyfence").exists(), "nothing would run it there");
    assert_ours(&hooks.join("pre-commit"));

    assert_key_blocked(repo.path());
    assert_clean_commit_passes(repo.path(), "README");
    assert!(ran.exists(), "the plain hook still runs");

    ok(&uninstall(&repo));
    assert_eq!(read(&hooks.join("pre-commit")), lint);
}

/// A directory holding only a `keyfence` that runs the binary under test,
/// to put first on PATH the way a user's install would be.
pub(crate) fn path_with_keyfence() -> (tempfile::TempDir, std::ffi::OsString) {
    let dir = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_keyfence"), dir.path().join("keyfence")).unwrap();
    let path = std::env::join_paths(
        std::iter::once(dir.path().to_path_buf()).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    (dir, path)
}

/// The line of `text` that follows `prefix`, up to its end.
fn line_after<'a>(text: &'a str, prefix: &str) -> &'a str {
    let at = text.find(prefix).unwrap_or_else(|| panic!("no {prefix:?} in {text}"));
    text[at + prefix.len()..].lines().next().unwrap()
}

#[test]
fn the_lines_given_for_lefthook_and_pre_commit_check_merges() {
    // A merge in progress that brings in a key (committed on a branch
    // with --no-verify), stopped before its commit, as git leaves it when
    // it runs prepare-commit-msg with the arguments `.git/MERGE_MSG merge`.
    let repo = repo_with_a_keyed_branch();
    repo.git(&["merge", "--no-ff", "--no-commit", "feature"]);
    let (_bin, path) = path_with_keyfence();
    let sh = |script: &str, env: &[(&str, &str)]| {
        let mut cmd = Command::new("sh");
        git_env(&mut cmd);
        cmd.current_dir(repo.path()).env("PATH", &path).envs(env.iter().copied()).arg("-c").arg(script);
        cmd.output().unwrap()
    };

    // lefthook pastes git's arguments over {1}, {2}, ... unquoted, and
    // leaves the placeholder of a missing one as it is.
    std::fs::write(repo.path().join("lefthook.yml"), "").unwrap();
    let out = install(&repo, &["--hooks", "prepare-commit-msg"]);
    assert_eq!(code(&out), 0, "instructions printed are not an error");
    let run = line_after(&stderr(&out), "run: ").to_string();
    let lefthook = run.replace("{0}", ".git/MERGE_MSG merge").replace("{1}", ".git/MERGE_MSG").replace("{2}", "merge");
    let out = sh(&lefthook, &[]);
    assert_eq!(code(&out), 1, "`{run}` checks the merge: {}", stderr(&out));
    assert!(stdout(&out).contains("creds"), "{}", stdout(&out));
    std::fs::remove_file(repo.path().join("lefthook.yml")).unwrap();

    // pre-commit passes the message file as the one argument and the
    // source in PRE_COMMIT_COMMIT_MSG_SOURCE.
    write_exec(
        &repo.path().join(".git/hooks/prepare-commit-msg"),
        "#!/bin/sh\n# File generated by pre-commit: https://pre-commit.com\n",
    );
    let out = install(&repo, &["--hooks", "prepare-commit-msg"]);
    assert_eq!(code(&out), 0, "instructions printed are not an error");
    let entry = line_after(&stderr(&out), "entry: ").to_string();
    let out = sh(&format!("{entry} .git/MERGE_MSG"), &[("PRE_COMMIT_COMMIT_MSG_SOURCE", "merge")]);
    assert_eq!(code(&out), 1, "`{entry}` checks the merge: {}", stderr(&out));
    assert!(stdout(&out).contains("creds"), "{}", stdout(&out));

    // And neither blocks an ordinary commit.
    let out = sh(&lefthook.replace("merge", "message"), &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = sh(&format!("{entry} .git/MERGE_MSG"), &[("PRE_COMMIT_COMMIT_MSG_SOURCE", "message")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn a_husky_repo_is_recognised_before_husky_has_set_core_hooks_path() {
    // A fresh clone: .husky/ is committed, but `npm install` (which runs
    // husky and sets core.hooksPath) has not happened yet.
    let repo = Repo::new();
    repo.write(".husky/pre-commit", "#!/bin/sh\n");
    set_mode(&repo.path().join(".husky/pre-commit"), 0o755);

    let out = install(&repo, &["--hooks", "pre-commit"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("husky") && err.contains("core.hooksPath"), "{err}");
    let line = line_after(&stdout(&out), ".husky/pre-commit: ").to_string();
    assert_eq!(line, "keyfence hook pre-commit");
    assert_eq!(read(&repo.path().join(".husky/pre-commit")), format!("#!/bin/sh\n{line}\n"));
    assert!(!repo.path().join(".git/hooks/pre-commit").exists(), "nothing written where git will stop looking");

    // The line works once husky runs the script.
    let (_bin, path) = path_with_keyfence();
    repo.git(&["config", "core.hooksPath", ".husky"]);
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    let mut cmd = repo.git_cmd();
    let out = cmd.env("PATH", &path).args(["commit", "-q", "-m", "creds"]).output().unwrap();
    assert!(!out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("creds"), "{}", stderr(&out));
    assert_eq!(commits(repo.path()), 0);

    // --force does not write into .git/hooks either, which git ignores
    // once husky has run.
    repo.git(&["config", "--unset", "core.hooksPath"]);
    ok(&install(&repo, &["--force", "--hooks", "pre-commit"]));
    assert!(!repo.path().join(".git/hooks/pre-commit").exists());
}

#[cfg(unix)]
#[test]
fn a_non_executable_hook_is_kept_as_it_was_and_not_said_to_run() {
    let repo = Repo::new();
    let hook = repo.path().join(".git/hooks/pre-commit");
    let ran = repo.path().join("disabled-ran");
    let original = format!("#!/bin/sh\ntouch '{}'\nexit 1\n", ran.display());
    std::fs::write(&hook, &original).unwrap();
    set_mode(&hook, 0o640);

    let text = ok(&install(&repo, &["--hooks", "pre-commit"]));
    assert!(text.contains("not executable"), "{text}");
    assert!(!text.contains("runs first"), "{text}");
    assert_eq!(mode(&hook.with_file_name("pre-commit.local")), 0o640);

    // As before install, git does not run it: the clean commit passes.
    assert_clean_commit_passes(repo.path(), "README");
    assert!(!ran.exists());
    assert_key_blocked(repo.path());

    ok(&uninstall(&repo));
    assert_eq!(read(&hook), original);
    assert_eq!(mode(&hook), 0o640, "the mode is restored too");
}
