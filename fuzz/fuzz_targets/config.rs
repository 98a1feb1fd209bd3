//! Configuration parsing on arbitrary text: `.keyfence.toml` (then its
//! allowlist and rules compiled, as a scan would), and git-secrets patterns
//! (the ERE translation, then the rules and allowlist built from them).

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use keyfence::config::ProjectConfig;
use keyfence::rules::ere::translate_ere;
use keyfence::rules::git_secrets::{GitSecretsConfig, Mode};
use keyfence::rules::RuleSet;
use keyfence::scan::Scanner;
use libfuzzer_sys::fuzz_target;

/// The built-in rules, all off: a scanner built from it checks only the
/// rules added to it (compiling the built-in ones every run is slow).
fn no_rules() -> RuleSet {
    static NONE: OnceLock<RuleSet> = OnceLock::new();
    NONE.get_or_init(|| {
        let mut rules = RuleSet::builtin();
        let ids: Vec<String> = rules.all().iter().map(|r| r.id.clone()).collect();
        for id in ids {
            rules.set_enabled(&id, false).unwrap();
        }
        rules
    })
    .clone()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("/repo/.keyfence.toml");
    if let Ok(config) = ProjectConfig::parse(text, path) {
        let _ = config.allowlist(path, Path::new("/repo"));
        let mut rules = no_rules();
        if !config.rules.is_empty() && rules.extend(config.rules).is_ok() {
            let _ = Scanner::new(&rules);
        }
    }
    let _ = translate_ere(text);
    // One pattern per line, as `git config --add` would store them.
    let patterns: Vec<String> = text.lines().take(4).map(str::to_string).collect();
    let git_secrets = GitSecretsConfig { patterns: patterns.clone(), allowed: patterns, ..GitSecretsConfig::default() };
    if let Ok(rules) = git_secrets.rules(Mode::GitSecrets) {
        let mut set = no_rules();
        if set.extend(rules).is_ok() {
            let _ = Scanner::new(&set);
        }
    }
    let _ = git_secrets.allowlist(Mode::Keyfence);
});
