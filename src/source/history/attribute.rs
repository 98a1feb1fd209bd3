//! Attribution: where the blobs of a history scan were first committed.
//! One walk over every blob reachable from the tips, oldest commit first,
//! each unique tree decoded once (once per directory while something was
//! found), that places the blobs with findings (and those too large to
//! scan) at every path they appear at. The walk is also the completeness
//! check: a reachable blob no object directory held is read now, or is
//! missing, so it always runs to the end.

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
use crate::source::Progress;

/// Where blobs were committed: every (commit, path) at which each blob
/// with findings first appears, in walk order (oldest commit first), one
/// entry per path. A blob only a ref to a tree or blob reaches has no
/// commit, and its path starts with the ref, the way git names it
/// (`refs/tags/t:dir/file`).
pub(super) type Places = HashMap<ObjectId, Vec<Place>>;

/// One place of a blob: its commit, path, and the commit's position in the
/// walk (oldest first), so that versions of a path can be ordered.
pub(super) struct Place {
    pub(super) commit: Option<ObjectId>,
    pub(super) path: Vec<u8>,
    pub(super) order: u64,
}

/// What the walk found: the places, and the error that makes the scan
/// incomplete (missing blobs, or a read that failed), if any. The places
/// come back either way so the findings are reported with the error.
#[derive(Default)]
pub(super) struct Walked {
    pub(super) places: Places,
    pub(super) error: Option<Error>,
}

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

/// Walk every blob reachable from `tips`, oldest commit first (parents
/// before children, then by commit time), and record every path at which
/// a blob with findings (or too large to scan) first appears, with its
/// commit: one place per (blob, path). The walk is also the completeness
/// check: a reachable blob the object directories did not hold is read
/// through the object database and scanned if it is there after all, and
/// otherwise is missing, which fails the scan unless `--skip-missing` (a
/// deleted object, or a partial clone's promised one). The walk always
/// returns the places it found, so that findings are reported even when
/// it fails.
pub(super) fn walk_reachable(repo: &gix::Repository, tips: &Tips, blobs: &Blobs, skip_missing: bool) -> Walked {
    let mut places: Places = HashMap::new();
    let mut placed_at: HashSet<(ObjectId, Vec<u8>)> = HashSet::new();
    let targets = RefCell::new(gix::hashtable::HashSet::default());
    targets.borrow_mut().extend(blobs.found.lock().expect("lock").iter().copied());
    targets.borrow_mut().extend(blobs.too_large.lock().expect("lock").iter().map(|(id, _)| *id));
    let (mut missing, mut first_missing) = (0usize, None);
    let mut failed = None;
    let progress = |event| blobs.sink.progress(event);
    let walked = walk_blobs(repo, tips, &targets, &progress, |root, order, dir, name, blob| {
        if !blobs.seen.contains(blob) {
            match scan_unseen(repo, blob.to_owned(), blobs) {
                Ok(true) => {
                    targets.borrow_mut().insert(blob.to_owned());
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
        if targets.borrow().contains(blob) {
            let path = root.path(dir, name);
            if placed_at.insert((blob.to_owned(), path.clone())) {
                places.entry(blob.to_owned()).or_default().push(Place { commit: root.commit(), path, order });
            }
        }
        ControlFlow::Continue(())
    });
    let error = walked.err().or(failed).or_else(|| {
        first_missing.map(|origin| {
            let hint = if is_partial_clone(repo) {
                "a partial clone: --skip-missing scans what is local and lists the rest"
            } else {
                "the repository is incomplete or damaged (git fsck); --skip-missing scans what is there and lists the rest"
            };
            Error::Git(format!(
                "{missing} reachable blob(s) are not in the repository (first: blob {}, {}{}): {hint}",
                origin.blob_id.as_deref().unwrap_or_default(),
                origin.display_path(),
                origin.commit.as_deref().map(|c| format!(" in commit {c}")).unwrap_or_default()
            ))
        })
    });
    Walked { places, error }
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
/// A blob in `targets` (it has findings) is visited again at every new
/// path, and while there are targets a tree seen before is entered again
/// at a directory where it was not: a copied or renamed directory is
/// another place. That costs a walk per distinct (tree, directory), about
/// the number of trees, and only when something was found. `visit` also
/// gets the commit's position in the walk, oldest first.
fn walk_blobs(
    repo: &gix::Repository,
    tips: &Tips,
    targets: &RefCell<gix::hashtable::HashSet<ObjectId>>,
    progress: &dyn Fn(Progress),
    mut visit: impl FnMut(Root<'_>, u64, &[u8], &[u8], &gix::oid) -> ControlFlow<()>,
) -> Result<(), Error> {
    progress(Progress::Phase { what: "listing commits", total: 0 });
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
    let mut seen_trees = SeenTrees::default();
    let mut seen_blobs = gix::hashtable::HashSet::default();
    let again = |id: &gix::oid| targets.borrow().contains(id);
    // Trees by id alone while nothing was found; by (id, directory) once
    // something was, so a copied directory is walked again at its new path.
    let at = |dir_hash: u64| if targets.borrow().is_empty() { 0 } else { dir_hash | 1 };
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
    progress(Progress::Phase {
        what: "commits walked to place findings and check completeness",
        total: roots.len() as u64,
    });
    for (order, (root, id, kind)) in (0u64..).zip(roots) {
        progress(Progress::Step);
        if kind == gix::object::Kind::Blob {
            if (seen_blobs.insert(id) || again(&id)) && visit(root, order, b"", b"", &id).is_break() {
                return Ok(());
            }
            continue;
        }
        // A tree is marked seen when it is pushed, so a subtree seen before
        // costs a lookup, not a path allocation.
        if !seen_trees.first_visit(id, at(FNV_START)) {
            continue;
        }
        let mut stack = vec![(id, Vec::<u8>::new(), FNV_START)];
        while let Some((tree, dir, dir_hash)) = stack.pop() {
            let entries = repo
                .objects
                .find_tree_iter(&tree, &mut buf)
                .map_err(|e| Error::Git(format!("cannot read tree {tree}: {}", one_line(e))))?;
            for entry in entries {
                let entry = entry.map_err(|e| Error::Git(format!("corrupt tree {tree}: {}", one_line(e))))?;
                if entry.mode.is_tree() {
                    let child_hash = fnv(fnv(dir_hash, b"/"), entry.filename);
                    if seen_trees.first_visit(entry.oid.to_owned(), at(child_hash)) {
                        stack.push((entry.oid.to_owned(), join_path(&dir, entry.filename), child_hash));
                    }
                // Symlinks are blobs too (the target text), and so are
                // scanned from the packs: they must be placed as well.
                } else if entry.mode.is_blob_or_symlink()
                    && (seen_blobs.insert(entry.oid.to_owned()) || again(entry.oid))
                    && visit(root, order, &dir, entry.filename, entry.oid).is_break()
                {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// The trees the walk has entered, with the directories (as hashes) it
/// entered each at. Nearly every tree is at one directory, so that one is
/// kept inline; a 64-bit hash tells two directories apart without keeping
/// their paths (a collision would also need the same tree).
#[derive(Default)]
struct SeenTrees(gix::hashtable::HashMap<ObjectId, Dirs>);

// Boxed so that the common `One` entry stays 16 bytes, not a set's 48.
#[allow(clippy::box_collection)]
enum Dirs {
    One(u64),
    Many(Box<HashSet<u64>>),
}

impl SeenTrees {
    /// Whether `tree` is new at the directory hashed `at`; it is seen there
    /// from now on.
    fn first_visit(&mut self, tree: ObjectId, at: u64) -> bool {
        use gix::hashtable::hash_map::Entry;
        match self.0.entry(tree) {
            Entry::Vacant(vacant) => {
                vacant.insert(Dirs::One(at));
                true
            }
            Entry::Occupied(mut seen) => match seen.get_mut() {
                Dirs::One(dir) if *dir == at => false,
                Dirs::One(dir) => {
                    let both = Box::new(HashSet::from([*dir, at]));
                    *seen.get_mut() = Dirs::Many(both);
                    true
                }
                Dirs::Many(dirs) => dirs.insert(at),
            },
        }
    }
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, continued from `hash` over `bytes`: a directory's hash is its
/// parent's continued over `/name`, so no path is hashed twice.
fn fnv(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
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

/// Whether objects may be missing by design: a promisor remote in the
/// config, or a pack with a `.promisor` file beside it (what a partial
/// clone fetched; a copied snapshot keeps its packs but not always its
/// config).
fn is_partial_clone(repo: &gix::Repository) -> bool {
    let promisor_pack = super::objects::object_dirs(repo).unwrap_or_default().iter().any(|dir| {
        std::fs::read_dir(dir.join("pack")).is_ok_and(|entries| {
            entries.flatten().any(|entry| entry.path().extension().is_some_and(|e| e == "promisor"))
        })
    });
    if promisor_pack {
        return true;
    }
    let config = repo.config_snapshot();
    let promisor_remote = config
        .plumbing()
        .sections_by_name("remote")
        .into_iter()
        .flatten()
        .any(|section| section.value("promisor").is_some_and(|v| v.eq_ignore_ascii_case(b"true")));
    promisor_remote || config.string("extensions.partialClone").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_is_new_once_per_directory() {
        let mut seen = SeenTrees::default();
        let tree = ObjectId::empty_tree(gix::hash::Kind::Sha1);
        assert!(seen.first_visit(tree, 0));
        assert!(!seen.first_visit(tree, 0));
        assert!(seen.first_visit(tree, 7));
        assert!(seen.first_visit(tree, 9));
        assert!(!seen.first_visit(tree, 7) && !seen.first_visit(tree, 9));
    }

    #[test]
    fn a_directory_hash_continues_its_parents() {
        let whole = fnv(FNV_START, b"/src/lib");
        assert_eq!(fnv(fnv(fnv(fnv(FNV_START, b"/"), b"src"), b"/"), b"lib"), whole);
        assert_ne!(fnv(FNV_START, b"/src/lia"), whole);
    }
}
