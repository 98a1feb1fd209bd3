//! Attribution: where the blobs of a history scan were first committed.
//! One walk over every blob reachable from the tips, oldest commit first,
//! each unique tree decoded once, that places the blobs with findings (and
//! those too large to scan) and stops as soon as all are placed. The walk is
//! also the completeness check: a reachable blob no object directory held is
//! read now, or is missing.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

use gix::objs::FindExt;
use gix::ObjectId;

use super::super::git::{context, oldest_first, one_line, walk_error};
use super::tips::Tips;
use super::Blobs;
use crate::blob::{Origin, SkipReason};
use crate::error::Error;

/// Where blobs were first committed: (commit, path), by blob id. A blob
/// only a ref to a tree or blob reaches has no commit, and its path starts
/// with the ref, the way git names it (`refs/tags/t:dir/file`).
pub(super) type Places = HashMap<ObjectId, (Option<ObjectId>, Vec<u8>)>;

/// Where the walk found a blob: in a commit, or under a ref that points at
/// a tree or a blob directly.
#[derive(Clone, Copy)]
pub(super) enum Root<'a> {
    Commit(ObjectId),
    Ref(&'a str),
}

impl Root<'_> {
    pub(super) fn commit(self) -> Option<ObjectId> {
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
pub(super) fn walk_reachable(
    repo: &gix::Repository,
    tips: &Tips,
    blobs: &Blobs,
    skip_missing: bool,
) -> Result<Places, Error> {
    let mut places: Places = HashMap::new();
    // Placed where every finding is allowlisted by its path: looked for
    // again at every other place it appears, and moved to the first that
    // is not (see `walk_blobs`).
    let pending = RefCell::new(gix::hashtable::HashSet::default());
    let mut targets: HashSet<ObjectId> = blobs.found.lock().expect("lock").iter().copied().collect();
    targets.extend(blobs.too_large.lock().expect("lock").iter().map(|(id, _)| *id));
    let (mut missing, mut first_missing) = (0usize, None);
    let mut failed = None;
    walk_blobs(repo, tips, &pending, |root, dir, name, blob| {
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
        if targets.contains(blob) {
            let at = Origin {
                path: root.path(dir, name),
                commit: root.commit().map(|c| c.to_string()),
                blob_id: Some(blob.to_string()),
            };
            let suppressed_here = blobs.sink.wants_another_place(blob.to_owned(), &at);
            let first = !places.contains_key(blob);
            if first || !suppressed_here {
                places.insert(blob.to_owned(), (root.commit(), at.path));
            }
            if suppressed_here {
                pending.borrow_mut().insert(blob.to_owned());
            } else {
                targets.remove(blob);
                pending.borrow_mut().remove(blob);
            }
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
///
/// A blob in `pending` (placed so far only where it is allowlisted) is
/// visited again at every new path, and while any is pending, a tree seen
/// before is entered again at a path where it was not: a copied directory
/// is another place. That costs a walk per distinct (tree, path), about
/// the number of trees, and only then.
fn walk_blobs(
    repo: &gix::Repository,
    tips: &Tips,
    pending: &RefCell<gix::hashtable::HashSet<ObjectId>>,
    mut visit: impl FnMut(Root<'_>, &[u8], &[u8], &gix::oid) -> ControlFlow<()>,
) -> Result<(), Error> {
    let commits = if tips.commits.is_empty() {
        Vec::new()
    } else {
        let walk = repo
            .rev_walk(tips.commits.iter().copied())
            .sorting(gix::revision::walk::Sorting::ByCommitTime(Default::default()))
            .all()
            .map_err(walk_error(repo, &tips.commits, "history"))?;
        oldest_first(repo, &tips.commits, walk, "history")?
    };

    // Trees are mostly deltas against each other: a delta-base cache avoids
    // resolving the same chains again for every tree.
    let mut repo = repo.clone();
    repo.objects.set_pack_cache(|| Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(32 << 20)));
    // Object ids are already uniformly random: no need for SipHash.
    let mut seen_trees = gix::hashtable::HashSet::default();
    let mut seen_blobs = gix::hashtable::HashSet::default();
    let mut seen_at: HashSet<(ObjectId, Vec<u8>)> = HashSet::new();
    let again = |id: &gix::oid| pending.borrow().contains(id);
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
            if (seen_blobs.insert(id) || again(&id)) && visit(root, b"", b"", &id).is_break() {
                return Ok(());
            }
            continue;
        }
        let mut stack = vec![(id, Vec::<u8>::new())];
        while let Some((tree, dir)) = stack.pop() {
            let first = seen_trees.insert(tree);
            let revisit = !pending.borrow().is_empty() && seen_at.insert((tree, dir.clone()));
            if !first && !revisit {
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
                    && (seen_blobs.insert(entry.oid.to_owned()) || again(entry.oid))
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
