//! Where the hooks go: the hooks directory git really uses. For a repository
//! that is `core.hooksPath` when set (relative to the work tree, `~`
//! expanded), else `<common dir>/hooks`, so a linked worktree protects the
//! repository rather than writing into `.git/worktrees/<name>/hooks`, which
//! git never reads. With `--global` it is the global `core.hooksPath`, which
//! keyfence sets (and later unsets) when there is none.
//!
//! This module only finds and explains directories; it writes no hook.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// Left in a global hooks directory whose `core.hooksPath` keyfence set, so
/// `uninstall --global` knows to unset it again.
const GLOBAL_STATE: &str = ".keyfence-set-hookspath";

/// The hooks directory git really uses, and what is needed to explain it.
pub(super) struct Target {
    pub(super) hooks_dir: PathBuf,
    /// `core.hooksPath` is set (the directory is not git's default).
    pub(super) configured: bool,
    /// The work tree root (the git dir for a bare repository).
    pub(super) root: PathBuf,
    pub(super) global: bool,
}

pub(super) fn repo_target(dir: Option<&Path>) -> Result<Target> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let dir = match dir {
        Some(dir) => cwd.join(dir),
        None => cwd,
    };
    let repo = gix::ThreadSafeRepository::discover_with_environment_overrides(&dir)
        .map_err(|e| {
            anyhow::anyhow!(
                "not a git repository (or cannot open it): {}: {}",
                dir.display(),
                crate::source::git::one_line(e)
            )
        })?
        .to_thread_local();
    // git resolves a relative core.hooksPath against the directory hooks run
    // in: the top of the work tree, or the git dir of a bare repository.
    let root = resolved(repo.workdir().unwrap_or_else(|| repo.git_dir()))?;
    let config = repo.config_snapshot();
    let hooks_path = match config.string("core.hooksPath") {
        Some(value) if !value.is_empty() => Some(match config.trusted_path("core.hooksPath") {
            Ok(Some(path)) => path,
            // Untrusted or not interpolable by gix: expand `~` ourselves.
            _ => expand_tilde(&value.to_string())?,
        }),
        _ => None,
    };
    Ok(match hooks_path {
        Some(path) => Target { hooks_dir: root.join(path), configured: true, root, global: false },
        None => {
            Target { hooks_dir: resolved(repo.common_dir())?.join("hooks"), configured: false, root, global: false }
        }
    })
}

/// The global `core.hooksPath`. Unset: `None`, or with `create`, the
/// directory `~/.config/git/hooks` made and set (the user is told).
pub(super) fn global_target(create: bool) -> Result<Option<Target>> {
    let out = git(&["config", "--global", "--path", "--get", "core.hooksPath"])?;
    let dir = match out.status.code() {
        Some(0) => {
            let value = String::from_utf8_lossy(&out.stdout).trim_end_matches(['\n', '\r']).to_string();
            let path = PathBuf::from(&value);
            if !path.is_absolute() {
                bail!(
                    "the global core.hooksPath ({value}) is relative, so it names a directory inside each repository; \
                     run `keyfence install` in each repository instead"
                );
            }
            path
        }
        Some(1) if create => {
            let dir = config_home()?.join("git").join("hooks");
            fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            let set = git(&["config", "--global", "core.hooksPath", &dir.to_string_lossy()])?;
            if !set.status.success() {
                bail!(
                    "cannot set core.hooksPath in the global git config: {}",
                    String::from_utf8_lossy(&set.stderr).trim()
                );
            }
            fs::write(dir.join(GLOBAL_STATE), format!("{}\n", dir.display()))
                .with_context(|| format!("cannot write {}", dir.join(GLOBAL_STATE).display()))?;
            crate::note!(
                "keyfence: set core.hooksPath = {} in your global git config: git now ignores every repository's own \
                 .git/hooks. keyfence's global hooks run a repository's own {} hook first (the pre-commit \
                 framework's too); its other hooks (pre-push, post-checkout, ...) no longer run. \
                 `keyfence uninstall --global` undoes this",
                dir.display(),
                super::HOOKS.map(|k| k.name).join(", ")
            );
            dir
        }
        Some(1) => return Ok(None),
        _ => bail!(
            "cannot read core.hooksPath from the global git config: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    };
    Ok(Some(Target { root: dir.clone(), hooks_dir: dir, configured: true, global: true }))
}

/// After `uninstall --global`: if keyfence set the global `core.hooksPath`
/// and nothing else lives in it, unset it and remove the directory.
pub(super) fn unset_global_hooks_path_if_ours(dir: &Path) -> Result<()> {
    let state = dir.join(GLOBAL_STATE);
    if !state.is_file() {
        return Ok(());
    }
    let others = fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok())
        .any(|e| e.file_name() != GLOBAL_STATE);
    if others {
        return Ok(());
    }
    let out = git(&["config", "--global", "--unset", "core.hooksPath"])?;
    if !out.status.success() {
        bail!("cannot unset core.hooksPath in the global git config: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    fs::remove_file(&state).with_context(|| format!("cannot remove {}", state.display()))?;
    let _ = fs::remove_dir(dir);
    crate::note!(
        "keyfence: unset core.hooksPath in your global git config (keyfence had set it): each repository's \
         .git/hooks run again"
    );
    Ok(())
}

fn git(args: &[&str]) -> Result<std::process::Output> {
    Command::new("git").args(args).output().with_context(|| format!("cannot run git {}", args.join(" ")))
}

/// `$XDG_CONFIG_HOME`, else `~/.config`, as git itself looks for its config.
fn config_home() -> Result<PathBuf> {
    if let Some(xdg) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        let xdg = PathBuf::from(xdg);
        if xdg.is_absolute() {
            return Ok(xdg);
        }
    }
    Ok(home()?.join(".config"))
}

fn home() -> Result<PathBuf> {
    gix::path::env::home_dir().context("cannot find the home directory (HOME is not set)")
}

fn expand_tilde(value: &str) -> Result<PathBuf> {
    Ok(match value.strip_prefix('~') {
        Some("") => home()?,
        Some(rest) if rest.starts_with('/') => home()?.join(&rest[1..]),
        _ => PathBuf::from(value),
    })
}

/// An existing directory as an absolute path without `..` (a linked
/// worktree's common dir is `.git/worktrees/<name>/../..`).
fn resolved(path: &Path) -> Result<PathBuf> {
    fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .with_context(|| format!("cannot resolve {}", path.display()))
}
