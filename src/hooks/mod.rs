//! `keyfence install` / `uninstall`: write the hook shims from `hooks/` into
//! the hooks directory git really uses, chaining any existing hook.
//!
//! Where: `core.hooksPath` when set (relative to the work tree, `~`
//! expanded), else `<common dir>/hooks`, so a linked worktree protects the
//! repository rather than writing into `.git/worktrees/<name>/hooks`, which
//! git never reads.
//!
//! What happens to a hook already there:
//! - ours (it carries [`MARKER`]): rewritten, so installing twice is a no-op;
//! - git-secrets' own two-line hook: replaced (the migration), kept as
//!   `<hook>.git-secrets` for `uninstall` to put back;
//! - anything else: renamed to `<hook>.local`, which our hook runs first;
//! - with a `<hook>.d/` directory beside a runner hook (the multi-hook
//!   convention): we add `<hook>.d/keyfence` and leave the runner alone;
//! - a hook manager (husky, lefthook, pre-commit): not touched; we print the
//!   line to add to its configuration and exit 2, unless `--force`.
//!
//! Everything that could go wrong is checked before the first file is
//! written, so a refusal leaves the hooks directory as it was.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::cli::InstallArgs;

pub mod run;

/// The line that marks a hook file as ours: `uninstall` removes only files
/// that carry it, and `install` rewrites them freely.
pub const MARKER: &str = "# keyfence-hook v1";
/// Any version of the marker (a later version's hook is still ours).
const MARKER_PREFIX: &str = "# keyfence-hook v";
/// Replaced by the shell-quoted path of the installing binary.
const BIN_PLACEHOLDER: &str = "'@KEYFENCE@'";
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
/// Left in a global hooks directory whose `core.hooksPath` keyfence set, so
/// `uninstall --global` knows to unset it again.
const GLOBAL_STATE: &str = ".keyfence-set-hookspath";

/// One git hook keyfence can install.
struct HookKind {
    name: &'static str,
    script: &'static str,
    /// git-secrets' function for this hook (`git secrets --<fn> -- "$@"`).
    git_secrets_fn: &'static str,
    /// What a hook manager's script should run.
    command: &'static str,
    /// The same for lefthook, whose placeholders differ: `{N}` is pasted in
    /// unquoted, and left as the literal text `{N}` when git passed fewer
    /// arguments.
    lefthook_command: &'static str,
    /// The pre-commit framework's `entry`, which gets the message file as
    /// its one argument and the rest of git's arguments in the environment.
    pre_commit_entry: &'static str,
}

const HOOKS: [HookKind; 3] = [
    HookKind {
        name: "pre-commit",
        script: include_str!("../../hooks/pre-commit"),
        git_secrets_fn: "--pre_commit_hook",
        command: "keyfence hook pre-commit",
        lefthook_command: "keyfence hook pre-commit",
        pre_commit_entry: "keyfence hook pre-commit",
    },
    HookKind {
        name: "commit-msg",
        script: include_str!("../../hooks/commit-msg"),
        git_secrets_fn: "--commit_msg_hook",
        command: "keyfence hook commit-msg \"$1\"",
        lefthook_command: "keyfence hook commit-msg \"{1}\"",
        pre_commit_entry: "keyfence hook commit-msg",
    },
    HookKind {
        name: "prepare-commit-msg",
        script: include_str!("../../hooks/prepare-commit-msg"),
        git_secrets_fn: "--prepare_commit_msg_hook",
        command: "keyfence hook prepare-commit-msg \"$@\"",
        // Not `{3}`: on the one call that matters (a merge, which has no
        // third argument) it would arrive as the text "{3}", read as a
        // commit id, and the merge would go unchecked.
        lefthook_command: "keyfence hook prepare-commit-msg \"{1}\" {2}",
        // pre-commit passes only the file; without the source keyfence
        // cannot tell a merge and would check nothing.
        pre_commit_entry: "sh -c 'exec keyfence hook prepare-commit-msg \"$1\" $PRE_COMMIT_COMMIT_MSG_SOURCE' --",
    },
];

pub fn install(args: &InstallArgs) -> Result<i32> {
    let target = if args.global {
        global_target(true)?.expect("created when unset")
    } else {
        repo_target(args.directory.as_deref())?
    };
    install_into(target, args)
}

/// `git secrets --install DIR` where DIR is no repository: a git template
/// directory (`init.templateDir`), whose `hooks/` every new clone copies.
pub fn install_template(dir: &Path, args: &InstallArgs) -> Result<i32> {
    let root = std::path::absolute(dir).with_context(|| format!("cannot resolve {}", dir.display()))?;
    let target = Target { hooks_dir: root.join("hooks"), configured: false, root, global: true };
    install_into(target, args)
}

fn install_into(target: Target, args: &InstallArgs) -> Result<i32> {
    let kinds = selected(&args.hooks)?;
    if !args.force && !target.global {
        if let Some(manager) = detect_manager(&target, &kinds) {
            print_manager_instructions(&target, manager, &kinds);
            return Ok(2);
        }
    }
    let binary = installing_binary();
    // Decide everything first: a refusal must leave nothing half-done.
    let plans =
        kinds.iter().map(|kind| plan_install(&target.hooks_dir, kind, args.force)).collect::<Result<Vec<_>>>()?;
    fs::create_dir_all(&target.hooks_dir).with_context(|| format!("cannot create {}", target.hooks_dir.display()))?;
    for plan in &plans {
        for (from, to, disable) in &plan.moves {
            move_aside(from, to, *disable)?;
        }
        if let Some(dir) = plan.path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        write_hook(&plan.path, &render(plan.kind, &binary))?;
        match &plan.note {
            Some(note) => println!("installed {} hook: {} ({note})", plan.kind.name, plan.path.display()),
            None => println!("installed {} hook: {}", plan.kind.name, plan.path.display()),
        }
    }
    Ok(0)
}

pub fn uninstall(args: &InstallArgs) -> Result<i32> {
    let kinds = selected(&args.hooks)?;
    let target = if args.global {
        match global_target(false)? {
            Some(target) => target,
            None => {
                println!("no global core.hooksPath is set: no keyfence hooks to remove");
                return Ok(0);
            }
        }
    } else {
        repo_target(args.directory.as_deref())?
    };
    // Checked for every hook first, so a refusal changes nothing.
    if !args.force {
        for kind in &kinds {
            for path in our_paths(&target.hooks_dir, kind) {
                if let Existing::Ours { edited: true } = existing(&path, kind)? {
                    bail!("{} {EDITED_REFUSAL}; move it away or use --force", path.display());
                }
            }
        }
    }
    let mut removed = 0;
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
// Where the hooks go

/// The hooks directory git really uses, and what is needed to explain it.
struct Target {
    hooks_dir: PathBuf,
    /// `core.hooksPath` is set (the directory is not git's default).
    configured: bool,
    /// The work tree root (the git dir for a bare repository).
    root: PathBuf,
    global: bool,
}

fn repo_target(dir: Option<&Path>) -> Result<Target> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let dir = match dir {
        Some(dir) => cwd.join(dir),
        None => cwd,
    };
    let repo = gix::ThreadSafeRepository::discover_with_environment_overrides(&dir)
        .map_err(|e| {
            anyhow::anyhow!(
                "not a git repository (or cannot open it): {}: {}",
                dir.display(),
                crate::source::git::one_line(e)
            )
        })?
        .to_thread_local();
    // git resolves a relative core.hooksPath against the directory hooks run
    // in: the top of the work tree, or the git dir of a bare repository.
    let root = resolved(repo.workdir().unwrap_or_else(|| repo.git_dir()))?;
    let config = repo.config_snapshot();
    let hooks_path = match config.string("core.hooksPath") {
        Some(value) if !value.is_empty() => Some(match config.trusted_path("core.hooksPath") {
            Ok(Some(path)) => path,
            // Untrusted or not interpolable by gix: expand `~` ourselves.
            _ => expand_tilde(&value.to_string())?,
        }),
        _ => None,
    };
    Ok(match hooks_path {
        Some(path) => Target { hooks_dir: root.join(path), configured: true, root, global: false },
        None => {
            Target { hooks_dir: resolved(repo.common_dir())?.join("hooks"), configured: false, root, global: false }
        }
    })
}

/// The global `core.hooksPath`. Unset: `None`, or with `create`, the
/// directory `~/.config/git/hooks` made and set (the user is told).
fn global_target(create: bool) -> Result<Option<Target>> {
    let out = git(&["config", "--global", "--path", "--get", "core.hooksPath"])?;
    let dir = match out.status.code() {
        Some(0) => {
            let value = String::from_utf8_lossy(&out.stdout).trim_end_matches(['\n', '\r']).to_string();
            let path = PathBuf::from(&value);
            if !path.is_absolute() {
                bail!(
                    "the global core.hooksPath ({value}) is relative, so it names a directory inside each repository; \
                     run `keyfence install` in each repository instead"
                );
            }
            path
        }
        Some(1) if create => {
            let dir = config_home()?.join("git").join("hooks");
            fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            let set = git(&["config", "--global", "core.hooksPath", &dir.to_string_lossy()])?;
            if !set.status.success() {
                bail!(
                    "cannot set core.hooksPath in the global git config: {}",
                    String::from_utf8_lossy(&set.stderr).trim()
                );
            }
            fs::write(dir.join(GLOBAL_STATE), format!("{}\n", dir.display()))
                .with_context(|| format!("cannot write {}", dir.join(GLOBAL_STATE).display()))?;
            eprintln!(
                "keyfence: set core.hooksPath = {} in your global git config: git now ignores every repository's own \
                 .git/hooks (`keyfence uninstall --global` undoes this)",
                dir.display()
            );
            dir
        }
        Some(1) => return Ok(None),
        _ => bail!(
            "cannot read core.hooksPath from the global git config: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    };
    Ok(Some(Target { root: dir.clone(), hooks_dir: dir, configured: true, global: true }))
}

/// After `uninstall --global`: if keyfence set the global `core.hooksPath`
/// and nothing else lives in it, unset it and remove the directory.
fn unset_global_hooks_path_if_ours(dir: &Path) -> Result<()> {
    let state = dir.join(GLOBAL_STATE);
    if !state.is_file() {
        return Ok(());
    }
    let others = fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok())
        .any(|e| e.file_name() != GLOBAL_STATE);
    if others {
        return Ok(());
    }
    let out = git(&["config", "--global", "--unset", "core.hooksPath"])?;
    if !out.status.success() {
        bail!("cannot unset core.hooksPath in the global git config: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    fs::remove_file(&state).with_context(|| format!("cannot remove {}", state.display()))?;
    let _ = fs::remove_dir(dir);
    eprintln!(
        "keyfence: unset core.hooksPath in your global git config (keyfence had set it): each repository's \
         .git/hooks run again"
    );
    Ok(())
}

fn git(args: &[&str]) -> Result<std::process::Output> {
    Command::new("git").args(args).output().with_context(|| format!("cannot run git {}", args.join(" ")))
}

/// `$XDG_CONFIG_HOME`, else `~/.config`, as git itself looks for its config.
fn config_home() -> Result<PathBuf> {
    if let Some(xdg) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        let xdg = PathBuf::from(xdg);
        if xdg.is_absolute() {
            return Ok(xdg);
        }
    }
    Ok(home()?.join(".config"))
}

fn home() -> Result<PathBuf> {
    gix::path::env::home_dir().context("cannot find the home directory (HOME is not set)")
}

fn expand_tilde(value: &str) -> Result<PathBuf> {
    Ok(match value.strip_prefix('~') {
        Some("") => home()?,
        Some(rest) if rest.starts_with('/') => home()?.join(&rest[1..]),
        _ => PathBuf::from(value),
    })
}

/// An existing directory as an absolute path without `..` (a linked
/// worktree's common dir is `.git/worktrees/<name>/../..`).
fn resolved(path: &Path) -> Result<PathBuf> {
    fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .with_context(|| format!("cannot resolve {}", path.display()))
}

// ---------------------------------------------------------------------------
// Hook managers

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Manager {
    Husky,
    Lefthook,
    PreCommit,
}

fn detect_manager(target: &Target, kinds: &[&HookKind]) -> Option<Manager> {
    let dir = &target.hooks_dir;
    if target.configured
        && (dir.components().any(|c| c.as_os_str() == ".husky")
            || dir.join("husky.sh").exists()
            || dir.join("_").join("husky.sh").exists()
            || (dir.file_name().is_some_and(|n| n == "_") && dir.join("h").is_file()))
    {
        return Some(Manager::Husky);
    }
    // husky's own install (run by `npm install`) points core.hooksPath at
    // .husky/_ afterwards, and git then ignores .git/hooks: hooks written
    // there now would stop running without a word.
    if !target.configured && target.root.join(".husky").is_dir() {
        return Some(Manager::Husky);
    }
    let existing: Vec<String> = kinds
        .iter()
        .filter_map(|k| fs::read(dir.join(k.name)).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .filter(|text| !is_ours(text))
        .collect();
    let lefthook_config = ["lefthook.yml", "lefthook.yaml", ".lefthook.yml", ".lefthook.yaml"]
        .iter()
        .any(|name| target.root.join(name).is_file());
    if lefthook_config || existing.iter().any(|text| text.contains("lefthook")) {
        return Some(Manager::Lefthook);
    }
    if existing.iter().any(|text| text.contains("File generated by pre-commit") || text.contains("pre-commit.com")) {
        return Some(Manager::PreCommit);
    }
    None
}

fn print_manager_instructions(target: &Target, manager: Manager, kinds: &[&HookKind]) {
    let shown = |path: &Path| -> String {
        path.strip_prefix(&target.root).map(|p| p.display().to_string()).unwrap_or_else(|_| path.display().to_string())
    };
    match manager {
        Manager::Husky => {
            // husky 9 points core.hooksPath at .husky/_ and runs the
            // user's scripts from .husky; older versions use .husky itself.
            let dir = &target.hooks_dir;
            let husky = target.root.join(".husky");
            let scripts = if !target.configured {
                eprintln!(
                    "keyfence: this repository uses husky ({}), whose install points core.hooksPath at {} and \
                     makes git ignore {}; not installing there.",
                    shown(&husky),
                    shown(&husky.join("_")),
                    shown(dir)
                );
                &husky
            } else {
                eprintln!(
                    "keyfence: git hooks here are managed by husky (core.hooksPath = {}); not overwriting them.",
                    shown(dir)
                );
                if dir.file_name().is_some_and(|n| n == "_") {
                    dir.parent().unwrap_or(dir)
                } else {
                    dir
                }
            };
            eprintln!("Add these lines instead (and commit them):");
            for kind in kinds {
                eprintln!("  {}: {}", shown(&scripts.join(kind.name)), kind.command);
            }
        }
        Manager::Lefthook => {
            eprintln!("keyfence: git hooks here are managed by lefthook; not overwriting them.");
            eprintln!("Add this to lefthook.yml instead (and run `lefthook install`):");
            for kind in kinds {
                eprintln!("  {}:\n    commands:\n      keyfence:\n        run: {}", kind.name, kind.lefthook_command);
            }
        }
        Manager::PreCommit => {
            eprintln!("keyfence: git hooks here are managed by the pre-commit framework; not overwriting them.");
            eprintln!("Add this to .pre-commit-config.yaml instead (and run `pre-commit install`):");
            eprintln!("  - repo: local\n    hooks:");
            for kind in kinds {
                eprintln!(
                    "      - id: keyfence-{}\n        name: keyfence\n        entry: {}\n        \
                     language: system\n        pass_filenames: {}\n        always_run: true\n        stages: [{}]",
                    kind.name,
                    kind.pre_commit_entry,
                    kind.name != "pre-commit",
                    kind.name
                );
            }
        }
    }
    eprintln!("Or run `keyfence install --force` to install keyfence's own hooks in {}.", shown(&target.hooks_dir));
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

/// What is at a hook's path.
enum Existing {
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

fn existing(path: &Path, kind: &HookKind) -> Result<Existing> {
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

fn is_ours(text: &str) -> bool {
    text.lines().any(|line| line.trim_end().starts_with(MARKER_PREFIX))
}

/// `text` is exactly what [`render`] writes for `kind`, for some binary
/// path or none.
// When a hook script changes, its earlier renderings must still count as
// installed, or upgrading keyfence would turn every hook into an "edited"
// one: keep the old scripts and check them here too.
fn is_as_installed(kind: &HookKind, text: &str) -> bool {
    let (before, after) =
        kind.script.split_once(BIN_PLACEHOLDER).expect("every hook script has the binary placeholder");
    text.strip_prefix(before).and_then(|rest| rest.strip_suffix(after)).is_some_and(is_one_quoted_word)
}

/// One `'...'` word as [`shell_quote`] writes it.
fn is_one_quoted_word(word: &str) -> bool {
    word.len() >= 2
        && word.starts_with('\'')
        && word.ends_with('\'')
        && !word[1..word.len() - 1].replace("'\\''", "").contains('\'')
}

fn calls_git_secrets(text: &str) -> bool {
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

/// The hook at `main` looks in `<hook>.d/` (`"$0.d"/*`, `pre-commit.d`,
/// `${0}.d`, ...): the multi-hook runner convention.
fn runs_dot_d(main: &Path, kind: &HookKind) -> bool {
    let text = fs::read(main).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    text.contains(&format!("{}.d", kind.name)) || ["$0.d", "0}.d", "0\".d", ".d/"].iter().any(|p| text.contains(p))
}

fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name: OsString = path.file_name().unwrap_or_default().to_owned();
    name.push(suffix);
    path.with_file_name(name)
}

/// `base`, or `base.1`, `base.2`, … whichever does not exist yet.
fn free_name(base: &Path) -> PathBuf {
    if !exists(base) {
        return base.to_path_buf();
    }
    (1..).map(|n| with_suffix(base, &format!(".{n}"))).find(|p| !exists(p)).expect("some name is free")
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap_or_default().to_string_lossy().into_owned()
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

/// The binary that is running `install`, for the hook to call.
fn installing_binary() -> Option<PathBuf> {
    std::env::current_exe().ok().and_then(|p| fs::canonicalize(&p).ok().or(Some(p)))
}

/// The hook script with the installing binary's path filled in (left as
/// the placeholder, which no file matches, if unknown: the hook then uses
/// `keyfence` on PATH).
fn render(kind: &HookKind, binary: &Option<PathBuf>) -> Vec<u8> {
    let Some(binary) = binary else {
        return kind.script.as_bytes().to_vec();
    };
    let (before, after) =
        kind.script.split_once(BIN_PLACEHOLDER).expect("every hook script has the binary placeholder");
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
fn shell_quote(raw: &[u8]) -> Vec<u8> {
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

fn move_aside(from: &Path, to: &Path, disable: bool) -> Result<()> {
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
fn set_executable(path: &Path, on: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)?.permissions().mode() & 0o7777;
    let new = if on { mode | ((mode & 0o444) >> 2) } else { mode & !0o111 };
    fs::set_permissions(path, fs::Permissions::from_mode(new))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_path: &Path) -> bool {
    true
}

#[cfg(not(unix))]
fn make_hook_mode(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
fn set_executable(_path: &Path, _on: bool) -> std::io::Result<()> {
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_script_is_marked_and_has_the_placeholder_once() {
        for kind in &HOOKS {
            assert!(kind.script.starts_with("#!/bin/sh\n"), "{}", kind.name);
            assert!(kind.script.lines().any(|l| l == MARKER), "{}", kind.name);
            assert_eq!(kind.script.matches(BIN_PLACEHOLDER).count(), 1, "{}", kind.name);
            assert!(kind.script.contains(&format!("hook {}", kind.name)), "{}", kind.name);
        }
    }

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
                let text = String::from_utf8(render(kind, &binary)).unwrap();
                assert!(is_as_installed(kind, &text), "{} {binary:?}", kind.name);
                assert!(!is_as_installed(kind, &text.replace("\nexec ", "\nnpm test\nexec ")), "{}", kind.name);
                assert!(!is_as_installed(kind, &format!("{text}echo more\n")), "{}", kind.name);
            }
        }
        let other = String::from_utf8(render(&HOOKS[1], &None)).unwrap();
        assert!(!is_as_installed(&HOOKS[0], &other), "another hook's script");
        let two_words =
            String::from_utf8(render(&HOOKS[0], &Some(PathBuf::from("x")))).unwrap().replace("'x'", "'x' 'y'");
        assert!(!is_as_installed(&HOOKS[0], &two_words));
    }

    #[test]
    fn paths_are_quoted_for_sh() {
        assert_eq!(shell_quote(b"/a b/it's"), b"'/a b/it'\\''s'".to_vec());
        let rendered = render(&HOOKS[0], &Some(PathBuf::from("/opt/kf/keyfence")));
        let text = String::from_utf8(rendered).unwrap();
        assert!(text.contains("keyfence='/opt/kf/keyfence'\n"));
        assert!(!text.contains("@KEYFENCE@"));
    }
}
