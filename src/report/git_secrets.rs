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
        let text = if options.show_secrets {
            escape_for_terminal(&first.line_text)
        } else {
            redacted_text(first, on_this_line)
        };
        writeln!(out, "{}:{}:{}", first.origin.display_path(), first.line, text)?;
    }
    Ok(())
}

/// `first`'s line text with every value found on the line redacted, by
/// position rather than by searching for the value: a long line is cut to a
/// window around `first`'s value, and another value the window cuts in half
/// would not be found by a search (its visible part would leak). Positions
/// are in raw bytes, before escaping, for the same reason.
fn redacted_text(first: &Finding, on_this_line: &[Finding]) -> String {
    let text = &first.line_text;
    let mut ranges: Vec<(std::ops::Range<usize>, String)> = on_this_line
        .iter()
        .filter_map(|f| {
            let shown = f.shown_secret(false);
            if shown == f.secret {
                return None; // a key id or identifier: shown whole everywhere
            }
            // Where `f`'s value is in the full line, then in `first`'s window,
            // clipped to it (a value may run past the window or the line).
            let start = (f.text_offset + f.value_in_text.start).saturating_sub(first.text_offset).min(text.len());
            let end = (f.text_offset + f.value_in_text.end).saturating_sub(first.text_offset).min(text.len());
            (start < end).then_some((start..end, shown))
        })
        .collect();
    ranges.sort_by_key(|(range, _)| (range.start, range.end));
    let mut out = String::new();
    let mut cursor = 0;
    for (range, shown) in ranges {
        if range.end <= cursor {
            continue; // inside a value already redacted
        }
        if range.start >= cursor {
            out.push_str(&escape_for_terminal(&text[cursor..range.start]));
            out.push_str(&shown);
        }
        cursor = range.end;
    }
    out.push_str(&escape_for_terminal(&text[cursor..]));
    out
}
