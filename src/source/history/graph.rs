//! The trees of a history scan as the traversal decoded them, kept so that
//! attribution walks them in memory instead of inflating every tree again
//! through the object database (on git/git: 382,000 trees, about 20 s).
//!
//! Only what attribution can use is kept, compactly: every tree's subtrees
//! and the blobs among its entries that need a place (findings, too large
//! to scan, or missing), each as a 32-bit number with an interned name,
//! and every commit's root tree. Objects are numbered by their position in
//! the scan's pack indexes (one range per pack) and then the loose
//! objects, so a 20-byte id is kept only for the few blobs that need a
//! place. The blobs are all read before any tree (`traverse`), so a tree
//! knows which of its blobs need one when it is decoded.

use std::ops::ControlFlow;

use gix::ObjectId;

/// A tree or commit not recorded (or not an object of the scan).
pub(super) const NONE: u32 = u32::MAX;
/// Marks a child that is a blob: the rest is its index in `Graph::blobs`.
const BLOB: u32 = 1 << 31;
/// A span's count that marks a commit (no tree has that many entries).
const COMMIT: u32 = u32::MAX;

/// A child of a recorded tree.
pub(super) enum Child {
    /// A subtree, by its number.
    Tree(u32),
    /// A blob that needs a place.
    Blob(ObjectId),
}

/// What the commit order needs of a commit, and its root tree. Its
/// parents run from `parents_start` to the next commit's (16 bytes a
/// commit; git/git has 203,000).
struct Commit {
    tree: u32,
    parents_start: u32,
    time: i64,
}

pub(super) struct Graph {
    /// Per object number: where a tree's children are in `children` (start,
    /// count), or a commit's index in `commits` and `COMMIT`. One array for
    /// both, as a number is one object: on git/git a second one was 3.4 MB.
    spans: Vec<(u32, u32)>,
    commits: Vec<Commit>,
    /// The parents of every commit, by number (`NONE`: not in the scan).
    parents: Vec<u32>,
    /// (child, name): a subtree's number, or `BLOB |` an index in `blobs`.
    children: Vec<(u32, u32)>,
    names: Vec<Box<[u8]>>,
    name_ids: std::collections::HashMap<Box<[u8]>, u32>,
    blobs: Vec<ObjectId>,
    blob_ids: gix::hashtable::HashMap<ObjectId, u32>,
    /// Lists of children kept, by a hash of their content.
    lists: std::collections::HashMap<u64, (u32, u32)>,
}

impl Graph {
    /// A graph for `objects` numbered objects; `None` when they are too
    /// many to number in 31 bits.
    pub(super) fn new(objects: usize) -> Option<Graph> {
        (objects < BLOB as usize).then(|| Graph {
            spans: vec![(NONE, 0); objects],
            commits: Vec::new(),
            parents: Vec::new(),
            children: Vec::new(),
            names: Vec::new(),
            name_ids: Default::default(),
            blobs: Vec::new(),
            blob_ids: Default::default(),
            lists: Default::default(),
        })
    }

    /// Record tree `tree`'s children that attribution needs, in entry order.
    /// Most versions of a directory differ from another only in their
    /// files, so their lists of subtrees are kept once (on git/git this is
    /// most of the graph's memory).
    pub(super) fn tree(&mut self, tree: u32, entries: &[(&[u8], Child)]) {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for (name, child) in entries {
            name.hash(&mut hasher);
            match child {
                Child::Tree(number) => number.hash(&mut hasher),
                Child::Blob(id) => id.as_bytes().hash(&mut hasher),
            }
        }
        let key = hasher.finish();
        if let Some(&(start, count)) = self.lists.get(&key) {
            if count as usize == entries.len() && self.same_list(start, entries) {
                self.spans[tree as usize] = (start, count);
                return;
            }
        }
        let start = self.children.len() as u32;
        for (name, child) in entries {
            let code = match child {
                Child::Tree(number) => *number,
                Child::Blob(id) => {
                    let next = self.blobs.len() as u32;
                    let index = *self.blob_ids.entry(*id).or_insert(next);
                    if index == next {
                        self.blobs.push(*id);
                    }
                    BLOB | index
                }
            };
            let name = self.intern(name);
            self.children.push((code, name));
        }
        self.spans[tree as usize] = (start, entries.len() as u32);
        self.lists.insert(key, (start, entries.len() as u32));
    }

    fn same_list(&self, start: u32, entries: &[(&[u8], Child)]) -> bool {
        let kept = &self.children[start as usize..start as usize + entries.len()];
        kept.iter().zip(entries).all(|(&(code, name), (entry_name, child))| {
            let same_child = match child {
                Child::Tree(number) => code == *number,
                Child::Blob(id) => code & BLOB != 0 && self.blobs[(code & !BLOB) as usize] == *id,
            };
            same_child && *self.names[name as usize] == **entry_name
        })
    }

    pub(super) fn commit(&mut self, commit: u32, tree: u32, time: i64, parents: impl Iterator<Item = Option<u32>>) {
        let parents_start = self.parents.len() as u32;
        self.parents.extend(parents.map(|parent| parent.unwrap_or(NONE)));
        self.spans[commit as usize] = (self.commits.len() as u32, COMMIT);
        self.commits.push(Commit { tree, parents_start, time });
    }

    /// Names are few (git/git's trees have a few thousand distinct entry
    /// names among millions of entries), so each is kept once.
    fn intern(&mut self, name: &[u8]) -> u32 {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.name_ids.insert(name.into(), id);
        id
    }

    /// A commit's root tree, if the commit was recorded.
    pub(super) fn commit_tree(&self, commit: u32) -> Option<u32> {
        self.commit_of(commit).map(|c| c.tree)
    }

    fn commit_of(&self, number: u32) -> Option<&Commit> {
        self.commits.get(self.commit_at(number)? as usize)
    }

    /// The index in `commits` of commit number `number`, if recorded.
    fn commit_at(&self, number: u32) -> Option<u32> {
        self.spans.get(number as usize).filter(|&&(at, count)| count == COMMIT && at != NONE).map(|&(at, _)| at)
    }

    /// The parents of commit number `commit` by number (`NONE`: not in the
    /// scan), if the commit was recorded.
    pub(super) fn parents(&self, commit: u32) -> Option<&[u32]> {
        self.commit_at(commit).map(|at| self.parents_of(at))
    }

    fn parents_of(&self, at: u32) -> &[u32] {
        let end = self.commits.get(at as usize + 1).map_or(self.parents.len(), |next| next.parents_start as usize);
        &self.parents[self.commits[at as usize].parents_start as usize..end]
    }

    /// The commits `tips` reach, oldest first: parents before children,
    /// then by commit time (the order of `git::oldest_first`, which decodes
    /// every commit again). `None` when a reachable commit or the parent of
    /// one is not recorded, unless the commit is at a shallow `boundary`:
    /// only the object database can then say what is wrong.
    pub(super) fn oldest_first(&self, tips: &[u32], boundary: impl Fn(u32) -> bool) -> Option<Vec<u32>> {
        use std::cmp::Reverse;
        let mut reached = vec![false; self.commits.len()];
        let mut stack = Vec::new();
        for &tip in tips {
            stack.push(self.commit_at(tip)?);
        }
        let mut all = Vec::new();
        // Commits with a parent that is not in the scan.
        let mut parent_outside = Vec::new();
        while let Some(at) = stack.pop() {
            if std::mem::replace(&mut reached[at as usize], true) {
                continue;
            }
            all.push(at);
            for &parent in self.parents_of(at) {
                match self.commit_at(parent) {
                    Some(parent_at) => stack.push(parent_at),
                    None => parent_outside.push(at),
                }
            }
        }
        let number_of_at = self.numbers_of_commits();
        // A parent outside the scan: fine only beyond a shallow boundary.
        if !parent_outside.iter().all(|&at| boundary(number_of_at[at as usize])) {
            return None;
        }
        // Oldest commit time first; the object number breaks ties, so the
        // order does not depend on which thread recorded what first.
        all.sort_unstable_by_key(|&at| (self.commits[at as usize].time, number_of_at[at as usize]));
        let mut position = vec![0u32; self.commits.len()];
        for (i, &at) in all.iter().enumerate() {
            position[at as usize] = i as u32;
        }
        // Each commit's children, as one array in runs (`starts`): a vector
        // per commit was ~11 MB on git/git, at the end of the scan.
        let mut waiting_on = vec![0u32; self.commits.len()];
        let mut starts = vec![0u32; self.commits.len() + 1];
        for &at in &all {
            for parent_at in self.parents_of(at).iter().filter_map(|&parent| self.commit_at(parent)) {
                waiting_on[at as usize] += 1;
                starts[parent_at as usize + 1] += 1;
            }
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut filled = starts.clone();
        let mut edges = vec![0u32; *starts.last().unwrap_or(&0) as usize];
        for &at in &all {
            for parent_at in self.parents_of(at).iter().filter_map(|&parent| self.commit_at(parent)) {
                edges[filled[parent_at as usize] as usize] = at;
                filled[parent_at as usize] += 1;
            }
        }
        drop(filled);
        let children = |at: u32| &edges[starts[at as usize] as usize..starts[at as usize + 1] as usize];
        let key = |at: u32| Reverse((self.commits[at as usize].time, position[at as usize], at));
        let mut ready: std::collections::BinaryHeap<_> =
            all.iter().copied().filter(|&at| waiting_on[at as usize] == 0).map(key).collect();
        let mut order = Vec::with_capacity(all.len());
        while let Some(Reverse((_, _, at))) = ready.pop() {
            order.push(number_of_at[at as usize]);
            for &child in children(at) {
                waiting_on[child as usize] -= 1;
                if waiting_on[child as usize] == 0 {
                    ready.push(key(child));
                }
            }
        }
        Some(order)
    }

    /// Each commit's object number, by its index in `commits`.
    fn numbers_of_commits(&self) -> Vec<u32> {
        let mut numbers = vec![NONE; self.commits.len()];
        for n in 0..self.spans.len() as u32 {
            if let Some(at) = self.commit_at(n) {
                numbers[at as usize] = n;
            }
        }
        numbers
    }

    /// Whether tree `tree` was recorded.
    pub(super) fn has_tree(&self, tree: u32) -> bool {
        self.spans.get(tree as usize).is_some_and(|&(start, count)| start != NONE && count != COMMIT)
    }

    /// Call `each` with every recorded child of `tree`, in entry order.
    pub(super) fn children(&self, tree: u32, mut each: impl FnMut(&[u8], Child) -> ControlFlow<()>) -> ControlFlow<()> {
        let Some(&(start, count)) = self.spans.get(tree as usize).filter(|span| span.0 != NONE && span.1 != COMMIT)
        else {
            return ControlFlow::Continue(());
        };
        for &(code, name) in &self.children[start as usize..(start + count) as usize] {
            let child =
                if code & BLOB != 0 { Child::Blob(self.blobs[(code & !BLOB) as usize]) } else { Child::Tree(code) };
            each(&self.names[name as usize], child)?;
        }
        ControlFlow::Continue(())
    }
}
