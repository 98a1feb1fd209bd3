//! Where the attribution walk reads trees: the graph the traversal
//! recorded (no inflating, and only the entries that matter), or the
//! object database when part of the scan could not be recorded.

use std::ops::ControlFlow;

use gix::objs::FindExt;
use gix::ObjectId;

use super::super::git::one_line;
use super::graph::{self, Graph};
use super::integrity::Integrity;
use crate::error::Error;

/// What a walk's source calls for each entry of a tree.
type EachEntry<'e, T> = dyn FnMut(&[u8], Child<T>) -> ControlFlow<()> + 'e;

/// Where the walk reads trees: the graph the traversal recorded, or the
/// object database (when part of the scan could not be recorded).
pub(super) trait Trees {
    type Tree: Copy + Eq + std::hash::Hash;
    /// A commit's root tree; `Ok(None)` when this source does not have it.
    fn commit_tree(&mut self, commit: ObjectId) -> Result<Option<Self::Tree>, Error>;
    /// A tree a ref names; `None` when this source does not have it.
    fn tree(&mut self, id: ObjectId) -> Option<Self::Tree>;
    /// Call `each` with the tree's subtrees and blobs, in entry order.
    fn entries(&mut self, tree: Self::Tree, each: &mut EachEntry<'_, Self::Tree>) -> Result<ControlFlow<()>, Error>;
}

pub(super) enum Child<'a, T> {
    Tree(T),
    Blob(&'a gix::oid),
}

/// Every tree inflated again, through a delta-base cache (trees are mostly
/// deltas against each other).
pub(super) struct Odb {
    pub(super) repo: gix::Repository,
    pub(super) buf: Vec<u8>,
}

impl Trees for Odb {
    type Tree = ObjectId;

    fn commit_tree(&mut self, commit: ObjectId) -> Result<Option<ObjectId>, Error> {
        let tree = self.repo.find_commit(commit).and_then(|commit| commit.tree_id().map(gix::Id::detach));
        tree.map(Some).map_err(|e| Error::Git(format!("cannot read commit {commit}: {}", one_line(e))))
    }

    fn tree(&mut self, id: ObjectId) -> Option<ObjectId> {
        Some(id)
    }

    fn entries(&mut self, tree: ObjectId, each: &mut EachEntry<'_, ObjectId>) -> Result<ControlFlow<()>, Error> {
        let entries = self
            .repo
            .objects
            .find_tree_iter(&tree, &mut self.buf)
            .map_err(|e| Error::Git(format!("cannot read tree {tree}: {}", one_line(e))))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::Git(format!("corrupt tree {tree}: {}", one_line(e))))?;
            let child = if entry.mode.is_tree() {
                Child::Tree(entry.oid.to_owned())
            // Symlinks are blobs too (the target text), and so are
            // scanned from the packs: they must be placed as well.
            } else if entry.mode.is_blob_or_symlink() {
                Child::Blob(entry.oid)
            } else {
                continue;
            };
            if each(entry.filename, child).is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        Ok(ControlFlow::Continue(()))
    }
}

/// The trees as the traversal recorded them: no inflating, and only the
/// entries that matter here (subtrees, blobs that need a place).
pub(super) struct Recorded<'i> {
    pub(super) graph: &'i Graph,
    pub(super) integrity: &'i Integrity,
}

impl Trees for Recorded<'_> {
    type Tree = u32;

    fn commit_tree(&mut self, commit: ObjectId) -> Result<Option<u32>, Error> {
        Ok(self.integrity.number(&commit).and_then(|n| self.graph.commit_tree(n)))
    }

    fn tree(&mut self, id: ObjectId) -> Option<u32> {
        self.integrity.number(&id).filter(|&n| self.graph.has_tree(n))
    }

    fn entries(&mut self, tree: u32, each: &mut EachEntry<'_, u32>) -> Result<ControlFlow<()>, Error> {
        // Every tree of the scan was recorded: an object named as a tree
        // that was not is something else.
        if !self.graph.has_tree(tree) {
            let id = self.integrity.id_of(tree).map(|id| id.to_string()).unwrap_or_default();
            return Err(Error::Git(format!("cannot read tree {id}: the object is not a tree")));
        }
        Ok(self.graph.children(tree, |name, child| match child {
            graph::Child::Tree(n) => each(name, Child::Tree(n)),
            graph::Child::Blob(id) => each(name, Child::Blob(&id)),
        }))
    }
}
