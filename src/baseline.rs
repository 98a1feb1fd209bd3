//! Baselines: a previous `--format json` report whose fingerprints are
//! accepted. Fingerprints hash only (rule, value), so a baseline keeps
//! working through rebases, squash merges and moved code.

use std::collections::HashSet;
use std::path::Path;

use crate::error::{Error, Result};

/// Fingerprints listed in a JSON report (`findings[].fingerprint`).
pub fn load(path: &Path) -> Result<HashSet<String>> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let bad = |reason: &str| Error::Config { path: path.to_path_buf(), reason: reason.to_string() };
    let report: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| bad(&format!("not a keyfence JSON report: {e}")))?;
    let findings = report.get("findings").and_then(|f| f.as_array()).ok_or_else(|| bad("no \"findings\" array"))?;
    findings
        .iter()
        .map(|f| {
            f.get("fingerprint")
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| bad("a finding has no fingerprint"))
        })
        .collect()
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
