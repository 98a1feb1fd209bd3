//! Integration tests: the real `keyfence` binary against real files and real
//! git repositories made with the git CLI in temporary directories.
//!
//! Table of contents:
//! - `contexts`: every real-world credential context and decoy in `fixtures/contexts/`
//! - `scan_paths`: `keyfence scan PATH` behaviour, formats and exit codes
//! - `git_sources`: `--staged`, `--range`, `--history`, commit messages
//! - `hooks`: `keyfence install` / `uninstall` through real `git commit`s
//! - `rules_list`: `keyfence rules` against its snapshot, `fixtures/rules.snapshot`

mod util;

mod ci_gate;
mod contexts;
mod explain;
mod git_secrets_compat;
mod git_sources;
mod hooks;
mod readonly;
mod reliability;
mod rules_list;
mod scan_paths;
mod walkthrough;
