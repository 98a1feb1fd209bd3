//! `json` (one document) and `jsonl` (one finding per line). Secrets are
//! redacted unless `--show-secrets`: these formats end up in CI logs and
//! artifacts.

use std::io::{self, Write};

use serde::Serialize;

use super::ReportOptions;
use crate::finding::Finding;
use crate::pipeline::{Outcome, SkipReason, Stats};

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    skipped: Vec<JsonSkipped>,
    errors: Vec<String>,
    /// Why the scan covered less than was asked (`--allow-shallow`); absent
    /// when it covered everything.
    #[serde(skip_serializing_if = "Option::is_none")]
    partial: Option<String>,
    stats: &'a Stats,
}

#[derive(Serialize)]
pub struct JsonFinding<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    path: String,
    /// Set when the path is not valid UTF-8: the raw bytes, so nothing is lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    path_bytes: Option<Vec<u8>>,
    commit: Option<&'a str>,
    blob_id: Option<&'a str>,
    secret: String,
    redacted: bool,
    /// History: later versions of the same path that hold the same secret.
    #[serde(skip_serializing_if = "is_zero")]
    later_versions: u32,
    /// History, with `later_versions`: the commit of the newest of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_version_commit: Option<&'a str>,
    /// History: the ref that reaches the commit when no branch or tag does.
    #[serde(skip_serializing_if = "Option::is_none")]
    only_reachable_from: Option<&'a str>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Serialize)]
struct JsonSkipped {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    reason: &'static str,
}

pub fn json_finding<'a>(finding: &'a Finding, options: &ReportOptions) -> JsonFinding<'a> {
    let secret = finding.shown_secret(options.show_secrets);
    let path_utf8 = std::str::from_utf8(&finding.origin.path).ok();
    JsonFinding {
        redacted: secret != finding.secret,
        secret,
        path: path_utf8.map_or_else(|| String::from_utf8_lossy(&finding.origin.path).into_owned(), str::to_string),
        path_bytes: path_utf8.is_none().then(|| finding.origin.path.clone()),
        commit: finding.origin.commit.as_deref(),
        blob_id: finding.origin.blob_id.as_deref(),
        later_versions: finding.later_versions,
        last_version_commit: finding.last_version_commit.as_deref(),
        only_reachable_from: finding.only_from.as_deref(),
        finding,
    }
}

pub fn write_document(outcome: &Outcome, options: &ReportOptions, out: &mut dyn Write) -> io::Result<()> {
    let document = Document {
        version: 1,
        findings: outcome.findings.iter().map(|f| json_finding(f, options)).collect(),
        skipped: outcome
            .skipped
            .iter()
            .map(|s| match s.reason {
                SkipReason::TooLarge(size) => JsonSkipped {
                    path: s.origin.display_path(),
                    size: Some(size),
                    reason: "larger than --max-blob-size",
                },
                SkipReason::Archive(why) => {
                    JsonSkipped { path: s.origin.display_path(), size: None, reason: why.describe() }
                }
                SkipReason::Missing => {
                    JsonSkipped { path: s.origin.display_path(), size: None, reason: "missing object (--skip-missing)" }
                }
            })
            .collect(),
        errors: outcome.errors.iter().map(ToString::to_string).collect(),
        partial: (!outcome.partial.is_empty()).then(|| outcome.partial.join("; ")),
        stats: &outcome.stats,
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

pub fn write_lines(outcome: &Outcome, options: &ReportOptions, out: &mut dyn Write) -> io::Result<()> {
    for finding in &outcome.findings {
        serde_json::to_writer(&mut *out, &json_finding(finding, options))?;
        writeln!(out)?;
    }
    Ok(())
}
