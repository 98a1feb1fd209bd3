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
//! aho-corasick refuses 128 or more (`packed::PATTERN_LIMIT`). A searcher
//! also matches candidates on its shortest literal's first bytes (up to
//! four), so a short literal weakens the fingerprint of every literal it
//! shares a searcher with. Hence `groups`:
//! 1. Literals are split by length class (four bytes or more, three, two,
//!    one), then into as few even groups of at most 64 as fit, longest
//!    first: one Teddy searcher each, hits merged by position. The AWS
//!    rules alone are one searcher (33 literals); all built-in rules (113)
//!    make two groups of four-byte-or-longer literals and one of the 17
//!    three-byte ones: three passes (a test counts literals and passes).
//!    Each group is one more pass over the blob. Hits from different groups
//!    may overlap, which one searcher would not report; the scanner
//!    deduplicates matches, so an extra hit costs one verification and never
//!    changes a result.
//! 2. No packed searcher on this CPU (Teddy needs SSSE3/AVX2 or NEON): one
//!    DFA over all literals, slower but exact.
//!
//! A new keyword should be four bytes or more where its format allows: a
//! three-byte one joins the short group, a one- or two-byte one makes a
//! slow group of its own (benches/runs/engine-2026-12-01-providers.md).
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
    /// At most `FAST_LIMIT` literals of one length class: one pass (the
    /// AWS rules alone).
    Teddy(packed::Searcher),
    /// More, or of several length classes: one pass per group, hits merged
    /// by position (see `groups`).
    Groups(Vec<Group>),
    /// No packed searcher on this CPU: a DFA, slower but exact.
    Automaton(AhoCorasick),
}

/// One Teddy searcher over some of the literals, with the index (in the
/// scanner's literal list) of each of its patterns.
pub struct Group {
    searcher: packed::Searcher,
    literals: Vec<usize>,
}

impl Prefilter {
    /// `None` when there is nothing to look for.
    pub fn new(literals: &[Vec<u8>]) -> Option<Prefilter> {
        if literals.is_empty() {
            return None;
        }
        let teddy = |group: &[usize]| {
            packed::Config::new()
                .match_kind(packed::MatchKind::LeftmostFirst)
                .builder()
                .extend(group.iter().map(|&i| &literals[i]))
                .build()
        };
        let groups = groups(literals);
        if groups.len() == 1 {
            // Pattern ids are literal indices only in the literals' order.
            let all: Vec<usize> = (0..literals.len()).collect();
            if let Some(searcher) = teddy(&all) {
                return Some(Prefilter::Teddy(searcher));
            }
        } else {
            let built: Option<Vec<Group>> =
                groups.into_iter().map(|literals| Some(Group { searcher: teddy(&literals)?, literals })).collect();
            if let Some(groups) = built {
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

    /// How many passes over a blob this prefilter makes.
    pub fn passes(&self) -> usize {
        match self {
            Prefilter::Groups(groups) => groups.len(),
            Prefilter::Teddy(_) | Prefilter::Automaton(_) => 1,
        }
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
                    .map(|group| {
                        group
                            .searcher
                            .find_iter(haystack)
                            .map(|m| Hit { literal: group.literals[m.pattern().as_usize()], start: m.start() })
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

/// The literals (by index) of each Teddy pass. Teddy matches a candidate
/// on its shortest literal's first bytes (up to four), so literals of one
/// length class, 1, 2, 3 or 4 and more bytes, share a searcher: a 3-byte
/// literal among long ones weakens the whole group's fingerprint. Within a
/// class, longest first, split evenly into as few groups of at most
/// `FAST_LIMIT` as fit. Measured on the built-in rules (113 literals) over
/// Python and Rust source, prefilter alone: 0.49 GB/s as two groups in rule
/// order, 2.34 GB/s as two groups of 48 long literals and one of 17 3-byte
/// ones; with the regexes, `prefilter/no-hits` went from 559 MiB/s to 1.30
/// GiB/s (benches/runs/prefilter-grouping-2026-12-01.md).
fn groups(literals: &[Vec<u8>]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..literals.len()).collect();
    let class = |i: usize| literals[i].len().min(4);
    order.sort_by_key(|&i| (std::cmp::Reverse(class(i)), std::cmp::Reverse(literals[i].len()), i));
    let mut groups = Vec::new();
    for class_members in order.chunk_by(|&a, &b| class(a) == class(b)) {
        let count = class_members.len().div_ceil(FAST_LIMIT);
        let size = class_members.len().div_ceil(count);
        groups.extend(class_members.chunks(size).map(<[usize]>::to_vec));
    }
    groups
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

    #[test]
    fn short_literals_get_their_own_pass_and_hits_keep_their_literal_index() {
        let literals: Vec<Vec<u8>> = vec![b"AKIA".to_vec(), b"hf_".to_vec(), b"secret".to_vec()];
        assert_eq!(groups(&literals), [vec![2, 0], vec![1]]);
        let pre = Prefilter::new(&literals).unwrap();
        assert_eq!(pre.passes(), 2);
        let mut hits = vec![];
        pre.for_each_hit(b"hf_ secret AKIA hf_", |h| hits.push((h.literal, h.start)));
        assert_eq!(hits, [(1, 0), (2, 4), (0, 11), (1, 16)]);
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

    /// The budget test: the built-in rules take three Teddy passes (two
    /// of long literals, one of three-byte ones). If this fails, a new rule
    /// added a pass over every blob: share prefixes, prefer exact case over
    /// `fold` and four bytes over three, or measure the extra group (`cargo
    /// bench --bench engine -- prefilter/no-hits`) and raise the budget in
    /// the module doc with the numbers.
    #[test]
    fn builtin_rules_take_three_fast_passes() {
        let literals = builtin_literals();
        assert!(literals.len() <= 2 * FAST_LIMIT, "{} built-in literals, budget {}", literals.len(), 2 * FAST_LIMIT);
        assert_eq!(literals.len(), 113, "update the count in the module doc");
        // Only `Groups` makes more than one pass.
        let passes = |p: &Option<Prefilter>| p.as_ref().map_or(0, Prefilter::passes);
        assert_eq!(passes(&Prefilter::new(&literals)), 3, "three Teddy groups");
        let scanner = super::super::Scanner::new(&crate::rules::RuleSet::builtin()).unwrap();
        assert_eq!(passes(&scanner.prefilter), 3, "the shipped scanner makes three passes");
    }
}
