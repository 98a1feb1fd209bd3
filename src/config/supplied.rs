//! Reading the files a repository supplies: `.keyfence.toml`, `.gitallowed`
//! and a baseline inside the repository. Whoever can commit to the
//! repository writes them, so reading them must be bounded whatever they
//! are: only regular files (a symlink to `/dev/zero` or `/dev/stdin`, a
//! FIFO or a device is refused, not read), and at most a cap of bytes
//! ([`MAX_CONFIG_BYTES`], [`MAX_BASELINE_BYTES`]). Either refusal is an error
//! naming the file (exit 2).
//!
//! They are read from the work tree or from a commit's tree: `--range`
//! takes them from the base commit, so a change cannot allowlist itself.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Cap on `.keyfence.toml` and `.gitallowed`: 1 MiB.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;
/// Cap on a baseline: 32 MiB (some 100,000 findings).
pub const MAX_BASELINE_BYTES: u64 = 32 << 20;

/// Where repository-supplied files are read from.
#[derive(Clone, Copy)]
pub enum Files<'r> {
    /// A directory on disk: the work tree, or a scanned directory.
    Disk(&'r Path),
    /// The tree of a commit (the base of a range); `work_tree` is where the
    /// same files are on disk (path globs are relative to it).
    Commit { repo: &'r gix::Repository, commit: gix::ObjectId, work_tree: &'r Path },
}

impl Files<'_> {
    /// The directory holding the files (path globs are relative to it).
    pub fn root(&self) -> &Path {
        match self {
            Files::Disk(dir) => dir,
            Files::Commit { work_tree, .. } => work_tree,
        }
    }

    /// How `relative` is named in messages: its path, or `commit:path`.
    pub fn shown(&self, relative: &Path) -> PathBuf {
        match self {
            Files::Disk(dir) => dir.join(relative),
            Files::Commit { commit, .. } => {
                PathBuf::from(format!("{}:{}", commit.to_hex_with_len(12), relative.display()))
            }
        }
    }

    /// The file at `relative`, `None` when there is none; anything but a
    /// regular file of at most `cap` bytes is an error naming it.
    pub fn read(&self, relative: &Path, cap: u64) -> Result<Option<Vec<u8>>> {
        match self {
            Files::Disk(dir) => read_file(&dir.join(relative), cap),
            Files::Commit { repo, commit, .. } => read_blob(repo, *commit, relative, cap, &self.shown(relative)),
        }
    }
}

/// A file on disk: `None` when it does not exist.
pub fn read_file(path: &Path, cap: u64) -> Result<Option<Vec<u8>>> {
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    // Checked before opening: opening a FIFO blocks until a writer comes.
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A dangling symlink is not "no file": it names one that is not there.
            return match std::fs::symlink_metadata(path) {
                Ok(_) => Err(not_regular(path)),
                Err(_) => Ok(None),
            };
        }
        Err(e) => return Err(io(e)),
        // Reading a directory fails at once (EISDIR): say so as the OS does.
        Ok(meta) if meta.is_dir() => {
            return Err(io(std::fs::read(path).err().unwrap_or_else(|| std::io::ErrorKind::IsADirectory.into())))
        }
        Ok(meta) if !meta.is_file() => return Err(not_regular(path)),
        Ok(meta) if meta.len() > cap => return Err(too_large(path, meta.len(), cap)),
        Ok(_) => {}
    }
    let file = std::fs::File::open(path).map_err(io)?;
    if !file.metadata().map_err(io)?.is_file() {
        return Err(not_regular(path));
    }
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > cap {
        return Err(too_large(path, bytes.len() as u64, cap));
    }
    Ok(Some(bytes))
}

fn read_blob(
    repo: &gix::Repository,
    commit: gix::ObjectId,
    relative: &Path,
    cap: u64,
    shown: &Path,
) -> Result<Option<Vec<u8>>> {
    let git = |e: &dyn std::fmt::Display| Error::Git(format!("cannot read {}: {e}", shown.display()));
    let tree = repo.find_commit(commit).map_err(|e| git(&e))?.tree().map_err(|e| git(&e))?;
    let Some(entry) = tree.lookup_entry_by_path(relative).map_err(|e| git(&e))? else {
        return Ok(None);
    };
    if !entry.mode().is_blob() {
        return Err(not_regular(shown));
    }
    let size = repo.find_header(entry.object_id()).map_err(|e| git(&e))?.size();
    if size > cap {
        return Err(too_large(shown, size, cap));
    }
    Ok(Some(repo.find_object(entry.object_id()).map_err(|e| git(&e))?.detach().data))
}

fn not_regular(path: &Path) -> Error {
    Error::Config {
        path: path.to_path_buf(),
        reason: "not a regular file (a symlink, FIFO or device is not read from a repository)".into(),
    }
}

fn too_large(path: &Path, size: u64, cap: u64) -> Error {
    Error::Config { path: path.to_path_buf(), reason: format!("too large ({size} bytes; the limit is {cap})") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bounded_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "12345").unwrap();
        assert_eq!(read_file(&file, 5).unwrap().unwrap(), b"12345");
        assert!(read_file(&file, 4).unwrap_err().to_string().contains("too large"));
        assert!(read_file(&dir.path().join("none"), 4).unwrap().is_none());
        for target in ["/dev/zero", "/dev/stdin", "/nonexistent"] {
            let link = dir.path().join("link");
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(target, &link).unwrap();
            assert!(read_file(&link, 4).unwrap_err().to_string().contains("not a regular file"), "{target}");
        }
    }
}
