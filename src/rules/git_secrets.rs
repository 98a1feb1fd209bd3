//! git-secrets configuration as keyfence rules: `secrets.patterns`,
//! `secrets.allowed`, `secrets.providers` (every git config scope, includes
//! resolved by gix); `.gitallowed` is parsed here, read by the engine.
//!
//! Patterns are POSIX ERE as GNU grep reads them; `ere` translates them to
//! Rust regex syntax, and anything it cannot translate faithfully is
//! refused with the pattern named (never guessed). Prohibited patterns keep
//! `grep -w` semantics: a match counts only between non-word bytes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

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

    /// The prohibited patterns as keyfence rules, named by ordinal and hash
    /// (`git-secrets pattern #3 (a4c1b2d3)`), never by the pattern itself: a
    /// provider's patterns are literal secrets (`--aws-provider` prints the
    /// key values in `~/.aws/credentials`), and so is a pattern added with
    /// `git secrets --add --literal`. Rule names reach json, jsonl and SARIF.
    pub fn rules(&self, mode: Mode) -> Result<Vec<Rule>> {
        let mut rules = Vec::new();
        for (i, pattern) in self.prohibited()?.iter().enumerate() {
            if mode == Mode::Keyfence && REGISTER_AWS_PATTERNS.contains(&pattern.as_str()) {
                continue;
            }
            // A configured pattern that cannot be translated is named in the
            // error (the user must find it in their git config); a
            // provider's never is.
            let configured = i < self.patterns.len();
            rules.push(prohibited_rule(pattern, i + 1).map_err(|e| match e {
                Error::Rule { id, reason } if configured => Error::Rule { id: format!("{id} '{pattern}'"), reason },
                Error::Rule { id, .. } => Error::Rule {
                    id,
                    reason: "a secrets.providers command printed a pattern keyfence cannot translate".into(),
                },
                other => other,
            })?);
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

/// How long a `secrets.providers` command may run, how much it may print,
/// and how long and how many its patterns may be. Past any of them the scan
/// stops with exit 2 naming the command: a provider that hangs would hang
/// every commit, and one that floods would cost memory without bound (each
/// pattern becomes a keyword-less rule run over every byte).
#[derive(Debug, Clone, Copy)]
struct ProviderLimits {
    timeout: Duration,
    output: usize,
    pattern: usize,
    patterns: usize,
}

const PROVIDER_LIMITS: ProviderLimits =
    ProviderLimits { timeout: Duration::from_secs(5), output: 1 << 20, pattern: 4096, patterns: 1000 };

/// Read at most `cap + 1` bytes of `pipe` on a thread of its own, then
/// either drain the rest (`drain`: stderr, whose excess is dropped) or keep
/// the pipe open undrained until the receiver is gone (stdout: a writer past
/// the cap is killed, not sent SIGPIPE halfway). The thread is never joined,
/// so a pipe held open by a process that outlives a kill blocks nothing.
fn capped_reader(
    mut pipe: impl Read + Send + 'static,
    cap: usize,
    drain: bool,
) -> std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let read = (&mut pipe).take(cap as u64 + 1).read_to_end(&mut out).map(|_| out);
        let _ = sender.send(read);
        if drain {
            let _ = std::io::copy(&mut pipe, &mut std::io::sink());
            return;
        }
        while sender.send(Ok(Vec::new())).is_ok() {
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    receiver
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
    run_limited(command, cwd, PROVIDER_LIMITS)
}

fn run_limited(command: &str, cwd: Option<&Path>, limits: ProviderLimits) -> Result<Vec<String>> {
    use std::os::unix::process::CommandExt;
    let fail = |what: String| Error::Git(format!("secrets.providers command '{command}' {what}"));
    let mut shell = std::process::Command::new("sh");
    // Its own process group, so a time-out kills what it started too (a
    // grandchild holding a pipe open would otherwise outlive it), and its
    // stderr captured: nothing it leaves behind holds keyfence's.
    shell.arg("-c").arg(command).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    shell.process_group(0);
    if let Some(cwd) = cwd {
        shell.current_dir(cwd);
    }
    let started = Instant::now();
    let mut child = shell.spawn().map_err(|e| fail(format!("cannot be run: {e}")))?;
    let stdout = capped_reader(child.stdout.take().expect("stdout is piped"), limits.output, false);
    let stderr = capped_reader(child.stderr.take().expect("stderr is piped"), 4096, true);
    let stop = |child: &mut std::process::Child, error: Error| {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = child.kill();
        let _ = child.wait();
        Err(error)
    };
    let timed_out = || fail(format!("did not finish within {} s", limits.timeout.as_secs_f64()));
    let output = match stdout.recv_timeout(limits.timeout) {
        Ok(Ok(out)) if out.len() > limits.output => {
            return stop(&mut child, fail(format!("printed more than {} bytes", limits.output)));
        }
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return stop(&mut child, fail(format!("output cannot be read: {e}"))),
        Err(_) => return stop(&mut child, timed_out()),
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < limits.timeout => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => return stop(&mut child, timed_out()),
            Err(e) => return stop(&mut child, fail(format!("cannot be waited for: {e}"))),
        }
    };
    if !status.success() {
        // Its first line of stderr, if any, says why (one line of ours).
        let said = stderr.recv_timeout(Duration::from_millis(100)).ok().and_then(|r| r.ok()).unwrap_or_default();
        let said = String::from_utf8_lossy(&said);
        let first = said.lines().map(str::trim).find(|l| !l.is_empty()).map(|l| l.chars().take(200).collect());
        return Err(fail(format!("failed ({status}){}", first.map_or(String::new(), |l: String| format!(": {l}")))));
    }
    let text = String::from_utf8_lossy(&output);
    let patterns: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    if let Some(long) = patterns.iter().find(|p| p.len() > limits.pattern) {
        return Err(fail(format!(
            "printed a pattern of {} bytes (at most {} are accepted)",
            long.len(),
            limits.pattern
        )));
    }
    if patterns.len() > limits.patterns {
        return Err(fail(format!("printed {} patterns (at most {} are accepted)", patterns.len(), limits.patterns)));
    }
    Ok(patterns)
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

/// How a prohibited pattern is named wherever keyfence prints it: its
/// 1-based place in `prohibited()` and the first 8 hex digits of its
/// content id (also the rule id's suffix).
pub fn pattern_name(pattern: &str, ordinal: usize) -> String {
    format!("git-secrets pattern #{ordinal} ({})", &super::content_id("git-secrets", pattern)[..8])
}

/// A prohibited pattern as a keyword-less rule with `grep -w` boundaries.
fn prohibited_rule(pattern: &str, ordinal: usize) -> Result<Rule> {
    let name = pattern_name(pattern, ordinal);
    let translated =
        translate_ere(pattern).map_err(|reason| Error::Rule { id: name.clone(), reason: reason.to_string() })?;
    let bounded = format!("(?m)(?:^|[^0-9A-Za-z_])(?P<secret>{translated})(?:[^0-9A-Za-z_]|$)");
    Ok(Rule {
        id: format!("git-secrets-{}", &super::content_id("git-secrets", pattern)[..8]),
        description: format!(
            "{name}: prohibited by git config secrets.patterns or printed by a secrets.providers command (not shown: it may be a literal secret)"
        ),
        name,
        severity: Severity::High,
        kind: Kind::Secret,
        enabled: true,
        keywords: Vec::new(),
        keyword_case: Default::default(),
        pattern: bounded,
        min_entropy: 0.0,
        reject_hex: false,
        reject_one_case: false,
        ignore_suffixes: Vec::new(),
        ignore_substrings: Vec::new(),
        ignore_values: Vec::new(),
        pair: None,
        checksum: None,
        lookbehind: 0,
        block_end: None,
        supersedes: Vec::new(),
        references: Vec::new(),
        examples: Vec::new(),
        negative_examples: Vec::new(),
        provider: None,
        builtin: false,
        report_examples: false,
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
        let rule = prohibited_rule("forbidden|me", 1).unwrap();
        let re = compile(&rule.pattern).unwrap();
        assert!(!re.is_match(b"mesa Jar Jar Binks"));
        assert!(re.is_match(b"foo.me"));
        assert!(re.is_match(b"\"me\""));
        let key = compile(&prohibited_rule(REGISTER_AWS_PATTERNS[0], 1).unwrap().pattern).unwrap();
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

    #[test]
    fn provider_commands_are_killed_at_the_time_limit_and_capped() {
        let limits = ProviderLimits { timeout: Duration::from_millis(500), output: 1000, pattern: 10, patterns: 3 };
        let started = Instant::now();
        let err = run_limited("sleep 30", None, limits).unwrap_err().to_string();
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        assert!(err.contains("'sleep 30'") && err.contains("did not finish within 0.5 s"), "{err}");
        let err = run_limited("exec >&-; sleep 30", None, limits).unwrap_err().to_string();
        assert!(err.contains("did not finish"), "closed stdout, still running: {err}");
        let err = run_limited("yes abc", None, limits).unwrap_err().to_string();
        assert!(err.contains("printed more than 1000 bytes"), "{err}");
        let err = run_limited("echo 0123456789a", None, limits).unwrap_err().to_string();
        assert!(err.contains("a pattern of 11 bytes"), "{err}");
        let err = run_limited("echo a b c d", None, limits).unwrap_err().to_string();
        assert!(err.contains("printed 4 patterns"), "{err}");
        assert_eq!(run_limited("echo a 'b\\.c'", None, limits).unwrap(), ["a", "b\\.c"]);
        let err = run_limited("echo why >&2; exit 3", None, limits).unwrap_err().to_string();
        assert!(err.contains("failed (exit status: 3): why"), "{err}");
        let chatty = "head -c 100000 /dev/zero | tr '\\0' x >&2; echo ok";
        assert_eq!(run_limited(chatty, None, limits).unwrap(), ["ok"], "stderr past its cap is drained");
    }
}
