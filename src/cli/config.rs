//! Arguments → a resolved run (`engine::RunConfig`), in one step: which
//! source, the repository, threads, `max_blob_size`, the exit policy, and
//! the output (format, redaction, colour, destination). All validation of
//! what the user typed is here; nothing downstream sees clap types.
//! git-secrets mode's parser (`git_secrets.rs`) builds the same types and
//! takes its output from [`git_secrets_output`].

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;

use super::args::{ColorChoice, HookCommand, OutputArgs, ScanArgs};
use crate::engine::{default_threads, Destination, Output, ProjectAt, RepoAt, RunConfig, Source};
use crate::hooks::run::{Hook, HookRequest};
use crate::report::{Format, ReportOptions};
use crate::rules::git_secrets::Mode;

/// `keyfence scan` (and `keyfence baseline`): what to scan, with what.
pub fn scan(args: &ScanArgs) -> Result<RunConfig> {
    let git_mode = args.staged || args.range.is_some() || args.since.is_some() || args.history;
    let roots = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    if git_mode && !args.history && roots.len() > 1 {
        anyhow::bail!("give at most one repository path with --staged, --range or --since");
    }
    let source = if args.staged {
        Source::Staged { whole_files: args.whole_files }
    } else if args.history {
        Source::History {
            all_objects: args.all_objects,
            branch: args.branch.clone(),
            progress: !args.output.quiet,
            allow_shallow: args.allow_shallow,
        }
    } else if let Some(spec) = args.range.clone().or_else(|| args.since.as_ref().map(|r| format!("{r}..HEAD"))) {
        Source::Range(spec)
    } else {
        Source::Paths { roots: roots.clone(), no_ignore: args.no_ignore, scan_binary: args.scan_binary }
    };
    let (repo, project) = if git_mode {
        (RepoAt::Required(roots[0].clone()), ProjectAt::RepoRoot)
    } else {
        // The git-secrets settings and .keyfence.toml of the repository
        // being scanned, if it is one; else the scanned directory's.
        (RepoAt::IfAny(roots[0].clone()), ProjectAt::RepoRootOr(roots[0].clone()))
    };
    let from_history = args.range.is_some() || args.since.is_some() || args.history;
    Ok(RunConfig {
        repo,
        project: if args.no_config { ProjectAt::Nowhere } else { project },
        source,
        mode: Mode::Keyfence,
        enable_rules: rule_choices(args),
        include_examples: args.include_examples,
        baseline: args.baseline.clone(),
        max_blob_size: args.max_blob_size,
        archives: !args.no_archives,
        fail_on: args.fail_on,
        exit_zero: args.exit_zero,
        threads: args.threads.unwrap_or_else(default_threads),
        skip_missing: args.skip_missing,
        output: output(&args.output, from_history),
    })
}

/// `--enable-rule` and `--rules`, as the engine applies them: enabling
/// first, so `--rules aws --enable-rule aws-unique-id` keeps both.
fn rule_choices(args: &ScanArgs) -> Vec<crate::rules::RuleChoice> {
    use crate::rules::RuleChoice;
    let only = (!args.rules.is_empty()).then(|| RuleChoice::Only(args.rules.clone()));
    only.into_iter().chain(args.enable_rule.iter().cloned().map(RuleChoice::Enable)).collect()
}

/// `keyfence scan --history REPO…` with several repositories: the run of
/// [`scan`] once per repository, each named as the user typed it. `None`
/// for one repository (or none), which is a plain run.
pub fn scan_each(args: &ScanArgs, run: &RunConfig) -> Option<Vec<(String, RunConfig)>> {
    if !args.history || args.paths.len() < 2 {
        return None;
    }
    let each = args.paths.iter().map(|path| {
        let mut run = run.clone();
        run.repo = RepoAt::Required(path.clone());
        (path.display().to_string(), run)
    });
    Some(each.collect())
}

/// `keyfence hook …`: the hook, its repository rules and how to report.
pub fn hook(hook: HookCommand) -> HookRequest {
    let (hook, output, from_history) = match hook {
        HookCommand::PreCommit { output } => (Hook::PreCommit, output, false),
        HookCommand::CommitMsg { file, output } => (Hook::CommitMsg(file), output, false),
        HookCommand::PrepareCommitMsg { source, commit, output, .. } => {
            (Hook::PrepareCommitMsg { source, commit }, output, true)
        }
        HookCommand::PreCommitFramework { whole_files, files, output } => {
            let check = crate::hooks::framework::decide(files, |name| std::env::var_os(name));
            let from_history = matches!(check, crate::hooks::framework::Check::Range(_));
            (Hook::Framework { check, whole_files }, output, from_history)
        }
    };
    HookRequest { hook, mode: Mode::Keyfence, output: self::output(&output, from_history) }
}

/// Where and how the report is written. Only a person at a terminal sees
/// full values without asking.
pub fn output(args: &OutputArgs, from_history: bool) -> Output {
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let report = ReportOptions {
        format: args.format,
        // Some CI runners (CircleCI, Travis, `docker run -t`) give jobs a
        // pseudo-terminal, and its output still ends up in a stored log.
        show_secrets: args.show_secrets
            || (to_terminal && !in_ci() && matches!(args.format, Format::Human | Format::GitSecrets)),
        color: match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        },
        from_history,
        raw_lines: false,
    };
    // `-q` silences standard output; a report file asked for is still written.
    let to = match (&args.output, args.quiet) {
        (Some(path), _) => Destination::File(path.clone()),
        (None, true) => Destination::Nowhere,
        (None, false) => Destination::Stdout,
    };
    Output { report, to }
}

/// git-secrets mode's output: its `path:line:text` lines and banner on
/// stderr, values shown as git-secrets shows them, `CI` or not (scripts
/// grep them).
pub fn git_secrets_output() -> Output {
    let report = ReportOptions {
        format: Format::GitSecrets,
        show_secrets: true,
        color: false,
        from_history: false,
        raw_lines: !std::io::stderr().is_terminal(),
    };
    Output { report, to: Destination::GitSecrets }
}

/// `CI` is set by GitHub Actions, GitLab, CircleCI, Travis, Buildkite and
/// most others. Any value counts: a wrong guess only redacts more.
fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}
