//! The default report: findings grouped by file (and commit), then what to do
//! about each leaked AWS key. Colour only when asked or on a terminal.

use std::collections::BTreeSet;
use std::io::{self, Write};

use super::{advice, ReportOptions};
use crate::blob::escape_for_terminal;
use crate::finding::Finding;
use crate::pipeline::Outcome;
use crate::rules::Kind;

struct Paint {
    on: bool,
}

impl Paint {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

pub fn write(outcome: &Outcome, options: &ReportOptions, out: &mut dyn Write) -> io::Result<()> {
    let paint = Paint { on: options.color };
    let mut group: Option<(&[u8], Option<&str>)> = None;
    for finding in &outcome.findings {
        let key = (finding.origin.path.as_slice(), finding.origin.commit.as_deref());
        if group != Some(key) {
            if group.is_some() {
                writeln!(out)?;
            }
            let mut header = paint.paint("1;35", &finding.origin.display_path());
            if let Some(commit) = key.1 {
                header.push_str(&format!(" (commit {})", &commit[..commit.len().min(12)]));
            }
            writeln!(out, "{header}")?;
            group = Some(key);
        }
        write_finding(finding, options, &paint, out)?;
    }
    write_summary(outcome, &paint, out)?;
    write_advice(outcome, options, &paint, out)
}

fn write_finding(finding: &Finding, options: &ReportOptions, paint: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let location = paint.paint("32", &format!("{}:{}", finding.line, finding.column));
    let value = paint.paint("1;31", &escape_for_terminal(finding.shown_secret(options.show_secrets).as_bytes()));
    let mut notes = Vec::new();
    if let Some(account) = &finding.account_id {
        notes.push(format!("account {account}"));
    }
    if let Some(key_id) = &finding.paired_key_id {
        notes.push(format!("pairs with {key_id}"));
    }
    let notes = if notes.is_empty() { String::new() } else { format!("  ({})", notes.join(", ")) };
    writeln!(out, "  {location:<8} {:<24} {value}{notes}", finding.rule)
}

fn write_summary(outcome: &Outcome, paint: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let stats = &outcome.stats;
    let files: BTreeSet<_> = outcome.findings.iter().map(|f| (&f.origin.path, &f.origin.commit)).collect();
    if !outcome.findings.is_empty() {
        writeln!(out)?;
    }
    let mut line = format!(
        "{} finding{} in {} place{}; {} blob{} ({}) scanned",
        outcome.findings.len(),
        plural(outcome.findings.len() as u64),
        files.len(),
        plural(files.len() as u64),
        stats.blobs_scanned,
        plural(stats.blobs_scanned),
        human_bytes(stats.bytes_scanned),
    );
    if stats.skipped_binary > 0 {
        line.push_str(&format!(", {} binary skipped", stats.skipped_binary));
    }
    if stats.skipped_too_large > 0 {
        line.push_str(&format!(", {} too large skipped", stats.skipped_too_large));
    }
    if stats.skipped_missing > 0 {
        line.push_str(&format!(", {} missing skipped", stats.skipped_missing));
    }
    if !outcome.errors.is_empty() {
        let count = outcome.errors.len() as u64;
        line.push_str(&format!("; INCOMPLETE: {count} error{} (see stderr)", plural(count)));
    }
    let line = if outcome.findings.is_empty() && outcome.errors.is_empty() { line } else { paint.paint("1", &line) };
    writeln!(out, "{line}")
}

fn write_advice(outcome: &Outcome, options: &ReportOptions, paint: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let mut keys: Vec<(&str, Option<&str>)> = Vec::new();
    for finding in &outcome.findings {
        let key_id = if finding.is_key_id() { Some(finding.secret.as_str()) } else { finding.paired_key_id.as_deref() };
        if let Some(key_id) = key_id {
            if !keys.iter().any(|(k, _)| *k == key_id) {
                keys.push((key_id, finding.account_id.as_deref()));
            }
        }
    }
    // Identifiers (`--enable-rule aws-unique-id`) sign nothing: telling the
    // user to find and rotate "the key" behind a role id sends them the
    // wrong way. A user rule's secret is not an IAM key either.
    let unpaired = |f: &&Finding| !f.is_key_id() && f.kind != Kind::Identifier && f.paired_key_id.is_none();
    let unpaired_secret = outcome.findings.iter().filter(unpaired).any(|f| f.rule.starts_with("aws-"));
    let other_secret = outcome.findings.iter().filter(unpaired).any(|f| !f.rule.starts_with("aws-"));
    if keys.is_empty() && !unpaired_secret && !other_secret {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", paint.paint("1;33", "What to do now"))?;
    writeln!(out, "{}", advice::preamble(options.from_history))?;
    for (key_id, _) in keys {
        write!(out, "{}", advice::response_steps(key_id))?;
        writeln!(out, "    All steps, with why: keyfence explain {key_id}")?;
    }
    if unpaired_secret {
        writeln!(
            out,
            "  A secret was found without its key id: find the key it belongs to (IAM console, access keys of each user) and rotate it the same way."
        )?;
    }
    if other_secret {
        writeln!(out, "  For a secret found by a custom rule: revoke it where it was issued and replace it.")?;
    }
    writeln!(out, "  If this is a false positive, add `keyfence:allow` in a comment on that line.")
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
