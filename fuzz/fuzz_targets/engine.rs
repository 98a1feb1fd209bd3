//! The engine on arbitrary bytes: scan, turn matches into findings, run the
//! pipeline (UTF-16 detection, binary probe) and render every report format.
//! The first byte picks the rule set: the built-in rules (all on), or those
//! plus user rules that match across or from line breaks and git-secrets
//! patterns.

#![no_main]

use std::sync::OnceLock;

use keyfence::finding;
use keyfence::pipeline::Pipeline;
use keyfence::report::{self, Format, ReportOptions};
use keyfence::rules::git_secrets::{GitSecretsConfig, Mode};
use keyfence::rules::RuleSet;
use keyfence::scan::{Scanner, Scratch};
use keyfence::blob::Origin;
use libfuzzer_sys::fuzz_target;

fn builtin_all_on() -> RuleSet {
    let mut rules = RuleSet::builtin();
    let ids: Vec<String> = rules.all().iter().map(|r| r.id.clone()).collect();
    for id in ids {
        rules.set_enabled(&id, true).unwrap();
    }
    rules
}

fn scanners() -> &'static [Scanner; 2] {
    static SCANNERS: OnceLock<[Scanner; 2]> = OnceLock::new();
    SCANNERS.get_or_init(|| {
        let mut user = builtin_all_on();
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
"#;
        user.extend(RuleSet::parse(toml, "fuzz").unwrap()).unwrap();
        let git_secrets = GitSecretsConfig {
            patterns: vec!["forbidden|me".into(), "\nfoo".into(), "a[^b]c".into()],
            allowed: vec!["me".into()],
            ..GitSecretsConfig::default()
        };
        user.extend(git_secrets.rules(Mode::GitSecrets).unwrap()).unwrap();
        [Scanner::new(&builtin_all_on()).unwrap(), Scanner::new(&user).unwrap()]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, data)) = data.split_first() else { return };
    let scanner = &scanners()[usize::from(pick & 1)];
    let mut scratch = Scratch::default();
    let matches = scanner.scan(data, &mut scratch).to_vec();
    for m in &matches {
        assert!(m.start < m.end && m.end <= data.len());
        assert_eq!(m.line as usize, 1 + data[..m.start].iter().filter(|&&b| b == b'\n').count());
    }
    let origin = Origin { path: b"dir/\xffodd\nname".to_vec(), commit: None, blob_id: None };
    let findings = finding::from_matches(scanner, data, &matches, &origin);
    assert!(findings.len() <= matches.len());

    let pipeline = Pipeline::new(scanner).with_binary(pick & 2 != 0);
    pipeline.scan_and_record(data, &origin);
    let outcome = pipeline.finish();
    for format in [Format::Human, Format::Json, Format::Jsonl, Format::GitSecrets, Format::Sarif] {
        let options = ReportOptions { format, show_secrets: pick & 4 != 0, color: pick & 8 != 0, from_history: false, raw_lines: pick & 16 != 0 };
        let mut out = Vec::new();
        report::write(&outcome, &options, &mut out).unwrap();
    }
});
