//! Baselines: a previous `--format json` report whose fingerprints are
//! accepted. Fingerprints hash only (rule, value), so a baseline keeps
//! working through rebases, squash merges and moved code.

use std::collections::HashSet;
use std::path::Path;

use crate::error::{Error, Result};

/// Fingerprints accepted by a baseline file: any report keyfence writes
/// that carries them. A `--format json` report or `keyfence baseline` file
/// (`findings[].fingerprint`), a `--format jsonl` report (one finding per
/// line) or a keyfence SARIF report (`partialFingerprints."keyfence/v1"`):
/// CI jobs already keep one of these as an artifact. Other fields are
/// ignored, since a report has many. Anything else is an error naming the
/// file (exit 2): an empty file or another tool's report is a mistake that
/// must not pass for "nothing accepted" unnoticed.
///
/// The bytes are read by the engine, from disk or the base of a range, as
/// a repository-supplied file (`config::supplied`); `path` names the file.
pub fn parse(bytes: &[u8], path: &Path) -> Result<HashSet<String>> {
    let bad = |reason: String| Error::Config { path: path.to_path_buf(), reason };
    let text = std::str::from_utf8(bytes).map_err(|_| bad("not a keyfence report: not UTF-8".into()))?;
    if text.trim().is_empty() {
        return Err(bad("the file is empty; write a baseline with `keyfence baseline FILE`".into()));
    }
    let report: serde_json::Value = match serde_json::from_str(text) {
        Ok(report) => report,
        // Not one document: perhaps a jsonl report, one finding per line.
        Err(e) => return jsonl_fingerprints(text, path, e),
    };
    let fingerprints: Vec<&serde_json::Value> = if report.get("runs").is_some() {
        sarif_fingerprints(&report).map_err(bad)?
    } else if let Some(findings) = report.get("findings").and_then(|f| f.as_array()) {
        findings.iter().map(|f| &f["fingerprint"]).collect()
    } else if report.get("fingerprint").is_some() {
        // A jsonl report of a single finding.
        vec![&report["fingerprint"]]
    } else {
        return Err(bad("not a keyfence report: no \"findings\" array".into()));
    };
    parse_fingerprints(&fingerprints, path)
}

/// `partialFingerprints."keyfence/v1"` of every result of a keyfence SARIF
/// report; another tool's SARIF has none and is refused.
fn sarif_fingerprints(report: &serde_json::Value) -> std::result::Result<Vec<&serde_json::Value>, String> {
    let runs = report["runs"].as_array().ok_or("not a SARIF report: \"runs\" is not an array")?;
    let mut fingerprints = Vec::new();
    for run in runs {
        if run["tool"]["driver"]["name"] != "keyfence" {
            return Err(format!("a SARIF report of {}, not of keyfence", run["tool"]["driver"]["name"]));
        }
        for result in run["results"].as_array().map_or(&[][..], Vec::as_slice) {
            fingerprints.push(&result["partialFingerprints"]["keyfence/v1"]);
        }
    }
    Ok(fingerprints)
}

fn jsonl_fingerprints(text: &str, path: &Path, document_error: serde_json::Error) -> Result<HashSet<String>> {
    let mut findings = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let error = |e: serde_json::Error| {
            // A first line that is not JSON either: not a report at all, and
            // the error about the whole file says more than one about line 1.
            let e = if findings.is_empty() { document_error.to_string() } else { format!("line {}: {e}", i + 1) };
            Error::Config { path: path.to_path_buf(), reason: format!("not a keyfence report: {e}") }
        };
        let finding: serde_json::Value = serde_json::from_str(line).map_err(error)?;
        if !finding.is_object() {
            return Err(error(serde::de::Error::custom("not a finding object")));
        }
        findings.push(finding);
    }
    parse_fingerprints(&findings.iter().map(|f| &f["fingerprint"]).collect::<Vec<_>>(), path)
}

/// Every entry must be a fingerprint as keyfence writes it (32 hex digits):
/// a truncated or mistyped one would never match, and the finding it was
/// meant to accept would fail builds with no hint why.
fn parse_fingerprints(values: &[&serde_json::Value], path: &Path) -> Result<HashSet<String>> {
    values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let reason = match value.as_str() {
                Some(text) => match normalize_fingerprint(text) {
                    Some(fingerprint) => return Ok(fingerprint),
                    None => format!("finding {}: fingerprint {value} is not 32 hex digits", i + 1),
                },
                None => format!("finding {} has no fingerprint", i + 1),
            };
            Err(Error::Config { path: path.to_path_buf(), reason })
        })
        .collect()
}

/// A fingerprint in the form keyfence compares: 32 lowercase hex digits.
/// Upper case is accepted (a fingerprint copied from a tool that shouts).
pub fn normalize_fingerprint(text: &str) -> Option<String> {
    (text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())).then(|| text.to_ascii_lowercase())
}

/// Write `findings` as a baseline: a JSON report whose values are all
/// redacted, key ids included (a committed baseline must not itself become
/// a finding on the next scan), without run statistics, ordered by
/// fingerprint and place so regenerating it does not churn the diff.
pub fn write(findings: &[crate::finding::Finding], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut entries: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "fingerprint": f.fingerprint,
                "rule": f.rule,
                "path": String::from_utf8_lossy(&f.origin.path),
                "line": f.line,
                "commit": f.origin.commit,
                "secret": crate::finding::redact(&f.secret),
                "redacted": true,
            })
        })
        .collect();
    let key = |v: &serde_json::Value| (v["fingerprint"].to_string(), v["path"].to_string(), v["line"].as_u64());
    entries.sort_by_key(key);
    entries.dedup_by(|a, b| a["fingerprint"] == b["fingerprint"] && a["path"] == b["path"] && a["line"] == b["line"]);
    serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "version": 1, "findings": entries }))?;
    writeln!(out)
}
