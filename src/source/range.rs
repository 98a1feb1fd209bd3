//! `--range A..B` / `A...B` / `--since REF` (the CI gate): every commit in B
//! not reachable from A, oldest first; the blobs each commit introduces (tree
//! diff against its first parent, root commits against the empty tree),
//! each handed to the sink with the parents' versions it replaces, so that
//! findings are on the lines each commit adds, attributed to that commit.
//!
//! A merge introduces only what none of its parents had: a file it takes
//! whole from another parent is skipped, and in a file it combines only the
//! lines absent from every parent count (an evil merge). The first-parent
//! diff alone would blame a merge for the side branch's keys a second time,
//! and a merge of the base into the range for keys the base already had.

use std::collections::HashSet;

use gix::bstr::ByteSlice;
use gix::objs::FindExt;
use gix::ObjectId;

use super::git::{context, oldest_first, read_blob, read_previous, resolve_commit, shown, walk_error, ReadOptions};
use super::{Lines, Listing, Sink};
use crate::blob::Origin;
use crate::error::Error;

/// One blob a commit introduced at a path.
pub struct Introduced {
    pub commit: ObjectId,
    pub path: Vec<u8>,
    pub id: ObjectId,
    /// The blobs this one replaced: the first parent's at the same path, if
    /// any, then (for a merge) those of the other parents that have the path
    /// as a file. A line counts only if none of them has it.
    pub earlier: Vec<ObjectId>,
}

/// Split `A..B` or `A...B`. An empty head means HEAD, as in git
/// (`origin/main..`); an empty base is an error, not HEAD: it is what
/// `--since "$UNSET"` or `--range "$UNSET...$SHA"` become, and HEAD..HEAD
/// would scan nothing and pass.
pub fn parse_range(spec: &str) -> Result<(String, String, bool), Error> {
    let (base, head, symmetric) = if let Some((a, b)) = spec.split_once("...") {
        (a, b, true)
    } else if let Some((a, b)) = spec.split_once("..") {
        (a, b, false)
    } else {
        return Err(Error::Git(format!("bad range '{}': expected A..B or A...B", shown(spec))));
    };
    if base.trim().is_empty() {
        return Err(Error::Git(format!(
            "bad range '{}': the base revision is empty (an unset variable?); name the commit to start after",
            shown(spec)
        )));
    }
    let or_head = |s: &str| {
        if s.is_empty() {
            "HEAD".to_string()
        } else {
            s.to_string()
        }
    };
    Ok((or_head(base), or_head(head), symmetric))
}

/// The commit a range is measured from: `A` of `A..B`, the merge base of
/// `A...B` (the engine reads the allowlists from its tree).
pub fn base(repo: &gix::Repository, spec: &str) -> Result<ObjectId, Error> {
    let (base, head, symmetric) = parse_range(spec)?;
    let base_id = resolve_commit(repo, &base)?;
    if !symmetric {
        return Ok(base_id);
    }
    let head_id = resolve_commit(repo, &head)?;
    Ok(repo
        .merge_base(base_id, head_id)
        .map_err(context(format!("cannot compute the merge base of '{base}' and '{head}'")))?
        .ok_or_else(|| Error::Git(format!("'{}' and '{}' have no merge base", shown(&base), shown(&head))))?
        .detach())
}

/// The commits of the range, oldest first.
pub fn commits(repo: &gix::Repository, spec: &str) -> Result<Vec<ObjectId>, Error> {
    let (_, head, _) = parse_range(spec)?;
    let head_id = resolve_commit(repo, &head)?;
    let base_id = base(repo, spec)?;
    let walk = repo
        .rev_walk([head_id])
        .with_hidden([base_id])
        .sorting(gix::revision::walk::Sorting::ByCommitTime(Default::default()))
        .all()
        .map_err(walk_error(repo, &[head_id], spec))?;
    oldest_first(repo, &[head_id], walk, spec)
}

/// What each commit introduced, in commit order; a blob introduced twice at
/// one path (re-added, or a merge re-showing its side branch) is kept at its
/// first commit only. The same blob at another path is another place, and
/// is listed again: an allowlisted copy (`fixtures/**`) must not hide it.
pub fn introduced(repo: &gix::Repository, commits: &[ObjectId]) -> Result<Vec<Introduced>, Error> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut state = gix::diff::tree::State::default();
    let (mut lhs_buf, mut rhs_buf) = (Vec::new(), Vec::new());
    for &commit_id in commits {
        let commit = repo.find_commit(commit_id).map_err(context(format!("cannot read commit {commit_id}")))?;
        let tree = commit.tree_id().map_err(context(format!("cannot read commit {commit_id}")))?.detach();
        let lhs = match commit.parent_ids().next() {
            Some(parent) => {
                let parent_tree = repo
                    .find_commit(parent)
                    .and_then(|p| p.tree_id())
                    .map_err(context(format!("cannot read parent {parent} of {commit_id}")))?
                    .detach();
                repo.objects
                    .find_tree_iter(&parent_tree, &mut lhs_buf)
                    .map_err(context(format!("cannot read tree {parent_tree}")))?
            }
            // A root commit, against the empty tree. Not looked up: git never
            // writes the empty tree unless some commit has it.
            None => gix::objs::TreeRefIter::from_bytes(&[], repo.object_hash()),
        };
        let mut other_parent_trees = Vec::new();
        for parent in commit.parent_ids().skip(1) {
            other_parent_trees.push(
                repo.find_commit(parent)
                    .and_then(|p| p.tree())
                    .map_err(context(format!("cannot read parent {parent} of {commit_id}")))?,
            );
        }
        let rhs =
            repo.objects.find_tree_iter(&tree, &mut rhs_buf).map_err(context(format!("cannot read tree {tree}")))?;
        let mut recorder = gix::diff::tree::Recorder::default();
        gix::diff::tree(lhs, rhs, &mut state, &repo.objects, &mut recorder)
            .map_err(context(format!("cannot diff commit {commit_id}")))?;
        for change in recorder.records {
            use gix::diff::tree::recorder::Change;
            let (mode, id, path, previous) = match change {
                Change::Addition { entry_mode, oid, path, .. } => (entry_mode, oid, path, None),
                Change::Modification { entry_mode, oid, path, previous_oid, previous_entry_mode } => {
                    (entry_mode, oid, path, previous_entry_mode.is_blob_or_symlink().then_some(previous_oid))
                }
                Change::Deletion { .. } => continue,
            };
            // A symlink is a blob whose content is the target text, which
            // can be a key as well as any file can.
            if !mode.is_blob_or_symlink() || seen.contains(&(id, path.clone())) {
                continue;
            }
            let mut other_parents = Vec::new();
            for other in &other_parent_trees {
                let entry = other
                    .lookup_entry(path.split(|&b| b == b'/'))
                    .map_err(context(format!("cannot read a parent tree of {commit_id}")))?;
                if let Some(entry) = entry.filter(|e| e.mode().is_blob_or_symlink()) {
                    other_parents.push(entry.object_id());
                }
            }
            // Taken whole from another parent: the merge introduced nothing here.
            if other_parents.contains(&id) {
                continue;
            }
            seen.insert((id, path.clone()));
            let mut earlier = other_parents;
            if let Some(previous) = previous {
                earlier.insert(0, previous);
            }
            out.push(Introduced { commit: commit_id, path: path.as_bytes().to_vec(), id, earlier });
        }
    }
    Ok(out)
}

/// The blobs the commits of `spec` introduced, listed for the sink's owner.
pub fn list(repo: &gix::Repository, spec: &str, options: &ReadOptions) -> Result<Range, Error> {
    let commits = commits(repo, spec).map_err(|e| in_shallow_clone(repo, e))?;
    let introduced = introduced(repo, &commits).map_err(|e| in_shallow_clone(repo, e))?;
    Ok(Range { introduced, options: *options })
}

/// What a range introduced, for the sink's owner to read.
pub struct Range {
    introduced: Vec<Introduced>,
    options: ReadOptions,
}

impl Listing for Range {
    type Item = Introduced;

    fn items(&self) -> &[Introduced] {
        &self.introduced
    }

    fn read(&self, repo: &gix::Repository, item: &Introduced, sink: &dyn Sink) -> Result<(), Error> {
        let origin = Origin {
            path: item.path.clone(),
            commit: Some(item.commit.to_string()),
            blob_id: Some(item.id.to_string()),
        };
        let Some(bytes) = read_blob(repo, item.id, &self.options, &origin, sink)? else {
            return Ok(());
        };
        let read = |id| read_previous(repo, id, &self.options, sink);
        sink.blob(&bytes, &origin, Lines::AddedSince { earlier: &item.earlier, read: &read });
        Ok(())
    }
}

/// A CI checkout is shallow by default, so a base that was not fetched, a
/// missing merge base or a parent beyond the boundary is usually that, not a
/// broken repository; say so and how to fix it. Still an error: scanning
/// only the commits that happen to be local would pass unseen ones.
fn in_shallow_clone(repo: &gix::Repository, error: Error) -> Error {
    match error {
        Error::Git(message) if repo.is_shallow().unwrap_or(false) => Error::Git(format!(
            "{message} (this is a shallow clone: fetch the history the range needs, e.g. \
             `git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout)"
        )),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn range_syntax() {
        assert_eq!(parse_range("a..b").unwrap(), ("a".into(), "b".into(), false));
        assert_eq!(parse_range("a...b").unwrap(), ("a".into(), "b".into(), true));
        assert_eq!(parse_range("origin/main..").unwrap(), ("origin/main".into(), "HEAD".into(), false));
        assert!(parse_range("main").is_err());
    }

    #[test]
    fn an_empty_base_revision_is_an_error_not_head() {
        for spec in ["..HEAD", "...abc", "..", " ..HEAD"] {
            let error = parse_range(spec).unwrap_err().to_string();
            assert!(error.contains("base revision is empty"), "{spec}: {error}");
        }
    }
}
