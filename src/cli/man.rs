//! `keyfence man [SUBCOMMAND]`: clap's page, plus the sections a man page
//! is expected to have that clap does not write (EXIT STATUS, ENVIRONMENT,
//! FILES), before VERSION.

use anyhow::Result;
use clap::CommandFactory;

use super::Cli;

const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Clean: nothing found (or only findings below \fB\-\-fail\-on\fR, or \fB\-\-exit\-zero\fR).
.TP
\fB1\fR
Findings.
.TP
\fB2\fR
An error: a bad flag or ref, a repository, object, file, \fI.keyfence.toml\fR or baseline that cannot be read. It wins over both others; findings already found are still reported.
"#;

const ENVIRONMENT: &str = r#".SH ENVIRONMENT
.TP
\fBCI\fR
Set (to any value): human output redacts secrets even on a terminal, as every other format always does.
.TP
\fBNO_COLOR\fR
Set and not empty: no colour with \fB\-\-color auto\fR.
.TP
\fBGIT_DIR\fR, \fBGIT_WORK_TREE\fR, \fBGIT_INDEX_FILE\fR
The repository, as git reads them (hooks run with them set).
.TP
\fBHOME\fR, \fBXDG_CONFIG_HOME\fR
Where the user's git config (git-secrets patterns) and \fBinstall \-\-global\fR's hooks directory are.
"#;

const FILES: &str = r#".SH FILES
.TP
\fI.keyfence.toml\fR
At the root of the work tree: rules, allowlist and defaults (\fB\-\-no\-config\fR ignores it). With \fB\-\-range\fR it is read from the range's base commit.
.TP
\fI.keyfence\-baseline.json\fR
The conventional baseline (\fBkeyfence baseline\fR, \fBscan \-\-baseline\fR).
.TP
\fI.gitallowed\fR
git-secrets' allowed patterns, read where git-secrets is set up (a \fBsecrets.*\fR key in git config).
.TP
\fI.git/hooks/pre\-commit\fR, \fIcommit\-msg\fR, \fIprepare\-commit\-msg\fR
What \fBkeyfence install\fR writes (in \fBcore.hooksPath\fR when set); a hook it replaced is kept as \fI<hook>.local\fR.
.TP
\fI~/.config/git/hooks/\fR
\fBinstall \-\-global\fR's hooks, when no global \fBcore.hooksPath\fR is set.
"#;

/// The roff page of keyfence, or of one subcommand.
pub fn page(subcommand: Option<&str>) -> Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command(subcommand)?).render(&mut page)?;
    let page = String::from_utf8(page)?;
    let extra = format!("{EXIT_STATUS}{ENVIRONMENT}{FILES}");
    Ok(match page.find("\n.SH VERSION") {
        Some(at) => format!("{}\n{extra}{}", &page[..at], &page[at + 1..]),
        None => format!("{page}{extra}"),
    }
    .into_bytes())
}

/// The command a man page describes: keyfence itself, or one subcommand.
fn command(subcommand: Option<&str>) -> Result<clap::Command> {
    let mut keyfence = Cli::command();
    // Building names each subcommand `keyfence-<name>` (the page keyfence(1)'s
    // SUBCOMMANDS section points to) and its usage `keyfence <name>`.
    keyfence.build();
    let Some(name) = subcommand else { return Ok(keyfence) };
    let sub = keyfence.find_subcommand(name).cloned().ok_or_else(|| {
        let names: Vec<_> = keyfence.get_subcommands().map(|c| c.get_name().to_string()).collect();
        anyhow::anyhow!("no subcommand '{name}' (one of: {})", names.join(", "))
    })?;
    Ok(sub.version(env!("CARGO_PKG_VERSION")))
}
