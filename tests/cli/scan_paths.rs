//! `keyfence scan [PATH...]` over plain files and directories: what the walk
//! includes and skips, the report formats and destinations, and the exit
//! codes (0 clean, 1 findings, 2 error).

use std::path::Path;

use tempfile::TempDir;

use crate::util::{code, credentials, json, run_in, stderr, stdout, Repo, KEY_ID, KEY_ID_2, SECRET, SECRET_2};

const KEY_ID_RULE: &str = "aws-access-key-id";
const SECRET_RULE: &str = "aws-secret-access-key";

/// AWS documentation examples: look like credentials, never findings.
const DOC_EXAMPLES: &str = "# From the AWS CLI guide\n\
    aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n\
    aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
    aws_access_key_id = AKIAI44QH8DHBEXAMPLE\n";
/// The SHA-1 of the empty blob under a key-like name.
const SHA1_UNDER_KEY_NAME: &str = "secret_key = \"da39a3ee5e6b4b0d3255bfef95601890afd80709\"\n";
/// Key-id shaped, but 0, 1, 8 and 9 are outside base32.
const NON_BASE32_ID: &str = "ticket = AKIA0Q8ZR9T1MWXK4PLN\n";

fn tempdir() -> TempDir {
    tempfile::tempdir().expect("tempdir")
}

fn write(dir: &Path, path: &str, content: impl AsRef<[u8]>) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, content).unwrap();
}

/// `(rule, path, line)` of every finding, paths without the leading `./`
/// that scanning `.` gives them, sorted.
fn found(report: &serde_json::Value) -> Vec<(String, String, u64)> {
    let mut found: Vec<_> = crate::util::findings(report)
        .into_iter()
        .map(|(rule, path, line)| {
            let path = path.strip_prefix("./").unwrap_or(&path).to_string();
            (rule, path, line)
        })
        .collect();
    found.sort();
    found
}

fn hit(rule: &str, path: &str, line: u64) -> (String, String, u64) {
    (rule.to_string(), path.to_string(), line)
}

fn stat(report: &serde_json::Value, name: &str) -> u64 {
    report["stats"][name].as_u64().unwrap_or_else(|| panic!("no stats.{name} in {report}"))
}

/// The README's promise: a credentials file in a hidden directory is found
/// at its lines; documentation examples, SHA-1s and non-base32 ids are not.
#[test]
fn a_directory_with_a_credentials_file_reports_its_key_and_secret_only() {
    let dir = tempdir();
    write(dir.path(), ".aws/credentials", credentials(KEY_ID, SECRET));
    write(dir.path(), "docs/setup.md", DOC_EXAMPLES);
    write(dir.path(), "signing.ini", SHA1_UNDER_KEY_NAME);
    write(dir.path(), "tickets.txt", NON_BASE32_ID);

    let out = run_in(dir.path(), &["scan", ".", "--format", "json", "--show-secrets"]);
    let report = json(&out);
    assert_eq!(
        found(&report),
        [hit(KEY_ID_RULE, ".aws/credentials", 2), hit(SECRET_RULE, ".aws/credentials", 3)],
        "{}",
        stderr(&out)
    );
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings[0]["secret"], KEY_ID);
    assert_eq!(findings[1]["secret"], SECRET);
    assert_eq!(findings[1]["paired_key_id"], KEY_ID);
    assert_eq!(code(&out), 1);
    assert_eq!(stat(&report, "blobs_scanned"), 4);
}

#[test]
fn a_clean_directory_exits_0() {
    let dir = tempdir();
    write(dir.path(), "docs/setup.md", DOC_EXAMPLES);
    write(dir.path(), "signing.ini", SHA1_UNDER_KEY_NAME);
    write(dir.path(), "src/main.py", "import os\nkey = os.environ[\"AWS_SECRET_ACCESS_KEY\"]\n");
    let out = run_in(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(found(&json(&out)), []);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let empty = tempdir();
    let out = run_in(empty.path(), &["scan"]);
    assert_eq!(code(&out), 0, "an empty directory: {}", stderr(&out));
}

#[test]
fn no_path_scans_the_current_directory() {
    let dir = tempdir();
    write(dir.path(), "deploy/.env", format!("AWS_ACCESS_KEY_ID={KEY_ID}\n"));
    let out = run_in(dir.path(), &["scan", "--format", "json"]);
    assert_eq!(found(&json(&out)), [hit(KEY_ID_RULE, "deploy/.env", 1)]);
    assert_eq!(code(&out), 1);
}

#[test]
fn a_missing_path_exits_2_and_is_named() {
    let dir = tempdir();
    let out = run_in(dir.path(), &["scan", "no-such-dir/creds.txt"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no-such-dir/creds.txt"), "{}", stderr(&out));

    // Errors win over findings: the scan goes on, but the run is incomplete.
    write(dir.path(), "found/credentials", credentials(KEY_ID, SECRET));
    let out = run_in(dir.path(), &["scan", "found", "gone", "--format", "json"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("gone"), "{}", stderr(&out));
    assert_eq!(found(&json(&out)).len(), 2, "findings of the readable path are still reported");
}

#[test]
fn an_unknown_flag_exits_2() {
    let dir = tempdir();
    let out = run_in(dir.path(), &["scan", "--no-such-flag", "."]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--no-such-flag"), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
}

/// Ignore rules apply in a git repository and in a plain directory (an
/// unpacked tarball) alike; `--no-ignore` scans everything.
#[test]
fn gitignored_files_are_skipped_unless_no_ignore() {
    let repo = Repo::new();
    let plain = tempdir();
    for dir in [repo.path(), plain.path()] {
        write(dir, ".gitignore", "*.local\n");
        write(dir, "prod.env.local", credentials(KEY_ID, SECRET));
        write(dir, "app.py", "print('hello')\n");

        let out = run_in(dir, &["scan", ".", "--format", "json"]);
        let report = json(&out);
        assert_eq!(found(&report), [], "{}", dir.display());
        assert_eq!(code(&out), 0, "{}", stderr(&out));

        let out = run_in(dir, &["scan", ".", "--no-ignore", "--format", "json"]);
        assert_eq!(
            found(&json(&out)),
            [hit(KEY_ID_RULE, "prod.env.local", 2), hit(SECRET_RULE, "prod.env.local", 3)],
            "{}",
            dir.display()
        );
        assert_eq!(code(&out), 1);
    }
}

#[test]
fn git_directory_contents_are_skipped() {
    let dir = tempdir();
    write(dir.path(), ".git/COMMIT_EDITMSG", format!("rotate {KEY_ID}\n"));
    write(dir.path(), ".git/config", credentials(KEY_ID, SECRET));
    write(dir.path(), "sub/.git/ORIG_HEAD", credentials(KEY_ID_2, SECRET_2));
    write(dir.path(), "README.md", "nothing here\n");
    let out = run_in(dir.path(), &["scan", ".", "--format", "json"]);
    let report = json(&out);
    assert_eq!(found(&report), []);
    assert_eq!(stat(&report, "blobs_scanned"), 1);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn binary_files_are_skipped_and_counted() {
    let dir = tempdir();
    let mut blob = b"\x7fELF\x02\x01\x01\x00\x00\x00".to_vec();
    blob.extend_from_slice(credentials(KEY_ID, SECRET).as_bytes());
    write(dir.path(), "bin/tool", blob);
    let out = run_in(dir.path(), &["scan", ".", "--format", "json"]);
    let report = json(&out);
    assert_eq!(found(&report), []);
    assert_eq!(stat(&report, "skipped_binary"), 1);
    assert_eq!(stat(&report, "blobs_scanned"), 0);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// Only a NUL in the first 8 KB makes a file binary, as for git and grep.
#[test]
fn a_nul_after_the_first_8_kb_does_not_make_a_file_binary() {
    let dir = tempdir();
    let mut text = credentials(KEY_ID, SECRET).into_bytes();
    text.extend(std::iter::repeat_n(b"filler line\n".as_slice(), 800).flatten());
    text.push(0);
    assert!(text.len() > 8 * 1024 + 1);
    write(dir.path(), "late-nul.log", text);
    let out = run_in(dir.path(), &["scan", ".", "--format", "json"]);
    let report = json(&out);
    assert_eq!(found(&report), [hit(KEY_ID_RULE, "late-nul.log", 2), hit(SECRET_RULE, "late-nul.log", 3)]);
    assert_eq!(stat(&report, "skipped_binary"), 0);
}

#[test]
fn non_utf8_and_crlf_files_are_reported_at_the_right_line() {
    let dir = tempdir();
    let mut latin1 = b"# Zugangsdaten f\xfcr S3 (Latin-1)\n\xff\xfe\xc3\x28 broken bytes\n".to_vec();
    latin1.extend_from_slice(format!("aws.accessKeyId={KEY_ID}\naws.secretKey={SECRET}\n").as_bytes());
    write(dir.path(), "latin1.properties", latin1);
    let crlf = credentials(KEY_ID_2, SECRET_2).replace('\n', "\r\n");
    write(dir.path(), "windows.ini", crlf);

    let out = run_in(dir.path(), &["scan", ".", "--format", "json", "--show-secrets"]);
    let report = json(&out);
    assert_eq!(
        found(&report),
        [
            hit(KEY_ID_RULE, "latin1.properties", 3),
            hit(KEY_ID_RULE, "windows.ini", 2),
            hit(SECRET_RULE, "latin1.properties", 4),
            hit(SECRET_RULE, "windows.ini", 3),
        ]
    );
    for finding in report["findings"].as_array().unwrap() {
        let want = match (finding["path"].as_str().unwrap(), finding["rule"].as_str().unwrap()) {
            (p, KEY_ID_RULE) if p.ends_with("latin1.properties") => (KEY_ID, 17),
            (_, KEY_ID_RULE) => (KEY_ID_2, 21),
            (p, _) if p.ends_with("latin1.properties") => (SECRET, 15),
            _ => (SECRET_2, 25),
        };
        // No `\r` or stray bytes in the value, and byte columns.
        assert_eq!(finding["secret"], want.0, "{finding}");
        assert_eq!(finding["column"], want.1, "{finding}");
    }
    assert_eq!(code(&out), 1);
}

#[test]
fn output_writes_the_report_to_the_file() {
    let dir = tempdir();
    write(dir.path(), ".aws/credentials", credentials(KEY_ID, SECRET));
    let reports = tempdir();
    let path = reports.path().join("report.json");
    let out = run_in(dir.path(), &["scan", ".", "--format", "json", "--output", path.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    let written = std::fs::read_to_string(&path).expect("report written");
    let report: serde_json::Value = serde_json::from_str(&written).expect("a JSON report");
    assert_eq!(report["version"], 1);
    assert_eq!(found(&report).len(), 2);
    assert!(!written.contains(SECRET), "a report file is redacted like stdout");
}

#[test]
fn jsonl_gives_one_object_per_finding() {
    let dir = tempdir();
    write(dir.path(), ".aws/credentials", credentials(KEY_ID, SECRET));
    write(dir.path(), "ci/.env", format!("AWS_ACCESS_KEY_ID={KEY_ID_2}\n"));
    let out = run_in(dir.path(), &["scan", ".", "--format", "jsonl"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    let mut rules = Vec::new();
    for line in lines {
        let value: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(value.is_object(), "{line}");
        assert!(value["path"].is_string() && value["line"].is_u64(), "{line}");
        rules.push(value["rule"].as_str().unwrap().to_string());
    }
    rules.sort();
    assert_eq!(rules, [KEY_ID_RULE, KEY_ID_RULE, SECRET_RULE]);
}

#[test]
fn quiet_prints_nothing_but_keeps_the_exit_code() {
    let dir = tempdir();
    write(dir.path(), ".aws/credentials", credentials(KEY_ID, SECRET));
    for format in ["human", "json", "jsonl"] {
        let out = run_in(dir.path(), &["scan", "-q", "--format", format, "."]);
        assert_eq!(stdout(&out), "", "--format {format}");
        assert_eq!(code(&out), 1, "--format {format}: {}", stderr(&out));
    }
    let clean = tempdir();
    write(clean.path(), "a.txt", "hello\n");
    let out = run_in(clean.path(), &["scan", "-q"]);
    assert_eq!((stdout(&out).as_str(), code(&out)), ("", 0));
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_exits_2_and_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    write(dir.path(), "locked.env", credentials(KEY_ID, SECRET));
    write(dir.path(), "open.env", format!("AWS_ACCESS_KEY_ID={KEY_ID_2}\n"));
    let locked = dir.path().join("locked.env");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&locked).is_ok() {
        eprintln!("skipped: this user (root?) can read a mode-000 file");
        return;
    }
    let out = run_in(dir.path(), &["scan", ".", "--format", "json"]);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("locked.env"), "{}", stderr(&out));
    assert_eq!(found(&json(&out)), [hit(KEY_ID_RULE, "open.env", 1)], "the rest is still scanned");
}

#[test]
fn files_over_max_blob_size_are_skipped_named_and_counted() {
    let dir = tempdir();
    write(dir.path(), "big/credentials", credentials(KEY_ID, SECRET));
    write(dir.path(), "tiny.txt", "hello\n");
    let out = run_in(dir.path(), &["scan", ".", "--max-blob-size", "10", "--format", "json"]);
    let report = json(&out);
    assert_eq!(found(&report), []);
    assert_eq!(stat(&report, "skipped_too_large"), 1);
    assert_eq!(stat(&report, "blobs_scanned"), 1, "files up to the limit are scanned");
    assert!(stderr(&out).contains("big/credentials"), "{}", stderr(&out));
    let skipped = report["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{report}");
    assert!(skipped[0]["path"].as_str().unwrap().ends_with("big/credentials"));
    // Skipping is reported, not an error: nothing unreadable, nothing found.
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// Run keyfence in `dir` with `stdin` as its standard input.
fn run_with_stdin(dir: &Path, args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = crate::util::keyfence()
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// Start keyfence in `dir`, its output captured, without waiting for it.
fn spawn_in(dir: &Path, args: &[&str]) -> std::process::Child {
    crate::util::keyfence()
        .current_dir(dir)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait for `child` at most `seconds`; a hang is a failure, not a stuck test run.
fn wait_bounded(mut child: std::process::Child, seconds: u64) -> std::process::Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("keyfence did not finish within {seconds}s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// `-`, `/dev/stdin` and named pipes given on the command line used to be
/// dropped by the walker without a word: 0 blobs scanned, exit 0, with a key
/// in them. They are read like ripgrep reads them.
#[cfg(unix)]
#[test]
fn standard_input_and_named_pipes_given_as_paths_are_scanned() {
    let dir = tempdir();
    let key = format!("aws_access_key_id = {KEY_ID}\n");
    for path in ["-", "/dev/stdin"] {
        let out = run_with_stdin(dir.path(), &["scan", path, "--format", "json"], key.as_bytes());
        assert_eq!(code(&out), 1, "{path}: {}", stderr(&out));
        let report = json(&out);
        let want = if path == "-" { "<stdin>" } else { path };
        assert_eq!(found(&report), [hit(KEY_ID_RULE, want, 1)], "{path}");
    }
    // The size cap holds for a stream, which has no size to check up front.
    let out = run_with_stdin(dir.path(), &["scan", "-", "--max-blob-size", "10", "--format", "json"], key.as_bytes());
    assert_eq!((code(&out), stat(&json(&out), "skipped_too_large")), (0, 1), "{}", stderr(&out));

    let fifo = dir.path().join("pipe");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let child = spawn_in(dir.path(), &["scan", "pipe", "--format", "json"]);
    std::fs::write(&fifo, &key).unwrap();
    let out = wait_bounded(child, 30);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(found(&json(&out)), [hit(KEY_ID_RULE, "pipe", 1)]);

    // Inside a directory walk a pipe nobody writes to is not waited on.
    write(dir.path(), "a.txt", "hello\n");
    let child = spawn_in(dir.path(), &["scan", ".", "--format", "json"]);
    let out = wait_bounded(child, 30);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stat(&json(&out), "blobs_scanned"), 1);
}

/// An endless device is read only as far as the binary probe, not forever.
#[cfg(unix)]
#[test]
fn an_endless_binary_stream_is_skipped_after_the_probe() {
    let dir = tempdir();
    let child = spawn_in(dir.path(), &["scan", "/dev/zero", "--format", "json"]);
    let out = wait_bounded(child, 30);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stat(&json(&out), "skipped_binary"), 1);
}

/// UTF-16 without a byte-order mark (.NET's `Encoding.Unicode`) was skipped
/// as binary, hiding the key; a real binary next to it still is skipped.
#[test]
fn utf16_files_without_a_byte_order_mark_are_scanned() {
    let dir = tempdir();
    let text = credentials(KEY_ID, SECRET).replace('\n', "\r\n");
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    write(dir.path(), "le.ini", le);
    write(dir.path(), "be.ini", be);
    let mut blob = b"\x7fELF\x02\x01\x01\x00\x00\x00".to_vec();
    blob.extend_from_slice(credentials(KEY_ID_2, SECRET_2).as_bytes());
    write(dir.path(), "tool", blob);
    let out = run_in(dir.path(), &["scan", ".", "--format", "json"]);
    let report = json(&out);
    assert_eq!(
        found(&report),
        [
            hit(KEY_ID_RULE, "be.ini", 2),
            hit(KEY_ID_RULE, "le.ini", 2),
            hit(SECRET_RULE, "be.ini", 3),
            hit(SECRET_RULE, "le.ini", 3),
        ],
        "{}",
        stderr(&out)
    );
    assert_eq!(stat(&report, "skipped_binary"), 1);
    assert_eq!(code(&out), 1);
}

/// The same root given twice (`k k`, `./k k`, `s s/`) is read and counted once.
#[test]
fn a_path_given_twice_is_scanned_once() {
    let dir = tempdir();
    write(dir.path(), "k.env", format!("AWS_ACCESS_KEY_ID={KEY_ID}\n"));
    write(dir.path(), "s/k.env", format!("AWS_ACCESS_KEY_ID={KEY_ID_2}\n"));
    let out = run_in(dir.path(), &["scan", "k.env", "k.env", "./k.env", "s", "s/", "--format", "json"]);
    let report = json(&out);
    assert_eq!(found(&report), [hit(KEY_ID_RULE, "k.env", 1), hit(KEY_ID_RULE, "s/k.env", 1)]);
    assert_eq!(stat(&report, "blobs_scanned"), 2);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
}

/// Identifiers sign nothing, and a custom rule's secret is not an IAM key:
/// neither gets "find the key it belongs to and rotate it".
#[test]
fn identifiers_and_custom_secrets_get_no_iam_rotation_advice() {
    let dir = tempdir();
    write(dir.path(), "role.txt", "role: AROAQW6YJ5RTNMZ2KX4E\n");
    let out = run_in(dir.path(), &["scan", ".", "--enable-rule", "aws-unique-id"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("aws-unique-id"), "{text}");
    assert!(!text.contains("rotate") && !text.contains("What to do now"), "{text}");

    let custom = tempdir();
    write(
        custom.path(),
        ".keyfence.toml",
        "[[rules]]\nid = \"corp-token\"\nname = \"Internal API token\"\nkeywords = [\"corp_\"]\npattern = 'corp_[a-z0-9]{32}'\n",
    );
    write(custom.path(), "app.cfg", "token = corp_0123456789abcdef0123456789abcdef\n");
    let out = run_in(custom.path(), &["scan", "."]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("corp-token") && text.contains("revoke it where it was issued"), "{text}");
    assert!(!text.contains("IAM console"), "{text}");
}
