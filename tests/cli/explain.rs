//! The newcomer's and the incident responder's commands: `explain`, help,
//! completions and the man page.

use crate::util::{code, keyfence, stderr, stdout};

fn run(args: &[&str]) -> std::process::Output {
    keyfence().args(args).output().unwrap()
}

#[test]
fn explain_a_temporary_key_decodes_the_account_and_fills_in_the_commands() {
    let out = run(&["explain", "ASIAY34FZKBOKMUTVV7A"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(text.contains("609629065308"), "{text}");
    assert!(text.contains("temporary"), "{text}");
    // The cut-off (deactivate) step and CloudTrail both name the id.
    let steps: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with('$')).collect();
    assert!(steps[0].contains("AttributeValue=ASIAY34FZKBOKMUTVV7A") && steps[0].contains("AWSRevokeOlderSessions"));
    assert!(text.contains("aws cloudtrail lookup-events") && text.contains("--region"));
    assert!(text.contains("Why:"));
}

#[test]
fn explain_a_long_lived_key_says_deactivate_before_delete() {
    let text = stdout(&run(&["explain", "AKIAY34FZKBOKMUTVV7A"]));
    let deactivate =
        text.find("aws iam update-access-key --access-key-id AKIAY34FZKBOKMUTVV7A --status Inactive").unwrap();
    let delete = text.find("aws iam delete-access-key --access-key-id AKIAY34FZKBOKMUTVV7A").unwrap();
    assert!(deactivate < delete, "{text}");
    assert!(text.contains("AttributeKey=AccessKeyId,AttributeValue=AKIAY34FZKBOKMUTVV7A"));
    for topic in ["instances", "spot", "bill", "budget", "IAM roles", "MFA"] {
        assert!(text.contains(topic), "{topic} missing:\n{text}");
    }
}

#[test]
fn explain_the_documentation_example_and_legacy_ids() {
    let text = stdout(&run(&["explain", "AKIAIOSFODNN7EXAMPLE"]));
    assert!(text.contains("documentation example"), "{text}");
    let text = stdout(&run(&["explain", "AKIAJQ6YZ5RTNMZ2KX4E"]));
    assert!(text.contains("not encoded") && text.contains("get-access-key-info"), "{text}");
    let out = run(&["explain", "hello"]);
    assert_eq!(code(&out), 2);
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[test]
fn completions_and_man_page_generate() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = run(&["completions", shell]);
        assert_eq!(code(&out), 0, "{shell}");
        assert!(stdout(&out).contains("keyfence"), "{shell}");
    }
    let man = stdout(&run(&["man"]));
    assert!(man.contains(".TH keyfence 1"), "{man}");
    // keyfence(1) points to keyfence-scan(1) and the others: they exist.
    assert!(man.contains("keyfence\\-scan(1)"), "{man}");
    let scan = stdout(&run(&["man", "scan"]));
    assert!(scan.contains(".TH keyfence-scan 1") && scan.contains("\\-\\-staged"), "{scan}");
    let unknown = run(&["man", "nope"]);
    assert_eq!(code(&unknown), 2);
    assert!(stderr(&unknown).contains("nope") && stderr(&unknown).contains("scan"), "{}", stderr(&unknown));
}

#[test]
fn every_subcommand_has_examples_and_typos_get_suggestions() {
    for sub in ["scan", "baseline", "hook", "install", "uninstall", "explain", "completions", "man", "rules"] {
        let help = stdout(&run(&[sub, "--help"]));
        assert!(help.contains("Example"), "{sub} --help has no example:\n{help}");
    }
    let typo = run(&["sacn"]);
    assert_eq!(code(&typo), 2);
    assert!(stderr(&typo).contains("scan"), "{}", stderr(&typo));
    let flag = run(&["scan", "--stagd"]);
    assert_eq!(code(&flag), 2);
    assert!(stderr(&flag).contains("--staged"), "{}", stderr(&flag));
}

#[test]
fn quiet_and_color_conventions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("k"), "AKIA2E3MTGS5LTN4WCQV\n").unwrap();
    let quiet = keyfence().current_dir(dir.path()).args(["scan", "-q"]).output().unwrap();
    assert_eq!((code(&quiet), stdout(&quiet).as_str()), (1, ""));
    let always = keyfence().current_dir(dir.path()).args(["scan", "--color", "always"]).output().unwrap();
    assert!(stdout(&always).contains("\x1b["));
    let piped = keyfence().current_dir(dir.path()).args(["scan"]).output().unwrap();
    assert!(!stdout(&piped).contains("\x1b["), "no colour when piped");
}

/// A key id lower-cased or padded on its way through a chat or a ticket is
/// still explained, with the commands in AWS's spelling.
#[test]
fn explain_accepts_a_lower_case_or_padded_key_id() {
    for input in ["akiay34fzkbokmutvv7a", "  AKIAY34FZKBOKMUTVV7A\n", "AkIaY34FZKBOKMUTVV7A"] {
        let out = run(&["explain", input]);
        assert_eq!(code(&out), 0, "{input:?}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("609629065308"), "{input:?}: {text}");
        assert!(text.contains("--access-key-id AKIAY34FZKBOKMUTVV7A --status Inactive"), "{input:?}: {text}");
    }
}

/// Ids the scanner never reports (0, 1, 8, 9 are outside AWS's base32) are
/// not explained as leaked keys; the documentation examples still are.
#[test]
fn explain_rejects_an_id_outside_the_key_alphabet() {
    let out = run(&["explain", "AKIA0Q8ZR9T1MWXK4PLN"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("AKIA0Q8ZR9T1MWXK4PLN") && err.contains("2-7"), "{err}");
    assert_eq!(stdout(&out), "");
    let out = run(&["explain", "AKIAI44QH8DHBEXAMPLE"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("documentation example"));
    for garbage in ["", "   ", "garbage!!", "AKIA"] {
        let out = run(&["explain", garbage]);
        assert_eq!(code(&out), 2, "{garbage:?}");
        assert_eq!(stderr(&out).lines().count(), 1, "{garbage:?}: {}", stderr(&out));
    }
}

/// A role or user id is an identifier: `update-access-key` on it fails, and
/// "treat it as compromised" sends the responder the wrong way.
#[test]
fn explain_an_identifier_gives_no_rotation_steps() {
    let out = run(&["explain", "AROAQW6YJ5RTNMZ2KX4E"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("role") && text.contains("not a credential"), "{text}");
    assert!(!text.contains("update-access-key") && !text.contains("compromised"), "{text}");
}

/// The fingerprint of a real finding, taken from a JSON report, is explained.
#[test]
fn explain_a_fingerprint_from_a_json_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("k"), "AKIA2E3MTGS5LTN4WCQV\n").unwrap();
    let out = keyfence().current_dir(dir.path()).args(["scan", "--format", "json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fingerprint = report["findings"][0]["fingerprint"].as_str().unwrap().to_string();
    for input in [fingerprint.clone(), fingerprint.to_uppercase(), format!(" {fingerprint}\n")] {
        let out = run(&["explain", &input]);
        assert_eq!(code(&out), 0, "{input:?}: {}", stderr(&out));
        assert!(stdout(&out).contains("fingerprint"), "{input:?}");
    }
}
