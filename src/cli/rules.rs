//! `keyfence rules`: every rule a scan here would use, built-in ones first,
//! then the ones `.keyfence.toml` adds and the git-secrets patterns of the
//! repository's git config, with whether each is on.

use std::fmt::Write;
use std::path::Path;

use anyhow::Result;

use crate::config::{Files, ProjectConfig};
use crate::exit::Exit;
use crate::rules::git_secrets::{GitSecretsConfig, Mode};
use crate::rules::{content_id, RuleSet};

pub fn list() -> Result<Exit> {
    let repo = crate::source::git::open_if_repository(Path::new("."))?;
    let dir = repo.as_ref().and_then(|r| r.workdir()).unwrap_or(Path::new(".")).to_path_buf();
    let project = ProjectConfig::load(&Files::Disk(&dir))?;
    let mut rules = RuleSet::builtin();
    let builtin = rules.all().len();
    rules.extend(project.rules)?;
    project.options.choose_rules(&mut rules)?;
    let git_secrets = GitSecretsConfig::load(repo.as_ref())?;
    let from_git_secrets = git_secrets.rules(Mode::Keyfence)?;
    let mut out = String::new();
    for (n, rule) in rules.all().iter().enumerate() {
        if n == builtin {
            writeln!(out, "# from {}", crate::config::FILE_NAME)?;
        }
        let state = if rule.enabled { "on " } else { "off" };
        writeln!(out, "{state}  {:<24} {:<7} {}", rule.id, rule.severity.as_str(), rule.name)?;
    }
    if !from_git_secrets.is_empty() {
        writeln!(out, "# from git config secrets.patterns and secrets.providers")?;
    }
    let mut printed = 0;
    for rule in &from_git_secrets {
        // A configured pattern is the user's own text; a provider prints
        // patterns that can be real key values, never shown.
        let configured = git_secrets.patterns.iter().position(|p| rule.id[12..] == content_id("git-secrets", p)[..8]);
        let what = match configured {
            Some(n) => format!("git-secrets pattern #{} of secrets.patterns", n + 1),
            None => {
                printed += 1;
                format!("git-secrets pattern #{printed} printed by secrets.providers (not shown: it can be a key)")
            }
        };
        writeln!(out, "on   {:<24} {:<7} {what}", rule.id, rule.severity.as_str())?;
    }
    super::write_stdout(out.as_bytes())
}
