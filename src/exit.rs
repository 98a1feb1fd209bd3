//! The exit status of a run, as a type (fd's `exit_codes.rs`). Every command
//! returns an [`Exit`]; `main.rs` alone turns it into a number. A leaf: it
//! imports no other module of the crate.

/// How a run ended. Errors win: an incomplete scan is never "clean",
/// whatever it found (see [`Exit::merge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: nothing found (or findings that do not fail the run).
    Clean,
    /// 1: findings at or above the `fail-on` severity.
    Findings,
    /// 2: the run could not do all it was asked (a read, a repository, a
    /// configuration, a hook manager that needs a manual step).
    Error,
    /// git-secrets mode only: a status that answers the command rather than
    /// a scan, with git-secrets' own number. git-sh-setup's `die` (a bad
    /// flag, not in a repository, a hook already there) and "already added"
    /// are 1; `--list` passes `git config`'s status through (1 when nothing
    /// is set, 3 or more for git config's own errors).
    Usage(u8),
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> i32 {
        match self {
            Exit::Clean => 0,
            Exit::Findings => 1,
            Exit::Error => 2,
            Exit::Usage(code) => i32::from(code),
        }
    }

    /// The worse of two statuses: error over findings over clean. A
    /// git-secrets `Usage` status ranks below an error and above findings.
    pub fn merge(self, other: Exit) -> Exit {
        let rank = |exit: Exit| match exit {
            Exit::Clean => 0,
            Exit::Findings => 1,
            Exit::Usage(_) => 2,
            Exit::Error => 3,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }

    /// The status for a 0/1/2 code from code that still speaks numbers
    /// (`Outcome::exit_code_for`, hook installation); any other number is an
    /// error, so nothing unexpected passes for clean.
    pub fn from_code(code: i32) -> Exit {
        match code {
            0 => Exit::Clean,
            1 => Exit::Findings,
            _ => Exit::Error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Exit::{self, *};

    #[test]
    fn merge_is_worst_of_and_codes_round_trip() {
        let table: [(Exit, Exit, Exit); 6] = [
            (Clean, Clean, Clean),
            (Clean, Findings, Findings),
            (Findings, Clean, Findings),
            (Findings, Error, Error),
            (Error, Clean, Error),
            (Usage(1), Error, Error),
        ];
        for (a, b, worst) in table {
            assert_eq!(a.merge(b), worst, "{a:?} + {b:?}");
        }
        for exit in [Clean, Findings, Error] {
            assert_eq!(Exit::from_code(exit.code()), exit);
        }
        assert_eq!(Usage(3).code(), 3);
        assert_eq!(Exit::from_code(101), Error);
    }
}
