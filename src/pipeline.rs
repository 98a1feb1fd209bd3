//! The pipeline: the [`Sink`] every source pushes blobs into, and the owner
//! of everything between a blob and the outcome. It scans each blob with a
//! per-thread scratch, decodes UTF-16 and skips binaries, narrows findings
//! to added lines (`--staged`, `--range`), holds history findings until
//! their blob is placed, draws progress, and collects findings, statistics,
//! skipped blobs and errors.
//!
//! Threads: the pipeline spreads a source's [`Listing`] over rayon
//! (`pipeline/threads.rs`). Sources that find blobs on their own threads (`ignore`'s
//! walker, gix's pack traversal, the history's loose-object pass) call the
//! same sink from those; each thread keeps its own scratch memory.

mod archive;
mod base64;
mod joined;
mod members;
mod progress;
mod threads;
mod versions;
mod view;

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use gix::ObjectId;
use serde::Serialize;

use crate::blob::{looks_binary, plain_text, text_of, Origin, BINARY_PROBE};
use crate::error::Error;
use crate::finding::{self, added_lines, Finding};
use crate::rules::Severity;
use crate::scan::{Scanner, Scratch};
use crate::source::{Lines, Placed, Progress, Sink};

/// Kept here too: reports name it with the other outcome types.
pub use crate::blob::SkipReason;

thread_local! {
    // Per thread rather than per call or per `Listing` worker: sources that
    // keep their own threads (gix, `ignore`) call the sink from threads the
    // pipeline never sees start, and a scratch per blob would allocate on
    // the hot path.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// How many skipped binary files [`Stats::binary_examples`] names.
pub const BINARY_EXAMPLES: usize = 5;

#[derive(Debug, Default, Serialize, Clone, PartialEq)]
pub struct Stats {
    pub blobs_scanned: u64,
    pub bytes_scanned: u64,
    pub skipped_binary: u64,
    /// The first few binary files skipped (by path order), to name on stderr.
    #[serde(skip)]
    pub binary_examples: Vec<String>,
    pub skipped_too_large: u64,
    pub skipped_missing: u64,
    /// Archives and archive members not opened (corrupt, bombs, too deep).
    pub skipped_in_archives: u64,
    pub findings: u64,
}

#[derive(Default)]
struct Counters {
    blobs: AtomicU64,
    bytes: AtomicU64,
    binary: AtomicU64,
    too_large: AtomicU64,
    missing: AtomicU64,
    archive: AtomicU64,
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
    /// History findings by blob, until the blob is placed.
    unplaced: Mutex<HashMap<ObjectId, Vec<Finding>>>,
    /// Placed history findings, one per place, with the place's position in
    /// the walk: kept to one per secret per path when the scan finishes.
    placed: Mutex<Vec<(Finding, u64)>>,
    /// Why the scan is knowingly incomplete, if it is (`Sink::partial`).
    partial: Mutex<Vec<String>>,
    errors: Mutex<Vec<Error>>,
    skipped: Mutex<Vec<Skipped>>,
    counters: Counters,
    scan_binary: bool,
    binary_examples: Mutex<Vec<String>>,
    whole_files: bool,
    all_objects: bool,
    line_model: finding::LineModel,
    progress: progress::Bar,
    suppressors: Vec<Suppressor>,
    /// Open archives (`--no-archives` turns it off), skipping members above this size.
    archives: Option<u64>,
    /// Scan text again with its base64 runs decoded (`pipeline/base64.rs`)
    /// and its split string literals joined (`pipeline/joined.rs`).
    decode: bool,
}

/// Everything a finished scan produced; the exit code is derived from it.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub errors: Vec<Error>,
    pub skipped: Vec<Skipped>,
    pub stats: Stats,
    /// Why the scan covered less than was asked, when the user allowed it
    /// (a shallow clone with `--allow-shallow`): reports say it is partial.
    pub partial: Vec<String>,
}

impl<'s> Pipeline<'s> {
    pub fn new(scanner: &'s Scanner) -> Self {
        Pipeline {
            scanner,
            findings: Mutex::default(),
            unplaced: Mutex::default(),
            placed: Mutex::default(),
            partial: Mutex::default(),
            errors: Mutex::default(),
            skipped: Mutex::default(),
            counters: Counters::default(),
            scan_binary: false,
            binary_examples: Mutex::default(),
            whole_files: false,
            all_objects: false,
            line_model: finding::LineModel::Keyfence,
            progress: progress::Bar::default(),
            suppressors: Vec::new(),
            archives: None,
            decode: true,
        }
    }

    /// Scan blobs that look binary too (commit messages, explicit requests).
    pub fn with_binary(mut self, scan_binary: bool) -> Self {
        self.scan_binary = scan_binary;
        self
    }

    /// Report every line of a changed blob, not only the lines it adds
    /// (`--whole-files`, git-secrets' pre-commit behaviour).
    pub fn with_whole_files(mut self, whole_files: bool) -> Self {
        self.whole_files = whole_files;
        self
    }

    /// Report findings in blobs no commit or ref reaches (`--all-objects`),
    /// named `blob <id>`; without it they are dropped.
    pub fn with_all_objects(mut self, all_objects: bool) -> Self {
        self.all_objects = all_objects;
        self
    }

    /// What a finding's line is: keyfence's, or git grep's in git-secrets
    /// mode (no inline-allow marker, LF-ended lines kept whole).
    pub fn with_line_model(mut self, line_model: finding::LineModel) -> Self {
        self.line_model = line_model;
        self
    }

    /// Open archives and scan their members, each at most `max_member`
    /// bytes (`pipeline/archive.rs`); `None` skips them as binary.
    pub fn with_archives(mut self, max_member: Option<u64>) -> Self {
        self.archives = max_member;
        self
    }

    /// Whether text is scanned again with base64 runs decoded and split
    /// string literals joined (not in git-secrets mode, which greps text as
    /// git-secrets does).
    pub fn with_decoding(mut self, decode: bool) -> Self {
        self.decode = decode;
        self
    }

    /// Draw a progress bar on stderr for sources that report progress, when
    /// stderr is a terminal.
    pub fn with_progress(mut self, wanted: bool) -> Self {
        self.progress = progress::Bar::new(wanted);
        self
    }

    /// Drop the findings `suppress` says are allowed (allowlists, baselines).
    /// Applied when the scan is finished, once history findings know their
    /// commit and path.
    pub fn with_suppressor(mut self, suppress: Suppressor) -> Self {
        self.suppressors.push(suppress);
        self
    }

    /// Read every blob of `listing`, spread over threads (see `pipeline/threads.rs`).
    pub fn scan_listing<L: crate::source::Listing>(&self, repo: &gix::Repository, listing: &L) {
        threads::for_each_item(repo, listing.items(), self, |repo, item| listing.read(repo, item, self));
    }

    /// Scan one blob and return its findings without recording them.
    fn findings_in(&self, bytes: &[u8], origin: &Origin) -> Vec<Finding> {
        // UTF-16 files (Windows tools write them) are full of NUL bytes but
        // are text: scan them as UTF-8 (`blob::text_of`).
        let plain = plain_text(bytes);
        let text = if plain { Cow::Borrowed(bytes) } else { text_of(bytes) };
        if let (Cow::Borrowed(_), Some(found)) = (&text, self.archive_findings(bytes, origin)) {
            return found;
        }
        if !plain && matches!(text, Cow::Borrowed(_)) && self.skip_if_binary(bytes, origin) {
            return Vec::new();
        }
        self.text_findings(&text, origin)
    }

    /// Scan one blob known to be text (or asked to be scanned as such).
    fn text_findings(&self, bytes: &[u8], origin: &Origin) -> Vec<Finding> {
        self.counters.blobs.fetch_add(1, Ordering::Relaxed);
        self.counters.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let (mut found, hits) = SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let matches = self.scanner.scan(bytes, &mut scratch);
            let found = match matches.is_empty() {
                true => Vec::new(),
                false => finding::from_matches_with(self.scanner, bytes, matches, origin, self.line_model),
            };
            (found, if self.decode { scratch.keyword_hits().to_vec() } else { Vec::new() })
        });
        if self.decode {
            let joined = (!hits.is_empty()).then(|| joined::joined_view(bytes, &hits)).flatten();
            for view in [base64::decoded_view(bytes, 0), joined].into_iter().flatten() {
                found.extend(self.view_findings(bytes, view, origin));
            }
        }
        found
    }

    /// Whether a blob starting with `prefix` (its first `BINARY_PROBE` bytes
    /// are enough) is skipped as binary; counts it if so.
    fn skip_if_binary(&self, prefix: &[u8], origin: &Origin) -> bool {
        let binary = !self.scan_binary && looks_binary(prefix);
        if binary {
            self.counters.binary.fetch_add(1, Ordering::Relaxed);
            let mut examples = self.binary_examples.lock().expect("lock");
            let path = origin.display_path();
            if examples.len() < BINARY_EXAMPLES || examples.last().is_some_and(|last| path < *last) {
                let at = examples.partition_point(|p| *p < path);
                if examples.get(at) != Some(&path) {
                    examples.insert(at, path);
                    examples.truncate(BINARY_EXAMPLES);
                }
            }
        }
        binary
    }

    /// Keep only the findings on lines none of `earlier` has. An earlier
    /// version that cannot be read fails the blob (its findings are dropped
    /// and the error recorded), as an unread blob would.
    fn added_only(&self, findings: &mut Vec<Finding>, bytes: &[u8], lines: Lines<'_>) -> Result<(), Error> {
        let Lines::AddedSince { earlier, read } = lines else { return Ok(()) };
        if self.whole_files || findings.is_empty() {
            return Ok(());
        }
        // Findings are numbered in the scanned text (UTF-16 decoded): the
        // versions are compared as that text too, or a UTF-16 unit holding a
        // 0x0A byte (U+4E0A) would shift every line after it.
        let text = text_of(bytes);
        for &previous in earlier {
            let added = added_lines(&text_of(&read(previous)?), &text);
            findings.retain(|f| added.contains(&f.line));
            if findings.is_empty() {
                break;
            }
        }
        Ok(())
    }

    pub fn record(&self, findings: Vec<Finding>) {
        if !findings.is_empty() {
            self.findings.lock().expect("no panics while holding the lock").extend(findings);
        }
    }

    pub fn scan_and_record(&self, bytes: &[u8], origin: &Origin) {
        self.record(self.findings_in(bytes, origin));
    }

    pub fn finish(self) -> Outcome {
        self.progress.finish();
        let suppressed = |f: &Finding| self.suppressors.iter().any(|suppress| suppress(f));
        let mut findings = self.findings.into_inner().expect("lock");
        findings.retain(|f| !suppressed(f));
        let mut placed = self.placed.into_inner().expect("lock");
        placed.retain(|(f, _)| !suppressed(f));
        findings.extend(versions::one_per_secret_per_path(placed));
        // A history scan that stopped on an error before placing every blob
        // with findings: they are still reported, named by blob id.
        let unplaced = self.unplaced.into_inner().expect("lock");
        findings.extend(unplaced.into_values().flatten().filter(|f| !suppressed(f)));
        // A stable order so reports and baselines do not churn between runs.
        // The value is part of the order: the findings decoded from one
        // base64 run share its line and column (`pipeline/view.rs`).
        fn order(f: &Finding) -> impl Ord + '_ {
            (&f.origin.path, &f.origin.commit, f.line, f.column, &f.rule, &f.fingerprint)
        }
        findings.sort_by(|a, b| order(a).cmp(&order(b)));
        findings.dedup_by(|a, b| a.origin == b.origin && order(a).cmp(&order(b)).is_eq());
        let stats = Stats {
            blobs_scanned: self.counters.blobs.into_inner(),
            bytes_scanned: self.counters.bytes.into_inner(),
            skipped_binary: self.counters.binary.into_inner(),
            binary_examples: self.binary_examples.into_inner().expect("lock"),
            skipped_too_large: self.counters.too_large.into_inner(),
            skipped_missing: self.counters.missing.into_inner(),
            skipped_in_archives: self.counters.archive.into_inner(),
            findings: findings.len() as u64,
        };
        Outcome {
            findings,
            errors: self.errors.into_inner().expect("lock"),
            skipped: self.skipped.into_inner().expect("lock"),
            stats,
            partial: self.partial.into_inner().expect("lock"),
        }
    }
}

impl Sink for Pipeline<'_> {
    fn blob(&self, bytes: &[u8], origin: &Origin, lines: Lines<'_>) {
        // A changed archive is scanned whole: its lines are not its members'.
        let (mut findings, members): (Vec<_>, Vec<_>) =
            self.findings_in(bytes, origin).into_iter().partition(|f| f.origin.path == origin.path);
        match self.added_only(&mut findings, bytes, lines) {
            Ok(()) => self.record(findings.into_iter().chain(members).collect()),
            Err(e) => self.error(e),
        }
    }

    /// The first `BINARY_PROBE` bytes decide whether it is binary, so a
    /// 200 MB image under the size cap is not read whole only to be skipped;
    /// the rest is read up to the cap, and one byte more to tell a blob over it.
    fn read(&self, reader: &mut dyn Read, origin: &Origin, max_size: u64) -> std::io::Result<()> {
        let mut bytes = Vec::new();
        (&mut *reader).take(BINARY_PROBE as u64).read_to_end(&mut bytes)?;
        if !self.opens_archive(&bytes) && self.skip_if_binary(&bytes, origin) {
            return Ok(());
        }
        reader.take(max_size.saturating_add(1).saturating_sub(bytes.len() as u64)).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > max_size {
            self.skip(origin, SkipReason::TooLarge(bytes.len() as u64));
        } else {
            self.scan_and_record(&bytes, origin);
        }
        Ok(())
    }

    fn unplaced(&self, bytes: &[u8], id: ObjectId) -> bool {
        // No path yet: named by its id (archive members `blob <id>!member`)
        // until `place` puts the path it is first committed at in front.
        let unplaced = Origin { path: format!("blob {id}").into_bytes(), commit: None, blob_id: Some(id.to_string()) };
        let findings = self.findings_in(bytes, &unplaced);
        if findings.is_empty() {
            return false;
        }
        self.unplaced.lock().expect("lock").insert(id, findings);
        true
    }

    fn place(&self, id: ObjectId, at: &[Placed]) {
        let Some(findings) = self.unplaced.lock().expect("lock").remove(&id) else { return };
        if at.is_empty() {
            // No commit reaches it: name it as git would show it, so no
            // report prints an empty location.
            if self.all_objects {
                self.record(findings);
            }
            return;
        }
        let mut placed = Vec::with_capacity(findings.len() * at.len());
        for place in at {
            for finding in &findings {
                let mut finding = finding.clone();
                finding.origin.commit.clone_from(&place.origin.commit);
                finding.origin.path = members::placed(&finding.origin.path, id, &place.origin.path);
                finding.only_from.clone_from(&place.only_from);
                placed.push((finding, place.order));
            }
        }
        self.placed.lock().expect("lock").extend(placed);
    }

    fn partial(&self, why: String) {
        self.partial.lock().expect("lock").push(why);
    }

    fn skip(&self, origin: &Origin, reason: SkipReason) {
        let counter = match reason {
            SkipReason::TooLarge(_) => &self.counters.too_large,
            SkipReason::Missing => &self.counters.missing,
            SkipReason::Archive(_) => &self.counters.archive,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.skipped.lock().expect("lock").push(Skipped { origin: origin.clone(), reason });
    }

    /// Record an error; the scan goes on where it can, but the outcome is 2.
    fn error(&self, error: Error) {
        self.errors.lock().expect("lock").push(error);
    }

    fn progress(&self, event: Progress) {
        self.progress.event(event);
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
