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
    let only_hidden = |from: Vec<ObjectId>| -> Result<Vec<ObjectId>, Error> {
        let walk = repo
            .rev_walk(from.iter().copied())
            .with_hidden(tips.visible.iter().copied())
            .all()
            .map_err(walk_error(repo, &from, "history"))?;
        let mut found = Vec::new();
        for info in walk {
            let id = info.map_err(walk_error(repo, &from, "history"))?.id;
            if commits.contains(&id) {
                found.push(id);
            }
        }
        Ok(found)
    };
    let mut unnamed: HashSet<ObjectId> = only_hidden(hidden_tips)?.into_iter().collect();
    // One walk per ref only while some commit still needs a name: there may
    // be thousands of pull-request refs, and most reach nothing found.
    for (name, tip) in &tips.hidden {
        if unnamed.is_empty() {
            break;
        }
        for id in only_hidden(vec![*tip])? {
            if unnamed.remove(&id) {
                named.insert(id, name.clone());
            }
        }
    }
    Ok(named)
}
