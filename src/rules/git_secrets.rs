//! git-secrets configuration as keyfence rules: `secrets.patterns`,
//! `secrets.allowed`, `secrets.providers` (every git config scope, includes
//! resolved by gix); `.gitallowed` is parsed here, read by the engine.
//!
//! Patterns are POSIX ERE as GNU grep reads them; `ere` translates them to
//! Rust regex syntax, and anything it cannot translate faithfully is
//! refused with the pattern named (never guessed). Prohibited patterns keep
//! `grep -w` semantics: a match counts only between non-word bytes.

use std::path::{Path, PathBuf};

use regex::bytes::Regex;

use super::ere::{compile, translate_ere};
use super::{Kind, Rule, Severity};
use crate::error::{Error, Result};

/// The patterns `git secrets --register-aws` writes, in every version we
/// know. keyfence's own AWS rules replace them (with base32, entropy and
/// context checks) except in `git-secrets` mode, where they run verbatim.
const REGISTER_AWS_PATTERNS: [&str; 6] = [
    "(A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}",
    "ABSK[A-Za-z0-9+/]{109,}=*",
    "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t",
    r#"("|')?(AWS|aws|Aws)?_?(SECRET|secret|Secret)?_?(ACCESS|access|Access)?_?(KEY|key|Key)("|')?\s*(:|=>|=)\s*("|')?[A-Za-z0-9/\+=]{40}("|')?"#,
    r#"("|')?(AWS|aws|Aws)?_?(ACCOUNT|account|Account)_?(ID|id|Id)?("|')?\s*(:|=>|=)\s*("|')?[0-9]{4}\-?[0-9]{4}\-?[0-9]{4}("|')?"#,
    "[A-Z0-9]{20}",
];

/// The provider `--register-aws` installs; run natively, not through a shell.
pub const AWS_PROVIDER: &str = "git secrets --aws-provider";

/// Characters git-secrets' `--aws-provider` and `--add -l` escape.
const PROVIDER_META: &[char] = &[']', '.', '|', '$', '(', ')', '{', '}', '?', '+', '*', '^'];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// keyfence's defaults: built-in AWS rules replace git-secrets' AWS
    /// patterns; allowed patterns suppress only the matches they overlap.
    Keyfence,
    /// Invoked as `git-secrets`: every pattern verbatim, and an allowed
    /// pattern anywhere in the output line suppresses the whole line.
    GitSecrets,
}

/// What a git-secrets user has configured.
#[derive(Debug, Clone, Default)]
pub struct GitSecretsConfig {
    pub patterns: Vec<String>,
    pub allowed: Vec<String>,
    pub providers: Vec<String>,
    /// Whether provider commands may run: only for repositories (and the
    /// user's own global config) that git would trust.
    pub providers_trusted: bool,
    pub work_tree: Option<PathBuf>,
}

impl GitSecretsConfig {
    /// Read from a repository's merged config (system, global, local,
    /// includes) and its `.gitallowed`, or from the global scopes alone.
    pub fn load(repo: Option<&gix::Repository>) -> Result<GitSecretsConfig> {
        let mut config = GitSecretsConfig::default();
        let globals;
        let file = match repo {
            Some(repo) => {
                config.providers_trusted = repo.git_dir_trust() == gix::sec::Trust::Full;
                config.work_tree = repo.workdir().map(Path::to_path_buf);
                repo.config_snapshot().plumbing().clone()
            }
            None => {
                config.providers_trusted = true;
                globals = gix::config::File::from_globals()
                    .map_err(|e| Error::Git(format!("cannot read the global git config: {e}")))?;
                globals
            }
        };
        config.patterns = strings(&file, "secrets.patterns")?;
        config.allowed = strings(&file, "secrets.allowed")?;
        config.providers = strings(&file, "secrets.providers")?;
        // `.gitallowed` is repository content: the engine decides where it
        // is read from and whether it applies (`parse_gitallowed`).
        Ok(config)
    }

    /// Every prohibited pattern: configured ones plus what providers print.
    pub fn prohibited(&self) -> Result<Vec<String>> {
        let mut patterns = self.patterns.clone();
        for provider in &self.providers {
            patterns.extend(run_provider(provider, self.providers_trusted, self.work_tree.as_deref())?);
        }
        Ok(patterns)
    }

    /// The prohibited patterns as keyfence rules.
    pub fn rules(&self, mode: Mode) -> Result<Vec<Rule>> {
        let mut rules = Vec::new();
        for pattern in self.prohibited()? {
            if mode == Mode::Keyfence && REGISTER_AWS_PATTERNS.contains(&pattern.as_str()) {
                continue;
            }
            rules.push(prohibited_rule(&pattern)?);
        }
        Ok(rules)
    }

    pub fn allowlist(&self, mode: Mode) -> Result<Allowlist> {
        let regexes = self
            .allowed
            .iter()
            .map(|p| {
                compile(&translate_ere(p).map_err(|reason| bad_pattern(p, &reason))?).map_err(|e| bad_pattern(p, &e))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Allowlist { regexes, whole_line: mode == Mode::GitSecrets })
    }
}

fn strings(file: &gix::config::File, key: &str) -> Result<Vec<String>> {
    file.strings(key)
        .unwrap_or_default()
        .into_iter()
        .map(|value| {
            if value.contains(&0) {
                return Err(Error::Git(format!("git config {key} holds a value with a NUL byte: {value:?}")));
            }
            String::from_utf8(value.to_vec())
                .map_err(|_| Error::Git(format!("git config {key} holds a value that is not UTF-8: {value:?}")))
        })
        .collect()
}

/// `.gitallowed`: one ERE per line; blank lines and `#` comments skipped.
pub fn parse_gitallowed(bytes: Vec<u8>, path: &Path) -> Result<Vec<String>> {
    let text = String::from_utf8(bytes).map_err(|_| Error::Git(format!("{} is not UTF-8", path.display())))?;
    Ok(text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| l.split_whitespace().next().is_some_and(|first| !first.starts_with('#')))
        .map(str::to_string)
        .collect())
}

/// Run a provider and split its output on whitespace, as git-secrets does.
fn run_provider(command: &str, trusted: bool, cwd: Option<&Path>) -> Result<Vec<String>> {
    let words: Vec<&str> = command.split_whitespace().collect();
    if let ["git", "secrets", "--aws-provider", rest @ ..] = words.as_slice() {
        return aws_provider(rest.first().map(PathBuf::from));
    }
    if !trusted {
        return Err(Error::Git(format!(
            "refusing to run secrets.providers command '{command}': the repository is not owned by you (see git's safe.directory)"
        )));
    }
    let mut shell = std::process::Command::new("sh");
    shell.arg("-c").arg(command).stdin(std::process::Stdio::null());
    if let Some(cwd) = cwd {
        shell.current_dir(cwd);
    }
    let output =
        shell.output().map_err(|e| Error::Git(format!("cannot run secrets.providers command '{command}': {e}")))?;
    if !output.status.success() {
        return Err(Error::Git(format!("secrets.providers command '{command}' failed ({})", output.status)));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text.split_whitespace().map(str::to_string).collect())
}

/// git-secrets' `--aws-provider`: the literal key values in an AWS
/// credentials file (default `~/.aws/credentials`), regex-escaped.
pub fn aws_provider(file: Option<PathBuf>) -> Result<Vec<String>> {
    let path = match file {
        Some(path) => path,
        None => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".aws/credentials"),
            None => return Ok(Vec::new()),
        },
    };
    let text = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(Error::Io { path, source }),
    };
    Ok(text
        .lines()
        .filter(|line| line.contains("aws_access_key_id") || line.contains("aws_secret_access_key"))
        .filter_map(|line| line.split('=').nth(1))
        .map(|value| escape_literal(&value.replace([' ', '"'], ""), PROVIDER_META))
        .filter(|value| !value.is_empty())
        .collect())
}

/// Backslash-escape `meta` characters, as git-secrets' sed calls do.
pub fn escape_literal(value: &str, meta: &[char]) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if meta.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The characters `git secrets --add --literal` escapes (not `]`).
pub const LITERAL_META: &[char] = &['.', '|', '$', '(', ')', '{', '}', '?', '+', '*', '^'];

fn bad_pattern(pattern: &str, reason: &str) -> Error {
    Error::Rule { id: format!("git-secrets pattern '{pattern}'"), reason: reason.to_string() }
}

/// A prohibited pattern as a keyword-less rule with `grep -w` boundaries.
fn prohibited_rule(pattern: &str) -> Result<Rule> {
    let translated = translate_ere(pattern).map_err(|reason| bad_pattern(pattern, &reason))?;
    let bounded = format!("(?m)(?:^|[^0-9A-Za-z_])(?P<secret>{translated})(?:[^0-9A-Za-z_]|$)");
    Ok(Rule {
        id: format!("git-secrets-{}", &super::content_id("git-secrets", pattern)[..8]),
        name: format!("git-secrets pattern {pattern}"),
        severity: Severity::High,
        kind: Kind::Secret,
        enabled: true,
        keywords: Vec::new(),
        keyword_case: Default::default(),
        pattern: bounded,
        min_entropy: 0.0,
        reject_hex: false,
        ignore_suffixes: Vec::new(),
        ignore_substrings: Vec::new(),
        pair: None,
        checksum: None,
        description: format!("Prohibited by git config secrets.patterns (or a provider): {pattern}"),
        references: Vec::new(),
        examples: Vec::new(),
        negative_examples: Vec::new(),
        provider: None,
        builtin: false,
    })
}

/// Allowed patterns, matched against the git-secrets output line
/// `[commit:]path:line:text`.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    regexes: Vec<Regex>,
    whole_line: bool,
}

impl Allowlist {
    pub fn is_empty(&self) -> bool {
        self.regexes.is_empty()
    }

    /// Whether a finding is allowed. `prefix` is `[commit:]path:line:`
    /// (`Finding::location_prefix`), `text` the matched line, `value` the
    /// value's byte range in `text`: plain fields, so rules need not know
    /// the `Finding` type. Per-match (keyfence): an allowed match must
    /// overlap the value, or lie wholly in the prefix (a pattern naming a
    /// file). Whole-line (git-secrets): any allowed match anywhere drops the line.
    pub fn allows(&self, prefix: &[u8], text: &[u8], value: std::ops::Range<usize>) -> bool {
        let mut line = Vec::with_capacity(prefix.len() + text.len());
        line.extend_from_slice(prefix);
        line.extend_from_slice(text);
        let value = prefix.len() + value.start..prefix.len() + value.end;
        self.regexes.iter().any(|regex| {
            regex
                .find_iter(&line)
                .any(|m| self.whole_line || (m.start() < value.end && value.start < m.end()) || m.end() <= prefix.len())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(ere: &str, hay: &str) -> bool {
        compile(&translate_ere(ere).unwrap()).unwrap().is_match(hay.as_bytes())
    }

    #[test]
    fn translates_git_secrets_own_patterns() {
        for p in REGISTER_AWS_PATTERNS {
            let t = translate_ere(p).unwrap();
            compile(&t).unwrap();
        }
        assert!(matches(REGISTER_AWS_PATTERNS[0], "AKIAIOSFODNN7EXAMPLE"));
        assert!(matches(
            REGISTER_AWS_PATTERNS[3],
            "aws_secret_access_key = \"0123456789012345678901234567890123456789\""
        ));
        // POSIX reads `\+` inside brackets as a backslash and a plus.
        assert!(matches("[A-Z\\+]{2}", "\\+"));
    }

    #[test]
    fn word_bounded_like_grep_w() {
        let rule = prohibited_rule("forbidden|me").unwrap();
        let re = compile(&rule.pattern).unwrap();
        assert!(!re.is_match(b"mesa Jar Jar Binks"));
        assert!(re.is_match(b"foo.me"));
        assert!(re.is_match(b"\"me\""));
        let key = compile(&prohibited_rule(REGISTER_AWS_PATTERNS[0]).unwrap().pattern).unwrap();
        assert!(!key.is_match(b"fooAKIAIOSFODNN7EXAMPLE"));
        assert!(!key.is_match(b"AKIAIOSFODNN7EXAMPLEQ"));
        assert!(key.is_match(b"\"AKIAIOSFODNN7EXAMPLE\""));
    }

    #[test]
    fn allowlist_modes() {
        let config = GitSecretsConfig {
            allowed: vec!["AKIAIOSFODNN7EXAMPLE".into(), "^fixtures/".into()],
            ..Default::default()
        };
        let per_match = config.allowlist(Mode::Keyfence).unwrap();
        let text = b"a = AKIAIOSFODNN7EXAMPLE b = AKIA2E3MTGS5LTN4WCQV";
        assert!(per_match.allows(b"f:1:", text, 4..24));
        assert!(!per_match.allows(b"f:1:", text, 29..49));
        assert!(per_match.allows(b"fixtures/x:1:", text, 29..49));
        let whole = config.allowlist(Mode::GitSecrets).unwrap();
        assert!(whole.allows(b"f:1:", text, 29..49));
    }

    #[test]
    fn aws_provider_reads_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(
            &path,
            "aws_access_key_id = abc123\naws_secret_access_key=foobaz\naws_access_key_id= Hoagie+man\nregion=x\n",
        )
        .unwrap();
        assert_eq!(aws_provider(Some(path)).unwrap(), ["abc123", "foobaz", "Hoagie\\+man"]);
    }
}
