//! Opening repositories and reading blobs, shared by the git sources.
//!
//! Repositories are opened the way git opens them for hooks
//! (`discover_with_environment_overrides`), so `GIT_DIR`, `GIT_WORK_TREE` and
//! above all `GIT_INDEX_FILE` (set by `git commit -a` and `git commit <paths>`)
//! select what git is really about to commit.

use std::fmt::Display;
use std::path::Path;

use gix::ObjectId;

use super::Origin;
use crate::error::Error;
use crate::pipeline::Pipeline;

/// Open the repository that contains `dir`, honouring git's environment.
pub fn open(dir: &Path) -> Result<gix::Repository, Error> {
    gix::ThreadSafeRepository::discover_with_environment_overrides(dir)
        .map(|repo| repo.to_thread_local())
        .map_err(|e| {
            Error::Git(format!(
                "not a git repository (or cannot open it): {}: {}",
                dir.display(),
                one_line(e)
            ))
        })
}

/// Turn any error into `Error::Git` with context, on one line.
pub fn context<E: Display>(what: impl Display) -> impl FnOnce(E) -> Error {
    move |e| Error::Git(format!("{what}: {}", one_line(e)))
}

pub fn one_line(e: impl Display) -> String {
    e.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Read a blob unless it is larger than `max_size` (checked from the object
/// header, so a huge blob is never inflated). `Ok(None)` = skipped and
/// recorded on the pipeline.
pub fn read_blob(
    repo: &gix::Repository,
    id: ObjectId,
    max_size: u64,
    origin: &Origin,
    pipeline: &Pipeline,
) -> Result<Option<Vec<u8>>, Error> {
    let described = || format!("blob {id} ({})", origin.display_path());
    let header = repo
        .find_header(id)
        .map_err(context(format!("cannot read {}", described())))?;
    if header.size() > max_size {
        pipeline.skip_too_large(origin, header.size());
        return Ok(None);
    }
    let mut blob = repo
        .find_blob(id)
        .map_err(context(format!("cannot read {}", described())))?;
    Ok(Some(blob.take_data()))
}

/// Resolve a revision to a commit id, peeling annotated tags.
pub fn resolve_commit(repo: &gix::Repository, spec: &str) -> Result<ObjectId, Error> {
    repo.rev_parse_single(format!("{spec}^{{commit}}").as_str())
        .map(|id| id.detach())
        .map_err(context(format!("bad revision '{spec}'")))
}
