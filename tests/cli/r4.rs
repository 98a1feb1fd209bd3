//! Detection precision and secrets in output (issue 17, part r4): the entropy
//! floor of 40-character secrets, JSON-escaped slashes, CR-only line endings,
//! git-secrets rule names that are literal secrets, every copy of a secret on a
//! printed line, and `secrets.providers` commands that hang or flood.

use crate::util::{code, findings, json, run_in, stderr};

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
