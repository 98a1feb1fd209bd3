//! Which findings' commits only refs that are not branches or tags reach
//! (`refs/pull/497/head`, `refs/notes/…`, a stash): a maintainer who looks
//! for them on `main` finds nothing, so the report names the ref.

use std::collections::{HashMap, HashSet};

use gix::ObjectId;

use super::super::git::walk_error;
use super::tips::Tips;
use crate::error::Error;

/// For each of `commits` that no branch, tag or remote-tracking branch
/// reaches, a ref that does. Nothing to walk when every tip is a branch or a
/// tag, the common case.
pub(super) fn only_from(
    repo: &gix::Repository,
    tips: &Tips,
    commits: &HashSet<ObjectId>,
) -> Result<HashMap<ObjectId, String>, Error> {
    let mut named = HashMap::new();
    if tips.hidden.is_empty() || commits.is_empty() {
        return Ok(named);
    }
    let hidden_tips: Vec<ObjectId> = tips.hidden.iter().map(|(_, id)| *id).collect();
    // One walk from every hidden ref, hiding what branches and tags reach:
    // the commits only hidden refs reach, with their parents. A walk per
    // ref (thousands of pull-request refs on a busy project) computed the
    // same hidden frontier each time: minutes on botocore.
    let walk = repo
        .rev_walk(hidden_tips.iter().copied())
        .with_hidden(tips.visible.iter().copied())
        .all()
        .map_err(walk_error(repo, &hidden_tips, "history"))?;
    let mut parents: HashMap<ObjectId, Vec<ObjectId>> = HashMap::new();
    for info in walk {
        let info = info.map_err(walk_error(repo, &hidden_tips, "history"))?;
        parents.insert(info.id, info.parent_ids.to_vec());
    }
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
