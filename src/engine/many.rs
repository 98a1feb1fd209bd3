//! `scan --history REPO…`: one run per repository, one report. Every
//! finding, skipped blob, error and partial-scan note names its repository,
//! and the exit status is the worst of the runs: one repository that cannot
//! be read is exit 2 and does not hide what the others found.

use super::{run, RunConfig};
use crate::error::Error;
use crate::exit::Exit;
use crate::pipeline::{Outcome, Stats};

/// Run each `(repository, config)` in turn and merge what they produced.
/// A run that cannot start (no repository there, a bad `.keyfence.toml`)
/// is an error of the merged outcome naming its repository.
pub fn run_each(runs: &[(String, RunConfig)]) -> (Outcome, Exit) {
    let mut merged = Outcome {
        findings: Vec::new(),
        errors: Vec::new(),
        skipped: Vec::new(),
        stats: Stats::default(),
        partial: Vec::new(),
    };
    let mut exit = Exit::Clean;
    for (repository, config) in runs {
        let named = |what: &dyn std::fmt::Display| Error::Git(format!("repository {repository}: {what}"));
        match run(config) {
            Ok(scanned) => {
                exit = exit.merge(scanned.policy.exit(&scanned.outcome));
                absorb(&mut merged, scanned.outcome, repository, &named);
            }
            Err(e) => {
                exit = Exit::Error;
                merged.errors.push(named(&crate::error::with_causes(e.as_ref())));
            }
        }
    }
    (merged, exit)
}

fn absorb(merged: &mut Outcome, outcome: Outcome, repository: &str, named: &dyn Fn(&dyn std::fmt::Display) -> Error) {
    merged.findings.extend(outcome.findings.into_iter().map(|mut finding| {
        finding.repository = Some(repository.to_string());
        finding
    }));
    merged.errors.extend(outcome.errors.iter().map(|e| named(e)));
    merged.skipped.extend(outcome.skipped.into_iter().map(|mut skipped| {
        skipped.origin.path = [repository.as_bytes(), b": ", &skipped.origin.path].concat();
        skipped
    }));
    merged.partial.extend(outcome.partial.iter().map(|why| format!("{repository}: {why}")));
    let (total, stats) = (&mut merged.stats, outcome.stats);
    total.blobs_scanned += stats.blobs_scanned;
    total.bytes_scanned += stats.bytes_scanned;
    total.skipped_binary += stats.skipped_binary;
    total.skipped_too_large += stats.skipped_too_large;
    total.skipped_missing += stats.skipped_missing;
    total.findings += stats.findings;
    total.binary_examples.extend(stats.binary_examples);
}
