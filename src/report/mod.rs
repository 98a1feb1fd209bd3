//! Reports render an `Outcome`; they never decide the exit code. One file
//! per format. Secrets are shown only where design §4 allows: human output on
//! a terminal, or anywhere with `--show-secrets`.

pub mod git_secrets;
pub mod human;
pub mod json;
pub mod sarif;

use std::io::{self, Write};

use crate::pipeline::Outcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    /// Grouped by file, with what to do next (the default).
    #[default]
    Human,
    /// One JSON document: {"version":1,"findings":[...],"stats":{...}}.
    Json,
    /// One JSON object per finding, one per line.
    Jsonl,
    /// `path:line:text` (history: `sha:path:line:text`), as git-secrets prints.
    GitSecrets,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

/// How the report is written, resolved once from the command line.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub format: Format,
    /// Show full secret values.
    pub show_secrets: bool,
    pub color: bool,
    /// The scan looked at git history (history findings get extra advice).
    pub from_history: bool,
    /// git-secrets mode off a terminal: matched lines go out byte for byte,
    /// as git grep prints them, for the scripts that parse them. On a
    /// terminal they are escaped, so a committed file cannot drive it.
    pub raw_lines: bool,
}

pub fn write(outcome: &Outcome, options: &ReportOptions, out: &mut dyn Write) -> io::Result<()> {
    match options.format {
        Format::Human => human::write(outcome, options, out),
        Format::Json => json::write_document(outcome, options, out),
        Format::Jsonl => json::write_lines(outcome, options, out),
        Format::GitSecrets => git_secrets::write(outcome, options, out),
        Format::Sarif => sarif::write(outcome, options, out),
    }
}
