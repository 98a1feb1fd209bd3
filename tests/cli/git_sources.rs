//! The git sources against real repositories built with the git CLI:
//! `--staged` (and the pre-commit hook through a real `git commit`),
//! `--range` / `--since`, `--history`, and the commit-msg hook.
//!
//! Every test asserts the exact findings (rule, path, line, commit) and the
//! exit code. `credentials(..)` puts the key id on line 2 and the secret on
//! line 3, so a credentials file is always the pair `creds_at(path, commit)`.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::util::*;

/// `(rule, path, line, commit)` of one finding.
type Found = (String, String, u64, Option<String>);

/// The result of one `--format json` run.
struct Scan {
    code: i32,
    report: Value,
    stderr: String,
}

impl Scan {
    fn from_output(out: &Output) -> Scan {
        let code = code(out);
        let stderr = stderr(out);
        let report = if out.stdout.is_empty() { Value::Null } else { json(out) };
        Scan { code, report, stderr }
    }

    /// The findings, sorted, as `(rule, path, line, commit)`.
    fn found(&self) -> Vec<Found> {
        let mut found: Vec<Found> = self.report["findings"]
            .as_array()
            .unwrap_or_else(|| panic!("no findings array: {}\nstderr: {}", self.report, self.stderr))
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["path"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["commit"].as_str().map(str::to_string),
                )
            })
            .collect();
        found.sort();
        found
    }

    /// The `i`-th finding (report order) as raw JSON.
    fn finding(&self, i: usize) -> &Value {
        &self.report["findings"][i]
    }

    /// Assert the exit code, no errors, and exactly these findings.
    #[track_caller]
    fn expect(&self, code: i32, expected: Vec<Found>) {
        let mut expected = expected;
        expected.sort();
        assert_eq!(self.code, code, "exit code; report: {}\nstderr: {}", self.report, self.stderr);
        assert_eq!(
            self.report["errors"].as_array().map(Vec::len),
            Some(0),
            "errors in report: {}\nstderr: {}",
            self.report,
            self.stderr
        );
        assert_eq!(self.found(), expected, "stderr: {}", self.stderr);
    }

    /// Assert a clean run: exit 0, no findings, no errors.
    #[track_caller]
    fn expect_clean(&self) {
        self.expect(0, Vec::new());
    }
}

/// keyfence with `--format json` in the repository.
fn scan(repo: &Repo, args: &[&str]) -> Scan {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    Scan::from_output(&repo.keyfence(&args))
}

/// keyfence with `--format json` in `dir`, with the hermetic git environment.
fn scan_in(dir: &Path, args: &[&str]) -> Scan {
    let mut cmd = keyfence();
    git_env(&mut cmd);
    let out = cmd.current_dir(dir).args(args).args(["--format", "json"]).output().expect("keyfence runs");
    Scan::from_output(&out)
}

fn found(rule: &str, path: &str, line: u64, commit: Option<&str>) -> Found {
    (rule.to_string(), path.to_string(), line, commit.map(str::to_string))
}

/// The two findings of a `credentials(..)` file: key id on line 2, secret on
/// line 3.
fn creds_at(path: &str, commit: Option<&str>) -> Vec<Found> {
    vec![found("aws-access-key-id", path, 2, commit), found("aws-secret-access-key", path, 3, commit)]
}

fn rev(repo: &Repo, spec: &str) -> String {
    repo.git(&["rev-parse", spec])
}

/// Stage everything and commit; returns the new HEAD.
fn commit_all(repo: &Repo, message: &str) -> String {
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--allow-empty", "-m", message]);
    rev(repo, "HEAD")
}

/// Stage everything and commit with this author and committer date.
fn commit_all_dated(repo: &Repo, message: &str, date: &str) -> String {
    repo.git(&["add", "-A"]);
    let out = repo
        .git_cmd()
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .args(["commit", "-q", "--allow-empty", "-m", message])
        .output()
        .expect("git runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    rev(repo, "HEAD")
}

/// A repository with one clean commit (`README`); returns it and the commit.
fn repo_with_base() -> (Repo, String) {
    let repo = Repo::new();
    let base = repo.commit_file("README", "hello\n", "base");
    (repo, base)
}

const CLEAN: &str = "[default]\nregion = eu-west-1\n";

// ---------------------------------------------------------------------------
// --staged

#[test]
fn staged_reads_the_index_not_the_work_tree() {
    let (repo, _) = repo_with_base();
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    // The work tree no longer has the key; the index (what will be committed) does.
    repo.write("creds", CLEAN);
    let s = scan(&repo, &["scan", "--staged"]);
    s.expect(1, creds_at("creds", None));
    assert_eq!(
        s.finding(0)["blob_id"].as_str().unwrap(),
        repo.git(&["rev-parse", ":creds"]),
        "the blob scanned is the index blob"
    );
}

#[test]
fn staged_ignores_keys_only_in_the_work_tree() {
    let (repo, _) = repo_with_base();
    repo.commit_file("app.cfg", CLEAN, "config");
    // A tracked file edited but not staged, and an untracked file.
    repo.write("app.cfg", &credentials(KEY_ID, SECRET));
    repo.write("untracked.env", &credentials(KEY_ID_2, SECRET_2));
    scan(&repo, &["scan", "--staged"]).expect_clean();
    // A clean staged change beside them does not pull them in either.
    repo.write("README", "hello\nworld\n");
    repo.git(&["add", "README"]);
    scan(&repo, &["scan", "--staged"]).expect_clean();
}

#[test]
fn staged_reports_only_lines_the_change_adds() {
    let (repo, _) = repo_with_base();
    let committed = credentials(KEY_ID, SECRET);
    repo.commit_file("creds", &committed, "oops, a key");
    // An unrelated line staged in the same file: the old key is not news.
    repo.write("creds", &format!("{committed}region = eu-west-1\n"));
    repo.git(&["add", "creds"]);
    scan(&repo, &["scan", "--staged"]).expect_clean();
    // git-secrets behaviour on request: every line of the touched file.
    scan(&repo, &["scan", "--staged", "--whole-files"]).expect(1, creds_at("creds", None));

    // A second key added to the same file: only its lines are reported.
    repo.write(
        "creds",
        &format!("{committed}[prod]\naws_access_key_id = {KEY_ID_2}\naws_secret_access_key = {SECRET_2}\n"),
    );
    repo.git(&["add", "creds"]);
    scan(&repo, &["scan", "--staged"]).expect(
        1,
        vec![found("aws-access-key-id", "creds", 5, None), found("aws-secret-access-key", "creds", 6, None)],
    );
}

#[test]
fn staged_deletion_only_and_empty_sets_exit_zero() {
    let repo = Repo::new();
    // Empty index on an unborn HEAD.
    scan(&repo, &["scan", "--staged"]).expect_clean();

    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.write("other.env", &credentials(KEY_ID_2, SECRET_2));
    commit_all(&repo, "keys everywhere");
    // Nothing staged: the keys already in HEAD are not rescanned.
    scan(&repo, &["scan", "--staged"]).expect_clean();
    // Deletion only: never falls back to scanning the whole index (git-secrets does).
    repo.git(&["rm", "-q", "other.env"]);
    scan(&repo, &["scan", "--staged"]).expect_clean();
    // Deleting every file leaves an empty index.
    repo.git(&["rm", "-q", "creds"]);
    scan(&repo, &["scan", "--staged"]).expect_clean();
}

#[test]
fn staged_on_unborn_head() {
    let repo = Repo::new();
    repo.write("config/creds", &credentials(KEY_ID, SECRET));
    repo.write("README", "hello\n");
    repo.git(&["add", "."]);
    scan(&repo, &["scan", "--staged"]).expect(1, creds_at("config/creds", None));
    scan(&repo, &["hook", "pre-commit"]).expect(1, creds_at("config/creds", None));
}

#[test]
fn staged_skips_renames_and_intent_to_add() {
    let (repo, _) = repo_with_base();
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    // A pure rename: the content is already in HEAD.
    repo.git(&["mv", "creds", "moved-creds"]);
    scan(&repo, &["scan", "--staged"]).expect_clean();
    // `git add -N`: the index holds the empty blob, the key is in the work tree only.
    repo.write("later.env", &credentials(KEY_ID_2, SECRET_2));
    repo.git(&["add", "-N", "later.env"]);
    scan(&repo, &["scan", "--staged"]).expect_clean();
}

#[test]
fn staged_with_directory_flag_and_path_argument() {
    let (repo, _) = repo_with_base();
    repo.write("sub/dir/creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "."]);
    let elsewhere = tempfile::tempdir().unwrap();
    let repo_dir = repo.path().to_str().unwrap();
    // Paths stay relative to the repository root whichever way it is named.
    scan_in(elsewhere.path(), &["scan", "--staged", "-C", repo_dir]).expect(1, creds_at("sub/dir/creds", None));
    scan_in(elsewhere.path(), &["scan", "--staged", repo_dir]).expect(1, creds_at("sub/dir/creds", None));
    scan_in(&repo.path().join("sub"), &["scan", "--staged"]).expect(1, creds_at("sub/dir/creds", None));
}

#[test]
fn staged_honours_git_dir_and_work_tree() {
    let (repo, _) = repo_with_base();
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    let elsewhere = tempfile::tempdir().unwrap();
    let mut cmd = keyfence();
    git_env(&mut cmd);
    let out = cmd
        .current_dir(elsewhere.path())
        .env("GIT_DIR", repo.path().join(".git"))
        .env("GIT_WORK_TREE", repo.path())
        .args(["scan", "--staged", "--format", "json"])
        .output()
        .unwrap();
    Scan::from_output(&out).expect(1, creds_at("creds", None));
}

#[test]
fn staged_ignores_line_ending_and_mode_only_changes() {
    let (repo, base) = repo_with_base();
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    // The same lines with CRLF endings are not new lines.
    repo.write("creds", &credentials(KEY_ID, SECRET).replace('\n', "\r\n"));
    repo.git(&["add", "creds"]);
    scan(&repo, &["scan", "--staged"]).expect_clean();
    scan(&repo, &["scan", "--staged", "--whole-files"]).expect(1, creds_at("creds", None));
    repo.git(&["reset", "-q", "--hard"]);
    // Only the executable bit changes: same blob.
    repo.git(&["update-index", "--chmod=+x", "creds"]);
    scan(&repo, &["scan", "--staged"]).expect_clean();
    let chmod = commit_all(&repo, "chmod");
    scan(&repo, &["scan", "--range", &format!("{chmod}~1..HEAD")]).expect_clean();
    let keyed = rev(&repo, "HEAD~1");
    scan(&repo, &["scan", "--range", &format!("{base}..HEAD")]).expect(1, creds_at("creds", Some(&keyed)));
}

#[test]
fn paths_are_reported_raw_not_git_quoted() {
    let (repo, base) = repo_with_base();
    let path = "dir with space/ünïcode €.env";
    repo.write(path, &credentials(KEY_ID, SECRET));
    repo.git(&["add", "."]);
    scan(&repo, &["scan", "--staged"]).expect(1, creds_at(path, None));
    let keyed = commit_all(&repo, "key");
    scan(&repo, &["scan", "--range", &format!("{base}..HEAD")]).expect(1, creds_at(path, Some(&keyed)));
    scan(&repo, &["scan", "--history"]).expect(1, creds_at(path, Some(&keyed)));
}

#[test]
fn blobs_over_the_size_cap_are_skipped_loudly() {
    let (repo, base) = repo_with_base();
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    let check = |s: Scan| {
        s.expect_clean();
        assert_eq!(s.report["stats"]["skipped_too_large"], 1, "{}", s.report);
        assert!(s.stderr.contains("skipped"), "stderr: {}", s.stderr);
    };
    check(scan(&repo, &["scan", "--staged", "--max-blob-size", "50"]));
    commit_all(&repo, "key");
    check(scan(&repo, &["scan", "--range", &format!("{base}..HEAD"), "--max-blob-size", "50"]));
    check(scan(&repo, &["scan", "--history", "--max-blob-size", "50"]));
    repo.git(&["gc", "-q"]);
    check(scan(&repo, &["scan", "--history", "--max-blob-size", "50"]));
}

#[test]
fn staged_submodule_beside_a_key() {
    let sub = Repo::new();
    sub.commit_file("lib.txt", "library\n", "lib");
    let (repo, base) = repo_with_base();
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        sub.path().to_str().unwrap(),
        "vendor/lib",
    ]);
    assert_eq!(repo.git(&["ls-files", "-s", "vendor/lib"]).split(' ').next(), Some("160000"));
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    let s = scan(&repo, &["scan", "--staged"]);
    s.expect(1, creds_at("creds", None));
    assert!(!s.stderr.contains("error"), "stderr: {}", s.stderr);

    // The gitlink in a commit does not trouble range or history either.
    let head = commit_all(&repo, "submodule and key");
    scan(&repo, &["scan", "--range", &format!("{base}..HEAD")]).expect(1, creds_at("creds", Some(&head)));
    scan(&repo, &["scan", "--history"]).expect(1, creds_at("creds", Some(&head)));
}

#[test]
fn staged_in_a_linked_worktree() {
    let (repo, _) = repo_with_base();
    let holder = tempfile::tempdir().unwrap();
    let wt = holder.path().join("wt");
    repo.git(&["worktree", "add", "-q", "-b", "feature", wt.to_str().unwrap()]);
    std::fs::write(wt.join("creds"), credentials(KEY_ID, SECRET)).unwrap();
    let mut add = repo.git_cmd();
    assert!(add.current_dir(&wt).args(["add", "creds"]).status().unwrap().success());

    scan_in(&wt, &["scan", "--staged"]).expect(1, creds_at("creds", None));
    // Each worktree has its own index: the main one has nothing staged.
    scan(&repo, &["scan", "--staged"]).expect_clean();
    // -C into the linked worktree from the main one.
    scan(&repo, &["scan", "--staged", "-C", wt.to_str().unwrap()]).expect(1, creds_at("creds", None));

    // The hook (in the common git dir) blocks the commit in the linked worktree.
    let report = install_pre_commit(&repo);
    let out = repo.git_cmd().current_dir(&wt).args(["commit", "-q", "-m", "key"]).output().unwrap();
    assert!(!out.status.success(), "the commit must be blocked");
    let hook = Scan {
        code: 1,
        report: serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap(),
        stderr: String::new(),
    };
    hook.expect(1, creds_at("creds", None));
}

// ---------------------------------------------------------------------------
// The pre-commit hook through a real `git commit`

/// Install `.git/hooks/pre-commit` as the three-line shim users get; its JSON
/// report goes to `.git/hook-report.json`.
fn install_pre_commit(repo: &Repo) -> std::path::PathBuf {
    let report = repo.path().join(".git/hook-report.json");
    let hook = repo.path().join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nexec '{}' hook pre-commit --format json >'{}'\n",
            env!("CARGO_BIN_EXE_keyfence"),
            report.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    report
}

/// Run `git commit` with `args`; the commit's success and the hook's report.
fn commit_through_hook(repo: &Repo, report: &Path, args: &[&str]) -> (bool, Scan) {
    let _ = std::fs::remove_file(report);
    let out = repo.git_cmd().arg("commit").args(args).output().expect("git runs");
    let hook_out = std::fs::read(report).expect("the hook ran and wrote its report");
    let scan = Scan {
        code: if out.status.success() { 0 } else { 1 },
        report: serde_json::from_slice(&hook_out).expect("hook report is JSON"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    (out.status.success(), scan)
}

#[test]
fn hook_sees_the_index_of_commit_all() {
    let (repo, _) = repo_with_base();
    repo.commit_file("app.cfg", CLEAN, "config");
    let report = install_pre_commit(&repo);
    // The key is only in the work tree; `commit -a` stages it into a
    // temporary index (GIT_INDEX_FILE) that the hook must read.
    repo.write("app.cfg", &credentials(KEY_ID, SECRET));
    let (committed, s) = commit_through_hook(&repo, &report, &["-q", "-a", "-m", "add key"]);
    assert!(!committed, "the commit must be blocked; git: {}", s.stderr);
    s.expect(1, creds_at("app.cfg", None));
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]), "config", "HEAD did not move");

    // Cleaned up, the same `commit -a` goes through.
    repo.write("app.cfg", &format!("{CLEAN}output = json\n"));
    let (committed, s) = commit_through_hook(&repo, &report, &["-q", "-a", "-m", "clean"]);
    assert!(committed, "git: {}", s.stderr);
    s.expect_clean();
}

#[test]
fn hook_sees_the_index_of_a_partial_commit() {
    let (repo, _) = repo_with_base();
    repo.commit_file("app.cfg", CLEAN, "config");
    let report = install_pre_commit(&repo);
    // A key staged in one file, and a clean edit to another committed by
    // path: the partial commit does not contain the staged key.
    repo.write("secret.env", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "secret.env"]);
    repo.write("README", "hello\nagain\n");
    let (committed, s) = commit_through_hook(&repo, &report, &["-q", "-m", "readme only", "README"]);
    assert!(committed, "git: {}\nhook report: {}", s.stderr, s.report);
    s.expect_clean();
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]), "readme only");
    assert_eq!(repo.git(&["diff", "--cached", "--name-only"]), "secret.env", "still staged");

    // Committing the path whose work tree copy has a key (not staged) is
    // blocked: `git commit <path>` takes the work tree version.
    repo.write("app.cfg", &credentials(KEY_ID_2, SECRET_2));
    let (committed, s) = commit_through_hook(&repo, &report, &["-q", "-m", "config by path", "app.cfg"]);
    assert!(!committed, "the commit must be blocked; git: {}", s.stderr);
    s.expect(1, creds_at("app.cfg", None));
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]), "readme only");

    // And the plain commit of the staged key is blocked too.
    repo.git(&["checkout", "-q", "--", "app.cfg"]);
    let (committed, s) = commit_through_hook(&repo, &report, &["-q", "-m", "staged key"]);
    assert!(!committed, "the commit must be blocked; git: {}", s.stderr);
    s.expect(1, creds_at("secret.env", None));
}

// ---------------------------------------------------------------------------
// SHA-256 repositories

#[test]
fn sha256_repository_staged_range_and_history() {
    let repo = Repo::with_init_args(&["--object-format=sha256"]);
    // Unborn HEAD first.
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    let s = scan(&repo, &["scan", "--staged"]);
    s.expect(1, creds_at("creds", None));
    assert_eq!(s.finding(0)["blob_id"].as_str().unwrap().len(), 64);

    repo.git(&["rm", "-q", "--cached", "creds"]);
    let base = repo.commit_file("README", "hello\n", "base");
    assert_eq!(base.len(), 64);
    let keyed = repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    repo.git(&["rm", "-q", "creds"]);
    commit_all(&repo, "remove key");
    scan(&repo, &["scan", "--range", &format!("{base}..HEAD")]).expect(1, creds_at("creds", Some(&keyed)));
    scan(&repo, &["scan", "--history"]).expect(1, creds_at("creds", Some(&keyed)));
    // Packed too.
    repo.git(&["gc", "-q"]);
    scan(&repo, &["scan", "--history"]).expect(1, creds_at("creds", Some(&keyed)));
}

// ---------------------------------------------------------------------------
// --range, --since

#[test]
fn range_names_the_commit_that_added_a_key_later_removed() {
    let (repo, base) = repo_with_base();
    let keyed = repo.commit_file("deploy/creds", &credentials(KEY_ID, SECRET), "add key");
    repo.commit_file("deploy/creds", CLEAN, "remove key");
    repo.commit_file("README", "hello\nworld\n", "unrelated");
    let s = scan(&repo, &["scan", "--range", &format!("{base}..HEAD")]);
    s.expect(1, creds_at("deploy/creds", Some(&keyed)));
    // Outside the range: clean.
    scan(&repo, &["scan", "--range", &format!("{keyed}..HEAD")]).expect_clean();
    // `A..` means A..HEAD.
    scan(&repo, &["scan", "--range", &format!("{base}..")]).expect(1, creds_at("deploy/creds", Some(&keyed)));
}

#[test]
fn range_reports_added_lines_only() {
    let repo = Repo::new();
    let committed = credentials(KEY_ID, SECRET);
    let base = repo.commit_file("creds", &committed, "old key");
    let second = repo.commit_file(
        "creds",
        &format!("{committed}[prod]\naws_access_key_id = {KEY_ID_2}\naws_secret_access_key = {SECRET_2}\n"),
        "second key",
    );
    scan(&repo, &["scan", "--range", &format!("{base}..HEAD")]).expect(
        1,
        vec![
            found("aws-access-key-id", "creds", 5, Some(&second)),
            found("aws-secret-access-key", "creds", 6, Some(&second)),
        ],
    );
}

#[test]
fn range_through_a_merge_reports_the_side_branch_commit_once() {
    let (repo, base) = repo_with_base();
    repo.git(&["checkout", "-q", "-b", "side"]);
    let side = repo.commit_file("side.env", &credentials(KEY_ID, SECRET), "side key");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("main.txt", "main work\n", "main work");
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
    let s = scan(&repo, &["scan", "--range", &format!("{base}..main")]);
    s.expect(1, creds_at("side.env", Some(&side)));
}

#[test]
fn range_through_a_merge_of_a_file_both_sides_changed() {
    let repo = Repo::new();
    let shared: String = (1..=20).map(|i| format!("line {i}\n")).collect();
    let base = repo.commit_file("settings.ini", &shared, "base");
    repo.git(&["checkout", "-q", "-b", "side"]);
    // The side branch adds a key at the end of the shared file ...
    let side = repo.commit_file(
        "settings.ini",
        &format!("{shared}aws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"),
        "side key",
    );
    repo.git(&["checkout", "-q", "main"]);
    // ... while main edits its top, so the merge makes a new blob.
    repo.commit_file("settings.ini", &format!("top\n{shared}"), "main edit");
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
    assert_eq!(repo.git(&["show", "HEAD:settings.ini"]).lines().count(), 23);
    // Reported once, at the side-branch commit, not again at the merge.
    scan(&repo, &["scan", "--range", &format!("{base}..main")]).expect(
        1,
        vec![
            found("aws-access-key-id", "settings.ini", 21, Some(&side)),
            found("aws-secret-access-key", "settings.ini", 22, Some(&side)),
        ],
    );
}

#[test]
fn range_does_not_blame_a_merge_for_what_the_base_already_had() {
    let (repo, base) = repo_with_base();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.commit_file("feature.txt", "feature\n", "feature work");
    repo.git(&["checkout", "-q", "main"]);
    // main (the already-accepted base) gets a key, and a change to a shared file.
    let keyed = repo.commit_file("main.env", &credentials(KEY_ID, SECRET), "key on main");
    repo.commit_file("README", &format!("hello\naws_access_key_id = {KEY_ID_2}\n"), "another key on main");
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge main into feature", "main"]);
    // The CI gate for the feature branch: main's keys are not the feature's.
    scan(&repo, &["scan", "--range", "main..feature"]).expect_clean();
    // Scanned from before main got them, they are found at their own commits.
    let s = scan(&repo, &["scan", "--range", &format!("{base}..feature")]);
    let mut expected = creds_at("main.env", Some(&keyed));
    expected.push(found("aws-access-key-id", "README", 2, Some(&rev(&repo, "main"))));
    s.expect(1, expected);
}

#[test]
fn range_reports_an_evil_merge() {
    let (repo, base) = repo_with_base();
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.commit_file("side.txt", "side\n", "side work");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("main.txt", "main\n", "main work");
    repo.git(&["merge", "-q", "--no-ff", "--no-commit", "side"]);
    // A key slipped into the merge commit itself.
    repo.write("side.txt", &format!("side\naws_access_key_id = {KEY_ID}\n"));
    let merge = commit_all(&repo, "evil merge");
    scan(&repo, &["scan", "--range", &format!("{base}..main")])
        .expect(1, vec![found("aws-access-key-id", "side.txt", 2, Some(&merge))]);
}

#[test]
fn range_with_an_unrelated_root_commit() {
    let (repo, base) = repo_with_base();
    repo.git(&["checkout", "-q", "--orphan", "imported"]);
    repo.git(&["rm", "-q", "-r", "--cached", "."]);
    std::fs::remove_file(repo.path().join("README")).unwrap();
    let root = repo.commit_file("creds", &credentials(KEY_ID, SECRET), "imported root");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--no-ff", "--allow-unrelated-histories", "-m", "import", "imported"]);
    // The root commit is diffed against the empty tree.
    scan(&repo, &["scan", "--range", &format!("{base}..main")]).expect(1, creds_at("creds", Some(&root)));
}

#[test]
fn symmetric_range_starts_at_the_merge_base() {
    let (repo, _) = repo_with_base();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let feature = repo.commit_file("feature.env", &credentials(KEY_ID, SECRET), "feature key");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("main.env", &credentials(KEY_ID_2, SECRET_2), "main key");
    // Not git log's symmetric difference: only what `feature` added since it forked.
    scan(&repo, &["scan", "--range", "main...feature"]).expect(1, creds_at("feature.env", Some(&feature)));
    scan(&repo, &["scan", "--range", "main..feature"]).expect(1, creds_at("feature.env", Some(&feature)));
    // From the feature branch: `...main` = since the fork, on main.
    repo.git(&["checkout", "-q", "feature"]);
    let main_key = rev(&repo, "main");
    scan(&repo, &["scan", "--range", "HEAD...main"]).expect(1, creds_at("main.env", Some(&main_key)));
}

#[test]
fn since_means_ref_to_head() {
    let (repo, base) = repo_with_base();
    repo.git(&["tag", "v1"]);
    let keyed = repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    scan(&repo, &["scan", "--since", &base]).expect(1, creds_at("creds", Some(&keyed)));
    scan(&repo, &["scan", "--since", "v1"]).expect(1, creds_at("creds", Some(&keyed)));
    scan(&repo, &["scan", "--since", "HEAD"]).expect_clean();
}

#[test]
fn range_peels_annotated_tags() {
    let (repo, base) = repo_with_base();
    repo.git(&["tag", "-a", "v0", "-m", "release 0"]);
    let keyed = repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    repo.git(&["tag", "-a", "v1", "-m", "release 1"]);
    let later = repo.commit_file("later.env", &credentials(KEY_ID_2, SECRET_2), "later key");
    assert_eq!(repo.git(&["cat-file", "-t", "v1"]), "tag");
    scan(&repo, &["scan", "--range", &format!("{base}..v1")]).expect(1, creds_at("creds", Some(&keyed)));
    scan(&repo, &["scan", "--range", "v0..v1"]).expect(1, creds_at("creds", Some(&keyed)));
    scan(&repo, &["scan", "--range", "v1..HEAD"]).expect(1, creds_at("later.env", Some(&later)));
}

#[test]
fn bad_refs_exit_two_and_name_the_ref() {
    let (repo, _) = repo_with_base();
    for args in [
        &["scan", "--range", "no-such-ref..HEAD"][..],
        &["scan", "--range", "HEAD..no-such-ref"],
        &["scan", "--range", "no-such-ref...HEAD"],
        &["scan", "--since", "no-such-ref"],
        &["scan", "--history", "--branch", "no-such-ref"],
    ] {
        let out = repo.keyfence(args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("no-such-ref"), "{args:?}: {}", stderr(&out));
    }
    // The reason in the user's terms, not the revision parser's internals.
    let out = repo.keyfence(&["scan", "--since", "HEAD~3"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("out of range") && !stderr(&out).contains("delegate"), "{}", stderr(&out));
    // Not a range at all.
    let out = repo.keyfence(&["scan", "--range", "HEAD"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("HEAD"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------
// --history

#[test]
fn history_finds_a_key_on_a_merged_then_deleted_branch() {
    let (repo, _) = repo_with_base();
    repo.git(&["checkout", "-q", "-b", "side"]);
    let side = repo.commit_file("side.env", &credentials(KEY_ID, SECRET), "side key");
    repo.git(&["rm", "-q", "side.env"]);
    commit_all(&repo, "remove it again");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("main.txt", "main\n", "main work");
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
    repo.git(&["branch", "-q", "-D", "side"]);
    assert!(!repo.path().join("side.env").exists());
    scan(&repo, &["scan", "--history"]).expect(1, creds_at("side.env", Some(&side)));
}

#[test]
fn history_finds_a_key_in_a_reverted_commit() {
    let (repo, _) = repo_with_base();
    let keyed = repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    repo.git(&["revert", "--no-edit", "HEAD"]);
    scan(&repo, &["scan", "--history"]).expect(1, creds_at("creds", Some(&keyed)));
}

#[test]
/// A renamed file is another path that holds the key: both are places to
/// clean, each at the commit that put it there (#14).
fn history_reports_a_renamed_file_at_each_path() {
    let (repo, _) = repo_with_base();
    let keyed = repo.commit_file("old-name.env", &credentials(KEY_ID, SECRET), "key");
    std::fs::create_dir(repo.path().join("config")).unwrap();
    repo.git(&["mv", "old-name.env", "config/new-name.env"]);
    let renamed = commit_all(&repo, "rename");
    let mut expected = creds_at("old-name.env", Some(&keyed));
    expected.extend(creds_at("config/new-name.env", Some(&renamed)));
    scan(&repo, &["scan", "--history"]).expect(1, expected);
}

#[test]
fn history_finds_a_commit_reachable_only_from_a_tag() {
    let (repo, _) = repo_with_base();
    repo.git(&["checkout", "-q", "--detach"]);
    let tagged = repo.commit_file("creds", &credentials(KEY_ID, SECRET), "tag-only key");
    repo.git(&["tag", "-a", "v-secret", "-m", "annotated"]);
    let lightweight = repo.commit_file("more.env", &credentials(KEY_ID_2, SECRET_2), "another");
    repo.git(&["tag", "light"]);
    repo.git(&["checkout", "-q", "main"]);
    assert_eq!(repo.git(&["branch", "--contains", &tagged]), "", "no branch has it");
    let mut expected = creds_at("creds", Some(&tagged));
    expected.extend(creds_at("more.env", Some(&lightweight)));
    scan(&repo, &["scan", "--history"]).expect(1, expected);
}

#[test]
fn history_attributes_to_the_parent_whatever_the_commit_dates() {
    // A child dated before its parent (clock skew), and a child in the same
    // second: both branch tips, so a walk by date alone meets the child first.
    for child_date in ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"] {
        let (repo, _) = repo_with_base();
        repo.write("creds", &credentials(KEY_ID, SECRET));
        let parent = commit_all_dated(&repo, "key", "2024-01-02T00:00:00Z");
        repo.git(&["checkout", "-q", "-b", "later"]);
        repo.write("README", "hello\nlater\n");
        commit_all_dated(&repo, "child", child_date);
        repo.git(&["checkout", "-q", "main"]);
        scan(&repo, &["scan", "--history"]).expect(1, creds_at("creds", Some(&parent)));
    }
}

#[test]
fn history_of_an_empty_repository_is_clean() {
    let repo = Repo::new();
    scan(&repo, &["scan", "--history"]).expect_clean();
    scan(&repo, &["scan", "--history", "--all-objects"]).expect_clean();
}

#[test]
fn history_finds_a_key_in_a_stash() {
    let (repo, _) = repo_with_base();
    repo.write("creds", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds"]);
    repo.git(&["stash", "-q"]);
    assert!(!repo.path().join("creds").exists());
    // The staged blob is first in the stash's index commit (stash^2).
    let index_commit = rev(&repo, "stash@{0}^2");
    scan(&repo, &["scan", "--history"]).expect(1, creds_at("creds", Some(&index_commit)));
}

#[test]
fn history_and_range_in_a_bare_clone() {
    let (repo, base) = repo_with_base();
    let keyed = repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    repo.commit_file("creds", CLEAN, "remove key");
    let holder = tempfile::tempdir().unwrap();
    let bare = holder.path().join("bare.git");
    for (name, extra) in [("bare.git", None), ("packed.git", Some("--no-local"))] {
        let bare = holder.path().join(name);
        let mut args = vec!["clone", "-q", "--bare"];
        args.extend(extra);
        args.extend([repo.path().to_str().unwrap(), bare.to_str().unwrap()]);
        repo.git(&args);
        scan_in(&bare, &["scan", "--history"]).expect(1, creds_at("creds", Some(&keyed)));
        scan_in(&bare, &["scan", "--range", &format!("{base}..HEAD")]).expect(1, creds_at("creds", Some(&keyed)));
        scan_in(holder.path(), &["scan", "--history", name]).expect(1, creds_at("creds", Some(&keyed)));
    }
    // A bare repository has no index: nothing is staged.
    scan_in(&bare, &["scan", "--staged"]).expect_clean();
}

#[test]
/// Once per path: re-adding the same blob at a path is not a new finding, a
/// copy at another path is (#14).
fn history_reports_the_same_blob_once_per_path() {
    let (repo, _) = repo_with_base();
    let keyed = repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    for i in 0..12 {
        repo.commit_file("README", &format!("hello {i}\n"), &format!("work {i}"));
    }
    // The same blob again at another path, on another branch, and re-added.
    repo.git(&["checkout", "-q", "-b", "copy"]);
    let copied = repo.commit_file("copy/creds", &credentials(KEY_ID, SECRET), "copy");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["rm", "-q", "creds"]);
    commit_all(&repo, "remove");
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "re-add");
    let mut expected = creds_at("creds", Some(&keyed));
    expected.extend(creds_at("copy/creds", Some(&copied)));
    scan(&repo, &["scan", "--history"]).expect(1, expected);
}

#[test]
fn history_reads_packed_deltas_and_loose_objects() {
    let (repo, _) = repo_with_base();
    // A key in an old version of a large file that later changes a little:
    // once packed, the old version is stored as a delta.
    let body: String = (1..=300).map(|i| format!("setting_{i} = value {i}\n")).collect();
    let keyed = repo.commit_file(
        "big.cfg",
        &format!("{body}aws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"),
        "key in a big file",
    );
    // Later versions are larger, so git makes them the delta bases.
    let notes: String = (1..=10).map(|i| format!("# note {i}: credentials come from the environment\n")).collect();
    for i in 0..3 {
        repo.commit_file("big.cfg", &format!("{body}{notes}# revision {i}\n"), &format!("rev {i}"));
    }
    repo.git(&["gc", "-q", "--aggressive"]);
    let counts = repo.git(&["count-objects", "-v"]);
    assert!(counts.starts_with("count: 0\n"), "all packed: {counts}");
    let keyed_blob = rev(&repo, &format!("{keyed}:big.cfg"));
    let idx = std::fs::read_dir(repo.path().join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .unwrap();
    let listing = repo.git(&["verify-pack", "-v", idx.to_str().unwrap()]);
    let keyed_entry = listing.lines().find(|l| l.starts_with(&keyed_blob)).unwrap();
    // id, type, size, size-in-pack, offset, depth, base: a delta.
    assert_eq!(keyed_entry.split_whitespace().count(), 7, "{keyed_entry}");
    // Then loose objects on top of the pack.
    let loose = repo.commit_file("loose.env", &credentials(KEY_ID_2, SECRET_2), "loose key");
    let counts = repo.git(&["count-objects", "-v"]);
    assert!(!counts.starts_with("count: 0\n"), "some loose: {counts}");

    let mut expected = vec![
        found("aws-access-key-id", "big.cfg", 301, Some(&keyed)),
        found("aws-secret-access-key", "big.cfg", 302, Some(&keyed)),
    ];
    expected.extend(creds_at("loose.env", Some(&loose)));
    scan(&repo, &["scan", "--history"]).expect(1, expected.clone());
    scan(&repo, &["scan", "--history", "--threads", "1"]).expect(1, expected.clone());
    // Two packs, and the same blob both packed and loose.
    repo.git(&["repack", "-q", "-d"]);
    assert_eq!(
        std::fs::read_dir(repo.path().join(".git/objects/pack"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|e| e == "idx"))
            .count(),
        2
    );
    repo.write("again.env", &credentials(KEY_ID, SECRET));
    repo.git(&["hash-object", "-w", "again.env"]);
    std::fs::remove_file(repo.path().join("again.env")).unwrap();
    scan(&repo, &["scan", "--history"]).expect(1, expected);
}

#[test]
fn all_objects_finds_unreachable_blobs() {
    let (repo, _) = repo_with_base();
    // A blob written to the object database but never committed.
    repo.write("scratch.env", &credentials(KEY_ID, SECRET));
    let blob = repo.git(&["hash-object", "-w", "scratch.env"]);
    std::fs::remove_file(repo.path().join("scratch.env")).unwrap();
    scan(&repo, &["scan", "--history"]).expect_clean();
    // Not reachable from any commit: named after the blob, never an empty path.
    let unreachable = creds_at(&format!("blob {blob}"), None);
    let s = scan(&repo, &["scan", "--history", "--all-objects"]);
    s.expect(1, unreachable.clone());
    assert_eq!(s.finding(0)["blob_id"].as_str(), Some(blob.as_str()));
    let out = repo.keyfence(&["scan", "--history", "--all-objects", "--format", "git-secrets"]);
    assert!(stdout(&out).starts_with(&format!("blob {blob}:2:aws_access_key_id = {KEY_ID}\n")), "{}", stdout(&out));

    // Still found once the unreachable blob is in a pack and no longer loose.
    let mut pack = repo.git_cmd();
    pack.args(["pack-objects", "-q", ".git/objects/pack/pack"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null());
    let mut child = pack.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), format!("{blob}\n").as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    repo.git(&["prune-packed"]);
    let loose = repo.path().join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    assert!(!loose.exists(), "the blob is only in the pack now");
    scan(&repo, &["scan", "--history", "--all-objects"]).expect(1, unreachable);
    scan(&repo, &["scan", "--history"]).expect_clean();
}

#[test]
fn history_follows_refs_not_reflogs() {
    let (repo, _) = repo_with_base();
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    // Only the reflog still reaches the commit: not history, but an object.
    scan(&repo, &["scan", "--history"]).expect_clean();
    let s = scan(&repo, &["scan", "--history", "--all-objects"]);
    assert_eq!(s.code, 1, "{}", s.stderr);
    assert_eq!(s.found().len(), 2, "{}", s.report);
}

#[test]
fn shallow_clones() {
    let (repo, _) = repo_with_base();
    let keyed = repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    let later = repo.commit_file("README", "hello\nagain\n", "later");
    let holder = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    for depth in ["1", "2"] {
        let clone = holder.path().join(format!("depth-{depth}"));
        repo.git(&["clone", "-q", "--depth", depth, &url, clone.to_str().unwrap()]);
        // The oldest commit present that has the key's blob is reported.
        let first = if depth == "1" { &later } else { &keyed };
        // A shallow history is only scanned when asked for (#14).
        scan_in(&clone, &["scan", "--history", "--allow-shallow"]).expect(1, creds_at("creds", Some(first)));
        scan_in(&clone, &["scan", "--since", "HEAD"]).expect_clean();
    }
    let clone = holder.path().join("depth-2");
    scan_in(&clone, &["scan", "--range", "HEAD~1..HEAD"]).expect_clean();
    // Past the shallow boundary: the base is not there.
    let s = scan_in(&clone, &["scan", "--range", &format!("{}..HEAD", rev(&repo, "HEAD~2"))]);
    assert_eq!(s.code, 2, "{}", s.stderr);
    assert!(s.stderr.contains("shallow clone") && s.stderr.contains("fetch-depth: 0"), "{}", s.stderr);
}

/// A CI checkout of the head at depth 1 plus the base fetched at depth 1: the
/// base is there, but the commits between them are not. Scanning only the
/// local head commit would pass the key two commits down unseen.
#[test]
fn range_across_a_shallow_boundary_fails_closed() {
    let (repo, _) = repo_with_base();
    repo.git(&["branch", "base"]);
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    repo.commit_file("README", "hello\nagain\n", "later");
    let holder = tempfile::tempdir().unwrap();
    let clone = holder.path().join("ci");
    let url = format!("file://{}", repo.path().display());
    repo.git(&["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()]);
    let fetch = std::process::Command::new("git")
        .current_dir(&clone)
        .args(["fetch", "-q", "--depth", "1", "origin", "base:refs/remotes/origin/base"])
        .status()
        .unwrap();
    assert!(fetch.success());
    for spec in ["origin/base..HEAD", "origin/base...HEAD"] {
        let s = scan_in(&clone, &["scan", "--range", spec]);
        assert_eq!(s.code, 2, "{spec}: {}", s.stderr);
        assert!(s.stderr.contains("shallow clone"), "{spec}: {}", s.stderr);
    }
}

/// Run keyfence under a pseudo-terminal (util-linux `script`), as a person
/// at a terminal would; returns everything the terminal showed.
fn on_a_terminal(dir: &Path, args: &str) -> (i32, String) {
    let command = format!("'{}' {args}", env!("CARGO_BIN_EXE_keyfence"));
    let out = std::process::Command::new("script")
        .current_dir(dir)
        .args(["-qec", &command, "/dev/null"])
        .env_remove("NO_COLOR")
        .output()
        .expect("`script` (util-linux) runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn history_progress_is_drawn_on_a_terminal_only() {
    let (repo, _) = repo_with_base();
    for n in 0..20 {
        repo.commit_file(&format!("file-{n}"), &format!("line {n}\n"), "more");
    }
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    let (code, screen) = on_a_terminal(repo.path(), "scan --history");
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("objects") && screen.contains("ETA"), "no progress bar: {screen}");
    assert!(screen.contains(KEY_ID), "{screen}");
    let (code, screen) = on_a_terminal(repo.path(), "scan --history --quiet");
    assert_eq!(code, 1, "{screen}");
    assert!(!screen.contains("ETA"), "--quiet drew progress: {screen}");
    // Piped, as in CI: the report only, no bar and no escape sequences.
    let s = scan(&repo, &["scan", "--history"]);
    assert_eq!(s.code, 1, "{}", s.stderr);
    assert!(!s.stderr.contains("ETA") && !s.stderr.contains('\x1b'), "{}", s.stderr);
}

#[test]
fn branch_restricts_history() {
    let (repo, base) = repo_with_base();
    let on_main = repo.commit_file("main.env", &credentials(KEY_ID, SECRET), "main key");
    repo.git(&["checkout", "-q", "-b", "other", &base]);
    let on_other = repo.commit_file("other.env", &credentials(KEY_ID_2, SECRET_2), "other key");
    repo.git(&["checkout", "-q", "main"]);
    scan(&repo, &["scan", "--history", "--branch", "main"]).expect(1, creds_at("main.env", Some(&on_main)));
    scan(&repo, &["scan", "--history", "--branch", "other"]).expect(1, creds_at("other.env", Some(&on_other)));
    scan(&repo, &["scan", "--history", "--branch", &base]).expect_clean();
    let mut both = creds_at("main.env", Some(&on_main));
    both.extend(creds_at("other.env", Some(&on_other)));
    scan(&repo, &["scan", "--history"]).expect(1, both);
}

#[test]
fn history_in_git_secrets_format_names_the_commit() {
    let (repo, _) = repo_with_base();
    let keyed = repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    let out = repo.keyfence(&["scan", "--history", "--format", "git-secrets", "--show-secrets"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("{keyed}:creds:2:aws_access_key_id = {KEY_ID}\n{keyed}:creds:3:aws_secret_access_key = {SECRET}\n")
    );
}

#[test]
fn a_key_added_while_resolving_a_merge_conflict_is_the_merges() {
    let (repo, base) = repo_with_base();
    repo.commit_file("f", "a\nb\nc\n", "f");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.commit_file("f", "a\nSIDE\nc\n", "side");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("f", "a\nMAIN\nc\n", "main");
    let out = repo.git_cmd().args(["merge", "-q", "side"]).output().unwrap();
    assert!(!out.status.success(), "the merge conflicts");
    repo.write("f", &format!("a\nMAIN\nSIDE\naws_access_key_id = {KEY_ID}\nc\n"));
    let merge = commit_all(&repo, "resolve");
    assert_eq!(repo.git(&["rev-list", "--parents", "-n1", "HEAD"]).split(' ').count(), 3);
    let at_merge = vec![found("aws-access-key-id", "f", 4, Some(&merge))];
    scan(&repo, &["scan", "--range", &format!("{base}..HEAD")]).expect(1, at_merge.clone());
    scan(&repo, &["scan", "--range", "HEAD^2..HEAD"]).expect(1, at_merge.clone());
    scan(&repo, &["scan", "--history"]).expect(1, at_merge);
}

#[test]
fn range_and_history_scan_symlink_targets() {
    // A symlink is a blob holding its target text; git stores whatever the
    // target says, a key included.
    let (repo, base) = repo_with_base();
    let target = format!("aws_access_key_id={KEY_ID_2}");
    std::os::unix::fs::symlink(&target, repo.path().join("link")).unwrap();
    repo.git(&["add", "link"]);
    let linked = commit_all(&repo, "symlink");
    let at_link = vec![found("aws-access-key-id", "link", 1, Some(&linked))];
    scan(&repo, &["scan", "--range", &format!("{base}..HEAD")]).expect(1, at_link.clone());
    scan(&repo, &["scan", "--history"]).expect(1, at_link);
    // A file turned into a symlink: a modification, compared with the file.
    repo.write("conf", "plain\n");
    commit_all(&repo, "conf");
    std::fs::remove_file(repo.path().join("conf")).unwrap();
    std::os::unix::fs::symlink(format!("aws_access_key_id={KEY_ID}"), repo.path().join("conf")).unwrap();
    let retyped = commit_all(&repo, "conf becomes a symlink");
    scan(&repo, &["scan", "--range", "HEAD~1..HEAD"])
        .expect(1, vec![found("aws-access-key-id", "conf", 1, Some(&retyped))]);
}

#[test]
fn history_finds_keys_under_refs_to_trees_and_blobs() {
    let (repo, _) = repo_with_base();
    // A blob and a tree no commit has, each reachable only from a tag.
    repo.write("blob.env", &credentials(KEY_ID, SECRET));
    let blob = repo.git(&["hash-object", "-w", "blob.env"]);
    std::fs::remove_file(repo.path().join("blob.env")).unwrap();
    repo.git(&["tag", "-a", "-m", "a blob", "blob-tag", &blob]);
    repo.write("dir/tree.env", &credentials(KEY_ID_2, SECRET_2));
    repo.git(&["add", "dir"]);
    let tree = repo.git(&["write-tree"]);
    repo.git(&["rm", "-q", "-r", "--cached", "dir"]);
    std::fs::remove_dir_all(repo.path().join("dir")).unwrap();
    repo.git(&["tag", "tree-tag", &tree]);
    // In packed-refs, with the annotated tag's peeled line.
    repo.git(&["pack-refs", "--all"]);
    let packed = std::fs::read_to_string(repo.path().join(".git/packed-refs")).unwrap();
    assert!(packed.contains(&format!("\n^{blob}\n")), "{packed}");
    // Named the way git names them: `git show refs/tags/tree-tag:dir/tree.env`.
    let mut expected = creds_at("refs/tags/blob-tag", None);
    expected.extend(creds_at("refs/tags/tree-tag:dir/tree.env", None));
    scan(&repo, &["scan", "--history"]).expect(1, expected);
    // Once a commit has the same blob, the commit is where it is reported.
    repo.write("dir/tree.env", &credentials(KEY_ID_2, SECRET_2));
    let committed = commit_all(&repo, "commit the tagged file");
    let mut expected = creds_at("refs/tags/blob-tag", None);
    expected.extend(creds_at("dir/tree.env", Some(&committed)));
    scan(&repo, &["scan", "--history"]).expect(1, expected);
}

#[test]
fn history_finds_every_stash_not_just_the_newest() {
    let (repo, _) = repo_with_base();
    // The oldest stash holds an untracked file (its third parent), the
    // next one a staged file; a newer, clean stash goes on top.
    repo.write("untracked.env", &credentials(KEY_ID, SECRET));
    repo.git(&["stash", "-q", "-u"]);
    repo.write("staged.env", &credentials(KEY_ID_2, SECRET_2));
    repo.git(&["add", "staged.env"]);
    repo.git(&["stash", "-q"]);
    repo.write("README", "hello again\n");
    repo.git(&["stash", "-q"]);
    assert_eq!(repo.git(&["stash", "list"]).lines().count(), 3);
    let mut expected = creds_at("untracked.env", Some(&rev(&repo, "stash@{2}^3")));
    expected.extend(creds_at("staged.env", Some(&rev(&repo, "stash@{1}^2"))));
    scan(&repo, &["scan", "--history"]).expect(1, expected);
}

#[test]
fn history_finds_a_detached_head_in_another_worktree() {
    let (repo, _) = repo_with_base();
    let holder = tempfile::tempdir().unwrap();
    let linked = holder.path().join("linked");
    repo.git(&["worktree", "add", "-q", "--detach", linked.to_str().unwrap()]);
    let mut git = repo.git_cmd();
    git.current_dir(&linked);
    std::fs::write(linked.join("wt.env"), credentials(KEY_ID, SECRET)).unwrap();
    assert!(git.args(["add", "wt.env"]).status().unwrap().success());
    let mut git = repo.git_cmd();
    assert!(git.current_dir(&linked).args(["commit", "-q", "-m", "on a detached HEAD"]).status().unwrap().success());
    let keyed =
        String::from_utf8(repo.git_cmd().current_dir(&linked).args(["rev-parse", "HEAD"]).output().unwrap().stdout)
            .unwrap();
    // No branch has the commit: only the linked worktree's HEAD does.
    assert_eq!(repo.git(&["branch", "--contains", keyed.trim()]), "");
    scan(&repo, &["scan", "--history"]).expect(1, creds_at("wt.env", Some(keyed.trim())));
    scan_in(&linked, &["scan", "--history"]).expect(1, creds_at("wt.env", Some(keyed.trim())));
}

#[test]
fn replace_refs_do_not_hide_the_original_commit() {
    let (repo, base) = repo_with_base();
    let keyed = repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    repo.git(&["rm", "-q", "creds"]);
    commit_all(&repo, "remove");
    // `git replace` makes git show a clean commit in place of the keyed
    // one, but the keyed commit is still what the branch holds and pushes.
    repo.git(&["checkout", "-q", "--detach", &base]);
    let clean = repo.commit_file("notes.txt", "nothing here\n", "clean stand-in");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["replace", &keyed, &clean]);
    assert!(!repo.git(&["log", "--format=%s", "main"]).contains("key\n"));
    scan(&repo, &["scan", "--history"]).expect(1, creds_at("creds", Some(&keyed)));
    scan(&repo, &["scan", "--range", &format!("{base}..main")]).expect(1, creds_at("creds", Some(&keyed)));
    // Even when the replacement itself holds a key, both are found.
    repo.git(&["replace", "-d", &keyed]);
    repo.git(&["checkout", "-q", "--detach", &base]);
    let keyed_stand_in = repo.commit_file("other.env", &credentials(KEY_ID_2, SECRET_2), "keyed stand-in");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["replace", &keyed, &keyed_stand_in]);
    let mut expected = creds_at("creds", Some(&keyed));
    expected.extend(creds_at("other.env", Some(&keyed_stand_in)));
    scan(&repo, &["scan", "--history"]).expect(1, expected);
}

// ---------------------------------------------------------------------------
// commit-msg

#[test]
fn commit_msg_finds_keys_outside_comment_lines() {
    let dir = tempfile::tempdir().unwrap();
    let message = format!(
        "Rotate the deploy key\n\nThe old one was {KEY_ID}, now revoked.\n# Please enter the commit message. {KEY_ID_2}\n"
    );
    std::fs::write(dir.path().join("COMMIT_EDITMSG"), message).unwrap();
    scan_in(dir.path(), &["hook", "commit-msg", "COMMIT_EDITMSG"])
        .expect(1, vec![found("aws-access-key-id", "COMMIT_EDITMSG", 3, None)]);

    std::fs::write(
        dir.path().join("COMMIT_EDITMSG"),
        format!("Clean subject\n\n# {KEY_ID}\n# aws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    scan_in(dir.path(), &["hook", "commit-msg", "COMMIT_EDITMSG"]).expect_clean();
}

#[test]
fn commit_msg_hook_blocks_a_real_commit() {
    let (repo, _) = repo_with_base();
    let hook = repo.path().join(".git/hooks/commit-msg");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, format!("#!/bin/sh\nexec '{}' hook commit-msg \"$1\"\n", env!("CARGO_BIN_EXE_keyfence")))
        .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = repo.git_cmd().args(["commit", "-q", "--allow-empty", "-m", &format!("use {KEY_ID}")]).output().unwrap();
    assert!(!out.status.success(), "the commit must be blocked");
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]), "base");
    let out = repo.git_cmd().args(["commit", "-q", "--allow-empty", "-m", "harmless"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

// ---------------------------------------------------------------------------
// Not a repository

#[test]
fn not_a_repository_exits_two() {
    let holder = tempfile::tempdir().unwrap();
    let dir = holder.path().join("plain");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("creds"), credentials(KEY_ID, SECRET)).unwrap();
    let dir_arg = dir.to_str().unwrap();
    for args in [
        &["scan", "--staged"][..],
        &["scan", "--history"],
        &["scan", "--range", "HEAD~1..HEAD"],
        &["scan", "--since", "HEAD"],
        &["hook", "pre-commit"],
    ] {
        let mut cmd = keyfence();
        git_env(&mut cmd);
        let out = cmd.current_dir(&dir).env("GIT_CEILING_DIRECTORIES", holder.path()).args(args).output().unwrap();
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("not a git repository"), "{args:?}: {}", stderr(&out));
    }
    let missing = holder.path().join("missing");
    let out = keyfence()
        .current_dir(holder.path())
        .args(["scan", "--history", "-C", missing.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("missing"), "{}", stderr(&out));
    for args in [&["scan", "--history", "-C", dir_arg][..], &["scan", "--staged", dir_arg]] {
        let mut cmd = keyfence();
        git_env(&mut cmd);
        let out =
            cmd.current_dir(holder.path()).env("GIT_CEILING_DIRECTORIES", holder.path()).args(args).output().unwrap();
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("not a git repository"), "{args:?}: {}", stderr(&out));
    }
}
