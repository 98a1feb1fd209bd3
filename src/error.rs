//! The typed errors the library exposes. The binary wraps them with context
//! and prints them as one line; every one of them ends in exit code 2.

use std::path::PathBuf;

/// Everything that can make a scan incomplete. A scan that hits any of these
/// must not report "clean": the exit code is 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule (built-in or user supplied) could not be compiled or is invalid.
    #[error("invalid rule {id}: {reason}")]
    Rule { id: String, reason: String },
    /// A configuration file (`.keyfence.toml`, a baseline) is invalid.
    #[error("invalid {}: {reason}", path.display())]
    Config { path: PathBuf, reason: String },
    /// A path given on the command line or met during a walk could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A directory walk failed part-way (permissions, loops, vanished files).
    #[error("{0}")]
    Walk(String),
    /// Anything that went wrong while reading the git repository.
    #[error("{0}")]
    Git(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and its causes joined with ": ", skipping a cause whose text the
/// message already ends with: many errors (keyfence's own among them) print
/// their cause and also expose it as their source.
pub fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = String::new();
    let mut cause = Some(error);
    while let Some(current) = cause {
        let text = current.to_string();
        if !message.ends_with(&text) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
        cause = current.source();
    }
    message
}

/// One line on standard error that never panics: `eprintln!` panics when
/// stderr is a pipe whose reader has gone (`2>&1 | head -1`, a closed log),
/// and the panic hook's own `eprintln!` then aborts the process (SIGABRT)
/// instead of exiting 1 or 2. A line nobody can read is dropped; the exit
/// status still tells what was found.
pub fn stderr_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_fmt(line).and_then(|()| stderr.write_all(b"\n"));
}

/// `eprintln!` through [`stderr_line`]: every stderr line of keyfence.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::error::stderr_line(format_args!($($arg)*))
    };
}
