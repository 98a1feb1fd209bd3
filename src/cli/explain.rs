//! `keyfence explain ID`: what a key id, a finding's fingerprint or any
//! token a built-in rule matches means, and what to do. Key ids and
//! fingerprints are the providers' (`providers::explain`); a token is
//! recognised here by scanning it, which `providers` may not do (`scan`
//! asks `providers` about placeholders).

use crate::providers::{self, ExplainError};
use crate::rules::RuleSet;
use crate::scan::{Scanner, Scratch};

/// The providers' answer, else the answer of the rule that matches `id`,
/// else the providers' error (which names everything explain takes).
pub fn explain(id: &str) -> Result<String, ExplainError> {
    providers::explain(id).or_else(|error| by_rule(id.trim()).ok_or(error))
}

/// What a token is when a built-in rule matches it (off-by-default rules
/// too: `explain` is asked about one value, not a tree): its rule, its
/// provider's steps and where to revoke it. A format with no prefix (a
/// Twilio or Datadog key) matches only with its name, so `explain` takes
/// the line it sits on as well as the token. The token is printed
/// redacted: the answer may be pasted into a ticket.
fn by_rule(text: &str) -> Option<String> {
    let mut rules = RuleSet::builtin();
    let off: Vec<String> = rules.all().iter().filter(|r| !r.enabled).map(|r| r.id.clone()).collect();
    for id in &off {
        rules.set_enabled(id, true).ok()?;
    }
    let scanner = Scanner::new(&rules).ok()?;
    let mut scratch = Scratch::default();
    let found = scanner.scan(text.as_bytes(), &mut scratch).first()?.clone();
    let rule = scanner.rule(found.rule);
    let provider = providers::of(rule)?;
    let value = String::from_utf8_lossy(&text.as_bytes()[found.start..found.end]);
    let shown = crate::finding::redact(&value);
    Some(format!(
        "{shown} is a {} ({}, rule {}, severity {}).\n{}\n\n\
         If it was ever committed, pushed or shared, treat it as compromised: keyfence cannot tell (it makes \
         no network call) whether it is still valid.\n{}\nRevoke: {}\n",
        rule.name,
        provider.name,
        rule.id,
        rule.severity.as_str(),
        rule.description,
        provider.what_to_do,
        provider.revoke_url,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every provider's tokens are explained: each built-in rule's first
    /// example gets its provider's steps and revoke URL, and the value is
    /// never printed whole.
    #[test]
    fn explain_answers_for_every_rule_and_provider() {
        let mut explained = std::collections::BTreeSet::new();
        for rule in RuleSet::builtin().all() {
            let example = &rule.examples[0];
            let provider = providers::of(rule).unwrap();
            let answer = explain(example).unwrap_or_else(|e| panic!("{}: {example}: {e}", rule.id));
            assert!(answer.contains(provider.name), "{}: {answer}", rule.id);
            let steps = answer.contains(provider.what_to_do) && answer.contains(provider.revoke_url);
            assert!(steps || provider.explain.is_some(), "{}: {answer}", rule.id);
            if rule.kind != crate::rules::Kind::KeyId {
                let scanner = Scanner::new(&RuleSet::builtin()).unwrap();
                let mut scratch = Scratch::default();
                for m in scanner.scan(example.as_bytes(), &mut scratch) {
                    let value = &example[m.start..m.end];
                    assert!(!answer.contains(value), "{}: prints the value whole: {answer}", rule.id);
                }
            }
            explained.insert(provider.id);
        }
        assert_eq!(explained.len(), providers::ALL.len(), "every provider has a rule that explain answers for");
    }
}
