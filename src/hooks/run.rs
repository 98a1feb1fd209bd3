//! The hook entry points (`keyfence hook pre-commit | commit-msg |
//! prepare-commit-msg`, and git-secrets' `--*_hook` callbacks): a plain
//! [`HookRequest`], built by the command line, becomes one engine run.
//! A hook that finds nothing says nothing: it runs on every commit. One
//! that blocks a commit says so, and how to go on (`blocked.rs`).

use std::path::PathBuf;

use anyhow::Result;

use super::blocked::{self, Carrier};
use super::framework::Check;
use crate::engine::{self, Destination, Output, ProjectAt, RepoAt, RunConfig, Source};
use crate::exit::Exit;
use crate::report::Format;
use crate::rules::git_secrets::Mode;

/// Which hook git ran, with the arguments it passed.
#[derive(Debug, Clone)]
pub enum Hook {
    /// Scan the staged changes.
    PreCommit,
    /// Scan this commit message file.
    CommitMsg(PathBuf),
    /// `source`: what prepared the message (message, template, merge,
    /// squash, commit); `commit`: the commit when amending or reusing one.
    PrepareCommitMsg { source: Option<String>, commit: Option<String> },
    /// The pre-commit framework's hook, with what its environment asks
    /// (see `framework.rs`); `whole_files` for `keyfence-whole-files`.
    Framework { check: Check, whole_files: bool },
}

/// One hook run, resolved: the hook, keyfence's or git-secrets' rules and
/// how to report.
#[derive(Debug, Clone)]
pub struct HookRequest {
    pub hook: Hook,
    /// `Mode::GitSecrets` reports whole staged files, as git-secrets does.
    pub mode: Mode,
    pub output: Output,
}

pub fn run(request: &HookRequest) -> Result<Exit> {
    let scanned = engine::run(&run_config(request))?;
    let outcome = &scanned.outcome;
    // A report asked for (a format or a file) is still written.
    let clean = outcome.findings.is_empty() && outcome.errors.is_empty() && outcome.skipped.is_empty();
    let to_stdout = matches!(request.output.to, Destination::Stdout | Destination::Nowhere);
    if clean && request.output.report.format == Format::Human && to_stdout {
        return Ok(Exit::Clean);
    }
    let exit = engine::finish(outcome, &request.output, scanned.policy)?;
    let human = request.output.report.format == Format::Human && request.output.to != Destination::Nowhere;
    if let (Some(carrier), true) = (carrier(&request.hook), human && request.mode == Mode::Keyfence) {
        if let Some(text) = blocked::message(carrier, exit, &outcome.findings) {
            eprint!("{text}");
        }
    }
    Ok(exit)
}

/// What a commit this hook stops carries the secret in; `None` when the
/// hook stops no commit (pre-commit's `--all-files`, `--files`, a range).
fn carrier(hook: &Hook) -> Option<Carrier<'_>> {
    match hook {
        Hook::PreCommit | Hook::Framework { check: Check::Commit, .. } => Some(Carrier::Staged),
        Hook::CommitMsg(file) => file.to_str().map(Carrier::Message),
        Hook::PrepareCommitMsg { .. } => Some(Carrier::Merge),
        Hook::Framework { .. } => None,
    }
}

/// What the hook scans. A non-fast-forward merge brings in commits the
/// pre-commit hook never saw; cherry-pick, revert and rebase commit without
/// running pre-commit at all. A plain `git commit` was checked already.
fn run_config(request: &HookRequest) -> RunConfig {
    let here = PathBuf::from(".");
    let (repo, source) = match &request.hook {
        Hook::PreCommit => (RepoAt::Required(here), Source::Staged { whole_files: request.mode == Mode::GitSecrets }),
        // A message file can be scanned outside a repository.
        Hook::CommitMsg(file) => (RepoAt::IfAny(here), Source::Message(file.clone())),
        Hook::PrepareCommitMsg { source, commit } if source.as_deref() == Some("merge") && commit.is_none() => {
            (RepoAt::Required(here), Source::MergeHeads)
        }
        // cherry-pick, revert and rebase commit without running pre-commit;
        // the engine tells them from a plain `git commit` by git's state.
        Hook::PrepareCommitMsg { .. } => {
            (RepoAt::Required(here), Source::SequencedCommit { whole_files: request.mode == Mode::GitSecrets })
        }
        Hook::Framework { check, whole_files } => (
            RepoAt::Required(here),
            match check {
                Check::Commit => Source::Staged { whole_files: *whole_files },
                Check::Range(spec) => Source::Range(spec.clone()),
                Check::Files(files) if files.is_empty() => Source::Nothing,
                Check::Files(files) => Source::Paths { roots: files.clone(), no_ignore: false, scan_binary: false },
            },
        ),
    };
    RunConfig {
        repo,
        project: ProjectAt::RepoRoot,
        source,
        mode: request.mode,
        enable_rules: Vec::new(),
        include_examples: false,
        baseline: None,
        max_blob_size: None,
        archives: true,
        fail_on: None,
        exit_zero: false,
        threads: engine::default_threads(),
        skip_missing: false,
        output: request.output.clone(),
    }
}
