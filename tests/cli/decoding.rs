//! Text, decoding, probes and scan cost (issue 17: 02, 08, 09, 10, 14, 18,
//! 27): UTF-16 files through the added-line filter, git's binary probe,
//! mark-less UTF-16, a leading `FF FE` that is not UTF-16, a closed standard
//! input, invisible characters in output, keyword-dense lines.

use std::path::Path;
use std::process::Command;

use crate::util::*;

const KEY_ID_RULE: &str = "aws-access-key-id";
const SECRET_RULE: &str = "aws-secret-access-key";

fn utf16le(text: &str, with_mark: bool) -> Vec<u8> {
    let mark: &[u8] = if with_mark { &[0xff, 0xfe] } else { &[] };
    [mark.to_vec(), text.encode_utf16().flat_map(u16::to_le_bytes).collect()].concat()
}

fn write_bytes(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// `(rule, path, line)` of a run's JSON report.
fn found_in(out: &std::process::Output) -> Vec<(String, String, u64)> {
    findings(&json(out))
}

fn hit(rule: &str, path: &str, line: u64) -> (String, String, u64) {
    (rule.to_string(), path.to_string(), line)
}

/// #27: bidi overrides (U+202E), isolates (U+2066), line and paragraph
/// separators (U+2028, U+2029) and zero-width characters in a path or a
/// matched line are escaped in every human output and on stderr.
#[test]
fn bidi_controls_and_line_separators_are_escaped_in_paths_and_lines() {
    let dir = tempfile::tempdir().unwrap();
    let line = format!("aws_access_key_id = {KEY_ID} \u{2029}\u{2066}x\n");
    for name in ["rtl\u{202e}ini.sj", "a\u{2028}keyfence: 0 findings.env", "zw\u{200b}.env"] {
        std::fs::write(dir.path().join(name), &line).unwrap();
    }
    let runs = [
        run_in(dir.path(), &["scan", ".", "--color", "never"]),
        run_in(dir.path(), &["scan", ".", "--format", "git-secrets", "--show-secrets"]),
        run_in(dir.path(), &["scan", ".", "--max-blob-size", "5"]),
    ];
    let all: String = runs.iter().map(|out| stdout(out) + &stderr(out)).collect();
    for raw in ['\u{202e}', '\u{2028}', '\u{2029}', '\u{2066}', '\u{200b}'] {
        assert!(!all.contains(raw), "raw U+{:04X} in output:\n{all}", raw as u32);
    }
    for escaped in ["rtl\\u{202e}ini.sj", "a\\u{2028}keyfence", "zw\\u{200b}.env"] {
        assert!(all.contains(escaped), "{escaped} missing:\n{all}");
    }
}

/// #08: git's `buffer_is_binary` looks at the first 8000 bytes
/// (`FIRST_FEW_BYTES`); a NUL at byte 8100 leaves the file text, one at
/// byte 7999 makes it binary, for keyfence as for `git grep -I`.
#[test]
fn a_nul_past_gits_first_8000_bytes_leaves_a_file_text() {
    let repo = Repo::new();
    let creds = credentials(KEY_ID, SECRET).into_bytes();
    for (name, nul_at) in [("late.log", 8100), ("early.log", 7999)] {
        let mut bytes = creds.clone();
        bytes.resize(nul_at, b'x');
        bytes.extend_from_slice(b"\0\nmore\n");
        write_bytes(repo.path(), name, &bytes);
    }
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "logs"]);
    let grep = repo.git_cmd().args(["grep", "-I", "-l", KEY_ID]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&grep.stdout).trim(), "late.log");
    let expected = [hit(KEY_ID_RULE, "late.log", 2), hit(SECRET_RULE, "late.log", 3)];
    for args in [&["scan", "."][..], &["scan", "--history"]] {
        let out = repo.keyfence(&[args, &["--format", "json"]].concat());
        assert_eq!(found_in(&out), expected, "{args:?}: {}", stderr(&out));
        assert_eq!(json(&out)["stats"]["skipped_binary"], 1, "{args:?}");
    }
}

/// #09: one U+3000, U+0100 or U+4E00 (a zero low byte) in mark-less UTF-16.
#[test]
fn utf16_without_a_mark_holding_a_u_xx00_character_is_scanned_as_text() {
    let dir = tempfile::tempdir().unwrap();
    for (name, comment) in [("space.ini", "; 配置\u{3000}文件"), ("latin.ini", "; Ā"), ("one.ini", "; 一")] {
        let text = format!("{comment}\r\n{}", credentials(KEY_ID, SECRET));
        write_bytes(dir.path(), name, &utf16le(&text, false));
        let out = run_in(dir.path(), &["scan", name, "--format", "json"]);
        assert_eq!(found_in(&out), [hit(KEY_ID_RULE, name, 3), hit(SECRET_RULE, name, 4)], "{}", stderr(&out));
    }
}

/// #10: `FF FE` at the start of a file without NULs (Latin-1 "ÿþ") is not
/// UTF-16, and ASCII lines a shell appended to a UTF-16 log stay ASCII.
#[test]
fn a_leading_ff_fe_does_not_hide_ascii_that_is_not_utf16() {
    let repo = Repo::new();
    let mut appended = utf16le("log start\r\n", true);
    appended.extend_from_slice(credentials(KEY_ID, SECRET).as_bytes());
    write_bytes(repo.path(), "deploy.log", &appended);
    write_bytes(
        repo.path(),
        "latin1.txt",
        &[b"\xff\xfe\n".as_slice(), credentials(KEY_ID_2, SECRET_2).as_bytes()].concat(),
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "logs"]);
    let expected = [
        hit(KEY_ID_RULE, "deploy.log", 3),
        hit(SECRET_RULE, "deploy.log", 4),
        hit(KEY_ID_RULE, "latin1.txt", 3),
        hit(SECRET_RULE, "latin1.txt", 4),
    ];
    for args in [&["scan", "."][..], &["scan", "--history"]] {
        let out = repo.keyfence(&[args, &["--format", "json"]].concat());
        assert_eq!(found_in(&out), expected, "{args:?}: {}", stderr(&out));
    }
}

/// #02: '上' (U+4E0A) and '《' (U+300A) put a 0x0A byte in a UTF-16 unit; the
/// added-line filter must split the decoded text, as the findings do.
#[test]
fn utf16_added_line_keeps_its_line_number_when_a_unit_holds_0x0a() {
    let repo = Repo::new();
    let before = "; 上传《配置》\r\n[default]\r\nregion = eu-west-1\r\n";
    write_bytes(repo.path(), "conf.ini", &utf16le(before, true));
    repo.git(&["add", "conf.ini"]);
    repo.git(&["commit", "-qm", "base"]);
    let base = repo.git(&["rev-parse", "HEAD"]);
    let after = format!(
        "; 上传《配置》\r\n[default]\r\naws_access_key_id = {KEY_ID}\r\naws_secret_access_key = {SECRET}\r\nregion = eu-west-1\r\n"
    );
    write_bytes(repo.path(), "conf.ini", &utf16le(&after, true));
    repo.git(&["add", "conf.ini"]);
    let expected = [hit(KEY_ID_RULE, "conf.ini", 3), hit(SECRET_RULE, "conf.ini", 4)];
    let staged = repo.keyfence(&["scan", "--staged", "--format", "json"]);
    assert_eq!(found_in(&staged), expected, "{}", stderr(&staged));
    repo.git(&["commit", "-qm", "key"]);
    let range = repo.keyfence(&["scan", "--range", &format!("{base}..HEAD"), "--format", "json"]);
    assert_eq!(found_in(&range), expected, "{}", stderr(&range));
    assert_eq!(code(&range), 1);
}

/// #14: `scan -` and `scan /dev/stdin` with standard input closed cannot
/// read what was asked: exit 2 naming standard input. An empty input
/// (`</dev/null`) is still clean.
#[test]
fn a_closed_standard_input_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    for (redirect, path, want) in
        [("<&-", "-", 2), ("<&-", "/dev/stdin", 2), ("</dev/null", "-", 0), ("</dev/null", "/dev/stdin", 0)]
    {
        let script = format!("exec \"$KF\" scan {path} {redirect}");
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script).env("KF", env!("CARGO_BIN_EXE_keyfence")).current_dir(dir.path());
        cmd.env_remove("CI").env_remove("NO_COLOR");
        let out = cmd.output().unwrap();
        assert_eq!(code(&out), want, "scan {path} {redirect}: {}", stderr(&out));
        if want == 2 {
            let err = stderr(&out);
            let lines: Vec<&str> = err.lines().filter(|l| l.contains("error")).collect();
            assert_eq!(lines.len(), 1, "{lines:?}");
            assert!(lines[0].contains("standard input"), "{lines:?}");
        }
    }
}

/// #18: a long line dense with a rule keyword costs a bounded search per
/// byte, not ~4 KB of regex work per hit (28 MB took 37 s before in a
/// release build), and the values on it are still found.
#[test]
fn a_keyword_dense_long_line_is_scanned_in_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut line = "secret ".repeat(150_000);
    line.push_str(&format!("aws_secret_access_key = {SECRET} "));
    line.push_str(&"secret ".repeat(150_000));
    line.push_str(&format!("secret_key: {SECRET_2}\n"));
    std::fs::write(dir.path().join("dense.txt"), &line).unwrap();
    let started = std::time::Instant::now();
    let out = run_in(dir.path(), &["scan", "dense.txt", "--format", "json", "--show-secrets"]);
    let took = started.elapsed();
    let report = json(&out);
    let secrets: Vec<&str> =
        report["findings"].as_array().unwrap().iter().map(|f| f["secret"].as_str().unwrap()).collect();
    assert_eq!(secrets, [SECRET, SECRET_2], "{}", stderr(&out));
    // Before: ~0.75 MB/s optimised, far slower in a debug build.
    assert!(took < std::time::Duration::from_secs(30), "2 MB took {took:?}");
}
