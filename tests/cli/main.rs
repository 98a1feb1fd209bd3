//! Integration tests: the real `keyfence` binary against real files and real
//! git repositories made with the git CLI in temporary directories.
//!
//! Table of contents:
//! - `contexts`: every real-world credential context and decoy in `fixtures/contexts/`
//! - `scan_paths`: `keyfence scan PATH` behaviour, formats and exit codes
//! - `git_sources`: `--staged`, `--range`, `--history`, commit messages
//! - `fail_closed`: a repository, file or walk that fails is exit 2, never a clean scan
//! - `hooks`: `keyfence install` / `uninstall` through real `git commit`s
//! - `hook_managers`: husky and lefthook from npm, pre-commit's advice
//! - `trust`: trust in repository-supplied files (allowlists, ignores, report paths) and stderr that nobody reads
//! - `rules_list`: `keyfence rules` against its snapshot, `fixtures/rules.snapshot`
//! - `p`: issue 13's providers: one generated token per provider and decoys, in history and worktree

mod util;

mod architecture;
mod ci_gate;
mod contexts;
mod explain;
mod fail_closed;
mod git_secrets_compat;
mod git_sources;
mod hook_managers;
mod hooks;
mod p;
mod readonly;
mod reliability;
mod rules_list;
mod scan_paths;
mod trust;
mod walkthrough;
