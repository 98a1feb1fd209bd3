//! The binary: parse arguments, run, turn the result into an exit code.
//! The only place that prints a fatal error; it is one line, never a panic.

use clap::Parser;

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
        eprintln!("keyfence: internal error (please report): {message}");
        std::process::exit(2);
    }));
    let cli = match keyfence::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            std::process::exit(code);
        }
    };
    let code = match keyfence::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("keyfence: error: {err:#}");
            2
        }
    };
    std::process::exit(code);
}
