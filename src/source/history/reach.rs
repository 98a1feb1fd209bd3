//! Which findings' commits only refs that are not branches or tags reach
//! (`refs/pull/497/head`, `refs/notes/…`, a stash): a maintainer who looks
//! for them on `main` finds nothing, so the report names the ref.

use std::collections::{HashMap, HashSet};

use gix::ObjectId;

use super::super::git::walk_error;
use super::graph::{self, Graph};
use super::integrity::Integrity;
use super::tips::Tips;
use crate::error::Error;

/// For each of `commits` that no branch, tag or remote-tracking branch
/// reaches, a ref that does. Nothing to walk when every tip is a branch or a
/// tag, the common case.
pub(super) fn only_from(
    repo: &gix::Repository,
    tips: &Tips,
    commits: &HashSet<ObjectId>,
    recorded: Option<(&Graph, &Integrity)>,
) -> Result<HashMap<ObjectId, String>, Error> {
    let mut named = HashMap::new();
    if tips.hidden.is_empty() || commits.is_empty() {
        return Ok(named);
    }
    let parents = match recorded.and_then(|(graph, integrity)| hidden_only(graph, integrity, tips)) {
        Some(parents) => parents,
        None => hidden_only_walked(repo, tips)?,
    };
    let mut unnamed: HashSet<ObjectId> = commits.iter().copied().filter(|id| parents.contains_key(id)).collect();
    // Each ref, in order, names the commits it reaches that no earlier ref
    // did; what an earlier ref's walk entered, it named (or left named).
    let mut entered = HashSet::new();
    for (name, tip) in &tips.hidden {
        if unnamed.is_empty() {
            break;
        }
        let mut stack = vec![*tip];
        while let Some(id) = stack.pop() {
            let Some(next) = parents.get(&id) else { continue };
            if !entered.insert(id) {
                continue;
            }
            if unnamed.remove(&id) {
                named.insert(id, name.clone());
            }
            stack.extend(next.iter().copied());
        }
    }
    Ok(named)
}

/// The commits only hidden refs reach, with their parents, from the
/// commits the traversal recorded: no commit is inflated again (through
/// the object database, on git/git's 2,000 pull-request refs, this was a
/// single-threaded 3 s at the end of the scan). `None` when a commit on
/// the way was not recorded.
fn hidden_only(graph: &Graph, integrity: &Integrity, tips: &Tips) -> Option<HashMap<ObjectId, Vec<ObjectId>>> {
    let mut reached = HashSet::new();
    let mut stack: Vec<u32> = tips.visible.iter().map(|id| integrity.number(id)).collect::<Option<_>>()?;
    while let Some(commit) = stack.pop() {
        if reached.insert(commit) {
            stack.extend(graph.parents(commit)?.iter().filter(|&&p| p != graph::NONE));
        }
    }
    let mut parents = HashMap::new();
    let mut stack: Vec<u32> = tips.hidden.iter().map(|(_, id)| integrity.number(id)).collect::<Option<_>>()?;
    while let Some(commit) = stack.pop() {
        if !reached.insert(commit) {
            continue;
        }
        // A parent outside the scan is beyond a shallow boundary.
        let numbers: Vec<u32> = graph.parents(commit)?.iter().copied().filter(|&p| p != graph::NONE).collect();
        let ids = numbers.iter().map(|&p| integrity.id_of(p)).collect::<Option<Vec<_>>>()?;
        parents.insert(integrity.id_of(commit)?, ids);
        stack.extend(numbers);
    }
    Some(parents)
}

/// `hidden_only` through the object database: one walk from every hidden
/// ref, hiding what branches and tags reach. A walk per ref (thousands of
/// pull-request refs on a busy project) computed the same hidden frontier
/// each time: minutes on botocore.
fn hidden_only_walked(repo: &gix::Repository, tips: &Tips) -> Result<HashMap<ObjectId, Vec<ObjectId>>, Error> {
    let hidden_tips: Vec<ObjectId> = tips.hidden.iter().map(|(_, id)| *id).collect();
    let walk = repo
        .rev_walk(hidden_tips.iter().copied())
        .with_hidden(tips.visible.iter().copied())
        .all()
        .map_err(walk_error(repo, &hidden_tips, "history"))?;
    let mut parents = HashMap::new();
    for info in walk {
        let info = info.map_err(walk_error(repo, &hidden_tips, "history"))?;
        parents.insert(info.id, info.parent_ids.to_vec());
    }
    Ok(parents)
}
