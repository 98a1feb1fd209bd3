//! SARIF 2.1.0 for GitHub code scanning and other SARIF consumers. One run,
//! a `rules` entry per rule that is on or was hit, one result per finding,
//! with the fingerprint in `partialFingerprints` so alerts follow a secret
//! across commits. Values are redacted unless `--show-secrets`.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::ReportOptions;
use crate::finding::Finding;
use crate::pipeline::Outcome;
use crate::providers;
use crate::rules::{RuleSet, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn write(outcome: &Outcome, options: &ReportOptions, out: &mut dyn Write) -> io::Result<()> {
    let rules = rules(outcome);
    let roots = Roots::new();
    let index: BTreeMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.0.as_str(), i)).collect();
    let results: Vec<Value> =
        outcome.findings.iter().map(|f| result(f, index[f.rule.as_str()], &roots, options)).collect();
    let document = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "keyfence",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
            }},
            "results": results,
            // An incomplete scan says so: a consumer must not read its
            // missing results as fixed alerts.
            "invocations": [{
                "executionSuccessful": outcome.errors.is_empty(),
                "toolExecutionNotifications": outcome.errors.iter().map(|e| json!({
                    "level": "error",
                    "message": { "text": e.to_string() },
                })).chain(outcome.partial.iter().map(|why| json!({
                    "level": "warning",
                    "message": { "text": format!("partial scan: {why}") },
                }))).collect::<Vec<_>>(),
            }],
            "columnKind": "unicodeCodePoints",
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

/// (id, reportingDescriptor) for every enabled built-in rule plus any
/// other rule a finding names (git-secrets patterns, project rules).
fn rules(outcome: &Outcome) -> Vec<(String, Value)> {
    let mut rules: Vec<(String, Value)> = RuleSet::builtin()
        .enabled()
        .map(|r| {
            let help = match providers::of(r) {
                Some(provider) => format!("{} {}", r.description, provider.sarif_help),
                None => r.description.clone(),
            };
            (r.id.clone(), descriptor(&r.id, &r.name, &r.description, &help, r.severity))
        })
        .collect();
    for finding in &outcome.findings {
        if !rules.iter().any(|(id, _)| *id == finding.rule) {
            let text = format!("{} ({})", finding.rule_name, finding.rule);
            rules.push((
                finding.rule.clone(),
                descriptor(&finding.rule, &finding.rule_name, &text, &text, finding.severity),
            ));
        }
    }
    rules
}

fn descriptor(id: &str, name: &str, description: &str, help: &str, severity: Severity) -> Value {
    json!({
        "id": id,
        "name": name,
        "shortDescription": { "text": name },
        "fullDescription": { "text": if description.is_empty() { name } else { description } },
        "help": { "text": help },
        "defaultConfiguration": { "level": level(severity) },
        "properties": { "tags": ["security", "secret"], "security-severity": security_severity(severity) },
    })
}

fn result(finding: &Finding, rule_index: usize, roots: &Roots, options: &ReportOptions) -> Value {
    let mut message = format!("{} found: {}", finding.rule_name, finding.shown_secret(options.show_secrets));
    let key_provider = finding.key_provider.as_deref().and_then(providers::get);
    if let (Some(account), Some(provider)) = (&finding.account_id, key_provider) {
        message.push_str(&format!(" ({} {account})", provider.account_label));
    }
    let mut properties = json!({ "severity": finding.severity.as_str() });
    if let Some(commit) = &finding.origin.commit {
        properties["commit"] = json!(commit);
    }
    if let Some(blob) = &finding.origin.blob_id {
        properties["blobId"] = json!(blob);
    }
    if let Some(key_id) = &finding.paired_key_id {
        properties["pairedKeyId"] = json!(key_id);
    }
    if finding.later_versions > 0 {
        properties["laterVersions"] = json!(finding.later_versions);
        properties["lastVersionCommit"] = json!(finding.last_version_commit);
    }
    if let Some(repository) = &finding.repository {
        properties["repository"] = json!(repository);
    }
    if let Some(reference) = &finding.only_from {
        properties["onlyReachableFrom"] = json!(reference);
    }
    json!({
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": { "text": message },
        "locations": [{ "physicalLocation": {
            "artifactLocation": { "uri": roots.uri(finding) },
            "region": {
                "startLine": finding.line.max(1),
                "startColumn": finding.column_chars.max(1),
                "endColumn": finding.column_chars.max(1) as usize + finding.secret.chars().count(),
            },
        }}],
        "partialFingerprints": { "keyfence/v1": finding.fingerprint },
        "properties": properties,
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub ranks security alerts by this CVSS-like score.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "8.9",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
    }
}

/// Where file paths are made relative to: code scanning places a result by
/// its URI relative to the repository root, and a path as the user typed it
/// (`/abs/repo/x`, `../x`, `x` from a subdirectory) is not one.
struct Roots {
    /// The work tree holding the current directory, if any.
    cwd_repo: Option<PathBuf>,
    /// The current directory, resolved.
    cwd: Option<PathBuf>,
}

impl Roots {
    fn new() -> Roots {
        let cwd = std::env::current_dir().ok().and_then(|d| std::fs::canonicalize(d).ok());
        Roots { cwd_repo: cwd.as_deref().and_then(work_tree_of), cwd }
    }

    fn uri(&self, finding: &Finding) -> String {
        let path = &finding.origin.path;
        // Paths from git objects (staged, range, history) already are
        // relative to the work tree root.
        if finding.origin.blob_id.is_some() || path.is_empty() {
            return uri(path);
        }
        let Some(file) = resolved(path) else { return uri(path) };
        // The repository the scan runs in (a submodule's files stay under
        // the superproject), else the file's own, else the current
        // directory; outside all of them, an absolute `file:` URI.
        let relative = self
            .cwd_repo
            .iter()
            .chain(file.parent().and_then(work_tree_of).as_ref())
            .chain(self.cwd.iter())
            .find_map(|root| file.strip_prefix(root).ok());
        match relative {
            Some(relative) => uri(&crate::blob::path_bytes(relative)),
            None => format!("file://{}", uri(&crate::blob::path_bytes(&file))),
        }
    }
}

/// `path` absolute, with its directory's symlinks and `..` resolved (not
/// the file's own name: a symlinked file is reported where it is found).
fn resolved(path: &[u8]) -> Option<PathBuf> {
    #[cfg(unix)]
    let path = PathBuf::from(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(path));
    #[cfg(not(unix))]
    let path = PathBuf::from(String::from_utf8_lossy(path).into_owned());
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(parent).ok()?.join(name))
}

/// The nearest directory at or above `dir` holding `.git` (a directory, or
/// the file of a linked worktree or submodule).
fn work_tree_of(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf)
}

/// A relative URI reference: `/` separators kept, everything outside the
/// unreserved set percent-encoded (spaces, `#`, `%`, non-UTF-8 bytes).
fn uri(path: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_are_encoded() {
        assert_eq!(super::uri(b"dir/my file#1.env"), "dir/my%20file%231.env");
        assert_eq!(super::uri(b"a\xffb"), "a%FFb");
    }
}
