//! `keyfence install` / `uninstall`: write the hook shims from `hooks/` into
//! the directory [`super::target`] finds, chaining any existing hook, and
//! undo that again.
//!
//! What happens to a hook already there:
//! - ours (it carries [`MARKER`](super::MARKER)): rewritten, so installing
//!   twice is a no-op;
//! - git-secrets' own two-line hook: replaced (the migration), kept as
//!   `<hook>.git-secrets` for `uninstall` to put back;
//! - anything else: renamed to `<hook>.local`, which our hook runs first;
//! - with a `<hook>.d/` directory beside a runner hook (the multi-hook
//!   convention): we add `<hook>.d/keyfence` and leave the runner alone;
//! - husky (see [`super::managers`]): our line goes into husky's own
//!   scripts (`.husky/<hook>`), even with `--force`;
//! - lefthook or pre-commit: not touched; we print what to add to its
//!   configuration (exit 0), unless `--force`.
//!
//! Everything that could go wrong is checked before the first file is
//! written, so a refusal leaves the hooks directory as it was.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::existing::{existing, Existing};
use super::fs::{
    exists, file_name, free_name, installing_binary, is_executable, move_aside, render, set_executable, with_suffix,
    write_hook,
};
use super::managers::{add_to_husky, detect_manager, print_manager_instructions, remove_from_husky, Manager};
use super::target::{global_target, repo_target, unset_global_hooks_path_if_ours, Target};
use super::{HookKind, InstallRequest, HOOKS};

/// Suffix of the previous hook that ours chains.
const LOCAL: &str = ".local";
/// Suffix of a replaced git-secrets hook.
const GIT_SECRETS: &str = ".git-secrets";
/// Name of our hook inside a `<hook>.d/` directory.
const DOT_D_NAME: &str = "keyfence";
/// A git-secrets hook inside `<hook>.d/`, switched off (renamed and not
/// executable) so the runner skips it.
const DOT_D_DISABLED: &str = "git-secrets.disabled-by-keyfence";
/// Suffix under which a user's edited copy of our hook is kept when
/// `--force` replaces or removes it.
const EDITED: &str = ".keyfence-edited";
const EDITED_REFUSAL: &str = "is keyfence's hook with changes made after it was installed, which would be lost \
                              (--force keeps them aside as <hook>.keyfence-edited)";

/// Install the requested hooks into the repository's (or the global) hooks
/// directory, or, in a husky repository, into husky's scripts. `Ok(0)` too
/// when a hook manager owns the directory and instructions were printed.
pub fn install(request: &InstallRequest) -> Result<i32> {
    let target = if request.global {
        global_target(true)?.expect("created when unset")
    } else {
        repo_target(request.dir.as_deref())?
    };
    install_into(target, request)
}

fn install_into(target: Target, request: &InstallRequest) -> Result<i32> {
    let kinds = selected(&request.hooks)?;
    if !target.global {
        match detect_manager(&target, &kinds) {
            // Always, --force or not: hooks written in `.husky/_` or
            // `.git/hooks` are undone or ignored after husky's next run.
            Some(Manager::Husky) => {
                add_to_husky(&target, &kinds)?;
                return Ok(0);
            }
            Some(manager) if !request.force => {
                print_manager_instructions(&target, manager, &kinds);
                return Ok(0);
            }
            _ => {}
        }
    }
    let binary = installing_binary();
    // Decide everything first: a refusal must leave nothing half-done.
    let plans =
        kinds.iter().map(|kind| plan_install(&target.hooks_dir, kind, request.force)).collect::<Result<Vec<_>>>()?;
    fs::create_dir_all(&target.hooks_dir).with_context(|| format!("cannot create {}", target.hooks_dir.display()))?;
    for plan in &plans {
        for (from, to, disable) in &plan.moves {
            move_aside(from, to, *disable)?;
        }
        if let Some(dir) = plan.path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        write_hook(&plan.path, &render(plan.kind, &binary, target.global))?;
        match &plan.note {
            Some(note) => println!("installed {} hook: {} ({note})", plan.kind.name, plan.path.display()),
            None => println!("installed {} hook: {}", plan.kind.name, plan.path.display()),
        }
    }
    Ok(0)
}

/// Remove keyfence's hooks and put back what each one replaced; removing
/// nothing is not an error.
pub fn uninstall(request: &InstallRequest) -> Result<i32> {
    let kinds = selected(&request.hooks)?;
    let target = if request.global {
        match global_target(false)? {
            Some(target) => target,
            None => {
                println!("no global core.hooksPath is set: no keyfence hooks to remove");
                return Ok(0);
            }
        }
    } else {
        repo_target(request.dir.as_deref())?
    };
    // Checked for every hook first, so a refusal changes nothing.
    if !request.force {
        for kind in &kinds {
            for path in our_paths(&target.hooks_dir, kind) {
                if let Existing::Ours { edited: true } = existing(&path, kind)? {
                    bail!("{} {EDITED_REFUSAL}; move it away or use --force", path.display());
                }
            }
        }
    }
    let mut removed = 0;
    if !target.global && detect_manager(&target, &kinds) == Some(Manager::Husky) {
        removed += remove_from_husky(&target, &kinds)?;
    }
    for kind in &kinds {
        removed += uninstall_one(&target.hooks_dir, kind)?;
    }
    if removed == 0 {
        println!("no keyfence hooks in {}", target.hooks_dir.display());
    }
    if target.global {
        unset_global_hooks_path_if_ours(&target.hooks_dir)?;
    }
    Ok(0)
}

fn selected(names: &[String]) -> Result<Vec<&'static HookKind>> {
    let mut kinds: Vec<&'static HookKind> = Vec::new();
    for name in names {
        let Some(kind) = HOOKS.iter().find(|k| k.name == name) else {
            bail!("unknown hook '{name}' (expected pre-commit, commit-msg or prepare-commit-msg)");
        };
        if !kinds.iter().any(|k| k.name == kind.name) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

// ---------------------------------------------------------------------------
// Installing one hook

/// What installing one hook will do: moves, then write `path`.
struct Plan {
    kind: &'static HookKind,
    path: PathBuf,
    /// `(from, to, disable)`: rename, and with `disable` clear the
    /// executable bits so a `<hook>.d/` runner skips the file.
    moves: Vec<(PathBuf, PathBuf, bool)>,
    note: Option<String>,
}

/// The hook at `main` looks in `<hook>.d/` (`"$0.d"/*`, `pre-commit.d`,
/// `${0}.d`, ...): the multi-hook runner convention.
fn runs_dot_d(main: &Path, kind: &HookKind) -> bool {
    let text = fs::read(main).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    text.contains(&format!("{}.d", kind.name)) || ["$0.d", "0}.d", "0\".d", ".d/"].iter().any(|p| text.contains(p))
}

fn plan_install(hooks_dir: &Path, kind: &'static HookKind, force: bool) -> Result<Plan> {
    let main = hooks_dir.join(kind.name);
    let dot_d = hooks_dir.join(format!("{}.d", kind.name));
    let main_state = existing(&main, kind)?;
    // The `<hook>.d/` convention applies when the main hook is a runner
    // (not ours, not git-secrets') that looks in `.d/`: a plain hook beside
    // a stray `.d/` never runs what is put there, and the repository would
    // be left unprotected.
    if dot_d.is_dir() && matches!(main_state, Existing::Other { .. }) && runs_dot_d(&main, kind) {
        return plan_dot_d(&dot_d, kind, force);
    }
    let local = with_suffix(&main, LOCAL);
    let saved = with_suffix(&main, GIT_SECRETS);
    let refuse = |what: &Path, why: &str| -> anyhow::Error {
        anyhow::anyhow!("{} {why}; move it away or use --force", what.display())
    };
    let mut plan = Plan { kind, path: main.clone(), moves: Vec::new(), note: None };
    match main_state {
        Existing::Ours { edited: false } => {}
        Existing::Ours { edited: true } => {
            if !force {
                return Err(refuse(&main, EDITED_REFUSAL));
            }
            let kept = free_name(&with_suffix(&main, EDITED));
            plan.note = Some(format!("your changes to keyfence's hook are kept in {}", file_name(&kept)));
            plan.moves.push((main.clone(), kept, false));
        }
        Existing::Absent => {
            // A `.local` without a hook is left over from something: ours
            // would run it, which nobody asked for.
            if exists(&local) && !force {
                return Err(refuse(
                    &local,
                    &format!("exists but {} does not, and keyfence's hook would run it", kind.name),
                ));
            }
            if exists(&local) {
                plan.note = Some(format!("runs the existing {} first", file_name(&local)));
            }
        }
        Existing::GitSecrets => {
            if exists(&local) && !force {
                return Err(refuse(&local, &format!("already exists beside git-secrets' {} hook", kind.name)));
            }
            if exists(&saved) {
                if !force {
                    return Err(refuse(&saved, "already exists"));
                }
                plan.moves.push((saved.clone(), free_name(&with_suffix(&saved, ".old")), false));
            }
            plan.moves.push((main.clone(), saved.clone(), false));
            plan.note = Some(format!("replaces git-secrets' hook, kept as {}", file_name(&saved)));
        }
        Existing::Other { calls_git_secrets } => {
            if exists(&local) {
                if !force {
                    return Err(refuse(
                        &local,
                        &format!("already exists and {} is not keyfence's hook", main.display()),
                    ));
                }
                let backup = free_name(&with_suffix(&local, ".old"));
                plan.moves.push((local.clone(), backup.clone(), false));
            }
            plan.moves.push((main.clone(), local.clone(), false));
            // git skips a hook that is not executable, and so does ours
            // (`-x`): saying it "runs first" would promise a check that
            // never happens.
            let mut note = if is_executable(&main) {
                format!("the existing hook is kept as {} and runs first", file_name(&local))
            } else {
                format!(
                    "the existing hook is kept as {}; it is not executable, so git never ran it and neither will keyfence",
                    file_name(&local)
                )
            };
            if calls_git_secrets {
                note.push_str("; it still calls git secrets, remove that line to finish the migration");
            }
            plan.note = Some(note);
        }
    }
    Ok(plan)
}

fn plan_dot_d(dot_d: &Path, kind: &'static HookKind, force: bool) -> Result<Plan> {
    let path = dot_d.join(DOT_D_NAME);
    let mut plan = Plan {
        kind,
        path: path.clone(),
        moves: Vec::new(),
        note: Some(format!("in {}, beside the hooks already there", file_name(dot_d))),
    };
    match existing(&path, kind)? {
        Existing::Absent | Existing::Ours { edited: false } => {}
        Existing::Ours { edited: true } if !force => {
            bail!("{} {EDITED_REFUSAL}; move it away or use --force", path.display())
        }
        Existing::Ours { edited: true } => {
            // Switched off too: the runner would run it beside ours.
            let kept = free_name(&with_suffix(&path, EDITED));
            plan.note = Some(format!(
                "in {}; your changes to keyfence's hook are kept in {}",
                file_name(dot_d),
                file_name(&kept)
            ));
            plan.moves.push((path.clone(), kept, true));
        }
        _ if force => {
            let backup = free_name(&with_suffix(&path, ".disabled-by-keyfence"));
            plan.moves.push((path.clone(), backup, true));
        }
        _ => bail!("{} exists and is not keyfence's hook; move it away or use --force", path.display()),
    }
    let git_secrets = dot_d.join("git-secrets");
    if let Existing::GitSecrets = existing(&git_secrets, kind)? {
        let disabled = dot_d.join(DOT_D_DISABLED);
        if exists(&disabled) {
            if !force {
                bail!("{} already exists; move it away or use --force", disabled.display());
            }
            plan.moves.push((disabled.clone(), free_name(&with_suffix(&disabled, ".old")), true));
        }
        plan.moves.push((git_secrets, disabled, true));
        plan.note =
            Some(format!("in {}; replaces git-secrets' hook there, kept as {DOT_D_DISABLED}", file_name(dot_d)));
    }
    Ok(plan)
}

// ---------------------------------------------------------------------------
// Uninstalling one hook

/// Where our hook for `kind` can be: the hook itself, and in `<hook>.d/`.
fn our_paths(hooks_dir: &Path, kind: &HookKind) -> [PathBuf; 2] {
    [hooks_dir.join(format!("{}.d", kind.name)).join(DOT_D_NAME), hooks_dir.join(kind.name)]
}

/// Remove one of our hooks; an edited one (only reached with `--force`)
/// is kept aside instead, and switched off when `disable` (in `.d/`).
fn remove_ours(path: &Path, kind: &HookKind, disable: bool) -> Result<()> {
    if let Existing::Ours { edited: true } = existing(path, kind)? {
        let kept = free_name(&with_suffix(path, EDITED));
        move_aside(path, &kept, disable)?;
        println!("kept your changes to keyfence's {} hook in {}", kind.name, kept.display());
        return Ok(());
    }
    fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))
}

/// Remove our hook and put back what it replaced; returns how many of our
/// files were removed (0 when there was nothing of ours: idempotent).
fn uninstall_one(hooks_dir: &Path, kind: &HookKind) -> Result<usize> {
    let mut removed = 0;
    let main = hooks_dir.join(kind.name);
    let dot_d = hooks_dir.join(format!("{}.d", kind.name));
    if dot_d.is_dir() {
        let ours = dot_d.join(DOT_D_NAME);
        if let Existing::Ours { .. } = existing(&ours, kind)? {
            remove_ours(&ours, kind, true)?;
            removed += 1;
            let disabled = dot_d.join(DOT_D_DISABLED);
            let original = dot_d.join("git-secrets");
            if exists(&disabled) && !exists(&original) {
                fs::rename(&disabled, &original)
                    .with_context(|| format!("cannot rename {} to {}", disabled.display(), original.display()))?;
                set_executable(&original, true)
                    .with_context(|| format!("cannot change the mode of {}", original.display()))?;
                println!("removed {} hook: {} (restored git-secrets' hook)", kind.name, ours.display());
            } else {
                println!("removed {} hook: {}", kind.name, ours.display());
            }
        }
    }
    let local = with_suffix(&main, LOCAL);
    let saved = with_suffix(&main, GIT_SECRETS);
    if !matches!(existing(&main, kind)?, Existing::Ours { .. }) {
        // Absent, or someone else's hook: nothing of ours to undo, and a
        // `.local` beside it is not ours to bring back.
        return Ok(removed);
    }
    remove_ours(&main, kind, false)?;
    removed += 1;
    // Restore the chained hook (it was the hook before ours), else
    // git-secrets' hook.
    match [&local, &saved].into_iter().find(|p| exists(p)) {
        Some(from) => {
            fs::rename(from, &main)
                .with_context(|| format!("cannot rename {} to {}", from.display(), main.display()))?;
            println!("removed {} hook: {} (restored {})", kind.name, main.display(), file_name(from));
        }
        None => println!("removed {} hook: {}", kind.name, main.display()),
    }
    Ok(removed)
}
