//! Completeness as referential integrity: while the traversal inflates
//! every object anyway, each tree, commit and tag it decodes has the
//! objects it names looked up in the pack indexes and loose objects of the
//! scan. When every name resolves, every object reachable from any ref is
//! there and was read (a ref's target is an object of the scan, and so by
//! induction is all it reaches), so a scan that found nothing needs no
//! commit walk to prove it complete: on git/git that walk re-inflated
//! 382,000 trees for about 20 s. A gap (a missing object, or a part of
//! the scan that was not checked this way) never fails the scan by itself:
//! the walk then runs as before and decides, since a missing object only
//! unreachable objects name is no error.
//!
//! The same lookups number the objects a tree names, so each decoded tree
//! and commit is recorded in the `Graph` that attribution walks. A part of
//! the scan that could not be recorded (a missing tree, objects read some
//! other way) leaves the walk to the object database.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock};

use gix::odb::pack;
use gix::ObjectId;

use super::graph::{Child, Graph};

pub(super) struct Integrity {
    hash: gix::hash::Kind,
    indexes: Vec<pack::index::File>,
    /// The number of each pack's first object; loose objects come after.
    bases: Vec<u32>,
    loose: gix::hashtable::HashMap<ObjectId, u32>,
    loose_ids: Vec<ObjectId>,
    /// Commits at a shallow boundary: their parents are not there by design
    /// (`--allow-shallow`).
    shallow: Vec<ObjectId>,
    gap: AtomicBool,
    /// Whether `graph` is still `Some`, without taking its lock.
    recording: AtomicBool,
    /// The blobs that need a place, known once every blob was read.
    targets: OnceLock<gix::hashtable::HashSet<ObjectId>>,
    /// `None` once some tree or commit could not be recorded.
    graph: Mutex<Option<Graph>>,
}

impl Integrity {
    /// The objects of the scan: these pack indexes and loose objects.
    pub(super) fn new(repo: &gix::Repository, indexes: &[std::path::PathBuf], loose: &[ObjectId]) -> Integrity {
        let hash = repo.object_hash();
        let opened: Vec<_> = indexes.iter().map(|path| pack::index::File::at(path, hash)).collect();
        let shallow = repo.shallow_commits();
        let gap = opened.iter().any(Result::is_err) || shallow.is_err();
        let indexes: Vec<_> = opened.into_iter().flatten().collect();
        let (mut bases, mut total) = (Vec::new(), 0usize);
        for index in &indexes {
            bases.push(u32::try_from(total).unwrap_or(u32::MAX));
            total += index.num_objects() as usize;
        }
        let loose_base = total;
        let graph = if gap { None } else { Graph::new(total + loose.len()) };
        Integrity {
            hash,
            gap: AtomicBool::new(gap),
            recording: AtomicBool::new(graph.is_some()),
            indexes,
            bases,
            loose: (loose_base..).zip(loose).map(|(n, id)| (*id, n as u32)).collect(),
            loose_ids: loose.to_vec(),
            shallow: shallow.ok().flatten().map(|commits| commits.iter().copied().collect()).unwrap_or_default(),
            targets: OnceLock::new(),
            graph: Mutex::new(graph),
        }
    }

    /// How many objects the scan numbers.
    pub(super) fn objects(&self) -> usize {
        let packed: usize = self.indexes.iter().map(|index| index.num_objects() as usize).sum();
        packed + self.loose_ids.len()
    }

    /// Whether every object that a decoded object names was found.
    pub(super) fn complete(&self) -> bool {
        !self.gap.load(Relaxed)
    }

    /// Part of the scan was not checked (objects read another way, a pack
    /// that appeared during the scan): only the walk can tell, and only
    /// through the object database.
    pub(super) fn unchecked(&self) {
        self.gap.store(true, Relaxed);
        self.unrecorded();
    }

    fn unrecorded(&self) {
        self.recording.store(false, Relaxed);
        self.graph.lock().expect("lock").take();
    }

    /// Every blob was read: these need a place. Trees decoded from now on
    /// are recorded with them.
    pub(super) fn blobs_read(&self, targets: impl IntoIterator<Item = ObjectId>) {
        if self.targets.set(targets.into_iter().collect()).is_err() {
            self.unrecorded();
        }
    }

    /// The recorded trees and commits, unless part of the scan was not
    /// recorded; once, for the walk.
    pub(super) fn take_graph(&self) -> Option<Graph> {
        self.recording.store(false, Relaxed);
        self.graph.lock().expect("lock").take()
    }

    /// The number of an object of the scan.
    pub(super) fn number(&self, id: &gix::oid) -> Option<u32> {
        if let Some(&n) = self.loose.get(id) {
            return Some(n);
        }
        let (base, index) =
            self.bases.iter().zip(&self.indexes).find_map(|(base, index)| Some((base, position(index, id)?)))?;
        base.checked_add(index)
    }

    /// The id of object number `n`.
    pub(super) fn id_of(&self, n: u32) -> Option<ObjectId> {
        let pack = self.bases.partition_point(|&base| base <= n).checked_sub(1);
        match pack.and_then(|k| Some((k, self.indexes.get(k)?))) {
            Some((k, index)) if n - self.bases[k] < index.num_objects() => {
                Some(index.oid_at_index(n - self.bases[k]).to_owned())
            }
            _ => {
                let packed: u32 = self.indexes.iter().map(|index| index.num_objects()).sum();
                self.loose_ids.get(n.checked_sub(packed)? as usize).copied()
            }
        }
    }

    /// `number`, through the thread's `recent` lookups.
    fn number_via(&self, id: &gix::oid, recent: &mut Recent) -> Option<u32> {
        let key = Recent::key(id);
        let (known, number) = &mut recent.slots[key[0] as usize & (SLOTS - 1)];
        if *known != key {
            *known = key;
            *number = self.number(id).unwrap_or(u32::MAX);
        }
        Some(*number).filter(|&n| n != u32::MAX)
    }

    /// Look up what an object names; called for every object read.
    pub(super) fn check(&self, id: &gix::oid, kind: gix::object::Kind, bytes: &[u8], recent: &mut Recent) {
        if !self.complete() && !self.recording.load(Relaxed) {
            return;
        }
        let named = match kind {
            gix::object::Kind::Blob => return,
            gix::object::Kind::Tree => self.tree(id, bytes, recent),
            gix::object::Kind::Commit => self.commit(id, bytes),
            gix::object::Kind::Tag => gix::objs::TagRefIter::from_bytes(bytes, self.hash)
                .target_id()
                .is_ok_and(|target| self.number(&target).is_some()),
        };
        if !named {
            self.gap.store(true, Relaxed);
        }
    }

    fn tree(&self, id: &gix::oid, bytes: &[u8], recent: &mut Recent) -> bool {
        let (Some(targets), Some(number)) = (self.targets.get(), self.number(id)) else {
            self.unrecorded();
            return self.names_resolve(bytes, recent);
        };
        let (mut all, mut recordable, mut children) = (true, true, Vec::new());
        for entry in gix::objs::TreeRefIter::from_bytes(bytes, self.hash) {
            let Ok(entry) = entry else {
                self.unrecorded();
                return false;
            };
            // A submodule's commit lives in another repository.
            if entry.mode.is_commit() {
                continue;
            }
            let name = entry.filename.as_ref();
            let found = self.number_via(entry.oid, recent);
            all &= found.is_some();
            match found {
                Some(subtree) if entry.mode.is_tree() => children.push((name, Child::Tree(subtree))),
                // Below a missing tree is what the walk cannot see.
                None if entry.mode.is_tree() => recordable = false,
                None if entry.mode.is_blob_or_symlink() => children.push((name, Child::Blob(entry.oid.to_owned()))),
                Some(_) if entry.mode.is_blob_or_symlink() && !targets.is_empty() && targets.contains(entry.oid) => {
                    children.push((name, Child::Blob(entry.oid.to_owned())))
                }
                _ => {}
            }
        }
        let mut graph = self.graph.lock().expect("lock");
        match graph.as_mut() {
            Some(graph) if recordable => graph.tree(number, &children),
            _ => *graph = None,
        }
        all
    }

    /// Whether every name in a tree resolves, when it is not recorded.
    fn names_resolve(&self, bytes: &[u8], recent: &mut Recent) -> bool {
        gix::objs::TreeRefIter::from_bytes(bytes, self.hash).all(|entry| {
            entry.is_ok_and(|entry| entry.mode.is_commit() || self.number_via(entry.oid, recent).is_some())
        })
    }

    fn commit(&self, id: &gix::oid, bytes: &[u8]) -> bool {
        let commit = || gix::objs::CommitRefIter::from_bytes(bytes, self.hash);
        let (Ok(tree), Some(number)) = (commit().tree_id(), self.number(id)) else {
            self.unrecorded();
            return false;
        };
        let (Some(tree), Ok(time)) = (self.number(&tree), commit().committer().map(|c| c.seconds())) else {
            self.unrecorded();
            return false;
        };
        let parents: Vec<_> = commit().parent_ids().map(|parent| self.number(&parent)).collect();
        if let Some(graph) = self.graph.lock().expect("lock").as_mut() {
            graph.commit(number, tree, time, parents.iter().copied());
        }
        let boundary = self.shallow.iter().any(|shallow| shallow.as_ref() == id);
        boundary || parents.iter().all(Option::is_some)
    }

    /// Whether object number `n` is a commit at a shallow boundary.
    pub(super) fn at_boundary(&self, n: u32) -> bool {
        self.id_of(n).is_some_and(|id| self.shallow.contains(&id))
    }
}

/// Where `id` is in `index`, by interpolation: object ids are uniformly
/// spread, so the first 8 bytes of an id say nearly where it sits and a
/// few probes find it, where `lookup`'s binary search takes a dozen
/// 20-byte compares (with the fan-out table); on git/git the lookups of the
/// names in every tree were a sixth of the scan's CPU time. A repository
/// whose ids are crafted to cluster gets `lookup` after `PROBES` steps, so
/// its cost stays bounded.
fn position(index: &pack::index::File, id: &gix::oid) -> Option<u32> {
    const PROBES: usize = 8;
    let prefix = |oid: &gix::oid| oid.as_bytes().first_chunk().map_or(0, |bytes| u64::from_be_bytes(*bytes));
    let key = prefix(id);
    let count = index.num_objects();
    let (mut low, mut high) = (0, count.checked_sub(1)?);
    let (mut low_key, mut high_key) = (prefix(index.oid_at_index(low)), prefix(index.oid_at_index(high)));
    for _ in 0..PROBES {
        if key < low_key || key > high_key {
            return None;
        }
        if low_key == high_key {
            break;
        }
        let span = u128::from(high - low) * u128::from(key - low_key) / u128::from(high_key - low_key);
        let at = low + u32::try_from(span).unwrap_or(high - low);
        let found = prefix(index.oid_at_index(at));
        match found.cmp(&key) {
            std::cmp::Ordering::Less => {
                low = at + 1;
                low_key = prefix(index.oid_at_index(low.min(high)));
            }
            std::cmp::Ordering::Greater if at > low => {
                high = at - 1;
                high_key = prefix(index.oid_at_index(high));
            }
            std::cmp::Ordering::Greater => return None,
            // Ids that share 8 bytes are left to `lookup`.
            std::cmp::Ordering::Equal if index.oid_at_index(at) == id => return Some(at),
            std::cmp::Ordering::Equal => break,
        }
        if low > high {
            return None;
        }
    }
    index.lookup(id)
}

/// The names one thread looked up lately, by slot: the traversal decodes
/// a delta chain's trees one after another on one thread, and they name
/// mostly the same objects, so most of the millions of names in a large
/// history's trees are not looked up in the pack indexes again.
#[derive(Clone)]
pub(super) struct Recent {
    /// Ids as words, compared inline (a 20-byte `memcmp` call per name
    /// was a tenth of the scan).
    slots: Vec<([u64; 4], u32)>,
}

impl Default for Recent {
    fn default() -> Self {
        // The null id names no object: its slots are right from the start.
        Recent { slots: vec![([0; 4], u32::MAX); SLOTS] }
    }
}

/// 0.6 MB a thread; a tree names a few hundred objects at most, and with
/// `position` a miss costs a few probes.
const SLOTS: usize = 1 << 14;

impl Recent {
    fn key(id: &gix::oid) -> [u64; 4] {
        let mut bytes = [0u8; 32];
        let id = id.as_bytes();
        bytes[..id.len().min(32)].copy_from_slice(&id[..id.len().min(32)]);
        let word = |i: usize| u64::from_ne_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        [word(0), word(1), word(2), word(3)]
    }
}

#[cfg(test)]
mod tests {
    use super::super::git;

    use super::*;

    /// Every object of a real repository, checked as the traversal would.
    fn check_all(dir: &std::path::Path) -> bool {
        let repo = gix::open(dir).unwrap();
        let objects = dir.join(".git/objects");
        let loose = super::super::objects::loose_ids(&objects).unwrap();
        let integrity = Integrity::new(&repo, &[], &loose);
        for id in &loose {
            let object = repo.find_object(*id).unwrap();
            integrity.check(id, object.kind, &object.data, &mut Recent::default());
        }
        integrity.complete()
    }

    #[test]
    fn a_repository_with_every_object_is_complete_and_one_without_a_blob_is_not() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        std::fs::write(dir.path().join("a"), "one\n").unwrap();
        git(dir.path(), &["add", "a"]);
        git(dir.path(), &["commit", "-q", "-m", "one"]);
        std::fs::write(dir.path().join("b"), "two\n").unwrap();
        git(dir.path(), &["add", "b"]);
        git(dir.path(), &["commit", "-q", "-m", "two"]);
        git(dir.path(), &["tag", "-a", "-m", "tagged", "v1"]);
        assert!(check_all(dir.path()));

        let blob = git(dir.path(), &["rev-parse", ":b"]);
        std::fs::remove_file(dir.path().join(".git/objects").join(&blob[..2]).join(&blob[2..])).unwrap();
        assert!(!check_all(dir.path()));
    }

    #[test]
    fn the_interpolated_position_of_every_packed_id_is_the_index_lookup() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        for i in 0..300 {
            std::fs::write(dir.path().join(format!("f{i}")), format!("{i}\n")).unwrap();
        }
        git(dir.path(), &["add", "."]);
        git(dir.path(), &["commit", "-q", "-m", "many"]);
        git(dir.path(), &["repack", "-adq"]);
        let idx = super::super::pack_index_of(dir.path());
        let index = pack::index::File::at(&idx, gix::hash::Kind::Sha1).unwrap();
        assert!(index.num_objects() > 300);
        for n in 0..index.num_objects() {
            let id = index.oid_at_index(n).to_owned();
            assert_eq!(position(&index, &id), Some(n));
            // Ids next to a present one, and at the ends of the id space.
            let mut near = id;
            let last = near.as_mut_slice().last_mut().unwrap();
            *last ^= 1;
            assert_eq!(position(&index, &near), index.lookup(near), "{near}");
        }
        for absent in [gix::ObjectId::null(gix::hash::Kind::Sha1), gix::ObjectId::from_bytes_or_panic(&[0xff; 20])] {
            assert_eq!(position(&index, &absent), None);
        }
    }
}
