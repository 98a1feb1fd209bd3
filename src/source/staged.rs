//! `--staged` (the pre-commit hook): index blobs of added, modified and copied
//! entries against `HEAD^{tree}` (the empty tree on an unborn HEAD), read from
//! the object database, never from the work tree. Each blob goes to the sink
//! with the HEAD version it replaces, so that the sink can narrow findings to
//! the lines the staged change adds.
//!
//! Hand-rolled join of index and HEAD rather than gix's `tree_index_status`:
//! that refuses sparse indexes and pulls in the status machinery
//! (notes/gix-and-detection.md §1b).

use std::collections::{HashMap, HashSet};

use gix::index::entry::{Flags, Mode};
use gix::ObjectId;

use super::git::{context, read_blob, read_previous, ReadOptions};
use super::{Lines, Listing, Sink};
use crate::blob::Origin;
use crate::error::Error;

/// One staged path to scan: its new blob and, if the path existed in HEAD,
/// the old one (for the added-line filter).
pub struct Change {
    path: Vec<u8>,
    id: ObjectId,
    previous: Option<ObjectId>,
}

/// The staged blobs, listed: what `git commit` is about to add. An empty or
/// deletion-only commit lists nothing. (git-secrets falls back to scanning
/// the whole index there.)
pub fn list(repo: &gix::Repository, options: &ReadOptions) -> Result<Staged, Error> {
    Ok(Staged { changes: staged_changes(repo)?, options: *options })
}

/// Whether the commit being made is one of cherry-pick, revert or rebase,
/// which commit without running the pre-commit hook (prepare-commit-msg
/// still runs). git's state says so: `CHERRY_PICK_HEAD` (every pick,
/// rebase's too), `REVERT_HEAD` (a revert that stopped), `sequencer/` (a
/// series), `rebase-merge/` or `rebase-apply/`; a single revert leaves none
/// and is known by the message git prepared ("This reverts commit <id>.").
pub fn sequenced_commit(repo: &gix::Repository) -> bool {
    let git_dir = repo.git_dir();
    let state = ["CHERRY_PICK_HEAD", "REVERT_HEAD", "sequencer", "rebase-merge", "rebase-apply"];
    if state.iter().any(|name| git_dir.join(name).exists()) {
        return true;
    }
    // Read with a bound: the file is the repository's, and may be anything.
    let mut message = Vec::new();
    if let Ok(file) = std::fs::File::open(git_dir.join("COMMIT_EDITMSG")) {
        use std::io::Read;
        let _ = file.take(64 * 1024).read_to_end(&mut message);
    }
    message.split(|&b| b == b'\n').any(|line| line.starts_with(b"This reverts commit "))
}

/// The staged changes of one commit, for the sink's owner to read.
pub struct Staged {
    changes: Vec<Change>,
    options: ReadOptions,
}

impl Listing for Staged {
    type Item = Change;

    fn items(&self) -> &[Change] {
        &self.changes
    }

    fn read(&self, repo: &gix::Repository, change: &Change, sink: &dyn Sink) -> Result<(), Error> {
        let origin = Origin { path: change.path.clone(), commit: None, blob_id: Some(change.id.to_string()) };
        let Some(bytes) = read_blob(repo, change.id, &self.options, &origin, sink)? else {
            return Ok(());
        };
        let read = |id| read_previous(repo, id, &self.options, sink);
        sink.blob(&bytes, &origin, Lines::AddedSince { earlier: change.previous.as_slice(), read: &read });
        Ok(())
    }
}

fn staged_changes(repo: &gix::Repository) -> Result<Vec<Change>, Error> {
    let index = read_index(repo)?;
    let head_tree = repo.head_tree_id_or_empty().map_err(context("cannot resolve HEAD^{tree}"))?.detach();
    let head = (head_tree != ObjectId::empty_tree(repo.object_hash())).then_some(head_tree);
    let mut diff = IndexDiff { repo, index: &index, changes: Vec::new(), deleted: HashSet::new(), buf: Vec::new() };
    diff.directory(index.entries(), 0, index.tree(), head)?;
    // A pure rename: the content left one path of HEAD for another.
    let IndexDiff { mut changes, deleted, .. } = diff;
    changes.retain(|change| change.previous.is_some() || !deleted.contains(&change.id));
    Ok(changes)
}

/// The index as git reads it: memory-mapped (gix maps it, private and
/// read-only, rather than reading it into a buffer) and without verifying
/// its SHA-1 trailer, which git does not do on read either
/// (`index.skipHash`, and read-cache.c checks only the header): on a
/// 120,000-file index the hash was a fifth of `--staged`'s time. A torn or
/// corrupt index still fails to decode (its entries, extensions and sizes
/// are checked), and a missing one is the empty index of an unborn branch.
fn read_index(repo: &gix::Repository) -> Result<gix::index::File, Error> {
    let path = repo.index_path();
    let options = gix::index::decode::Options {
        // One thread: entries are decoded in a few milliseconds, and a
        // pre-commit hook should not spin up a pool for them.
        thread_limit: Some(1),
        min_extension_block_in_bytes_for_threading: 0,
        expected_checksum: None,
        alloc_limit_bytes: None,
    };
    gix::index::File::at_or_default(&path, repo.object_hash(), true, options)
        .map_err(context(format!("cannot read the index {}", path.display())))
}

/// The index compared with HEAD's tree directory by directory, the way
/// `git diff --cached` does it: a directory whose cached tree id (the
/// index's TREE extension) equals HEAD's is unchanged and skipped whole, so
/// a commit of a few files decodes only the trees on their paths.
struct IndexDiff<'r> {
    repo: &'r gix::Repository,
    index: &'r gix::index::File,
    changes: Vec<Change>,
    /// Blob ids of HEAD paths the index no longer has (rename detection).
    deleted: HashSet<ObjectId>,
    buf: Vec<u8>,
}

impl IndexDiff<'_> {
    /// `entries` all live under one directory whose path is `prefix_len`
    /// bytes long (with its `/`); `cache` is its cached tree, `head` its tree
    /// in HEAD.
    fn directory(
        &mut self,
        entries: &[gix::index::Entry],
        prefix_len: usize,
        cache: Option<&gix::index::extension::Tree>,
        head: Option<ObjectId>,
    ) -> Result<(), Error> {
        if let (Some(cache), Some(head)) = (cache, head) {
            if cache.num_entries.is_some() && cache.id == head {
                return Ok(());
            }
        }
        let in_head = match head {
            Some(tree) => self.tree_entries(tree)?,
            None => HashMap::new(),
        };
        let mut present: HashSet<Vec<u8>> = HashSet::new();
        let mut i = 0;
        while i < entries.len() {
            let path: &[u8] = entries[i].path(self.index).as_ref();
            let relative = &path[prefix_len.min(path.len())..];
            match memchr::memchr(b'/', relative) {
                Some(slash) if slash + 1 < relative.len() => {
                    let name = &relative[..=slash];
                    let end = i + entries[i..]
                        .iter()
                        .take_while(|e| e.path(self.index).get(prefix_len..).is_some_and(|r| r.starts_with(name)))
                        .count();
                    let name = &name[..slash];
                    present.insert(name.to_vec());
                    let child = cache.and_then(|c| c.children.iter().find(|t| t.name.as_slice() == name));
                    let head_child = in_head.get(name).filter(|(mode, _)| mode.is_tree()).map(|(_, id)| *id);
                    self.directory(&entries[i..end], prefix_len + slash + 1, child, head_child)?;
                    i = end;
                }
                _ => {
                    let entry = &entries[i];
                    i += 1;
                    present.insert(relative.strip_suffix(b"/").unwrap_or(relative).to_vec());
                    // Conflict stages cannot be committed; intent-to-add
                    // entries carry the empty blob; gitlinks are commits of
                    // another repository.
                    if entry.stage_raw() != 0
                        || entry.flags.contains(Flags::INTENT_TO_ADD)
                        || entry.mode == Mode::COMMIT
                    {
                        continue;
                    }
                    // A sparse directory entry is a tree git has not
                    // expanded; it can still differ from HEAD's (`git reset
                    // --soft` to an older commit), and what differs is staged.
                    if entry.mode == Mode::DIR {
                        let name = relative.strip_suffix(b"/").unwrap_or(relative);
                        let head_tree = in_head.get(name).filter(|(mode, _)| mode.is_tree()).map(|(_, id)| *id);
                        if head_tree != Some(entry.id) {
                            let dir = path.strip_suffix(b"/").unwrap_or(path).to_vec();
                            self.sparse_directory(dir, entry.id, head_tree)?;
                        }
                        continue;
                    }
                    let previous =
                        in_head.get(relative).filter(|(mode, _)| mode.is_blob_or_symlink()).map(|(_, id)| *id);
                    if previous != Some(entry.id) {
                        self.changes.push(Change { path: path.to_vec(), id: entry.id, previous });
                    }
                }
            }
        }
        for (name, (mode, id)) in &in_head {
            if !present.contains(name.as_slice()) {
                self.note_deleted(*mode, *id)?;
            }
        }
        Ok(())
    }

    /// The blobs of the tree `tree` at `dir` (a sparse directory entry) that
    /// `head` (HEAD's tree there) does not have at the same path.
    fn sparse_directory(&mut self, dir: Vec<u8>, tree: ObjectId, head: Option<ObjectId>) -> Result<(), Error> {
        let in_head = match head {
            Some(head) => self.tree_entries(head)?,
            None => HashMap::new(),
        };
        let entries = self.tree_entries(tree)?;
        for (name, (mode, id)) in &in_head {
            if !entries.contains_key(name) {
                self.note_deleted(*mode, *id)?;
            }
        }
        for (name, (mode, id)) in entries {
            let path = [dir.as_slice(), b"/", &name].concat();
            let before = in_head.get(&name).copied();
            if mode.is_tree() {
                let head_child = before.filter(|(mode, _)| mode.is_tree()).map(|(_, id)| id);
                if head_child != Some(id) {
                    self.sparse_directory(path, id, head_child)?;
                }
            } else if mode.is_blob_or_symlink() {
                let previous = before.filter(|(mode, _)| mode.is_blob_or_symlink()).map(|(_, id)| id);
                if previous != Some(id) {
                    self.changes.push(Change { path, id, previous });
                }
            }
        }
        Ok(())
    }

    /// Remember the blobs of a path HEAD has and the index does not.
    fn note_deleted(&mut self, mode: gix::object::tree::EntryMode, id: ObjectId) -> Result<(), Error> {
        if mode.is_blob_or_symlink() {
            self.deleted.insert(id);
        } else if mode.is_tree() {
            for (mode, id) in self.tree_entries(id)?.into_values() {
                self.note_deleted(mode, id)?;
            }
        }
        Ok(())
    }

    fn tree_entries(
        &mut self,
        tree: ObjectId,
    ) -> Result<HashMap<Vec<u8>, (gix::object::tree::EntryMode, ObjectId)>, Error> {
        use gix::objs::FindExt;
        let iter = self
            .repo
            .objects
            .find_tree_iter(&tree, &mut self.buf)
            .map_err(|e| Error::Git(format!("cannot read tree {tree} of HEAD: {}", super::git::one_line(e))))?;
        let mut entries = HashMap::new();
        for entry in iter {
            let entry = entry.map_err(|e| Error::Git(format!("corrupt tree {tree}: {}", super::git::one_line(e))))?;
            entries.insert(entry.filename.to_vec(), (entry.mode, entry.oid.to_owned()));
        }
        Ok(entries)
    }
}
