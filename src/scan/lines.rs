//! Where a line ends: at `\n` (so at `\r\n` too) and at a lone `\r` (classic
//! Mac OS line endings, which editors and git's `--text` still show as
//! lines). One definition for line numbers (`scan`), the line a finding's
//! inline-allow marker is looked for on and the added-line filter
//! (`finding`), so that they agree: with `\n` alone, a CR-only file is one
//! line and one `keyfence:allow` in it suppressed every key.

use memchr::{memchr2_iter, memrchr2_iter};

/// Whether the byte at `i` ends a line (a `\r` followed by `\n` does not:
/// the `\n` does).
pub fn is_break(bytes: &[u8], i: usize) -> bool {
    match bytes[i] {
        b'\n' => true,
        b'\r' => bytes.get(i + 1) != Some(&b'\n'),
        _ => false,
    }
}

/// The positions of the line-ending bytes in `bytes[from..to]`, judged
/// against all of `bytes` (a `\r` at `to - 1` looks at `bytes[to]`).
pub fn breaks(bytes: &[u8], from: usize, to: usize) -> impl Iterator<Item = usize> + '_ {
    memchr2_iter(b'\n', b'\r', &bytes[from..to]).map(move |i| from + i).filter(|&i| is_break(bytes, i))
}

/// Where the line holding byte `at` starts, and its text without its
/// terminator.
pub fn line_at(bytes: &[u8], at: usize) -> (usize, &[u8]) {
    let start = memrchr2_iter(b'\n', b'\r', &bytes[..at]).find(|&i| is_break(bytes, i)).map_or(0, |i| i + 1);
    let end = memchr2_iter(b'\n', b'\r', &bytes[at..]).next().map_or(bytes.len(), |i| at + i);
    let line = &bytes[start..end.max(start)];
    (start, line.strip_suffix(b"\r").unwrap_or(line))
}

/// The lines of `bytes`, without terminators: the `n`th (from 0) is line
/// `n + 1`, and a final terminator is followed by one empty line.
pub fn split(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut breaks = breaks(bytes, 0, bytes.len());
    let mut start = Some(0);
    std::iter::from_fn(move || {
        let from = start?;
        match breaks.next() {
            Some(at) => {
                start = Some(at + 1);
                let line = &bytes[from..at];
                Some(line.strip_suffix(b"\r").unwrap_or(line))
            }
            None => {
                start = None;
                Some(&bytes[from..])
            }
        }
    })
}

/// Whether a pattern matches a line break itself: an `\n` escape outside a
/// character class (`[^\r\n]` only keeps a match on its line). A cheap scan
/// of the source; a miss only means the rule keeps a one-line window.
pub fn names_a_line_break(pattern: &str) -> bool {
    let bytes = pattern.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                if depth == 0 && bytes.get(i + 1) == Some(&b'n') {
                    return true;
                }
                i += 1;
            }
            b'[' => depth += 1,
            b']' if depth > 0 => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cr_lf_and_crlf_each_end_one_line() {
        let text = b"a\rb\r\nc\nd\r";
        let lines: Vec<&[u8]> = split(text).collect();
        assert_eq!(lines, [&b"a"[..], b"b", b"c", b"d", b""]);
        assert_eq!(breaks(text, 0, text.len()).collect::<Vec<_>>(), [1, 4, 6, 8]);
        assert_eq!(line_at(text, 2), (2, &b"b"[..]));
        assert_eq!(line_at(text, 3), (2, &b"b"[..]), "on the CR of a CRLF");
        assert_eq!(line_at(text, 4), (2, &b"b"[..]), "on the LF of a CRLF");
        assert_eq!(line_at(text, 0), (0, &b"a"[..]));
        assert_eq!(line_at(text, 9), (9, &b""[..]));
        assert_eq!(split(b"").collect::<Vec<_>>(), [&b""[..]]);
    }
}
