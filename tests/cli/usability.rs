//! Issue 15's usability items: what `keyfence baseline` covers by default,
//! severities that mean something, sizes with units, messages that say
//! what happened (a bad ref, skipped binary files), `keyfence rules` with
//! the repository's own rules, man pages, and no `cargo install keyfence`.

use crate::util::{code, credentials, json, run_in, stderr, stdout, Repo, KEY_ID, KEY_ID_2, SECRET, SECRET_2};

fn fingerprints_in(repo: &Repo, file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo.path().join(file)).expect("baseline written");
    let report: serde_json::Value = serde_json::from_str(&text).expect("baseline is JSON");
    report["findings"].as_array().unwrap().iter().map(|f| f["fingerprint"].as_str().unwrap().to_string()).collect()
}

fn fingerprints_of(out: &std::process::Output) -> Vec<String> {
    json(out)["findings"].as_array().unwrap().iter().map(|f| f["fingerprint"].as_str().unwrap().to_string()).collect()
}

/// `main` holding an accepted key, and an unmerged branch `feature`
/// (checked out) adding a new one.
fn repo_with_unmerged_key() -> Repo {
    let repo = Repo::new();
    repo.commit_file("old.env", &credentials(KEY_ID, SECRET), "an old, rotated key");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.commit_file("new.env", &credentials(KEY_ID_2, SECRET_2), "a new key, not merged");
    repo
}

#[test]
fn a_baseline_covers_the_default_branch_only_so_an_unmerged_key_still_fails() {
    let repo = repo_with_unmerged_key();
    for recipe in [&["baseline", "base.json"][..], &["baseline", "base.json", "--history"]] {
        let out = repo.keyfence(recipe);
        assert_eq!(code(&out), 0, "{recipe:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("refs/heads/main"), "{recipe:?} says what it covered: {}", stderr(&out));
        let accepted = fingerprints_in(&repo, "base.json");
        let main = fingerprints_of(&repo.keyfence(&["scan", "--format", "json", "old.env"]));
        let feature = fingerprints_of(&repo.keyfence(&["scan", "--format", "json", "new.env"]));
        assert_eq!(accepted.len(), 2, "{recipe:?}");
        assert!(main.iter().all(|f| accepted.contains(f)), "{recipe:?}: main's key is accepted");
        assert!(feature.iter().all(|f| !accepted.contains(f)), "{recipe:?}: the unmerged key is not");
        // The CI gate on the branch's pull request still fails.
        let gate = repo.keyfence(&["scan", "--range", "main...feature", "--baseline", "base.json"]);
        assert_eq!(code(&gate), 1, "{recipe:?}: {}", stdout(&gate));
    }
    // Asked for, every ref is covered.
    assert_eq!(code(&repo.keyfence(&["baseline", "all.json", "--all-refs"])), 0);
    assert_eq!(fingerprints_in(&repo, "all.json").len(), 4);
    assert_eq!(code(&repo.keyfence(&["baseline", "f.json", "--branch", "feature"])), 0);
    assert_eq!(fingerprints_in(&repo, "f.json").len(), 4);
}

#[test]
fn a_baseline_follows_origin_head_before_a_local_main() {
    let repo = repo_with_unmerged_key();
    // A clone's origin/HEAD names the remote's default branch: here `trunk`.
    repo.git(&["update-ref", "refs/remotes/origin/trunk", "main"]);
    repo.git(&["update-ref", "refs/heads/main", "feature"]);
    repo.git(&["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk"]);
    let out = repo.keyfence(&["baseline", "base.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("refs/remotes/origin/trunk"), "{}", stderr(&out));
    assert_eq!(fingerprints_in(&repo, "base.json").len(), 2);
}

#[test]
fn a_baseline_without_a_default_branch_says_how_to_name_one() {
    let repo = Repo::with_init_args(&["-b", "develop"]);
    repo.commit_file("a.env", &credentials(KEY_ID, SECRET), "key");
    let out = repo.keyfence(&["baseline", "base.json"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--branch") && stderr(&out).contains("--all-refs"), "{}", stderr(&out));
    assert!(!repo.path().join("base.json").exists());
}

#[test]
fn baseline_honours_dash_c_and_refuses_flags_it_cannot_honour() {
    let repo = repo_with_unmerged_key();
    let elsewhere = tempfile::tempdir().unwrap();
    let dir = repo.path().to_str().unwrap();
    let out = run_in(elsewhere.path(), &["baseline", "-C", dir, "base.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(fingerprints_in(&repo, "base.json").len(), 2, "written in DIR, of DIR's repository");
    assert!(!elsewhere.path().join("base.json").exists());
    for flag in [&["--format", "sarif"][..], &["-o", "x.json"], &["--output", "x.json"], &["--show-secrets"]] {
        let mut args = vec!["baseline", "refused.json"];
        args.extend_from_slice(flag);
        let out = repo.keyfence(&args);
        assert_eq!(code(&out), 2, "{flag:?}");
        assert!(stderr(&out).contains(flag[0]), "{flag:?} is named: {}", stderr(&out));
        assert!(!repo.path().join("refused.json").exists() && !repo.path().join("x.json").exists());
    }
}

fn severities(out: &std::process::Output) -> Vec<(String, String)> {
    let report = json(out);
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["severity"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn a_key_id_alone_is_medium_and_a_key_pair_is_high() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("url.txt"), format!("https://s3.amazonaws.com/b/o?X-Amz-Credential={KEY_ID}%2F\n"))
        .unwrap();
    std::fs::write(dir.path().join("pair.env"), credentials(KEY_ID_2, SECRET_2)).unwrap();
    let lone = run_in(dir.path(), &["scan", "--format", "json", "url.txt"]);
    assert_eq!(severities(&lone), [("aws-access-key-id".to_string(), "medium".to_string())]);
    let pair = run_in(dir.path(), &["scan", "--format", "json", "pair.env"]);
    assert_eq!(
        severities(&pair),
        [("aws-access-key-id".to_string(), "high".to_string()), ("aws-secret-access-key".into(), "high".into())]
    );
    // --fail-on follows: a lone key id is reported but does not fail a high gate.
    assert_eq!(code(&run_in(dir.path(), &["scan", "--fail-on", "high", "url.txt"])), 0);
    assert_eq!(code(&run_in(dir.path(), &["scan", "--fail-on", "high", "pair.env"])), 1);
    assert_eq!(code(&run_in(dir.path(), &["scan", "--fail-on", "medium", "url.txt"])), 1);
    // And SARIF levels.
    let sarif = json(&run_in(dir.path(), &["scan", "--format", "sarif", "url.txt", "pair.env"]));
    let mut levels: Vec<(String, String)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let path = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
            (path.to_string(), r["level"].as_str().unwrap().to_string())
        })
        .collect();
    levels.sort();
    assert_eq!(
        levels,
        [
            ("pair.env".to_string(), "error".to_string()),
            ("pair.env".into(), "error".into()),
            ("url.txt".into(), "warning".into())
        ]
    );
}

#[test]
fn max_blob_size_accepts_units() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.env"), format!("{}{}", "#\n".repeat(1024), credentials(KEY_ID, SECRET)))
        .unwrap();
    let out = run_in(dir.path(), &["scan", "--max-blob-size", "1K", "."]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("big.env"), "the skipped file is named: {}", stderr(&out));
    for size in ["10M", "1G", "4096"] {
        assert_eq!(code(&run_in(dir.path(), &["scan", "--max-blob-size", size, "."])), 1, "{size}");
    }
    let out = run_in(dir.path(), &["scan", "--max-blob-size", "10X", "."]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("10X"), "{}", stderr(&out));
}

#[test]
fn a_bad_ref_prints_the_error_and_no_findings_summary() {
    let repo = Repo::new();
    repo.commit_file("README.md", "hi\n", "init");
    for args in [
        &["scan", "--range", "nope..HEAD"][..],
        &["scan", "--since", "nope"],
        &["scan", "--history", "--branch", "nope"],
    ] {
        let out = repo.keyfence(args);
        assert_eq!(code(&out), 2, "{args:?}");
        assert_eq!(stdout(&out), "", "{args:?}: no '0 findings' summary");
        assert!(stderr(&out).contains("nope"), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn binary_files_skipped_in_a_path_scan_are_named_and_can_be_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"\0\x01\x02binary header\n".to_vec();
    bytes.extend_from_slice(credentials(KEY_ID, SECRET).as_bytes());
    for name in ["a.bin", "b.bin", "c.bin", "d.bin", "e.bin", "f.bin", "g.bin"] {
        std::fs::write(dir.path().join(name), &bytes).unwrap();
    }
    let out = run_in(dir.path(), &["scan", "."]);
    assert_eq!(code(&out), 0);
    let err = stderr(&out);
    assert!(err.contains("skipped 7 binary files (a.bin, b.bin, c.bin, d.bin, e.bin, …)"), "{err}");
    assert!(err.contains("--scan-binary"), "{err}");
    let out = run_in(dir.path(), &["scan", "--scan-binary", "--format", "json", "."]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(json(&out)["findings"].as_array().unwrap().len(), 14);
}

#[test]
fn uninstall_help_describes_uninstalling() {
    let dir = tempfile::tempdir().unwrap();
    let help = stdout(&run_in(dir.path(), &["uninstall", "--help"]));
    assert!(!help.contains("Replace an existing hook"), "{help}");
    assert!(help.contains("Also remove a keyfence hook edited after it was installed"), "{help}");
}

#[test]
fn rules_lists_project_rules_and_git_secrets_patterns_but_never_a_provider_value() {
    let repo = Repo::new();
    repo.write(
        ".keyfence.toml",
        "[[rules]]\nid = \"corp-token\"\nname = \"Corp deploy token\"\nseverity = \"medium\"\nkind = \"token\"\n\
         keywords = [\"corp_\"]\npattern = '\\b(?P<secret>corp_[a-z0-9]{32})\\b'\n",
    );
    repo.git(&["config", "--add", "secrets.patterns", "forbidden[0-9]+"]);
    repo.git(&["config", "--add", "secrets.providers", &format!("echo {SECRET_2}")]);
    let out = repo.keyfence(&["rules"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("# from .keyfence.toml\non   corp-token"), "{text}");
    assert!(text.contains("git-secrets pattern #1 of secrets.patterns"), "{text}");
    assert!(text.contains("git-secrets pattern #1 printed by secrets.providers (not shown"), "{text}");
    assert!(!text.contains(SECRET_2) && !text.contains(&SECRET_2[..8]), "a provider's pattern is printed: {text}");
}

#[test]
fn man_pages_have_exit_status_environment_and_files() {
    let dir = tempfile::tempdir().unwrap();
    for page in [&["man"][..], &["man", "scan"], &["man", "baseline"]] {
        let text = stdout(&run_in(dir.path(), page));
        let at = |section: &str| text.find(section).unwrap_or_else(|| panic!("{page:?} lacks {section}"));
        assert!(at(".SH \"EXIT STATUS\"") < at(".SH ENVIRONMENT"), "{page:?}");
        assert!(at(".SH ENVIRONMENT") < at(".SH FILES"), "{page:?}");
        assert!(at(".SH FILES") < at(".SH VERSION"), "{page:?}");
    }
}

#[test]
fn nothing_suggests_cargo_install_keyfence() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.env"), credentials(KEY_ID, SECRET)).unwrap();
    let sarif = stdout(&run_in(dir.path(), &["scan", "--format", "sarif", "."]));
    assert!(!sarif.contains("crates.io"), "{sarif}");
    for hook in ["pre-commit", "commit-msg", "prepare-commit-msg"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks").join(hook);
        let script = std::fs::read_to_string(&path).unwrap();
        assert!(!script.contains("cargo install keyfence"), "{hook}");
        assert!(script.contains("cargo install --locked --path"), "{hook}");
    }
}
