//! `--history`: every unique blob of the repository, each scanned once, then
//! only the blobs that have findings are attributed to their first (oldest)
//! commit and path.
//!
//! Content comes from gix-pack's delta-tree traversal (every pack object
//! inflated once, bases before deltas, on gix's own threads) plus the loose
//! objects, all pushed into the sink. Resolving each object's delta chain
//! separately is ~8× slower (notes/gix-and-detection.md §1d). Attribution is
//! the expensive part of a history scan, so it runs only for blobs with
//! findings and stops as soon as every one of them is placed; a blob it
//! cannot place is unreachable, and the sink decides whether that is
//! reported (`--all-objects`).

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use gix::objs::FindExt;
use gix::odb::pack;
use gix::ObjectId;
use rayon::prelude::*;

use super::git::{context, oldest_first, one_line, resolve_commit, ReadOptions};
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
    let tips = tips(repo, options.branch.as_deref())?;
    let (mut indexes, mut loose) = (Vec::new(), Vec::new());
    for objects_dir in object_dirs(repo)? {
        indexes.extend(pack_indexes(&objects_dir)?);
        loose.extend(loose_ids(&objects_dir)?);
    }
    sink.progress(Progress::Expect(packed_objects(&indexes, repo.object_hash()) + loose.len() as u64));
    let blobs = Blobs {
        sink,
        seen: SeenBlobs::default(),
        found: Mutex::default(),
        too_large: Mutex::default(),
        max_blob_size: options.read.max_blob_size,
    };
    for index_path in &indexes {
        scan_pack(repo, index_path, options.threads, &blobs)?;
    }
    scan_loose(repo, &loose, &blobs)?;
    sink.progress(Progress::Done);
    let places = walk_reachable(repo, &tips, &blobs, options.read.skip_missing)?;

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

/// The object directories to read: the repository's own, then those it
/// borrows from through `objects/info/alternates` (`git clone --shared` or
/// `--reference`), whose objects are as much part of its history.
fn object_dirs(repo: &gix::Repository) -> Result<Vec<PathBuf>, Error> {
    let store = repo.objects.store_ref();
    let mut dirs = vec![store.path().to_path_buf()];
    for dir in store.alternate_db_paths().map_err(context("cannot read objects/info/alternates"))? {
        let same = |a: &std::path::Path, b: &std::path::Path| {
            a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
        };
        if !dirs.iter().any(|known| same(known, &dir)) {
            dirs.push(dir);
        }
    }
    Ok(dirs)
}

fn pack_indexes(objects_dir: &std::path::Path) -> Result<Vec<PathBuf>, Error> {
    let pack_dir = objects_dir.join("pack");
    let entries = match std::fs::read_dir(&pack_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(Error::Io { path: pack_dir, source }),
    };
    let mut indexes = Vec::new();
    for entry in entries {
        let path = entry.map_err(|source| Error::Io { path: pack_dir.clone(), source })?.path();
        if path.extension().is_some_and(|e| e == "idx") {
            indexes.push(path);
        }
    }
    indexes.sort();
    Ok(indexes)
}

/// How many objects the packs hold, for progress.
fn packed_objects(indexes: &[PathBuf], hash: gix::hash::Kind) -> u64 {
    indexes
        .iter()
        .filter_map(|path| pack::index::File::at(path, hash).ok())
        .map(|index| u64::from(index.num_objects()))
        .sum()
}

fn scan_pack(repo: &gix::Repository, index_path: &std::path::Path, threads: usize, blobs: &Blobs) -> Result<(), Error> {
    let hash = repo.object_hash();
    let pack_path = index_path.with_extension("pack");
    let index = pack::index::File::at(index_path, hash)
        .map_err(context(format!("corrupt pack index {}", index_path.display())))?;
    let data =
        pack::data::File::at(&pack_path, hash).map_err(context(format!("corrupt pack {}", pack_path.display())))?;
    // Checksums are skipped for speed (hashing every object costs as much as
    // scanning it), but a flipped byte inside a deflate stream can still
    // inflate to garbage of the right size: each entry's CRC32 from the
    // index (cheap, over the compressed bytes) catches that, as git's
    // index-pack does. Entries are contiguous, so one ends where the next
    // begins.
    let offsets = index.sorted_offsets();
    let pack_end = data.pack_end() as u64;
    let entry_crc_matches = |entry: &pack::index::Entry| {
        let Some(expected) = entry.crc32 else { return true };
        let next = offsets.partition_point(|&o| o <= entry.pack_offset);
        let end = offsets.get(next).copied().unwrap_or(pack_end);
        end > entry.pack_offset
            && end <= pack_end
            && data.entry_crc32(entry.pack_offset, (end - entry.pack_offset) as usize) == expected
    };
    index
        .traverse(
            &data,
            &mut gix::progress::Discard,
            &AtomicBool::new(false),
            |kind, bytes, entry, _progress| {
                if !entry_crc_matches(entry) {
                    use gix::error::ErrorExt;
                    return Err(gix::error::corruption(format!(
                        "{kind} {} at offset {} does not match its CRC32 in the index",
                        entry.oid, entry.pack_offset
                    ))
                    .raise());
                }
                blobs
                    .sink
                    .progress(Progress::Object { blob: kind == gix::object::Kind::Blob, bytes: bytes.len() as u64 });
                if kind == gix::object::Kind::Blob && blobs.seen.first_time(&entry.oid) {
                    blobs.scan(entry.oid, bytes);
                }
                Ok(())
            },
            pack::index::traverse::Options {
                traversal: pack::index::traverse::Algorithm::DeltaTreeLookup,
                thread_limit: Some(threads),
                check: pack::index::traverse::SafetyCheck::SkipFileAndObjectChecksumVerification,
                alloc_limit_bytes: None,
                make_pack_lookup_cache: || pack::cache::Never,
            },
        )
        .map_err(|e| {
            // The traversal reports "an inspector failed" and keeps the object
            // that did in its cause.
            let causes = one_line(crate::error::with_causes(&e));
            let mut message = format!("cannot read pack {}: {causes}", pack_path.display());
            // A decoding error does not say which object; the CRC32s do.
            if let Some(entry) = index.iter().find(|entry| !entry_crc_matches(entry)) {
                if !message.contains(&entry.oid.to_string()) {
                    message.push_str(&format!(
                        " (object {} at offset {} does not match its CRC32 in the index)",
                        entry.oid, entry.pack_offset
                    ));
                }
            }
            Error::Git(message)
        })?;
    Ok(())
}

/// Loose objects live in `objects/xx/yyyy…`; they are never deltas, so a
/// plain lookup per object is as cheap as it gets.
fn loose_ids(objects_dir: &std::path::Path) -> Result<Vec<ObjectId>, Error> {
    let mut ids = Vec::new();
    let fanout =
        std::fs::read_dir(objects_dir).map_err(|source| Error::Io { path: objects_dir.to_path_buf(), source })?;
    for dir in fanout {
        let dir = dir.map_err(|source| Error::Io { path: objects_dir.to_path_buf(), source })?.path();
        let Some(prefix) = dir.file_name().and_then(|n| n.to_str()).filter(|n| n.len() == 2 && is_hex(n)) else {
            continue;
        };
        let files = std::fs::read_dir(&dir).map_err(|source| Error::Io { path: dir.clone(), source })?;
        for file in files {
            let file = file.map_err(|source| Error::Io { path: dir.clone(), source })?;
            let name = file.file_name();
            let Some(rest) = name.to_str().filter(|n| is_hex(n)) else {
                continue;
            };
            if let Ok(id) = ObjectId::from_hex(format!("{prefix}{rest}").as_bytes()) {
                ids.push(id);
            }
        }
    }
    Ok(ids)
}

fn scan_loose(repo: &gix::Repository, ids: &[ObjectId], blobs: &Blobs) -> Result<(), Error> {
    let shared = repo.clone().into_sync();
    ids.par_iter().try_for_each_init(
        || shared.to_thread_local(),
        |repo, &id| -> Result<(), Error> {
            let header = repo.find_header(id).map_err(context(format!("corrupt loose object {id}")))?;
            let is_blob = header.kind() == gix::object::Kind::Blob;
            blobs.sink.progress(Progress::Object { blob: is_blob, bytes: header.size() });
            if !is_blob || !blobs.seen.first_time(&id) {
                return Ok(());
            }
            if header.size() > blobs.max_blob_size {
                blobs.skip_too_large(id, header.size());
                return Ok(());
            }
            let object = repo.find_object(id).map_err(context(format!("corrupt loose object {id}")))?;
            blobs.scan(id, &object.data);
            Ok(())
        },
    )
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What a history scan starts from.
#[derive(Default)]
struct Tips {
    commits: Vec<ObjectId>,
    /// Refs that point at a tree or a blob rather than a commit (a tag of
    /// a tree or of a file): what they hold is as reachable as any commit's
    /// content, and has no commit to be attributed to. (ref name, id, kind)
    objects: Vec<(String, ObjectId, gix::object::Kind)>,
}

/// The commits whose history is reported: every ref (branches, tags,
/// remotes, notes, replacements, stash) and HEAD, or just `branch`.
fn tips(repo: &gix::Repository, branch: Option<&str>) -> Result<Tips, Error> {
    if let Some(branch) = branch {
        return Ok(Tips { commits: vec![resolve_commit(repo, branch)?], objects: Vec::new() });
    }
    let mut tips = Tips::default();
    let mut add = |name: &str, id: ObjectId| -> Result<(), Error> {
        let kind = repo.find_header(id).map_err(context(format!("cannot read {id} (ref {name})")))?.kind();
        match kind {
            gix::object::Kind::Commit => tips.commits.push(id),
            kind @ (gix::object::Kind::Tree | gix::object::Kind::Blob) => {
                tips.objects.push((name.to_string(), id, kind))
            }
            // peel_to_id never stops at a tag.
            gix::object::Kind::Tag => {}
        }
        Ok(())
    };
    let platform = repo.references().map_err(context("cannot read refs"))?;
    for reference in platform.all().map_err(context("cannot read refs"))? {
        let mut reference = reference.map_err(|e| Error::Git(format!("cannot read a ref: {}", one_line(e))))?;
        let name = reference.name().as_bstr().to_string();
        let id = reference.peel_to_id().map_err(context(format!("cannot resolve ref {name}")))?.detach();
        add(&name, id)?;
    }
    // `refs/stash` names only the newest stash; `stash@{1}` and older live
    // in its reflog, and are as much the user's work (git gc keeps them).
    if let Some(stash) = repo.try_find_reference("refs/stash").map_err(context("cannot read refs/stash"))? {
        let mut log = stash.log_iter();
        if let Some(lines) = log.all().map_err(context("cannot read the reflog of refs/stash"))? {
            let mut ids = Vec::new();
            for line in lines {
                let line = line.map_err(context("corrupt reflog of refs/stash"))?;
                ids.push(line.new_oid());
            }
            for (n, id) in ids.into_iter().rev().enumerate() {
                if !id.is_null() {
                    add(&format!("stash@{{{n}}}"), id)?;
                }
            }
        }
    }
    // Every worktree's HEAD, not just this one's: commits on a detached
    // HEAD in a linked worktree are on no branch, yet are history (git gc
    // keeps them too).
    let worktrees = repo.worktrees_including_main().map_err(context("cannot list the worktrees"))?;
    // An unborn HEAD has no history; an unreadable one is an error, not
    // "nothing there".
    for worktree in worktrees.chain(std::iter::once(Ok(repo.clone()))) {
        let worktree = worktree.map_err(context("cannot open a worktree"))?;
        let head = worktree.head().map_err(context(format!("cannot read HEAD in {}", worktree.git_dir().display())))?;
        if let Some(id) = head.id() {
            add("HEAD", id.detach())?;
        }
    }
    tips.commits.sort();
    tips.commits.dedup();
    Ok(tips)
}

/// Where blobs were first committed: (commit, path), by blob id. A blob
/// only a ref to a tree or blob reaches has no commit, and its path starts
/// with the ref, the way git names it (`refs/tags/t:dir/file`).
type Places = HashMap<ObjectId, (Option<ObjectId>, Vec<u8>)>;

/// Where the walk found a blob: in a commit, or under a ref that points at
/// a tree or a blob directly.
#[derive(Clone, Copy)]
enum Root<'a> {
    Commit(ObjectId),
    Ref(&'a str),
}

impl Root<'_> {
    fn commit(self) -> Option<ObjectId> {
        match self {
            Root::Commit(id) => Some(id),
            Root::Ref(_) => None,
        }
    }

    /// The blob's path: `dir/name` in a commit; `ref:dir/name` under a ref
    /// to a tree; the ref itself for a ref to a blob.
    fn path(self, dir: &[u8], name: &[u8]) -> Vec<u8> {
        match self {
            Root::Commit(_) => join_path(dir, name),
            Root::Ref(reference) if dir.is_empty() && name.is_empty() => reference.as_bytes().to_vec(),
            Root::Ref(reference) => [reference.as_bytes(), b":", &join_path(dir, name)].concat(),
        }
    }
}

/// Walk every blob reachable from `tips` once, at the oldest commit (parents
/// before children, then by commit time) and path where it appears, and
/// place the blobs that have findings or were too large. The walk is also
/// the completeness check: a reachable blob the object directories did not
/// hold is read through the object database and scanned if it is there
/// after all, and otherwise is missing, which fails the scan unless
/// `--skip-missing` (a deleted object, or a partial clone's promised one).
/// Each unique tree is decoded at most once.
fn walk_reachable(repo: &gix::Repository, tips: &Tips, blobs: &Blobs, skip_missing: bool) -> Result<Places, Error> {
    let mut places = HashMap::new();
    let mut targets: HashSet<ObjectId> = blobs.found.lock().expect("lock").iter().copied().collect();
    targets.extend(blobs.too_large.lock().expect("lock").iter().map(|(id, _)| *id));
    let (mut missing, mut first_missing) = (0usize, None);
    let mut failed = None;
    walk_blobs(repo, tips, |root, dir, name, blob| {
        if !blobs.seen.contains(blob) {
            match scan_unseen(repo, blob.to_owned(), blobs) {
                Ok(true) => {
                    targets.insert(blob.to_owned());
                }
                Ok(false) => {
                    missing += 1;
                    let origin = Origin {
                        path: root.path(dir, name),
                        commit: root.commit().map(|c| c.to_string()),
                        blob_id: Some(blob.to_string()),
                    };
                    if skip_missing {
                        blobs.sink.skip(&origin, SkipReason::Missing);
                    } else {
                        first_missing.get_or_insert(origin);
                    }
                }
                Err(e) => {
                    failed = Some(e);
                    return ControlFlow::Break(());
                }
            }
        }
        if targets.remove(blob) {
            places.insert(blob.to_owned(), (root.commit(), root.path(dir, name)));
        }
        ControlFlow::Continue(())
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    match first_missing {
        Some(origin) => {
            let hint = if is_partial_clone(repo) {
                "a partial clone: --skip-missing scans what is local and lists the rest"
            } else {
                "the repository is incomplete or damaged (git fsck); --skip-missing scans what is there and lists the rest"
            };
            Err(Error::Git(format!(
                "{missing} reachable blob(s) are not in the repository (first: blob {}, {}{}): {hint}",
                origin.blob_id.as_deref().unwrap_or_default(),
                origin.display_path(),
                origin.commit.as_deref().map(|c| format!(" in commit {c}")).unwrap_or_default()
            )))
        }
        None => Ok(places),
    }
}

/// A reachable blob that no pack or loose directory held: read it through
/// the object database and scan it. `Ok(false)` when it does not exist.
fn scan_unseen(repo: &gix::Repository, id: ObjectId, blobs: &Blobs) -> Result<bool, Error> {
    let Some(header) = repo.try_find_header(id).map_err(context(format!("cannot read blob {id}")))? else {
        return Ok(false);
    };
    if !blobs.seen.first_time(&id) {
        return Ok(true);
    }
    if header.size() > blobs.max_blob_size {
        blobs.skip_too_large(id, header.size());
        return Ok(true);
    }
    let object = repo.find_object(id).map_err(context(format!("cannot read blob {id}")))?;
    blobs.scan(id, &object.data);
    Ok(true)
}

/// Visit every blob reachable from `tips` once, at the oldest commit (and
/// path) where it appears. Each unique tree is decoded at most once, so the
/// cost follows unique trees, not commits × files, like `git rev-list
/// --objects`. `visit` gets the path as (directory, file name) so that a
/// full path is only built for the few blobs that need one, and can stop
/// the walk early.
fn walk_blobs(
    repo: &gix::Repository,
    tips: &Tips,
    mut visit: impl FnMut(Root<'_>, &[u8], &[u8], &gix::oid) -> ControlFlow<()>,
) -> Result<(), Error> {
    let commits = if tips.commits.is_empty() {
        Vec::new()
    } else {
        let walk = repo
            .rev_walk(tips.commits.iter().copied())
            .sorting(gix::revision::walk::Sorting::ByCommitTime(Default::default()))
            .all()
            .map_err(context("cannot walk history"))?;
        oldest_first(walk, "history")?
    };

    // Trees are mostly deltas against each other: a delta-base cache avoids
    // resolving the same chains again for every tree.
    let mut repo = repo.clone();
    repo.objects.set_pack_cache(|| Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(32 << 20)));
    // Object ids are already uniformly random: no need for SipHash.
    let mut seen_trees = gix::hashtable::HashSet::default();
    let mut seen_blobs = gix::hashtable::HashSet::default();
    let mut buf = Vec::new();
    let mut roots = Vec::with_capacity(commits.len() + tips.objects.len());
    for commit_id in commits {
        let tree = repo
            .find_commit(commit_id)
            .and_then(|commit| commit.tree_id().map(gix::Id::detach))
            .map_err(|e| Error::Git(format!("cannot read commit {commit_id}: {}", one_line(e))))?;
        roots.push((Root::Commit(commit_id), tree, gix::object::Kind::Tree));
    }
    // After every commit: a blob a commit also has is placed at the commit.
    roots.extend(tips.objects.iter().map(|(name, id, kind)| (Root::Ref(name), *id, *kind)));
    for (root, id, kind) in roots {
        if kind == gix::object::Kind::Blob {
            if seen_blobs.insert(id) && visit(root, b"", b"", &id).is_break() {
                return Ok(());
            }
            continue;
        }
        let mut stack = vec![(id, Vec::<u8>::new())];
        while let Some((tree, dir)) = stack.pop() {
            if !seen_trees.insert(tree) {
                continue;
            }
            let entries = repo
                .objects
                .find_tree_iter(&tree, &mut buf)
                .map_err(|e| Error::Git(format!("cannot read tree {tree}: {}", one_line(e))))?;
            for entry in entries {
                let entry = entry.map_err(|e| Error::Git(format!("corrupt tree {tree}: {}", one_line(e))))?;
                if entry.mode.is_tree() {
                    stack.push((entry.oid.to_owned(), join_path(&dir, entry.filename)));
                // Symlinks are blobs too (the target text), and so are
                // scanned from the packs: they must be placed as well.
                } else if entry.mode.is_blob_or_symlink()
                    && seen_blobs.insert(entry.oid.to_owned())
                    && visit(root, &dir, entry.filename, entry.oid).is_break()
                {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// `dir/name`, or `name` at the top.
fn join_path(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut path = Vec::with_capacity(dir.len() + 1 + name.len());
    path.extend_from_slice(dir);
    if !dir.is_empty() {
        path.push(b'/');
    }
    path.extend_from_slice(name);
    path
}

/// Whether objects may be missing by design: a promisor pack or remote.
fn is_partial_clone(repo: &gix::Repository) -> bool {
    let config = repo.config_snapshot();
    let promisor_remote = config
        .plumbing()
        .sections_by_name("remote")
        .into_iter()
        .flatten()
        .any(|section| section.value("promisor").is_some_and(|v| v.eq_ignore_ascii_case(b"true")));
    promisor_remote || config.string("extensions.partialClone").is_some()
}
