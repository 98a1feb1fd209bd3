//! git-secrets' text format: `path:line:text`, and `sha:path:line:text` for
//! history, so scripts that parse git-secrets keep working.

use std::io::{self, Write};

use super::ReportOptions;
use crate::pipeline::Outcome;
use crate::source::escape_for_terminal;

pub fn write(outcome: &Outcome, options: &ReportOptions, out: &mut dyn Write) -> io::Result<()> {
    for finding in &outcome.findings {
        if let Some(commit) = &finding.origin.commit {
            write!(out, "{commit}:")?;
        }
        let mut text = escape_for_terminal(&finding.line_text);
        if !options.show_secrets && finding.shown_secret(false) != finding.secret {
            text = text.replace(&finding.secret, &finding.shown_secret(false));
        }
        writeln!(out, "{}:{}:{}", finding.origin.display_path(), finding.line, text)?;
    }
    Ok(())
}
