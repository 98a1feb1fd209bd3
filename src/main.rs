//! The binary: parse arguments, run, turn the result into an exit code.
//! The only place that prints a fatal error (one line, never a panic) and
//! the only place an [`Exit`] becomes a number.

use clap::Parser;
use keyfence::exit::Exit;

fn main() {
    // A panic is a bug, but it must still fail closed with exit 2 and one
    // line, not a backtrace and clap's or Rust's default 101.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        keyfence::note!("keyfence: internal error (please report): {message}");
        std::process::exit(Exit::Error.code());
    }));
    let mut argv = std::env::args_os();
    if argv.next().is_some_and(|argv0| keyfence::cli::git_secrets::invoked_as_git_secrets(&argv0)) {
        let args: Vec<String> = argv.map(|a| a.to_string_lossy().into_owned()).collect();
        exit_with(keyfence::cli::git_secrets::run(args));
    }
    let cli = match keyfence::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap's own: a usage error is 2, `--help` and `--version` 0.
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            std::process::exit(code);
        }
    };
    exit_with(keyfence::cli::run(cli));
}

/// Exit with the run's status; an error is one line on stderr and exit 2.
fn exit_with(result: anyhow::Result<Exit>) -> ! {
    let exit = match result {
        Ok(exit) => exit,
        Err(err) => {
            // One line, whatever a path or ref in the message holds.
            keyfence::note!(
                "keyfence: error: {}",
                keyfence::blob::escape_for_terminal(keyfence::error::with_causes(err.as_ref()).as_bytes())
            );
            Exit::Error
        }
    };
    std::process::exit(exit.code());
}
