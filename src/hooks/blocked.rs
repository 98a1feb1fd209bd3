//! What a hook that stops a commit says on standard error, after the
//! report: that keyfence blocked the commit, and the ways on — take the
//! file (or the secret) out, mark a false positive, skip the check once.
//! Human format only; a machine format's reader has the exit status.

use crate::blob::escape_for_terminal;
use crate::exit::Exit;
use crate::finding::Finding;

/// What the blocked commit was carrying the secret in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier<'a> {
    /// The staged changes (pre-commit).
    Staged,
    /// What a merge brings in (prepare-commit-msg).
    Merge,
    /// The commit message, in this file (commit-msg).
    Message(&'a str),
}

/// How many files are named in the commands before "…".
const NAMED: usize = 3;

/// The message for a hook run that ended in `exit`; `None` when the commit
/// goes on.
pub fn message(carrier: Carrier<'_>, exit: Exit, findings: &[Finding]) -> Option<String> {
    let mut text = String::from("\n");
    let skip = match carrier {
        // --no-verify skips pre-commit and commit-msg, never prepare-commit-msg.
        Carrier::Merge => "  To skip the check once:    git -c core.hooksPath=/dev/null commit --no-edit (concludes the merge without hooks)\n",
        _ => "  To skip the check once:    git commit --no-verify\n",
    };
    match exit {
        Exit::Findings => {}
        // One line, in the form of the error line above it.
        Exit::Error => {
            let skip = skip.trim_start().trim_start_matches("To skip the check once:").trim();
            return Some(format!(
                "keyfence: blocked this commit: the check failed (see the error), so nothing was verified; to skip it once: {skip}\n"
            ));
        }
        Exit::Clean | Exit::Usage(_) => return None,
    }
    let count = findings.len();
    let plural = if count == 1 { "" } else { "s" };
    match carrier {
        Carrier::Staged | Carrier::Merge => {
            let what = if carrier == Carrier::Merge { "what the merge brings in" } else { "the staged changes" };
            text.push_str(&format!("keyfence blocked this commit: {count} finding{plural} in {what} (above).\n"));
            let mut paths: Vec<String> = Vec::new();
            for finding in findings {
                let path = shell_word(&escape_for_terminal(&finding.origin.path));
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
            let mut named = paths.iter().take(NAMED).cloned().collect::<Vec<_>>().join(" ");
            if paths.len() > NAMED {
                named.push_str(" …");
            }
            text.push_str(&format!("  To take a file out of it:  git restore --staged -- {named}\n"));
            text.push_str(&format!("    (or, to stop tracking it but keep it on disk: git rm --cached -- {named})\n"));
            if carrier == Carrier::Merge {
                text.push_str("    (or give up the merge: git merge --abort)\n");
            }
        }
        Carrier::Message(file) => {
            text.push_str(&format!(
                "keyfence blocked this commit: {count} finding{plural} in its message (above).\n  \
                 To take it out:            edit the message and commit again (it is kept in {file}: \
                 git commit -e -F {file})\n",
                file = shell_word(file)
            ));
        }
    }
    text.push_str(
        "  If it is a false positive: add `keyfence:allow` in a comment on that line, or an [allowlist] \
         entry (paths, regexes or fingerprints) to .keyfence.toml\n",
    );
    text.push_str(skip);
    Some(text)
}

/// `word` as one shell word: bare when safe, else single-quoted.
fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "._/-+@=:,%".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_for_the_shell() {
        assert_eq!(shell_word("config/prod.env"), "config/prod.env");
        assert_eq!(shell_word("da ta.txt"), "'da ta.txt'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }

    #[test]
    fn a_commit_that_goes_on_gets_no_message() {
        assert_eq!(message(Carrier::Staged, Exit::Clean, &[]), None);
        let failed = message(Carrier::Message("m"), Exit::Error, &[]).unwrap();
        assert!(failed.starts_with("keyfence: blocked this commit") && failed.ends_with("git commit --no-verify\n"));
        assert_eq!(failed.lines().count(), 1, "{failed}");
    }
}
