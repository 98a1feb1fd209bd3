//! The scanner: bytes in, matches out. Built once from a `RuleSet`, shared by
//! every thread, and it knows nothing about git, files or output.
//!
//! Hot path: one prefilter pass over the blob; per keyword hit, the rule's
//! regex runs on a window from the hit to the end of its line. Line and column
//! numbers are computed only for matches. Memory comes from a caller-owned
//! `Scratch`, so a thread scanning many blobs allocates once.

pub mod block;
pub mod entropy;
pub mod lines;
pub mod prefilter;
pub mod verify;

use std::collections::HashMap;
use std::sync::OnceLock;

use memchr::{memchr, memrchr};
use regex::bytes::{Regex, RegexBuilder};

use crate::error::{Error, Result};
use crate::rules::{Rule, RuleSet};
use prefilter::Prefilter;

/// How far a verification window reaches past its keyword on one line. Long
/// enough for session tokens (~1 KB), short enough that a megabyte of
/// minified JavaScript on one line costs a bounded amount per hit.
const MAX_WINDOW: usize = 4096;

/// Window ends past `MAX_WINDOW` are rounded up to a multiple of this, so
/// the keyword hits of a long line share one window end per step, and with
/// it the memo of their search (`Searched`).
const WINDOW_STEP: usize = 1024;

/// How far a verification window reaches back before its keyword, so a
/// pattern can require what precedes a key id: the escape a JSON string or a
/// URL puts there (`\n`, `\u0022`, `%22`) ends in a word character, which
/// `\b` alone cannot see past.
const LOOKBEHIND: usize = 8;

/// Lines after the keyword's own that a window covers when the rule's pattern
/// matches a line break itself: a key name on one line and its value a few
/// lines on (`"key": "secretKey"` / `"value": …`, HCL `variable` blocks).
/// Only tried when the keyword's line holds no match, and anchored at the
/// keyword, so a hit costs about a line more, not six (unanchored, the
/// search would walk every following line looking for a later start).
const FOLLOWING_LINES: usize = 5;

/// `Scratch::keyword_hits` keeps one hit per this many bytes at most.
pub const HIT_SPACING: usize = 64;

/// One confirmed value in a blob. Offsets are bytes into the scanned slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index into `Scanner::rules()`.
    pub rule: usize,
    pub start: usize,
    pub end: usize,
    /// 1-based line and byte column of `start`.
    pub line: u32,
    pub column: u32,
    /// Index (into the same match list) of the key id this value was paired with.
    pub paired_with: Option<usize>,
}

/// Per-thread reusable memory for `Scanner::scan`.
#[derive(Default)]
pub struct Scratch {
    matches: Vec<Match>,
    /// Where the last scan's prefilter found keywords, in order: at most
    /// one per `HIT_SPACING` bytes, so a keyword-dense blob costs little.
    keyword_hits: Vec<usize>,
    /// Per rule, its last window search in this blob.
    searched: Vec<Searched>,
}

impl Scratch {
    /// Where the last scan found keywords (what may anchor a match): one
    /// hit stands for the others in the `HIT_SPACING` bytes after it.
    pub fn keyword_hits(&self) -> &[usize] {
        &self.keyword_hits
    }
}

/// One rule's last search: the leftmost match (its span) starting at or
/// after `from` in `haystack[..to]`, and the last match already verified.
///
/// A keyword-dense line ("secret secret …") puts a hit every few bytes, and
/// each hit's window would be searched again, ~4 KB of regex work per hit.
/// But a later search from `from2 >= from` with the same `to` has the same
/// answer when there was none, or when the match starts at or after `from2`
/// (leftmost-first: no match starts in between, and the match at a given
/// start does not depend on where the search began; the bytes before stay
/// visible to `\b`). So a search runs only when its answer can differ: the
/// regex work is bounded per byte of the blob, not per hit.
#[derive(Default, Clone, Copy)]
struct Searched {
    from: usize,
    to: usize,
    found: Option<(usize, usize)>,
    verified: Option<(usize, usize)>,
}

struct CompiledRule {
    rule: Rule,
    pattern: Lazy,
    /// The pattern names a line break: this copy of it, anchored at the
    /// keyword, is tried on the `FOLLOWING_LINES` too.
    across_lines: Option<Lazy>,
    pair: Option<(usize, u32, Lazy)>,
    block_end: Option<Lazy>, // `Rule::block_end`, compiled
}

/// A regex compiled on first use: a pre-commit hook scanning three clean
/// files should not pay for every rule's automaton.
struct Lazy {
    source: String,
    regex: OnceLock<Regex>,
}

impl Lazy {
    /// Built-in patterns compile on first use (their validity is
    /// unit-tested); user patterns compile now, once, so a bad one fails
    /// before scanning starts and the work is not repeated later.
    fn new(rule: &Rule, source: &str) -> Result<Lazy> {
        let regex = OnceLock::new();
        if !rule.builtin {
            let _ = regex.set(check_pattern(rule, source)?);
        }
        Ok(Lazy { source: source.to_string(), regex })
    }

    fn compile(source: &str) -> std::result::Result<Regex, regex::Error> {
        // Bytes mode without Unicode: content is arbitrary bytes, `\b` and
        // classes are ASCII, and `[^\n]` may match any other byte.
        RegexBuilder::new(source).unicode(false).size_limit(1 << 24).build()
    }

    fn get(&self) -> &Regex {
        self.regex.get_or_init(|| Self::compile(&self.source).expect("built-in patterns compile (unit-tested)"))
    }
}

pub struct Scanner {
    rules: Vec<CompiledRule>,
    prefilter: Option<Prefilter>,
    /// literal index -> rules it anchors
    rules_of_literal: Vec<Vec<usize>>,
    /// rules with no keyword: their regex runs over the whole blob
    unanchored: Vec<usize>,
}

impl Scanner {
    /// Build a scanner for the enabled rules. Every user pattern is checked
    /// here, disabled ones too, so a bad pattern fails before scanning starts.
    pub fn new(rule_set: &RuleSet) -> Result<Scanner> {
        for rule in rule_set.all().iter().filter(|r| !r.enabled && !r.builtin) {
            for pattern in std::iter::once(&rule.pattern).chain(rule.pair.as_ref().map(|p| &p.pattern)) {
                check_pattern(rule, pattern)?;
            }
        }
        let enabled: Vec<&Rule> = rule_set.enabled().collect();
        let index_of: HashMap<&str, usize> = enabled.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
        let mut rules = Vec::with_capacity(enabled.len());
        for rule in &enabled {
            let pair = match &rule.pair {
                None => None,
                // Pairing with a disabled rule just never fires.
                Some(pair) => match index_of.get(pair.with.as_str()) {
                    Some(&with) => Some((with, pair.lines, Lazy::new(rule, &pair.pattern)?)),
                    None => None,
                },
            };
            rules.push(CompiledRule {
                rule: (*rule).clone(),
                pattern: Lazy::new(rule, &rule.pattern)?,
                across_lines: lines::names_a_line_break(&rule.pattern)
                    .then(|| Lazy::new(rule, &format!(r"\A(?:{})", rule.pattern)))
                    .transpose()?,
                pair,
                block_end: rule.block_end.as_ref().map(|end| Lazy::new(rule, end)).transpose()?,
            });
        }

        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut rules_of_literal: Vec<Vec<usize>> = Vec::new();
        let mut literal_index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut unanchored = Vec::new();
        for (ri, compiled) in rules.iter().enumerate() {
            let rule = &compiled.rule;
            if rule.keywords.is_empty() {
                unanchored.push(ri);
            }
            let fold = rule.keyword_case == crate::rules::KeywordCase::Fold;
            for keyword in &rule.keywords {
                for spelling in prefilter::spellings(keyword, fold) {
                    let bytes = spelling.into_bytes();
                    let li = *literal_index.entry(bytes.clone()).or_insert_with(|| {
                        literals.push(bytes);
                        rules_of_literal.push(Vec::new());
                        literals.len() - 1
                    });
                    if !rules_of_literal[li].contains(&ri) {
                        rules_of_literal[li].push(ri);
                    }
                }
            }
        }
        Ok(Scanner { rules, prefilter: Prefilter::new(&literals), rules_of_literal, unanchored })
    }

    /// The enabled rules, indexed by `Match::rule`.
    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index].rule
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Scan one blob. The returned matches are sorted by position and live
    /// until the next call with the same scratch.
    pub fn scan<'s>(&self, haystack: &[u8], scratch: &'s mut Scratch) -> &'s [Match] {
        let found = &mut scratch.matches;
        found.clear();
        let searched = &mut scratch.searched;
        searched.clear();
        scratch.keyword_hits.clear();
        let hits = &mut scratch.keyword_hits;
        searched.resize(self.rules.len(), Searched { to: usize::MAX, ..Searched::default() });
        if let Some(prefilter) = &self.prefilter {
            prefilter.for_each_hit(haystack, |hit| {
                if hits.last().is_none_or(|&last| hit.start >= last + HIT_SPACING) {
                    hits.push(hit.start);
                }
                for &ri in &self.rules_of_literal[hit.literal] {
                    let compiled = &self.rules[ri];
                    let end = line_end(haystack, hit.start, 0);
                    let memo = &mut searched[ri];
                    let matched = self.verify_first(ri, compiled.pattern.get(), haystack, hit.start, end, memo, found);
                    if let (false, Some(across)) = (matched, &compiled.across_lines) {
                        let end = line_end(haystack, hit.start, FOLLOWING_LINES);
                        // Sliced at the keyword so `\A` anchors there.
                        if let Some(caps) = across.get().captures(&haystack[hit.start..end]) {
                            self.push_if_confirmed(ri, &caps, hit.start, found);
                        }
                    }
                }
            });
        }
        for &ri in &self.unanchored {
            self.verify_all(ri, self.rules[ri].pattern.get(), haystack, 0, haystack.len(), found);
        }
        if found.is_empty() {
            return found;
        }
        self.find_paired_values(haystack, found);
        // One value is one finding: of rules matching the very same bytes
        // (a session token by its key name and by its shape), the first
        // listed names it.
        found.sort_by_key(|m| (m.start, m.end, m.rule));
        found.dedup_by_key(|m| (m.start, m.end));
        block::settle(haystack, found, |ri| (&self.rules[ri].rule, self.rules[ri].block_end.as_ref().map(Lazy::get)));
        assign_lines(haystack, found);
        self.assign_pairs(found);
        found
    }

    /// A value shaped like a secret but with no key name before it counts
    /// when a key id of the paired rule sits within a few lines (CSV exports,
    /// `NewStaticCredentials("AKIA…", "…")`).
    fn find_paired_values(&self, haystack: &[u8], found: &mut Vec<Match>) {
        for (ri, compiled) in self.rules.iter().enumerate() {
            let Some((with, lines, pattern)) = &compiled.pair else {
                continue;
            };
            let anchors: Vec<(usize, usize)> =
                found.iter().filter(|m| m.rule == *with).map(|m| (m.start, m.end)).collect();
            for (start, end) in anchors {
                let (from, to) = lines_around(haystack, start, end, *lines as usize);
                self.verify_all(ri, pattern.get(), haystack, from, to, found);
            }
        }
    }

    /// Record on each value the nearest key id within its rule's pairing
    /// distance. `found` is sorted by position, so by line: a binary search
    /// bounds the candidates (a credentials dump holds thousands of ids).
    fn assign_pairs(&self, found: &mut [Match]) {
        for i in 0..found.len() {
            let Some((with, lines, _)) = &self.rules[found[i].rule].pair else {
                continue;
            };
            let line = found[i].line;
            let first = found.partition_point(|m| m.line < line.saturating_sub(*lines));
            found[i].paired_with = found[first..]
                .iter()
                .take_while(|m| m.line <= line.saturating_add(*lines))
                .enumerate()
                .filter(|(_, m)| m.rule == *with)
                .min_by_key(|(_, m)| (m.line.abs_diff(line), m.line > line))
                .map(|(j, _)| first + j);
        }
    }

    /// The first match of `regex` around the keyword at `at`, up to `to`,
    /// recorded if confirmed. Returns whether there was a match at all.
    #[allow(clippy::too_many_arguments)]
    fn verify_first(
        &self,
        ri: usize,
        regex: &Regex,
        haystack: &[u8],
        at: usize,
        to: usize,
        memo: &mut Searched,
        found: &mut Vec<Match>,
    ) -> bool {
        // Slicing the end (not the start) keeps the bytes before the window
        // visible to `\b`, and bounds the search to the window. The search
        // starts `LOOKBEHIND` bytes early; a match that ends before the
        // keyword is another place's business, so look again from the keyword.
        let window = &haystack[..to];
        let lookbehind = self.rules[ri].rule.lookbehind.max(LOOKBEHIND);
        let mut span = leftmost(regex, window, at.saturating_sub(lookbehind), memo);
        if span.is_some_and(|(_, end)| end <= at) {
            span = leftmost(regex, window, at, memo);
        }
        let Some((start, _)) = span else { return false };
        // An earlier hit verified this very match: its verdict stands.
        if memo.verified != span {
            memo.verified = span;
            if let Some(caps) = regex.captures_at(window, start) {
                self.push_if_confirmed(ri, &caps, 0, found);
            }
        }
        true
    }

    fn verify_all(&self, ri: usize, regex: &Regex, haystack: &[u8], from: usize, to: usize, found: &mut Vec<Match>) {
        let window = &haystack[..to];
        let mut at = from;
        while at <= to {
            let Some(caps) = regex.captures_at(window, at) else {
                break;
            };
            let whole = caps.get(0).expect("group 0 always matches");
            self.push_if_confirmed(ri, &caps, 0, found);
            // Boundary groups consume the byte after a value; restart from
            // the value's end so an adjacent value still gets its boundary.
            let value_end = caps.name("secret").map_or(whole.end(), |m| m.end());
            at = if value_end > at { value_end } else { at + 1 };
        }
    }

    /// `offset`: where the searched slice starts in the blob.
    fn push_if_confirmed(&self, ri: usize, caps: &regex::bytes::Captures, offset: usize, found: &mut Vec<Match>) {
        let value = caps.name("secret").or_else(|| caps.get(0)).expect("group 0 always matches");
        if value.is_empty() || verify::confirm(&self.rules[ri].rule, value.as_bytes()).is_err() {
            return;
        }
        found.push(Match {
            rule: ri,
            start: offset + value.start(),
            end: offset + value.end(),
            line: 0,
            column: 0,
            paired_with: None,
        });
    }
}

/// The span of the leftmost match of `regex` starting at or after `from` in
/// `window`, from `memo` when its last search has the same answer.
fn leftmost(regex: &Regex, window: &[u8], from: usize, memo: &mut Searched) -> Option<(usize, usize)> {
    let same_answer = memo.to == window.len() && memo.from <= from && memo.found.is_none_or(|(s, _)| s >= from);
    if !same_answer {
        let found = regex.find_at(window, from).map(|m| (m.start(), m.end()));
        *memo = Searched { from, to: window.len(), found, verified: memo.verified };
    }
    memo.found
}

fn check_pattern(rule: &Rule, pattern: &str) -> Result<Regex> {
    Lazy::compile(pattern).map_err(|e| Error::Rule {
        id: format!("{} ({})", rule.id, rule.name),
        // On one line: the regex crate's message spans several.
        reason: format!(
            "pattern {pattern:?} does not compile: {}",
            e.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
        ),
    })
}

/// End of the line holding `at`, or of the `following` lines after it, but
/// no further than `MAX_WINDOW` bytes, rounded up to a `WINDOW_STEP`.
fn line_end(haystack: &[u8], at: usize, following: usize) -> usize {
    let cap = haystack.len().min((at + MAX_WINDOW).next_multiple_of(WINDOW_STEP));
    past_line_breaks(haystack, at, cap, following + 1).map_or(cap, |past| past - 1)
}

/// Just past the `n`th line break in `haystack[from..to]`, if there are that many.
fn past_line_breaks(haystack: &[u8], from: usize, to: usize, n: usize) -> Option<usize> {
    let mut at = from;
    for _ in 0..n {
        at += memchr(b'\n', &haystack[at..to])? + 1;
    }
    Some(at)
}

/// The byte range covering `lines` lines before and after `start..end`, each
/// side capped at `MAX_WINDOW` bytes.
fn lines_around(haystack: &[u8], start: usize, end: usize, lines: usize) -> (usize, usize) {
    let floor = start.saturating_sub(MAX_WINDOW);
    let mut from = start;
    for _ in 0..=lines {
        match memrchr(b'\n', &haystack[floor..from]) {
            Some(i) => from = floor + i,
            None => {
                from = floor;
                break;
            }
        }
    }
    let ceiling = haystack.len().min(end + MAX_WINDOW);
    let to = past_line_breaks(haystack, end, ceiling, lines + 1).unwrap_or(ceiling);
    (from, to)
}

/// Fill `line`/`column` for matches sorted by start, counting line breaks
/// (`lines`: `\n`, and a lone `\r`) once.
fn assign_lines(haystack: &[u8], found: &mut [Match]) {
    let mut line = 1u32;
    let mut line_start = 0usize;
    let mut counted_to = 0usize;
    for m in found.iter_mut() {
        for at in lines::breaks(haystack, counted_to, m.start) {
            line += 1;
            line_start = at + 1;
        }
        counted_to = m.start;
        m.line = line;
        m.column = (m.start - line_start + 1) as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_ids(text: &str) -> Vec<(String, String, u32)> {
        let scanner = Scanner::new(&RuleSet::builtin()).unwrap();
        let mut scratch = Scratch::default();
        scanner
            .scan(text.as_bytes(), &mut scratch)
            .iter()
            .map(|m| (scanner.rule(m.rule).id.clone(), text[m.start..m.end].to_string(), m.line))
            .collect()
    }

    /// Every built-in rule's own examples are found and its negative examples
    /// are not (the noseyparker way of keeping rules honest).
    #[test]
    fn builtin_rule_examples() {
        let mut all = RuleSet::builtin();
        let off: Vec<String> = all.all().iter().filter(|r| !r.enabled).map(|r| r.id.clone()).collect();
        off.iter().for_each(|id| all.set_enabled(id, true).unwrap());
        let scanner = Scanner::new(&all).unwrap();
        let mut scratch = Scratch::default();
        // Every failure at once: a new rules file is fixed in one pass.
        let mut failures = Vec::new();
        for (ri, rule) in (0..scanner.rule_count()).map(|i| (i, scanner.rule(i))) {
            for example in &rule.examples {
                let hits = scanner.scan(example.as_bytes(), &mut scratch);
                if !hits.iter().any(|m| m.rule == ri) {
                    failures.push(format!("{}: example not found: {example}", rule.id));
                }
            }
            for example in &rule.negative_examples {
                let hits = scanner.scan(example.as_bytes(), &mut scratch);
                if hits.iter().any(|m| m.rule == ri) {
                    failures.push(format!("{}: negative example found: {example}", rule.id));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn lines_columns_and_pairing() {
        let text = "[default]\r\naws_access_key_id = AKIA2E3MTGS5LTN4WCQV\r\naws_secret_access_key = 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\r\n";
        let scanner = Scanner::new(&RuleSet::builtin()).unwrap();
        let mut scratch = Scratch::default();
        let found = scanner.scan(text.as_bytes(), &mut scratch).to_vec();
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].line, found[0].column), (2, 21));
        assert_eq!((found[1].line, found[1].column), (3, 25));
        assert_eq!(found[1].paired_with, Some(0));
    }

    #[test]
    fn csv_secret_is_confirmed_by_the_key_id_beside_it() {
        let csv = "User name,Password,Access key ID,Secret access key,Console login link\nci,,AKIA2E3MTGS5LTN4WCQV,9dKq2Lm7Vt+Wx4Yz8Rp1Nb6Hc3Jf5Gs0Ta/EuIoA,https://example.signin.aws.amazon.com/console\n";
        let ids: Vec<_> = scan_ids(csv).into_iter().map(|(id, _, line)| (id, line)).collect();
        assert_eq!(ids, [("aws-access-key-id".to_string(), 2), ("aws-secret-access-key".to_string(), 2)]);
    }

    #[test]
    fn non_utf8_and_binary_bytes_do_not_break_the_scan() {
        let mut blob = vec![0xff, 0xfe, 0x00, b'\n'];
        blob.extend_from_slice(b"key=AKIA2E3MTGS5LTN4WCQV\xc3\x28\n");
        let scanner = Scanner::new(&RuleSet::builtin()).unwrap();
        let mut scratch = Scratch::default();
        let found = scanner.scan(&blob, &mut scratch);
        assert_eq!(found.len(), 1);
        assert_eq!(&blob[found[0].start..found[0].end], b"AKIA2E3MTGS5LTN4WCQV");
        assert_eq!(found[0].line, 2);
    }

    #[test]
    fn windows_span_following_lines_only_for_patterns_that_name_a_line_break() {
        assert!(!lines::names_a_line_break(r"(?i:secret)[^\r\n]{0,60}?x"));
        assert!(!lines::names_a_line_break(r"[[:alpha:]\n]+\\"));
        assert!(lines::names_a_line_break(r"secret[^\r\n]*\r?\n[ \t]*value"));
        assert!(lines::names_a_line_break(r"\\\n"), "an escaped backslash, then a line break");
        assert!(!lines::names_a_line_break(r"\\n"), "an escaped backslash, then n");
        let text = b"a\nbb\nccc\ndddd";
        assert_eq!(line_end(text, 0, 0), 1);
        assert_eq!(line_end(text, 0, 2), 8);
        assert_eq!(line_end(text, 3, 1), 8);
        assert_eq!(line_end(text, 0, 9), text.len());
    }

    /// A key name and its value on different lines: the value is found by its
    /// name even with no key id within pairing distance.
    #[test]
    fn a_value_on_the_line_after_its_name_is_found() {
        let text = "{\n  \"key\": \"secretKey\",\n  \"value\": \"9dKq2Lm7Vt+Wx4Yz8Rp1Nb6Hc3Jf5Gs0Ta/EuIoA\"\n}\n";
        let ids: Vec<_> = scan_ids(text).into_iter().map(|(id, _, line)| (id, line)).collect();
        assert_eq!(ids, [("aws-secret-access-key".to_string(), 3)]);
    }

    /// The window starts a few bytes before the keyword so a pattern can see
    /// an escape there; a user pattern whose first match ends before the
    /// keyword still gets the keyword's own match.
    #[test]
    fn lookbehind_does_not_hide_the_keywords_own_match() {
        let mut set = RuleSet::builtin();
        let toml = "[[rules]]\nid = \"mine\"\nname = \"m\"\nkeywords = [\"corp-\"]\npattern = 'x|corp-[0-9]{6}'\n";
        set.extend(RuleSet::parse(toml, "t").unwrap()).unwrap();
        let scanner = Scanner::new(&set).unwrap();
        let mut scratch = Scratch::default();
        let text = b"x corp-123456";
        let found = scanner.scan(text, &mut scratch);
        assert!(found.iter().any(|m| &text[m.start..m.end] == b"corp-123456"), "{found:?}");
        let json = br#"{"msg":"creds:\nAKIA2E3MTGS5LTN4WCQV"}"#;
        let found = scanner.scan(json, &mut scratch);
        assert_eq!(found.len(), 1);
        assert_eq!(&json[found[0].start..found[0].end], b"AKIA2E3MTGS5LTN4WCQV");
    }

    /// Hits a few bytes apart on one long line share their window search
    /// (`Searched`); every value on the line is still found, each once.
    #[test]
    fn keyword_dense_lines_share_window_searches_and_keep_every_value() {
        let secrets = ["9dKq2Lm7Vt+Wx4Yz8Rp1Nb6Hc3Jf5Gs0Ta/EuIoA", "Zr4/Ny8Tq2Wv6Xk0Bm3Pc7Hd1Lf5Gs9Ja+EuQiOp"];
        let mut text = String::new();
        for (i, secret) in secrets.iter().cycle().take(6).enumerate() {
            text.push_str(&"secret ".repeat(300 * (i + 1)));
            text.push_str(&format!("secret_key = {secret} secret secret_key: {secret} "));
        }
        text.push('\n');
        let found: Vec<_> = scan_ids(&text).into_iter().map(|(_, value, _)| value).collect();
        let expected: Vec<_> = secrets.iter().cycle().take(6).flat_map(|s| [s.to_string(), s.to_string()]).collect();
        assert_eq!(found, expected);
        assert_eq!(line_end(text.as_bytes(), 0, 0), MAX_WINDOW);
        assert_eq!(line_end(text.as_bytes(), 1, 0), MAX_WINDOW + WINDOW_STEP);
        assert_eq!(line_end(text.as_bytes(), WINDOW_STEP, 0), MAX_WINDOW + WINDOW_STEP);
    }

    #[test]
    fn a_bad_user_pattern_is_named() {
        let mut set = RuleSet::builtin();
        set.extend(RuleSet::parse("[[rules]]\nid = \"mine\"\nname = \"m\"\npattern = \"(unclosed\"\n", "t").unwrap())
            .unwrap();
        let err = Scanner::new(&set).err().unwrap().to_string();
        assert!(err.contains("mine") && err.contains("(unclosed"), "{err}");
    }

    #[test]
    fn keywordless_rules_scan_everything() {
        let mut set = RuleSet::builtin();
        set.extend(
            RuleSet::parse("[[rules]]\nid = \"internal\"\nname = \"i\"\npattern = 'corp-[0-9]{6}'\n", "t").unwrap(),
        )
        .unwrap();
        let scanner = Scanner::new(&set).unwrap();
        let mut scratch = Scratch::default();
        assert_eq!(scanner.scan(b"a corp-123456 b corp-654321", &mut scratch).len(), 2);
    }
}

#[cfg(test)]
mod proptests;
