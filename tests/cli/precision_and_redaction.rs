//! Detection precision and secrets in output (issue 17, part r4): the entropy
//! floor of 40-character secrets, JSON-escaped slashes, CR-only line endings,
//! git-secrets rule names that are literal secrets, every copy of a secret on a
//! printed line, and `secrets.providers` commands that hang or flood.

use std::process::Command;

use crate::util::{code, credentials, findings, git_env, json, keyfence, run_in, stderr, stdout, Repo, KEY_ID, SECRET};

/// A random draw of 40 base64 characters with entropy 4.10 bits (#17/06).
const LOW_ENTROPY_RANDOM_SECRET: &str = "AYoW86e1dffYrYeffKIyeTDrRoeYz3AppaAfIpY3";

#[test]
fn random_secret_just_under_the_old_entropy_floor_is_found() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), format!("AWS_SECRET_ACCESS_KEY={LOW_ENTROPY_RANDOM_SECRET}\n")).unwrap();
    let out = run_in(dir.path(), &["scan", ".env", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(findings(&json(&out)), [("aws-secret-access-key".to_string(), ".env".to_string(), 1)]);
}

/// A repository whose `secrets.providers` is git-secrets' `--aws-provider`,
/// reading a credentials file that holds `SECRET`, and a commit holding it.
fn repo_with_aws_provider() -> (Repo, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(home.path().join(".aws/credentials"), credentials(KEY_ID, SECRET)).unwrap();
    let repo = Repo::new();
    repo.git(&["config", "--add", "secrets.providers", "git secrets --aws-provider"]);
    repo.commit_file("deploy.yml", &format!("deploy:\n  key: {SECRET}\n"), "deploy");
    (repo, home)
}

#[test]
fn provider_pattern_that_is_a_literal_secret_never_reaches_machine_output() {
    let (repo, home) = repo_with_aws_provider();
    for format in ["json", "jsonl", "sarif", "human", "git-secrets"] {
        let out = in_repo(&repo)
            .env("HOME", home.path())
            .env("CI", "true")
            .args(["scan", ".", "--format", format])
            .output()
            .unwrap();
        assert_eq!(code(&out), 1, "{format}: {}", stderr(&out));
        let printed = stdout(&out).replace('\\', "") + &stderr(&out);
        assert!(!printed.contains(SECRET), "--format {format} printed the secret:\n{printed}");
        if format == "json" {
            let names: Vec<String> = json(&out)["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["rule_name"].as_str().unwrap().to_string())
                .filter(|name| name.starts_with("git-secrets"))
                .collect();
            assert!(!names.is_empty() && names.iter().all(|n| n.starts_with("git-secrets pattern #")), "{names:?}");
        }
    }
}

/// keyfence in `repo` with the hermetic git environment, to add to.
fn in_repo(repo: &Repo) -> Command {
    let mut cmd = keyfence();
    git_env(&mut cmd);
    cmd.current_dir(repo.path());
    cmd
}

/// A repository with the credentials staged and `secrets.providers` set to `provider`.
fn staged_with_provider(provider: &str) -> Repo {
    let repo = Repo::new();
    repo.commit_file("README", "hi\n", "base");
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    repo.git(&["config", "secrets.providers", provider]);
    repo
}

#[test]
fn provider_command_that_hangs_is_killed_after_five_seconds_with_exit_2() {
    let repo = staged_with_provider("sleep 60");
    let started = std::time::Instant::now();
    let out = repo.keyfence(&["scan", "--staged"]);
    let elapsed = started.elapsed();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(elapsed < std::time::Duration::from_secs(30), "{elapsed:?}");
    assert!(elapsed >= std::time::Duration::from_secs(4), "{elapsed:?}");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("'sleep 60'") && err.contains("did not finish within 5 s"), "{err}");
}

#[test]
fn provider_command_output_is_capped_at_one_mebibyte_and_a_pattern_at_4_kib() {
    for (provider, says) in [
        ("python3 -c 'print(\"a\"*20000000)'", "printed more than 1048576 bytes"),
        ("python3 -c 'print(\"a\"*5000)'", "a pattern of 5000 bytes (at most 4096"),
    ] {
        let repo = staged_with_provider(provider);
        let out = repo.keyfence(&["scan", "--staged"]);
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.len() < 1000 && err.lines().count() == 1, "{err}");
        assert!(err.contains(provider) && err.contains(says), "{err}");
    }
}

#[test]
fn git_secrets_format_redacts_a_second_copy_of_a_secret_on_the_printed_line() {
    let dir = tempfile::tempdir().unwrap();
    let line = format!("aws_secret_access_key = {SECRET}  # previous value was {SECRET}\n");
    std::fs::write(dir.path().join("a.ini"), &line).unwrap();
    let out = keyfence()
        .current_dir(dir.path())
        .env("CI", "true")
        .args(["scan", "a.ini", "--format", "git-secrets"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(stdout(&out), "a.ini:1:aws_secret_access_key = 9dKq…  # previous value was 9dKq…\n");
}

#[test]
fn cr_only_line_endings_keep_an_allow_marker_on_its_own_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "# the example below is fake: keyfence:allow\r[prod]\raws_access_key_id = {KEY_ID}\raws_secret_access_key = {SECRET}\r"
    );
    std::fs::write(dir.path().join("prod.ini"), text).unwrap();
    let out = run_in(dir.path(), &["scan", "prod.ini", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let found = findings(&json(&out));
    let lines: Vec<(&str, u64)> = found.iter().map(|(rule, _, line)| (rule.as_str(), *line)).collect();
    assert_eq!(lines, [("aws-access-key-id", 3), ("aws-secret-access-key", 4)]);
}

#[test]
fn cr_only_file_staged_reports_only_the_added_cr_line() {
    let repo = Repo::new();
    repo.commit_file("prod.ini", &format!("[prod]\raws_access_key_id = {KEY_ID}\r"), "id only");
    repo.write("prod.ini", &format!("[prod]\raws_access_key_id = {KEY_ID}\raws_secret_access_key = {SECRET}\r"));
    repo.git(&["add", "prod.ini"]);
    let out = repo.keyfence(&["scan", "--staged", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(findings(&json(&out)), [("aws-secret-access-key".to_string(), "prod.ini".to_string(), 3)]);
}

#[test]
fn json_escaped_slash_inside_a_secret_is_found_as_the_same_secret() {
    let dir = tempfile::tempdir().unwrap();
    let escaped = SECRET.replace('/', "\\/");
    std::fs::write(dir.path().join("plain.json"), format!("{{\"SecretAccessKey\":\"{SECRET}\"}}\n")).unwrap();
    std::fs::write(dir.path().join("php.json"), format!("{{\"SecretAccessKey\":\"{escaped}\"}}\n")).unwrap();
    let report = |file: &str, show: bool| {
        let mut args = vec!["scan", file, "--format", "json"];
        if show {
            args.push("--show-secrets");
        }
        let out = run_in(dir.path(), &args);
        assert_eq!(code(&out), 1, "{file}: {}", stderr(&out));
        json(&out)["findings"][0].clone()
    };
    let (plain, php) = (report("plain.json", false), report("php.json", false));
    assert_eq!(php["rule"], "aws-secret-access-key");
    assert_eq!(php["fingerprint"], plain["fingerprint"], "the same secret, so the same baseline entry");
    assert_eq!(php["secret"], plain["secret"]);
    assert_eq!(report("php.json", true)["secret"], SECRET, "--show-secrets shows the value it stands for");
}
