//! The first, cheap stage: one multi-literal search over the whole blob for
//! every rule keyword (key-id prefixes and context words). Only the places it
//! finds are handed to the per-rule regexes.
//!
//! We build `aho_corasick::packed::Searcher` (Teddy) ourselves rather than
//! `AhoCorasick::new`: with a mix of prefixes and keywords the automatic mode
//! skips Teddy and runs at ~0.5 GB/s, while Teddy holds 3.8–7.7 GB/s for up to
//! 64 literals (measured in notes/gix-and-detection.md §3).
//!
//! **The budget.** One Teddy searcher takes at most `FAST_LIMIT` (64)
//! literals: past that it packs more literals per bucket and slows down, and
//! aho-corasick refuses 128 or more (`packed::PATTERN_LIMIT`). The built-in
//! rules of AWS and the first fourteen providers fit one searcher (61
//! literals, 33 of them AWS's); with the rest of issue 13's providers they
//! make 113, so the built-ins use the grouped design below: two passes (a
//! test counts the literals and the groups). Keep every literal three bytes
//! or more: a Teddy group matches on its shortest literal's length, and one
//! two-byte keyword slowed its whole group 3x (benches/runs/engine-2026-12-01-providers.md).
//! Beyond one searcher's budget, in
//! this order:
//! 1. More than 64 literals (many providers, or user rules): the literals are
//!    split into groups of at most 64, one Teddy searcher each, and their hits
//!    are merged by position. Each group is one more pass over the blob, so
//!    ~150 literals (the next ~40 providers) cost three passes at Teddy speed,
//!    still several times the DFA. Hits from different groups may overlap,
//!    which one searcher would not report; the scanner deduplicates matches,
//!    so an extra hit costs one verification and never changes a result.
//! 2. No packed searcher on this CPU (Teddy needs SSSE3/AVX2 or NEON): one
//!    DFA over all literals, slower but exact.
//!
//! Folding (`keyword_case = "fold"`) turns one keyword into 3–4 literals, so
//! a new provider should prefer shared, case-exact prefixes (`ghp_`, `xoxb-`).

use aho_corasick::{packed, AhoCorasick, AhoCorasickKind, MatchKind};

/// Most literals one Teddy searcher is given; see the module doc.
pub const FAST_LIMIT: usize = 64;

/// A keyword occurrence: which literal, and where it starts.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub literal: usize,
    pub start: usize,
}

pub enum Prefilter {
    /// At most `FAST_LIMIT` literals: one pass (the built-in rules).
    Teddy(packed::Searcher),
    /// More: groups of at most `FAST_LIMIT`, each with the index of its
    /// first literal; one pass per group, hits merged by position.
    Groups(Vec<(usize, packed::Searcher)>),
    /// No packed searcher on this CPU: a DFA, slower but exact.
    Automaton(AhoCorasick),
}

impl Prefilter {
    /// `None` when there is nothing to look for.
    pub fn new(literals: &[Vec<u8>]) -> Option<Prefilter> {
        if literals.is_empty() {
            return None;
        }
        let teddy = |group: &[Vec<u8>]| {
            packed::Config::new().match_kind(packed::MatchKind::LeftmostFirst).builder().extend(group).build()
        };
        if literals.len() <= FAST_LIMIT {
            if let Some(searcher) = teddy(literals) {
                return Some(Prefilter::Teddy(searcher));
            }
        } else {
            let groups: Option<Vec<_>> =
                literals.chunks(FAST_LIMIT).enumerate().map(|(i, g)| Some((i * FAST_LIMIT, teddy(g)?))).collect();
            if let Some(groups) = groups {
                return Some(Prefilter::Groups(groups));
            }
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
            Prefilter::Groups(groups) => {
                let mut streams: Vec<_> = groups
                    .iter()
                    .map(|(first, searcher)| {
                        searcher
                            .find_iter(haystack)
                            .map(move |m| Hit { literal: first + m.pattern().as_usize(), start: m.start() })
                    })
                    .collect();
                let mut heads: Vec<Option<Hit>> = streams.iter_mut().map(Iterator::next).collect();
                // A handful of groups: the leftmost head is found by a scan.
                while let Some(i) = (0..heads.len())
                    .filter(|&i| heads[i].is_some())
                    .min_by_key(|&i| heads[i].map(|h| (h.start, h.literal)))
                {
                    on_hit(heads[i].expect("filtered to some"));
                    heads[i] = streams[i].next();
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
        assert!(matches!(&pre, Prefilter::Groups(groups) if groups.len() == 4));
        let mut hits = vec![];
        pre.for_each_hit(b"..kw150..kw007..kw199kw000", |h| hits.push((h.literal, h.start)));
        assert_eq!(hits, [(150, 2), (7, 9), (199, 16), (0, 21)]);
        assert!(Prefilter::new(&[]).is_none());
    }

    /// The literals the built-in rules make, every rule counted (disabled
    /// ones too: `--enable-rule` turns them on), deduplicated as `Scanner` does.
    fn builtin_literals() -> Vec<Vec<u8>> {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        for rule in crate::rules::RuleSet::builtin().all() {
            let fold = rule.keyword_case == crate::rules::KeywordCase::Fold;
            for spelling in rule.keywords.iter().flat_map(|k| spellings(k, fold)) {
                if !literals.contains(&spelling.as_bytes().to_vec()) {
                    literals.push(spelling.into_bytes());
                }
            }
        }
        literals
    }

    /// The budget test: the built-in rules take two Teddy passes. If this
    /// fails, a new rule pushed the literal count past `2 * FAST_LIMIT`, a
    /// third pass over every blob: share prefixes, prefer exact case over
    /// `fold`, or measure the third group (`cargo bench --bench engine --
    /// prefilter/no-hits`) and raise the budget in the module doc with the
    /// numbers.
    #[test]
    fn builtin_rules_fit_two_fast_searchers() {
        let literals = builtin_literals();
        assert!(literals.len() <= 2 * FAST_LIMIT, "{} built-in literals, budget {}", literals.len(), 2 * FAST_LIMIT);
        assert_eq!(literals.len(), 113, "update the count in the module doc");
        let groups = |p: &Option<Prefilter>| match p {
            Some(Prefilter::Groups(groups)) => groups.len(),
            _ => 0,
        };
        assert_eq!(groups(&Prefilter::new(&literals)), 2, "two Teddy groups");
        let scanner = super::super::Scanner::new(&crate::rules::RuleSet::builtin()).unwrap();
        assert_eq!(groups(&scanner.prefilter), 2, "the shipped scanner uses two Teddy groups");
    }
}
