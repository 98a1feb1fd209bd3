//! Property tests for the engine (proptest, fixed seed, so every run checks
//! the same cases): no input makes it panic, every match it reports is
//! well-formed, and a valid key id planted anywhere is found where it is.

use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::RngSeed;

use super::{Match, Scanner, Scratch};
use crate::blob::Origin;
use crate::finding;
use crate::pipeline::Pipeline;
use crate::rules::git_secrets::{GitSecretsConfig, Mode};
use crate::rules::RuleSet;

/// Every rule on, the off-by-default ones too: more code paths per input.
fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| Scanner::new(&all_builtin_rules()).unwrap())
}

fn all_builtin_rules() -> RuleSet {
    let mut rules = RuleSet::builtin();
    let ids: Vec<String> = rules.all().iter().map(|r| r.id.clone()).collect();
    for id in ids {
        rules.set_enabled(&id, true).unwrap();
    }
    rules
}

/// The built-in rules plus user rules of the shapes that stress line
/// handling: keyword-less, matches that start on a line break or span
/// lines, and git-secrets patterns (one with a newline in it, as a git
/// config value can hold).
fn user_scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| {
        let mut rules = all_builtin_rules();
        let toml = r#"
[[rules]]
id = "starts-on-a-line-break"
name = "n"
pattern = '\r?\n[a-z]{2,}'

[[rules]]
id = "spans-lines"
name = "s"
keywords = ["key"]
pattern = 'key\s+(?P<secret>[A-Z0-9]{4,})'

[[rules]]
id = "empty-or-more"
name = "e"
pattern = '(?m)x*$'
"#;
        rules.extend(RuleSet::parse(toml, "proptests").unwrap()).unwrap();
        let git_secrets = GitSecretsConfig {
            patterns: vec!["forbidden|me".into(), "\nfoo".into(), "a[^b]c".into(), "\n".into()],
            ..GitSecretsConfig::default()
        };
        rules.extend(git_secrets.rules(Mode::GitSecrets).unwrap()).unwrap();
        Scanner::new(&rules).unwrap()
    })
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x6b65_7966_656e_6365),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Pieces of AWS credential files, mixed with line breaks and the bytes
/// that trip up byte/UTF-8 handling.
fn awsish_bytes() -> impl Strategy<Value = Vec<u8>> {
    let base32 = "[A-Z2-7]{16}";
    let base64 = "[A-Za-z0-9/+]{40}";
    let fragment = prop_oneof![
        4 => any::<u8>().prop_map(|b| vec![b]),
        2 => prop::sample::select(vec![
            &b"AKIA"[..], b"ASIA", b"ABIA", b"ACCA", b"AIDA", b"ABSK", b"secret=", b"SECRET", b"Secret",
            b"aws_secret_access_key = ", b"aws_access_key_id=", b"session_token=", b"SecurityToken: ",
            b"bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t", b"\n", b"\r\n", b"\r", b"\0", b"\xff", b"\xfe",
            b"\xff\xfe", b"\xc3\x28", b"\"", b"'", b" ", b"=", b",", b"EXAMPLE", b"keyfence:allow", b"/", b"+", b"key ",
            b"foo", b"forbidden", b"me", b"abc", b"x", b"\t",
        ])
        .prop_map(<[u8]>::to_vec),
        1 => base32.prop_map(|s| format!("AKIA{s}").into_bytes()),
        1 => base64.prop_map(String::into_bytes),
        1 => "[A-Za-z0-9/+]{100,140}".prop_map(String::into_bytes),
    ];
    prop::collection::vec(fragment, 0..48).prop_map(|parts| parts.concat())
}

/// Written out again here, not `lines::is_break`: `\n`, or a `\r` not
/// followed by `\n`, ends a line.
fn ends_line(haystack: &[u8], i: usize) -> bool {
    haystack[i] == b'\n' || (haystack[i] == b'\r' && haystack.get(i + 1) != Some(&b'\n'))
}

/// What must hold of any scan result.
fn check_matches(scanner: &Scanner, haystack: &[u8], matches: &[Match]) -> Result<(), TestCaseError> {
    let mut previous = 0;
    for m in matches {
        prop_assert!(m.rule < scanner.rule_count());
        prop_assert!(m.start < m.end && m.end <= haystack.len(), "{m:?} in {} bytes", haystack.len());
        prop_assert!(m.start >= previous, "sorted by position");
        previous = m.start;
        let breaks: Vec<usize> = (0..m.start).filter(|&i| ends_line(haystack, i)).collect();
        let line_start = breaks.last().map_or(0, |i| i + 1);
        let newlines = breaks.len();
        prop_assert_eq!(m.line as usize, newlines + 1);
        prop_assert_eq!(m.column as usize, m.start - line_start + 1);
        if let Some(j) = m.paired_with {
            prop_assert!(j < matches.len());
        }
    }
    Ok(())
}

/// Scan, check the matches, turn them into findings, and run the whole
/// pipeline (UTF-16 detection, binary probe) both ways.
fn scan_everything(scanner: &Scanner, haystack: &[u8]) -> Result<(), TestCaseError> {
    let mut scratch = Scratch::default();
    let matches = scanner.scan(haystack, &mut scratch).to_vec();
    check_matches(scanner, haystack, &matches)?;
    let findings = finding::from_matches(scanner, haystack, &matches, &Origin::default());
    prop_assert!(findings.len() <= matches.len());
    for f in &findings {
        prop_assert!(!f.secret.is_empty());
        prop_assert!(f.line_text.len() <= 512);
        let _ = f.shown_secret(false);
    }
    // The same scratch, reused, gives the same answer as a fresh one.
    let again = scanner.scan(haystack, &mut scratch).to_vec();
    prop_assert_eq!(&again, &matches);
    for binary in [false, true] {
        let pipeline = Pipeline::new(scanner).with_binary(binary);
        pipeline.scan_and_record(haystack, &Origin::default());
        let outcome = pipeline.finish();
        prop_assert!(outcome.errors.is_empty());
    }
    Ok(())
}

/// Shannon entropy in bits per byte, computed here independently of the engine.
fn entropy(bytes: &[u8]) -> f64 {
    let mut counts = [0usize; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts.iter().filter(|&&c| c > 0).map(|&c| c as f64 / n).map(|p| -p * p.log2()).sum()
}

/// Six characters in a row, each one more than the last (ABCDEF, 234567).
fn has_ascending_run(bytes: &[u8]) -> bool {
    bytes.windows(6).any(|w| w.windows(2).all(|pair| pair[1] == pair[0] + 1))
}

/// A key id the built-in rule must accept: a credential prefix, 16 base32
/// characters, entropy at least 2.5, no run of 6 ascending characters, and
/// not a documentation example.
fn valid_key_id() -> impl Strategy<Value = String> {
    (prop::sample::select(vec!["AKIA", "ASIA", "ABIA", "ACCA"]), "[A-Z2-7]{16}")
        .prop_map(|(prefix, suffix)| format!("{prefix}{suffix}"))
        .prop_filter("a real-looking key id", |id| {
            entropy(id.as_bytes()) >= 2.5 && !has_ascending_run(id.as_bytes()) && !id.ends_with("EXAMPLE")
        })
}

fn non_word_byte() -> impl Strategy<Value = u8> {
    any::<u8>().prop_filter("not [0-9A-Za-z_]", |b| !(b.is_ascii_alphanumeric() || *b == b'_'))
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn never_panics_on_arbitrary_bytes(haystack in prop::collection::vec(any::<u8>(), 0..4096)) {
        scan_everything(scanner(), &haystack)?;
    }

    #[test]
    fn never_panics_on_aws_like_bytes(haystack in awsish_bytes()) {
        scan_everything(scanner(), &haystack)?;
    }

    #[test]
    fn never_panics_with_user_rules(haystack in awsish_bytes()) {
        scan_everything(user_scanner(), &haystack)?;
    }
}

proptest! {
    #![proptest_config(config(384))]

    #[test]
    fn a_planted_key_id_is_found_where_it_is(
        before in prop_oneof![prop::collection::vec(any::<u8>(), 0..2048), awsish_bytes()],
        left in prop::option::of(non_word_byte()),
        key in valid_key_id(),
        right in prop::option::of(non_word_byte()),
        after in prop_oneof![prop::collection::vec(any::<u8>(), 0..2048), awsish_bytes()],
    ) {
        // Word-bounded: a non-word byte on each side, or the blob's edge.
        let before = if left.is_none() { Vec::new() } else { before };
        let after = if right.is_none() { Vec::new() } else { after };
        let mut haystack = before;
        haystack.extend(left);
        let at = haystack.len();
        haystack.extend_from_slice(key.as_bytes());
        haystack.extend(right);
        haystack.extend_from_slice(&after);

        let scanner = scanner();
        let mut scratch = Scratch::default();
        let matches = scanner.scan(&haystack, &mut scratch);
        let line = 1 + (0..at).filter(|&i| ends_line(&haystack, i)).count();
        let found = matches
            .iter()
            .find(|m| scanner.rule(m.rule).id == "aws-access-key-id" && m.start == at);
        prop_assert!(found.is_some(), "{key} at {at} not found; matches: {matches:?}");
        let found = found.unwrap();
        prop_assert_eq!(found.end, at + key.len());
        prop_assert_eq!(found.line as usize, line);
    }
}

#[test]
fn the_key_id_generator_agrees_with_the_rule() {
    // The generator's filters are the rule's documented checks; spot-check
    // them against the negative examples the rule ships with.
    assert!(has_ascending_run(b"AKIAABCDEFGHIJKLMNOP"));
    assert!(entropy(b"AKIAXXXXXXXXXXXXXXXX") < 2.5);
    assert!(!has_ascending_run(b"AKIA2E3MTGS5LTN4WCQV") && entropy(b"AKIA2E3MTGS5LTN4WCQV") >= 2.5);
}
