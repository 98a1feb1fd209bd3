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
//! - `depth`: credentials inside archives (zip, jar, tar.gz, gz) and base64, and their bounds
//! - `rules_list`: `keyfence rules` against its snapshot, `fixtures/rules.snapshot`
//! - `decoding`: text decoding (UTF-16, git's binary probe), closed stdin, invisible characters, dense keywords (#17)

mod util;

mod architecture;
mod blocked_commit;
mod ci_gate;
mod contexts;
mod decoding;
mod depth;
mod explain;
mod fail_closed;
mod git_secrets_compat;
mod git_sources;
mod hook_managers;
mod hooks;
mod pre_commit_framework;
mod readonly;
mod reliability;
mod rules_list;
mod scan_paths;
mod trust;
mod walkthrough;
