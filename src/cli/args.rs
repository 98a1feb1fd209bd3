//! What the user typed: the clap structures and nothing else. Meaning (which
//! source, which limits, whether secrets show) is `config.rs`'s.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;
use crate::rules::Severity;

#[derive(Debug, Parser)]
#[command(
    name = "keyfence",
    version,
    about = "Stop AWS keys before they leave your laptop: a fast git secret scanner.",
    after_help = "Exit status: 0 clean, 1 findings, 2 error (an error always wins over clean).\n\nExamples:\n  keyfence scan                 scan the current directory\n  keyfence scan --format json . machine-readable report (secrets redacted)\n  keyfence rules                list the detection rules"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files, staged changes, a commit range or the whole history for AWS credentials.
    #[command(
        after_help = "Examples:\n  keyfence scan                              the current directory\n  keyfence scan src/ config/prod.env\n  keyfence scan --staged                     what the next commit adds (the pre-commit check)\n  keyfence scan --range origin/main...HEAD   a pull request, commit by commit\n  keyfence scan --since origin/main --format sarif --output keyfence.sarif\n  keyfence scan --history                    every blob ever committed, on every ref\n  keyfence scan --history --format json -C ~/src/app"
    )]
    Scan(ScanArgs),
    /// Write the findings of the default branch's history to FILE, as a
    /// baseline that later scans accept.
    #[command(
        after_help = "By default the history of the default branch only: origin/HEAD's target when set, else the first \
                      of init.defaultBranch, main and master that exists. Unmerged work (other branches, remotes, \
                      stashes) is never accepted unless asked for (--all-refs, --branch REF).\n\nExamples:\n  \
                      keyfence baseline .keyfence-baseline.json\n  keyfence baseline .keyfence-baseline.json --all-refs\n  \
                      keyfence scan --since origin/main --baseline .keyfence-baseline.json"
    )]
    Baseline(super::baseline::BaselineArgs),
    /// Entry points for git hooks (installed by `keyfence install`).
    #[command(
        subcommand,
        after_help = "Examples:\n  keyfence hook pre-commit\n  keyfence hook commit-msg .git/COMMIT_EDITMSG\n  keyfence hook prepare-commit-msg .git/COMMIT_EDITMSG merge"
    )]
    Hook(HookCommand),
    /// Install keyfence's git hooks (pre-commit, commit-msg, prepare-commit-msg).
    #[command(
        after_help = "Examples:\n  keyfence install                  this repository (core.hooksPath and worktrees honoured)\n  keyfence install --hooks pre-commit\n  keyfence install --global         every repository of this user\n\nAn existing hook that is not keyfence's is kept and still runs (renamed to <hook>.local).\ngit-secrets' hooks are replaced: that is the migration. `keyfence uninstall` restores."
    )]
    Install(InstallArgs),
    /// Remove keyfence's hooks and restore what was there before.
    #[command(after_help = "Examples:\n  keyfence uninstall\n  keyfence uninstall --hooks commit-msg\n  \
                            keyfence uninstall --global\n\nA hook keyfence replaced (<hook>.local) is put back; \
                            removing nothing is not an error.")]
    Uninstall(UninstallArgs),
    /// What a leaked key means and exactly what to do about it (offline).
    #[command(
        after_help = "Examples:\n  keyfence explain AKIAY34FZKBOKMUTVV7A\n  keyfence explain 3cdc32e5b4539d384273a4278c4d2943   (a finding's fingerprint)"
    )]
    Explain {
        /// An AWS key id (AKIA…, ASIA…), any token a built-in rule matches (or
        /// the line it sits on, for formats with no prefix), or a finding's fingerprint.
        id: String,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  keyfence completions bash > ~/.local/share/bash-completion/completions/keyfence\n  keyfence completions zsh > \"${fpath[1]}/_keyfence\"\n  keyfence completions fish > ~/.config/fish/completions/keyfence.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): keyfence(1), or keyfence-SUBCOMMAND(1).
    #[command(after_help = "Examples:\n  keyfence man > ~/.local/share/man/man1/keyfence.1\n  \
                            keyfence man scan > ~/.local/share/man/man1/keyfence-scan.1")]
    Man {
        /// The subcommand whose page to print (`scan`, `install`, `hook`, ...).
        subcommand: Option<String>,
    },
    /// List the detection rules, with their ids and whether they are on.
    #[command(after_help = "Example:\n  keyfence rules")]
    Rules,
}

#[derive(Debug, Args, Default)]
pub struct ScanArgs {
    /// Files or directories to scan (default: the current directory). A file
    /// named here is scanned even if ignored; `-` is standard input, and a
    /// named pipe is read until its writer closes it. With --staged,
    /// --range or --since: the repository to scan; with --history: one or
    /// more repositories, reported together (json: `repository`).
    pub paths: Vec<PathBuf>,

    /// Scan what is staged for the next commit (the pre-commit check).
    #[arg(long, group = "source")]
    pub staged: bool,

    /// Scan the commits in a range: A..B, or A...B (from their merge base).
    #[arg(long, value_name = "A..B", group = "source")]
    pub range: Option<String>,

    /// Scan the commits since REF: the same as --range REF..HEAD.
    #[arg(long, value_name = "REF", group = "source")]
    pub since: Option<String>,

    /// Scan every blob ever committed, on every branch, tag, remote and stash.
    #[arg(long, group = "source")]
    pub history: bool,

    /// With --staged: report every line of the touched files, not only the
    /// lines the change adds (git-secrets behaviour).
    #[arg(long, requires = "staged")]
    pub whole_files: bool,

    /// With --history: also report blobs no ref reaches (dangling, unreachable).
    #[arg(long, requires = "history")]
    pub all_objects: bool,

    /// With --history in a shallow clone: scan the history it has and mark
    /// the report partial. Without it a shallow clone exits 2.
    #[arg(long, requires = "history")]
    pub allow_shallow: bool,

    /// With --history: only the history of this ref.
    #[arg(long, value_name = "REF", requires = "history")]
    pub branch: Option<String>,

    /// Run as if started in DIR (the repository to scan).
    #[arg(short = 'C', value_name = "DIR")]
    pub directory: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Also scan files that .gitignore and .ignore files exclude.
    #[arg(long)]
    pub no_ignore: bool,

    /// Files or blobs larger than this are skipped, and reported: bytes, or
    /// with a unit K, M, G (powers of 1024: 10M, 1G) [default: 256M].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_blob_size: Option<u64>,

    /// Do not open archives (zip, jar, tar, gz, bz2, xz, ...): skip them as
    /// binary, as before archives were read.
    #[arg(long)]
    pub no_archives: bool,

    /// Also scan files that look binary (a NUL byte) in a path scan,
    /// instead of skipping and naming them.
    #[arg(long)]
    pub scan_binary: bool,

    /// Drop findings whose fingerprint is in FILE (a `--format json` report,
    /// e.g. written by `keyfence baseline FILE`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Exit 1 only for findings of this severity or worse (all are reported).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,

    /// Exit 0 even with findings, for report-only jobs (errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,

    /// Ignore .keyfence.toml (its rules, allowlist and options).
    #[arg(long)]
    pub no_config: bool,

    /// Skip (and list) objects missing from the repository, as in a partial
    /// clone, instead of failing. Without it a missing object exits 2.
    #[arg(long)]
    pub skip_missing: bool,

    /// Turn on a rule that is off by default (e.g. aws-unique-id). Repeatable.
    #[arg(long, value_name = "RULE")]
    pub enable_rule: Vec<String>,

    /// Only the built-in rules of these providers (or these rule ids), e.g.
    /// `--rules aws` or `--rules aws,github,private-key`. Rules from
    /// .keyfence.toml and git-secrets patterns are kept.
    #[arg(long, value_name = "PROVIDER", value_delimiter = ',')]
    pub rules: Vec<String>,
    /// Also report documentation examples and placeholders, skipped by
    /// default: AKIAIOSFODNN7EXAMPLE, ids holding EXAMPLE, ids of
    /// placeholder accounts such as 123456789012, hex words.
    #[arg(long)]
    pub include_examples: bool,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Scan the staged changes (what `git commit` is about to record).
    #[command(after_help = "Example (.git/hooks/pre-commit):\n  exec keyfence hook pre-commit")]
    PreCommit {
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Scan a commit message file.
    #[command(after_help = "Example (.git/hooks/commit-msg):\n  exec keyfence hook commit-msg \"$1\"")]
    CommitMsg {
        /// The message file git passes to the hook.
        file: PathBuf,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// The pre-commit framework's hook: checks what pre-commit asks, from its
    /// environment. In a `git commit`: the staged changes. With
    /// PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF (`--from-ref A --to-ref B`):
    /// the commits A..B. Otherwise (`--all-files`, `--files`): FILES' content.
    #[command(
        after_help = "Example (.pre-commit-hooks.yaml):\n  entry: keyfence hook pre-commit-framework\n  pass_filenames: true"
    )]
    PreCommitFramework {
        /// In a commit, report every line of the staged files, not only added
        /// lines (the `keyfence-whole-files` hook).
        #[arg(long)]
        whole_files: bool,
        /// The files pre-commit passes.
        files: Vec<PathBuf>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Scan what a non-fast-forward merge brings in (added lines only).
    #[command(after_help = "Example (.git/hooks/prepare-commit-msg):\n  exec keyfence hook prepare-commit-msg \"$@\"")]
    PrepareCommitMsg {
        /// The message file git passes to the hook (not scanned here).
        file: PathBuf,
        /// What prepared the message: message, template, merge, squash or commit.
        source: Option<String>,
        /// The commit, when amending or reusing a message.
        commit: Option<String>,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Replace an existing hook that is not keyfence's (it is kept as
    /// <hook>.local and still runs).
    #[arg(long, short = 'f')]
    pub force: bool,

    /// Which hooks, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "pre-commit,commit-msg,prepare-commit-msg",
        value_parser = ["pre-commit", "commit-msg", "prepare-commit-msg"]
    )]
    pub hooks: Vec<String>,

    /// Install into the global core.hooksPath (set to ~/.config/git/hooks
    /// when unset), for every repository of this user.
    #[arg(long)]
    pub global: bool,

    /// Run as if started in DIR.
    #[arg(short = 'C', value_name = "DIR")]
    pub directory: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Also remove a keyfence hook edited after it was installed (the
    /// edited copy is kept as <hook>.keyfence-edited).
    #[arg(long, short = 'f')]
    pub force: bool,

    /// Which hooks to remove, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "pre-commit,commit-msg,prepare-commit-msg",
        value_parser = ["pre-commit", "commit-msg", "prepare-commit-msg"]
    )]
    pub hooks: Vec<String>,

    /// Remove them from the global core.hooksPath (`install --global`'s).
    #[arg(long)]
    pub global: bool,

    /// Run as if started in DIR.
    #[arg(short = 'C', value_name = "DIR")]
    pub directory: Option<PathBuf>,
}

impl From<UninstallArgs> for crate::hooks::InstallRequest {
    fn from(args: UninstallArgs) -> Self {
        Self { hooks: args.hooks, force: args.force, global: args.global, dir: args.directory }
    }
}

/// A size: bytes, or a number with a unit K, M, G or T (powers of 1024;
/// `KB`, `MiB` and lower case are accepted too).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits.parse().map_err(|_| format!("'{text}' is not a size (e.g. 1048576, 10M, 1G)"))?;
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("unknown unit '{unit}' in '{text}' (use K, M, G or T)")),
    };
    number.checked_mul(1 << shift).ok_or_else(|| format!("'{text}' is too large"))
}

impl From<InstallArgs> for crate::hooks::InstallRequest {
    fn from(args: InstallArgs) -> Self {
        Self { hooks: args.hooks, force: args.force, global: args.global, dir: args.directory }
    }
}

#[derive(Debug, Args, Default)]
pub struct OutputArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Show full secret values in every format (redacted by default except in
    /// human output on a terminal).
    #[arg(long)]
    pub show_secrets: bool,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print no report; only the exit code tells. Errors and skipped files
    /// still go to standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn max_blob_size_accepts_bytes_and_units() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("2MiB"), Ok(2 << 20));
        assert!(parse_size("10X").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999T").is_err());
    }
}
