//! `keyfence hook pre-commit-framework [--whole-files] [FILES]`: the entry
//! the pre-commit framework runs (`.pre-commit-hooks.yaml`). pre-commit runs
//! one hook for four different questions and says which only through its
//! environment, so the hook decides from that:
//!
//! - `PRE_COMMIT_FROM_REF`/`PRE_COMMIT_TO_REF` (`pre-commit run --from-ref A
//!   --to-ref B`, a pre-push stage): the commits `A..B`, as `--range`;
//! - `GIT_INDEX_FILE` (git sets it for the hooks of a real `git commit`):
//!   the staged changes, added lines (whole files with `--whole-files`);
//! - otherwise (`pre-commit run --all-files`, `--files F`, or a bare `pre-commit
//!   run`): the content of the files pre-commit names.

use std::ffi::OsString;
use std::path::PathBuf;

/// What pre-commit asks the hook to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// A `git commit` is running: its staged changes.
    Commit,
    /// These files' content (none: nothing to check).
    Files(Vec<PathBuf>),
    /// The commits of a range, `A..B`.
    Range(String),
}

/// Decide from pre-commit's environment (`env` looks a variable up) and
/// the file names it passed.
pub fn decide(files: Vec<PathBuf>, env: impl Fn(&str) -> Option<OsString>) -> Check {
    let set = |name: &str| env(name).filter(|value| !value.is_empty());
    // pre-commit before 2.0 named them ORIGIN (the from ref) and SOURCE.
    let from = set("PRE_COMMIT_FROM_REF").or_else(|| set("PRE_COMMIT_ORIGIN"));
    let to = set("PRE_COMMIT_TO_REF").or_else(|| set("PRE_COMMIT_SOURCE"));
    if let (Some(from), Some(to)) = (from, to) {
        return Check::Range(format!("{}..{}", from.to_string_lossy(), to.to_string_lossy()));
    }
    if set("GIT_INDEX_FILE").is_some() {
        return Check::Commit;
    }
    Check::Files(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide_with(vars: &[(&str, &str)], files: &[&str]) -> Check {
        let files = files.iter().map(PathBuf::from).collect();
        decide(files, |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| OsString::from(v)))
    }

    #[test]
    fn the_environment_says_which_question() {
        let range = [("PRE_COMMIT_FROM_REF", "main"), ("PRE_COMMIT_TO_REF", "HEAD"), ("GIT_INDEX_FILE", "x")];
        assert_eq!(decide_with(&range, &["a"]), Check::Range("main..HEAD".into()));
        let legacy = [("PRE_COMMIT_ORIGIN", "a1"), ("PRE_COMMIT_SOURCE", "b2")];
        assert_eq!(decide_with(&legacy, &[]), Check::Range("a1..b2".into()));
        assert_eq!(decide_with(&[("GIT_INDEX_FILE", ".git/index.lock")], &["a"]), Check::Commit);
        // One ref alone, or empty values, are no range.
        let half = [("PRE_COMMIT_FROM_REF", "main"), ("PRE_COMMIT_TO_REF", "")];
        assert_eq!(decide_with(&half, &["a", "b"]), Check::Files(vec!["a".into(), "b".into()]));
        assert_eq!(decide_with(&[], &[]), Check::Files(Vec::new()));
    }
}
