//! Matches become findings here: a match plus its origin, line text,
//! pairing, the account its provider decodes, fingerprint, after inline-allow
//! comments are honoured. Also the added-line filter the pipeline applies. No I/O,
//! and nothing provider-specific: that is asked of `providers`.

use std::collections::HashSet;

use serde::Serialize;

use crate::blob::Origin;
use crate::providers;
use crate::rules::{Kind, Severity};
use crate::scan::{lines, Match, Scanner};

/// Comments that mark a line as reviewed: keyfence's own, and the ones that
/// gitleaks and detect-secrets users already have in their code.
const INLINE_ALLOW: [&[u8]; 3] = [b"keyfence:allow", b"gitleaks:allow", b"pragma: allowlist secret"];

/// Longest line text kept on a finding; minified files have megabyte lines.
/// A longer line is cut to a window around the value.
const MAX_LINE_TEXT: usize = 512;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    pub rule: String,
    pub rule_name: String,
    pub severity: Severity,
    #[serde(skip)]
    pub kind: Kind,
    /// The rule's provider id (`providers::get`), if it names one.
    #[serde(skip)]
    pub provider: Option<String>,
    /// The provider of the key id this finding names (its own value for a
    /// key id, else `paired_key_id`): it decoded `account_id`, and its
    /// response steps apply.
    #[serde(skip)]
    pub key_provider: Option<String>,
    #[serde(skip)]
    pub origin: Origin,
    pub line: u32,
    pub column: u32,
    /// The full matched value. Reports decide whether to redact it.
    #[serde(skip)]
    pub secret: String,
    /// The text of the matched line (a window of it when the line is
    /// long), for git-secrets-style output and allowed patterns.
    #[serde(skip)]
    pub line_text: Vec<u8>,
    /// Where the value sits in `line_text`.
    #[serde(skip)]
    pub value_in_text: std::ops::Range<usize>,
    /// Every secret value in `line_text` (clipped to it) with its redacted
    /// form: this finding's and any other match's on the line, including
    /// one a window cuts in half and one a baseline or allowlist drops
    /// later. A report printing the line redacts them all by position.
    #[serde(skip)]
    pub redactions: Vec<(std::ops::Range<usize>, String)>,
    /// 1-based column in Unicode code points (SARIF's unit); `column` counts bytes.
    #[serde(skip)]
    pub column_chars: u32,
    pub paired_key_id: Option<String>,
    /// The account the key id (this one, or the paired one) belongs to, as
    /// its provider decodes it offline.
    pub account_id: Option<String>,
    /// sha256 of (rule, value): independent of commit, path and line, so a
    /// baseline survives rebases, squashes and moved code.
    pub fingerprint: String,
    /// History only: how many later versions of this path (other blobs at
    /// the same path) hold the same secret; they are not reported apart.
    #[serde(skip)]
    pub later_versions: u32,
    /// History only, with `later_versions`: the commit that introduced the
    /// newest version of this path that still has the secret.
    #[serde(skip)]
    pub last_version_commit: Option<String>,
    /// History only: a ref that reaches the commit when no branch or tag
    /// does (`refs/pull/497/head`).
    #[serde(skip)]
    pub only_from: Option<String>,
    /// The repository as the user named it, when one run scanned several
    /// (`scan --history A B`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// How the value was written where it was found, when it had to be
    /// decoded to be found: `base64` (the location is the encoded run's) or
    /// `concatenation` (split string literals; the location is in the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
}

impl Finding {
    /// The value as reports may show it: key ids whole (they are not
    /// secret and are what the user must look up), everything else cut to
    /// its first four characters unless `show` is set.
    pub fn shown_secret(&self, show: bool) -> String {
        if show || self.kind == Kind::KeyId || self.kind == Kind::Identifier {
            return self.secret.clone();
        }
        redact(&self.secret)
    }

    pub fn is_key_id(&self) -> bool {
        self.kind == Kind::KeyId
    }

    /// `[commit:]path:line:`, the prefix git-secrets prints before a line
    /// (and that its allowed patterns may match).
    pub fn location_prefix(&self) -> Vec<u8> {
        let mut prefix = Vec::new();
        if let Some(commit) = &self.origin.commit {
            prefix.extend_from_slice(commit.as_bytes());
            prefix.push(b':');
        }
        prefix.extend_from_slice(&self.origin.path);
        prefix.extend_from_slice(format!(":{}:", self.line).as_bytes());
        prefix
    }
}

/// The first four characters and an ellipsis. A short value (a user rule
/// can match a PIN or a 4-letter token) keeps at most a quarter of its
/// characters: four characters of a 4-character value would be all of it.
pub fn redact(value: &str) -> String {
    let keep: String = value.chars().take((value.chars().count() / 4).min(4)).collect();
    format!("{keep}…")
}

pub fn fingerprint(rule: &str, value: &str) -> String {
    crate::rules::content_id(rule, value)
}

/// What `rule`'s provider decodes from the key id `key_id`, if anything.
fn account_of(rule: &crate::rules::Rule, key_id: &str) -> Option<String> {
    providers::of(rule).and_then(|p| p.account).and_then(|decode| decode(key_id))
}

/// What a finding's line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineModel {
    /// keyfence's: LF, CRLF and a lone CR end a line (`scan::lines`), a
    /// line with an inline-allow marker is dropped, and a long line is cut
    /// to a window around the value.
    #[default]
    Keyfence,
    /// `git grep`'s, for git-secrets mode, whose output scripts parse: only
    /// LF ends a line, the line is kept whole with any CR in it, and no
    /// marker is honoured (git-secrets honours none).
    GitGrep,
}

/// Turn one blob's matches into findings, dropping inline-allowed lines.
pub fn from_matches(scanner: &Scanner, haystack: &[u8], matches: &[Match], origin: &Origin) -> Vec<Finding> {
    from_matches_with(scanner, haystack, matches, origin, LineModel::Keyfence)
}

/// [`from_matches`], with lines as `model` has them.
pub fn from_matches_with(
    scanner: &Scanner,
    haystack: &[u8],
    matches: &[Match],
    origin: &Origin,
    model: LineModel,
) -> Vec<Finding> {
    // Matches are sorted by start; with the longest one's length, the few
    // that can overlap a window are found without a pass over all of them
    // (a dump of thousands of keys would otherwise cost a quadratic pass).
    let longest = matches.iter().map(|m| m.end - m.start).max().unwrap_or(0);
    let overlapping = |window: &std::ops::Range<usize>| {
        let from = matches.partition_point(|k| k.start + longest < window.start);
        let to = matches.partition_point(|k| k.start < window.end);
        &matches[from..to.max(from)]
    };
    // git grep's line numbers count LF only; matches are sorted by start,
    // so the count goes forward once over the blob.
    let (mut grep_line, mut counted_to) = (1u32, 0usize);
    matches
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let (line_start, line) = match model {
                LineModel::Keyfence => lines::line_at(haystack, m.start),
                LineModel::GitGrep => grep_line_at(haystack, m.start),
            };
            let (line_number, column) = match model {
                LineModel::Keyfence => (m.line, m.column),
                LineModel::GitGrep => {
                    grep_line += memchr::memchr_iter(b'\n', &haystack[counted_to..m.start]).count() as u32;
                    counted_to = m.start;
                    (grep_line, (m.start - line_start + 1) as u32)
                }
            };
            if model == LineModel::Keyfence
                && INLINE_ALLOW.iter().any(|marker| memchr::memmem::find(line, marker).is_some())
            {
                return None;
            }
            // A user pattern may match from a line break (`\nfoo`): the match
            // belongs to the line that break ends, which `line` holds
            // without its terminator, so the offset is clamped to its end.
            let start_in_line = (m.start - line_start).min(line.len());
            let end_in_line = (m.end - line_start).max(start_in_line);
            let (excerpt, text_offset, value_in_text) = match model {
                LineModel::Keyfence => excerpt(line, start_in_line..end_in_line),
                LineModel::GitGrep => (line, 0, start_in_line..end_in_line),
            };
            let window = line_start + text_offset..line_start + text_offset + excerpt.len();
            let secrets: Vec<&Match> = overlapping(&window)
                .iter()
                .filter(|k| !matches!(scanner.rule(k.rule).kind, Kind::KeyId | Kind::Identifier))
                .collect();
            let mut redactions: Vec<_> = secrets
                .iter()
                .filter_map(|k| {
                    let start = k.start.clamp(window.start, window.end) - window.start;
                    let end = k.end.clamp(window.start, window.end) - window.start;
                    (start < end).then(|| (start..end, redact(&value_text(&haystack[k.start..k.end]))))
                })
                .collect();
            // Every other copy of those values in the text too: a rule takes
            // the first value after its keyword, so a second copy on the
            // line (`key = V  # was V`) is no match of its own.
            for k in &secrets {
                let value = &haystack[k.start..k.end];
                let shown = redact(&value_text(value));
                redactions
                    .extend(memchr::memmem::find_iter(excerpt, value).map(|at| (at..at + value.len(), shown.clone())));
            }
            let rule = scanner.rule(m.rule);
            let secret = value_text(&haystack[m.start..m.end]);
            // Reports print the partner whole (it names the key to rotate),
            // so only a partner that is not secret is recorded: a project
            // rule may pair with a token, whose value must stay redacted.
            let partner =
                m.paired_with.filter(|&j| matches!(scanner.rule(matches[j].rule).kind, Kind::KeyId | Kind::Identifier));
            let paired_key_id =
                partner.map(|j| String::from_utf8_lossy(&haystack[matches[j].start..matches[j].end]).into_owned());
            let (key_rule, key_id) = match (rule.kind, partner, &paired_key_id) {
                (Kind::KeyId, _, _) => (Some(rule), Some(secret.as_str())),
                (_, Some(j), Some(key_id)) => (Some(scanner.rule(matches[j].rule)), Some(key_id.as_str())),
                _ => (None, None),
            };
            let account_id = key_rule.zip(key_id).and_then(|(key_rule, key_id)| account_of(key_rule, key_id));
            let key_provider = key_rule.and_then(|r| r.provider.clone());
            Some(Finding {
                fingerprint: fingerprint(&rule.id, &secret),
                rule: rule.id.clone(),
                rule_name: rule.name.clone(),
                severity: severity(scanner, matches, i),
                kind: rule.kind,
                provider: rule.provider.clone(),
                key_provider,
                origin: origin.clone(),
                line: line_number,
                column,
                column_chars: char_count(&line[..start_in_line]) + 1,
                secret,
                line_text: excerpt.to_vec(),
                value_in_text,
                redactions,
                paired_key_id,
                account_id,
                later_versions: 0,
                last_version_commit: None,
                only_from: None,
                repository: None,
                encoding: None,
            })
        })
        .collect()
}

/// A matched value as a finding holds it: JSON's `\/` undone (`rules::unescaped`).
fn value_text(value: &[u8]) -> String {
    String::from_utf8_lossy(&crate::rules::unescaped(value)).into_owned()
}

/// A key id or a session token cannot sign a request alone: its rule's
/// severity (medium). With its secret beside it, a secret paired with the key
/// id or any secret of its provider in the same blob as the token, it is a
/// live credential: high.
fn severity(scanner: &Scanner, matches: &[Match], i: usize) -> Severity {
    let rule = scanner.rule(matches[i].rule);
    let with_secret = match rule.kind {
        // A session token paired with the id does not sign without the secret.
        Kind::KeyId => matches.iter().any(|o| o.paired_with == Some(i) && scanner.rule(o.rule).kind == Kind::Secret),
        Kind::Token => matches.iter().any(|o| {
            let other = scanner.rule(o.rule);
            other.kind == Kind::Secret && other.provider == rule.provider
        }),
        _ => false,
    };
    if with_secret {
        rule.severity.max(Severity::High)
    } else {
        rule.severity
    }
}

/// Where the LF-ended line holding byte `at` starts, and all of it but the
/// LF, as `git grep` prints it.
fn grep_line_at(haystack: &[u8], at: usize) -> (usize, &[u8]) {
    let start = memchr::memrchr(b'\n', &haystack[..at]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &haystack[at..]).map_or(haystack.len(), |i| at + i);
    (start, &haystack[start..end.max(start)])
}

/// The line, or a window of at most `MAX_LINE_TEXT` bytes around `value`
/// when the line is longer; where that starts in the line; and where the
/// value sits in what is returned.
fn excerpt(line: &[u8], value: std::ops::Range<usize>) -> (&[u8], usize, std::ops::Range<usize>) {
    if line.len() <= MAX_LINE_TEXT {
        return (line, 0, value);
    }
    let margin = MAX_LINE_TEXT.saturating_sub(value.len()) / 2;
    let from = value.start.saturating_sub(margin);
    let to = line.len().min(value.end + margin).max(from);
    (&line[from..to], from, value.start - from..value.end - from)
}

/// Unicode code points in `bytes` (invalid UTF-8 bytes count one each).
fn char_count(bytes: &[u8]) -> u32 {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count() as u32
}

/// The lines (1-based) of `new` whose text does not occur anywhere in
/// `old`: what a change adds, by content rather than by diff position, so a
/// line that merely moved is not reported again. Lines end where findings'
/// lines do (`scan::lines`: a lone `\r` too).
pub fn added_lines(old: &[u8], new: &[u8]) -> HashSet<u32> {
    let old_lines: HashSet<&[u8]> = lines::split(old).collect();
    lines::split(new).enumerate().filter(|(_, line)| !old_lines.contains(line)).map(|(i, _)| i as u32 + 1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;
    use crate::scan::Scratch;

    fn findings(text: &str) -> Vec<Finding> {
        let scanner = Scanner::new(&RuleSet::builtin()).unwrap();
        let mut scratch = Scratch::default();
        let matches = scanner.scan(text.as_bytes(), &mut scratch).to_vec();
        from_matches(&scanner, text.as_bytes(), &matches, &Origin::default())
    }

    #[test]
    fn inline_allow_markers_suppress_their_line_only() {
        for marker in ["# keyfence:allow", "// gitleaks:allow", "# pragma: allowlist secret"] {
            let text = format!("a = AKIA2E3MTGS5LTN4WCQV {marker}\nb = AKIAQW6YJ5RTNMZ2KX4E\n");
            let found = findings(&text);
            assert_eq!(found.len(), 1, "{marker}");
            assert_eq!(found[0].line, 2);
        }
    }

    #[test]
    fn fingerprints_ignore_place_and_redaction_keeps_four() {
        let a = findings("x\n\nsecret_key = '9dKq2Lm7Vt+Wx4Yz8Rp1Nb6Hc3Jf5Gs0Ta/EuIoA'\n");
        let b = findings("secret_key: 9dKq2Lm7Vt+Wx4Yz8Rp1Nb6Hc3Jf5Gs0Ta/EuIoA");
        assert_eq!(a[0].fingerprint, b[0].fingerprint);
        assert_ne!(a[0].line, b[0].line);
        assert_eq!(a[0].shown_secret(false), "9dKq…");
        assert_eq!(a[0].shown_secret(true), "9dKq2Lm7Vt+Wx4Yz8Rp1Nb6Hc3Jf5Gs0Ta/EuIoA");
        // A short value keeps a quarter: four characters would be all of it.
        assert_eq!(redact("qz7w"), "q…");
        assert_eq!(redact("k3v8m2x9"), "k3…");
        assert_eq!(redact("abc"), "…");
    }

    #[test]
    fn key_ids_carry_their_account_and_secrets_their_pair() {
        let found = findings("id: ASIAY34FZKBOKMUTVV7A\nsecret: 9dKq2Lm7Vt+Wx4Yz8Rp1Nb6Hc3Jf5Gs0Ta/EuIoA\n");
        assert_eq!(found[0].account_id.as_deref(), Some("609629065308"));
        assert_eq!(found[0].shown_secret(false), "ASIAY34FZKBOKMUTVV7A");
        assert_eq!(found[1].paired_key_id.as_deref(), Some("ASIAY34FZKBOKMUTVV7A"));
        assert_eq!(found[1].account_id.as_deref(), Some("609629065308"));
    }

    #[test]
    fn a_match_starting_on_a_crlf_line_break_does_not_panic() {
        let mut rules = RuleSet::builtin();
        let rule = "[[rules]]\nid = \"nl\"\nname = \"nl\"\npattern = '\\nfoo[0-9]+'\n";
        rules.extend(RuleSet::parse(rule, "t").unwrap()).unwrap();
        let scanner = Scanner::new(&rules).unwrap();
        let mut scratch = Scratch::default();
        for (text, long) in [("x\r\nfoo123\r\n".to_string(), false), (format!("{}\r\nfoo123", "y".repeat(600)), true)] {
            let matches = scanner.scan(text.as_bytes(), &mut scratch).to_vec();
            let found = from_matches(&scanner, text.as_bytes(), &matches, &Origin::default());
            assert_eq!(found.len(), 1, "{text:?}");
            assert_eq!((found[0].line, found[0].secret.as_str()), (1, "\nfoo123"));
            assert!(found[0].value_in_text.start <= found[0].line_text.len(), "long line: {long}");
        }
    }

    #[test]
    fn added_lines_are_by_content() {
        let old = b"a\r\nb\nc\n";
        let new = b"b\nNEW\na\nc\n";
        assert_eq!(added_lines(old, new), HashSet::from([2]));
    }
}
