//! `git-secrets` mode: when the binary is invoked as `git-secrets` (a
//! symlink or a copy on PATH), accept git-secrets' own command line and
//! answer the way it does: findings as `path:line:text` on stderr followed by
//! its error banner, exit 0 clean / 1 found / 2 error. Hooks, scripts and
//! fingers that know git-secrets keep working.
//!
//! Intended differences (README, "Migrating from git-secrets"): an empty or
//! deletion-only commit scans nothing; `--scan-history` reads every unique
//! blob once; the regex engine is the same on every platform; `--install`
//! prints no `✓` off a terminal, and from a linked worktree writes the
//! hooks git runs, refusing before writing any. Output is git-secrets'
//! byte for byte, `CI` or not: redaction is for keyfence's own formats.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use anyhow::{bail, Context, Result};

use super::config::git_secrets_output;
use crate::engine::{self, default_threads, ProjectAt, RepoAt, RunConfig, Source};
use crate::exit::Exit;
use crate::hooks::run::{Hook, HookRequest};
use crate::rules::git_secrets::{self as config, Mode};

const USAGE: &str = "usage: git secrets --scan [-r|--recursive] [--cached] [--no-index] [--untracked] [<files>...]
   or: git secrets --scan-history
   or: git secrets --install [-f|--force] [<target-directory>]
   or: git secrets --list [--global]
   or: git secrets --add [-a|--allowed] [-l|--literal] [--global] <pattern>
   or: git secrets --add-provider [--global] <command> [arguments...]
   or: git secrets --register-aws [--global]
   or: git secrets --aws-provider [<credentials-file>]

(keyfence in git-secrets mode; `keyfence --help` for keyfence's own commands)";

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

/// Run git-secrets' command line.
pub fn run(args: Vec<String>) -> Result<Exit> {
    let Some((command, rest)) = args.split_first() else {
        println!("{USAGE}");
        return Ok(Exit::Clean);
    };
    // git-secrets' arguments go through `git rev-parse --parseopt` first: an
    // option it does not know, anywhere before `--`, stops it with usage on
    // stderr and 129, before any other check.
    if let Some(error) = unknown_option(&args) {
        eprintln!("error: {error}\n{USAGE}\n");
        return Ok(Exit::Usage(129));
    }
    let (flags, operands) = match parse_flags(command, rest) {
        Ok(parsed) => parsed,
        Err(message) => {
            // git-sh-setup's `die`: the bare message, exit 1.
            crate::note!("{message}");
            return Ok(Exit::Usage(1));
        }
    };
    match command.as_str() {
        // parseopt answers `-h` itself: usage on stdout, 129.
        "-h" | "--help" => {
            println!("{USAGE}");
            Ok(Exit::Usage(129))
        }
        "--" => {
            println!("{USAGE}");
            Ok(Exit::Clean)
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
            Ok(Exit::Clean)
        }
        "--pre_commit_hook" => hook(Hook::PreCommit),
        "--commit_msg_hook" => {
            let file = operands.first().context("--commit_msg_hook needs the message file")?.into();
            hook(Hook::CommitMsg(file))
        }
        "--prepare_commit_msg_hook" => {
            operands.first().context("--prepare_commit_msg_hook needs the message file")?;
            hook(Hook::PrepareCommitMsg {
                source: operands.get(1).cloned(),
                commit: operands.get(2).cloned().filter(|c| !c.is_empty()),
            })
        }
        // A word that is no option: git-secrets echoes it and runs `-h`.
        other => {
            println!("Unknown option: {other}\n{USAGE}");
            Ok(Exit::Usage(129))
        }
    }
}

/// The long options and switches git-secrets declares to parseopt.
const LONG_OPTIONS: [&str; 20] = [
    "scan",
    "scan-history",
    "install",
    "list",
    "add",
    "add-provider",
    "aws-provider",
    "register-aws",
    "recursive",
    "cached",
    "no-index",
    "untracked",
    "force",
    "literal",
    "allowed",
    "global",
    "commit_msg_hook",
    "pre_commit_hook",
    "prepare_commit_msg_hook",
    "help",
];
const SWITCHES: &str = "rflah";

/// parseopt's complaint about the first option git-secrets does not
/// declare (before `--`; `-` alone is an operand), as git words it.
fn unknown_option(args: &[String]) -> Option<String> {
    for arg in args.iter().take_while(|arg| *arg != "--") {
        if let Some(long) = arg.strip_prefix("--") {
            let name = long.split_once('=').map_or(long, |(name, _)| name);
            let known = |name: &str| LONG_OPTIONS.contains(&name);
            if !known(name) && !name.strip_prefix("no-").is_some_and(known) {
                return Some(format!("unknown option `{name}'"));
            }
        } else if let Some(switches) = arg.strip_prefix('-') {
            if let Some(c) = switches.chars().find(|c| !SWITCHES.contains(*c)) {
                return Some(format!("unknown switch `{c}'"));
            }
        }
    }
    None
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

/// git-secrets' hook callbacks: keyfence's hook runs with git-secrets'
/// rules (whole staged files, whole-line allowed patterns) and output.
fn hook(hook: Hook) -> Result<Exit> {
    crate::hooks::run::run(&HookRequest { hook, mode: Mode::GitSecrets, output: git_secrets_output() })
}

/// `--scan`: named files as plain grep, otherwise as `git grep`. A
/// repository here that cannot be opened is an error (its patterns would
/// silently stop applying); no repository is fine.
fn scan(flags: &Flags, files: &[String]) -> Result<Exit> {
    let git_grep = files.is_empty() || flags.cached || flags.no_index || flags.untracked;
    let source = if git_grep {
        Source::GitGrep {
            pathspecs: files.to_vec(),
            cached: flags.cached,
            untracked: flags.untracked,
            no_index: flags.no_index,
        }
    } else {
        Source::Files { files: files.to_vec(), recursive: flags.recursive }
    };
    run_scan(RepoAt::IfAny(".".into()), source)
}

/// `--scan-history`: every blob once (see `Source::GitSecretsHistory`).
fn scan_history() -> Result<Exit> {
    run_scan(RepoAt::Required(".".into()), Source::GitSecretsHistory)
}

/// git-secrets scans with no size cap and one thread per core.
fn run_scan(repo: RepoAt, source: Source) -> Result<Exit> {
    let run = RunConfig {
        repo,
        project: ProjectAt::Nowhere,
        source,
        mode: Mode::GitSecrets,
        enable_rules: Vec::new(),
        include_examples: false,
        baseline: None,
        max_blob_size: Some(u64::MAX),
        // git-secrets greps text; it never opened an archive.
        archives: false,
        fail_on: None,
        exit_zero: false,
        threads: default_threads(),
        skip_missing: false,
        output: git_secrets_output(),
    };
    let scanned = engine::run(&run)?;
    engine::finish(&scanned.outcome, &run.output, scanned.policy)
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

fn install(flags: &Flags, operands: &[String]) -> Result<Exit> {
    let hooks = match operands.first().map(Path::new) {
        // As git-secrets: DIR holding `.git` is a repository, any other DIR a
        // template directory (for `git config --global init.templateDir DIR`).
        Some(dir) if !dir.join(".git").exists() => dir.join("hooks"),
        dir => match git_hooks_dir(dir)? {
            Some(hooks) => hooks,
            None => {
                crate::note!("Not in a Git repository");
                return Ok(Exit::Usage(1));
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
            crate::note!("{} already exists. Use -f to force", dest.display());
            return Ok(Exit::Usage(1));
        }
    }
    // The green tick is for a person at a terminal; a script reads the line.
    let check = if std::io::stdout().is_terminal() { "\x1b[32m✓\x1b[0m " } else { "" };
    for (dest, name, function) in &targets {
        let script = format!("#!/usr/bin/env bash\ngit secrets {function} -- \"$@\"\n");
        crate::hooks::write_hook(dest, script.as_bytes())?;
        println!("{check}Installed {name} hook to {}", dest.display());
    }
    if let Some(hooks_path) = git_config(false, &["--get", "core.hooksPath"])
        .ok()
        .filter(|out| out.status.success() && operands.is_empty())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
    {
        crate::note!(
            "warning: core.hooksPath is set ({hooks_path}): git runs the hooks there, not these; `keyfence install` installs where git looks"
        );
    }
    Ok(Exit::Clean)
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

/// `--list`: git config's output and status, passed through.
fn list(flags: &Flags) -> Result<Exit> {
    let output = git_config(flags.global, &["--get-regex", "secrets.*"])?;
    std::io::stdout().write_all(&output.stdout)?;
    std::io::stderr().write_all(&output.stderr)?;
    Ok(match output.status.code().map(u8::try_from) {
        Some(Ok(0)) => Exit::Clean,
        Some(Ok(code)) => Exit::Usage(code),
        // Killed by a signal, or a status no process exit can carry.
        _ => Exit::Error,
    })
}

/// Add `value` to `key` unless an existing value already contains it
/// (git-secrets' `grep -F` de-dup), which exits 1 silently.
fn add_config(key: &str, value: &str, global: bool) -> Result<Exit> {
    if value.is_empty() {
        bail!("nothing to add to {key}");
    }
    let existing = git_config(global, &["--get-all", key])?;
    if String::from_utf8_lossy(&existing.stdout).lines().any(|line| line.contains(value)) {
        return Ok(Exit::Usage(1));
    }
    let added = git_config(global, &["--add", key, value])?;
    std::io::stderr().write_all(&added.stderr)?;
    Ok(if added.status.success() { Exit::Clean } else { Exit::Error })
}

fn register_aws(global: bool) -> Result<Exit> {
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
    let mut status = Exit::Clean;
    for (key, value) in &additions {
        status = add_config(key, value, global)?;
    }
    if status == Exit::Clean {
        println!("OK");
    }
    if std::io::stdout().is_terminal() {
        crate::note!(
            "keyfence: keyfence's own AWS rules also run in `keyfence scan`; these patterns are for git-secrets mode."
        );
    }
    Ok(status)
}
