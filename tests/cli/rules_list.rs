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
