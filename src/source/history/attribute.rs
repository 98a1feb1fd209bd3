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

use gix::ObjectId;

use super::super::git::{context, oldest_first, walk_error};
use super::graph::Graph;
use super::integrity::Integrity;
use super::tips::Tips;
use super::trees::{Child, Odb, Recorded, Trees};
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
    /// The recorded trees and commits, handed back for `reach`.
    pub(super) graph: Option<Graph>,
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
    let graph = blobs.integrity.take_graph();
    let recorded = graph.as_ref().map(|graph| (graph, &blobs.integrity));
    let walked = walk_blobs(repo, tips, recorded, &targets, &progress, |root, order, dir, name, blob| {
        if !blobs.seen(blob) {
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
    Walked { places, error, graph }
}

/// A reachable blob that no pack or loose directory held: read it through
/// the object database and scan it. `Ok(false)` when it does not exist.
fn scan_unseen(repo: &gix::Repository, id: ObjectId, blobs: &Blobs) -> Result<bool, Error> {
    let Some(header) = repo.try_find_header(id).map_err(context(format!("cannot read blob {id}")))? else {
        return Ok(false);
    };
    if !blobs.first_time(&id) {
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

/// The commits from `tips`, oldest first (parents before children, then
/// by commit time).
fn list_commits(repo: &gix::Repository, tips: &Tips, progress: &dyn Fn(Progress)) -> Result<Vec<ObjectId>, Error> {
    progress(Progress::Phase { what: "listing commits", total: 0 });
    if tips.commits.is_empty() {
        return Ok(Vec::new());
    }
    let walk = repo
        .rev_walk(tips.commits.iter().copied())
        .sorting(gix::revision::walk::Sorting::ByCommitTime(Default::default()))
        .all()
        .map_err(walk_error(repo, &tips.commits, "history"))?;
    oldest_first(repo, &tips.commits, walk, "history")
}

/// Where a walk starts, in walk order: every commit's tree, then what refs
/// to trees and blobs name. `None` when `trees` lacks one of them.
#[allow(clippy::type_complexity)]
fn roots<'t, T: Trees>(
    trees: &mut T,
    commits: &[ObjectId],
    tips: &'t Tips,
) -> Result<Option<Vec<(Root<'t>, Result<T::Tree, ObjectId>)>>, Error> {
    let mut roots = Vec::with_capacity(commits.len() + tips.objects.len());
    for &commit in commits {
        let Some(tree) = trees.commit_tree(commit)? else { return Ok(None) };
        roots.push((Root::Commit(commit), Ok(tree)));
    }
    // After every commit: a blob a commit also has is placed at the commit.
    for (name, id, kind) in &tips.objects {
        let start = match kind {
            gix::object::Kind::Blob => Err(*id),
            _ => match trees.tree(*id) {
                Some(tree) => Ok(tree),
                None => return Ok(None),
            },
        };
        roots.push((Root::Ref(name), start));
    }
    Ok(Some(roots))
}

/// Visit every blob reachable from `tips` once, at the oldest commit (and
/// path) where it appears. Each unique tree is entered at most once, so the
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
    graph: Option<(&Graph, &Integrity)>,
    targets: &RefCell<gix::hashtable::HashSet<ObjectId>>,
    progress: &dyn Fn(Progress),
    mut visit: impl FnMut(Root<'_>, u64, &[u8], &[u8], &gix::oid) -> ControlFlow<()>,
) -> Result<(), Error> {
    if let Some((graph, integrity)) = graph {
        progress(Progress::Phase { what: "listing commits", total: 0 });
        let recorded_commits = || -> Option<Vec<ObjectId>> {
            let tips: Option<Vec<u32>> = tips.commits.iter().map(|id| integrity.number(id)).collect();
            let order = graph.oldest_first(&tips?, |n| integrity.at_boundary(n))?;
            order.into_iter().map(|n| integrity.id_of(n)).collect()
        };
        if let Some(commits) = recorded_commits() {
            let mut recorded = Recorded { graph, integrity };
            if let Some(roots) = roots(&mut recorded, &commits, tips)? {
                return walk_trees(&mut recorded, roots, targets, progress, &mut visit);
            }
        }
    }
    let commits = list_commits(repo, tips, progress)?;
    let mut repo = repo.clone();
    repo.objects.set_pack_cache(|| Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(32 << 20)));
    let mut odb = Odb { repo, buf: Vec::new() };
    match roots(&mut odb, &commits, tips)? {
        Some(roots) => walk_trees(&mut odb, roots, targets, progress, &mut visit),
        None => Ok(()),
    }
}

#[allow(clippy::type_complexity)]
fn walk_trees<T: Trees>(
    trees: &mut T,
    roots: Vec<(Root<'_>, Result<T::Tree, ObjectId>)>,
    targets: &RefCell<gix::hashtable::HashSet<ObjectId>>,
    progress: &dyn Fn(Progress),
    visit: &mut dyn FnMut(Root<'_>, u64, &[u8], &[u8], &gix::oid) -> ControlFlow<()>,
) -> Result<(), Error> {
    let mut seen_trees = SeenTrees::<T::Tree>::default();
    // Object ids are already uniformly random: no need for SipHash.
    let mut seen_blobs = gix::hashtable::HashSet::default();
    let again = |id: &gix::oid| targets.borrow().contains(id);
    // Trees by id alone while nothing was found; by (id, directory) once
    // something was, so a copied directory is walked again at its new path.
    let at = |dir_hash: u64| if targets.borrow().is_empty() { 0 } else { dir_hash | 1 };
    progress(Progress::Phase {
        what: "commits walked to place findings and check completeness",
        total: roots.len() as u64,
    });
    let mut stack = Vec::new();
    for (order, (root, start)) in (0u64..).zip(roots) {
        progress(Progress::Step);
        let id = match start {
            Err(blob) => {
                if (seen_blobs.insert(blob) || again(&blob)) && visit(root, order, b"", b"", &blob).is_break() {
                    return Ok(());
                }
                continue;
            }
            Ok(tree) => tree,
        };
        // A tree is marked seen when it is pushed, so a subtree seen before
        // costs a lookup, not a path allocation.
        if !seen_trees.first_visit(id, at(FNV_START)) {
            continue;
        }
        stack.push((id, Vec::<u8>::new(), FNV_START));
        while let Some((tree, dir, dir_hash)) = stack.pop() {
            let flow = trees.entries(tree, &mut |name, child| match child {
                Child::Tree(subtree) => {
                    let child_hash = fnv(fnv(dir_hash, b"/"), name);
                    if seen_trees.first_visit(subtree, at(child_hash)) {
                        stack.push((subtree, join_path(&dir, name), child_hash));
                    }
                    ControlFlow::Continue(())
                }
                Child::Blob(blob) if seen_blobs.insert(blob.to_owned()) || again(blob) => {
                    visit(root, order, &dir, name, blob)
                }
                Child::Blob(_) => ControlFlow::Continue(()),
            })?;
            if flow.is_break() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The trees the walk has entered, with the directories (as hashes) it
/// entered each at. Nearly every tree is at one directory, so that one is
/// kept inline; a 64-bit hash tells two directories apart without keeping
/// their paths (a collision would also need the same tree).
struct SeenTrees<T>(HashMap<T, Dirs, std::hash::BuildHasherDefault<KeyHasher>>);

/// Trees are keyed by object id (already uniformly random) or by object
/// number (distinct, and spread by one multiplication): neither needs
/// SipHash.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut first = [0u8; 8];
        let n = bytes.len().min(8);
        first[..n].copy_from_slice(&bytes[..n]);
        self.0 ^= u64::from_ne_bytes(first);
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

impl<T> Default for SeenTrees<T> {
    fn default() -> Self {
        SeenTrees(HashMap::default())
    }
}

// Boxed so that the common `One` entry stays 16 bytes, not a set's 48.
#[allow(clippy::box_collection)]
enum Dirs {
    One(u64),
    Many(Box<HashSet<u64>>),
}

impl<T: Eq + std::hash::Hash> SeenTrees<T> {
    /// Whether `tree` is new at the directory hashed `at`; it is seen there
    /// from now on.
    fn first_visit(&mut self, tree: T, at: u64) -> bool {
        use std::collections::hash_map::Entry;
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
    use super::super::git;
    use super::*;
    use std::sync::Mutex;

    use crate::source::{Lines, Placed, Sink};

    /// Blobs that hold `SECRET` have findings.
    #[derive(Default)]
    struct Found;

    impl Sink for Found {
        fn blob(&self, _: &[u8], _: &Origin, _: Lines<'_>) {}
        fn read(&self, _: &mut dyn std::io::Read, _: &Origin, _: u64) -> std::io::Result<()> {
            Ok(())
        }
        fn unplaced(&self, bytes: &[u8], _: ObjectId) -> bool {
            bytes.windows(6).any(|w| w == b"SECRET")
        }
        fn place(&self, _: ObjectId, _: &[Placed]) {}
        fn skip(&self, _: &Origin, _: SkipReason) {}
        fn error(&self, _: Error) {}
        fn progress(&self, _: Progress) {}
    }

    fn commit(dir: &std::path::Path, files: &[(&str, &str)], message: &str) {
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-qm", message]);
    }

    /// Every place, as (blob, path, commit), from one walk. The commits'
    /// positions are left out: among commits with the same commit time
    /// that do not descend from each other, the recorded order breaks the
    /// tie by object id and gix's walk by the order it met them (here every
    /// commit has the same time).
    fn places(walked: Walked) -> Vec<(ObjectId, Vec<u8>, Option<ObjectId>)> {
        assert!(walked.error.is_none(), "{:?}", walked.error.map(|e| e.to_string()));
        let mut all: Vec<_> = walked
            .places
            .into_iter()
            .flat_map(|(blob, places)| places.into_iter().map(move |p| (blob, p.path, p.commit)))
            .collect();
        all.sort();
        all
    }

    #[test]
    fn the_recorded_trees_place_findings_exactly_where_the_object_database_walk_does() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        git(dir, &["init", "-q"]);
        commit(dir, &[("a/key.txt", "SECRET 1\n"), ("a/b/other", "x\n"), ("top", "SECRET 1\n")], "two paths");
        for n in 0..5 {
            commit(dir, &[("churn", &format!("{n}\n"))], "the tree under a/ is shared");
        }
        git(dir, &["mv", "a/b", "moved"]);
        commit(dir, &[("moved/second", "SECRET 2\n")], "a subtree moved");
        git(dir, &["checkout", "-qb", "side", "HEAD~3"]);
        commit(dir, &[("c/key.txt", "SECRET 1\n")], "a copy on a branch");
        git(dir, &["checkout", "-q", "-"]);
        git(dir, &["tag", "tree-tag", "HEAD^{tree}"]);
        for packed in [false, true] {
            if packed {
                git(dir, &["repack", "-adq"]);
            }
            let repo = gix::open(dir).unwrap();
            let tips = super::super::tips::tips(&repo, None).unwrap();
            let objects_dir = repo.objects.store_ref().path().to_path_buf();
            let indexes = super::super::objects::pack_indexes(&objects_dir).unwrap();
            let loose = super::super::objects::loose_ids(&objects_dir).unwrap();
            let integrity = Integrity::new(&repo, &indexes, &loose);
            let blobs = Blobs {
                sink: &Found,
                seen: super::super::Seen::for_objects(integrity.objects()),
                found: Mutex::default(),
                too_large: Mutex::default(),
                max_blob_size: 1 << 20,
                integrity,
            };
            for pass in [super::super::Pass::Blobs, super::super::Pass::Rest] {
                for index in &indexes {
                    super::super::objects::scan_pack(&repo, index, pass, 1, &blobs).unwrap();
                }
                let unread = super::super::objects::scan_loose(&repo, &loose, pass, &blobs);
                assert!(unread.vanished.is_empty() && unread.failed.is_empty());
                if pass == super::super::Pass::Blobs {
                    blobs.integrity.blobs_read(blobs.found.lock().unwrap().clone());
                }
            }
            assert!(blobs.integrity.complete());
            // The first walk takes the recorded graph; the second has none
            // left and inflates every tree again.
            let recorded = places(walk_reachable(&repo, &tips, &blobs, false));
            assert!(blobs.integrity.take_graph().is_none());
            let inflated = places(walk_reachable(&repo, &tips, &blobs, false));
            assert_eq!(recorded, inflated, "packed: {packed}");
            let paths: Vec<_> =
                recorded.iter().map(|(_, path, ..)| String::from_utf8_lossy(path).into_owned()).collect();
            // The tagged tree is a commit's: its blobs are placed there.
            assert_eq!(paths.len(), 4, "{paths:?}");
            for path in ["a/key.txt", "top", "c/key.txt", "moved/second"] {
                assert!(paths.iter().any(|p| p == path), "{path} not in {paths:?}");
            }
        }
    }

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
