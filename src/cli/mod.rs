//! The command line: clap structures for what the user typed, and `run`,
//! which turns them into a validated configuration, runs the scan and
//! returns the exit code. Nothing downstream sees raw arguments.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

pub mod git_secrets;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::config::ProjectConfig;
use crate::pipeline::{Outcome, Pipeline, Suppressor};
use crate::report::{self, Format, ReportOptions};
use crate::rules::git_secrets::{GitSecretsConfig, Mode};
use crate::rules::{RuleSet, Severity};
use crate::scan::Scanner;
use crate::source::history::{self, HistoryOptions};
use crate::source::staged::{self, StagedOptions};
use crate::source::worktree::{self, WalkOptions};
use crate::source::{git, message, range};

/// Default cap on a single file or blob: generous, but a 4 GB video is not
/// read into memory to look for a 40-byte key.
const DEFAULT_MAX_BLOB_SIZE: u64 = 256 * 1024 * 1024;

#[derive(Debug, Parser)]
#[command(
    name = "keyfence",
    version,
    about = "Stop AWS keys before they leave your laptop: a fast git secret scanner.",
    after_help = "Exit status: 0 clean, 1 findings, 2 error (an error always wins over clean).\n\nExamples:\n  keyfence scan                 scan the current directory\n  keyfence scan --format json . machine-readable report (secrets redacted)\n  keyfence rules                list the detection rules"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files, staged changes, a commit range or the whole history for AWS credentials.
    #[command(
        after_help = "Examples:\n  keyfence scan                              the current directory\n  keyfence scan src/ config/prod.env\n  keyfence scan --staged                     what the next commit adds (the pre-commit check)\n  keyfence scan --range origin/main...HEAD   a pull request, commit by commit\n  keyfence scan --since origin/main --format sarif --output keyfence.sarif\n  keyfence scan --history                    every blob ever committed, on every ref\n  keyfence scan --history --format json -C ~/src/app"
    )]
    Scan(ScanArgs),
    /// Write today's findings to FILE as a baseline that later scans accept.
    #[command(
        after_help = "Examples:\n  keyfence baseline .keyfence-baseline.json --history\n  keyfence scan --since origin/main --baseline .keyfence-baseline.json"
    )]
    Baseline {
        /// The baseline file to write (a JSON report).
        file: PathBuf,
        #[command(flatten)]
        scan: ScanArgs,
    },
    /// Entry points for git hooks (installed by `keyfence install`).
    #[command(
        subcommand,
        after_help = "Examples:\n  keyfence hook pre-commit\n  keyfence hook commit-msg .git/COMMIT_EDITMSG\n  keyfence hook prepare-commit-msg .git/COMMIT_EDITMSG merge"
    )]
    Hook(HookCommand),
    /// Install keyfence's git hooks (pre-commit, commit-msg, prepare-commit-msg).
    #[command(
        after_help = "Examples:\n  keyfence install                  this repository (core.hooksPath and worktrees honoured)\n  keyfence install --hooks pre-commit\n  keyfence install --global         every repository of this user\n\nAn existing hook that is not keyfence's is kept and still runs (renamed to <hook>.local).\ngit-secrets' hooks are replaced: that is the migration. `keyfence uninstall` restores."
    )]
    Install(InstallArgs),
    /// Remove keyfence's hooks and restore what was there before.
    #[command(after_help = "Examples:\n  keyfence uninstall\n  keyfence uninstall --global")]
    Uninstall(InstallArgs),
    /// What a leaked key means and exactly what to do about it (offline).
    #[command(
        after_help = "Examples:\n  keyfence explain AKIAY34FZKBOKMUTVV7A\n  keyfence explain 3cdc32e5b4539d384273a4278c4d2943   (a finding's fingerprint)"
    )]
    Explain {
        /// An AWS key id (AKIA…, ASIA…) or a finding's fingerprint.
        id: String,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  keyfence completions bash > ~/.local/share/bash-completion/completions/keyfence\n  keyfence completions zsh > \"${fpath[1]}/_keyfence\"\n  keyfence completions fish > ~/.config/fish/completions/keyfence.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): keyfence(1), or keyfence-SUBCOMMAND(1).
    #[command(after_help = "Examples:\n  keyfence man > ~/.local/share/man/man1/keyfence.1\n  \
                            keyfence man scan > ~/.local/share/man/man1/keyfence-scan.1")]
    Man {
        /// The subcommand whose page to print (`scan`, `install`, `hook`, ...).
        subcommand: Option<String>,
    },
    /// List the detection rules, with their ids and whether they are on.
    #[command(after_help = "Example:\n  keyfence rules")]
    Rules,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (default: the current directory). A file
    /// named here is scanned even if ignored; `-` is standard input, and a
    /// named pipe is read until its writer closes it. With --staged,
    /// --range, --since or --history: the repository to scan.
    pub paths: Vec<PathBuf>,

    /// Scan what is staged for the next commit (the pre-commit check).
    #[arg(long, group = "source")]
    pub staged: bool,

    /// Scan the commits in a range: A..B, or A...B (from their merge base).
    #[arg(long, value_name = "A..B", group = "source")]
    pub range: Option<String>,

    /// Scan the commits since REF: the same as --range REF..HEAD.
    #[arg(long, value_name = "REF", group = "source")]
    pub since: Option<String>,

    /// Scan every blob ever committed, on every branch, tag, remote and stash.
    #[arg(long, group = "source")]
    pub history: bool,

    /// With --staged: report every line of the touched files, not only the
    /// lines the change adds (git-secrets behaviour).
    #[arg(long, requires = "staged")]
    pub whole_files: bool,

    /// With --history: also report blobs no ref reaches (dangling, unreachable).
    #[arg(long, requires = "history")]
    pub all_objects: bool,

    /// With --history: only the history of this ref.
    #[arg(long, value_name = "REF", requires = "history")]
    pub branch: Option<String>,

    /// Run as if started in DIR (the repository to scan).
    #[arg(short = 'C', value_name = "DIR")]
    pub directory: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Also scan files that .gitignore and .ignore files exclude.
    #[arg(long)]
    pub no_ignore: bool,

    /// Files or blobs larger than this many bytes are skipped, and reported
    /// [default: 268435456 = 256 MiB].
    #[arg(long, value_name = "BYTES")]
    pub max_blob_size: Option<u64>,

    /// Drop findings whose fingerprint is in FILE (a `--format json` report,
    /// e.g. written by `keyfence baseline FILE`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Exit 1 only for findings of this severity or worse (all are reported).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,

    /// Exit 0 even with findings, for report-only jobs (errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,

    /// Ignore .keyfence.toml (its rules, allowlist and options).
    #[arg(long)]
    pub no_config: bool,

    /// Skip (and list) objects missing from the repository, as in a partial
    /// clone, instead of failing. Without it a missing object exits 2.
    #[arg(long)]
    pub skip_missing: bool,

    /// Turn on a rule that is off by default (e.g. aws-unique-id). Repeatable.
    #[arg(long, value_name = "RULE")]
    pub enable_rule: Vec<String>,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Scan the staged changes (what `git commit` is about to record).
    #[command(after_help = "Example (.git/hooks/pre-commit):\n  exec keyfence hook pre-commit")]
    PreCommit {
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Scan a commit message file.
    #[command(after_help = "Example (.git/hooks/commit-msg):\n  exec keyfence hook commit-msg \"$1\"")]
    CommitMsg {
        /// The message file git passes to the hook.
        file: PathBuf,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Scan what a non-fast-forward merge brings in (added lines only).
    #[command(after_help = "Example (.git/hooks/prepare-commit-msg):\n  exec keyfence hook prepare-commit-msg \"$@\"")]
    PrepareCommitMsg {
        /// The message file git passes to the hook (not scanned here).
        file: PathBuf,
        /// What prepared the message: message, template, merge, squash or commit.
        source: Option<String>,
        /// The commit, when amending or reusing a message.
        commit: Option<String>,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Replace an existing hook that is not keyfence's (it is kept as
    /// <hook>.local and still runs).
    #[arg(long, short = 'f')]
    pub force: bool,

    /// Which hooks, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "pre-commit,commit-msg,prepare-commit-msg",
        value_parser = ["pre-commit", "commit-msg", "prepare-commit-msg"]
    )]
    pub hooks: Vec<String>,

    /// Install into the global core.hooksPath (set to ~/.config/git/hooks
    /// when unset), for every repository of this user.
    #[arg(long)]
    pub global: bool,

    /// Run as if started in DIR.
    #[arg(short = 'C', value_name = "DIR")]
    pub directory: Option<PathBuf>,
}

#[derive(Debug, Args, Default)]
pub struct OutputArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Show full secret values in every format (redacted by default except in
    /// human output on a terminal).
    #[arg(long)]
    pub show_secrets: bool,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print no report; only the exit code tells. Errors and skipped files
    /// still go to standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// Parse arguments and run; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Baseline { file, scan } => write_baseline(&file, &scan),
        Command::Hook(hook) => run_hook(hook, Mode::Keyfence),
        Command::Rules => list_rules(),
        Command::Explain { id } => explain(&id),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "keyfence", &mut script);
            write_stdout(&script)
        }
        Command::Man { subcommand } => {
            let mut page = Vec::new();
            clap_mangen::Man::new(man_page_command(subcommand.as_deref())?).render(&mut page)?;
            write_stdout(&page)
        }
        Command::Install(args) => crate::hook::install(&args),
        Command::Uninstall(args) => crate::hook::uninstall(&args),
    }
}

/// The command a man page describes: keyfence itself, or one subcommand.
fn man_page_command(subcommand: Option<&str>) -> Result<clap::Command> {
    let mut keyfence = Cli::command();
    // Building names each subcommand `keyfence-<name>` (the page keyfence(1)'s
    // SUBCOMMANDS section points to) and its usage `keyfence <name>`.
    keyfence.build();
    let Some(name) = subcommand else { return Ok(keyfence) };
    let sub = keyfence.find_subcommand(name).cloned().ok_or_else(|| {
        let names: Vec<_> = keyfence.get_subcommands().map(|c| c.get_name().to_string()).collect();
        anyhow::anyhow!("no subcommand '{name}' (one of: {})", names.join(", "))
    })?;
    Ok(sub.version(env!("CARGO_PKG_VERSION")))
}

fn run_hook(hook: HookCommand, mode: Mode) -> Result<i32> {
    let (outcome, engine_fail_on) = hook_outcome(&hook, mode)?;
    let (HookCommand::PreCommit { output }
    | HookCommand::CommitMsg { output, .. }
    | HookCommand::PrepareCommitMsg { output, .. }) = &hook;
    // A hook that found nothing says nothing: it runs on every commit. A
    // report asked for (a format or a file) is still written.
    let clean = outcome.findings.is_empty() && outcome.errors.is_empty() && outcome.skipped.is_empty();
    if clean && output.format == Format::Human && output.output.is_none() {
        return Ok(0);
    }
    let policy = ExitPolicy { fail_on: engine_fail_on, exit_zero: false };
    finish(&outcome, output, matches!(hook, HookCommand::PrepareCommitMsg { .. }), policy)
}

/// The hook entry points, shared with `git-secrets` mode (which passes
/// `Mode::GitSecrets` and reports whole staged files, as git-secrets does).
/// Returns the outcome and the project's `fail-on` severity.
pub(crate) fn hook_outcome(hook: &HookCommand, mode: Mode) -> Result<(Outcome, Severity)> {
    let repo = match hook {
        // A message file can be scanned outside a repository.
        HookCommand::CommitMsg { .. } => git::open(Path::new(".")).ok(),
        _ => Some(git::open(Path::new("."))?),
    };
    let engine = Engine::build(&EngineOptions::for_repo(repo.as_ref(), mode))?;
    let max_blob_size = engine.max_blob_size.unwrap_or(DEFAULT_MAX_BLOB_SIZE);
    let pipeline = engine.pipeline();
    let result = match (hook, &repo) {
        (HookCommand::PreCommit { .. }, Some(repo)) => {
            let options = StagedOptions { whole_files: mode == Mode::GitSecrets, max_blob_size };
            staged::scan(repo, &options, &pipeline)
        }
        (HookCommand::CommitMsg { file, .. }, _) => {
            let pipeline = &pipeline;
            message::scan(file, pipeline)
        }
        // Only a non-fast-forward merge brings in commits that the pre-commit
        // hook never saw; everything else was checked already.
        (HookCommand::PrepareCommitMsg { source, commit, .. }, Some(repo))
            if source.as_deref() == Some("merge") && commit.is_none() =>
        {
            merge_heads(repo)?
                .iter()
                .try_for_each(|merged| range::scan(repo, &format!("HEAD..{merged}"), max_blob_size, &pipeline))
        }
        _ => Ok(()),
    };
    if let Err(e) = result {
        pipeline.error(e);
    }
    Ok((pipeline.finish(), engine.fail_on))
}

/// The commits being merged, from `MERGE_HEAD` (one per line for octopus).
fn merge_heads(repo: &gix::Repository) -> Result<Vec<String>> {
    let path = repo.git_dir().join("MERGE_HEAD");
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text.split_whitespace().map(str::to_string).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display()))),
    }
}

fn scan(args: ScanArgs) -> Result<i32> {
    if let Some(dir) = &args.directory {
        std::env::set_current_dir(dir).with_context(|| format!("cannot change to directory {}", dir.display()))?;
    }
    let (outcome, policy) = scan_outcome(&args)?;
    let from_git = args.range.is_some() || args.since.is_some() || args.history;
    finish(&outcome, &args.output, from_git, policy)
}

fn scan_outcome(args: &ScanArgs) -> Result<(Outcome, ExitPolicy)> {
    let threads = args.threads.unwrap_or_else(default_threads);
    let git_mode = args.staged || args.range.is_some() || args.since.is_some() || args.history;
    let roots = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    if git_mode && roots.len() > 1 {
        anyhow::bail!("give at most one repository path with --staged, --range, --since or --history");
    }
    let repo = if git_mode {
        Some(git::open(&roots[0])?)
    } else {
        // The git-secrets settings and .keyfence.toml of the repository
        // being scanned, if it is one.
        git::open_if_repository(roots[0].parent().filter(|_| roots[0].is_file()).unwrap_or(&roots[0]))?
    };
    let mut options = EngineOptions::for_repo(repo.as_ref(), Mode::Keyfence);
    if repo.is_none() && roots[0].is_dir() {
        options.project_dir = Some(roots[0].clone());
    }
    if args.no_config {
        options.project_dir = None;
    }
    options.enable = args.enable_rule.clone();
    options.baseline = args.baseline.clone();
    let engine = Engine::build(&options)?;
    let max_blob_size = args.max_blob_size.or(engine.max_blob_size).unwrap_or(DEFAULT_MAX_BLOB_SIZE);
    let pipeline = engine.pipeline().with_skip_missing(args.skip_missing);
    let result = match &repo {
        Some(repo) if args.staged => {
            staged::scan(repo, &StagedOptions { whole_files: args.whole_files, max_blob_size }, &pipeline)
        }
        Some(repo) if args.history => {
            let options = HistoryOptions {
                all_objects: args.all_objects,
                branch: args.branch.clone(),
                max_blob_size,
                threads,
                progress: !args.output.quiet,
            };
            history::scan(repo, &options, &pipeline)
        }
        Some(repo) if git_mode => {
            let spec = args.range.clone().or_else(|| args.since.as_ref().map(|r| format!("{r}..HEAD")));
            range::scan(repo, &spec.expect("git_mode without staged/history is a range"), max_blob_size, &pipeline)
        }
        _ => {
            let walk = WalkOptions { no_ignore: args.no_ignore, threads, max_file_size: max_blob_size };
            worktree::scan_paths(&roots, &walk, &pipeline);
            Ok(())
        }
    };
    if let Err(e) = result {
        pipeline.error(e);
    }
    let policy = ExitPolicy { fail_on: args.fail_on.unwrap_or(engine.fail_on), exit_zero: args.exit_zero };
    Ok((pipeline.finish(), policy))
}

/// `keyfence baseline FILE [scan args]`: today's findings, as JSON, to FILE.
fn write_baseline(file: &Path, args: &ScanArgs) -> Result<i32> {
    let (outcome, _) = scan_outcome(args)?;
    // Errors first: a baseline of an incomplete scan would hide findings.
    let quiet = OutputArgs { quiet: true, ..OutputArgs::default() };
    if finish(&outcome, &quiet, false, ExitPolicy { fail_on: Severity::Low, exit_zero: true })? != 0 {
        return Ok(2);
    }
    let mut writer = std::io::BufWriter::new(
        std::fs::File::create(file).with_context(|| format!("cannot create {}", file.display()))?,
    );
    crate::baseline::write(&outcome.findings, &mut writer)
        .and_then(|()| writer.flush())
        .with_context(|| format!("cannot write {}", file.display()))?;
    eprintln!("keyfence: wrote {} finding(s) to {}", outcome.findings.len(), file.display());
    Ok(0)
}

/// How findings become an exit code.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExitPolicy {
    fail_on: Severity,
    exit_zero: bool,
}

/// What an `Engine` is built from.
pub(crate) struct EngineOptions<'r> {
    enable: Vec<String>,
    repo: Option<&'r gix::Repository>,
    mode: Mode,
    /// Where `.keyfence.toml` is looked for.
    project_dir: Option<PathBuf>,
    baseline: Option<PathBuf>,
}

impl<'r> EngineOptions<'r> {
    pub(crate) fn for_repo(repo: Option<&'r gix::Repository>, mode: Mode) -> EngineOptions<'r> {
        EngineOptions {
            enable: Vec::new(),
            repo,
            mode,
            project_dir: repo.and_then(|r| r.workdir()).map(Path::to_path_buf),
            baseline: None,
        }
    }
}

/// Everything one run scans with: rules (built-in, `.keyfence.toml`,
/// git-secrets config) and what suppresses findings (allowed patterns,
/// the project allowlist, a baseline).
pub(crate) struct Engine {
    scanner: Scanner,
    suppressors: Vec<Suppressor>,
    fail_on: Severity,
    max_blob_size: Option<u64>,
}

impl Engine {
    pub(crate) fn build(options: &EngineOptions<'_>) -> Result<Engine> {
        let mut rules = RuleSet::builtin();
        let mut suppressors: Vec<Suppressor> = Vec::new();
        let mut fail_on = Severity::Low;
        let mut max_blob_size = None;
        if options.mode == Mode::GitSecrets {
            for rule in RuleSet::builtin().all() {
                rules.set_enabled(&rule.id, false)?;
            }
        } else if let Some(dir) = &options.project_dir {
            let project = ProjectConfig::load(dir)?;
            let allowlist = project.allowlist(&dir.join(crate::config::FILE_NAME), dir)?;
            rules.extend(project.rules)?;
            for id in &project.options.enable_rules {
                rules.set_enabled(id, true)?;
            }
            for id in &project.options.disable_rules {
                rules.set_enabled(id, false)?;
            }
            fail_on = project.options.fail_on.unwrap_or(fail_on);
            max_blob_size = project.options.max_blob_size;
            suppressors.push(std::sync::Arc::new(move |f| allowlist.allows(f)));
        }
        for id in &options.enable {
            rules.set_enabled(id, true)?;
        }
        let git_secrets = GitSecretsConfig::load(options.repo)?;
        rules.extend(git_secrets.rules(options.mode)?)?;
        let allowlist = git_secrets.allowlist(options.mode)?;
        if !allowlist.is_empty() {
            suppressors.push(std::sync::Arc::new(move |f| {
                allowlist.allows(&f.location_prefix(), &f.line_text, f.value_in_text.clone())
            }));
        }
        if let Some(path) = &options.baseline {
            let accepted = crate::baseline::load(path)?;
            suppressors.push(std::sync::Arc::new(move |f| accepted.contains(&f.fingerprint)));
        }
        Ok(Engine { scanner: Scanner::new(&rules)?, suppressors, fail_on, max_blob_size })
    }

    pub(crate) fn pipeline(&self) -> Pipeline<'_> {
        self.suppressors.iter().cloned().fold(Pipeline::new(&self.scanner), Pipeline::with_suppressor)
    }
}

pub(crate) fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Report the outcome and decide the exit code (the one place that does).
fn finish(outcome: &Outcome, output: &OutputArgs, from_history: bool, policy: ExitPolicy) -> Result<i32> {
    for skipped in &outcome.skipped {
        eprintln!("keyfence: skipped {} ({})", skipped.origin.display_path(), skipped.reason.describe());
    }
    for error in &outcome.errors {
        eprintln!("keyfence: error: {}", crate::source::escape_for_terminal(error.to_string().as_bytes()));
    }
    // `-q` silences standard output; a report file asked for is still written.
    if !output.quiet || output.output.is_some() {
        let to_terminal = output.output.is_none() && std::io::stdout().is_terminal();
        let options = ReportOptions {
            format: output.format,
            // Only a person at a terminal sees full values without asking.
            // Some CI runners (CircleCI, Travis, `docker run -t`) give jobs a
            // pseudo-terminal, and its output still ends up in a stored log.
            show_secrets: output.show_secrets
                || (to_terminal && !in_ci() && matches!(output.format, Format::Human | Format::GitSecrets)),
            color: match output.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            },
            from_history,
        };
        write_report(outcome, &options, output.output.as_deref())?;
    }
    Ok(outcome.exit_code_for(policy.fail_on, policy.exit_zero))
}

/// `CI` is set by GitHub Actions, GitLab, CircleCI, Travis, Buildkite and
/// most others. Any value counts, as in `git-secrets` mode: a wrong guess
/// only redacts more.
fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}

fn write_report(outcome: &Outcome, options: &ReportOptions, path: Option<&std::path::Path>) -> Result<()> {
    match path {
        Some(path) => {
            let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            let mut writer = std::io::BufWriter::new(file);
            report::write(outcome, options, &mut writer)
                .and_then(|()| writer.flush())
                .and_then(|()| writer.get_ref().sync_all())
                .with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let stdout = std::io::stdout();
            let mut writer = std::io::BufWriter::new(stdout.lock());
            match report::write(outcome, options, &mut writer).and_then(|()| writer.flush()) {
                // The reader went away (`| head`): not our error, and the
                // exit code still tells what was found.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write to standard output"),
            }
        }
    }
}

fn list_rules() -> Result<i32> {
    let rules = RuleSet::builtin();
    let mut out = std::io::stdout().lock();
    for rule in rules.all() {
        let state = if rule.enabled { "on " } else { "off" };
        writeln!(out, "{state}  {:<24} {:<7} {}", rule.id, rule.severity.as_str(), rule.name)?;
    }
    Ok(0)
}

fn explain(id: &str) -> Result<i32> {
    print!("{}", crate::providers::explain(id)?);
    Ok(0)
}

/// Write generated text; a closed pipe (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> Result<i32> {
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(0),
    }
}
