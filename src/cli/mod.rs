//! The command line: `args.rs` records what the user typed, `config.rs`
//! resolves it into a run, and `run` here dispatches each subcommand. The
//! run itself is `engine`'s; the exit status is an [`Exit`] that `main.rs`
//! alone turns into a number.

use std::io::Write;
use std::path::Path;

pub mod args;
pub mod config;
pub mod git_secrets;

use anyhow::{Context, Result};
use clap::CommandFactory;

pub use args::{Cli, ColorChoice, Command, HookCommand, InstallArgs, OutputArgs, ScanArgs};

use crate::engine::{self, Destination, ExitPolicy};
use crate::exit::Exit;
use crate::rules::RuleSet;

/// Run the parsed command line.
pub fn run(cli: Cli) -> Result<Exit> {
    match cli.command {
        Command::Scan(args) => scan(&args),
        Command::Baseline { file, scan } => write_baseline(&file, &scan),
        Command::Hook(hook) => crate::hooks::run::run(&config::hook(hook)),
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
        // Installation still speaks 0/1/2 (2: a hook manager needs a manual step).
        Command::Install(args) => crate::hooks::install(&args.into()).map(Exit::from_code),
        Command::Uninstall(args) => crate::hooks::uninstall(&args.into()).map(Exit::from_code),
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

fn scan(args: &ScanArgs) -> Result<Exit> {
    if let Some(dir) = &args.directory {
        std::env::set_current_dir(dir).with_context(|| format!("cannot change to directory {}", dir.display()))?;
    }
    let run = config::scan(args)?;
    let scanned = engine::run(&run)?;
    engine::finish(&scanned.outcome, &run.output, scanned.policy)
}

/// `keyfence baseline FILE [scan args]`: today's findings, as JSON, to FILE.
fn write_baseline(file: &Path, args: &ScanArgs) -> Result<Exit> {
    let mut run = config::scan(args)?;
    run.output.to = Destination::Nowhere;
    let scanned = engine::run(&run)?;
    let outcome = &scanned.outcome;
    // Errors first: a baseline of an incomplete scan would hide findings.
    let report_only = ExitPolicy { exit_zero: true, ..ExitPolicy::STRICT };
    if engine::finish(outcome, &run.output, report_only)? != Exit::Clean {
        return Ok(Exit::Error);
    }
    let mut writer = std::io::BufWriter::new(engine::output::create(file)?);
    crate::baseline::write(&outcome.findings, &mut writer)
        .and_then(|()| writer.flush())
        .with_context(|| format!("cannot write {}", file.display()))?;
    crate::note!("keyfence: wrote {} finding(s) to {}", outcome.findings.len(), file.display());
    Ok(Exit::Clean)
}

fn list_rules() -> Result<Exit> {
    let rules = RuleSet::builtin();
    let mut out = std::io::stdout().lock();
    for rule in rules.all() {
        let state = if rule.enabled { "on " } else { "off" };
        writeln!(out, "{state}  {:<24} {:<7} {}", rule.id, rule.severity.as_str(), rule.name)?;
    }
    Ok(Exit::Clean)
}

fn explain(id: &str) -> Result<Exit> {
    print!("{}", crate::providers::explain(id)?);
    Ok(Exit::Clean)
}

/// Write generated text; a closed pipe (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> Result<Exit> {
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(Exit::Clean),
    }
}
