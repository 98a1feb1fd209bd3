//! keyfence as a CI gate: SARIF that GitHub code scanning loads (validated
//! against the vendored SARIF 2.1.0 schema), no full secret in any machine
//! output, baselines that survive rebases, `.keyfence.toml`, `--fail-on`,
//! `--exit-zero`, and the GitHub Action's scan script run for real.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::util::{
    code, credentials, findings, json, run_in, stderr, stdout, Repo, KEY_ID, KEY_ID_2, SECRET, SECRET_2,
};

/// A fake STS session token (the built-in rule's own example).
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEHMaCXVzLWVhc3QtMSJHMEUCIQDq8f1xZk2Lp9Vb3Rm7Tn0Wq5Ys4Xc6Hd8Jg2Kf1NaSbQIgN3Vx7Lq9Zp2Mr5Tk8Wn0Yb4Hc6Jd1Gf3Es7Aq9Rz2Ux8";
/// A fake IAM user id: a low-severity identifier, found only with `aws-unique-id` on.
const USER_ID: &str = "AIDA2E3MTGS5LTN4WCQV";
/// A value for the project rule of `CORP_RULE`.
const CORP_TOKEN: &str = "corp_7f3k9q2m5x8v1b4n6c0z2l5j8h3g7d1s";

const CORP_RULE: &str = r#"
[[rules]]
id = "corp-token"
name = "Corp deploy token"
severity = "medium"
kind = "token"
keywords = ["corp_"]
pattern = '\b(?P<secret>corp_[a-z0-9]{32})\b'
description = "A deploy token for the internal platform."
"#;

/// A credentials file with a key id (line 2), its secret (3) and a session token (4).
fn credentials_with_token(key_id: &str, secret: &str) -> String {
    format!("{}aws_session_token = {SESSION_TOKEN}\n", credentials(key_id, secret))
}

/// `main` with one clean commit, then branch `feature` adding a credentials
/// file with a session token in `config/prod creds.ini` (a space, so the
/// SARIF URI must be encoded). Returns the repository and the commit.
fn repo_with_feature_key() -> (Repo, String) {
    let repo = Repo::new();
    repo.commit_file("README.md", "demo app\n", "init");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let commit = repo.commit_file("config/prod creds.ini", &credentials_with_token(KEY_ID, SECRET), "add prod config");
    (repo, commit)
}

fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn expect_code(out: &Output, expected: i32) {
    assert_eq!(code(out), expected, "stdout:\n{}\nstderr:\n{}", stdout(out), stderr(out));
}

/// `(rule, path, line)` of a JSON report, sorted.
fn found(report: &Value) -> Vec<(String, String, u64)> {
    let mut found = findings(report);
    found.sort();
    found
}

fn hit(rule: &str, path: &str, line: u64) -> (String, String, u64) {
    (rule.to_string(), path.to_string(), line)
}

fn fingerprints(report: &Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| f["fingerprint"].as_str().expect("fingerprint").to_string())
        .collect()
}

// ---------------------------------------------------------------- SARIF

/// The official schema's two `language` patterns have a stray `]`: a literal
/// in ECMAScript, rejected by the Rust regex engine that checks the schema
/// itself. The vendored file stays byte-identical to upstream; the `]` is
/// escaped here, which keeps its meaning.
const SARIF_LANGUAGE_PATTERN: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
const SARIF_LANGUAGE_PATTERN_ESCAPED: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#;

/// Validate against the vendored official SARIF 2.1.0 schema (draft-07);
/// panic with every violation.
fn assert_valid_sarif(document: &Value) {
    let text = read(crate::util::fixtures().join("sarif-schema-2.1.0.json"));
    assert_eq!(text.matches(SARIF_LANGUAGE_PATTERN).count(), 2, "the upstream schema changed");
    let schema = parse(&text.replace(SARIF_LANGUAGE_PATTERN, SARIF_LANGUAGE_PATTERN_ESCAPED));
    let validator =
        jsonschema::draft7::options().should_validate_formats(true).build(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(document).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "SARIF does not validate:\n{}\n{document:#}", errors.join("\n"));
}

/// What GitHub code scanning needs beyond the schema. Returns the results.
fn assert_code_scanning_ready(document: &Value) -> Vec<Value> {
    assert_valid_sarif(document);
    let schema = document["$schema"].as_str().expect("$schema");
    assert!(schema.contains("sarif") && schema.contains("2.1.0"), "{schema}");
    assert_eq!(document["version"], "2.1.0");
    let runs = document["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "exactly one run");
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "keyfence");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().expect("driver.rules");
    let rule_ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().expect("rule id")).collect();
    for rule in rules {
        assert!(!rule["help"]["text"].as_str().unwrap_or_default().is_empty(), "rule without help text: {rule}");
        assert!(!rule["shortDescription"]["text"].as_str().unwrap_or_default().is_empty(), "{rule}");
    }
    let results = runs[0]["results"].as_array().expect("results").clone();
    for result in &results {
        let rule_id = result["ruleId"].as_str().expect("ruleId");
        let index = rule_ids
            .iter()
            .position(|id| *id == rule_id)
            .unwrap_or_else(|| panic!("no rules entry for {rule_id}: {rule_ids:?}"));
        if let Some(rule_index) = result["ruleIndex"].as_u64() {
            assert_eq!(rule_index as usize, index, "ruleIndex points at the wrong rule: {result}");
        }
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().expect("level")), "{result}");
        assert!(!result["message"]["text"].as_str().expect("message.text").is_empty());
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().expect("uri");
        assert!(!uri.is_empty() && !uri.starts_with('/') && !uri.contains(' '), "{uri}");
        assert!(location["region"]["startLine"].as_u64().expect("startLine") >= 1);
        assert!(location["region"]["startColumn"].as_u64().expect("startColumn") >= 1);
        let partial = result["partialFingerprints"].as_object().expect("partialFingerprints");
        assert!(!partial.is_empty(), "{result}");
    }
    results
}

/// `(ruleId, uri, startLine, startColumn, fingerprint, commit)` of each result.
type SarifHit = (String, String, u64, u64, String, Option<String>);

fn sarif_hits(results: &[Value]) -> BTreeSet<SarifHit> {
    results
        .iter()
        .map(|r| {
            let location = &r["locations"][0]["physicalLocation"];
            let partial = r["partialFingerprints"].as_object().unwrap();
            (
                r["ruleId"].as_str().unwrap().to_string(),
                location["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                location["region"]["startLine"].as_u64().unwrap(),
                location["region"]["startColumn"].as_u64().unwrap(),
                partial.values().next().unwrap().as_str().unwrap().to_string(),
                r["properties"]["commit"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// The same findings as the JSON report, located the same way.
fn json_hits(report: &Value) -> BTreeSet<SarifHit> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().replace(' ', "%20"),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["fingerprint"].as_str().unwrap().to_string(),
                f["commit"].as_str().map(str::to_string),
            )
        })
        .collect()
}

#[test]
fn sarif_of_a_directory_scan_loads_in_code_scanning() {
    let (repo, _) = repo_with_feature_key();
    repo.write("deploy/.env", &format!("AWS_ACCESS_KEY_ID={KEY_ID_2}\n"));

    let out = repo.keyfence(&["scan", "--format", "sarif"]);
    expect_code(&out, 1);
    let sarif = parse(&stdout(&out));
    let results = assert_code_scanning_ready(&sarif);
    let report = json(&repo.keyfence(&["scan", "--format", "json"]));
    assert_eq!(sarif_hits(&results), json_hits(&report));
    assert_eq!(results.len(), 4, "{sarif:#}");
    let uris: BTreeSet<_> = sarif_hits(&results).into_iter().map(|h| h.1).collect();
    assert_eq!(uris, BTreeSet::from(["config/prod%20creds.ini".to_string(), "deploy/.env".to_string()]));
    for result in &results {
        // A key pair or a token with its secret is high (error); the lone
        // key id in deploy/.env is medium (warning).
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
        let expected = if uri == "deploy/.env" { "warning" } else { "error" };
        assert_eq!(result["level"], expected, "{result:#}");
        assert!(result["properties"].get("commit").is_none(), "a file scan has no commit");
    }

    // --output writes the same document.
    let out = repo.keyfence(&["scan", "--format", "sarif", "--output", "report.sarif"]);
    expect_code(&out, 1);
    assert_eq!(stdout(&out), "");
    assert_eq!(parse(&read(repo.path().join("report.sarif"))), sarif);
}

#[test]
fn sarif_of_range_and_history_scans_names_the_commit() {
    let (repo, commit) = repo_with_feature_key();
    for args in [
        &["scan", "--range", "main...feature", "--format", "sarif"][..],
        &["scan", "--since", "main", "--format", "sarif"],
        &["scan", "--history", "--format", "sarif"],
    ] {
        let out = repo.keyfence(args);
        expect_code(&out, 1);
        let results = assert_code_scanning_ready(&parse(&stdout(&out)));
        assert_eq!(results.len(), 3, "{args:?}: {}", stdout(&out));
        for result in &results {
            assert_eq!(result["properties"]["commit"], commit, "{args:?}: {result}");
        }
        let json_args: Vec<&str> = args.iter().map(|a| if *a == "sarif" { "json" } else { a }).collect();
        let report = json(&repo.keyfence(&json_args));
        assert_eq!(sarif_hits(&results), json_hits(&report), "{args:?}");
    }
}

#[test]
fn sarif_without_findings_is_valid_and_lists_the_rules() {
    let repo = Repo::new();
    repo.commit_file("README.md", "nothing to see\n", "init");
    let out = repo.keyfence(&["scan", "--format", "sarif"]);
    expect_code(&out, 0);
    let sarif = parse(&stdout(&out));
    assert!(assert_code_scanning_ready(&sarif).is_empty());
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "aws-access-key-id"), "{sarif:#}");
}

/// The schema check is live: what GitHub would refuse, it refuses.
#[test]
fn the_schema_check_rejects_broken_sarif() {
    let (repo, _) = repo_with_feature_key();
    let good = parse(&stdout(&repo.keyfence(&["scan", "--format", "sarif"])));
    assert_valid_sarif(&good);
    type Breakage = Box<dyn Fn(&mut Value)>;
    let breakages: Vec<Breakage> = vec![
        Box::new(|d| d["version"] = "2.0.0".into()),
        Box::new(|d| d["runs"][0]["results"][0]["level"] = "fatal".into()),
        Box::new(|d| d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0.into()),
        Box::new(|d| d["runs"][0]["tool"]["driver"].as_object_mut().unwrap().clear()),
    ];
    for (i, breakage) in breakages.iter().enumerate() {
        let mut broken = good.clone();
        breakage(&mut broken);
        let caught = std::panic::catch_unwind(|| assert_valid_sarif(&broken)).is_err();
        assert!(caught, "breakage {i} passed the schema");
    }
}

#[test]
fn sarif_has_rules_entries_for_project_rules_and_low_severity_findings() {
    let repo = Repo::new();
    repo.write(".keyfence.toml", CORP_RULE);
    repo.write("deploy.sh", &format!("export TOKEN={CORP_TOKEN}\n"));
    repo.write("users.json", &format!("{{\"UserId\": \"{USER_ID}\"}}\n"));
    let out = repo.keyfence(&["scan", "--format", "sarif", "--enable-rule", "aws-unique-id"]);
    expect_code(&out, 1);
    let results = assert_code_scanning_ready(&parse(&stdout(&out)));
    let levels: BTreeSet<(String, String)> =
        results.iter().map(|r| (r["ruleId"].as_str().unwrap().into(), r["level"].as_str().unwrap().into())).collect();
    assert_eq!(
        levels,
        BTreeSet::from([("aws-unique-id".into(), "note".into()), ("corp-token".into(), "warning".into())])
    );
}

// ---------------------------------------------------------------- redaction

/// Every place a machine format can end up: stdout and `--output`, for a
/// file scan, a range and the history.
#[test]
fn no_full_secret_in_machine_output_without_show_secrets() {
    let (repo, _) = repo_with_feature_key();
    let out_dir = tempfile::tempdir().unwrap();
    let sources: [&[&str]; 3] = [&["."], &["--range", "main...feature"], &["--history"]];
    for source in sources {
        for format in ["json", "jsonl", "sarif", "human", "git-secrets"] {
            let mut args = vec!["scan", "--format", format];
            args.extend_from_slice(source);
            let out = repo.keyfence(&args);
            expect_code(&out, 1);
            let text = stdout(&out);
            assert_redacted(&text, &format!("{args:?} stdout"));
            assert_redacted(&stderr(&out), &format!("{args:?} stderr"));
            if format != "human" && format != "git-secrets" {
                assert!(text.contains(KEY_ID), "key ids stay whole: {args:?}\n{text}");
            }

            // Outside the repository, so the next scan does not read it.
            let file = out_dir.path().join("report.out");
            args.extend(["--output", file.to_str().unwrap()]);
            let out = repo.keyfence(&args);
            expect_code(&out, 1);
            assert_redacted(&read(&file), &format!("{args:?} file"));
            assert_redacted(&stdout(&out), &format!("{args:?} stdout"));
        }
    }
    // JSON says which values it redacted.
    let report = json(&repo.keyfence(&["scan", "--format", "json"]));
    let redacted: Vec<(String, bool)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["secret"].as_str().unwrap().to_string(), f["redacted"] == true))
        .collect();
    assert_eq!(redacted, [(KEY_ID.to_string(), false), ("9dKq…".to_string(), true), ("IQoJ…".to_string(), true)]);
}

fn assert_redacted(text: &str, what: &str) {
    assert!(!text.contains(SECRET), "{what} holds the full secret:\n{text}");
    assert!(!text.contains(SESSION_TOKEN), "{what} holds the full session token:\n{text}");
    // Not even a long piece of either.
    assert!(!text.contains(&SECRET[..12]), "{what} holds part of the secret:\n{text}");
    assert!(!text.contains(&SESSION_TOKEN[..12]), "{what} holds part of the session token:\n{text}");
}

#[test]
fn a_baseline_file_holds_no_full_secret() {
    let (repo, _) = repo_with_feature_key();
    for source in [&["."][..], &["--all-refs"], &["--since", "main"]] {
        // Asking for full values is refused, not ignored.
        let mut refused = vec!["baseline", "base.json", "--show-secrets"];
        refused.extend_from_slice(source);
        expect_code(&repo.keyfence(&refused), 2);
        let mut args = vec!["baseline", "base.json"];
        args.extend_from_slice(source);
        let out = repo.keyfence(&args);
        expect_code(&out, 0);
        let text = read(repo.path().join("base.json"));
        assert_redacted(&text, &format!("{args:?}"));
        assert_eq!(fingerprints(&parse(&text)).len(), 3, "{text}");
    }
}

#[test]
fn show_secrets_prints_the_full_values() {
    let (repo, _) = repo_with_feature_key();
    for source in [&["."][..], &["--range", "main...feature"], &["--history"]] {
        for format in ["json", "jsonl", "sarif"] {
            let mut args = vec!["scan", "--show-secrets", "--format", format];
            args.extend_from_slice(source);
            let out = repo.keyfence(&args);
            expect_code(&out, 1);
            let text = stdout(&out);
            assert!(text.contains(SECRET), "{args:?}:\n{text}");
            assert!(text.contains(SESSION_TOKEN), "{args:?}:\n{text}");
            assert!(text.contains(KEY_ID), "{args:?}:\n{text}");
            if format == "sarif" {
                assert_code_scanning_ready(&parse(&text));
            }
        }
    }
    let report = json(&repo.keyfence(&["scan", "--show-secrets", "--format", "json"]));
    assert!(report["findings"].as_array().unwrap().iter().all(|f| f["redacted"] == false));
}

/// A key id and its secret on one line (`export A=… B=…`): the key id's
/// finding prints the line, and the secret on it must still be redacted.
#[test]
fn git_secrets_format_redacts_every_secret_on_a_shared_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("env.sh"),
        format!("export AWS_ACCESS_KEY_ID={KEY_ID} AWS_SECRET_ACCESS_KEY={SECRET}\n"),
    )
    .unwrap();
    let out = run_in(dir.path(), &["scan", "--format", "git-secrets"]);
    expect_code(&out, 1);
    assert_redacted(&stdout(&out), "git-secrets format");
}

// ---------------------------------------------------------------- baselines

/// A baseline made on a branch keeps suppressing after the branch is
/// rebased and squashed (every sha changes) and the secret moves to another
/// file and line; a new key still fails.
#[test]
fn a_baseline_survives_rebase_squash_and_moved_code() {
    let repo = Repo::new();
    repo.commit_file("README.md", "demo app\n", "init");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let config = format!("[app]\nname = demo\n\n{}", credentials(KEY_ID, SECRET));
    repo.commit_file("config/app.ini", &config, "add config");
    repo.commit_file("notes.txt", "wip\n", "wip");
    let old_commits = repo.git(&["rev-list", "main..feature"]);

    for (file, source) in [("since.json", &["--since", "main"][..]), ("history.json", &["--all-refs"])] {
        let mut args = vec!["baseline", file];
        args.extend_from_slice(source);
        let out = repo.keyfence(&args);
        expect_code(&out, 0);
        assert!(stderr(&out).contains("2 finding(s)"), "{}", stderr(&out));
    }
    let baseline = parse(&read(repo.path().join("since.json")));
    assert_eq!(
        found(&baseline),
        [hit("aws-access-key-id", "config/app.ini", 5), hit("aws-secret-access-key", "config/app.ini", 6)]
    );
    let accepted = fingerprints(&baseline);
    assert_eq!(accepted, fingerprints(&parse(&read(repo.path().join("history.json")))));

    // main moves on; the branch is rebased, then squashed into one commit
    // that moves the credentials to another file, other lines, other order.
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("CHANGELOG.md", "0.2: more\n", "main moves on");
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["rebase", "-q", "main"]);
    repo.git(&["reset", "-q", "--soft", "main"]);
    repo.git(&["rm", "-q", "-f", "config/app.ini"]);
    repo.write(
        "deploy/prod.yml",
        &format!("# moved here\nservice: demo\n\naws:\n  secret_access_key: {SECRET}\n  access_key_id: {KEY_ID}\n"),
    );
    repo.git(&["add", "deploy/prod.yml"]);
    repo.git(&["commit", "-q", "-m", "squashed: deploy config"]);
    let new_commit = repo.git(&["rev-parse", "HEAD"]);
    let reachable = repo.git(&["rev-list", "--all"]);
    for old in old_commits.lines() {
        assert!(!reachable.contains(old), "{old} is still reachable");
    }
    for f in baseline["findings"].as_array().unwrap() {
        let old = f["commit"].as_str().expect("a --since baseline names commits");
        assert!(!reachable.contains(old));
    }

    // Without the baseline the moved key is found, with the same fingerprints.
    let out = repo.keyfence(&["scan", "--range", "main...feature", "--format", "json"]);
    expect_code(&out, 1);
    let report = json(&out);
    assert_eq!(
        found(&report),
        [hit("aws-access-key-id", "deploy/prod.yml", 6), hit("aws-secret-access-key", "deploy/prod.yml", 5)]
    );
    assert!(report["findings"].as_array().unwrap().iter().all(|f| f["commit"] == new_commit.as_str()));
    assert_eq!(fingerprints(&report), accepted);

    // With either baseline: clean, in every source and format.
    for base in ["since.json", "history.json"] {
        for source in [&["--history"][..], &["--range", "main...feature"], &["--since", "main"], &["."]] {
            let mut args = vec!["scan", "--baseline", base, "--format", "json"];
            args.extend_from_slice(source);
            let out = repo.keyfence(&args);
            expect_code(&out, 0);
            assert!(found(&json(&out)).is_empty(), "{args:?}: {}", stdout(&out));
        }
    }

    // A new key is still caught, and only it is reported.
    repo.commit_file("deploy/staging.env", &credentials(KEY_ID_2, SECRET_2), "staging");
    for source in [&["--history"][..], &["--range", "main...feature"]] {
        let mut args = vec!["scan", "--baseline", "since.json", "--format", "json"];
        args.extend_from_slice(source);
        let out = repo.keyfence(&args);
        expect_code(&out, 1);
        assert_eq!(
            found(&json(&out)),
            [hit("aws-access-key-id", "deploy/staging.env", 2), hit("aws-secret-access-key", "deploy/staging.env", 3)],
            "{args:?}"
        );
        args[4] = "sarif";
        let out = repo.keyfence(&args);
        expect_code(&out, 1);
        assert_eq!(assert_code_scanning_ready(&parse(&stdout(&out))).len(), 2);
    }
}

/// A squash merge into main: the baseline still holds on main's history.
#[test]
fn a_baseline_survives_a_squash_merge() {
    let repo = Repo::new();
    repo.commit_file("README.md", "demo app\n", "init");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.commit_file("app.env", &credentials(KEY_ID, SECRET), "key");
    let out = repo.keyfence(&["baseline", "base.json", "--since", "main"]);
    expect_code(&out, 0);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--squash", "feature"]);
    repo.git(&["commit", "-q", "-m", "squash merge"]);
    repo.git(&["branch", "-q", "-D", "feature"]);
    let out = repo.keyfence(&["scan", "--history", "--baseline", "base.json", "--format", "json"]);
    expect_code(&out, 0);
    let out = repo.keyfence(&["scan", "--range", "HEAD~1..HEAD", "--baseline", "base.json"]);
    expect_code(&out, 0);
    let out = repo.keyfence(&["scan", "--range", "HEAD~1..HEAD"]);
    expect_code(&out, 1);
}

#[test]
fn baseline_files_are_byte_identical_across_runs() {
    let repo = Repo::new();
    repo.commit_file("README.md", "demo\n", "init");
    for i in 0..6 {
        let (key, secret) = if i % 2 == 0 { (KEY_ID, SECRET) } else { (KEY_ID_2, SECRET_2) };
        repo.commit_file(
            &format!("svc{i}/{}.env", ["b", "a", "c"][i % 3]),
            &format!("{}\n{}", "# padding\n".repeat(i), credentials(key, secret)),
            &format!("service {i}"),
        );
    }
    repo.git(&["checkout", "-q", "-b", "other", "HEAD~2"]);
    repo.commit_file("other/creds", &credentials_with_token(KEY_ID_2, SECRET_2), "other");
    repo.git(&["checkout", "-q", "main"]);

    // Outside the repository, so that a scan of `.` does not read it.
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("base.json");
    let file = file.to_str().unwrap();
    for source in [&["--history"][..], &["."], &["--range", "main~4..main"]] {
        let mut outputs = Vec::new();
        for threads in ["1", "8", "3"] {
            let mut args = vec!["baseline", file, "-j", threads];
            // A baseline of every ref, as `scan --history` reads.
            args.extend_from_slice(if source == ["--history"] { &["--all-refs"] } else { source });
            expect_code(&repo.keyfence(&args), 0);
            outputs.push(std::fs::read(file).unwrap());
        }
        assert!(outputs.windows(2).all(|w| w[0] == w[1]), "{source:?}: baselines differ between runs");
        let report = parse(&String::from_utf8(outputs.pop().unwrap()).unwrap());
        assert!(!fingerprints(&report).is_empty(), "{source:?}");
        // The baseline is a report that `scan --baseline` accepts.
        let mut args = vec!["scan", "--baseline", file];
        args.extend_from_slice(source);
        expect_code(&repo.keyfence(&args), 0);
    }
}

/// docs/ci.md's workflow: a committed baseline, allowlisted so that its own
/// key ids are not findings, is rewritten with the same findings.
#[test]
fn a_committed_baseline_updates_without_growing() {
    let repo = Repo::new();
    repo.commit_file("app.env", &credentials(KEY_ID, SECRET), "key");
    repo.write(".keyfence.toml", "[allowlist]\npaths = [\".keyfence-baseline.json\"]\n");
    let update = || {
        expect_code(&repo.keyfence(&["baseline", ".keyfence-baseline.json"]), 0);
        repo.git(&["add", "."]);
        // A regenerated baseline with the same findings is byte-identical,
        // so there may be nothing to commit.
        repo.git(&["commit", "-q", "--allow-empty", "-m", "baseline"]);
        parse(&read(repo.path().join(".keyfence-baseline.json")))["findings"].clone()
    };
    let first = update();
    assert_eq!(first.as_array().unwrap().len(), 2);
    assert_eq!(update(), first);
    assert_eq!(update(), first);
    let out = repo.keyfence(&["scan", "--history", "--baseline", ".keyfence-baseline.json"]);
    expect_code(&out, 0);
}

#[test]
fn a_missing_or_malformed_baseline_exits_two() {
    let (repo, _) = repo_with_feature_key();
    let out = repo.keyfence(&["scan", "--baseline", "missing.json"]);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("missing.json"), "{}", stderr(&out));
    repo.write("bad.json", "{\"findings\": 3}");
    let out = repo.keyfence(&["scan", "--baseline", "bad.json", "--exit-zero"]);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("bad.json"), "{}", stderr(&out));
}

// ---------------------------------------------------------------- .keyfence.toml

#[test]
fn config_extra_rule_is_applied() {
    let repo = Repo::new();
    repo.write(".keyfence.toml", CORP_RULE);
    repo.write("src/deploy.sh", &format!("#!/bin/sh\nexport TOKEN={CORP_TOKEN}\n"));
    repo.commit_file("README.md", "demo\n", "init");
    repo.git(&["add", "."]);
    repo.git(&["commit", "-q", "-m", "deploy"]);

    for args in [
        &["scan", "--format", "json"][..],
        &["scan", "src", "--format", "json"],
        &["scan", "--history", "--format", "json"],
    ] {
        let out = repo.keyfence(args);
        expect_code(&out, 1);
        let report = json(&out);
        assert_eq!(found(&report), [hit("corp-token", "src/deploy.sh", 2)], "{args:?}");
        let finding = &report["findings"][0];
        assert_eq!(finding["severity"], "medium");
        assert_eq!(finding["rule_name"], "Corp deploy token");
        assert_eq!(finding["secret"], "corp…", "a token is redacted");
    }
    // `--no-config` ignores the file.
    expect_code(&repo.keyfence(&["scan", "--no-config"]), 0);

    // A directory that is not a repository reads its own .keyfence.toml.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".keyfence.toml"), CORP_RULE).unwrap();
    std::fs::write(dir.path().join("token.txt"), format!("{CORP_TOKEN}\n")).unwrap();
    let out = run_in(dir.path(), &["scan", "--format", "json"]);
    expect_code(&out, 1);
    assert_eq!(found(&json(&out)), [hit("corp-token", "token.txt", 1)]);
}

/// Keys in `src/app.env` and in `tests/fixtures/fake.env`.
fn repo_for_allowlist() -> Repo {
    let repo = Repo::new();
    repo.write("src/app.env", &credentials(KEY_ID, SECRET));
    repo.write("tests/fixtures/fake.env", &credentials(KEY_ID_2, SECRET_2));
    repo.git(&["add", "."]);
    repo.git(&["commit", "-q", "-m", "init"]);
    repo
}

fn scan_with_config(repo: &Repo, config: &str, args: &[&str]) -> Vec<(String, String, u64)> {
    repo.write(".keyfence.toml", config);
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let out = repo.keyfence(&all);
    let report = json(&out);
    let found = found(&report);
    let expected = if found.is_empty() { 0 } else { 1 };
    expect_code(&out, expected);
    found
}

#[test]
fn config_allowlist_paths_regexes_and_fingerprints_each_suppress() {
    let repo = repo_for_allowlist();
    let app = [hit("aws-access-key-id", "src/app.env", 2), hit("aws-secret-access-key", "src/app.env", 3)];
    let fake = [
        hit("aws-access-key-id", "tests/fixtures/fake.env", 2),
        hit("aws-secret-access-key", "tests/fixtures/fake.env", 3),
    ];
    let mut everything: Vec<_> = app.iter().chain(&fake).cloned().collect();
    everything.sort();
    assert_eq!(scan_with_config(&repo, "", &[]), everything);

    let report = json(&repo.keyfence(&["scan", "--format", "json"]));
    let fingerprint_of = |path: &str, rule: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path && f["rule"] == rule)
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .unwrap()
    };
    let fake_secret = fingerprint_of("tests/fixtures/fake.env", "aws-secret-access-key");

    for source in [&[][..], &["--history"], &["src", "tests"]] {
        // Path globs, relative to the repository root.
        let config = "[allowlist]\npaths = [\"tests/fixtures/**\"]\n";
        assert_eq!(scan_with_config(&repo, config, source), app, "{source:?}");
        let config = "[allowlist]\npaths = [\"**/*.env\"]\n";
        assert_eq!(scan_with_config(&repo, config, source), [], "{source:?}");

        // Regexes match the full found value, not the redacted one.
        let config = format!("[allowlist]\nregexes = ['^{KEY_ID_2}$', 'EuQiOp$']\n");
        assert_eq!(scan_with_config(&repo, &config, source), app, "{source:?}");

        // Fingerprints drop that (rule, value) wherever it is.
        let config = format!("[allowlist]\nfingerprints = [\"{fake_secret}\"]\n");
        let mut expected = vec![app[0].clone(), app[1].clone(), fake[0].clone()];
        expected.sort();
        assert_eq!(scan_with_config(&repo, &config, source), expected, "{source:?}");
    }
}

#[test]
fn config_allowlist_paths_apply_when_scanning_from_a_subdirectory() {
    let repo = repo_for_allowlist();
    repo.write(".keyfence.toml", "[allowlist]\npaths = [\"tests/fixtures/**\"]\n");
    let out = repo.keyfence(&["scan", "-C", "tests", "--format", "json"]);
    expect_code(&out, 0);
    let out = repo.keyfence(&["scan", "-C", "tests", "--history", "--format", "json"]);
    expect_code(&out, 1);
    assert_eq!(found(&json(&out)).len(), 2, "{}", stdout(&out));
}

#[test]
fn config_fail_on_and_rule_options_are_respected() {
    let repo = Repo::new();
    repo.write("users.json", &format!("{{\"UserId\": \"{USER_ID}\"}}\n"));
    repo.write("deploy.sh", &format!("export TOKEN={CORP_TOKEN}\n"));

    // Only a low-severity identifier, enabled by the config, and fail-on high.
    let config = "[options]\nfail-on = \"high\"\nenable-rules = [\"aws-unique-id\"]\n";
    repo.write(".keyfence.toml", config);
    let out = repo.keyfence(&["scan", "--format", "json"]);
    expect_code(&out, 0);
    assert_eq!(found(&json(&out)), [hit("aws-unique-id", "users.json", 1)]);
    // The command line wins over the file.
    expect_code(&repo.keyfence(&["scan", "--fail-on", "low"]), 1);

    // A medium project rule: below "high", at "medium".
    for (fail_on, expected) in [("high", 0), ("medium", 1), ("low", 1)] {
        let config = format!("{CORP_RULE}\n[options]\nfail-on = \"{fail_on}\"\n");
        repo.write(".keyfence.toml", &config);
        let out = repo.keyfence(&["scan", "--format", "json"]);
        expect_code(&out, expected);
        assert_eq!(found(&json(&out)), [hit("corp-token", "deploy.sh", 1)], "{fail_on}");
    }

    // disable-rules turns a rule off; max-blob-size skips (loudly) what is larger.
    repo.write("creds", &credentials(KEY_ID, SECRET));
    let config = "[options]\ndisable-rules = [\"aws-secret-access-key\"]\n";
    repo.write(".keyfence.toml", config);
    let out = repo.keyfence(&["scan", "creds", "--format", "json"]);
    expect_code(&out, 1);
    assert_eq!(found(&json(&out)), [hit("aws-access-key-id", "creds", 2)]);
    repo.write(".keyfence.toml", "[options]\nmax-blob-size = 16\n");
    let out = repo.keyfence(&["scan", "creds", "--format", "json"]);
    let report = json(&out);
    assert_eq!(found(&report), []);
    assert_eq!(report["stats"]["skipped_too_large"], 1, "{report:#}");
    assert!(stderr(&out).contains("creds"), "{}", stderr(&out));
}

/// Exit 2, nothing on stdout, and exactly one line on stderr holding every
/// `needle`.
fn expect_config_error(repo: &Repo, config: &str, needles: &[&str]) {
    repo.write(".keyfence.toml", config);
    let out = repo.keyfence(&["scan", "--format", "json", "--exit-zero"]);
    expect_code(&out, 2);
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line for:\n{config}\ngot:\n{err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} not in {err:?} for:\n{config}");
    }
    assert!(!stdout(&out).contains("\"findings\": ["), "{}", stdout(&out));
}

#[test]
fn invalid_config_exits_two_naming_the_key_and_line() {
    let repo = Repo::new();
    repo.write("creds", &credentials(KEY_ID, SECRET));
    let file = ".keyfence.toml";

    // Unknown keys, at every level.
    expect_config_error(&repo, "[allowlist]\npaths = []\nbogus = 1\n", &[file, "line 3", "bogus"]);
    expect_config_error(&repo, "# top\n[allowlists]\n", &[file, "line 2", "allowlists"]);
    expect_config_error(&repo, "[options]\nfail_on = \"high\"\n", &[file, "line 2", "fail_on"]);
    let rule = "[[rules]]\nid = \"x\"\nname = \"x\"\npattern = \"x\"\nseverty = \"low\"\n";
    expect_config_error(&repo, rule, &[file, "line 5", "severty"]);

    // Bad values.
    expect_config_error(&repo, "[options]\nfail-on = \"severe\"\n", &[file, "line 2", "severe"]);
    expect_config_error(&repo, "[options]\nmax-blob-size = \"big\"\n", &[file, "line 2", "big"]);
    expect_config_error(&repo, "[allowlist]\n\npaths = \"a\"\n", &[file, "line 3"]);

    // Bad patterns name the rule or the allowlist entry.
    let bad_rule = CORP_RULE.replace("{32}", "{32");
    expect_config_error(&repo, &bad_rule, &["corp-token", "pattern"]);
    expect_config_error(&repo, "[allowlist]\nregexes = ['(x']\n", &[file, "allowlist.regexes", "(x"]);
    expect_config_error(&repo, "[allowlist]\npaths = ['a/[b']\n", &[file, "allowlist.paths", "a/[b"]);
    expect_config_error(&repo, "[options]\nenable-rules = [\"nope\"]\n", &["nope"]);
    let bad_id = CORP_RULE.replace("\"corp-token\"", "\"corp token\"");
    expect_config_error(&repo, &bad_id, &["corp token"]);
}

#[test]
fn invalid_config_type_errors_name_the_key() {
    let repo = Repo::new();
    expect_config_error(&repo, "[options]\nmax-blob-size = \"big\"\n", &[".keyfence.toml", "line 2", "max-blob-size"]);
    expect_config_error(&repo, "[options]\nfail-on = 3\n", &["line 2", "fail-on"]);
    expect_config_error(&repo, "[allowlist]\npaths = \"a\"\n", &["line 2", "paths"]);
    expect_config_error(&repo, "[options]\nfail-on = \n", &["line 2"]);
}

// ---------------------------------------------------------------- exit codes

#[test]
fn exit_zero_reports_findings_and_still_fails_on_errors() {
    let (repo, _) = repo_with_feature_key();
    let out = repo.keyfence(&["scan", "--exit-zero", "--format", "json"]);
    expect_code(&out, 0);
    assert_eq!(found(&json(&out)).len(), 3);
    let out = repo.keyfence(&["scan", "--exit-zero", "--range", "main...feature", "--format", "sarif"]);
    expect_code(&out, 0);
    assert_eq!(assert_code_scanning_ready(&parse(&stdout(&out))).len(), 3);

    let out = repo.keyfence(&["scan", "--exit-zero", "--range", "no-such-ref...feature"]);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("no-such-ref"), "{}", stderr(&out));
    expect_code(&repo.keyfence(&["scan", "--exit-zero", "missing/path"]), 2);
    expect_code(&repo.keyfence(&["scan", "--exit-zero", "--fail-on", "severe"]), 2);
}

#[test]
fn fail_on_high_passes_a_low_severity_finding_and_still_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("user.json"), format!("{{\"UserId\": \"{USER_ID}\"}}\n")).unwrap();
    let base = ["scan", "--enable-rule", "aws-unique-id", "--format", "json"];

    let fail_on = |severity: &'static str| {
        let mut args = base.to_vec();
        args.extend(["--fail-on", severity]);
        run_in(dir.path(), &args)
    };

    expect_code(&run_in(dir.path(), &base), 1);
    expect_code(&fail_on("low"), 1);
    for severity in ["medium", "high"] {
        let out = fail_on(severity);
        expect_code(&out, 0);
        let report = json(&out);
        assert_eq!(found(&report), [hit("aws-unique-id", "user.json", 1)], "{severity}");
        assert_eq!(report["findings"][0]["severity"], "low");
        assert_eq!(report["findings"][0]["secret"], USER_ID, "an identifier is not redacted");
    }

    // A high finding next to it fails again.
    std::fs::write(dir.path().join("creds"), credentials(KEY_ID, SECRET)).unwrap();
    expect_code(&fail_on("high"), 1);
    // Without the rule, the identifier is not reported at all.
    let out = run_in(dir.path(), &["scan", "user.json", "--format", "json"]);
    expect_code(&out, 0);
    assert_eq!(found(&json(&out)), []);
}

// ---------------------------------------------------------------- GitHub Action

fn repo_file(path: &str) -> String {
    read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
}

/// The `run: |` block of the step with `id: <id>` in action.yml, dedented.
fn action_script(action: &str, id: &str) -> String {
    let lines: Vec<&str> = action.lines().collect();
    let at =
        lines.iter().position(|l| l.trim() == format!("id: {id}")).unwrap_or_else(|| panic!("no step with id {id}"));
    let run = at + lines[at..].iter().position(|l| l.trim() == "run: |").expect("a run block");
    let key_indent = lines[run].len() - lines[run].trim_start().len();
    let body: Vec<&str> = lines[run + 1..]
        .iter()
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > key_indent)
        .copied()
        .collect();
    let indent = body
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .expect("a non-empty run block");
    body.iter().map(|l| l.get(indent..).unwrap_or("")).collect::<Vec<_>>().join("\n")
}

#[test]
fn action_yml_is_a_composite_action_with_the_ci_steps() {
    let action = repo_file("action.yml");
    for needle in [
        "using: composite",
        "cargo install --locked --path \"$GITHUB_ACTION_PATH\"",
        "github.event.pull_request.base.sha",
        "github.event.pull_request.head.sha",
        "github.event.before",
        "--range",
        "--since",
        "--history",
        "0000000000000000000000000000000000000000",
        "--format sarif",
        "--output",
        "github/codeql-action/upload-sarif@",
        "always()",
        "upload-sarif:",
        "sarif-file:",
        "fail-on:",
        "args:",
        "fetch-depth: 0",
        "exit \"$KEYFENCE_EXIT_CODE\"",
    ] {
        assert!(action.contains(needle), "action.yml lacks {needle:?}");
    }
    assert!(!action.contains('\t'), "YAML forbids tabs");
    // The scripts read inputs and event fields from env, never from ${{ }}
    // inside the script (script injection through branch names or inputs).
    for id in ["scan", "verdict"] {
        let script = action_script(&action, id);
        assert!(!script.contains("${{"), "step {id} expands expressions inline:\n{script}");
    }

    let docs = repo_file("docs/ci.md");
    for needle in [
        "fetch-depth: 0",
        "security-events: write",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA",
        "keyfence baseline",
        "--baseline",
    ] {
        assert!(docs.contains(needle), "docs/ci.md lacks {needle:?}");
    }
}

struct ActionRun {
    out: Output,
    outputs: String,
    sarif: Option<Value>,
}

/// Run the action's scan step as GitHub would (`bash -e -o pipefail`), in
/// `repo`, with the given event fields and inputs.
fn run_action_scan(repo: &Repo, env: &[(&str, &str)]) -> ActionRun {
    let script = action_script(&repo_file("action.yml"), "scan");
    let bin = Path::new(env!("CARGO_BIN_EXE_keyfence")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let github_output = repo.path().join(".github-output");
    std::fs::write(&github_output, "").unwrap();
    let _ = std::fs::remove_file(repo.path().join("keyfence.sarif"));
    let mut cmd = std::process::Command::new("bash");
    crate::util::git_env(&mut cmd);
    cmd.args(["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", &script])
        .current_dir(repo.path())
        .env("PATH", path)
        .env("GITHUB_OUTPUT", &github_output)
        .env("KEYFENCE_SARIF", "keyfence.sarif");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("bash runs");
    let sarif = std::fs::read_to_string(repo.path().join("keyfence.sarif")).ok().map(|t| parse(&t));
    ActionRun { outputs: read(&github_output), out, sarif }
}

impl ActionRun {
    fn exit_code(&self) -> &str {
        self.outputs
            .lines()
            .find_map(|l| l.strip_prefix("exit-code="))
            .unwrap_or_else(|| panic!("no exit-code output: {}\n{}", self.outputs, stderr(&self.out)))
    }

    fn results(&self) -> Vec<Value> {
        assert_code_scanning_ready(self.sarif.as_ref().expect("a SARIF file"))
    }
}

#[test]
fn action_scan_step_scans_the_pull_request_or_the_push() {
    let repo = Repo::new();
    let old = repo.commit_file("old.env", &credentials(KEY_ID_2, SECRET_2), "an old key");
    let base = repo.commit_file("README.md", "demo\n", "init");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let head = repo.commit_file("app.env", &credentials(KEY_ID, SECRET), "a new key");

    // pull_request: base...head, only the new key.
    let run = run_action_scan(
        &repo,
        &[("KEYFENCE_EVENT", "pull_request"), ("KEYFENCE_BASE_SHA", &base), ("KEYFENCE_HEAD_SHA", &head)],
    );
    assert!(run.out.status.success(), "the step itself succeeds: {}", stderr(&run.out));
    assert_eq!(run.exit_code(), "1");
    assert!(run.outputs.contains("sarif-file=keyfence.sarif"), "{}", run.outputs);
    let results = run.results();
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r["properties"]["commit"] == head.as_str()));
    let log = format!("{}{}", stdout(&run.out), stderr(&run.out));
    assert!(log.contains(&format!("--range {base}...{head}")), "{log}");
    assert!(log.contains("app.env") && log.contains(KEY_ID), "findings in the log: {log}");
    assert_redacted(&log, "the action's log");

    // push: since `before`.
    let run = run_action_scan(&repo, &[("KEYFENCE_EVENT", "push"), ("KEYFENCE_BEFORE", &base)]);
    assert_eq!(run.exit_code(), "1");
    assert_eq!(run.results().len(), 2);
    let run = run_action_scan(&repo, &[("KEYFENCE_EVENT", "push"), ("KEYFENCE_BEFORE", &head)]);
    assert_eq!(run.exit_code(), "0", "{}", stderr(&run.out));
    assert!(run.results().is_empty());

    // A new branch (before is all zeros) or an unknown `before` (force
    // push): the whole history, old key included.
    for before in ["0000000000000000000000000000000000000000", "1234567890abcdef1234567890abcdef12345678"] {
        let run = run_action_scan(&repo, &[("KEYFENCE_EVENT", "push"), ("KEYFENCE_BEFORE", before)]);
        assert_eq!(run.exit_code(), "1", "{}", stderr(&run.out));
        let commits: BTreeSet<String> =
            run.results().iter().map(|r| r["properties"]["commit"].as_str().unwrap().to_string()).collect();
        assert_eq!(commits, BTreeSet::from([old.clone(), head.clone()]), "{before}");
    }

    // Inputs: extra args (a baseline) and fail-on.
    expect_code(&repo.keyfence(&["baseline", "base.json", "--all-refs"]), 0);
    let pr = [
        ("KEYFENCE_EVENT", "pull_request"),
        ("KEYFENCE_BASE_SHA", base.as_str()),
        ("KEYFENCE_HEAD_SHA", head.as_str()),
    ];
    let mut env = pr.to_vec();
    env.push(("KEYFENCE_ARGS", "--baseline base.json"));
    let run = run_action_scan(&repo, &env);
    assert_eq!(run.exit_code(), "0", "{}", stderr(&run.out));
    repo.write("users.json", &format!("{{\"UserId\": \"{USER_ID}\"}}\n"));
    repo.git(&["add", "users.json"]);
    repo.git(&["commit", "-q", "-m", "user id"]);
    let head = repo.git(&["rev-parse", "HEAD"]);
    let mut env = pr.to_vec();
    env[2] = ("KEYFENCE_HEAD_SHA", head.as_str());
    env.push(("KEYFENCE_ARGS", "--baseline base.json --enable-rule aws-unique-id"));
    env.push(("KEYFENCE_FAIL_ON", "high"));
    let run = run_action_scan(&repo, &env);
    assert_eq!(run.exit_code(), "0", "{}", stderr(&run.out));
    assert_eq!(run.results().len(), 1, "the low finding is still uploaded");

    // An error is exit code 2, not a failed step: the upload still runs.
    let run = run_action_scan(
        &repo,
        &[("KEYFENCE_EVENT", "pull_request"), ("KEYFENCE_BASE_SHA", "no-such-ref"), ("KEYFENCE_HEAD_SHA", &head)],
    );
    assert!(run.out.status.success(), "{}", stderr(&run.out));
    assert_eq!(run.exit_code(), "2");
}

#[test]
fn action_verdict_step_fails_the_job_with_keyfences_exit_code() {
    let script = action_script(&repo_file("action.yml"), "verdict");
    for code in [0, 1, 2] {
        let out = std::process::Command::new("bash")
            .args(["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", &script])
            .env("KEYFENCE_EXIT_CODE", code.to_string())
            .output()
            .expect("bash runs");
        assert_eq!(out.status.code(), Some(code), "{}", stdout(&out));
    }
}

// ---------------------------------------------------------------- docs/ci.md

/// Every ```toml block of docs/ci.md is a valid `.keyfence.toml`, and the
/// reference names every key the implementation accepts.
#[test]
fn docs_config_examples_are_valid_and_complete() {
    let docs = repo_file("docs/ci.md");
    let blocks: Vec<&str> = docs.split("```toml\n").skip(1).map(|b| b.split("```").next().unwrap()).collect();
    assert!(!blocks.is_empty(), "docs/ci.md has toml examples");
    for block in &blocks {
        let repo = Repo::new();
        repo.write(".keyfence.toml", block);
        repo.write("creds", &credentials(KEY_ID, SECRET));
        let out = repo.keyfence(&["scan", "--format", "json"]);
        assert_ne!(code(&out), 2, "docs example rejected: {}\n{block}", stderr(&out));
    }
    let all = blocks.join("\n");
    for key in [
        "[[rules]]",
        "[allowlist]",
        "[options]",
        "paths",
        "regexes",
        "fingerprints",
        "fail-on",
        "enable-rules",
        "disable-rules",
        "max-blob-size",
        "id",
        "name",
        "severity",
        "kind",
        "enabled",
        "keywords",
        "keyword_case",
        "pattern",
        "min_entropy",
        "reject_hex",
        "reject_one_case",
        "ignore_suffixes",
        "ignore_substrings",
        "pair",
        "description",
        "references",
        "examples",
        "negative_examples",
    ] {
        assert!(all.contains(key), "no docs example sets {key}");
    }
}

// ---------------------------------------------------------------- QA regressions

/// A minified line longer than the 512-byte window: the git-secrets format
/// prints the window around the first value, and a second secret the window
/// cuts in half must not show its visible part (a search for the whole value
/// missed it, printing 23 of its 40 characters).
#[test]
fn git_secrets_format_redacts_a_secret_cut_by_the_long_line_window() {
    let dir = tempfile::tempdir().unwrap();
    for pad in [180, 200, 210, 220, 230] {
        let x = "x".repeat(pad);
        let line = format!("id={KEY_ID} {x} secret_key={SECRET} {x} secret_key={SECRET_2} {x}\n");
        std::fs::write(dir.path().join("bundle.min.js"), line).unwrap();
        let out = run_in(dir.path(), &["scan", "--format", "git-secrets"]);
        expect_code(&out, 1);
        let text = stdout(&out);
        assert!(text.contains(KEY_ID), "pad {pad}: the window is printed\n{text}");
        for secret in [SECRET, SECRET_2] {
            for cut in 5..=secret.len() {
                assert!(!text.contains(&secret[..cut]), "pad {pad}: {} of {secret} leaks\n{text}", &secret[..cut]);
            }
        }
    }
}

/// A project rule can match a short value; "the first four characters" of a
/// 4-character token is the whole token.
#[test]
fn short_values_of_project_rules_are_not_shown_whole() {
    let dir = tempfile::tempdir().unwrap();
    let rule = "[[rules]]\nid = \"pin\"\nname = \"Door PIN\"\nkeywords = [\"pin:\"]\npattern = 'pin:(?P<secret>[a-z0-9]{4,8})'\n";
    std::fs::write(dir.path().join(".keyfence.toml"), rule).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "pin:qz7w\npin:k3v8m2x9\n").unwrap();
    let report = json(&run_in(dir.path(), &["scan", "--format", "json"]));
    let shown: Vec<&str> =
        report["findings"].as_array().unwrap().iter().map(|f| f["secret"].as_str().unwrap()).collect();
    assert_eq!(shown, ["q…", "k3…"], "{report:#}");
    for format in ["json", "jsonl", "sarif", "git-secrets", "human"] {
        let out = run_in(dir.path(), &["scan", "--format", format]);
        expect_code(&out, 1);
        let text = stdout(&out);
        assert!(!text.contains("qz7") && !text.contains("k3v8"), "{format}:\n{text}");
    }
    // Long values keep their four characters, as documented.
    assert_eq!(json(&run_in(dir.path(), &["scan", "--format", "json"]))["findings"][1]["redacted"], true);
}

/// CircleCI, Travis and `docker run -t` run jobs on a pseudo-terminal whose
/// output is still stored as the job log: with `CI` set, a terminal does not
/// get full values. (Linux `script` provides the terminal.)
#[cfg(target_os = "linux")]
#[test]
fn a_ci_job_on_a_pseudo_terminal_gets_redacted_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("credentials"), credentials(KEY_ID, SECRET)).unwrap();
    let on_terminal = |ci: Option<&str>, format: &str| {
        let mut cmd = std::process::Command::new("script");
        let command = format!("{} scan --format {format} --color never .", env!("CARGO_BIN_EXE_keyfence"));
        cmd.args(["-qec", &command, "/dev/null"]).current_dir(dir.path()).env_remove("NO_COLOR").env_remove("CI");
        if let Some(ci) = ci {
            cmd.env("CI", ci);
        }
        let out = cmd.output().expect("script (util-linux) runs");
        expect_code(&out, 1);
        stdout(&out)
    };
    for format in ["human", "git-secrets"] {
        // The terminal is real: without CI, the person at it sees the value.
        assert!(on_terminal(None, format).contains(SECRET), "{format}");
        let text = on_terminal(Some("true"), format);
        assert!(!text.contains(&SECRET[..12]) && text.contains("9dKq…"), "{format}:\n{text}");
    }
}

/// A CI job keeps a jsonl or SARIF report, not always a json one: either
/// works as a baseline. What cannot be one exits 2 naming the file, and a
/// fingerprint that could never match is refused rather than ignored.
#[test]
fn baselines_from_jsonl_and_sarif_reports_and_bad_baselines() {
    let (repo, _) = repo_with_feature_key();
    let reports = tempfile::tempdir().unwrap();
    for format in ["json", "jsonl", "sarif"] {
        let file = reports.path().join(format!("report.{format}"));
        let out = repo.keyfence(&["scan", "--format", format, "--output", file.to_str().unwrap()]);
        expect_code(&out, 1);
        let out = repo.keyfence(&["scan", "--format", "json", "--baseline", file.to_str().unwrap()]);
        expect_code(&out, 0);
        assert!(found(&json(&out)).is_empty(), "{format}: {}", stdout(&out));
    }
    // Upper-case fingerprints (copied from elsewhere) match too; other
    // fields of a report are ignored.
    let report = json(&repo.keyfence(&["scan", "--format", "json"]));
    let upper: Vec<Value> = fingerprints(&report)
        .iter()
        .map(|f| serde_json::json!({ "fingerprint": f.to_uppercase(), "note": "reviewed" }))
        .collect();
    repo.write("upper.json", &serde_json::json!({ "findings": upper, "reviewer": "sec" }).to_string());
    expect_code(&repo.keyfence(&["scan", "--baseline", "upper.json"]), 0);

    let bad = [
        ("empty.json", "", "empty"),
        ("blank.json", "\n  \n", "empty"),
        ("text.json", "not json\n", "not a keyfence report"),
        ("array.json", "[]", "findings"),
        ("other.sarif", r#"{"runs":[{"tool":{"driver":{"name":"gitleaks"}},"results":[]}]}"#, "gitleaks"),
        ("short.json", r#"{"findings":[{"fingerprint":"3cdc32e5"}]}"#, "3cdc32e5"),
        ("number.json", r#"{"findings":[{"fingerprint":7}]}"#, "finding 1"),
        ("broken.jsonl", "{\"fingerprint\":\"3cdc32e5b4539d384273a4278c4d2943\"}\n{oops\n", "line 2"),
    ];
    for (name, text, needle) in bad {
        repo.write(name, text);
        let out = repo.keyfence(&["scan", "--exit-zero", "--format", "json", "--baseline", name]);
        expect_code(&out, 2);
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(name) && err.contains(needle), "{name}: {needle:?} not in {err}");
        assert_eq!(stdout(&out), "", "{name}");
    }
}

#[test]
fn config_allowlist_fingerprints_must_be_fingerprints() {
    let repo = repo_for_allowlist();
    let all = scan_with_config(&repo, "", &["."]);
    let report = json(&repo.keyfence(&["scan", "--format", "json", "--no-config"]));
    let fingerprint = report["findings"][0]["fingerprint"].as_str().unwrap().to_string();
    let config = format!("[allowlist]\nfingerprints = [\"{}\"]\n", fingerprint.to_uppercase());
    assert_eq!(scan_with_config(&repo, &config, &["."]).len(), all.len() - 1, "upper case matches");
    for wrong in [&fingerprint[..31], &format!("{fingerprint} "), "3cdc32e5b4539d384273a4278c4d294g"] {
        let config = format!("[allowlist]\nfingerprints = [\"{wrong}\"]\n");
        expect_config_error(&repo, &config, &[".keyfence.toml", "allowlist.fingerprints", wrong.trim()]);
    }
}

/// Code scanning places a result by its URI relative to the repository
/// root. A scan of the repository by absolute path, from a subdirectory, or
/// of `..` must not produce `/tmp/…/x` or `../x` URIs.
#[test]
fn sarif_uris_are_relative_to_the_repository_root_however_it_is_scanned() {
    let (repo, _) = repo_with_feature_key();
    repo.write("src/ünï code/.env", &format!("AWS_ACCESS_KEY_ID={KEY_ID_2}\n"));
    let root = repo.path().to_str().unwrap().to_string();
    let expected = BTreeSet::from(["config/prod%20creds.ini".to_string(), "src/%C3%BCn%C3%AF%20code/.env".to_string()]);
    let uris = |dir: &Path, args: &[&str]| {
        let mut all = vec!["scan", "--format", "sarif"];
        all.extend_from_slice(args);
        let mut cmd = crate::util::keyfence();
        crate::util::git_env(&mut cmd);
        let out = cmd.current_dir(dir).args(&all).output().unwrap();
        expect_code(&out, 1);
        let results = assert_code_scanning_ready(&parse(&stdout(&out)));
        sarif_hits(&results).into_iter().map(|h| h.1).collect::<BTreeSet<_>>()
    };
    let outside = tempfile::tempdir().unwrap();
    assert_eq!(uris(repo.path(), &[]), expected);
    assert_eq!(uris(repo.path(), &[&root]), expected);
    assert_eq!(uris(outside.path(), &[&root]), expected);
    assert_eq!(uris(&repo.path().join("config"), &[".."]), expected);
    assert_eq!(uris(&repo.path().join("src"), &[&format!("{root}/config"), &format!("{root}/src")]), expected);
}

/// A project rule may pair with another project rule whose value is a
/// token (docs/ci.md's own example). The pairing used to carry the token
/// whole in `paired_key_id`, SARIF `pairedKeyId` and the human report, which
/// also gave AWS `update-access-key` steps for it.
#[test]
fn a_secret_paired_with_a_token_does_not_print_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{CORP_RULE}\n[[rules]]\nid = \"corp-secret\"\nname = \"Corp secret\"\nkeywords = [\"corp_secret\"]\n\
         pattern = 'corp_secret\\s*=\\s*(?P<secret>[A-Za-z0-9]{{40}})'\n\
         pair = {{ with = \"corp-token\", lines = 3, pattern = '(?:^|[^A-Za-z0-9])(?P<secret>[A-Za-z0-9]{{40}})(?:[^A-Za-z0-9]|$)' }}\n"
    );
    std::fs::write(dir.path().join(".keyfence.toml"), config).unwrap();
    let partner = "Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7jKl0n";
    std::fs::write(dir.path().join("deploy.env"), format!("TOKEN={CORP_TOKEN}\nX={partner}\n")).unwrap();
    let report = json(&run_in(dir.path(), &["scan", "--format", "json"]));
    assert_eq!(found(&report), [hit("corp-secret", "deploy.env", 2), hit("corp-token", "deploy.env", 1)]);
    for format in ["json", "jsonl", "sarif", "human", "git-secrets"] {
        let out = run_in(dir.path(), &["scan", "--format", format]);
        expect_code(&out, 1);
        let text = stdout(&out);
        assert!(!text.contains(&CORP_TOKEN[..12]) && !text.contains(&partner[..12]), "{format}:\n{text}");
        assert!(!text.contains("update-access-key"), "{format}: a corp token is not an AWS key\n{text}");
    }
    // An AWS key id is still recorded as the pair of its secret.
    std::fs::write(dir.path().join("deploy.env"), credentials(KEY_ID, SECRET)).unwrap();
    let report = json(&run_in(dir.path(), &["scan", "--format", "json"]));
    assert_eq!(report["findings"][1]["paired_key_id"], KEY_ID, "{report:#}");
}

/// The Action uploads the SARIF before it fails the job, also on exit 2:
/// a report of an incomplete scan must say it is one (SARIF
/// `invocations[].executionSuccessful`), or its missing results read as
/// fixed alerts.
#[test]
fn sarif_of_an_incomplete_scan_says_so() {
    let (repo, _) = repo_with_feature_key();
    let out = repo.keyfence(&["scan", "--format", "sarif", ".", "no-such-dir"]);
    expect_code(&out, 2);
    let sarif = parse(&stdout(&out));
    assert_eq!(assert_code_scanning_ready(&sarif).len(), 3, "what was scanned is still reported");
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false, "{sarif:#}");
    let note = &invocation["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "error");
    assert!(note["message"]["text"].as_str().unwrap().contains("no-such-dir"), "{note}");

    let sarif = parse(&stdout(&repo.keyfence(&["scan", "--format", "sarif"])));
    assert_eq!(sarif["runs"][0]["invocations"][0]["executionSuccessful"], true, "{sarif:#}");
}

/// Two secrets on one line, one of them accepted (allowlist fingerprint or
/// baseline): the other is still reported, and the git-secrets format
/// prints the line. The accepted one is no finding, but it is still a
/// secret and must not appear whole in the log.
#[test]
fn git_secrets_format_redacts_a_suppressed_secret_on_a_reported_line() {
    let repo = Repo::new();
    repo.commit_file("two.env", &format!("secret_key={SECRET}; other_secret={SECRET_2}\n"), "two");
    let report = json(&repo.keyfence(&["scan", "--format", "json"]));
    assert_eq!(found(&report).len(), 2, "{report:#}");
    let accepted = report["findings"][0]["fingerprint"].as_str().unwrap().to_string();
    repo.write("base.json", &serde_json::json!({ "findings": [{ "fingerprint": accepted }] }).to_string());
    let config = format!("[allowlist]\nfingerprints = [\"{accepted}\"]\npaths = [\"base.json\"]\n");

    let by_baseline = repo.keyfence(&["scan", "--format", "git-secrets", "--baseline", "base.json", "two.env"]);
    repo.write(".keyfence.toml", &config);
    let by_allowlist = repo.keyfence(&["scan", "--format", "git-secrets", "--history"]);
    for out in [by_baseline, by_allowlist] {
        expect_code(&out, 1);
        let text = stdout(&out);
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(!text.contains(&SECRET[..12]) && !text.contains(&SECRET_2[..12]), "{text}");
        assert!(text.contains("secret_key=9dKq…; other_secret=Zr4/…"), "{text}");
    }
}
