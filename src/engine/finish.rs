//! The end of a run: skipped blobs and errors to stderr, the report to where
//! it was asked for, and the exit status (the one place that decides it).
//! Everything about how it is written was resolved before the run.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::ExitPolicy;

pub mod output;
use crate::exit::Exit;
use crate::pipeline::Outcome;
use crate::report::{self, ReportOptions};

/// git-secrets' message after its findings, word for word.
const GIT_SECRETS_BANNER: &str = "
[ERROR] Matched one or more prohibited patterns

Possible mitigations:
- Mark false positives as allowed using: git config --add secrets.allowed ...
- Mark false positives as allowed by adding regular expressions to .gitallowed at repository's root directory
- List your configured patterns: git config --get-all secrets.patterns
- List your configured allowed patterns: git config --get-all secrets.allowed
- List your configured allowed patterns in .gitallowed at repository's root directory
- Use --no-verify if this is a one-time false positive";

/// How the outcome is written, resolved from the command line.
#[derive(Debug, Clone)]
pub struct Output {
    pub report: ReportOptions,
    pub to: Destination,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
    /// `-q`: no report, only stderr's skipped blobs and errors.
    Nowhere,
    /// As git-secrets answers: errors, then findings as `path:line:text`
    /// on stderr followed by its banner; nothing when clean, no skipped list.
    GitSecrets,
}

/// Report the outcome and decide the exit status.
pub fn finish(outcome: &Outcome, output: &Output, policy: ExitPolicy) -> Result<Exit> {
    if output.to != Destination::GitSecrets {
        for skipped in &outcome.skipped {
            crate::note!("keyfence: skipped {} ({})", skipped.origin.display_path(), skipped.reason.describe());
        }
    }
    if output.to != Destination::GitSecrets && !outcome.stats.binary_examples.is_empty() {
        let count = outcome.stats.skipped_binary;
        let more = if count > outcome.stats.binary_examples.len() as u64 { ", …" } else { "" };
        crate::note!(
            "keyfence: skipped {count} binary file{} ({}{more}); --scan-binary scans them",
            if count == 1 { "" } else { "s" },
            outcome.stats.binary_examples.join(", ")
        );
    }
    for error in &outcome.errors {
        crate::note!("keyfence: error: {}", crate::blob::escape_for_terminal(error.to_string().as_bytes()));
    }
    // An error before anything was read (a bad ref, no repository): the
    // error is the whole answer; a "0 findings" summary would read as a scan.
    let nothing_read = outcome.findings.is_empty()
        && !outcome.errors.is_empty()
        && outcome.skipped.is_empty()
        && outcome.stats.blobs_scanned == 0
        && outcome.stats.skipped_binary == 0;
    match &output.to {
        Destination::Stdout | Destination::File(_) if nothing_read && output.report.format == report::Format::Human => {
        }
        Destination::Nowhere => {}
        Destination::Stdout => write_stdout(outcome, &output.report)?,
        Destination::File(path) => write_file(outcome, &output.report, path)?,
        Destination::GitSecrets if outcome.findings.is_empty() => {}
        Destination::GitSecrets => {
            let mut stderr = std::io::stderr().lock();
            match report::write(outcome, &output.report, &mut stderr)
                .and_then(|()| writeln!(stderr, "{GIT_SECRETS_BANNER}"))
            {
                // Nobody reads stderr any more: the exit status still tells.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other?,
            }
        }
    }
    Ok(policy.exit(outcome))
}

fn write_file(outcome: &Outcome, options: &ReportOptions, path: &std::path::Path) -> Result<()> {
    let file = output::create(path)?;
    // Only a regular file can be synced: a pipe or terminal behind
    // `/dev/stdout` has everything once it is written (fsync: EINVAL).
    let regular = file.metadata().is_ok_and(|m| m.is_file());
    let mut writer = std::io::BufWriter::new(file);
    report::write(outcome, options, &mut writer)
        .and_then(|()| writer.flush())
        .and_then(|()| if regular { writer.get_ref().sync_all() } else { Ok(()) })
        .with_context(|| format!("cannot write {}", path.display()))
}

fn write_stdout(outcome: &Outcome, options: &ReportOptions) -> Result<()> {
    let stdout = std::io::stdout();
    let mut writer = std::io::BufWriter::new(stdout.lock());
    match report::write(outcome, options, &mut writer).and_then(|()| writer.flush()) {
        // The reader went away (`| head`): not our error, and the exit
        // status still tells what was found.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}
