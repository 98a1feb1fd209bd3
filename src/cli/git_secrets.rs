//! `git-secrets` mode: when the binary is invoked as `git-secrets` (a
//! symlink or a copy on PATH), accept git-secrets' own command line and
//! answer the way it does: findings as `path:line:text` on stderr followed by
//! its error banner, exit 0 clean / 1 found / 2 error. Hooks, scripts and
//! fingers that know git-secrets keep working.
//!
//! Intended differences (README, "Migrating from git-secrets"): an empty or
//! deletion-only commit scans nothing; `--scan-history` reads every unique
//! blob once; the regex engine is the same on every platform; values are
//! redacted when `CI` is set; `--install` from a linked worktree writes the
//! hooks git runs, and refuses before writing any.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use anyhow::{bail, Context, Result};

use super::{default_threads, hook_outcome, Engine, EngineOptions, HookCommand, OutputArgs};
use crate::blob::Origin;
use crate::pipeline::{Outcome, Pipeline};
use crate::report::{self, Format, ReportOptions};
use crate::rules::git_secrets::{self as config, Mode};
use crate::source::git::ReadOptions;
use crate::source::history::{self, HistoryOptions};
use crate::source::worktree::{self, WalkOptions};
use crate::source::{git, Sink};

const USAGE: &str = "usage: git secrets --scan [-r|--recursive] [--cached] [--no-index] [--untracked] [<files>...]
   or: git secrets --scan-history
   or: git secrets --install [-f|--force] [<target-directory>]
   or: git secrets --list [--global]
   or: git secrets --add [-a|--allowed] [-l|--literal] [--global] <pattern>
   or: git secrets --add-provider [--global] <command> [arguments...]
   or: git secrets --register-aws [--global]
   or: git secrets --aws-provider [<credentials-file>]

(keyfence in git-secrets mode; `keyfence --help` for keyfence's own commands)";

const BANNER: &str = "
[ERROR] Matched one or more prohibited patterns

Possible mitigations:
- Mark false positives as allowed using: git config --add secrets.allowed ...
- Mark false positives as allowed by adding regular expressions to .gitallowed at repository's root directory
- List your configured patterns: git config --get-all secrets.patterns
- List your configured allowed patterns: git config --get-all secrets.allowed
- List your configured allowed patterns in .gitallowed at repository's root directory
- Use --no-verify if this is a one-time false positive";

/// Whether argv[0] asks for git-secrets mode.
pub fn invoked_as_git_secrets(argv0: &std::ffi::OsStr) -> bool {
    Path::new(argv0).file_stem().is_some_and(|name| name == "git-secrets")
}

#[derive(Debug, Default)]
struct Flags {
    force: bool,
    recursive: bool,
    allowed: bool,
    literal: bool,
    cached: bool,
    no_index: bool,
    untracked: bool,
    global: bool,
}

/// Run git-secrets' command line; returns the exit code.
pub fn run(args: Vec<String>) -> Result<i32> {
    let Some((command, rest)) = args.split_first() else {
        println!("{USAGE}");
        return Ok(0);
    };
    let (flags, operands) = match parse_flags(command, rest) {
        Ok(parsed) => parsed,
        Err(message) => {
            // git-sh-setup's `die`: the bare message, exit 1.
            eprintln!("{message}");
            return Ok(1);
        }
    };
    match command.as_str() {
        "-h" | "--help" | "--" => {
            println!("{USAGE}");
            Ok(0)
        }
        "--scan" => scan(&flags, &operands),
        "--scan-history" => scan_history(),
        "--install" => install(&flags, &operands),
        "--list" => list(&flags),
        "--add" => {
            let key = if flags.allowed { "secrets.allowed" } else { "secrets.patterns" };
            let pattern = operands.first().context("--add needs a pattern")?;
            let value =
                if flags.literal { config::escape_literal(pattern, config::LITERAL_META) } else { pattern.clone() };
            add_config(key, &value, flags.global)
        }
        "--add-provider" => add_config("secrets.providers", &operands.join(" "), flags.global),
        "--register-aws" => register_aws(flags.global),
        "--aws-provider" => {
            for value in config::aws_provider(operands.first().map(PathBuf::from))? {
                println!("{value}");
            }
            Ok(0)
        }
        "--pre_commit_hook" => hook(HookCommand::PreCommit { output: OutputArgs::default() }),
        "--commit_msg_hook" => {
            let file = operands.first().context("--commit_msg_hook needs the message file")?.into();
            hook(HookCommand::CommitMsg { file, output: OutputArgs::default() })
        }
        "--prepare_commit_msg_hook" => {
            let file = operands.first().context("--prepare_commit_msg_hook needs the message file")?.into();
            hook(HookCommand::PrepareCommitMsg {
                file,
                source: operands.get(1).cloned(),
                commit: operands.get(2).cloned().filter(|c| !c.is_empty()),
                output: OutputArgs::default(),
            })
        }
        other => {
            println!("Unknown option: {other}\n{USAGE}");
            Ok(2)
        }
    }
}

/// git-secrets' flag rules: each flag belongs to one mode, `--` ends flags.
fn parse_flags(command: &str, rest: &[String]) -> std::result::Result<(Flags, Vec<String>), String> {
    let mut flags = Flags::default();
    let mut operands = Vec::new();
    let mut iter = rest.iter();
    let only = |mode: &str, name: &str| {
        if command == mode {
            Ok(())
        } else {
            Err(format!("{name} can only be supplied with the {mode} subcommand"))
        }
    };
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "-f" | "--force" => only("--install", "-f|--force").map(|()| flags.force = true)?,
            "-r" | "--recursive" => only("--scan", "-r|--recursive").map(|()| flags.recursive = true)?,
            "-a" | "--allowed" => only("--add", "-a|--allowed").map(|()| flags.allowed = true)?,
            "-l" | "--literal" => only("--add", "-l|--literal").map(|()| flags.literal = true)?,
            "--cached" => only("--scan", "--cached").map(|()| flags.cached = true)?,
            "--no-index" => only("--scan", "--no-index").map(|()| flags.no_index = true)?,
            "--untracked" => only("--scan", "--untracked").map(|()| flags.untracked = true)?,
            "--global" => flags.global = true,
            "--" => {
                operands.extend(iter.by_ref().cloned());
                break;
            }
            _ => operands.push(arg.clone()),
        }
    }
    if flags.recursive && (flags.cached || flags.no_index || flags.untracked) {
        return Err("-r|--recursive cannot be supplied with --cached, --no-index, or --untracked".into());
    }
    Ok((flags, operands))
}

fn hook(hook: HookCommand) -> Result<i32> {
    let (outcome, _) = hook_outcome(&hook, Mode::GitSecrets)?;
    report_like_git_secrets(&outcome)
}

fn scan(flags: &Flags, files: &[String]) -> Result<i32> {
    let repo = git::open(Path::new(".")).ok();
    let engine = Engine::build(&EngineOptions::for_repo(repo.as_ref(), Mode::GitSecrets))?;
    let pipeline = engine.pipeline();
    let git_grep = files.is_empty() || flags.cached || flags.no_index || flags.untracked;
    if !git_grep {
        scan_files(files, flags.recursive, &pipeline);
    } else if flags.no_index || repo.is_none() {
        let walk = WalkOptions { no_ignore: true, threads: default_threads(), max_file_size: u64::MAX };
        let roots: Vec<PathBuf> =
            if files.is_empty() { vec![".".into()] } else { files.iter().map(PathBuf::from).collect() };
        worktree::scan_paths(&roots, &walk, &pipeline);
    } else if let Some(repo) = &repo {
        if let Err(e) = scan_tracked(repo, flags, files, &pipeline) {
            pipeline.error(e);
        }
    }
    report_like_git_secrets(&pipeline.finish())
}

/// Plain grep over the named files: directories only with `-r`; `-` is stdin.
fn scan_files(files: &[String], recursive: bool, pipeline: &Pipeline) {
    for file in files {
        if file == "-" {
            let mut bytes = Vec::new();
            match std::io::stdin().read_to_end(&mut bytes) {
                Ok(_) => {
                    let origin = Origin { path: b"(standard input)".to_vec(), ..Origin::default() };
                    pipeline.scan_and_record(&bytes, &origin);
                }
                Err(source) => pipeline.error(crate::error::Error::Io { path: "(standard input)".into(), source }),
            }
            continue;
        }
        let path = Path::new(file);
        if path.is_dir() {
            if recursive {
                let walk = WalkOptions { no_ignore: true, threads: default_threads(), max_file_size: u64::MAX };
                worktree::scan_paths(&[path.to_path_buf()], &walk, pipeline);
            }
            continue;
        }
        match std::fs::read(path) {
            Ok(bytes) => pipeline.scan_and_record(&bytes, &Origin::file(path)),
            Err(source) => pipeline.error(crate::error::Error::Io { path: path.to_path_buf(), source }),
        }
    }
}

/// `git grep` over tracked files (work tree, or index blobs with
/// `--cached`), plus untracked files with `--untracked`; only under the
/// current directory, paths printed relative to it, as git grep does.
fn scan_tracked(
    repo: &gix::Repository,
    flags: &Flags,
    pathspecs: &[String],
    pipeline: &Pipeline,
) -> std::result::Result<(), crate::error::Error> {
    use crate::source::git::context;
    let workdir =
        repo.workdir().ok_or_else(|| crate::error::Error::Git("this operation must be run in a work tree".into()))?;
    let cwd = std::env::current_dir().map_err(|source| crate::error::Error::Io { path: ".".into(), source })?;
    let prefix = cwd
        .strip_prefix(workdir.canonicalize().unwrap_or(workdir.to_path_buf()))
        .unwrap_or(Path::new(""))
        .to_path_buf();
    let index = repo.index_or_empty().map_err(context("cannot read the index"))?;
    let wanted = |relative: &Path| pathspecs.is_empty() || pathspecs.iter().any(|p| relative.starts_with(p));
    let mut tracked = std::collections::HashSet::new();
    for entry in index.entries() {
        if entry.stage_raw() != 0 && flags.cached || entry.mode == gix::index::entry::Mode::COMMIT {
            continue;
        }
        let path = gix::path::from_bstr(entry.path(&index))
            .map_err(context("a path in the index is not valid here"))?
            .into_owned();
        let Ok(relative) = path.strip_prefix(&prefix) else {
            continue;
        };
        tracked.insert(path.clone());
        if !wanted(relative) {
            continue;
        }
        let origin = Origin::file(relative);
        if flags.cached {
            let blob = repo.find_blob(entry.id).map_err(context(format!("cannot read blob {}", entry.id)))?;
            pipeline.scan_and_record(&blob.data, &origin);
        } else if let Ok(bytes) = std::fs::read(workdir.join(&path)) {
            pipeline.scan_and_record(&bytes, &origin);
        }
    }
    if flags.untracked {
        for entry in ignore::WalkBuilder::new(&cwd).hidden(false).build().flatten() {
            let Ok(relative) = entry.path().strip_prefix(&cwd) else {
                continue;
            };
            if entry.file_type().is_some_and(|t| t.is_file())
                && !relative.starts_with(".git")
                && !tracked.contains(&prefix.join(relative))
                && wanted(relative)
            {
                if let Ok(bytes) = std::fs::read(entry.path()) {
                    pipeline.scan_and_record(&bytes, &Origin::file(relative));
                }
            }
        }
    }
    Ok(())
}

fn scan_history() -> Result<i32> {
    let repo = git::open(Path::new("."))?;
    let engine = Engine::build(&EngineOptions::for_repo(Some(&repo), Mode::GitSecrets))?;
    let pipeline = engine.pipeline().with_progress(true);
    let read = ReadOptions { max_blob_size: u64::MAX, skip_missing: false };
    let options = HistoryOptions { branch: None, read, threads: default_threads() };
    if let Err(e) = history::scan(&repo, &options, &pipeline) {
        pipeline.error(e);
    }
    let outcome = pipeline.finish();
    if !outcome.findings.is_empty() || !outcome.errors.is_empty() {
        return report_like_git_secrets(&outcome);
    }
    // git-secrets greps the commits `git log -G` selects; when none is (a
    // clean history, or no commit yet), its `git grep` gets no revision and
    // greps the tracked files in the work tree instead, and its tests rely
    // on that. A clean history means no commit was selected (up to
    // allowed or `-w`-bounded matches), so do the same then.
    let pipeline = engine.pipeline();
    if let Err(e) = scan_tracked(&repo, &Flags::default(), &[], &pipeline) {
        pipeline.error(e);
    }
    report_like_git_secrets(&pipeline.finish())
}

/// Findings on stderr as `path:line:text`, then git-secrets' banner.
fn report_like_git_secrets(outcome: &Outcome) -> Result<i32> {
    for error in &outcome.errors {
        eprintln!("keyfence: error: {}", crate::blob::escape_for_terminal(error.to_string().as_bytes()));
    }
    if !outcome.findings.is_empty() {
        let options = ReportOptions {
            format: Format::GitSecrets,
            show_secrets: std::env::var_os("CI").is_none(),
            color: false,
            from_history: false,
        };
        let mut stderr = std::io::stderr().lock();
        report::write(outcome, &options, &mut stderr)?;
        writeln!(stderr, "{BANNER}")?;
    }
    Ok(outcome.exit_code())
}

/// git-secrets' hooks, in the order it installs them, with the function each
/// calls back. The hooks are git-secrets' own two lines, so a commit is
/// checked by git-secrets mode (its output, whole staged files, whole-line
/// allowed patterns) and `keyfence install` recognises them to migrate.
const HOOKS: [(&str, &str); 3] = [
    ("commit-msg", "--commit_msg_hook"),
    ("pre-commit", "--pre_commit_hook"),
    ("prepare-commit-msg", "--prepare_commit_msg_hook"),
];

fn install(flags: &Flags, operands: &[String]) -> Result<i32> {
    let hooks = match operands.first().map(Path::new) {
        // As git-secrets: DIR holding `.git` is a repository, any other DIR a
        // template directory (for `git config --global init.templateDir DIR`).
        Some(dir) if !dir.join(".git").exists() => dir.join("hooks"),
        dir => match git_hooks_dir(dir)? {
            Some(hooks) => hooks,
            None => {
                eprintln!("Not in a Git repository");
                return Ok(1);
            }
        },
    };
    std::fs::create_dir_all(&hooks).with_context(|| format!("Could not create dir: {}", hooks.display()))?;
    let targets: Vec<(PathBuf, &str, &str)> = HOOKS
        .iter()
        .map(|&(name, function)| {
            let dot_d = hooks.join(format!("{name}.d"));
            let dest = if dot_d.is_dir() { dot_d.join("git-secrets") } else { hooks.join(name) };
            (dest, name, function)
        })
        .collect();
    // All refusals before any write: git-secrets stops at the first existing
    // hook and leaves the earlier ones installed.
    if !flags.force {
        if let Some((dest, ..)) = targets.iter().find(|(dest, ..)| dest.symlink_metadata().is_ok()) {
            eprintln!("{} already exists. Use -f to force", dest.display());
            return Ok(1);
        }
    }
    let check = if std::io::stdout().is_terminal() { "\x1b[32m✓\x1b[0m" } else { "✓" };
    for (dest, name, function) in &targets {
        let script = format!("#!/usr/bin/env bash\ngit secrets {function} -- \"$@\"\n");
        crate::hook::write_hook(dest, script.as_bytes())?;
        println!("{check} Installed {name} hook to {}", dest.display());
    }
    if let Some(hooks_path) = git_config(false, &["--get", "core.hooksPath"])
        .ok()
        .filter(|out| out.status.success() && operands.is_empty())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
    {
        eprintln!(
            "warning: core.hooksPath is set ({hooks_path}): git runs the hooks there, not these; `keyfence install` installs where git looks"
        );
    }
    Ok(0)
}

/// The hooks directory of the repository at `dir` (or the current one):
/// the common git dir's, so that a linked worktree's hooks are the ones git
/// runs (git-secrets writes them under `.git/worktrees/<name>/`, where git
/// never looks). None outside a repository.
/// Asked of git itself so the paths printed are the ones git-secrets prints.
fn git_hooks_dir(dir: Option<&Path>) -> Result<Option<PathBuf>> {
    let mut command = Process::new("git");
    if let Some(dir) = dir {
        command.arg("-C").arg(dir);
    }
    let out = command.args(["rev-parse", "--git-common-dir"]).output().context("cannot run git rev-parse")?;
    if !out.status.success() {
        return Ok(None);
    }
    let common = String::from_utf8(out.stdout).context("the git directory's path is not UTF-8")?;
    // Relative to the directory git ran in.
    let common = Path::new(common.trim_end_matches('\n'));
    Ok(Some(dir.map_or_else(|| common.to_path_buf(), |dir| dir.join(common)).join("hooks")))
}

/// `git config [--global] <args>`: the config commands write exactly what
/// git-secrets writes, through git itself.
fn git_config(global: bool, args: &[&str]) -> Result<std::process::Output> {
    let mut command = Process::new("git");
    command.arg("config");
    if global {
        command.arg("--global");
    }
    command.args(args).output().context("cannot run git config")
}

fn list(flags: &Flags) -> Result<i32> {
    let output = git_config(flags.global, &["--get-regex", "secrets.*"])?;
    std::io::stdout().write_all(&output.stdout)?;
    std::io::stderr().write_all(&output.stderr)?;
    Ok(output.status.code().unwrap_or(2))
}

/// Add `value` to `key` unless an existing value already contains it
/// (git-secrets' `grep -F` de-dup), which exits 1 silently.
fn add_config(key: &str, value: &str, global: bool) -> Result<i32> {
    if value.is_empty() {
        bail!("nothing to add to {key}");
    }
    let existing = git_config(global, &["--get-all", key])?;
    if String::from_utf8_lossy(&existing.stdout).lines().any(|line| line.contains(value)) {
        return Ok(1);
    }
    let added = git_config(global, &["--add", key, value])?;
    std::io::stderr().write_all(&added.stderr)?;
    Ok(if added.status.success() { 0 } else { 2 })
}

fn register_aws(global: bool) -> Result<i32> {
    let aws = "(AWS|aws|Aws)?_?";
    let quote = "(\"|')?";
    let connect = r"\s*(:|=>|=)\s*";
    let additions = [
        ("secrets.providers", config::AWS_PROVIDER.to_string()),
        ("secrets.patterns", "(A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}".to_string()),
        ("secrets.patterns", "ABSK[A-Za-z0-9+/]{109,}=*".to_string()),
        ("secrets.patterns", "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t".to_string()),
        (
            "secrets.patterns",
            format!("{quote}{aws}(SECRET|secret|Secret)?_?(ACCESS|access|Access)?_?(KEY|key|Key){quote}{connect}{quote}[A-Za-z0-9/\\+=]{{40}}{quote}"),
        ),
        (
            "secrets.patterns",
            format!("{quote}{aws}(ACCOUNT|account|Account)_?(ID|id|Id)?{quote}{connect}{quote}[0-9]{{4}}\\-?[0-9]{{4}}\\-?[0-9]{{4}}{quote}"),
        ),
        ("secrets.allowed", "AKIAIOSFODNN7EXAMPLE".to_string()),
        ("secrets.allowed", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_string()),
    ];
    let mut status = 0;
    for (key, value) in &additions {
        status = add_config(key, value, global)?;
    }
    if status == 0 {
        println!("OK");
    }
    if std::io::stdout().is_terminal() {
        eprintln!(
            "keyfence: keyfence's own AWS rules also run in `keyfence scan`; these patterns are for git-secrets mode."
        );
    }
    Ok(status)
}
