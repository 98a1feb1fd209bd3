//! Integration tests: the real `keyfence` binary against real files and real
//! git repositories made with the git CLI in temporary directories.
//!
//! Table of contents:
//! - `contexts`: every real-world credential context and decoy in `fixtures/contexts/`
//! - `scan_paths`: `keyfence scan PATH` behaviour, formats and exit codes
//! - `git_sources`: `--staged`, `--range`, `--history`, commit messages
//! - `fail_closed`: a repository, file or walk that fails is exit 2, never a clean scan
//! - `hooks`: `keyfence install` / `uninstall` through real `git commit`s
//! - `r2`: git sources in unusual repositories (sparse, reftable, cherry-picks, packed bombs, #17)

mod util;

mod architecture;
mod ci_gate;
mod contexts;
mod explain;
mod fail_closed;
mod git_secrets_compat;
mod git_sources;
mod hooks;
mod r2;
mod readonly;
mod reliability;
mod scan_paths;
mod walkthrough;
