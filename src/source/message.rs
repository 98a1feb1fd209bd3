//! A commit message file (the commit-msg hook) as one blob. Only what git
//! will keep is scanned: comment lines and everything below the `commit -v`
//! scissors line are blanked (line numbers stay true).

use std::path::Path;

use super::{Lines, Sink};
use crate::blob::Origin;
use crate::error::Error;

const SCISSORS: &[u8] = b"------------------------ >8 ------------------------";

pub fn scan(path: &Path, sink: &dyn Sink) -> Result<(), Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    sink.blob(&kept_by_git(&bytes, b'#'), &Origin::file(path), Lines::All);
    Ok(())
}

/// The message with comment lines (and the verbose diff below the scissors)
/// replaced by empty lines.
pub fn kept_by_git(message: &[u8], comment_char: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len());
    let mut below_scissors = false;
    for line in message.split_inclusive(|&b| b == b'\n') {
        let is_comment = line.first() == Some(&comment_char);
        if is_comment && memchr::memmem::find(line, SCISSORS).is_some() {
            below_scissors = true;
        }
        if below_scissors || is_comment {
            if line.ends_with(b"\n") {
                out.push(b'\n');
            }
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::kept_by_git;

    #[test]
    fn comments_and_verbose_diff_are_blanked() {
        let message = b"subject AKIA\n# comment AKIA2E3MTGS5LTN4WCQV\nbody\n# ------------------------ >8 ------------------------\n+key\n";
        assert_eq!(kept_by_git(message, b'#'), b"subject AKIA\n\nbody\n\n\n");
    }
}
