//! `--staged` (the pre-commit hook): index blobs of added, modified and copied
//! entries against `HEAD^{tree}` (the empty tree on an unborn HEAD), read from
//! the object database, never from the work tree. Findings are narrowed to
//! the lines the staged change adds, unless `whole_files`.
//!
//! Hand-rolled join of index and HEAD rather than gix's `tree_index_status`:
//! that refuses sparse indexes and pulls in the status machinery
//! (notes/gix-and-detection.md §1b).

use std::collections::{HashMap, HashSet};

use gix::index::entry::{Flags, Mode};
use gix::ObjectId;

use super::git::{context, for_each_blob, read_blob, read_previous};
use super::Origin;
use crate::error::Error;
use crate::finding::added_lines;
use crate::pipeline::Pipeline;

#[derive(Debug, Clone)]
pub struct StagedOptions {
    pub whole_files: bool,
    pub max_blob_size: u64,
}

/// One staged path to scan: its new blob and, if the path existed in HEAD,
/// the old one (for the added-line filter).
struct Change {
    path: Vec<u8>,
    id: ObjectId,
    previous: Option<ObjectId>,
}

pub fn scan(repo: &gix::Repository, options: &StagedOptions, pipeline: &Pipeline) -> Result<(), Error> {
    let changes = staged_changes(repo)?;
    // An empty or deletion-only commit scans nothing, at once. (git-secrets
    // falls back to scanning the whole index here.)
    if changes.is_empty() {
        return Ok(());
    }
    for_each_blob(repo, &changes, pipeline, |repo, change| scan_change(repo, change, options, pipeline));
    Ok(())
}

fn staged_changes(repo: &gix::Repository) -> Result<Vec<Change>, Error> {
    let index = repo.index_or_empty().map_err(context("cannot read the index"))?;
    let head_tree = repo.head_tree_id_or_empty().map_err(context("cannot resolve HEAD^{tree}"))?;
    let head_index = repo.index_from_tree(&head_tree).map_err(context("cannot read the HEAD tree"))?;
    let in_head: HashMap<&[u8], ObjectId> =
        head_index.entries().iter().map(|e| (e.path(&head_index).as_ref(), e.id)).collect();
    let ids_in_head: HashSet<ObjectId> = in_head.values().copied().collect();

    let mut changes = Vec::new();
    for entry in index.entries() {
        // Conflict stages cannot be committed; intent-to-add entries carry the
        // empty blob; gitlinks are commits of another repository; sparse
        // directory entries are trees git has not expanded.
        if entry.stage_raw() != 0
            || entry.flags.contains(Flags::INTENT_TO_ADD)
            || entry.mode == Mode::COMMIT
            || entry.mode == Mode::DIR
        {
            continue;
        }
        let path: &[u8] = entry.path(&index).as_ref();
        let previous = in_head.get(path).copied();
        // Unchanged, or a pure rename/copy of content HEAD already has.
        if previous == Some(entry.id) || ids_in_head.contains(&entry.id) {
            continue;
        }
        changes.push(Change { path: path.to_vec(), id: entry.id, previous });
    }
    Ok(changes)
}

fn scan_change(
    repo: &gix::Repository,
    change: &Change,
    options: &StagedOptions,
    pipeline: &Pipeline,
) -> Result<(), Error> {
    let origin = Origin { path: change.path.clone(), commit: None, blob_id: Some(change.id.to_string()) };
    let Some(bytes) = read_blob(repo, change.id, options.max_blob_size, &origin, pipeline)? else {
        return Ok(());
    };
    let mut findings = pipeline.findings_in(&bytes, &origin);
    if findings.is_empty() || options.whole_files {
        pipeline.record(findings);
        return Ok(());
    }
    if let Some(previous) = change.previous {
        let old = read_previous(repo, previous, pipeline)?;
        let added = added_lines(&old, &bytes);
        findings.retain(|f| added.contains(&f.line));
    }
    pipeline.record(findings);
    Ok(())
}
