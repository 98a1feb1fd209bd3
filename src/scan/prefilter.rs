//! The first, cheap stage: one multi-literal search over the whole blob for
//! every rule keyword (key-id prefixes and context words). Only the places it
//! finds are handed to the per-rule regexes.
//!
//! We build `aho_corasick::packed::Searcher` (Teddy) ourselves rather than
//! `AhoCorasick::new`: with a mix of prefixes and keywords the automatic mode
//! skips Teddy and runs at ~0.5 GB/s, while Teddy holds 3.8–7.7 GB/s for up to
//! 64 literals (measured in notes/gix-and-detection.md §3).

use aho_corasick::{packed, AhoCorasick, AhoCorasickKind, MatchKind};

/// A keyword occurrence: which literal, and where it starts.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub literal: usize,
    pub start: usize,
}

pub enum Prefilter {
    Teddy(packed::Searcher),
    /// More literals than Teddy takes (user rules): a DFA, slower but exact.
    Automaton(AhoCorasick),
}

impl Prefilter {
    /// `None` when there is nothing to look for.
    pub fn new(literals: &[Vec<u8>]) -> Option<Prefilter> {
        if literals.is_empty() {
            return None;
        }
        let teddy =
            packed::Config::new().match_kind(packed::MatchKind::LeftmostFirst).builder().extend(literals).build();
        if let Some(searcher) = teddy {
            return Some(Prefilter::Teddy(searcher));
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .kind(Some(AhoCorasickKind::DFA))
            .build(literals)
            .expect("literal sets always build as a DFA");
        Some(Prefilter::Automaton(automaton))
    }

    /// Calls `on_hit` for each keyword occurrence, left to right.
    pub fn for_each_hit(&self, haystack: &[u8], mut on_hit: impl FnMut(Hit)) {
        match self {
            Prefilter::Teddy(searcher) => {
                for m in searcher.find_iter(haystack) {
                    on_hit(Hit { literal: m.pattern().as_usize(), start: m.start() });
                }
            }
            Prefilter::Automaton(automaton) => {
                for m in automaton.find_iter(haystack) {
                    on_hit(Hit { literal: m.pattern().as_usize(), start: m.start() });
                }
            }
        }
    }
}

/// The spellings of `keyword` the prefilter should look for. Folding adds the
/// lower, UPPER and Title forms, which is how key names are written across
/// INI files, environment variables, JSON and SDK code.
pub fn spellings(keyword: &str, fold: bool) -> Vec<String> {
    let mut out = vec![keyword.to_string()];
    if fold {
        let lower = keyword.to_ascii_lowercase();
        let mut title = lower.clone();
        if let Some(first) = title.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        out.extend([lower, keyword.to_ascii_uppercase(), title]);
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_fold_three_ways() {
        assert_eq!(spellings("secret", true), ["SECRET", "Secret", "secret"]);
        assert_eq!(spellings("AKIA", false), ["AKIA"]);
    }

    #[test]
    fn finds_every_literal_and_falls_back_beyond_teddy() {
        let few: Vec<Vec<u8>> = vec![b"AKIA".to_vec(), b"secret".to_vec()];
        let pre = Prefilter::new(&few).unwrap();
        assert!(matches!(pre, Prefilter::Teddy(_)));
        let mut hits = vec![];
        pre.for_each_hit(b"x AKIA y secret z AKIA", |h| hits.push((h.literal, h.start)));
        assert_eq!(hits, [(0, 2), (1, 9), (0, 18)]);

        let many: Vec<Vec<u8>> = (0..200).map(|i| format!("kw{i:03}").into_bytes()).collect();
        let pre = Prefilter::new(&many).unwrap();
        let mut hits = vec![];
        pre.for_each_hit(b"..kw150..kw007", |h| hits.push(h.literal));
        assert_eq!(hits, [150, 7]);
        assert!(Prefilter::new(&[]).is_none());
    }
}
