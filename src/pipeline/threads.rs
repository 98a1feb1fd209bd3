//! How the pipeline spreads a listed source over threads: rayon, each worker
//! with its own repository handle, and no pool at all for a handful of
//! blobs (the pre-commit hook runs on every commit).

use super::Pipeline;
use crate::error::Error;

/// Up to this many blobs are scanned on the calling thread.
const SEQUENTIAL_UP_TO: usize = 16;

/// Run `scan` on every item in parallel, each rayon worker with its own
/// repository handle (a `gix::Repository` is not `Sync`; its caches are
/// per handle). An error is recorded on the pipeline and the rest go on.
pub(super) fn for_each_item<T: Sync>(
    repo: &gix::Repository,
    items: &[T],
    pipeline: &Pipeline,
    scan: impl Fn(&gix::Repository, &T) -> Result<(), Error> + Sync,
) {
    use crate::source::Sink;
    use rayon::prelude::*;
    // A commit of a handful of files is done before a thread pool would
    // have started.
    if items.len() <= SEQUENTIAL_UP_TO {
        for item in items {
            if let Err(e) = scan(repo, item) {
                pipeline.error(e);
            }
        }
        return;
    }
    let shared = repo.clone().into_sync();
    items.par_iter().for_each_init(
        || shared.to_thread_local(),
        |repo, item| {
            if let Err(e) = scan(repo, item) {
                pipeline.error(e);
            }
        },
    );
}
