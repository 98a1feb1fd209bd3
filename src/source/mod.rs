//! Sources turn "what the user asked to scan" into blobs: bytes plus where
//! they came from. Sources never scan; they hand each blob to the pipeline
//! and, for git sources, narrow its findings to the lines a change added.

pub mod git;
pub mod history;
pub mod message;
pub mod range;
pub mod staged;
pub mod worktree;

/// Where a blob came from. Paths are raw bytes: git paths need not be UTF-8.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub path: Vec<u8>,
    /// Hex id of the commit that introduced the blob (range and history).
    pub commit: Option<String>,
    /// Hex git object id of the blob, when it came from a repository.
    pub blob_id: Option<String>,
}

impl Origin {
    pub fn file(path: &std::path::Path) -> Origin {
        Origin { path: path_bytes(path), ..Origin::default() }
    }

    /// The path for people: lossy UTF-8, with control characters escaped so a
    /// file name cannot forge output lines.
    pub fn display_path(&self) -> String {
        escape_for_terminal(&self.path)
    }
}

/// Raw bytes of a path, lossless on Unix.
pub fn path_bytes(path: &std::path::Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned().into_bytes()
    }
}

/// Lossy UTF-8 with control characters (newline, escape, ...) shown as
/// `\n`, `\x1b`, so neither a path nor a matched line can inject terminal
/// sequences or fake extra lines of output.
pub fn escape_for_terminal(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push('\t'),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_for_terminal(b"a\nb\x1b[31m\xffc"), "a\\nb\\x1b[31m\u{fffd}c");
    }
}
