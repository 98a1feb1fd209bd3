//! The command line: `args.rs` records what the user typed, `config.rs`
//! resolves it into a run, and `run` here dispatches each subcommand. The
//! run itself is `engine`'s; the exit status is an [`Exit`] that `main.rs`
//! alone turns into a number.

use std::io::Write;

pub mod args;
pub mod baseline;
pub mod config;
pub mod explain;
pub mod git_secrets;
pub mod man;
pub mod rules;

use anyhow::{Context, Result};
use clap::CommandFactory;

pub use args::{Cli, ColorChoice, Command, HookCommand, InstallArgs, OutputArgs, ScanArgs};

use crate::engine;
use crate::exit::Exit;

/// Run the parsed command line.
pub fn run(cli: Cli) -> Result<Exit> {
    match cli.command {
        Command::Scan(args) => scan(&args),
        Command::Baseline(args) => baseline::write(&args),
        Command::Hook(hook) => crate::hooks::run::run(&config::hook(hook)),
        Command::Rules => rules::list(),
        Command::Explain { id } => explain(&id),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "keyfence", &mut script);
            write_stdout(&script)
        }
        Command::Man { subcommand } => write_stdout(&man::page(subcommand.as_deref())?),
        // Installation still speaks 0/1/2 (2: a hook manager needs a manual step).
        Command::Install(args) => crate::hooks::install(&args.into()).map(Exit::from_code),
        Command::Uninstall(args) => crate::hooks::uninstall(&args.into()).map(Exit::from_code),
    }
}

fn scan(args: &ScanArgs) -> Result<Exit> {
    if let Some(dir) = &args.directory {
        std::env::set_current_dir(dir).with_context(|| format!("cannot change to directory {}", dir.display()))?;
    }
    let run = config::scan(args)?;
    if let Some(runs) = config::scan_each(args, &run) {
        let (outcome, exit) = engine::run_each(&runs);
        // Each repository's own `fail-on` decided its part of `exit` (an
        // error in any of them among it), not one policy over the merge.
        engine::finish(&outcome, &run.output, engine::ExitPolicy::STRICT)?;
        return Ok(exit);
    }
    let scanned = engine::run(&run)?;
    engine::finish(&scanned.outcome, &run.output, scanned.policy)
}

fn explain(id: &str) -> Result<Exit> {
    print!("{}", explain::explain(id)?);
    Ok(Exit::Clean)
}

/// Write generated text; a closed pipe (`| head`) is not an error.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<Exit> {
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(Exit::Clean),
    }
}
