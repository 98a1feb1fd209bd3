//! `keyfence baseline FILE`: which findings become accepted ones. By
//! default the history of the default branch only, so that unmerged work (a
//! feature branch, a remote's branch, a stash) is never accepted by the
//! baseline that guards its merge. The default branch is `origin/HEAD`'s
//! target when that is set, else the first of `init.defaultBranch`, `main`
//! and `master` that exists as a local branch.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::args::{OutputArgs, ScanArgs};
use crate::engine::{self, Destination, ExitPolicy};
use crate::exit::Exit;

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// The baseline file to write (a JSON report, every value redacted).
    pub file: PathBuf,

    /// Files or directories to baseline instead of a history (as `keyfence
    /// scan PATH`). With a source flag: the repository.
    pub paths: Vec<PathBuf>,

    /// Every branch, tag, remote and stash (what `scan --history` reads),
    /// unmerged work included. Default: the default branch only.
    #[arg(long, group = "source")]
    pub all_refs: bool,

    /// The history of this ref instead of the default branch's.
    #[arg(long, value_name = "REF", group = "source")]
    pub branch: Option<String>,

    /// The commits of a range: A..B, or A...B (from their merge base).
    #[arg(long, value_name = "A..B", group = "source")]
    pub range: Option<String>,

    /// The commits since REF: the same as --range REF..HEAD.
    #[arg(long, value_name = "REF", group = "source")]
    pub since: Option<String>,

    /// The default branch's history: the default, accepted for old recipes.
    #[arg(long, hide = true, group = "source")]
    pub history: bool,

    /// Run as if started in DIR (FILE and paths are relative to it).
    #[arg(short = 'C', value_name = "DIR")]
    pub directory: Option<PathBuf>,

    /// Also scan files that .gitignore and .ignore files exclude.
    #[arg(long)]
    pub no_ignore: bool,

    /// Skip (and list) files or blobs larger than this (bytes, or with a
    /// unit: 10M, 1G) [default: 256M].
    #[arg(long, value_name = "SIZE", value_parser = super::args::parse_size)]
    pub max_blob_size: Option<u64>,

    /// Ignore .keyfence.toml (its rules, allowlist and options).
    #[arg(long)]
    pub no_config: bool,

    /// Skip (and list) objects missing from the repository instead of failing.
    #[arg(long)]
    pub skip_missing: bool,

    /// Turn on a rule that is off by default. Repeatable.
    #[arg(long, value_name = "RULE")]
    pub enable_rule: Vec<String>,

    /// Only the built-in rules of these providers (or these rule ids).
    #[arg(long, value_name = "PROVIDER", value_delimiter = ',')]
    pub rules: Vec<String>,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    // `scan` flags a baseline cannot honour (it is always a redacted JSON
    // file at FILE): refused with a reason rather than ignored.
    #[arg(long, hide = true, value_name = "FORMAT")]
    pub format: Option<String>,
    #[arg(long, short = 'o', hide = true, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[arg(long, hide = true)]
    pub show_secrets: bool,
}

/// `keyfence baseline FILE [args]`: the findings, as JSON, to FILE.
pub fn write(args: &BaselineArgs) -> Result<Exit> {
    let refused = [
        (args.format.is_some(), "--format (a baseline is always a JSON report)"),
        (args.output.is_some(), "--output (the baseline is written to FILE)"),
        (args.show_secrets, "--show-secrets (a baseline never holds a full secret)"),
    ];
    if let Some((_, flag)) = refused.iter().find(|(given, _)| *given) {
        anyhow::bail!("keyfence baseline does not take {flag}");
    }
    if let Some(dir) = &args.directory {
        std::env::set_current_dir(dir).with_context(|| format!("cannot change to directory {}", dir.display()))?;
    }
    let history = args.all_refs || args.history || args.branch.is_some();
    let default_source = args.paths.is_empty() && args.range.is_none() && args.since.is_none();
    let branch = match &args.branch {
        Some(branch) => Some(branch.clone()),
        None if !args.all_refs && (args.history || default_source) => {
            let at = args.paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
            Some(default_branch(&crate::source::git::open(&at)?)?)
        }
        None => None,
    };
    let scan = ScanArgs {
        paths: args.paths.clone(),
        range: args.range.clone(),
        since: args.since.clone(),
        history: history || branch.is_some(),
        branch,
        output: OutputArgs { quiet: true, ..OutputArgs::default() },
        no_ignore: args.no_ignore,
        max_blob_size: args.max_blob_size,
        no_config: args.no_config,
        skip_missing: args.skip_missing,
        enable_rule: args.enable_rule.clone(),
        rules: args.rules.clone(),
        threads: args.threads,
        ..ScanArgs::default()
    };
    let mut run = super::config::scan(&scan)?;
    run.output.to = Destination::Nowhere;
    let scanned = engine::run(&run)?;
    let outcome = &scanned.outcome;
    // Errors first: a baseline of an incomplete scan would hide findings.
    let report_only = ExitPolicy { exit_zero: true, ..ExitPolicy::STRICT };
    if engine::finish(outcome, &run.output, report_only)? != Exit::Clean {
        return Ok(Exit::Error);
    }
    let file = &args.file;
    let mut writer = std::io::BufWriter::new(engine::output::create(file)?);
    crate::baseline::write(&outcome.findings, &mut writer)
        .and_then(|()| writer.flush())
        .with_context(|| format!("cannot write {}", file.display()))?;
    let covered = match &run.source {
        engine::Source::History { branch: Some(branch), .. } => format!(" (the history of {branch})"),
        engine::Source::History { branch: None, .. } => " (every ref)".to_string(),
        _ => String::new(),
    };
    crate::note!("keyfence: wrote {} finding(s){covered} to {}", outcome.findings.len(), file.display());
    Ok(Exit::Clean)
}

/// The default branch, as a full ref name: `origin/HEAD`'s target when set,
/// else the first of `init.defaultBranch`, `main`, `master` that exists.
pub fn default_branch(repo: &gix::Repository) -> Result<String> {
    let origin_head = repo.try_find_reference("refs/remotes/origin/HEAD").ok().flatten();
    if let Some(gix::refs::TargetRef::Symbolic(name)) = origin_head.as_ref().map(|r| r.target()) {
        return Ok(name.as_bstr().to_string());
    }
    let configured = repo.config_snapshot().string("init.defaultBranch").map(|name| name.to_string());
    for name in configured.into_iter().chain(["main".to_string(), "master".to_string()]) {
        let full = format!("refs/heads/{name}");
        if repo.try_find_reference(full.as_str()).ok().flatten().is_some() {
            return Ok(full);
        }
    }
    anyhow::bail!(
        "cannot tell the default branch (no origin/HEAD, and no init.defaultBranch, main or master branch): \
         name it with --branch REF, or baseline every ref with --all-refs"
    )
}
