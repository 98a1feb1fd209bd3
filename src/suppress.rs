//! What drops a finding after the scan: the project allowlist
//! (`.keyfence.toml`), git-secrets' allowed patterns (`secrets.allowed`,
//! `.gitallowed`) and a baseline. Gathered in one [`Suppressors`] value that
//! the engine builds once and hands to the pipeline as plain predicates;
//! inline `keyfence:allow` markers are applied earlier, in `finding`.
//!
//! Applied when the scan is finished, once history findings know their
//! commit and path (the pipeline's `with_suppressor`).

use std::collections::HashSet;
use std::sync::Arc;

use crate::config::ConfigAllowlist;
use crate::finding::Finding;
use crate::rules::git_secrets::Allowlist as GitSecretsAllowlist;

/// The pipeline's suppressor shape (`pipeline::Suppressor`), spelled out so
/// this module does not depend on the pipeline.
pub type Predicate = Arc<dyn Fn(&Finding) -> bool + Send + Sync>;

/// Why a finding was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// `.keyfence.toml`'s `[allowlist]` (paths, regexes, fingerprints).
    ProjectAllowlist,
    /// A git-secrets allowed pattern.
    GitSecretsAllowed,
    /// Its fingerprint is in the `--baseline` file.
    Baseline,
}

/// Every post-scan suppression of one run; empty by default.
#[derive(Default)]
pub struct Suppressors {
    project: Option<ConfigAllowlist>,
    git_secrets: Option<GitSecretsAllowlist>,
    baseline: Option<HashSet<String>>,
}

impl Suppressors {
    pub fn with_project(mut self, allowlist: ConfigAllowlist) -> Self {
        self.project = Some(allowlist);
        self
    }

    /// git-secrets' allowed patterns; an empty list suppresses nothing.
    pub fn with_git_secrets(mut self, allowlist: GitSecretsAllowlist) -> Self {
        self.git_secrets = Some(allowlist).filter(|a| !a.is_empty());
        self
    }

    /// Fingerprints accepted by a baseline (`baseline::parse`).
    pub fn with_baseline(mut self, accepted: HashSet<String>) -> Self {
        self.baseline = Some(accepted);
        self
    }

    /// Why `finding` is dropped, or `None` when it is reported.
    pub fn reason(&self, finding: &Finding) -> Option<Reason> {
        if self.project.as_ref().is_some_and(|a| a.allows(finding)) {
            Some(Reason::ProjectAllowlist)
        } else if self.git_secrets.as_ref().is_some_and(|a| allows(a, finding)) {
            Some(Reason::GitSecretsAllowed)
        } else if self.baseline.as_ref().is_some_and(|b| b.contains(&finding.fingerprint)) {
            Some(Reason::Baseline)
        } else {
            None
        }
    }

    /// The pipeline's form: one predicate per mechanism in use.
    pub fn into_predicates(self) -> Vec<Predicate> {
        let mut predicates: Vec<Predicate> = Vec::new();
        if let Some(allowlist) = self.project {
            predicates.push(Arc::new(move |f| allowlist.allows(f)));
        }
        if let Some(allowlist) = self.git_secrets {
            predicates.push(Arc::new(move |f| allows(&allowlist, f)));
        }
        if let Some(accepted) = self.baseline {
            predicates.push(Arc::new(move |f| accepted.contains(&f.fingerprint)));
        }
        predicates
    }
}

/// An allowed pattern is matched against the git-secrets output line
/// `[commit:]path:line:text` (see `Allowlist::allows`).
fn allows(allowlist: &GitSecretsAllowlist, finding: &Finding) -> bool {
    allowlist.allows(&finding.location_prefix(), &finding.line_text, finding.value_in_text.clone())
}
