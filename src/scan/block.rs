//! Block values: a match that opens a multi-line secret (a PEM key's BEGIN
//! line and first body line) runs on to the line holding its rule's
//! `block_end` literal, so the whole key is one value: one finding, at its
//! first line, whose fingerprint covers every line and whose redaction
//! hides all of them.

use memchr::{memchr, memmem};

use super::Match;
use crate::rules::MAX_BLOCK;

/// Extend each match whose rule (`block_end(rule)`) names an end literal to
/// the end of the first line holding it, when that is within `MAX_BLOCK`
/// bytes. A block cut short (no end near enough) keeps the matched lines.
pub fn extend<'r>(haystack: &[u8], found: &mut [Match], block_end: impl Fn(usize) -> Option<&'r str>) {
    for m in found.iter_mut() {
        let Some(end) = block_end(m.rule) else {
            continue;
        };
        let limit = haystack.len().min(m.end + MAX_BLOCK);
        if let Some(at) = memmem::find(&haystack[m.end..limit], end.as_bytes()) {
            let from = m.end + at;
            let line_end = memchr(b'\n', &haystack[from..]).map_or(haystack.len(), |i| from + i);
            m.end = if haystack[..line_end].ends_with(b"\r") { line_end - 1 } else { line_end };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: usize, end: usize) -> Match {
        Match { rule: 0, start, end, line: 0, column: 0, paired_with: None }
    }

    #[test]
    fn a_block_ends_at_the_end_of_its_end_line_without_its_line_break() {
        let text = b"-----BEGIN K-----\r\nAAAA\r\nBBBB\r\n-----END K-----\r\ntail";
        let mut found = [at(0, 25)];
        extend(text, &mut found, |_| Some("-----END "));
        assert_eq!(&text[found[0].start..found[0].end], b"-----BEGIN K-----\r\nAAAA\r\nBBBB\r\n-----END K-----");
        let mut found = [at(0, 25)];
        extend(text, &mut found, |_| None);
        assert_eq!(found[0].end, 25, "a rule without block_end keeps its match");
    }

    #[test]
    fn a_block_with_no_end_in_reach_keeps_its_match() {
        let mut text = b"-----BEGIN K-----\nAAAA\n".to_vec();
        text.extend(std::iter::repeat_n(b'A', MAX_BLOCK));
        text.extend_from_slice(b"\n-----END K-----\n");
        let mut found = [at(0, 22)];
        extend(&text, &mut found, |_| Some("-----END "));
        assert_eq!(found[0].end, 22);
    }
}
