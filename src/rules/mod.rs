//! Rules are data. The built-in set is compiled in from `builtin/*.toml`,
//! one file per provider (listed in `BUILTIN`); users add more with the same
//! schema. This module parses and validates rules; it does not scan (that is
//! `scan`) and knows nothing about findings (that is `finding`): what a rule's
//! provider does after a match lives in `providers`, reached by `Rule::provider`.

pub mod ere;
pub mod git_secrets;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A built-in rule file as the build wrote it: `builtin/<id>.toml` as JSON
/// (`build.rs` says why).
macro_rules! builtin {
    ($provider:literal) => {
        ($provider, include_str!(concat!(env!("OUT_DIR"), "/builtin/", $provider, ".json")))
    };
}

/// The built-in rule files, `(provider id, JSON text)`: adding a provider's
/// rules is one line here plus its `builtin/<id>.toml`. Every rule in a file
/// names that provider (`provider = "<id>"`), checked at load.
const BUILTIN: &[(&str, &str)] = &[
    builtin!("aws"),
    builtin!("github"),
    builtin!("gitlab"),
    builtin!("slack"),
    builtin!("stripe"),
    builtin!("google"),
    builtin!("private-key"),
    builtin!("npm"),
    builtin!("pypi"),
    builtin!("openai"),
    builtin!("anthropic"),
    builtin!("huggingface"),
    builtin!("sendgrid"),
    builtin!("shopify"),
    builtin!("digitalocean"),
    builtin!("rubygems"),
    builtin!("nuget"),
    builtin!("docker"),
    builtin!("twilio"),
    builtin!("mailgun"),
    builtin!("mailchimp"),
    builtin!("heroku"),
    builtin!("azure"),
    builtin!("datadog"),
    builtin!("newrelic"),
    builtin!("sentry"),
    builtin!("atlassian"),
    builtin!("discord"),
    builtin!("telegram"),
    builtin!("database"),
    builtin!("jwt"),
];

/// How bad a finding of this rule is. Ordered, so `--fail-on` can compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// What the matched value is; decides how a finding is explained and redacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An access key id: not secret on its own, shown whole, account decoded.
    KeyId,
    /// A secret value: redacted to its first four characters.
    #[default]
    Secret,
    /// A bearer or session token: redacted like a secret.
    Token,
    /// A non-secret identifier (off by default).
    Identifier,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum KeywordCase {
    /// Keywords are matched as written.
    #[default]
    Exact,
    /// Each keyword also matches in lower, UPPER and Title case, which is how
    /// key names are spelled across INI, env, JSON and SDK code.
    Fold,
}

/// A check a token format lets keyfence make offline, by `scan::verify`: a
/// checksum it embeds, or a structure a regex cannot see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Checksum {
    /// GitHub's and npm's format: the last 6 characters are the CRC32 of the
    /// 30 before them, in base62 (`0-9A-Za-z`), zero-padded on the left.
    Base62Crc32,
    /// A JSON Web Token that is signed: its header decodes (base64url) to a
    /// JSON object naming an `alg` other than `none`. An unsigned token
    /// proves nothing to its verifier, so it is no credential.
    Jwt,
    /// Base64 of `user:password` (a docker `config.json` `auth`): printable
    /// text, a user, `:`, and a password of at least 8 characters.
    Base64Credentials,
    /// A Discord bot token: its first part is the bot's user id (a
    /// snowflake, 17-20 digits) in base64.
    DiscordId,
}

/// A second way to confirm a value: a key id of rule `with` close by.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pairing {
    pub with: String,
    pub lines: u32,
    pub pattern: String,
}

/// One detection rule, exactly as written in a rules file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub name: String,
    #[serde(default = "default_severity")]
    pub severity: Severity,
    #[serde(default)]
    pub kind: Kind,
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Prefilter literals. An empty list means the pattern runs over every
    /// byte of every blob (slow; for user rules that have no fixed anchor).
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub keyword_case: KeywordCase,
    pub pattern: String,
    #[serde(default)]
    pub min_entropy: f64,
    #[serde(default)]
    pub reject_hex: bool,
    /// Letters of one case only (an identifier, an HTML anchor) are not a
    /// value of a mixed-alphabet format: 40 random base64 characters are all
    /// lowercase with probability (26/64)^40, about 2e-16.
    #[serde(default)]
    pub reject_one_case: bool,
    #[serde(default)]
    pub ignore_suffixes: Vec<String>,
    /// Published examples that carry a marker mid-value (AWS's example
    /// session token holds `EXAMPLE` in the middle) are never findings.
    #[serde(default)]
    pub ignore_substrings: Vec<String>,
    /// Values that are placeholders when the whole value is one of these,
    /// in any case (`password`, `changeme` in a database URL).
    #[serde(default)]
    pub ignore_values: Vec<String>,
    #[serde(default)]
    pub pair: Option<Pairing>,
    /// An offline check the value's own format carries (`"base62-crc32"`);
    /// a value that fails it is not a finding.
    #[serde(default)]
    pub checksum: Option<Checksum>,
    /// How many bytes before its keyword a match may start (at most
    /// `MAX_LOOKBEHIND`; the scanner always allows 8, for escapes): for a
    /// value whose fixed part comes last (`…-us6`) or whose key name comes
    /// before a keyword that the value starts with (`token = eyJ…`).
    #[serde(default)]
    pub lookbehind: usize,
    /// A pattern that ends a block value (`-----END [A-Z ]+-----`): the
    /// value runs on through its first match within `MAX_BLOCK` bytes, so a
    /// multi-line key is one value and its fingerprint covers all of it.
    #[serde(default)]
    pub block_end: Option<String>,
    /// Rules whose match this rule's match overlaps are dropped for it: the
    /// more specific rule reports the secret once (a GCP key file's key,
    /// not also as a bare PEM key).
    #[serde(default)]
    pub supersedes: Vec<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// Who issued the secret: a `providers` id (`"aws"`). Every built-in rule
    /// names one; a user or git-secrets rule may, and otherwise gets the
    /// generic advice for a custom rule.
    #[serde(default)]
    pub provider: Option<String>,
    /// Shipped with keyfence (its patterns are unit-tested, so they may
    /// compile lazily); never set from a rules file.
    #[serde(skip)]
    pub builtin: bool,
    /// Report documentation examples and placeholders as findings
    /// (`--include-examples`); never set from a rules file.
    #[serde(skip)]
    pub report_examples: bool,
}

fn default_severity() -> Severity {
    Severity::High
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rules: Vec<Rule>,
}

/// A choice of rules made on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleChoice {
    /// `--enable-rule ID`: turn on a rule that is off by default.
    Enable(String),
    /// `--rules NAME,…`: only these providers' (or rules') built-in rules.
    Only(Vec<String>),
}

/// An ordered, validated collection of rules.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// The rules keyfence ships with, including disabled ones, from every
    /// file in `BUILTIN`. Each is validated here, as user rules are: the
    /// checks are a few byte comparisons per rule (patterns still compile
    /// lazily, in `scan`), so a hook's start-up does not notice them.
    pub fn builtin() -> Self {
        Self::load_builtin(BUILTIN, Self::parse_json).expect("built-in rules parse and validate (unit-tested)")
    }

    fn load_builtin(files: &[(&str, &str)], parse: fn(&str, &str) -> Result<Vec<Rule>>) -> Result<Self> {
        let mut set = RuleSet { rules: Vec::new() };
        for &(provider, text) in files {
            let origin = format!("built-in rules {provider}.toml");
            for mut rule in parse(text, &origin)? {
                validate(&rule)?;
                if rule.provider.as_deref() != Some(provider) {
                    return Err(Error::Rule {
                        id: rule.id,
                        reason: format!("{origin}: needs provider = \"{provider}\""),
                    });
                }
                if set.get(&rule.id).is_some() {
                    return Err(Error::Rule { id: rule.id, reason: format!("{origin}: the id is already taken") });
                }
                rule.builtin = true;
                set.rules.push(rule);
            }
        }
        Ok(set)
    }

    /// Parse rules from the JSON `build.rs` makes of a rules file.
    fn parse_json(text: &str, origin: &str) -> Result<Vec<Rule>> {
        let file: RulesFile =
            serde_json::from_str(text).map_err(|e| Error::Rule { id: origin.to_string(), reason: e.to_string() })?;
        Ok(file.rules)
    }

    /// Parse rules from TOML text (`[[rules]]` tables), naming `origin` in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Vec<Rule>> {
        let file: RulesFile = toml::from_str(text)
            .map_err(|e| Error::Rule { id: origin.to_string(), reason: e.message().to_string() })?;
        Ok(file.rules)
    }

    /// Add rules; a rule whose id already exists replaces it, and keeps the
    /// replaced rule's provider unless it names its own (a project that
    /// retunes `aws-unique-id` still gets AWS's advice for its findings).
    pub fn extend(&mut self, rules: impl IntoIterator<Item = Rule>) -> Result<()> {
        for mut rule in rules {
            validate(&rule)?;
            match self.rules.iter_mut().find(|r| r.id == rule.id) {
                Some(existing) => {
                    if rule.provider.is_none() {
                        rule.provider = existing.provider.take();
                    }
                    *existing = rule;
                }
                None => self.rules.push(rule),
            }
        }
        Ok(())
    }

    /// Turn rules on or off by id; an unknown id is an error, not a silent no-op.
    pub fn set_enabled(&mut self, id: &str, enabled: bool) -> Result<()> {
        let rule = self.rules.iter_mut().find(|r| r.id == id).ok_or_else(|| Error::Rule {
            id: id.to_string(),
            reason: "no rule has this id (see `keyfence rules`)".into(),
        })?;
        rule.enabled = enabled;
        Ok(())
    }

    /// Keep only the built-in rules `names` pick: a name is a provider id
    /// (`aws`: its rules that are on stay on) or a rule id (that rule, on
    /// even if it is off by default). Rules from `.keyfence.toml` and
    /// git-secrets patterns are the user's own and are not touched, unless
    /// named. A name that is neither is an error, not an empty scan.
    pub fn select(&mut self, names: &[String]) -> Result<()> {
        for name in names {
            let known = self.rules.iter().any(|r| r.id == *name || r.provider.as_deref() == Some(name));
            if !known {
                return Err(Error::Rule {
                    id: name.clone(),
                    reason: "no provider or rule has this name (see `keyfence rules`)".into(),
                });
            }
        }
        let named = |s: &str| names.iter().any(|n| n == s);
        for rule in &mut self.rules {
            if named(&rule.id) {
                rule.enabled = true;
            } else if rule.builtin && !rule.provider.as_deref().is_some_and(named) {
                rule.enabled = false;
            }
        }
        Ok(())
    }

    /// Apply the command line's choices, in order.
    pub fn choose(&mut self, choices: &[RuleChoice]) -> Result<()> {
        for choice in choices {
            match choice {
                RuleChoice::Enable(id) => self.set_enabled(id, true)?,
                RuleChoice::Only(names) => self.select(names)?,
            }
        }
        Ok(())
    }

    /// Every rule reports the documentation examples it would skip.
    pub fn report_examples(&mut self) {
        self.rules.iter_mut().for_each(|rule| rule.report_examples = true);
    }

    pub fn all(&self) -> &[Rule] {
        &self.rules
    }

    pub fn enabled(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.enabled)
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// A short hex id made from content (sha256 of `namespace`, NUL, `value`;
/// 16 bytes): finding fingerprints and git-secrets rule ids, so both stay the
/// same wherever and whenever the content appears.
pub fn content_id(namespace: &str, value: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(namespace.as_bytes());
    hasher.update([0]);
    hasher.update(value.as_bytes());
    hasher.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// A matched value as it stands, with JSON's `\/` escape undone, and the
/// URL escapes of base64's own characters (`%2B`, `%2F`, `%3D`: a session
/// token in a presigned URL): what is checked (entropy, suffixes), reported
/// and fingerprinted, so a key in a PHP `json_encode` dump or a query string
/// is the same finding as the key in plain text.
pub fn unescaped(value: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if memchr::memmem::find(value, b"\\/").is_none() && memchr::memchr(b'%', value).is_none() {
        return std::borrow::Cow::Borrowed(value);
    }
    let mut out = Vec::with_capacity(value.len());
    let mut rest = value;
    while let [first, tail @ ..] = rest {
        let (byte, width) = match (first, tail) {
            (b'\\', [b'/', ..]) => (b'/', 2),
            (b'%', [b'2', b'B' | b'b', ..]) => (b'+', 3),
            (b'%', [b'2', b'F' | b'f', ..]) => (b'/', 3),
            (b'%', [b'3', b'D' | b'd', ..]) => (b'=', 3),
            _ => (*first, 1),
        };
        out.push(byte);
        rest = &rest[width..];
    }
    std::borrow::Cow::Owned(out)
}

/// The most `Rule::lookbehind` may ask: the key name before a value.
pub const MAX_LOOKBEHIND: usize = 256;

/// How far a block value (`Rule::block_end`) may reach: an 8192-bit RSA key
/// in PEM is about 6.5 KB; a PGP secret key with subkeys some 10-20 KB.
pub const MAX_BLOCK: usize = 64 * 1024;

fn validate(rule: &Rule) -> Result<()> {
    let fail = |reason: &str| Error::Rule { id: rule.id.clone(), reason: reason.to_string() };
    if rule.id.is_empty() || !rule.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return Err(fail("ids are made of letters, digits, '-', '_' and '.'"));
    }
    if rule.keywords.iter().any(|k| k.is_empty()) {
        return Err(fail("a keyword cannot be empty"));
    }
    if rule.lookbehind > MAX_LOOKBEHIND {
        return Err(fail(&format!("lookbehind is at most {MAX_LOOKBEHIND} bytes")));
    }
    if rule.block_end.as_ref().is_some_and(|end| end.is_empty()) {
        return Err(fail("block_end cannot be empty"));
    }
    if !(0.0..=8.0).contains(&rule.min_entropy) {
        return Err(fail("min_entropy is in bits per byte, between 0 and 8"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_parse_and_validate() {
        let set = RuleSet::builtin();
        for rule in set.all() {
            validate(rule).unwrap();
        }
        // The list as it ships is `fixtures/rules.snapshot` (the output of
        // `keyfence rules`, compared by `tests/cli/rules_list.rs`).
        let snapshot = include_str!("../../fixtures/rules.snapshot");
        let shipped: Vec<(bool, &str)> = snapshot
            .lines()
            .map(|line| (line.starts_with("on "), line[5..].split_whitespace().next().unwrap()))
            .collect();
        let ids: Vec<_> = set.all().iter().map(|r| (r.enabled, r.id.as_str())).collect();
        assert_eq!(ids, shipped, "update fixtures/rules.snapshot (see tests/cli/rules_list.rs)");
        assert!(set.all().iter().all(|r| r.builtin && r.provider.is_some()));
    }

    /// `aws.toml`'s header promises readable patterns: a `'''(?x)` string
    /// over several lines, comments allowed, whitespace ignored (in `[...]` too).
    #[test]
    fn verbose_multi_line_patterns_parse_and_compile() {
        let text = "[[rules]]\nid = \"v\"\nname = \"v\"\npattern = '''(?x)\n  tok_    # the prefix\n  [a-z\\ ]{3}  # three letters or escaped spaces\n'''\n";
        let rule = &RuleSet::parse(text, "t").unwrap()[0];
        let regex = regex::bytes::Regex::new(&rule.pattern).unwrap();
        assert!(regex.is_match(b"tok_a b") && !regex.is_match(b"tok_\tab"));
    }

    #[test]
    fn builtin_files_must_name_their_provider_and_not_share_ids() {
        let rule = "[[rules]]\nid = \"x-one\"\nname = \"x\"\npattern = \"x\"\nprovider = \"x\"\n";
        assert!(RuleSet::load_builtin(&[("x", rule)], RuleSet::parse).is_ok());
        assert!(RuleSet::load_builtin(&[("y", rule)], RuleSet::parse).is_err(), "wrong provider");
        assert!(
            RuleSet::load_builtin(&[("x", rule), ("x", rule)], RuleSet::parse).is_err(),
            "duplicate id across files"
        );
        let bad_id = rule.replace("x-one", "x one");
        assert!(RuleSet::load_builtin(&[("x", &bad_id)], RuleSet::parse).is_err(), "validated at load");
    }

    #[test]
    fn select_keeps_the_named_providers_and_rules_and_refuses_unknown_names() {
        let mut set = RuleSet::builtin();
        let mine = "[[rules]]\nid = \"mine\"\nname = \"m\"\npattern = \"corp-[0-9]{6}\"\n";
        set.extend(RuleSet::parse(mine, "t").unwrap()).unwrap();
        set.select(&["aws".into(), "stripe-test-secret-key".into()]).unwrap();
        let on: Vec<&str> = set.enabled().map(|r| r.id.as_str()).collect();
        assert!(on.contains(&"aws-access-key-id") && on.contains(&"stripe-test-secret-key"), "{on:?}");
        assert!(!on.contains(&"aws-unique-id"), "a provider's off-by-default rules stay off");
        assert!(!on.contains(&"github-pat") && !on.contains(&"stripe-secret-key"), "{on:?}");
        assert!(on.contains(&"mine"), "a project's own rule is kept");
        assert!(RuleSet::builtin().select(&["nosuch".into()]).is_err());
    }

    #[test]
    fn user_rule_replaces_by_id_and_rejects_bad_ids() {
        let mut set = RuleSet::builtin();
        let extra =
            RuleSet::parse("[[rules]]\nid = \"aws-unique-id\"\nname = \"x\"\npattern = \"AIDA\"\n", "test").unwrap();
        set.extend(extra).unwrap();
        assert!(set.get("aws-unique-id").unwrap().enabled);
        assert_eq!(set.get("aws-unique-id").unwrap().provider.as_deref(), Some("aws"), "provider kept");
        let bad = RuleSet::parse("[[rules]]\nid = \"a b\"\nname = \"x\"\npattern = \"x\"\n", "test").unwrap();
        assert!(set.extend(bad).is_err());
        assert!(RuleSet::parse("[[rules]]\nid = 3\n", "cfg.toml").is_err());
        assert!(set.set_enabled("nope", true).is_err());
    }
}
