//! Who issued a secret, and what to do once it leaked. A rule names its
//! provider (`Rule::provider`); everything provider-specific after a match is
//! reached through the `Provider` here: decoding the account a key id belongs
//! to, the incident steps in the human report, `keyfence explain`, SARIF help.
//! Generic code (`finding`, `report`) asks the provider and never tests rule
//! ids. Adding a provider is a rules file in `rules/builtin/` and its
//! `Provider` in `ALL` (data: name, where to revoke, what to do); a module of
//! its own only for hooks (account decoding, response steps, explain).
//! Never calls the network.

pub mod aws;
pub mod catalog;

use crate::rules::Rule;

/// The response steps for one key id.
pub type Steps = fn(&str) -> String;

/// `keyfence explain ID`: `None` when `ID` is not this provider's,
/// otherwise the text or why the id cannot be one.
pub type Explain = fn(&str) -> Option<Result<String, ExplainError>>;

/// A provider's data and its optional hooks. Plain data plus function
/// pointers: one `static` per provider, no trait objects to register.
pub struct Provider {
    /// The id rules name in `provider = "…"`.
    pub id: &'static str,
    pub name: &'static str,
    /// Where a leaked credential is revoked.
    pub revoke_url: &'static str,
    /// What to do, in one or two lines, for a leaked secret that no key id
    /// identifies (so no `response_steps` name the credential to rotate).
    pub what_to_do: &'static str,
    /// How a decoded account is named in messages ("AWS account").
    pub account_label: &'static str,
    /// The account a key id belongs to, decoded offline.
    pub account: Option<fn(&str) -> Option<String>>,
    /// The short response steps for one leaked key id, for the human report.
    pub response_steps: Option<Steps>,
    pub explain: Option<Explain>,
    /// What `explain` takes, for the error when no provider knows an id
    /// ("an AWS key id (AKIA…, ASIA…, 20 characters)").
    pub explain_takes: &'static str,
    /// Appended to a rule's description in SARIF `help`.
    pub sarif_help: &'static str,
    /// Whether a key id is a placeholder by what it means (it names a
    /// documentation account), which no entropy floor can see: such an id
    /// is a documentation example, never a finding.
    pub placeholder: Option<fn(&str) -> bool>,
}

/// Every provider keyfence knows, in the order reports list them. Each
/// built-in rule file's provider must be here (a test checks).
pub const ALL: &[&Provider] = &[
    &aws::PROVIDER,
    &catalog::GITHUB,
    &catalog::GITLAB,
    &catalog::SLACK,
    &catalog::STRIPE,
    &catalog::GOOGLE,
    &catalog::PRIVATE_KEY,
    &catalog::NPM,
    &catalog::PYPI,
    &catalog::OPENAI,
    &catalog::ANTHROPIC,
    &catalog::HUGGINGFACE,
    &catalog::SENDGRID,
    &catalog::SHOPIFY,
    &catalog::DIGITALOCEAN,
    &catalog::RUBYGEMS,
    &catalog::NUGET,
    &catalog::DOCKER,
    &catalog::TWILIO,
    &catalog::MAILGUN,
    &catalog::MAILCHIMP,
    &catalog::HEROKU,
    &catalog::AZURE,
    &catalog::DATADOG,
    &catalog::NEWRELIC,
    &catalog::SENTRY,
    &catalog::ATLASSIAN,
    &catalog::DISCORD,
    &catalog::TELEGRAM,
    &catalog::DATABASE,
    &catalog::JWT,
];

/// Generic advice for a secret of a rule with no provider (a project or
/// git-secrets rule): keyfence cannot know where it was issued.
pub const CUSTOM_ADVICE: &str = "For a secret found by a custom rule: revoke it where it was issued and replace it.";

/// `keyfence explain` was given something it cannot explain.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ExplainError(pub String);

pub fn get(id: &str) -> Option<&'static Provider> {
    ALL.iter().copied().find(|p| p.id == id)
}

/// Whether `value`, matched by `rule`, is a key id its provider calls a
/// placeholder (`Provider::placeholder`).
pub fn is_placeholder(rule: &Rule, value: &[u8]) -> bool {
    if rule.kind != crate::rules::Kind::KeyId {
        return false;
    }
    let Some(placeholder) = rule.provider.as_deref().and_then(get).and_then(|p| p.placeholder) else { return false };
    std::str::from_utf8(value).is_ok_and(placeholder)
}

/// The provider a rule names, if keyfence knows it.
pub fn of(rule: &Rule) -> Option<&'static Provider> {
    rule.provider.as_deref().and_then(get)
}

/// The paragraph before the response steps in the human report.
pub fn preamble(from_history: bool) -> &'static str {
    if from_history {
        "A key that reached git history is exposed to everyone who can clone the repository: deleting the file, or \
         even rewriting history, does not help once it was pushed. Treat it as compromised and rotate it."
    } else {
        "If this key was ever pushed, shared or committed anywhere, treat it as compromised: scripts find keys in \
         public repositories within minutes. If it never left this machine, remove it and use a credentials \
         profile or an IAM role instead."
    }
}

/// `keyfence explain ID`: the first provider that knows the id answers; a
/// finding fingerprint gets what it is; anything else is an error naming
/// what explain takes.
pub fn explain(id: &str) -> Result<String, ExplainError> {
    let id = id.trim();
    for explain in ALL.iter().filter_map(|p| p.explain) {
        if let Some(answer) = explain(id) {
            return answer;
        }
    }
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(format!(
            "{id} is a finding's fingerprint: a hash of the rule and the secret value, the same wherever and \
             whenever the secret appears (any commit, path or line). It cannot be turned back into the secret.\n\
             Find the finding it belongs to with `keyfence scan --history --format json` and look for this \
             fingerprint; `keyfence explain KEY_ID` then gives the response steps for its key id.\n"
        ));
    }
    let takes: Vec<&str> = ALL.iter().filter(|p| p.explain.is_some()).map(|p| p.explain_takes).collect();
    Err(ExplainError(format!(
        "'{id}' is neither {}, nor a token or line a built-in rule matches (see `keyfence rules`), nor a \
         32-hex-digit finding fingerprint",
        takes.join(" nor ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    #[test]
    fn every_builtin_rule_names_a_known_provider() {
        for rule in RuleSet::builtin().all() {
            assert!(of(rule).is_some(), "{}: provider {:?} is not in providers::ALL", rule.id, rule.provider);
        }
    }

    #[test]
    fn explain_falls_through_to_fingerprints_then_errors() {
        assert!(explain(" 0123456789abcdef0123456789abcdef ").unwrap().contains("fingerprint"));
        let error = explain("hello").unwrap_err().to_string();
        assert_eq!(
            error,
            "'hello' is neither an AWS key id (AKIA…, ASIA…, 20 characters), nor a token or line a built-in rule \
             matches (see `keyfence rules`), nor a 32-hex-digit finding fingerprint"
        );
    }
}
