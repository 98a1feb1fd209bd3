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
