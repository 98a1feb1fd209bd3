//! git-secrets' text format: `path:line:text`, and `sha:path:line:text` for
//! history, so scripts that parse git-secrets keep working. Like grep, one
//! output line per matching line, however many values it holds.

use std::io::{self, Write};

use super::ReportOptions;
use crate::finding::Finding;
use crate::pipeline::Outcome;
use crate::source::escape_for_terminal;

pub fn write(outcome: &Outcome, options: &ReportOptions, out: &mut dyn Write) -> io::Result<()> {
    let same_line = |a: &Finding, b: &Finding| a.origin == b.origin && a.line == b.line;
    let mut rest = outcome.findings.as_slice();
    while let Some(first) = rest.first() {
        let count = rest.iter().take_while(|f| same_line(first, f)).count();
        let (on_this_line, after) = rest.split_at(count);
        rest = after;
        if let Some(commit) = &first.origin.commit {
            write!(out, "{commit}:")?;
        }
        let mut text = escape_for_terminal(&first.line_text);
        // Redact every value found on the line, not only the first: a key
        // id and its secret often share one.
        for finding in on_this_line.iter().filter(|_| !options.show_secrets) {
            let shown = finding.shown_secret(false);
            if shown != finding.secret {
                text = text.replace(&finding.secret, &shown);
            }
        }
        writeln!(out, "{}:{}:{}", first.origin.display_path(), first.line, text)?;
    }
    Ok(())
}
