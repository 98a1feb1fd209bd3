//! Opening repositories and reading blobs, shared by the git sources.
//!
//! Repositories are opened the way git opens them for hooks
//! (`discover_with_environment_overrides`), so `GIT_DIR`, `GIT_WORK_TREE` and
//! above all `GIT_INDEX_FILE` (set by `git commit -a` and `git commit <paths>`)
//! select what git is really about to commit.

use std::fmt::Display;
use std::path::Path;

use gix::ObjectId;

use super::Sink;
use crate::blob::{Origin, SkipReason};
use crate::error::Error;

/// How git sources read blobs.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Larger blobs are skipped (and reported), never inflated.
    pub max_blob_size: u64,
    /// A blob missing from the object database (a partial clone) is skipped
    /// and reported instead of failing the scan (`--skip-missing`).
    pub skip_missing: bool,
}

/// Open the repository that contains `dir`, honouring git's environment.
///
/// Replace refs (`git replace`) are switched off: they make every lookup of
/// the replaced object return the replacement, so the original commit, tree
/// or blob, which is what was committed and pushed and may hold the key,
/// would never be read. The replacements themselves are still scanned: their
/// `refs/replace/*` refs are tips like any other.
pub fn open(dir: &Path) -> Result<gix::Repository, Error> {
    let mut trust = gix::sec::trust::Mapping::<gix::open::Options>::default();
    for options in [&mut trust.full, &mut trust.reduced] {
        *options = options.clone().config_overrides(["core.useReplaceRefs=false"]);
    }
    let shown_dir = || crate::blob::escape_for_terminal(&crate::blob::path_bytes(dir));
    let repo = gix::ThreadSafeRepository::discover_with_environment_overrides_opts(dir, Default::default(), trust)
        .map(|repo| repo.to_thread_local())
        .map_err(|e| {
            // A repository that is there but cannot be opened (an
            // `include.path` loop, a broken config) is not "not a
            // repository": its causes say what is wrong with it.
            let causes = one_line(crate::error::with_causes(&e));
            if let Ok((found, _)) = gix::discover::upwards(dir) {
                let (git_dir, _) = found.into_repository_and_work_tree_directories();
                let git_dir = crate::blob::escape_for_terminal(&crate::blob::path_bytes(&git_dir));
                let hint = if causes.contains("include chain") { " (an include.path loop?)" } else { "" };
                Error::Git(format!(
                    "the git repository {git_dir} is there, but keyfence cannot open it: {causes}{hint}"
                ))
            } else {
                Error::Git(format!("not a git repository (or cannot open it): {}: {causes}", shown_dir()))
            }
        })?;
    reject_reftable(&repo)?;
    Ok(repo)
}

/// gix (0.90) reads only the files backend of refs: in a reftable
/// repository (`git init --ref-format=reftable`) every ref lookup fails with
/// a decoding error that does not say why. Say it once, up front.
fn reject_reftable(repo: &gix::Repository) -> Result<(), Error> {
    let storage = repo.config_snapshot().string("extensions.refStorage");
    let reftable =
        storage.is_some_and(|s| s.eq_ignore_ascii_case(b"reftable")) || repo.common_dir().join("reftable").is_dir();
    if reftable {
        return Err(Error::Git(format!(
            "the repository at {} uses the reftable ref storage (extensions.refStorage = reftable), which keyfence \
             does not support yet; `git refs migrate --ref-format=files` converts it",
            crate::blob::escape_for_terminal(&crate::blob::path_bytes(repo.git_dir()))
        )));
    }
    Ok(())
}

/// Turn any error into `Error::Git` with context, on one line: the context
/// may quote what the user typed (a ref, a range), control characters and all.
pub fn context<E: Display>(what: impl Display) -> impl FnOnce(E) -> Error {
    move |e| Error::Git(format!("{}: {}", shown(&what.to_string()), one_line(e)))
}

/// Text for a one-line message: newlines and other control characters escaped.
pub fn shown(text: &str) -> String {
    crate::blob::escape_for_terminal(text.as_bytes())
}

pub fn one_line(e: impl Display) -> String {
    e.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Read a blob unless it is larger than the size cap (checked from the
/// object header, so a huge blob is never inflated). `Ok(None)` = skipped
/// and reported to the sink.
pub fn read_blob(
    repo: &gix::Repository,
    id: ObjectId,
    options: &ReadOptions,
    origin: &Origin,
    sink: &dyn Sink,
) -> Result<Option<Vec<u8>>, Error> {
    let described = || format!("blob {id} ({})", origin.display_path());
    let Some(header) = repo.try_find_header(id).map_err(context(format!("cannot read {}", described())))? else {
        if options.skip_missing {
            sink.skip(origin, SkipReason::Missing);
            return Ok(None);
        }
        return Err(Error::Git(format!(
            "missing {}: the repository is incomplete (a partial clone?); --skip-missing scans what is local",
            described()
        )));
    };
    if header.size() > options.max_blob_size {
        sink.skip(origin, SkipReason::TooLarge(header.size()));
        return Ok(None);
    }
    let mut blob = repo.find_blob(id).map_err(context(format!("cannot read {}", described())))?;
    Ok(Some(blob.take_data()))
}

/// Resolve a revision to a commit id, peeling annotated tags.
pub fn resolve_commit(repo: &gix::Repository, spec: &str) -> Result<ObjectId, Error> {
    repo.rev_parse_single(format!("{spec}^{{commit}}").as_str()).map(|id| id.detach()).map_err(|e| {
        // gix's own message names its parser's internals; its first
        // cause says what is wrong in the user's terms.
        let reason = std::error::Error::source(&e).map_or_else(|| one_line(&e), one_line);
        Error::Git(format!("bad revision '{}': {reason}", shown(spec)))
    })
}

/// The commits of a walk, oldest first and never a commit before any of its
/// parents (git's `--date-order`, reversed). Commit time alone is not enough:
/// commits made within one second tie (scripts, rebases, `git stash`), and
/// clock skew can date a child before its parent; either would put a
/// descendant first and attribute a blob to it rather than to the commit
/// that introduced it. Ties go to the older commit, then to walk order.
///
/// A commit the walk cannot decode is named (gix's error does not say which).
pub fn oldest_first(
    repo: &gix::Repository,
    tips: &[ObjectId],
    walk: gix::revision::Walk<'_>,
    what: &str,
) -> Result<Vec<ObjectId>, Error> {
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, HashMap};

    let mut commits = Vec::new();
    for info in walk {
        let info = info.map_err(walk_error(repo, tips, what))?;
        commits.push((info.id, info.parent_ids.to_vec(), info.commit_time.unwrap_or(0)));
    }
    // The walk is newest first; index = position from the oldest end.
    commits.reverse();
    let index: HashMap<ObjectId, usize> = commits.iter().enumerate().map(|(i, c)| (c.0, i)).collect();
    let mut waiting_on = vec![0usize; commits.len()];
    let mut children = vec![Vec::new(); commits.len()];
    for (i, (_, parents, _)) in commits.iter().enumerate() {
        // Parents outside the walk (hidden, or beyond a shallow boundary) do not count.
        for parent in parents.iter().filter_map(|p| index.get(p)) {
            waiting_on[i] += 1;
            children[*parent].push(i);
        }
    }
    let mut ready: BinaryHeap<Reverse<(i64, usize)>> =
        (0..commits.len()).filter(|&i| waiting_on[i] == 0).map(|i| Reverse((commits[i].2, i))).collect();
    let mut order = Vec::with_capacity(commits.len());
    while let Some(Reverse((_, i))) = ready.pop() {
        order.push(commits[i].0);
        for &child in &children[i] {
            waiting_on[child] -= 1;
            if waiting_on[child] == 0 {
                ready.push(Reverse((commits[child].2, child)));
            }
        }
    }
    Ok(order)
}

/// An error of a walk from `tips`, naming the commit it could not decode.
pub fn walk_error<'a, E: Display>(
    repo: &'a gix::Repository,
    tips: &'a [ObjectId],
    what: &'a str,
) -> impl FnOnce(E) -> Error + 'a {
    move |e| match undecodable_commit(repo, tips) {
        Some((id, reason)) => {
            Error::Git(format!("cannot walk {}: commit {id} cannot be decoded: {reason}", shown(what)))
        }
        None => context(format!("cannot walk {what}"))(e),
    }
}

/// The first commit reachable from `tips` that cannot be decoded, with why:
/// the walk's own error does not say which. Only runs once a walk failed.
fn undecodable_commit(repo: &gix::Repository, tips: &[ObjectId]) -> Option<(ObjectId, String)> {
    let mut seen: std::collections::HashSet<ObjectId> = tips.iter().copied().collect();
    let mut queue: std::collections::VecDeque<ObjectId> = tips.iter().copied().collect();
    while let Some(id) = queue.pop_front() {
        let Ok(object) = repo.find_object(id).map(gix::Object::detach) else { continue };
        if object.kind != gix::object::Kind::Commit {
            continue;
        }
        // The walk decodes with the token iterator (the committer first,
        // for its time), stricter than `CommitRef`.
        let iter = || gix::objs::CommitRefIter::from_bytes(&object.data, repo.object_hash());
        if let Err(e) = iter().committer() {
            return Some((id, one_line(crate::error::with_causes(&e))));
        }
        for token in iter() {
            match token {
                Ok(gix::objs::commit::ref_iter::Token::Parent { id: parent }) => {
                    if seen.insert(parent) {
                        queue.push_back(parent);
                    }
                }
                Ok(_) => {}
                Err(e) => return Some((id, one_line(crate::error::with_causes(&e)))),
            }
        }
    }
    None
}

/// The content of the blob a changed file had before, for the added-line
/// filter. A missing one (partial clone, `--skip-missing`) counts as empty:
/// every line is then reported as added, which errs on the loud side.
pub fn read_previous(
    repo: &gix::Repository,
    id: ObjectId,
    options: &ReadOptions,
    sink: &dyn Sink,
) -> Result<Vec<u8>, Error> {
    match repo.try_find_object(id).map_err(context(format!("cannot read blob {id}")))? {
        Some(object) => Ok(object.detach().data),
        None if options.skip_missing => {
            sink.skip(&Origin { path: format!("blob {id}").into_bytes(), ..Origin::default() }, SkipReason::Missing);
            Ok(Vec::new())
        }
        None => Err(Error::Git(format!(
            "missing blob {id}: the repository is incomplete (a partial clone?); --skip-missing scans what is local"
        ))),
    }
}

/// The repository containing `dir`, if there is one. Not being in a
/// repository is fine (plain directory scans); a repository that is there
/// but cannot be opened (a broken config) is an error, not "no repository":
/// its git-secrets patterns would silently not apply.
pub fn open_if_repository(dir: &Path) -> Result<Option<gix::Repository>, Error> {
    if gix::discover::upwards(dir).is_err() && std::env::var_os("GIT_DIR").is_none() {
        return Ok(None);
    }
    open(dir).map(Some)
}
