//! git-secrets mode's two grep-like sources: named files (`--scan FILE…`)
//! and `git grep` over tracked files, pushed into a [`Sink`] like every
//! other source.
//!
//! A file that cannot be read and a walk that fails are recorded errors
//! (exit 2, one line naming the file): a scan that skipped them silently
//! would report "clean" for what it never read. A tracked file missing from
//! the work tree is skipped, as `git grep` does.

use std::io::Read;
use std::path::Path;

use super::{Lines, Sink};
use crate::blob::Origin;
use crate::error::Error;

/// Plain grep over the named files: directories only with `-r` (walked by
/// `walk`); `-` is stdin.
pub fn scan_files(files: &[String], recursive: bool, sink: &dyn Sink, walk: impl Fn(&Path)) {
    for file in files {
        if file == "-" {
            let mut bytes = Vec::new();
            match std::io::stdin().read_to_end(&mut bytes) {
                Ok(_) => {
                    let origin = Origin { path: b"(standard input)".to_vec(), ..Origin::default() };
                    sink.blob(&bytes, &origin, Lines::All);
                }
                Err(source) => sink.error(Error::Io { path: "(standard input)".into(), source }),
            }
            continue;
        }
        let path = Path::new(file);
        if path.is_dir() {
            if recursive {
                walk(path);
            }
            continue;
        }
        match std::fs::read(path) {
            Ok(bytes) => sink.blob(&bytes, &Origin::file(path), Lines::All),
            Err(source) => sink.error(Error::Io { path: path.to_path_buf(), source }),
        }
    }
}

/// Which files `git grep` reads besides the tracked work-tree files.
#[derive(Debug, Default)]
pub struct Grep {
    /// The index blobs instead of the work-tree files.
    pub cached: bool,
    /// Untracked (not ignored) files too.
    pub untracked: bool,
}

/// `git grep` over tracked files (work tree, or index blobs with
/// `--cached`), plus untracked files with `--untracked`; only under the
/// current directory, paths printed relative to it, as git grep does.
pub fn scan_tracked(repo: &gix::Repository, grep: &Grep, pathspecs: &[String], sink: &dyn Sink) -> Result<(), Error> {
    use super::git::context;
    let workdir = repo.workdir().ok_or_else(|| Error::Git("this operation must be run in a work tree".into()))?;
    let cwd = std::env::current_dir().map_err(|source| Error::Io { path: ".".into(), source })?;
    let prefix = cwd
        .strip_prefix(workdir.canonicalize().unwrap_or(workdir.to_path_buf()))
        .unwrap_or(Path::new(""))
        .to_path_buf();
    let index = repo.index_or_empty().map_err(context("cannot read the index"))?;
    let wanted = |relative: &Path| pathspecs.is_empty() || pathspecs.iter().any(|p| relative.starts_with(p));
    let mut tracked = std::collections::HashSet::new();
    for entry in index.entries() {
        if entry.stage_raw() != 0 && grep.cached || entry.mode == gix::index::entry::Mode::COMMIT {
            continue;
        }
        let path = gix::path::from_bstr(entry.path(&index))
            .map_err(context("a path in the index is not valid here"))?
            .into_owned();
        let Ok(relative) = path.strip_prefix(&prefix) else {
            continue;
        };
        tracked.insert(path.clone());
        if !wanted(relative) {
            continue;
        }
        let origin = Origin::file(relative);
        if grep.cached {
            let blob = repo.find_blob(entry.id).map_err(context(format!("cannot read blob {}", entry.id)))?;
            sink.blob(&blob.data, &origin, Lines::All);
        } else {
            read_and_scan(&workdir.join(&path), relative, sink);
        }
    }
    if grep.untracked {
        for entry in ignore::WalkBuilder::new(&cwd).hidden(false).build() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    sink.error(Error::Walk(format!("cannot walk: {err}")));
                    continue;
                }
            };
            let Ok(relative) = entry.path().strip_prefix(&cwd) else {
                continue;
            };
            if entry.file_type().is_some_and(|t| t.is_file())
                && !relative.starts_with(".git")
                && !tracked.contains(&prefix.join(relative))
                && wanted(relative)
            {
                read_and_scan(entry.path(), relative, sink);
            }
        }
    }
    Ok(())
}

/// Scan the work-tree file at `path` as `relative`. Gone (deleted since it
/// was staged or listed) or a directory (a symlink to one) is what
/// `git grep` skips too; any other failure is recorded.
fn read_and_scan(path: &Path, relative: &Path, sink: &dyn Sink) {
    match std::fs::read(path) {
        Ok(bytes) => sink.blob(&bytes, &Origin::file(relative), Lines::All),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound || path.is_dir() => {}
        Err(source) => sink.error(Error::Io { path: relative.to_path_buf(), source }),
    }
}
