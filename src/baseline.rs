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
