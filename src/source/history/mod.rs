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
//! history scan, so it runs only for blobs with findings and stops as soon as
//! every one of them is placed. A blob it cannot place is unreachable; the
//! sink decides whether that is reported (`--all-objects`).

mod attribute;
mod objects;
mod tips;

use std::sync::Mutex;

use gix::ObjectId;

use super::git::ReadOptions;
use super::{Progress, Sink};
use crate::blob::{Origin, SeenBlobs, SkipReason};
use crate::error::Error;

#[derive(Debug, Clone)]
pub struct HistoryOptions {
    /// Restrict attribution (and so the report) to this ref's history.
    pub branch: Option<String>,
    pub read: ReadOptions,
    /// Threads of the pack traversal.
    pub threads: usize,
}

/// Where every blob of a history scan goes: scanned once (through the
/// sink), and remembered when it needs a place: it has findings, or it was
/// too large to scan.
struct Blobs<'s> {
    sink: &'s dyn Sink,
    seen: SeenBlobs,
    /// Blobs with findings, still to be placed.
    found: Mutex<Vec<ObjectId>>,
    /// Blobs over the size cap, with their size: reported once placed.
    too_large: Mutex<Vec<(ObjectId, u64)>>,
    max_blob_size: u64,
}

impl Blobs<'_> {
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
    let tips = tips::tips(repo, options.branch.as_deref())?;
    let (mut indexes, mut loose) = (Vec::new(), Vec::new());
    for objects_dir in objects::object_dirs(repo)? {
        indexes.extend(objects::pack_indexes(&objects_dir)?);
        loose.extend(objects::loose_ids(&objects_dir)?);
    }
    sink.progress(Progress::Expect(objects::packed_objects(&indexes, repo.object_hash()) + loose.len() as u64));
    let blobs = Blobs {
        sink,
        seen: SeenBlobs::default(),
        found: Mutex::default(),
        too_large: Mutex::default(),
        max_blob_size: options.read.max_blob_size,
    };
    for index_path in &indexes {
        objects::scan_pack(repo, index_path, options.threads, &blobs)?;
    }
    let vanished = objects::scan_loose(repo, &loose, &blobs)?;
    // A `git gc` or repack while the scan runs moves loose objects into new
    // packs and replaces old packs: read the object directories again once,
    // as git does on a miss, before calling anything missing (listing the
    // pack directories again is cheap; only new packs are read).
    objects::rescan(repo, &indexes, &vanished, options.threads, &blobs)?;
    sink.progress(Progress::Done);
    let places = attribute::walk_reachable(repo, &tips, &blobs, options.read.skip_missing)?;

    let place = |blob: ObjectId| {
        places.get(&blob).map(|(commit, path)| Origin {
            path: path.clone(),
            commit: commit.map(|c| c.to_string()),
            blob_id: Some(blob.to_string()),
        })
    };
    for (blob, size) in blobs.too_large.into_inner().expect("lock") {
        sink.skip(&place(blob).unwrap_or_else(|| unplaced(blob)), SkipReason::TooLarge(size));
    }
    for blob in blobs.found.into_inner().expect("lock") {
        sink.place(blob, place(blob));
    }
    Ok(())
}

/// The origin of a blob no commit has been found for (yet).
fn unplaced(id: ObjectId) -> Origin {
    Origin { path: format!("blob {id}").into_bytes(), commit: None, blob_id: Some(id.to_string()) }
}
