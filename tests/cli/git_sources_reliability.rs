//! Git sources against repositories that bend the usual shapes (#17): an
//! empty range base, reftable, include loops, undecodable commits, sparse
//! indexes, cherry-picks, allowlisted copies of a blob, packed bombs.

use crate::util::*;

fn keyed_repo() -> (Repo, String) {
    let repo = Repo::new();
    let base = repo.commit_file("README", "hello\n", "base");
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    (repo, base)
}

#[test]
fn an_empty_range_base_is_an_error_naming_it_not_a_clean_scan() {
    let (repo, _) = keyed_repo();
    let head = repo.git(&["rev-parse", "HEAD"]);
    for args in
        [vec!["scan", "--since", ""], vec!["scan", "--range", &format!("...{head}")], vec!["scan", "--range", "..HEAD"]]
    {
        let out = repo.keyfence(&args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("base revision is empty"), "{args:?}: {}", stderr(&out));
    }
    // An empty head still means HEAD, as in git.
    let base = repo.git(&["rev-parse", "HEAD~1"]);
    assert_eq!(code(&repo.keyfence(&["scan", "--range", &format!("{base}..")])), 1);
}

#[test]
fn a_reftable_repository_is_refused_with_a_message_naming_reftable() {
    let repo = Repo::new();
    let probe = repo.git_cmd().args(["init", "-q", "--ref-format=reftable", "rt"]).output().unwrap();
    if !probe.status.success() {
        return; // git older than 2.45
    }
    let rt = repo.path().join("rt");
    for args in [&["scan", "--staged"][..], &["scan", "--history"], &["scan", "--since", "HEAD"]] {
        let mut cmd = keyfence();
        git_env(&mut cmd);
        let out = cmd.current_dir(&rt).args(args).output().unwrap();
        assert_eq!(code(&out), 2, "{args:?}");
        let err = stderr(&out);
        assert!(err.contains("reftable") && err.lines().count() == 1, "{args:?}: {err}");
    }
}

#[test]
fn an_include_path_loop_is_reported_as_such_not_as_not_a_repository() {
    let repo = Repo::new();
    let config = repo.path().join(".git/config");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("[include]\n\tpath = config\n");
    std::fs::write(&config, text).unwrap();
    let out = repo.keyfence(&["scan", "--staged"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(!err.contains("not a git repository") && err.contains("include"), "{err}");
}

#[test]
fn an_undecodable_commit_is_named_by_its_id() {
    let repo = Repo::new();
    let hash = |args: &[&str], input: &str| git_stdin(&repo, args, input);
    let blob = hash(&["hash-object", "-w", "--stdin"], &credentials(KEY_ID, SECRET));
    let tree = hash(&["mktree"], &format!("100644 blob {blob}\tcreds\n"));
    // git reads it (fsck: missingEmail); gix cannot decode the author.
    let commit = hash(
        &["hash-object", "-t", "commit", "-w", "--literally", "--stdin"],
        &format!("tree {tree}\nauthor A a@b 1700000000 +0000\ncommitter C <c@d> 1700000000 +0000\n\nodd\n"),
    );
    repo.git(&["update-ref", "refs/heads/main", &commit]);
    for args in [
        &["scan", "--history"][..],
        &["scan", "--range", &format!("{}..main", "4b825dc642cb6eb9a060e54bf8d69288fbee4904")],
    ] {
        let out = repo.keyfence(args);
        assert_eq!(code(&out), 2, "{args:?}");
        if args[1] == "--history" {
            assert!(stderr(&out).contains(&commit), "{args:?}: {}", stderr(&out));
        }
    }
}

#[test]
fn staged_reads_a_sparse_directory_entry_that_differs_from_head() {
    let repo = Repo::new();
    repo.write("in/a.txt", "a\n");
    repo.write("out/b.txt", "b\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "base"]);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.commit_file("out/deeper/creds", &credentials(KEY_ID, SECRET), "wip");
    repo.commit_file("in/a.txt", "a\nx\n", "more");
    repo.git(&["config", "index.sparse", "true"]);
    repo.git(&["sparse-checkout", "set", "--cone", "in"]);
    // The squash step: out/ stays one collapsed entry, now holding the key.
    repo.git(&["reset", "-q", "--soft", "main"]);
    let out = repo.keyfence(&["scan", "--staged", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let paths: Vec<String> = findings(&json(&out)).into_iter().map(|(_, path, _)| path).collect();
    assert_eq!(paths, ["out/deeper/creds", "out/deeper/creds"]);
    // An unchanged collapsed directory is still skipped whole.
    repo.git(&["commit", "-q", "--no-verify", "-m", "squashed"]);
    assert_eq!(code(&repo.keyfence(&["scan", "--staged"])), 0);
}

#[test]
fn cherry_pick_revert_and_rebase_of_a_keyed_change_are_blocked_by_the_hooks() {
    let repo = Repo::new();
    repo.commit_file("README", "hello\n", "base");
    repo.git(&["checkout", "-q", "-b", "contrib"]);
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "contrib: config");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_file("other", "x\n", "main moves on");
    assert_eq!(code(&repo.keyfence(&["install"])), 0);
    let head = || repo.git(&["rev-parse", "HEAD"]);
    let try_git = |args: &[&str]| repo.git_cmd().args(args).output().unwrap();

    let before = head();
    let out = try_git(&["cherry-pick", "contrib"]);
    assert!(!out.status.success(), "cherry-pick went through");
    assert_eq!(head(), before, "nothing committed");
    assert!(stderr(&out).contains("prepare-commit-msg"), "{}", stderr(&out));
    repo.git(&["cherry-pick", "--abort"]);

    // A revert of the commit that removed a key brings it back.
    repo.git(&["-c", "core.hooksPath=/dev/null", "merge", "-q", "--no-edit", "contrib"]);
    repo.git(&["rm", "-q", "creds"]);
    repo.git(&["commit", "-q", "-m", "remove"]);
    let before = head();
    assert!(!try_git(&["revert", "--no-edit", "HEAD"]).status.success(), "revert went through");
    assert_eq!(head(), before);
    repo.git(&["reset", "-q", "--hard"]);

    // A rebase replays commits without pre-commit too.
    repo.git(&["checkout", "-q", "-b", "topic", "main~3"]);
    repo.commit_file("t", "t\n", "topic");
    repo.write("creds2", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds2"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "key, skipping the hook"]);
    let before = head();
    assert!(!try_git(&["rebase", "-q", "main"]).status.success(), "rebase went through");
    repo.git(&["rebase", "--abort"]);
    assert_eq!(head(), before);

    // A plain commit is still pre-commit's alone: --no-verify skips the check.
    repo.git(&["checkout", "-q", "main"]);
    repo.write("creds3", &credentials(KEY_ID, SECRET));
    repo.git(&["add", "creds3"]);
    assert!(try_git(&["commit", "-q", "--no-verify", "-m", "deliberate"]).status.success());
}

fn paths_found(out: &std::process::Output) -> Vec<String> {
    let mut paths: Vec<String> = findings(&json(out)).into_iter().map(|(_, path, _)| path).collect();
    paths.dedup();
    paths
}

#[test]
fn an_allowlisted_copy_of_a_blob_does_not_hide_it_at_another_path() {
    let repo = Repo::new();
    let base = repo.commit_file(".keyfence.toml", "[allowlist]\npaths = [\"fixtures/**\"]\n", "base");
    let creds = credentials(KEY_ID, SECRET);
    // One commit: the fixture and the real config, same content.
    repo.write("fixtures/aws.env", &creds);
    repo.write("src/config.env", &creds);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "config and its fixture"]);
    let range = format!("{base}..HEAD");
    let out = repo.keyfence(&["scan", "--range", &range, "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(paths_found(&out), ["src/config.env"]);
    let out = repo.keyfence(&["scan", "--history", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(paths_found(&out), ["src/config.env"]);

    // Two commits, the fixture first; then a whole copied directory.
    repo.git(&["reset", "-q", "--hard", &base]);
    repo.commit_file("fixtures/aws.env", &creds, "fixture");
    let used = repo.commit_file("src/config.env", &creds, "use it");
    let out = repo.keyfence(&["scan", "--range", &range, "--format", "json"]);
    assert_eq!(paths_found(&out), ["src/config.env"]);
    let out = repo.keyfence(&["scan", "--history", "--format", "json"]);
    assert_eq!(paths_found(&out), ["src/config.env"]);
    assert_eq!(json(&out)["findings"][0]["commit"], used.as_str());

    repo.git(&["reset", "-q", "--hard", &base]);
    repo.commit_file("fixtures/set/aws.env", &creds, "fixture");
    repo.write("deploy/set/aws.env", &creds);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "copy the directory"]);
    let out = repo.keyfence(&["scan", "--history", "--format", "json"]);
    assert_eq!(paths_found(&out), ["deploy/set/aws.env"]);

    // Only allowlisted places: still suppressed, exit 0.
    repo.git(&["reset", "-q", "--hard", &base]);
    repo.commit_file("fixtures/aws.env", &creds, "fixture");
    repo.commit_file("fixtures/copy.env", &creds, "another fixture");
    assert_eq!(code(&repo.keyfence(&["scan", "--history"])), 0);
    assert_eq!(code(&repo.keyfence(&["scan", "--range", &range])), 0);
}

#[test]
fn history_skips_a_packed_compression_bomb_without_inflating_it() {
    let repo = Repo::new();
    repo.write("creds", &credentials(KEY_ID, SECRET));
    // 100 MiB of zeros packs to about 100 KB.
    let zeros = std::fs::File::create(repo.path().join("zeros.bin")).unwrap();
    zeros.set_len(100 << 20).unwrap();
    repo.git(&["add", "creds", "zeros.bin"]);
    repo.git(&["commit", "-qm", "bomb"]);
    std::fs::remove_file(repo.path().join("zeros.bin")).unwrap();
    repo.git(&["repack", "-adq"]);
    let time = std::path::Path::new("/usr/bin/time");
    let rss = repo.path().join("rss");
    let mut cmd = if time.exists() {
        let mut cmd = std::process::Command::new(time);
        cmd.args(["-o", rss.to_str().unwrap(), "-f", "%M"]).arg(env!("CARGO_BIN_EXE_keyfence"));
        cmd
    } else {
        keyfence()
    };
    git_env(&mut cmd);
    cmd.env_remove("NO_COLOR").env("KEYFENCE_TEST", "1");
    let out = cmd.current_dir(repo.path()).args(["scan", "--history", "--max-blob-size", "1000"]).output().unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("skipped zeros.bin (104857600 bytes"), "{}", stderr(&out));
    assert!(stdout(&out).contains("creds"), "{}", stdout(&out));
    if let Ok(kb) = std::fs::read_to_string(&rss) {
        let kb: u64 = kb.lines().last().unwrap().trim().parse().unwrap();
        assert!(kb < 80_000, "peak RSS {kb} KB: the blob was inflated");
    }
}
