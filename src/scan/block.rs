//! Block values: a match that opens a multi-line secret (a PEM key's BEGIN
//! line and first body line) runs on through its rule's `block_end`, so the
//! whole key is one value: one finding, at its first line, whose
//! fingerprint covers every line and whose redaction hides all of them.
//! And one secret, one finding: a rule that `supersedes` another drops that
//! rule's matches overlapping its own.

use regex::bytes::Regex;

use super::{verify, Match};
use crate::rules::{Rule, MAX_BLOCK};

/// The last step of a scan, on matches sorted by start: extend block
/// values (`extend`), drop a block that fails its rule's checks as a whole
/// (AWS's documentation keys end `…EXAMPLE=`, after the first line), then
/// drop superseded matches. `rule(index)` gives a rule and its compiled
/// `block_end`.
pub fn settle<'r>(haystack: &[u8], found: &mut Vec<Match>, rule: impl Fn(usize) -> (&'r Rule, Option<&'r Regex>)) {
    extend(haystack, found, |ri| rule(ri).1);
    found.retain(|m| {
        let (rule, end) = rule(m.rule);
        end.is_none() || verify::confirm(rule, &haystack[m.start..m.end]).is_ok()
    });
    drop_superseded(found, |a, b| rule(a).0.supersedes.contains(&rule(b).0.id));
}

/// Extend each match whose rule has a `block_end` pattern (`block_end(rule)`)
/// through that pattern's first match within `MAX_BLOCK` bytes. A block cut
/// short (no end near enough) keeps the matched lines.
fn extend<'r>(haystack: &[u8], found: &mut [Match], block_end: impl Fn(usize) -> Option<&'r Regex>) {
    for m in found.iter_mut() {
        let Some(end) = block_end(m.rule) else {
            continue;
        };
        let limit = haystack.len().min(m.end + MAX_BLOCK);
        if let Some(at) = end.find(&haystack[m.end..limit]) {
            m.end += at.end();
        }
    }
}

/// Drop every match that overlaps a match of a rule superseding its rule
/// (`supersedes(a, b)`: rule `a` supersedes rule `b`). `found` is sorted by
/// start, so only the matches starting inside another one are compared.
fn drop_superseded(found: &mut Vec<Match>, supersedes: impl Fn(usize, usize) -> bool) {
    let mut dropped = vec![false; found.len()];
    for i in 0..found.len() {
        for j in (i + 1..found.len()).take_while(|&j| found[j].start < found[i].end) {
            let (a, b) = (found[i].rule, found[j].rule);
            if a != b && supersedes(a, b) {
                dropped[j] = true;
            } else if a != b && supersedes(b, a) {
                dropped[i] = true;
            }
        }
    }
    let mut keep = dropped.iter().map(|d| !d);
    found.retain(|_| keep.next().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rule: usize, start: usize, end: usize) -> Match {
        Match { rule, start, end, line: 0, column: 0, paired_with: None }
    }

    #[test]
    fn a_block_ends_with_its_end_pattern() {
        let pem_end = Regex::new("-----END [A-Z ]+-----").unwrap();
        let text = b"-----BEGIN K-----\r\nAAAA\r\nBBBB\r\n-----END K-----\r\ntail";
        let mut found = [at(0, 0, 25)];
        extend(text, &mut found, |_| Some(&pem_end));
        assert_eq!(&text[found[0].start..found[0].end], b"-----BEGIN K-----\r\nAAAA\r\nBBBB\r\n-----END K-----");
        let escaped = br#"{"key": "-----BEGIN K-----\nAAAA\nBBBB\n-----END K-----\n", "x": 1}"#;
        let mut found = [at(0, 9, 31)];
        extend(escaped, &mut found, |_| Some(&pem_end));
        assert_eq!(&escaped[found[0].start..found[0].end], br"-----BEGIN K-----\nAAAA\nBBBB\n-----END K-----");
        let mut found = [at(0, 0, 25)];
        extend(text, &mut found, |_| None);
        assert_eq!(found[0].end, 25, "a rule without block_end keeps its match");
    }

    #[test]
    fn a_block_with_no_end_in_reach_keeps_its_match() {
        let pem_end = Regex::new("-----END [A-Z ]+-----").unwrap();
        let mut text = b"-----BEGIN K-----\nAAAA\n".to_vec();
        text.extend(std::iter::repeat_n(b'A', MAX_BLOCK));
        text.extend_from_slice(b"\n-----END K-----\n");
        let mut found = [at(0, 0, 22)];
        extend(&text, &mut found, |_| Some(&pem_end));
        assert_eq!(found[0].end, 22);
    }

    #[test]
    fn a_superseding_rules_match_drops_the_overlapping_one_only() {
        let mut found = vec![at(1, 0, 50), at(0, 0, 40), at(0, 60, 90), at(2, 10, 20)];
        found.sort_by_key(|m| (m.start, m.end, m.rule));
        drop_superseded(&mut found, |a, b| a == 1 && b == 0);
        let left: Vec<_> = found.iter().map(|m| (m.rule, m.start)).collect();
        assert_eq!(left, [(1, 0), (2, 10), (0, 60)], "rule 0 inside rule 1 goes; elsewhere it stays");
    }
}
