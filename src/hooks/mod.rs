//! Git hooks: the hooks keyfence can install, the scripts it writes, and
//! `keyfence install` / `uninstall`. This file holds the `HookKind` table,
//! the [`MARKER`] that makes a hook file ours, and the public API; the work
//! is split by question:
//!
//! - `target`: which hooks directory git really uses (`core.hooksPath`,
//!   the common dir for a linked worktree, the global directory);
//! - `managers`: husky, lefthook and the pre-commit framework, which own
//!   the hooks directory: husky's scripts get keyfence's line, the others
//!   instructions;
//! - `existing`: what is at each hook's path (ours as installed by any
//!   version, ours edited, git-secrets', someone else's);
//! - `install`: the plan, and carrying it out (install and uninstall);
//! - `fs`: rendering a script, writing it atomically, file modes and names;
//! - `run`: the hook entry points git runs (`keyfence hook pre-commit`, …),
//!   which scan through the engine; `blocked`: what a blocked commit says;
//! - `framework`: what the pre-commit framework's hook checks, decided from
//!   pre-commit's environment (a commit, named files, a range).
//!
//! Nothing here sees the command line: callers build an [`InstallRequest`].

use std::path::PathBuf;

mod blocked;
mod existing;
pub mod framework;
mod fs;
mod install;
mod managers;
pub mod run;
mod target;

pub(crate) use fs::write_hook;
pub use install::{install, uninstall};

/// The line that marks a hook file as ours: `uninstall` removes only files
/// that carry it, and `install` rewrites them freely.
pub const MARKER: &str = "# keyfence-hook v1";
/// Any version of the marker (a later version's hook is still ours).
const MARKER_PREFIX: &str = "# keyfence-hook v";
/// Replaced by the shell-quoted path of the installing binary.
const BIN_PLACEHOLDER: &str = "'@KEYFENCE@'";
/// Replaced by `yes` in a `--global` install (the hook then runs the
/// repository's own hook of the same name first), else `no`.
const GLOBAL_PLACEHOLDER: &str = "@GLOBAL@";

/// What `install` or `uninstall` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct InstallRequest {
    /// Hook names (`pre-commit`, `commit-msg`, `prepare-commit-msg`);
    /// repeats are ignored, an unknown name is an error.
    pub hooks: Vec<String>,
    /// Replace or remove what would otherwise be refused (kept aside).
    pub force: bool,
    /// The global `core.hooksPath` rather than one repository's hooks.
    pub global: bool,
    /// The repository to work in, relative to the current directory
    /// (`-C DIR`); the current one when `None`.
    pub dir: Option<PathBuf>,
}

/// One git hook keyfence can install.
struct HookKind {
    name: &'static str,
    script: &'static str,
    /// Earlier versions of `script`, as installed hooks may still hold
    /// them: they count as installed, not edited, so an upgrade rewrites
    /// them rather than refusing.
    old_scripts: &'static [&'static str],
    /// git-secrets' function for this hook (`git secrets --<fn> -- "$@"`).
    git_secrets_fn: &'static str,
    /// What a hook manager's script should run.
    command: &'static str,
    /// The same for lefthook, whose placeholders differ: `{N}` is pasted in
    /// unquoted, and left as the literal text `{N}` when git passed fewer
    /// arguments.
    lefthook_command: &'static str,
    /// The pre-commit framework's `entry`: the pre-commit hook gets the
    /// file names (`framework.rs` decides what to check), the message hooks
    /// the message file as their one argument, the rest of git's arguments
    /// in the environment.
    pre_commit_entry: &'static str,
}

const HOOKS: [HookKind; 3] = [
    HookKind {
        name: "pre-commit",
        script: include_str!("../../hooks/pre-commit"),
        old_scripts: &[include_str!("old/pre-commit.v1"), include_str!("old/pre-commit.v2")],
        git_secrets_fn: "--pre_commit_hook",
        command: "keyfence hook pre-commit",
        lefthook_command: "keyfence hook pre-commit",
        pre_commit_entry: "keyfence hook pre-commit-framework",
    },
    HookKind {
        name: "commit-msg",
        script: include_str!("../../hooks/commit-msg"),
        old_scripts: &[include_str!("old/commit-msg.v1"), include_str!("old/commit-msg.v2")],
        git_secrets_fn: "--commit_msg_hook",
        command: "keyfence hook commit-msg \"$1\"",
        lefthook_command: "keyfence hook commit-msg \"{1}\"",
        pre_commit_entry: "keyfence hook commit-msg",
    },
    HookKind {
        name: "prepare-commit-msg",
        script: include_str!("../../hooks/prepare-commit-msg"),
        old_scripts: &[include_str!("old/prepare-commit-msg.v1"), include_str!("old/prepare-commit-msg.v2")],
        git_secrets_fn: "--prepare_commit_msg_hook",
        command: "keyfence hook prepare-commit-msg \"$@\"",
        // Not `{3}`: on the one call that matters (a merge, which has no
        // third argument) it would arrive as the text "{3}", read as a
        // commit id, and the merge would go unchecked.
        lefthook_command: "keyfence hook prepare-commit-msg \"{1}\" {2}",
        // pre-commit passes only the file; without the source keyfence
        // cannot tell a merge and would check nothing.
        pre_commit_entry: "sh -c 'exec keyfence hook prepare-commit-msg \"$1\" $PRE_COMMIT_COMMIT_MSG_SOURCE' --",
    },
];

/// The file carries a keyfence marker of any version.
fn is_ours(text: &str) -> bool {
    text.lines().any(|line| line.trim_end().starts_with(MARKER_PREFIX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_script_is_marked_and_has_the_placeholder_once() {
        for kind in &HOOKS {
            assert!(kind.script.starts_with("#!/bin/sh\n"), "{}", kind.name);
            assert!(kind.script.lines().any(|l| l == MARKER), "{}", kind.name);
            assert_eq!(kind.script.matches(BIN_PLACEHOLDER).count(), 1, "{}", kind.name);
            assert_eq!(kind.script.matches(GLOBAL_PLACEHOLDER).count(), 1, "{}", kind.name);
            assert!(!kind.script.contains("exec "), "{}: a killed keyfence must leave the hook to explain", kind.name);
            for old in kind.old_scripts {
                assert_eq!(old.matches(BIN_PLACEHOLDER).count(), 1, "{}", kind.name);
            }
            assert!(kind.script.contains(&format!("hook {}", kind.name)), "{}", kind.name);
        }
    }
}
