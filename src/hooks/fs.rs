//! The file side of a hook: the script with the installing binary filled in
//! ([`render`]), an atomic write that replaces rather than follows a
//! symlink, moving a file aside (and switching it off in a `<hook>.d/`
//! directory), the executable bits, and the names things are kept under.
//!
//! No decisions are made here: [`super::install`] plans, this carries out.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{HookKind, BIN_PLACEHOLDER, GLOBAL_PLACEHOLDER};

/// The binary that is running `install`, for the hook to call.
pub(super) fn installing_binary() -> Option<PathBuf> {
    std::env::current_exe().ok().and_then(|p| fs::canonicalize(&p).ok().or(Some(p)))
}

/// The hook script with the installing binary's path filled in (left as
/// the placeholder, which no file matches, if unknown: the hook then uses
/// `keyfence` on PATH), and whether it was installed `--global`.
pub(super) fn render(kind: &HookKind, binary: &Option<PathBuf>, global: bool) -> Vec<u8> {
    render_script(kind.script, binary, global)
}

/// [`render`] for one version of a hook's script.
pub(super) fn render_script(script: &str, binary: &Option<PathBuf>, global: bool) -> Vec<u8> {
    let script = script.replace(GLOBAL_PLACEHOLDER, if global { "yes" } else { "no" });
    let Some(binary) = binary else {
        return script.into_bytes();
    };
    let (before, after) = script.split_once(BIN_PLACEHOLDER).expect("every hook script has the binary placeholder");
    let mut out = before.as_bytes().to_vec();
    out.extend(shell_quote(&path_bytes(binary)));
    out.extend(after.as_bytes());
    out
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Vec<u8> {
    // Git for Windows' sh takes forward slashes.
    path.to_string_lossy().replace('\\', "/").into_bytes()
}

/// Single-quote for sh: `it's` becomes `'it'\''s'`.
pub(super) fn shell_quote(raw: &[u8]) -> Vec<u8> {
    let mut out = vec![b'\''];
    for &b in raw {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    out
}

/// Write through a temporary file and rename, so a hook is never half
/// written and a symlink at `path` is replaced, not written through.
pub(crate) fn write_hook(path: &Path, content: &[u8]) -> Result<()> {
    let tmp = with_suffix(path, ".keyfence-tmp");
    let result = (|| -> std::io::Result<()> {
        fs::write(&tmp, content)?;
        make_hook_mode(&tmp)?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

pub(super) fn move_aside(from: &Path, to: &Path, disable: bool) -> Result<()> {
    fs::rename(from, to).with_context(|| format!("cannot rename {} to {}", from.display(), to.display()))?;
    if disable && !fs::symlink_metadata(to).map(|m| m.file_type().is_symlink()).unwrap_or(false) {
        set_executable(to, false).with_context(|| format!("cannot change the mode of {}", to.display()))?;
    }
    Ok(())
}

/// `chmod 0755` a new hook.
#[cfg(unix)]
fn make_hook_mode(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
}

/// `chmod -x`, or `+x` where readable, to switch a file in a `.d/`
/// directory off and on again.
#[cfg(unix)]
pub(super) fn set_executable(path: &Path, on: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)?.permissions().mode() & 0o7777;
    let new = if on { mode | ((mode & 0o444) >> 2) } else { mode & !0o111 };
    fs::set_permissions(path, fs::Permissions::from_mode(new))
}

#[cfg(unix)]
pub(super) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
pub(super) fn is_executable(_path: &Path) -> bool {
    true
}

#[cfg(not(unix))]
fn make_hook_mode(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
pub(super) fn set_executable(_path: &Path, _on: bool) -> std::io::Result<()> {
    Ok(())
}

pub(super) fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

pub(super) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name: OsString = path.file_name().unwrap_or_default().to_owned();
    name.push(suffix);
    path.with_file_name(name)
}

/// `base`, or `base.1`, `base.2`, … whichever does not exist yet.
pub(super) fn free_name(base: &Path) -> PathBuf {
    if !exists(base) {
        return base.to_path_buf();
    }
    (1..).map(|n| with_suffix(base, &format!(".{n}"))).find(|p| !exists(p)).expect("some name is free")
}

pub(super) fn file_name(path: &Path) -> String {
    path.file_name().unwrap_or_default().to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::super::HOOKS;
    use super::*;

    #[test]
    fn paths_are_quoted_for_sh() {
        assert_eq!(shell_quote(b"/a b/it's"), b"'/a b/it'\\''s'".to_vec());
        let rendered = render(&HOOKS[0], &Some(PathBuf::from("/opt/kf/keyfence")), false);
        let text = String::from_utf8(rendered).unwrap();
        assert!(text.contains("keyfence='/opt/kf/keyfence'\n"));
        assert!(!text.contains("@KEYFENCE@"));
        assert!(text.contains("\nglobal=no\n"));
        let global = String::from_utf8(render(&HOOKS[0], &None, true)).unwrap();
        assert!(global.contains("\nglobal=yes\n"));
    }
}
