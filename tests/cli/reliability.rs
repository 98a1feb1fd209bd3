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

/// The index of the repository's (first) pack.
fn pack_index(repo: &Repo) -> PathBuf {
    std::fs::read_dir(repo.path().join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .expect("a pack index")
}

/// Flip `count` bytes in the middle of the pack entry of `id`.
fn corrupt_pack_entry(repo: &Repo, id: &str, count: usize) -> PathBuf {
    let idx = pack_index(repo);
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

/// A pack index that cannot be read (here: empty, as a copy that has not
/// written it yet leaves it) is waited for a moment and then is an error
/// naming it; the key found in the loose objects is still reported.
#[test]
fn an_unreadable_pack_index_is_an_error_and_the_findings_found_are_still_reported() {
    let repo = Repo::new();
    repo.commit_file("README", "hello\n", "base");
    repo.git(&["gc", "-q"]);
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    let idx = pack_index(&repo);
    overwrite(&idx, b"");
    let out = repo.keyfence(&["scan", "--history", "--format", "json"]);
    expect_error(&out, &["corrupt pack index", idx.file_name().unwrap().to_str().unwrap()]);
    let found = findings(&json(&out));
    assert!(found.iter().any(|(rule, _, _)| rule == "aws-access-key-id"), "{found:?}");
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

#[cfg(unix)]
#[test]
fn an_unreadable_file_exits_two_and_is_named_even_as_root() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("locked.env"), credentials(KEY_ID, SECRET)).unwrap();
    std::fs::write(dir.path().join("open.env"), format!("AWS_ACCESS_KEY_ID={KEY_ID_2}\n")).unwrap();
    let locked = dir.path().join("locked.env");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Check first: if the file can still be read (root, and no setpriv to
    // drop the capabilities), there is nothing to test.
    let probe = unprivileged("cat").arg(&locked).stdout(Stdio::null()).stderr(Stdio::null()).status();
    if probe.map_or(true, |s| s.success()) {
        eprintln!("skipped: a mode-000 file is readable here");
        return;
    }
    let mut cmd = unprivileged(env!("CARGO_BIN_EXE_keyfence"));
    cmd.env_remove("NO_COLOR").env("KEYFENCE_TEST", "1");
    let out = cmd.current_dir(dir.path()).args(["scan", ".", "--format", "json"]).output().unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o600)).unwrap();
    expect_error(&out, &["locked.env"]);
    assert_eq!(sorted_findings(&json(&out)), [hit("aws-access-key-id", "open.env", 1)], "the rest is scanned");
}

#[cfg(target_os = "linux")]
#[test]
fn a_file_that_fails_to_read_exits_two() {
    // Reading /proc/self/mem at offset 0 fails with EIO, for root as well.
    let dir = tempfile::tempdir().unwrap();
    let out = keyfence_in(dir.path(), &["scan", "/proc/self/mem"]);
    expect_error(&out, &["/proc/self/mem"]);
}

#[test]
fn config_values_that_are_not_utf8_exit_two() {
    let repo = Repo::new();
    repo.commit_file("README", "hello\n", "base");
    let config = repo.path().join(".git/config");
    let mut bytes = std::fs::read(&config).unwrap();
    bytes.extend_from_slice(b"[secrets]\n\tpatterns = ab\xffcd\n");
    std::fs::write(&config, bytes).unwrap();
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    for args in [&["scan", "."][..], &["scan", "--staged"], &["scan", "--history"], &["hook", "pre-commit"]] {
        expect_error(&repo.keyfence(args), &["secrets.patterns"]);
    }
}

#[test]
fn config_values_with_a_nul_byte_exit_two() {
    let repo = Repo::new();
    repo.commit_file("README", "hello\n", "base");
    let config = repo.path().join(".git/config");
    let mut bytes = std::fs::read(&config).unwrap();
    bytes.extend_from_slice(b"[secrets]\n\tpatterns = ab\x00cd\n");
    std::fs::write(&config, bytes).unwrap();
    for args in [&["scan", "."][..], &["scan", "--history"]] {
        expect_error(&repo.keyfence(args), &["secrets.patterns"]);
    }
}

#[test]
fn an_unparsable_git_config_is_an_error_for_path_scans_too() {
    let repo = Repo::new();
    repo.commit_file("README", "hello\n", "base");
    repo.git(&["config", "secrets.patterns", "forbidden"]);
    repo.write("notes.txt", "this is forbidden\n");
    let out = repo.keyfence(&["scan", "."]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let config = repo.path().join(".git/config");
    let mut bytes = std::fs::read(&config).unwrap();
    bytes.extend_from_slice(b"\tallowed = \"bad \\0 escape\"\n");
    std::fs::write(&config, bytes).unwrap();
    expect_error(&repo.keyfence(&["scan", "."]), &["config"]);
}

#[test]
fn invalid_patterns_exit_two_and_are_named() {
    let repo = Repo::new();
    repo.commit_file("README", "hello\n", "base");
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    for (key, pattern) in [
        ("secrets.patterns", "(unclosed"),
        ("secrets.patterns", "back\\1ref"),
        ("secrets.patterns", "[[:nope:]]"),
        ("secrets.allowed", "[open"),
        ("secrets.allowed", "a**"),
    ] {
        repo.git(&["config", "--replace-all", key, pattern]);
        for args in [&["scan", "."][..], &["scan", "--staged"], &["hook", "pre-commit"]] {
            expect_error(&repo.keyfence(args), &[pattern]);
        }
        repo.git(&["config", "--unset-all", key]);
    }
    let out = repo.keyfence(&["scan", "--staged", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
}

#[test]
fn bad_refs_and_not_a_repository_are_one_line_errors() {
    let repo = Repo::new();
    repo.commit_file("README", "hello\n", "base");
    for (args, needle) in [
        (&["scan", "--range", "nope..HEAD"][..], "nope"),
        (&["scan", "--range", "HEAD..nope"], "nope"),
        (&["scan", "--range", "HEAD"], "HEAD"),
        (&["scan", "--range", "nope...HEAD"], "nope"),
        (&["scan", "--since", "no/such/ref"], "no/such/ref"),
        (&["scan", "--history", "--branch", "nope"], "nope"),
        (&["scan", "--range", "HEAD~5..HEAD"], "HEAD~5"),
        (&["scan", "--range", "HEAD:README..HEAD"], "HEAD:README"),
        // What the user typed is quoted escaped, so the message stays one line.
        (&["scan", "--range", "no\nsuch..HEAD"], "'no\\nsuch'"),
        (&["scan", "--range", "no\nsuch"], "'no\\nsuch'"),
        (&["scan", "--range", "HEAD...no\nsuch"], "'no\\nsuch'"),
        (&["scan", "--history", "--branch", "x\ny"], "'x\\ny'"),
    ] {
        expect_error(&repo.keyfence(args), &[needle]);
    }
    let holder = tempfile::tempdir().unwrap();
    for args in
        [&["scan", "--staged"][..], &["scan", "--history"], &["scan", "--since", "HEAD"], &["hook", "pre-commit"]]
    {
        let mut cmd = keyfence();
        git_env(&mut cmd);
        let out = cmd.current_dir(holder.path()).env("GIT_CEILING_DIRECTORIES", holder.path()).args(args).output();
        expect_error(&out.unwrap(), &["not a git repository"]);
    }
    let odd = holder.path().join("two\nlines");
    std::fs::create_dir(&odd).unwrap();
    let mut cmd = keyfence();
    git_env(&mut cmd);
    let out = cmd
        .current_dir(holder.path())
        .env("GIT_CEILING_DIRECTORIES", holder.path())
        .args(["scan", "--staged", "two\nlines"])
        .output();
    expect_error(&out.unwrap(), &["not a git repository", "two\\nlines"]);
}

#[test]
fn a_full_disk_on_output_exits_two() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full");
        return;
    }
    let repo = Repo::new();
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    repo.write("clean/README", "hello\n");
    for format in ["human", "json", "jsonl", "sarif", "git-secrets"] {
        for args in [&["scan", "."][..], &["scan", "clean"], &["scan", "--history"], &["hook", "pre-commit"]] {
            let mut args = args.to_vec();
            args.extend(["--format", format, "--output", "/dev/full"]);
            // A clean jsonl or git-secrets report is empty: nothing is
            // written, so nothing fails (only regular files are synced).
            if matches!(format, "jsonl" | "git-secrets") && matches!(args[1], "clean" | "pre-commit") {
                assert_eq!(code(&repo.keyfence(&args)), 0, "{args:?}");
                continue;
            }
            expect_error(&repo.keyfence(&args), &["/dev/full"]);
        }
    }
    // Standard output on a full disk.
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    for args in [&["scan", "."][..], &["scan", "clean"], &["scan", ".", "--format", "json"]] {
        let mut cmd = keyfence();
        git_env(&mut cmd);
        let out = cmd.current_dir(repo.path()).args(args).stdout(full()).output().unwrap();
        expect_error(&out, &["standard output"]);
    }
}

// ---------------------------------------------------------------------------
// Odd but valid input

#[cfg(unix)]
#[test]
fn paths_with_newlines_and_non_utf8_bytes() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let repo = Repo::new();
    let base = repo.commit_file("README", "hello\n", "base");
    let newline = "new\nline.env";
    let latin1: &[u8] = b"caf\xe9.env";
    repo.write(newline, &credentials(KEY_ID, SECRET));
    std::fs::write(repo.path().join(OsStr::from_bytes(latin1)), format!("AWS_ACCESS_KEY_ID={KEY_ID_2}\n")).unwrap();
    repo.git(&["add", "-A"]);
    let staged: Vec<&[&str]> = vec![&["scan", "."], &["scan", "--staged"]];
    let check = |args: &[&str], commit: Option<&str>| {
        // JSON: lossless. A newline is just a character of the path string;
        // non-UTF-8 bytes come back exactly in `path_bytes`.
        let mut json_args = args.to_vec();
        json_args.extend(["--format", "json"]);
        let report = expect_report(&repo.keyfence(&json_args), 1);
        let found = report["findings"].as_array().unwrap();
        assert_eq!(found.len(), 3, "{args:?}: {report}");
        for f in found {
            let path = f["path"].as_str().unwrap();
            assert_eq!(f["commit"].as_str(), commit, "{f}");
            if path == newline {
                assert!(f.get("path_bytes").is_none(), "{f}");
            } else {
                let bytes: Vec<u8> =
                    f["path_bytes"].as_array().unwrap().iter().map(|b| b.as_u64().unwrap() as u8).collect();
                assert_eq!(bytes, latin1, "{f}");
            }
        }
        // Human and git-secrets: escaped, never a raw newline splitting a line.
        let mut human = args.to_vec();
        human.extend(["--color", "never"]);
        let text = stdout(&repo.keyfence(&human));
        assert!(text.lines().any(|l| l == "new\\nline.env" || l.starts_with("new\\nline.env (commit")), "{text}");
        assert!(text.lines().any(|l| l.starts_with("caf\u{fffd}.env")), "{text}");
        assert!(!text.lines().any(|l| l.starts_with("line.env")), "{text}");
        let mut gs = args.to_vec();
        gs.extend(["--format", "git-secrets"]);
        let text = stdout(&repo.keyfence(&gs));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "one line per finding: {text}");
        let prefix = commit.map(|c| format!("{c}:")).unwrap_or_default();
        for line in lines {
            let line = line.strip_prefix(&prefix).unwrap_or_else(|| panic!("{line}"));
            assert!(
                line.starts_with("new\\nline.env:2:")
                    || line.starts_with("new\\nline.env:3:")
                    || line.starts_with("caf\u{fffd}.env:1:"),
                "{line}"
            );
        }
        // A skipped file is named on one stderr line, escaped.
        let mut capped = args.to_vec();
        capped.extend(["--max-blob-size", "10"]);
        let out = repo.keyfence(&capped);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.lines().all(|l| l.starts_with("keyfence: ")), "{err}");
        assert!(err.contains("skipped new\\nline.env ("), "{err}");
    };
    for args in staged {
        check(args, None);
    }
    repo.git(&["commit", "-q", "-m", "odd paths"]);
    let keyed = repo.git(&["rev-parse", "HEAD"]);
    check(&["scan", "--history"], Some(&keyed));
    check(&["scan", "--range", &format!("{base}..HEAD")], Some(&keyed));
}

#[cfg(unix)]
#[test]
fn symlinks_are_never_followed_out_of_the_scanned_tree() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("credentials"), credentials(KEY_ID, SECRET)).unwrap();
    std::fs::create_dir(outside.path().join("dir")).unwrap();
    std::fs::write(outside.path().join("dir/.env"), format!("AWS_ACCESS_KEY_ID={KEY_ID_2}\n")).unwrap();

    let repo = Repo::new();
    let base = repo.commit_file("README", "hello\n", "base");
    symlink(outside.path().join("credentials"), repo.path().join("creds-link")).unwrap();
    symlink(outside.path().join("dir"), repo.path().join("dir-link")).unwrap();
    symlink("README", repo.path().join("inside-link")).unwrap();
    let out = repo.keyfence(&["scan", ".", "--format", "json"]);
    let report = expect_report(&out, 0);
    assert_eq!(report["stats"]["blobs_scanned"], 1, "only README itself: {report}");

    // Committed, a symlink is a blob holding its target's path: that text is
    // what is scanned, never the file it points to.
    repo.git(&["add", "-A"]);
    expect_report(&repo.keyfence(&["scan", "--staged", "--format", "json"]), 0);
    repo.git(&["commit", "-q", "-m", "links"]);
    expect_report(&repo.keyfence(&["scan", "--history", "--format", "json"]), 0);
    expect_report(&repo.keyfence(&["scan", "--range", &format!("{base}..HEAD"), "--format", "json"]), 0);

    // A link whose target text is a key is that text, and is found.
    symlink(KEY_ID, repo.path().join("odd-link")).unwrap();
    repo.git(&["add", "odd-link"]);
    let report = expect_report(&repo.keyfence(&["scan", "--staged", "--format", "json"]), 1);
    assert_eq!(sorted_findings(&report), [hit("aws-access-key-id", "odd-link", 1)]);
}

#[test]
fn crlf_and_utf16_blobs_in_git_sources() {
    let repo = Repo::new();
    let base = repo.commit_file("README", "hello\n", "base");
    let text = credentials(KEY_ID, SECRET).replace('\n', "\r\n");
    repo.write("crlf.ini", &text);
    let utf16 = |big_endian: bool| -> Vec<u8> {
        let units = text.encode_utf16();
        let mut bytes = if big_endian { vec![0xfe, 0xff] } else { vec![0xff, 0xfe] };
        for unit in units {
            bytes.extend(if big_endian { unit.to_be_bytes() } else { unit.to_le_bytes() });
        }
        bytes
    };
    std::fs::write(repo.path().join("utf16le.ini"), utf16(false)).unwrap();
    std::fs::write(repo.path().join("utf16be.ini"), utf16(true)).unwrap();
    repo.git(&["add", "-A"]);
    let mut expected: Vec<_> = ["crlf.ini", "utf16be.ini", "utf16le.ini"].iter().flat_map(|p| creds_hits(p)).collect();
    expected.sort();
    let check = |args: &[&str]| {
        let mut args = args.to_vec();
        args.extend(["--format", "json", "--show-secrets"]);
        let report = expect_report(&repo.keyfence(&args), 1);
        assert_eq!(sorted_findings(&report), expected, "{args:?}");
        for f in report["findings"].as_array().unwrap() {
            let secret = f["secret"].as_str().unwrap();
            assert!(secret == KEY_ID || secret == SECRET, "no \\r or NUL in the value: {f}");
        }
    };
    check(&["scan", "."]);
    check(&["scan", "--staged"]);
    repo.git(&["commit", "-q", "-m", "windows files"]);
    check(&["scan", "--history"]);
    check(&["scan", "--range", &format!("{base}..HEAD")]);
    // A CRLF file that gains a line: only that line is new.
    let grown = format!("{text}region = eu-west-1\r\nkey2 = {KEY_ID_2}\r\n");
    repo.write("crlf.ini", &grown);
    repo.git(&["add", "crlf.ini"]);
    let report = expect_report(&repo.keyfence(&["scan", "--staged", "--format", "json"]), 1);
    assert_eq!(sorted_findings(&report), [hit("aws-access-key-id", "crlf.ini", 5)]);
}

#[test]
fn a_key_in_the_middle_of_a_multi_megabyte_line() {
    let repo = Repo::new();
    let base = repo.commit_file("README", "hello\n", "base");
    let half = "x".repeat(3 << 20);
    let line = format!("var a='{half}';aws_access_key_id='{KEY_ID}';var b='{half}';\n");
    let column = line.find(KEY_ID).unwrap() as u64 + 1;
    repo.write("bundle.min.js", &format!("// header\n{line}"));
    repo.git(&["add", "-A"]);
    let check = |args: &[&str]| {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        let report = expect_report(&repo.keyfence(&args), 1);
        assert_eq!(sorted_findings(&report), [hit("aws-access-key-id", "bundle.min.js", 2)], "{args:?}");
        assert_eq!(report["findings"][0]["column"], column, "{args:?}");
    };
    check(&["scan", "."]);
    check(&["scan", "--staged"]);
    repo.git(&["commit", "-q", "-m", "bundle"]);
    check(&["scan", "--history"]);
    check(&["scan", "--range", &format!("{base}..HEAD")]);
    // The git-secrets line stays one (capped) line.
    let out = repo.keyfence(&["scan", ".", "--format", "git-secrets"]);
    assert_eq!(stdout(&out).lines().count(), 1);
    assert!(stdout(&out).len() < 4096, "the line text is capped");
}

#[test]
fn empty_files_and_an_empty_tree() {
    let repo = Repo::new();
    repo.write("empty", "");
    repo.write("dir/also-empty", "");
    repo.git(&["add", "-A"]);
    for args in [&["scan", "."][..], &["scan", "--staged"]] {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        expect_report(&repo.keyfence(&args), 0);
    }
    repo.git(&["commit", "-q", "-m", "empties"]);
    // A commit of nothing at all, then a key.
    repo.git(&["rm", "-q", "-r", "."]);
    repo.git(&["commit", "-q", "--allow-empty", "-m", "empty tree"]);
    let empty = repo.git(&["rev-parse", "HEAD"]);
    let keyed = repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    let report = expect_report(&repo.keyfence(&["scan", "--history", "--format", "json"]), 1);
    assert_eq!(sorted_findings(&report), creds_hits("creds"));
    assert_eq!(report["findings"][0]["commit"], keyed.as_str());
    let report = expect_report(&repo.keyfence(&["scan", "--range", &format!("{empty}..HEAD"), "--format", "json"]), 1);
    assert_eq!(sorted_findings(&report), creds_hits("creds"));
    expect_report(&repo.keyfence(&["scan", "--range", &format!("HEAD~2..{empty}"), "--format", "json"]), 0);
}

#[test]
fn lfs_pointer_files_are_scanned_as_the_text_they_are() {
    let repo = Repo::new();
    let base = repo.commit_file("README", "hello\n", "base");
    // What git-lfs commits in place of the content: a small text pointer
    // (its oid is a sha256, 64 hex digits, which no rule takes for a secret).
    let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";
    repo.write(".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n");
    repo.write("model.bin", pointer);
    repo.write("secrets.bin", pointer.replace("12345", &format!("12345\naws_secret_access_key = {SECRET}")).as_str());
    repo.git(&["add", "-A"]);
    let check = |args: &[&str]| {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        let report = expect_report(&repo.keyfence(&args), 1);
        assert_eq!(sorted_findings(&report), [hit("aws-secret-access-key", "secrets.bin", 4)], "{args:?}");
    };
    check(&["scan", "."]);
    check(&["scan", "--staged"]);
    repo.git(&["commit", "-q", "-m", "lfs"]);
    check(&["scan", "--history"]);
    check(&["scan", "--range", &format!("{base}..HEAD")]);
}

#[test]
fn sparse_checkout_with_a_sparse_index() {
    let repo = Repo::new();
    repo.write("in/a.txt", "a\n");
    repo.write("out/deep/b.txt", "b\n");
    repo.write("out/old.env", &credentials(KEY_ID_2, SECRET_2));
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "base"]);
    repo.git(&["config", "index.sparse", "true"]);
    repo.git(&["sparse-checkout", "set", "--cone", "in"]);
    assert!(!repo.path().join("out").exists());
    // The index really is sparse: `out/` is one directory entry.
    let listed = repo.git(&["ls-files", "--sparse"]);
    assert!(listed.lines().any(|l| l == "out/"), "{listed}");
    repo.write("in/creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "in/creds"]);
    let report = expect_report(&repo.keyfence(&["scan", "--staged", "--format", "json"]), 1);
    assert_eq!(sorted_findings(&report), creds_hits("in/creds"), "the key outside the cone is in HEAD already");
    // A file staged outside the cone (git expands the index for it).
    repo.write("out/deep/new.env", &format!("AWS_ACCESS_KEY_ID={KEY_ID}\n"));
    repo.git(&["-c", "advice.sparseIndexExpanded=false", "add", "--sparse", "out/deep/new.env"]);
    let report = expect_report(&repo.keyfence(&["scan", "--staged", "--format", "json"]), 1);
    let mut expected = creds_hits("in/creds");
    expected.push(hit("aws-access-key-id", "out/deep/new.env", 1));
    expected.sort();
    assert_eq!(sorted_findings(&report), expected);
    repo.git(&["commit", "-q", "-m", "keys"]);
    let report = expect_report(&repo.keyfence(&["scan", "--history", "--format", "json"]), 1);
    assert_eq!(sorted_findings(&report).len(), 5, "{report}");
}

#[test]
fn split_index() {
    let repo = Repo::new();
    repo.commit_file("README", "hello\n", "base");
    repo.git(&["update-index", "--split-index"]);
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    assert!(
        std::fs::read_dir(repo.path().join(".git")).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("sharedindex.")),
        "a split index"
    );
    let report = expect_report(&repo.keyfence(&["scan", "--staged", "--format", "json"]), 1);
    assert_eq!(sorted_findings(&report), creds_hits("creds"));
    // Move the entry into the shared index, then replace it in the split one.
    repo.git(&["update-index", "--split-index"]);
    repo.write("creds", "[default]\nregion = eu-west-1\n");
    repo.git(&["add", "creds"]);
    expect_report(&repo.keyfence(&["scan", "--staged", "--format", "json"]), 0);
    // And back: the key in the split index over a clean shared entry.
    repo.git(&["update-index", "--split-index"]);
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    let report = expect_report(&repo.keyfence(&["scan", "--staged", "--format", "json"]), 1);
    assert_eq!(sorted_findings(&report), creds_hits("creds"));
    // Removed in the split index: nothing is staged but a deletion.
    repo.git(&["rm", "-q", "--cached", "creds"]);
    expect_report(&repo.keyfence(&["scan", "--staged", "--format", "json"]), 0);
}

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

#[test]
fn a_commit_with_100k_files_and_one_key() {
    // fast-import builds the commit in well under a second: 100,000 paths in
    // 100 directories, 1,000 distinct small blobs, one of them a key.
    let repo = Repo::new();
    let mut stream = String::with_capacity(4 << 20);
    stream.push_str("commit refs/heads/main\ncommitter T <t@example.invalid> 1700000000 +0000\ndata 4\nbig\n");
    for i in 0..100_000 {
        let content =
            if i == 54_321 { format!("aws_access_key_id = {KEY_ID}\n") } else { format!("file {}\n", i % 1000) };
        stream.push_str(&format!("M 100644 inline d{:03}/f{i:06}.txt\ndata {}\n{content}\n", i / 1000, content.len()));
    }
    let mut child =
        repo.git_cmd().args(["fast-import", "--quiet"]).stdin(Stdio::piped()).spawn().expect("git fast-import runs");
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(stream.as_bytes()).unwrap();
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(repo.git(&["ls-tree", "-r", "--name-only", "main"]).lines().count(), 100_000);
    let report = expect_report(&repo.keyfence(&["scan", "--history", "--format", "json"]), 1);
    assert_eq!(sorted_findings(&report), [hit("aws-access-key-id", "d054/f054321.txt", 1)]);
    assert_eq!(report["findings"][0]["commit"], repo.git(&["rev-parse", "main"]).as_str());
    assert_eq!(report["stats"]["blobs_scanned"], 1001);
}

/// keyfence's own errors print their cause and also expose it as their
/// source; the one-line message must say it once.
#[test]
fn an_error_names_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".keyfence.toml")).unwrap();
    for args in [&["scan", ".", "--baseline", "missing.json"][..], &["scan", "no-such-dir"], &["scan", "."]] {
        let out = run_in(dir.path(), args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        let line = err.lines().find(|l| l.starts_with("keyfence: error:")).unwrap_or_else(|| panic!("{err}"));
        assert_eq!(line.matches("(os error").count(), 1, "{args:?}: {line}");
    }
}

/// Every worktree's HEAD is a starting point of the history; one that cannot
/// be read is an error, never skipped (its commits would go unscanned). An
/// unborn one (an orphan branch) has no history and is fine.
#[test]
fn an_unreadable_worktree_head_exits_two() {
    let repo = Repo::new();
    repo.commit_file("README", "hello\n", "base");
    let holder = tempfile::tempdir().unwrap();
    let linked = holder.path().join("linked");
    repo.git(&["worktree", "add", "-q", "--detach", linked.to_str().unwrap()]);
    let orphan = holder.path().join("orphan");
    repo.git(&["worktree", "add", "-q", "--detach", orphan.to_str().unwrap()]);
    repo.git(&["-C", orphan.to_str().unwrap(), "checkout", "-q", "--orphan", "orphan"]);
    let out = repo.keyfence(&["scan", "--history"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    std::fs::write(repo.path().join(".git/worktrees/linked/HEAD"), "garbage\n").unwrap();
    let out = repo.keyfence(&["scan", "--history"]);
    no_panic(&out);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("worktrees/linked"), "{}", stderr(&out));
}
