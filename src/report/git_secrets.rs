//! git-secrets' text format: `path:line:text`, and `sha:path:line:text` for
//! history, so scripts that parse git-secrets keep working. Like grep, one
//! output line per matching line, however many values it holds.

use std::io::{self, Write};

use super::ReportOptions;
use crate::blob::escape_for_terminal;
use crate::finding::Finding;
use crate::pipeline::Outcome;

pub fn write(outcome: &Outcome, options: &ReportOptions, out: &mut dyn Write) -> io::Result<()> {
    let same_line = |a: &Finding, b: &Finding| a.origin == b.origin && a.line == b.line;
    let mut rest = outcome.findings.as_slice();
    while let Some(first) = rest.first() {
        let count = rest.iter().take_while(|f| same_line(first, f)).count();
        // One output line per matching line: its text already redacts
        // every value on it.
        rest = &rest[count..];
        if let Some(commit) = &first.origin.commit {
            write!(out, "{commit}:")?;
        }
        write!(out, "{}:{}:", first.origin.display_path(), first.line)?;
        if options.raw_lines && options.show_secrets {
            out.write_all(&first.line_text)?;
            writeln!(out)?;
            continue;
        }
        let text = if options.show_secrets { escape_for_terminal(&first.line_text) } else { redacted_text(first) };
        writeln!(out, "{text}")?;
    }
    Ok(())
}

/// The line text with every secret value on it redacted, by position
/// rather than by searching for the value: a long line is cut to a window,
/// and a value the window cuts in half would not be found by a search (its
/// visible part would leak); nor would one of a suppressed finding, which is
/// no finding here but still a secret. Positions are in raw bytes, before
/// escaping, for the same reason.
fn redacted_text(finding: &Finding) -> String {
    let text = &finding.line_text;
    let mut redactions = finding.redactions.clone();
    redactions.sort_by_key(|(range, _)| (range.start, range.end));
    let mut out = String::new();
    let mut cursor = 0;
    for (range, shown) in redactions {
        if range.end <= cursor {
            continue; // inside a value already redacted
        }
        if range.start >= cursor {
            out.push_str(&escape_for_terminal(&text[cursor..range.start]));
            out.push_str(&shown);
        }
        cursor = range.end.min(text.len());
    }
    out.push_str(&escape_for_terminal(&text[cursor..]));
    out
}
