//! One run, assembled in one place: a resolved [`RunConfig`] (built by the
//! command line, by git-secrets mode's own parser, or by a hook request)
//! becomes an [`Engine`] (rules, suppressors, scanner) and the one
//! [`run`] that opens the repository, feeds the chosen source through the
//! pipeline, records what went wrong and finishes. Every call into a source
//! is in `run`, nowhere else.
//!
//! This module decides nothing the user typed (that is `cli::config`); it
//! only layers `.keyfence.toml`'s defaults under what the configuration
//! leaves open (`fail-on`, `max-blob-size`). Writing the outcome and the exit
//! status are [`finish`]'s.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::{self, Files, ProjectConfig};
use crate::error::Error;
use crate::exit::Exit;
use crate::finding::LineModel;
use crate::pipeline::{Outcome, Pipeline, Suppressor};
use crate::rules::git_secrets::{self, GitSecretsConfig, Mode};
use crate::rules::{RuleChoice, RuleSet, Severity};
use crate::scan::Scanner;
use crate::source::git::ReadOptions;
use crate::source::history::{self, HistoryOptions};
use crate::source::staged;
use crate::source::worktree::{self, WalkOptions};
use crate::source::{git, message, range, tracked, Sink};
use crate::suppress::Suppressors;

mod finish;
mod many;

pub use finish::{finish, output, Destination, Output};
pub use many::run_each;

/// Default cap on a single file or blob: generous, but a 4 GB video is not
/// read into memory to look for a 40-byte key.
pub const DEFAULT_MAX_BLOB_SIZE: u64 = 256 * 1024 * 1024;

/// Where the repository is, and whether the run needs one.
#[derive(Debug, Clone)]
pub enum RepoAt {
    /// The repository at or above this path; none is an error (exit 2).
    Required(PathBuf),
    /// The repository at or above this path (a file: its directory), if
    /// there is one. None is fine; one that cannot be opened is an error
    /// naming it, so its git-secrets patterns never silently stop applying.
    IfAny(PathBuf),
}

/// Where `.keyfence.toml` is read from.
#[derive(Debug, Clone)]
pub enum ProjectAt {
    /// Nowhere (`--no-config`).
    Nowhere,
    /// The repository's work tree.
    RepoRoot,
    /// The work tree; with no repository, this directory if it is one.
    RepoRootOr(PathBuf),
}

/// What one run scans.
#[derive(Debug, Clone)]
pub enum Source {
    /// Files and directories (`scan [PATH…]`; git-secrets `--no-index`);
    /// files that look binary are skipped and named unless `scan_binary`.
    Paths { roots: Vec<PathBuf>, no_ignore: bool, scan_binary: bool },
    /// What the next commit adds (`--staged`, the pre-commit hook).
    Staged { whole_files: bool },
    /// The commits of a range spec (`A..B`, `A...B`).
    Range(String),
    /// Every blob ever committed.
    History { all_objects: bool, branch: Option<String>, progress: bool, allow_shallow: bool },
    /// A commit message file.
    Message(PathBuf),
    /// What the commits in `MERGE_HEAD` bring in (prepare-commit-msg).
    MergeHeads,
    /// Nothing.
    Nothing,
    /// A prepare-commit-msg that is not a merge: the staged changes when
    /// cherry-pick, revert or rebase is committing (they skip pre-commit);
    /// nothing for a plain `git commit`, which pre-commit checked already.
    SequencedCommit { whole_files: bool },
    /// git-secrets `--scan FILE…`: plain grep, directories only with `-r`.
    Files { files: Vec<String>, recursive: bool },
    /// git-secrets `--scan` as `git grep`: tracked files (`--cached`: index
    /// blobs; `--untracked`: untracked files too), or every file outside a
    /// repository or with `--no-index`.
    GitGrep { pathspecs: Vec<String>, cached: bool, untracked: bool, no_index: bool },
    /// git-secrets `--scan-history`: the history, then (when clean, as
    /// git-secrets' `git grep` with no revision does) the tracked files.
    GitSecretsHistory,
}

/// A run, fully resolved: nothing here is raw command-line input.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub repo: RepoAt,
    pub project: ProjectAt,
    pub source: Source,
    pub mode: Mode,
    /// The command line's rule choices (`--enable-rule`, `--rules`), applied
    /// after `.keyfence.toml`'s in order. (The name predates `--rules`.)
    pub enable_rules: Vec<RuleChoice>,
    /// Report documentation examples and placeholder ids too (`--include-examples`).
    pub include_examples: bool,
    pub baseline: Option<PathBuf>,
    /// `None`: `.keyfence.toml`'s, else [`DEFAULT_MAX_BLOB_SIZE`].
    pub max_blob_size: Option<u64>,
    /// Open archives and scan their members (off with `--no-archives`).
    pub archives: bool,
    /// `None`: `.keyfence.toml`'s, else every finding fails.
    pub fail_on: Option<Severity>,
    pub exit_zero: bool,
    pub threads: usize,
    pub skip_missing: bool,
    pub output: Output,
}

/// How findings become an exit status.
#[derive(Debug, Clone, Copy)]
pub struct ExitPolicy {
    pub fail_on: Severity,
    pub exit_zero: bool,
}

impl ExitPolicy {
    /// Every finding fails the run.
    pub const STRICT: ExitPolicy = ExitPolicy { fail_on: Severity::Low, exit_zero: false };

    pub fn exit(self, outcome: &Outcome) -> Exit {
        Exit::from_code(outcome.exit_code_for(self.fail_on, self.exit_zero))
    }
}

/// What a finished run hands to reporting.
pub struct Scanned {
    pub outcome: Outcome,
    pub policy: ExitPolicy,
}

/// What an [`Engine`] is built from.
pub struct EngineOptions<'r> {
    pub repo: Option<&'r gix::Repository>,
    pub mode: Mode,
    pub enable: Vec<RuleChoice>,
    pub include_examples: bool,
    /// Where the repository's allowlists (`.keyfence.toml`, and
    /// `.gitallowed` where git-secrets is set up) are read: the work tree,
    /// the base of a range, or nowhere (`--no-config`).
    pub project: Option<Files<'r>>,
    /// The baseline file, and where its bytes come from: its path on disk,
    /// or (inside the repository, with `--range`) the base commit's tree.
    pub baseline: Option<(Files<'r>, PathBuf)>,
    pub max_blob_size: Option<u64>,
    pub fail_on: Option<Severity>,
}

/// Everything one run scans with: rules (built-in, `.keyfence.toml`,
/// git-secrets config), what suppresses findings, and the limits resolved
/// against the project's defaults.
pub struct Engine {
    scanner: Scanner,
    suppressors: Vec<Suppressor>,
    /// git-secrets mode's lines are git grep's (`LineModel::GitGrep`).
    line_model: LineModel,
    /// git-secrets greps text as it is, so its mode decodes nothing.
    decode: bool,
    pub fail_on: Severity,
    pub max_blob_size: u64,
}

impl Engine {
    pub fn build(options: &EngineOptions<'_>) -> Result<Engine> {
        let mut rules = RuleSet::builtin();
        let mut suppressors = Suppressors::default();
        let mut project_fail_on = None;
        let mut project_max_blob_size = None;
        if options.mode == Mode::GitSecrets {
            for rule in RuleSet::builtin().all() {
                rules.set_enabled(&rule.id, false)?;
            }
        } else if let Some(files) = &options.project {
            let project = ProjectConfig::load(files)?;
            let shown = files.shown(Path::new(config::FILE_NAME));
            suppressors = suppressors.with_project(project.allowlist(&shown, files.root())?);
            rules.extend(project.rules)?;
            project.options.choose_rules(&mut rules)?;
            project_fail_on = project.options.fail_on;
            project_max_blob_size = project.options.max_blob_size;
        }
        rules.choose(&options.enable)?;
        if options.include_examples {
            rules.report_examples();
        }
        let mut git_secrets = GitSecretsConfig::load(options.repo)?;
        if let Some(files) = gitallowed_files(options, &git_secrets) {
            let name = Path::new(".gitallowed");
            if let Some(bytes) = files.read(name, config::MAX_CONFIG_BYTES)? {
                git_secrets.allowed.extend(git_secrets::parse_gitallowed(bytes, &files.shown(name))?);
            }
        }
        rules.extend(git_secrets.rules(options.mode)?)?;
        suppressors = suppressors.with_git_secrets(git_secrets.allowlist(options.mode)?);
        if let Some((files, path)) = &options.baseline {
            let shown = files.shown(path);
            let missing = || Error::Io {
                path: shown.clone(),
                source: std::fs::metadata(&shown).err().unwrap_or_else(|| std::io::ErrorKind::NotFound.into()),
            };
            let bytes = files.read(path, config::MAX_BASELINE_BYTES)?.ok_or_else(missing)?;
            suppressors = suppressors.with_baseline(crate::baseline::parse(&bytes, &shown)?);
        }
        Ok(Engine {
            scanner: Scanner::new(&rules)?,
            suppressors: suppressors.into_predicates(),
            line_model: if options.mode == Mode::GitSecrets { LineModel::GitGrep } else { LineModel::Keyfence },
            decode: options.mode != Mode::GitSecrets,
            fail_on: options.fail_on.or(project_fail_on).unwrap_or(Severity::Low),
            max_blob_size: options.max_blob_size.or(project_max_blob_size).unwrap_or(DEFAULT_MAX_BLOB_SIZE),
        })
    }

    pub fn pipeline(&self) -> Pipeline<'_> {
        let pipeline = Pipeline::new(&self.scanner).with_line_model(self.line_model).with_decoding(self.decode);
        self.suppressors.iter().cloned().fold(pipeline, Pipeline::with_suppressor)
    }
}

/// Where `.gitallowed` is read, if anywhere. git-secrets mode reads the work
/// tree's, as git-secrets does. keyfence's own commands read it only in a
/// repository where git-secrets is set up (a `secrets.*` key in its git
/// config), from the same place as `.keyfence.toml` (so never with
/// `--no-config`, and from the base commit with `--range`): elsewhere it is
/// a file any change could add to allowlist itself.
fn gitallowed_files<'r>(options: &EngineOptions<'r>, git_secrets: &GitSecretsConfig) -> Option<Files<'r>> {
    let repo = options.repo?;
    match options.mode {
        Mode::GitSecrets => repo.workdir().map(Files::Disk),
        Mode::Keyfence => options.project.filter(|_| {
            !(git_secrets.patterns.is_empty() && git_secrets.allowed.is_empty() && git_secrets.providers.is_empty())
        }),
    }
}

/// Open the repository → build the engine → run the source → record its
/// error → finish. The one sequence behind `scan`, `baseline`, the hooks
/// and git-secrets mode.
pub fn run(config: &RunConfig) -> Result<Scanned> {
    let repo = open(&config.repo)?;
    // `--range` is the CI gate: the change under review must not bring its
    // own allowlists, so they come from the range's base commit.
    // A base that does not resolve reads no allowlist at all; the range's
    // own listing then fails with the better message (a shallow clone).
    let (base, base_error) = match (&config.source, &repo) {
        (Source::Range(spec), Some(repo)) => match range::base(repo, spec) {
            Ok(commit) => (Some((repo, commit)), None),
            Err(e) => (None, Some(e)),
        },
        _ => (None, None),
    };
    let work_tree = repo.as_ref().map(|r| r.workdir().unwrap_or(r.git_dir()).to_path_buf());
    let disk_dir = match &config.project {
        ProjectAt::RepoRootOr(dir) if repo.is_none() && dir.is_dir() => Some(dir.clone()),
        _ => repo.as_ref().and_then(|r| r.workdir()).map(Path::to_path_buf),
    };
    let project = match (&config.project, work_tree.as_deref(), base) {
        (ProjectAt::Nowhere, ..) => None,
        _ if base_error.is_some() => None,
        (_, Some(root), Some((repo, commit))) => Some(Files::Commit { repo, commit, work_tree: root }),
        _ => disk_dir.as_deref().map(Files::Disk),
    };
    let baseline = match &config.baseline {
        _ if base_error.is_some() => None,
        None => None,
        Some(path) => Some(match (work_tree.as_deref().zip(base), repo.as_ref()) {
            (Some((root, (_, commit))), Some(repo)) => baseline_source(repo, root, commit, path)?,
            _ => (Files::Disk(Path::new("")), path.clone()),
        }),
    };
    let engine = Engine::build(&EngineOptions {
        repo: repo.as_ref(),
        mode: config.mode,
        enable: config.enable_rules.clone(),
        include_examples: config.include_examples,
        project,
        baseline,
        max_blob_size: config.max_blob_size,
        fail_on: config.fail_on,
    })?;
    let max_blob_size = engine.max_blob_size;
    let read = ReadOptions { max_blob_size, skip_missing: config.skip_missing };
    let (whole_files, all_objects, progress) = match &config.source {
        Source::Staged { whole_files } | Source::SequencedCommit { whole_files } => (*whole_files, false, false),
        Source::History { all_objects, progress, .. } => (false, *all_objects, *progress),
        Source::GitSecretsHistory => (false, false, true),
        _ => (false, false, false),
    };
    let scan_binary = matches!(config.source, Source::Paths { scan_binary: true, .. });
    let pipeline = engine
        .pipeline()
        .with_archives(config.archives.then_some(max_blob_size))
        .with_whole_files(whole_files)
        .with_all_objects(all_objects)
        .with_progress(progress)
        .with_binary(scan_binary);
    let walk = |no_ignore| WalkOptions { no_ignore, threads: config.threads, max_file_size: max_blob_size };
    let history = |branch: &Option<String>, allow_shallow| HistoryOptions {
        branch: branch.clone(),
        read,
        threads: config.threads,
        allow_shallow,
    };
    let result = match (&config.source, &repo) {
        (Source::Paths { roots, no_ignore, .. }, _) => {
            worktree::scan_paths(roots, &walk(*no_ignore), repo.as_ref(), &pipeline);
            Ok(())
        }
        (Source::Staged { .. }, Some(repo)) => {
            staged::list(repo, &read).map(|staged| pipeline.scan_listing(repo, &staged))
        }
        (Source::Range(spec), Some(repo)) => {
            range::list(repo, spec, &read).map(|range| pipeline.scan_listing(repo, &range))
        }
        (Source::History { branch, allow_shallow, .. }, Some(repo)) => {
            history::scan(repo, &history(branch, *allow_shallow), &pipeline)
        }
        (Source::Message(file), _) => message::scan(file, &pipeline),
        (Source::MergeHeads, Some(repo)) => merge_heads(repo)?.iter().try_for_each(|merged| {
            range::list(repo, &format!("HEAD..{merged}"), &read).map(|range| pipeline.scan_listing(repo, &range))
        }),
        (Source::Files { files, recursive }, _) => {
            tracked::scan_files(files, *recursive, &pipeline, |root| {
                worktree::scan_paths(&[root.to_path_buf()], &walk(true), None, &pipeline)
            });
            Ok(())
        }
        (Source::GitGrep { pathspecs, cached, untracked, no_index: false }, Some(repo)) => {
            let grep = tracked::Grep { cached: *cached, untracked: *untracked };
            tracked::scan_tracked(repo, &grep, pathspecs, &pipeline)
        }
        // Outside a repository, or `--no-index`: every file under the paths.
        (Source::GitGrep { pathspecs, .. }, _) => {
            let roots: Vec<PathBuf> =
                if pathspecs.is_empty() { vec![".".into()] } else { pathspecs.iter().map(PathBuf::from).collect() };
            worktree::scan_paths(&roots, &walk(true), None, &pipeline);
            Ok(())
        }
        (Source::GitSecretsHistory, Some(repo)) => history::scan(repo, &history(&None, true), &pipeline),
        (Source::SequencedCommit { .. }, Some(repo)) if staged::sequenced_commit(repo) => {
            staged::list(repo, &read).map(|staged| pipeline.scan_listing(repo, &staged))
        }
        (Source::Nothing | Source::SequencedCommit { .. }, _) => Ok(()),
        // `cli::config` asks for `RepoAt::Required` with every git source.
        (_, None) => Err(Error::Git("this scan needs a git repository".into())),
    };
    if let Err(e) = result.and(base_error.map_or(Ok(()), Err)) {
        pipeline.error(e);
    }
    let mut outcome = pipeline.finish();
    if let (Source::GitSecretsHistory, Some(repo)) = (&config.source, &repo) {
        // git-secrets greps the commits `git log -G` selects; when none is
        // (a clean history, or no commit yet), its `git grep` gets no
        // revision and greps the tracked files in the work tree instead, and
        // its tests rely on that. A clean history means no commit was
        // selected (up to allowed or `-w`-bounded matches), so do the same.
        if outcome.findings.is_empty() && outcome.errors.is_empty() {
            let pipeline = engine.pipeline();
            if let Err(e) = tracked::scan_tracked(repo, &tracked::Grep::default(), &[], &pipeline) {
                pipeline.error(e);
            }
            outcome = pipeline.finish();
        }
    }
    if !matches!(config.source, Source::Paths { .. }) {
        // Only a path scan names its binary files (and can be told to scan them).
        outcome.stats.binary_examples.clear();
    }
    let policy = ExitPolicy { fail_on: engine.fail_on, exit_zero: config.exit_zero };
    Ok(Scanned { outcome, policy })
}

/// Where a `--range` run reads its baseline: a path inside the work tree
/// from the base commit's tree (a change cannot accept its own findings),
/// any other path from disk. A baseline the checked-out change commits but
/// its base lacks is an error; one that git does not track (a CI artifact
/// downloaded into the workspace) is read from disk.
fn baseline_source<'r>(
    repo: &'r gix::Repository,
    root: &'r Path,
    base: gix::ObjectId,
    path: &Path,
) -> Result<(Files<'r>, PathBuf)> {
    let on_disk = (Files::Disk(Path::new("")), path.to_path_buf());
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let (Some(dir), Some(name)) = (absolute.parent(), absolute.file_name()) else { return Ok(on_disk) };
    let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let Ok(relative) = real(dir).join(name).strip_prefix(real(root)).map(Path::to_path_buf) else {
        return Ok(on_disk);
    };
    let in_base = Files::Commit { repo, commit: base, work_tree: root };
    if in_base.read(&relative, config::MAX_BASELINE_BYTES)?.is_some() {
        return Ok((in_base, relative));
    }
    let head = repo.head_id().ok().map(|id| Files::Commit { repo, commit: id.detach(), work_tree: root });
    if head.is_some_and(|h| h.read(&relative, config::MAX_BASELINE_BYTES).map_or(true, |b| b.is_some())) {
        return Err(Error::Config {
            path: path.to_path_buf(),
            reason: format!(
                "the baseline is committed by the change but not in the range's base {}: a change cannot accept \
                 its own findings",
                base.to_hex_with_len(12)
            ),
        }
        .into());
    }
    Ok(on_disk)
}

fn open(at: &RepoAt) -> Result<Option<gix::Repository>> {
    Ok(match at {
        RepoAt::Required(path) => Some(git::open(path)?),
        RepoAt::IfAny(path) => git::open_if_repository(path.parent().filter(|_| path.is_file()).unwrap_or(path))?,
    })
}

/// The commits being merged, from `MERGE_HEAD` (one per line for octopus).
fn merge_heads(repo: &gix::Repository) -> Result<Vec<String>> {
    let path = repo.git_dir().join("MERGE_HEAD");
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text.split_whitespace().map(str::to_string).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// One worker per core, unless told otherwise.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
