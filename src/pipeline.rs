//! Wires sources to the scanner and collects what comes out: findings,
//! statistics, skipped blobs and errors. The only module that knows about
//! threads: sources call it from any thread (rayon, `ignore`'s walker, gix's
//! pack traversal); each thread keeps its own scratch memory.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use crate::blob::{looks_binary, utf16_to_utf8, Origin};
use crate::error::Error;
use crate::finding::{self, Finding};
use crate::rules::Severity;
use crate::scan::{Scanner, Scratch};

/// Kept here too: reports name it with the other outcome types.
pub use crate::blob::SkipReason;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

#[derive(Debug, Default, Serialize, Clone, PartialEq)]
pub struct Stats {
    pub blobs_scanned: u64,
    pub bytes_scanned: u64,
    pub skipped_binary: u64,
    pub skipped_too_large: u64,
    pub skipped_missing: u64,
    pub findings: u64,
}

#[derive(Default)]
struct Counters {
    blobs: AtomicU64,
    bytes: AtomicU64,
    binary: AtomicU64,
    too_large: AtomicU64,
    missing: AtomicU64,
}

/// Says whether a finding is allowed (and so dropped from the outcome).
pub type Suppressor = std::sync::Arc<dyn Fn(&Finding) -> bool + Send + Sync>;

/// A blob that was not scanned, reported on stderr and in the stats: a
/// scanner must never skip silently.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub origin: Origin,
    pub reason: SkipReason,
}

pub struct Pipeline<'s> {
    scanner: &'s Scanner,
    findings: Mutex<Vec<Finding>>,
    errors: Mutex<Vec<Error>>,
    skipped: Mutex<Vec<Skipped>>,
    skip_missing: bool,
    counters: Counters,
    scan_binary: bool,
    suppressors: Vec<Suppressor>,
}

/// Everything a finished scan produced; the exit code is derived from it.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub errors: Vec<Error>,
    pub skipped: Vec<Skipped>,
    pub stats: Stats,
}

impl<'s> Pipeline<'s> {
    pub fn new(scanner: &'s Scanner) -> Self {
        Pipeline {
            scanner,
            findings: Mutex::default(),
            errors: Mutex::default(),
            skipped: Mutex::default(),
            skip_missing: false,
            counters: Counters::default(),
            scan_binary: false,
            suppressors: Vec::new(),
        }
    }

    /// Scan blobs that look binary too (commit messages, explicit requests).
    pub fn with_binary(mut self, scan_binary: bool) -> Self {
        self.scan_binary = scan_binary;
        self
    }

    /// Drop the findings `suppress` says are allowed (allowlists, baselines).
    /// Applied when the scan is finished, once history findings know their
    /// commit and path.
    pub fn with_suppressor(mut self, suppress: Suppressor) -> Self {
        self.suppressors.push(suppress);
        self
    }

    /// Scan one blob and return its findings without recording them, for
    /// sources that narrow findings (to added lines) before `record`.
    pub fn findings_in(&self, bytes: &[u8], origin: &Origin) -> Vec<Finding> {
        // UTF-16 files (Windows tools write them) are full of NUL bytes but
        // are text: scan them as UTF-8, detected by their byte-order mark.
        if let Some(text) = utf16_to_utf8(bytes) {
            return self.findings_in(text.as_bytes(), origin);
        }
        if self.skip_if_binary(bytes) {
            return Vec::new();
        }
        self.counters.blobs.fetch_add(1, Ordering::Relaxed);
        self.counters.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let matches = self.scanner.scan(bytes, &mut scratch);
            if matches.is_empty() {
                return Vec::new();
            }
            finding::from_matches(self.scanner, bytes, matches, origin)
        })
    }

    /// Whether a blob starting with `prefix` (its first `BINARY_PROBE` bytes
    /// are enough) is skipped as binary; counts it if so. Lets a source stop
    /// reading a large file after its first 8 KB.
    pub fn skip_if_binary(&self, prefix: &[u8]) -> bool {
        let binary = !self.scan_binary && looks_binary(prefix);
        if binary {
            self.counters.binary.fetch_add(1, Ordering::Relaxed);
        }
        binary
    }

    pub fn record(&self, findings: Vec<Finding>) {
        if !findings.is_empty() {
            self.findings.lock().expect("no panics while holding the lock").extend(findings);
        }
    }

    pub fn scan_and_record(&self, bytes: &[u8], origin: &Origin) {
        self.record(self.findings_in(bytes, origin));
    }

    pub fn skip_too_large(&self, origin: &Origin, size: u64) {
        self.counters.too_large.fetch_add(1, Ordering::Relaxed);
        self.skipped.lock().expect("lock").push(Skipped { origin: origin.clone(), reason: SkipReason::TooLarge(size) });
    }

    /// Let missing objects be skipped (and listed) instead of failing the scan.
    pub fn with_skip_missing(mut self, skip_missing: bool) -> Self {
        self.skip_missing = skip_missing;
        self
    }

    /// Record a missing object; `false` when missing objects are errors.
    pub fn skip_missing(&self, origin: &Origin) -> bool {
        if self.skip_missing {
            self.counters.missing.fetch_add(1, Ordering::Relaxed);
            self.skipped.lock().expect("lock").push(Skipped { origin: origin.clone(), reason: SkipReason::Missing });
        }
        self.skip_missing
    }

    /// Record an error; the scan goes on where it can, but the outcome is 2.
    pub fn error(&self, error: Error) {
        self.errors.lock().expect("lock").push(error);
    }

    pub fn finish(self) -> Outcome {
        let mut findings = self.findings.into_inner().expect("lock");
        findings.retain(|f| !self.suppressors.iter().any(|suppress| suppress(f)));
        // A stable order so reports and baselines do not churn between runs.
        findings.sort_by(|a, b| {
            (&a.origin.path, &a.origin.commit, a.line, a.column, &a.rule).cmp(&(
                &b.origin.path,
                &b.origin.commit,
                b.line,
                b.column,
                &b.rule,
            ))
        });
        findings.dedup_by(|a, b| a.origin == b.origin && a.line == b.line && a.column == b.column && a.rule == b.rule);
        let stats = Stats {
            blobs_scanned: self.counters.blobs.into_inner(),
            bytes_scanned: self.counters.bytes.into_inner(),
            skipped_binary: self.counters.binary.into_inner(),
            skipped_too_large: self.counters.too_large.into_inner(),
            skipped_missing: self.counters.missing.into_inner(),
            findings: findings.len() as u64,
        };
        Outcome {
            findings,
            errors: self.errors.into_inner().expect("lock"),
            skipped: self.skipped.into_inner().expect("lock"),
            stats,
        }
    }
}

impl Outcome {
    /// 0 clean, 1 findings, 2 error. Errors win: an incomplete scan is never
    /// "clean", whatever it found.
    pub fn exit_code(&self) -> i32 {
        self.exit_code_for(Severity::Low, false)
    }

    /// The exit code when only findings at `fail_on` or worse count, and
    /// `exit_zero` turns findings into a report-only 0. Errors still win.
    pub fn exit_code_for(&self, fail_on: Severity, exit_zero: bool) -> i32 {
        if !self.errors.is_empty() {
            2
        } else if !exit_zero && self.findings.iter().any(|f| f.severity >= fail_on) {
            1
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    #[test]
    fn utf16_files_are_scanned_as_text() {
        let scanner = Scanner::new(&RuleSet::builtin()).unwrap();
        let text = "line one\r\naws_access_key_id = AKIA2E3MTGS5LTN4WCQV\r\n";
        for bom_and_units in [
            [vec![0xff, 0xfe], text.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>()].concat(),
            [vec![0xfe, 0xff], text.encode_utf16().flat_map(u16::to_be_bytes).collect::<Vec<u8>>()].concat(),
        ] {
            let pipeline = Pipeline::new(&scanner);
            let found = pipeline.findings_in(&bom_and_units, &Origin::default());
            assert_eq!(found.len(), 1);
            assert_eq!((found[0].line, found[0].secret.as_str()), (2, "AKIA2E3MTGS5LTN4WCQV"));
            assert_eq!(pipeline.finish().stats.skipped_binary, 0);
        }
    }

    #[test]
    fn errors_win_over_findings_and_policies() {
        let scanner = Scanner::new(&RuleSet::builtin()).unwrap();
        let pipeline = Pipeline::new(&scanner);
        pipeline.scan_and_record(b"AKIA2E3MTGS5LTN4WCQV", &Origin::default());
        let outcome = pipeline.finish();
        assert_eq!(outcome.exit_code(), 1);
        assert_eq!(outcome.exit_code_for(Severity::High, true), 0);
        let pipeline = Pipeline::new(&scanner);
        pipeline.error(Error::Git("boom".into()));
        assert_eq!(pipeline.finish().exit_code_for(Severity::Low, true), 2);
    }
}
