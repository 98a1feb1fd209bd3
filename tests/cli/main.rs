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
//! - `depth`: credentials inside archives (zip, jar, tar.gz, gz, bz2, xz) and base64, and their bounds
//! - `precision_and_redaction`: entropy floor, JSON `\/` escapes, CR-only lines, git-secrets rule names and providers, redaction of every copy
//! - `rules_list`: `keyfence rules` against its snapshot, `fixtures/rules.snapshot`
//! - `decoding`: text decoding (UTF-16, git's binary probe), closed stdin, invisible characters, dense keywords (#17)
//! - `git_sources_reliability`: git sources in unusual repositories (sparse, reftable, cherry-picks, packed bombs, #17)
//! - `history_scale`: one finding per secret per path, reports of failed/shallow/partial history scans, staged scale (#14)
//! - `usability`: what `baseline` covers, severities, size units, messages, man pages (issue 15)
//! - `providers`: issue 13's providers: one generated token per provider and decoys, in history and worktree

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
mod git_sources_reliability;
mod history_scale;
mod hook_managers;
mod hooks;
mod pre_commit_framework;
mod precision_and_redaction;
mod providers;
mod readonly;
mod reliability;
mod rules_list;
mod scan_paths;
mod trust;
mod usability;
mod walkthrough;
