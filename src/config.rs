//! `.keyfence.toml` at the top of the repository (or of the scanned
//! directory): extra rules with the built-in schema, an allowlist, and
//! default options. An invalid file stops the scan (exit 2) with the file,
//! line and key named: a silently ignored allowlist or rule is a hole.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::rules::{Rule, Severity};

pub mod supplied;

pub use supplied::{Files, MAX_BASELINE_BYTES, MAX_CONFIG_BYTES};

pub const FILE_NAME: &str = ".keyfence.toml";

/// Cap on `allowlist.paths` globs in `.keyfence.toml`.
pub const MAX_ALLOWLIST_PATHS: usize = 2_000;
/// Cap on `allowlist.regexes` in `.keyfence.toml`.
pub const MAX_ALLOWLIST_REGEXES: usize = 1_000;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    /// Extra rules, same schema as the built-in ones; an id that exists
    /// replaces the built-in rule.
    #[serde(default)]
    pub rules: Vec<Rule>,
    #[serde(default)]
    pub allowlist: AllowlistConfig,
    #[serde(default)]
    pub options: Options,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistConfig {
    /// Glob patterns (gitignore-like `**`) of paths whose findings are dropped.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Regexes matched against the found value.
    #[serde(default)]
    pub regexes: Vec<String>,
    /// Finding fingerprints (from a report) to drop wherever they appear.
    #[serde(default)]
    pub fingerprints: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Lowest severity that makes the exit code 1.
    pub fail_on: Option<Severity>,
    /// Rules off by default to turn on.
    #[serde(default)]
    pub enable_rules: Vec<String>,
    /// Rules to turn off.
    #[serde(default)]
    pub disable_rules: Vec<String>,
    /// Only these providers' built-in rules (or these rule ids), as
    /// `--rules`: `rules = ["aws"]` makes an AWS-only hook.
    #[serde(default)]
    pub rules: Vec<String>,
    pub max_blob_size: Option<u64>,
}

impl Options {
    /// `[options]`' rule choices applied to `rules`: enabled, disabled, then
    /// only the providers picked. Scans and `keyfence rules` share it, so the
    /// list shows what a scan runs.
    pub fn choose_rules(&self, rules: &mut crate::rules::RuleSet) -> Result<()> {
        for id in &self.enable_rules {
            rules.set_enabled(id, true)?;
        }
        for id in &self.disable_rules {
            rules.set_enabled(id, false)?;
        }
        if !self.rules.is_empty() {
            rules.select(&self.rules)?;
        }
        Ok(())
    }
}

impl ProjectConfig {
    /// Read `.keyfence.toml` from `files`; a missing file is an empty config.
    pub fn load(files: &Files<'_>) -> Result<ProjectConfig> {
        let path = files.shown(Path::new(FILE_NAME));
        let Some(bytes) = files.read(Path::new(FILE_NAME), MAX_CONFIG_BYTES)? else {
            return Ok(ProjectConfig::default());
        };
        let text = String::from_utf8(bytes).map_err(|_| invalid(&path, "the file is not UTF-8".into()))?;
        Self::parse(&text, &path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<ProjectConfig> {
        toml::from_str(text).map_err(|e| {
            // toml names the line through a span; the key is the text before
            // `=` on that line (its messages for bad types do not name it).
            let location = e.span().map(|span| {
                let line = text[..span.start].matches('\n').count() + 1;
                let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
                let line_text = text[line_start..].lines().next().unwrap_or("");
                match line_text.split_once('=').map(|(key, _)| key.trim()).filter(|k| !k.is_empty()) {
                    Some(key) => format!("line {line}, key `{key}`: "),
                    None => format!("line {line}: "),
                }
            });
            invalid(path, format!("{}{}", location.unwrap_or_default(), one_line(e.message())))
        })
    }

    /// The allowlist compiled; a bad glob or regex names itself. Path globs
    /// are relative to `root`, the directory holding the config file.
    pub fn allowlist(&self, path: &Path, root: &Path) -> Result<ConfigAllowlist> {
        // Each glob becomes a regex: 200,000 of them cost gigabytes.
        for (key, count, max) in [
            ("allowlist.paths", self.allowlist.paths.len(), MAX_ALLOWLIST_PATHS),
            ("allowlist.regexes", self.allowlist.regexes.len(), MAX_ALLOWLIST_REGEXES),
        ] {
            if count > max {
                return Err(invalid(path, format!("{key}: {count} entries; the limit is {max}")));
            }
        }
        let mut globs = GlobSetBuilder::new();
        for pattern in &self.allowlist.paths {
            let glob = Glob::new(pattern).map_err(|e| invalid(path, format!("allowlist.paths: {e}")))?;
            globs.add(glob);
        }
        let regexes = self
            .allowlist
            .regexes
            .iter()
            .map(|r| {
                Regex::new(r)
                    .map_err(|e| invalid(path, format!("allowlist.regexes: '{r}': {}", one_line(&e.to_string()))))
            })
            .collect::<Result<Vec<_>>>()?;
        // A fingerprint that is not 32 hex digits can never match: the
        // finding it was meant to drop would fail builds with no hint why.
        let fingerprints = self
            .allowlist
            .fingerprints
            .iter()
            .map(|f| {
                crate::baseline::normalize_fingerprint(f).ok_or_else(|| {
                    invalid(path, format!("allowlist.fingerprints: '{f}' is not a fingerprint (32 hex digits)"))
                })
            })
            .collect::<Result<HashSet<_>>>()?;
        Ok(ConfigAllowlist {
            root: resolved(root),
            paths: globs.build().map_err(|e| invalid(path, format!("allowlist.paths: {e}")))?,
            regexes,
            fingerprints,
        })
    }
}

/// `path` made absolute with symlinks and `..` resolved; as absolute as
/// possible when it does not exist.
fn resolved(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn invalid(path: &Path, reason: String) -> Error {
    Error::Config { path: path.to_path_buf(), reason }
}

/// The project's allowlist, ready to test findings against.
pub struct ConfigAllowlist {
    /// The directory holding the config, absolute with `..` and symlinks
    /// resolved (gix may hand out `..` for a work tree found from below).
    root: PathBuf,
    paths: GlobSet,
    regexes: Vec<Regex>,
    fingerprints: HashSet<String>,
}

impl ConfigAllowlist {
    pub fn allows(&self, finding: &Finding) -> bool {
        self.fingerprints.contains(&finding.fingerprint)
            || self.regexes.iter().any(|r| r.is_match(&finding.secret))
            || (!finding.origin.path.is_empty() && self.paths.is_match(self.relative(finding)))
    }

    /// The finding's path relative to the config's directory. Paths from git
    /// objects already are (relative to the work tree root); file paths are
    /// resolved, so `scan fixtures/`, `scan .`, `scan /abs/repo` and a scan
    /// from a subdirectory agree.
    fn relative(&self, finding: &Finding) -> PathBuf {
        let path = PathBuf::from(String::from_utf8_lossy(&finding.origin.path).into_owned());
        if finding.origin.blob_id.is_some() {
            return path;
        }
        resolved(&path).strip_prefix(&self.root).map(Path::to_path_buf).unwrap_or(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_line_and_key() {
        let text = "[allowlist]\npaths = [\"a\"]\nbogus = 1\n";
        let err = ProjectConfig::parse(text, Path::new(".keyfence.toml")).unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("bogus"), "{err}");
        let err =
            ProjectConfig::parse("[options]\nfail-on = \"severe\"\n", Path::new("k.toml")).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("severe"), "{err}");
    }

    #[test]
    fn full_config_parses() {
        let text = r#"
[[rules]]
id = "corp-token"
name = "Corp token"
keywords = ["corp_"]
pattern = 'corp_[a-z0-9]{32}'

[allowlist]
paths = ["fixtures/**", "**/*.md"]
regexes = ['^AKIA.*TEST']
fingerprints = ["0123456789abcdef0123456789abcdef"]

[options]
fail-on = "medium"
enable-rules = ["aws-unique-id"]
"#;
        let config = ProjectConfig::parse(text, Path::new("k")).unwrap();
        assert_eq!(config.rules[0].id, "corp-token");
        assert_eq!(config.options.fail_on, Some(Severity::Medium));
        let allow = config.allowlist(Path::new("k"), Path::new("/repo")).unwrap();
        assert!(allow.paths.is_match("fixtures/a/b.env"));
        assert!(allow.paths.is_match("docs/x.md"));
        assert!(!allow.paths.is_match("src/main.rs"));
    }
}
