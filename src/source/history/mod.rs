//! `--history`: every unique blob of the repository, each scanned once, then
//! only the blobs that have findings are attributed to their first (oldest)
//! commit and path.
//!
//! This module runs the three steps; each lives in its own file:
//! - `tips`: where history starts (refs, the stash reflog, worktree HEADs).
//! - `objects`: every object directory, pack and loose object, each blob
//!   read once and pushed into the sink, with progress counts.
//! - `attribute`: the walk from the tips that places the blobs with
//!   findings, and finds reachable blobs that are missing.
//!
//! Content comes from gix-pack's delta-tree traversal rather than a lookup
//! per object: resolving each object's delta chain separately is ~8× slower
//! (notes/gix-and-detection.md §1d). Attribution is the expensive part of a
//! history scan; it places each blob with findings at every path where it
//! appears (at the oldest commit per path), and the sink keeps one finding
//! per secret per path. A blob it cannot place is unreachable; the sink
//! decides whether that is reported (`--all-objects`).

mod attribute;
mod graph;
mod integrity;
mod objects;
mod reach;
mod tips;
mod traverse;
mod trees;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

use gix::ObjectId;

use super::git::ReadOptions;
use super::{Placed, Progress, Sink};
use crate::blob::{Origin, SeenBlobs, SkipReason};
use crate::error::Error;
use traverse::Pass;

#[derive(Debug, Clone)]
pub struct HistoryOptions {
    /// Restrict attribution (and so the report) to this ref's history.
    pub branch: Option<String>,
    pub read: ReadOptions,
    /// Threads of the pack traversal.
    pub threads: usize,
    /// Scan a shallow clone's history as far as it goes, and say the report
    /// is partial (`--allow-shallow`); without it a shallow clone is an error.
    pub allow_shallow: bool,
}

/// Where every blob of a history scan goes: scanned once (through the
/// sink), and remembered when it needs a place: it has findings, or it was
/// too large to scan.
struct Blobs<'s> {
    sink: &'s dyn Sink,
    seen: Seen,
    /// Blobs with findings, still to be placed.
    found: Mutex<Vec<ObjectId>>,
    /// Blobs over the size cap, with their size: reported once placed.
    too_large: Mutex<Vec<(ObjectId, u64)>>,
    max_blob_size: u64,
    /// What every decoded object names, looked up as it is read.
    integrity: integrity::Integrity,
}

/// The blobs already read, so that each is scanned once: a bit per object
/// the scan numbers (`Integrity::number`, the same number for an id
/// wherever it is read), an id in a hash set for the rest (packs that
/// appeared during the scan, objects read through the object database).
/// On git/git the bits are 100 KB where a set of every blob's id was about
/// 10 MB at the scan's peak.
struct Seen {
    numbered: Vec<AtomicU64>,
    other: SeenBlobs,
}

impl Seen {
    fn for_objects(objects: usize) -> Seen {
        Seen { numbered: (0..objects.div_ceil(64)).map(|_| AtomicU64::new(0)).collect(), other: SeenBlobs::default() }
    }

    /// The word and bit of object number `n`, if the scan numbered it.
    fn bit(&self, n: Option<u32>) -> Option<(&AtomicU64, u64)> {
        let n = n? as usize;
        Some((self.numbered.get(n / 64)?, 1 << (n % 64)))
    }
}

impl Blobs<'_> {
    /// True the first time blob `id` is offered.
    fn first_time(&self, id: &gix::oid) -> bool {
        match self.seen.bit(self.integrity.number(id)) {
            Some((word, bit)) => word.fetch_or(bit, Relaxed) & bit == 0,
            None => self.seen.other.first_time(id),
        }
    }

    /// Whether blob `id` was offered.
    fn seen(&self, id: &gix::oid) -> bool {
        match self.seen.bit(self.integrity.number(id)) {
            Some((word, bit)) => word.load(Relaxed) & bit != 0,
            None => self.seen.other.contains(id),
        }
    }

    /// Take back a `first_time` whose read then failed, so that the next
    /// reader of `id` (a retry, another pack) scans it.
    fn forget(&self, id: &gix::oid) {
        match self.seen.bit(self.integrity.number(id)) {
            Some((word, bit)) => {
                word.fetch_and(!bit, Relaxed);
            }
            None => self.seen.other.forget(id),
        }
    }

    fn scan(&self, id: ObjectId, bytes: &[u8]) {
        if bytes.len() as u64 > self.max_blob_size {
            return self.skip_too_large(id, bytes.len() as u64);
        }
        if self.sink.unplaced(bytes, id) {
            self.found.lock().expect("lock").push(id);
        }
    }

    fn skip_too_large(&self, id: ObjectId, size: u64) {
        self.too_large.lock().expect("lock").push((id, size));
    }
}

pub fn scan(repo: &gix::Repository, options: &HistoryOptions, sink: &dyn Sink) -> Result<(), Error> {
    // Resolved first: a bad `--branch` is an error even when nothing is found.
    let tips = tips::tips(repo, options.branch.as_deref()).or_else(|first| {
        // gix reads the pack directory on its first lookup; a pack copied in
        // at that moment is unreadable for an instant. Once more, a little
        // later, through a fresh handle; a second failure is the first's.
        std::thread::sleep(std::time::Duration::from_millis(100));
        match gix::open_opts(repo.git_dir(), repo.open_options().clone()) {
            Ok(fresh) => tips::tips(&fresh, options.branch.as_deref()).map_err(|_| first),
            Err(_) => Err(first),
        }
    })?;
    shallow(repo, options.allow_shallow, sink)?;
    let (mut indexes, mut loose) = (Vec::new(), Vec::new());
    for objects_dir in objects::object_dirs(repo)? {
        indexes.extend(objects::pack_indexes(&objects_dir)?);
        loose.extend(objects::loose_ids(&objects_dir)?);
    }
    // A pack that cannot be opened yet is left to `rescan`, which waits for it.
    indexes.retain(|index_path| objects::readable(index_path, repo.object_hash()));
    let integrity = integrity::Integrity::new(repo, &indexes, &loose);
    sink.progress(Progress::Expect(integrity.objects() as u64));
    let blobs = Blobs {
        sink,
        seen: Seen::for_objects(integrity.objects()),
        found: Mutex::default(),
        too_large: Mutex::default(),
        max_blob_size: options.read.max_blob_size,
        integrity,
    };
    // Every blob before any tree, so that each tree is recorded knowing
    // which of its blobs need a place (`traverse`, `graph`).
    let mut unread = objects::Unread::default();
    for pass in [Pass::Blobs, Pass::Rest] {
        for index_path in &indexes {
            objects::scan_pack(repo, index_path, pass, options.threads, &blobs)?;
        }
        unread.extend(objects::scan_loose(repo, &loose, pass, &blobs));
        if pass == Pass::Blobs {
            let found = blobs.found.lock().expect("lock").clone();
            let too_large = blobs.too_large.lock().expect("lock").iter().map(|(id, _)| *id).collect::<Vec<_>>();
            blobs.integrity.blobs_read(found.into_iter().chain(too_large));
        }
    }
    // A `git gc` or repack while the scan runs moves loose objects into new
    // packs and replaces old packs: read the object directories again once,
    // as git does on a miss, before calling anything missing (listing the
    // pack directories again is cheap; only new packs are read).
    objects::rescan(repo, &indexes, unread, options.threads, &blobs)?;
    // Nothing to place and nothing missing: the walk would only confirm it.
    let nothing_to_place =
        blobs.found.lock().expect("lock").is_empty() && blobs.too_large.lock().expect("lock").is_empty();
    let attribute::Walked { places, mut error, graph } = if nothing_to_place && blobs.integrity.complete() {
        attribute::Walked::default()
    } else {
        attribute::walk_reachable(repo, &tips, &blobs, options.read.skip_missing)
    };
    let found = blobs.found.into_inner().expect("lock");
    let commits: std::collections::HashSet<ObjectId> =
        found.iter().filter_map(|b| places.get(b)).flatten().filter_map(|p| p.commit).collect();
    let recorded = graph.as_ref().map(|graph| (graph, &blobs.integrity));
    let only_from = reach::only_from(repo, &tips, &commits, recorded).unwrap_or_else(|e| {
        error.get_or_insert(e);
        Default::default()
    });

    // Every finding found is reported, even when the walk failed: a blob
    // it had not placed yet is named by its id (it may be reachable).
    let cut_short = error.is_some();
    let origins = |blob: ObjectId| -> Vec<Placed> {
        match places.get(&blob) {
            Some(places) => places
                .iter()
                .map(|place| Placed {
                    origin: Origin {
                        path: place.path.clone(),
                        commit: place.commit.map(|c| c.to_string()),
                        blob_id: Some(blob.to_string()),
                    },
                    order: place.order,
                    only_from: place.commit.and_then(|c| only_from.get(&c).cloned()),
                })
                .collect(),
            None if cut_short => vec![Placed { origin: unplaced(blob), order: u64::MAX, only_from: None }],
            None => Vec::new(),
        }
    };
    for (blob, size) in blobs.too_large.into_inner().expect("lock") {
        let origin = origins(blob).into_iter().next().map_or_else(|| unplaced(blob), |placed| placed.origin);
        sink.skip(&origin, SkipReason::TooLarge(size));
    }
    for blob in found {
        sink.place(blob, &origins(blob));
    }
    sink.progress(Progress::Done);
    error.map_or(Ok(()), Err)
}

/// A shallow clone (`git clone --depth`, CI checkouts at depth 1) holds only
/// the newest commits: a key added and removed before its boundary is not
/// there to find. That is an error for a history scan, unless the user asked
/// to scan what is there, and then the report says it is partial.
fn shallow(repo: &gix::Repository, allow: bool, sink: &dyn Sink) -> Result<(), Error> {
    let file = repo.shallow_file().map_err(super::git::context("cannot locate the shallow file"))?;
    let boundary = match std::fs::read(&file) {
        Ok(ids) if !ids.is_empty() => ids.split(|&b| b == b'\n').filter(|line| !line.is_empty()).count(),
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(Error::Io { path: file, source }),
    };
    let what = format!(
        "the repository is a shallow clone ({boundary} boundary commit(s) in {}): history before its boundary is not \
         there",
        crate::blob::escape_for_terminal(&crate::blob::path_bytes(&file))
    );
    if allow {
        sink.partial(format!("{what}; only the history after it was scanned (--allow-shallow)"));
        return Ok(());
    }
    Err(Error::Git(format!(
        "{what}, so --history cannot check it: fetch it with `git fetch --unshallow` (GitHub Actions: \
         actions/checkout with `fetch-depth: 0`), or pass --allow-shallow to scan only what is there"
    )))
}

/// The origin of a blob no commit has been found for (yet).
fn unplaced(id: ObjectId) -> Origin {
    Origin { path: format!("blob {id}").into_bytes(), commit: None, blob_id: Some(id.to_string()) }
}

/// The pack index of a test repository after `git repack -a`.
#[cfg(test)]
fn pack_index_of(dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::read_dir(dir.join(".git/objects/pack"))
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "idx"))
        .unwrap()
}

/// git with neither user nor system config and a fixed identity, for the
/// unit tests' repositories (one helper for every history module's tests).
#[cfg(test)]
fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(["-c", "user.name=T", "-c", "user.email=t@example.invalid"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
