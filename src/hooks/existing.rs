//! What is at a hook's path, before `install` or `uninstall` touches it:
//! nothing, keyfence's own hook (as installed, by this version or an
//! earlier one, or edited since), git-secrets' hook, or someone else's.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::{is_ours, HookKind, BIN_PLACEHOLDER, GLOBAL_PLACEHOLDER, HOOKS};

/// What is at a hook's path.
pub(super) enum Existing {
    Absent,
    /// `edited`: not the script keyfence writes, so someone changed it
    /// and rewriting or removing it would lose their work.
    Ours {
        edited: bool,
    },
    /// Nothing but git-secrets' own hook.
    GitSecrets,
    Other {
        calls_git_secrets: bool,
    },
}

pub(super) fn existing(path: &Path, kind: &HookKind) -> Result<Existing> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Absent),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    if meta.is_dir() {
        bail!("{} is a directory, not a hook", path.display());
    }
    // A dangling symlink is a hook git cannot run: treat it as "other" and
    // keep it.
    let text = match fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) if meta.file_type().is_symlink() => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    Ok(if is_ours(&text) {
        Existing::Ours { edited: !is_as_installed(kind, &text) }
    } else if is_git_secrets_only(&text) {
        Existing::GitSecrets
    } else {
        Existing::Other { calls_git_secrets: calls_git_secrets(&text) }
    })
}

/// `text` is exactly what [`render`] writes for `kind`, for some binary
/// path or none, local or global, by this version of keyfence or an
/// earlier one.
// When a hook script changes, its earlier renderings must still count as
// installed, or upgrading keyfence would turn every hook into an "edited"
// one: the old scripts are kept in `old_scripts` and checked here too.
fn is_as_installed(kind: &HookKind, text: &str) -> bool {
    std::iter::once(kind.script).chain(kind.old_scripts.iter().copied()).any(|script| {
        [false, true].into_iter().any(|global| {
            let script = if script.contains(GLOBAL_PLACEHOLDER) {
                script.replace(GLOBAL_PLACEHOLDER, if global { "yes" } else { "no" })
            } else if global {
                return false;
            } else {
                script.to_string()
            };
            let (before, after) =
                script.split_once(BIN_PLACEHOLDER).expect("every hook script has the binary placeholder");
            text.strip_prefix(before).and_then(|rest| rest.strip_suffix(after)).is_some_and(is_one_quoted_word)
        })
    })
}

/// One `'...'` word as [`shell_quote`] writes it.
fn is_one_quoted_word(word: &str) -> bool {
    word.len() >= 2
        && word.starts_with('\'')
        && word.ends_with('\'')
        && !word[1..word.len() - 1].replace("'\\''", "").contains('\'')
}

pub(super) fn calls_git_secrets(text: &str) -> bool {
    HOOKS.iter().any(|k| {
        text.contains(&format!("git secrets {}", k.git_secrets_fn))
            || text.contains(&format!("git-secrets {}", k.git_secrets_fn))
    })
}

/// The hook `git secrets --install` writes (a shebang and one `git secrets
/// --<hook_fn> -- "$@"` line), give or take comments and blank lines.
fn is_git_secrets_only(text: &str) -> bool {
    calls_git_secrets(text)
        && text.lines().map(str::trim).all(|line| {
            line.is_empty()
                || line.starts_with('#')
                || line.starts_with("git secrets --")
                || line.starts_with("git-secrets --")
                || line.starts_with("exec git secrets --")
                || line.starts_with("exec git-secrets --")
        })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::fs::render;
    use super::*;

    #[test]
    fn git_secrets_hooks_are_recognised() {
        let hook = "#!/usr/bin/env bash\ngit secrets --pre_commit_hook -- \"$@\"\n";
        assert!(is_git_secrets_only(hook));
        assert!(!is_ours(hook));
        let mixed = "#!/bin/sh\nnpm run lint\ngit secrets --pre_commit_hook -- \"$@\"\n";
        assert!(!is_git_secrets_only(mixed));
        assert!(calls_git_secrets(mixed));
        assert!(!is_git_secrets_only("#!/bin/sh\necho hi\n"));
    }

    #[test]
    fn only_an_unchanged_rendering_counts_as_installed() {
        for kind in &HOOKS {
            for binary in [None, Some(PathBuf::from("/opt/kf/keyfence")), Some(PathBuf::from("/a b/it's/keyfence"))] {
                for global in [false, true] {
                    let text = String::from_utf8(render(kind, &binary, global)).unwrap();
                    assert!(is_as_installed(kind, &text), "{} {binary:?}", kind.name);
                    let edited = text.replacen("\n\"$keyfence\" hook", "\nnpm test\n\"$keyfence\" hook", 1);
                    assert_ne!(edited, text);
                    assert!(!is_as_installed(kind, &edited), "{}", kind.name);
                    assert!(!is_as_installed(kind, &format!("{text}echo more\n")), "{}", kind.name);
                }
                // What earlier versions installed is still "as installed":
                // upgrading keyfence rewrites it instead of calling it edited.
                for old in kind.old_scripts {
                    let text = String::from_utf8(super::super::fs::render_script(old, &binary, false)).unwrap();
                    assert!(is_as_installed(kind, &text), "{} {binary:?}", kind.name);
                    let edited = text.replacen('\n', "\nnpm test\n", 1);
                    assert!(!is_as_installed(kind, &edited), "{}", kind.name);
                }
            }
        }
        let other = String::from_utf8(render(&HOOKS[1], &None, false)).unwrap();
        assert!(!is_as_installed(&HOOKS[0], &other), "another hook's script");
        let two_words =
            String::from_utf8(render(&HOOKS[0], &Some(PathBuf::from("x")), false)).unwrap().replace("'x'", "'x' 'y'");
        assert!(!is_as_installed(&HOOKS[0], &two_words));
    }
}
