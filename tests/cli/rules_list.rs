//! `keyfence rules` as it ships: the rule list is a snapshot in
//! `fixtures/rules.snapshot`, so adding, renaming, re-rating or switching a
//! built-in rule on or off is a visible diff in review, not a silent change.

use crate::util::{code, fixtures, keyfence, stderr, stdout};

#[test]
fn the_rule_list_matches_its_snapshot() {
    let out = keyfence().arg("rules").output().expect("keyfence runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let path = fixtures().join("rules.snapshot");
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let actual = stdout(&out);
    assert!(
        actual == expected,
        "`keyfence rules` differs from {}.\nIf the change is intended, update the snapshot with\n    \
         cargo run -q -- rules > fixtures/rules.snapshot\nand review the diff.\n--- expected\n{expected}--- actual\n{actual}",
        path.display()
    );
}

/// `keyfence rules | head -1`: a reader that stops early is not an error
/// (as for ripgrep, `man` and `completions`).
#[test]
fn the_rule_list_into_a_closed_pipe_exits_zero_without_a_message() {
    let mut child = keyfence()
        .arg("rules")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("keyfence runs");
    // Close the reading end before keyfence has written anything.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("keyfence exits");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}
