//! Opening a report file (`--output FILE`, `keyfence baseline FILE`) so that
//! what a checked-out change commits cannot steer the write: a symlink
//! committed at the report path (`keyfence.sarif -> .git/config`) would
//! otherwise have keyfence overwrite whatever it points to.
//!
//! The rule: inside a git work tree, a report path whose last component is
//! a symbolic link, or whose directory resolves into a `.git` directory the
//! path does not name, is refused (exit 2, naming it). Outside a work tree
//! a symlink is followed: the user named it (`/dev/stdout`, a log link).

use std::fs::File;
use std::path::{Component, Path};

use anyhow::{bail, Context, Result};

/// Create (or truncate) the report file at `path`, refusing a write that
/// repository content could redirect.
pub fn create(path: &Path) -> Result<File> {
    check(path)?;
    File::create(path).with_context(|| format!("cannot create {}", path.display()))
}

fn check(path: &Path) -> Result<()> {
    let absolute = std::path::absolute(path).with_context(|| format!("cannot create {}", path.display()))?;
    let Some(dir) = absolute.parent() else { return Ok(()) };
    let Some(top) = dir.ancestors().find(|d| d.join(".git").exists()) else { return Ok(()) };
    let is_link = path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        bail!(
            "refusing to write {}: it is a symbolic link inside the repository {} (a checked-out change can point \
             it at any file); remove it, or write the report outside the repository",
            path.display(),
            top.display()
        );
    }
    let names_git = |p: &Path| p.components().any(|c| c == Component::Normal(".git".as_ref()));
    if let Ok(real) = std::fs::canonicalize(dir) {
        if names_git(&real) && !names_git(dir) {
            bail!(
                "refusing to write {}: its directory is a symbolic link into {} inside the repository {}",
                path.display(),
                real.display(),
                top.display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlink_inside_a_work_tree_is_refused_and_outside_followed() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::write(repo.join(".git/config"), "[core]\n").unwrap();
        std::os::unix::fs::symlink(".git/config", repo.join("r.sarif")).unwrap();
        let err = create(&repo.join("r.sarif")).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(repo.join(".git/config")).unwrap(), "[core]\n");
        std::os::unix::fs::symlink(".git", repo.join("sub")).unwrap();
        assert!(create(&repo.join("sub/config")).is_err());
        assert!(create(&repo.join("plain.sarif")).is_ok());
        std::fs::write(dir.path().join("target"), "").unwrap();
        std::os::unix::fs::symlink("target", dir.path().join("link")).unwrap();
        assert!(create(&dir.path().join("link")).is_ok());
    }
}
