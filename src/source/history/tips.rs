//! Where a history scan starts: every ref (branches, tags, remotes, notes,
//! replacements), every entry of the stash reflog, and the HEAD of every
//! worktree; or one branch. Refs to trees and blobs are kept apart: their
//! content has no commit.

use gix::ObjectId;

use super::super::git::{context, one_line, resolve_commit};
use crate::error::Error;

/// What a history scan starts from.
#[derive(Default)]
pub(super) struct Tips {
    pub(super) commits: Vec<ObjectId>,
    /// Refs that point at a tree or a blob rather than a commit (a tag of
    /// a tree or of a file): what they hold is as reachable as any commit's
    /// content, and has no commit to be attributed to. (ref name, id, kind)
    pub(super) objects: Vec<(String, ObjectId, gix::object::Kind)>,
    /// The commit tips a person browsing the repository sees: branches,
    /// tags, remote-tracking branches and HEAD.
    pub(super) visible: Vec<ObjectId>,
    /// The other commit tips, by ref name (`refs/pull/497/head`, notes,
    /// stash entries): what only they reach is reported as such.
    pub(super) hidden: Vec<(String, ObjectId)>,
}

/// Whether a ref is one people browse (`git log main`, a tag on the web).
fn is_visible(name: &str) -> bool {
    name == "HEAD" || ["refs/heads/", "refs/tags/", "refs/remotes/"].iter().any(|p| name.starts_with(p))
}

/// The commits whose history is reported: every ref (branches, tags,
/// remotes, notes, replacements, stash) and HEAD, or just `branch`.
pub(super) fn tips(repo: &gix::Repository, branch: Option<&str>) -> Result<Tips, Error> {
    if let Some(branch) = branch {
        let tip = resolve_commit(repo, branch)?;
        return Ok(Tips { commits: vec![tip], visible: vec![tip], ..Tips::default() });
    }
    let mut tips = Tips::default();
    let mut add = |name: &str, id: ObjectId| -> Result<(), Error> {
        let kind = repo.find_header(id).map_err(context(format!("cannot read {id} (ref {name})")))?.kind();
        match kind {
            gix::object::Kind::Commit => {
                tips.commits.push(id);
                if is_visible(name) {
                    tips.visible.push(id);
                } else {
                    tips.hidden.push((name.to_string(), id));
                }
            }
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
