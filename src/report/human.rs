//! The default report: findings grouped by file (and commit), then what to do
//! about each leaked key, in the words of its provider (`providers`).
//! Colour only when asked or on a terminal.

use std::collections::BTreeSet;
use std::io::{self, Write};

use super::ReportOptions;
use crate::blob::escape_for_terminal;
use crate::finding::Finding;
use crate::pipeline::Outcome;
use crate::providers::{self, Provider};
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
    let mut group: Option<(Option<&str>, &[u8], Option<&str>)> = None;
    for finding in &outcome.findings {
        let key = (finding.repository.as_deref(), finding.origin.path.as_slice(), finding.origin.commit.as_deref());
        if group != Some(key) {
            if group.is_some() {
                writeln!(out)?;
            }
            let path = match key.0 {
                Some(repository) => {
                    format!("{}: {}", escape_for_terminal(repository.as_bytes()), finding.origin.display_path())
                }
                None => finding.origin.display_path(),
            };
            let mut header = paint.paint("1;35", &path);
            if let Some(commit) = key.2 {
                header.push_str(&format!(" (commit {})", short(commit)));
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
    if finding.later_versions > 0 {
        let last = finding.last_version_commit.as_deref().map(short).unwrap_or_default();
        notes.push(format!("kept through {} versions of this file, the last from {last}", finding.later_versions + 1));
    }
    if let Some(reference) = &finding.only_from {
        let reference = escape_for_terminal(reference.as_bytes());
        notes.push(format!("only on {reference}, on no branch or tag"));
    }
    // The value is not in the file as shown: the location is where its
    // encoded run or its first string literal starts.
    match finding.encoding {
        Some("concatenation") => notes.push("joined from split string literals".into()),
        Some(encoding) => notes.push(format!("decoded from {encoding}")),
        None => {}
    }
    let notes = if notes.is_empty() { String::new() } else { format!("  ({})", notes.join(", ")) };
    writeln!(out, "  {location:<8} {:<24} {value}{notes}", finding.rule)
}

fn write_summary(outcome: &Outcome, paint: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let stats = &outcome.stats;
    let files: BTreeSet<_> =
        outcome.findings.iter().map(|f| (&f.repository, &f.origin.path, &f.origin.commit)).collect();
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
    writeln!(out, "{line}")?;
    for why in &outcome.partial {
        writeln!(out, "{}", paint.paint("1", &format!("PARTIAL: {}", escape_for_terminal(why.as_bytes()))))?;
    }
    Ok(())
}

fn write_advice(outcome: &Outcome, options: &ReportOptions, paint: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let advice = Advice::of(&outcome.findings);
    if advice.keys.is_empty() && advice.providers.is_empty() && !advice.custom {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", paint.paint("1;33", "What to do now"))?;
    writeln!(out, "{}", providers::preamble(options.from_history))?;
    write_key_steps(&advice.keys, out)?;
    for provider in providers::ALL.iter().filter(|p| advice.providers.iter().any(|q| q.id == p.id)) {
        writeln!(out, "  {}", provider.what_to_do)?;
    }
    if advice.custom {
        writeln!(out, "  {}", providers::CUSTOM_ADVICE)?;
    }
    writeln!(out, "  If this is a false positive, add `keyfence:allow` in a comment on that line.")
}

/// The response steps of each key id, once for all the key ids whose steps
/// differ only by the id: nine keys of one account leaked together are one
/// incident, and nine copies of the same three steps bury the first.
fn write_key_steps(keys: &[(&str, providers::Steps)], out: &mut dyn Write) -> io::Result<()> {
    const PLACEHOLDER: &str = "KEY_ID";
    // (steps with the id replaced, [(key id, what the provider says of it)])
    let mut groups: Vec<(String, Vec<(&str, String)>)> = Vec::new();
    for (key_id, steps) in keys {
        let text = steps(key_id);
        let split = if text.starts_with("    1. ") { Some(0) } else { text.find("\n    1. ").map(|at| at + 1) };
        let (about, steps) = text.split_at(split.unwrap_or(text.len()));
        let steps = steps.replace(key_id, PLACEHOLDER);
        let about = about.to_string();
        match groups.iter_mut().find(|(same, _)| *same == steps) {
            Some((_, ids)) => ids.push((key_id, about)),
            None => groups.push((steps, vec![(key_id, about)])),
        }
    }
    for (steps, ids) in groups {
        if let [(key_id, about)] = ids.as_slice() {
            write!(out, "{about}{}", steps.replace(PLACEHOLDER, key_id))?;
            writeln!(out, "    All steps, with why: keyfence explain {key_id}")?;
            continue;
        }
        for (_, about) in &ids {
            writeln!(out, "  {}", about.lines().map(str::trim).collect::<Vec<_>>().join("; "))?;
        }
        let list = ids.iter().map(|(id, _)| *id).collect::<Vec<_>>().join(" ");
        writeln!(out, "    For each of these {} keys ({PLACEHOLDER} below is each of {list}):", ids.len())?;
        write!(out, "{steps}")?;
        writeln!(out, "    All steps, with why: keyfence explain {PLACEHOLDER}")?;
    }
    Ok(())
}

/// What the findings call for: response steps per key id (first seen
/// first), a provider's short advice for its secrets no key id names, and
/// the generic advice for secrets of rules with no provider.
struct Advice<'f> {
    keys: Vec<(&'f str, providers::Steps)>,
    providers: Vec<&'static Provider>,
    custom: bool,
}

impl<'f> Advice<'f> {
    fn of(findings: &'f [Finding]) -> Advice<'f> {
        let mut advice = Advice { keys: Vec::new(), providers: Vec::new(), custom: false };
        for finding in findings {
            // Identifiers (`--enable-rule aws-unique-id`) sign nothing: telling
            // the user to find and rotate "the key" behind a role id sends them
            // the wrong way.
            if finding.kind == Kind::Identifier {
                continue;
            }
            let key_id =
                if finding.is_key_id() { Some(finding.secret.as_str()) } else { finding.paired_key_id.as_deref() };
            let steps = finding.key_provider.as_deref().and_then(providers::get).and_then(|p| p.response_steps);
            if let (Some(key_id), Some(steps)) = (key_id, steps) {
                if !advice.keys.iter().any(|(k, _)| *k == key_id) {
                    advice.keys.push((key_id, steps));
                }
                continue;
            }
            match finding.provider.as_deref().and_then(providers::get) {
                Some(provider) if !advice.providers.iter().any(|p| p.id == provider.id) => {
                    advice.providers.push(provider)
                }
                Some(_) => {}
                None => advice.custom = true,
            }
        }
        advice
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
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
