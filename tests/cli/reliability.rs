//! Fail closed, survive odd input.
//!
//! Every error class ends in exit 2 with one line on stderr naming the
//! object, file, ref or pattern, and never in a panic ("internal error") or
//! exit 0: corrupt loose objects and packs, missing objects, partial clones,
//! unreadable files, bad git config, bad patterns and refs, a full disk.
//! Then odd but valid input that `git_sources` does not already cover: paths
//! with newlines and non-UTF-8 bytes, symlinks, CRLF and UTF-16 blobs, very
//! long lines, empty files, LFS pointers, sparse and split indexes, alternates
//! and a commit with 100k files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::util::*;

// ---------------------------------------------------------------------------
// Helpers

/// No panic, whatever the outcome: `main` turns one into "internal error".
#[track_caller]
fn no_panic(out: &Output) {
    let err = stderr(out);
    assert!(!err.contains("internal error") && !err.contains("panicked"), "a panic: {err}");
    assert!(out.status.code().is_some(), "killed by a signal: {err}");
}

/// Exit 2, and every stderr line is one of keyfence's own one-line messages
/// (no backtrace, no message split over lines), and one error line names
/// every needle.
#[track_caller]
fn expect_error(out: &Output, needles: &[&str]) {
    no_panic(out);
    let err = stderr(out);
    assert_eq!(code(out), 2, "exit code; stdout: {}\nstderr: {err}", stdout(out));
    for line in err.lines() {
        assert!(line.starts_with("keyfence: "), "a stderr line that is not a keyfence message: {line:?}\n{err}");
    }
    assert!(
        err.lines().any(|line| line.contains("error") && needles.iter().all(|n| line.contains(n))),
        "no one-line error naming {needles:?}:\n{err}"
    );
}

/// Exit `expected` with a JSON report and no panic; returns the report.
#[track_caller]
fn expect_report(out: &Output, expected: i32) -> serde_json::Value {
    no_panic(out);
    assert_eq!(code(out), expected, "exit code; stdout: {}\nstderr: {}", stdout(out), stderr(out));
    json(out)
}

/// `(rule, path, line)` of each finding, sorted.
fn sorted_findings(report: &serde_json::Value) -> Vec<(String, String, u64)> {
    let mut found = findings(report);
    found.sort();
    found
}

fn hit(rule: &str, path: &str, line: u64) -> (String, String, u64) {
    (rule.to_string(), path.to_string(), line)
}

/// The two findings of a `credentials(..)` file.
fn creds_hits(path: &str) -> Vec<(String, String, u64)> {
    vec![hit("aws-access-key-id", path, 2), hit("aws-secret-access-key", path, 3)]
}

/// git in `dir` with the hermetic environment; panics on failure.
fn git_in(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    git_env(&mut cmd);
    let out = cmd.current_dir(dir).args(args).output().expect("git runs");
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// keyfence in `dir` with the hermetic environment.
fn keyfence_in(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = keyfence();
    git_env(&mut cmd);
    cmd.current_dir(dir).args(args).output().expect("keyfence runs")
}

/// Deterministic text that deflate cannot shrink much: lines of random
/// lowercase words (a fixed linear congruential generator).
fn filler(seed: u64, lines: usize) -> String {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let mut text = String::new();
    for _ in 0..lines {
        for _ in 0..60 {
            let c = next() % 27;
            text.push(if c == 26 { ' ' } else { (b'a' + c as u8) as char });
        }
        text.push('\n');
    }
    text
}

/// A repository with a clean base commit and a second commit adding a large
/// file `creds.txt` with a credentials block in the middle. Returns the repo,
/// the base and the key commit.
fn repo_with_big_key_file() -> (Repo, String, String) {
    let repo = Repo::new();
    let base = repo.commit_file("README", "hello\n", "base");
    let content = format!("{}{}{}", filler(1, 800), credentials(KEY_ID, SECRET), filler(2, 800));
    let keyed = repo.commit_file("creds.txt", &content, "key");
    (repo, base, keyed)
}

/// Where git keeps a loose object.
fn loose_object(repo: &Repo, id: &str) -> PathBuf {
    repo.path().join(".git/objects").join(&id[..2]).join(&id[2..])
}

/// Overwrite a (read-only) file git wrote.
fn overwrite(path: &Path, bytes: &[u8]) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).unwrap();
    std::fs::write(path, bytes).unwrap();
}

// ---------------------------------------------------------------------------
// Corrupt and missing objects

#[test]
fn a_corrupt_loose_blob_exits_two_in_every_git_mode() {
    let (repo, base, _) = repo_with_big_key_file();
    let blob = repo.git(&["rev-parse", "HEAD:creds.txt"]);
    let path = loose_object(&repo, &blob);
    let original = std::fs::read(&path).unwrap();
    // Garbage, and a truncated zlib stream (the header inflates, the rest cannot).
    for corrupt in [b"this is not a zlib stream\n".to_vec(), original[..original.len() / 2].to_vec()] {
        overwrite(&path, &corrupt);
        for args in [
            &["scan", "--history"][..],
            &["scan", "--history", "--all-objects"],
            &["scan", "--history", "--branch", "main"],
            &["scan", "--range", &format!("{base}..HEAD")],
            &["scan", "--since", &base],
        ] {
            expect_error(&repo.keyfence(args), &[&blob]);
        }
    }
    // The same blob staged (HEAD back at the base, the index still holding it).
    repo.git(&["reset", "-q", "--soft", &base]);
    expect_error(&repo.keyfence(&["scan", "--staged"]), &[&blob, "creds.txt"]);
    expect_error(&repo.keyfence(&["hook", "pre-commit"]), &[&blob, "creds.txt"]);
}

/// Flip `count` bytes in the middle of the pack entry of `id`.
fn corrupt_pack_entry(repo: &Repo, id: &str, count: usize) -> PathBuf {
    let pack_dir = repo.path().join(".git/objects/pack");
    let idx = std::fs::read_dir(&pack_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .expect("a pack index");
    let listing = repo
        .git_cmd()
        .arg("show-index")
        .stdin(std::fs::File::open(&idx).unwrap())
        .output()
        .expect("git show-index runs");
    // Lines: "<offset> <id> (<crc>)".
    let mut offsets: Vec<(u64, String)> = String::from_utf8(listing.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut words = l.split_whitespace();
            (words.next().unwrap().parse().unwrap(), words.next().unwrap().to_string())
        })
        .collect();
    offsets.sort();
    let pack = idx.with_extension("pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    let at = offsets.iter().position(|(_, o)| o == id).expect("the object is in the pack");
    let start = offsets[at].0 as usize;
    let end = offsets.get(at + 1).map_or(bytes.len() - 20, |(o, _)| *o as usize);
    assert!(end - start > count * 4, "entry too small to corrupt in the middle");
    let middle = start + (end - start) / 2;
    for b in &mut bytes[middle..middle + count] {
        *b ^= 0xff;
    }
    overwrite(&pack, &bytes);
    pack
}

#[test]
fn a_corrupt_pack_exits_two() {
    let (repo, base, _) = repo_with_big_key_file();
    repo.git(&["gc", "-q"]);
    let blob = repo.git(&["rev-parse", "HEAD:creds.txt"]);
    let pack = corrupt_pack_entry(&repo, &blob, 16);
    let pack_name = pack.file_name().unwrap().to_str().unwrap().to_string();
    // History reads packs whole: the error names the pack and the object.
    for args in [&["scan", "--history"][..], &["scan", "--history", "--all-objects"]] {
        expect_error(&repo.keyfence(args), &[&pack_name, &blob]);
    }
    expect_error(&repo.keyfence(&["scan", "--range", &format!("{base}..HEAD")]), &[&blob]);
}

#[test]
fn a_corrupt_pack_is_found_in_small_and_large_entries_alike() {
    // One flipped byte, in a small blob this time (deflate may still "work").
    let repo = Repo::new();
    repo.commit_file("README", "hello\n", "base");
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    repo.git(&["gc", "-q"]);
    let blob = repo.git(&["rev-parse", "HEAD:creds"]);
    corrupt_pack_entry(&repo, &blob, 1);
    expect_error(&repo.keyfence(&["scan", "--history"]), &[&blob]);
}

#[test]
fn a_missing_blob_exits_two_unless_skip_missing() {
    let repo = Repo::new();
    let base = repo.commit_file("README", "hello\n", "base");
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    let blob = repo.git(&["rev-parse", "HEAD:creds"]);
    std::fs::remove_file(loose_object(&repo, &blob)).unwrap();
    let range = format!("{base}..HEAD");
    for args in [
        &["scan", "--history"][..],
        &["scan", "--history", "--all-objects"],
        &["scan", "--history", "--branch", "main"],
        &["scan", "--range", &range],
    ] {
        expect_error(&repo.keyfence(args), &[&blob]);
        // --skip-missing scans what is there and lists the rest.
        let mut skip = args.to_vec();
        skip.extend(["--skip-missing", "--format", "json"]);
        let out = repo.keyfence(&skip);
        let report = expect_report(&out, 0);
        assert_eq!(report["stats"]["skipped_missing"], 1, "{args:?}: {report}");
        assert!(stderr(&out).contains("skipped creds"), "{args:?}: {}", stderr(&out));
    }
    repo.git(&["reset", "-q", "--soft", &base]);
    expect_error(&repo.keyfence(&["scan", "--staged"]), &[&blob, "creds"]);
}

#[test]
fn a_missing_tree_or_commit_exits_two() {
    let repo = Repo::new();
    let base = repo.commit_file("README", "hello\n", "base");
    repo.commit_file("dir/creds", &credentials(KEY_ID, SECRET), "key");
    let tree = repo.git(&["rev-parse", "HEAD:dir"]);
    std::fs::remove_file(loose_object(&repo, &tree)).unwrap();
    let range = format!("{base}..HEAD");
    for args in [&["scan", "--history"][..], &["scan", "--range", &range]] {
        expect_error(&repo.keyfence(args), &[&tree]);
    }
    let parent = repo.commit_file("other", "x\n", "more");
    std::fs::remove_file(loose_object(&repo, &repo.git(&["rev-parse", "HEAD~1"]))).unwrap();
    let out = repo.keyfence(&["scan", "--history"]);
    expect_error(&out, &[]);
    let out = repo.keyfence(&["scan", "--range", &format!("{base}..{parent}")]);
    expect_error(&out, &[]);
}

#[test]
fn history_names_the_path_of_a_blob_over_the_size_cap() {
    let repo = Repo::new();
    repo.commit_file("README", "hello\n", "base");
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    for packed in [false, true] {
        if packed {
            repo.git(&["gc", "-q"]);
        }
        let out = repo.keyfence(&["scan", "--history", "--max-blob-size", "50", "--format", "json"]);
        let report = expect_report(&out, 0);
        assert_eq!(report["skipped"][0]["path"], "creds", "{report}");
        assert!(stderr(&out).contains("skipped creds ("), "{}", stderr(&out));
    }
}

/// A bare source that serves partial clones, and a blob:none clone of it.
fn partial_clone() -> (Repo, tempfile::TempDir, PathBuf) {
    let source = Repo::new();
    source.commit_file("README", "hello\n", "base");
    source.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    source.commit_file("other.env", &format!("AWS_ACCESS_KEY_ID={KEY_ID_2}\n"), "other");
    source.git(&["config", "uploadpack.allowfilter", "true"]);
    let holder = tempfile::tempdir().unwrap();
    let clone = holder.path().join("partial");
    let url = format!("file://{}", source.path().display());
    git_in(
        holder.path(),
        &["-c", "uploadpack.allowfilter=true", "clone", "-q", "--no-checkout", "--filter=blob:none", &url, "partial"],
    );
    (source, holder, clone)
}

#[test]
fn a_partial_clone_exits_two_unless_skip_missing() {
    let (_source, _holder, clone) = partial_clone();
    for args in [&["scan", "--history"][..], &["scan", "--range", "HEAD~2..HEAD"]] {
        expect_error(&keyfence_in(&clone, args), &["--skip-missing"]);
        let mut skip = args.to_vec();
        skip.extend(["--skip-missing", "--format", "json"]);
        let out = keyfence_in(&clone, &skip);
        let report = expect_report(&out, 0);
        assert_eq!(report["findings"].as_array().unwrap().len(), 0, "{report}");
        for path in ["creds", "other.env"] {
            assert!(stderr(&out).contains(&format!("skipped {path} ")), "{args:?}: {}", stderr(&out));
        }
    }
    // Fetch one blob on demand: it is scanned, the rest is still listed.
    git_in(&clone, &["checkout", "-q", "HEAD", "--", "creds"]);
    let out = keyfence_in(&clone, &["scan", "--history", "--skip-missing", "--format", "json"]);
    let report = expect_report(&out, 1);
    assert_eq!(sorted_findings(&report), creds_hits("creds"));
    assert_eq!(report["findings"][0]["commit"], git_in(&clone, &["rev-parse", "HEAD~1"]));
    assert!(stderr(&out).contains("skipped other.env "), "{}", stderr(&out));
    assert!(!stderr(&out).contains("skipped creds "), "{}", stderr(&out));
    expect_error(&keyfence_in(&clone, &["scan", "--history"]), &["partial clone", "--skip-missing"]);
}

// ---------------------------------------------------------------------------
// Files, config, patterns, refs, output

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Drops the capabilities that let root read any file (CAP_DAC_OVERRIDE,
/// CAP_DAC_READ_SEARCH) for the program that follows.
const SETPRIV: [&str; 2] = ["--bounding-set=-dac_override,-dac_read_search", "--"];

/// A command that runs `program` without the power to bypass file
/// permissions, even as root.
fn unprivileged(program: &str) -> Command {
    if is_root() {
        let mut cmd = Command::new("setpriv");
        cmd.args(SETPRIV).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

// ---------------------------------------------------------------------------
// Odd but valid input

#[test]
fn alternates_are_scanned_like_local_objects() {
    let source = Repo::new();
    let base = source.commit_file("README", "hello\n", "base");
    let keyed = source.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    source.git(&["gc", "-q"]);
    source.commit_file("loose.env", &format!("AWS_ACCESS_KEY_ID={KEY_ID_2}\n"), "loose");
    let holder = tempfile::tempdir().unwrap();
    // --shared: the clone borrows every object through objects/info/alternates.
    git_in(holder.path(), &["clone", "-q", "--shared", source.path().to_str().unwrap(), "borrowed"]);
    let clone = holder.path().join("borrowed");
    assert!(clone.join(".git/objects/info/alternates").exists());
    let out = keyfence_in(&clone, &["scan", "--history", "--format", "json"]);
    let report = expect_report(&out, 1);
    let mut expected = creds_hits("creds");
    expected.push(hit("aws-access-key-id", "loose.env", 1));
    expected.sort();
    assert_eq!(sorted_findings(&report), expected);
    let creds_commit =
        report["findings"].as_array().unwrap().iter().find(|f| f["path"] == "creds").unwrap()["commit"].clone();
    assert_eq!(creds_commit, keyed.as_str());
    let out = keyfence_in(&clone, &["scan", "--range", &format!("{base}..HEAD"), "--format", "json"]);
    assert_eq!(sorted_findings(&expect_report(&out, 1)), expected);
}
