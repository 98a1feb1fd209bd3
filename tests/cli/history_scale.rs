//! History at scale and honest when incomplete (#14): one finding per secret
//! per path, findings reported even when the scan fails, partial and shallow
//! clones named.

use crate::util::*;

/// The commit-less objects directory of `repo`, for breaking it on purpose.
fn objects(repo: &Repo) -> std::path::PathBuf {
    repo.path().join(".git/objects")
}

fn loose_path(repo: &Repo, id: &str) -> std::path::PathBuf {
    objects(repo).join(&id[..2]).join(&id[2..])
}

#[test]
fn a_key_kept_through_30_edits_and_copied_is_one_finding_per_path_at_its_introducing_commit() {
    let repo = Repo::new();
    let line = format!("aws_access_key_id = {KEY_ID}\n");
    let first = repo.commit_file("config.py", &format!("{line}version = 0\n"), "add");
    // A baseline taken before the edits and the copy: the same secret at
    // other commits and paths is still the baselined one.
    let early = stdout(&repo.keyfence(&["scan", "--history", "--format", "json"]));
    let mut last = String::new();
    for n in 1..=30 {
        last = repo.commit_file("config.py", &format!("{line}version = {n}\n"), "edit");
    }
    repo.write("backup/config.py", &format!("{line}version = 30\n"));
    repo.git(&["add", "backup/config.py"]);
    repo.git(&["commit", "-q", "-m", "copy"]);
    let copy = repo.git(&["rev-parse", "HEAD"]);

    let out = repo.keyfence(&["scan", "--history", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    let found: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["commit"].as_str().unwrap().to_string(),
                f["later_versions"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(found, [("backup/config.py".to_string(), copy, 0), ("config.py".to_string(), first, 30)], "{report:#}");

    let human = stdout(&repo.keyfence(&["scan", "--history"]));
    let kept = format!("kept through 31 versions of this file, the last from {}", &last[..12]);
    assert_eq!(human.matches(&kept).count(), 1, "{human}");
    assert_eq!(report["findings"][1]["last_version_commit"], last.as_str(), "{report:#}");
    let sarif = stdout(&repo.keyfence(&["scan", "--history", "--format", "sarif"]));
    assert!(sarif.contains("\"laterVersions\": 30"), "{sarif}");

    // Baselines, the one taken before and one taken now, still suppress
    // every place (fingerprints ignore place).
    for (name, taken) in [("early.json", early), ("now.json", stdout(&out))] {
        let baseline = repo.path().join(name);
        std::fs::write(&baseline, taken).unwrap();
        let out = repo.keyfence(&["scan", "--history", "--baseline", baseline.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "{name}: {}{}", stdout(&out), stderr(&out));
    }
}

#[test]
fn a_missing_blob_exits_2_and_still_reports_the_key_found_elsewhere() {
    let repo = Repo::new();
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    repo.commit_file("notes.txt", "nothing here\n", "notes");
    let gone = repo.git(&["rev-parse", "HEAD:notes.txt"]);
    std::fs::remove_file(loose_path(&repo, &gone)).unwrap();

    let out = repo.keyfence(&["scan", "--history", "--format", "json"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains(&gone), "{}", stderr(&out));
    let report = json(&out);
    let paths: Vec<_> = findings(&report).into_iter().map(|(_, path, _)| path).collect();
    assert_eq!(paths, ["creds", "creds"], "{report:#}");
    assert!(!report["errors"].as_array().unwrap().is_empty());

    let sarif: serde_json::Value =
        serde_json::from_slice(&repo.keyfence(&["scan", "--history", "--format", "sarif"]).stdout).unwrap();
    assert_eq!(sarif["runs"][0]["invocations"][0]["executionSuccessful"], false);
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);
}

#[test]
fn a_promisor_pack_without_partial_clone_config_is_named_a_partial_clone() {
    let repo = Repo::new();
    repo.commit_file("a.txt", "kept\n", "a");
    repo.commit_file("b.txt", "promised\n", "b");
    let promised = repo.git(&["rev-parse", "HEAD:b.txt"]);
    // A pack of everything but the promised blob, marked as a promisor
    // pack, and no promisor remote in the config (a copied snapshot).
    let all = repo.git(&["rev-list", "--objects", "--all"]);
    let kept: String = all.lines().filter(|l| !l.starts_with(&promised)).map(|l| format!("{l}\n")).collect();
    let mut pack = repo.git_cmd();
    pack.args(["pack-objects", "-q", ".git/objects/pack/pack"]).stdin(std::process::Stdio::piped());
    pack.stdout(std::process::Stdio::piped());
    let mut child = pack.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(kept.as_bytes()).unwrap();
    let name = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    std::fs::write(objects(&repo).join(format!("pack/pack-{}.promisor", name.trim())), "").unwrap();
    repo.git(&["prune-packed"]);
    std::fs::remove_file(loose_path(&repo, &promised)).unwrap();

    let out = repo.keyfence(&["scan", "--history"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("a partial clone") && err.contains("--skip-missing"), "{err}");
    assert!(!err.contains("damaged"), "{err}");
}

#[test]
fn a_depth_1_clone_is_an_error_for_history_and_with_allow_shallow_a_partial_report() {
    let origin = Repo::new();
    origin.commit_file("creds", &credentials(KEY_ID, SECRET), "add a key");
    origin.git(&["rm", "-q", "creds"]);
    origin.git(&["commit", "-q", "-m", "remove it"]);
    origin.commit_file("README", "hello\n", "docs");
    let parent = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    let mut clone = origin.git_cmd();
    clone.current_dir(parent.path()).args(["clone", "-q", "--depth", "1", &url, "clone"]);
    assert!(clone.status().unwrap().success());
    let clone = parent.path().join("clone");
    let keyfence = |args: &[&str]| {
        let mut cmd = crate::util::keyfence();
        git_env(&mut cmd);
        cmd.current_dir(&clone).args(args).output().unwrap()
    };

    let out = keyfence(&["scan", "--history"]);
    assert_eq!(code(&out), 2, "{}{}", stdout(&out), stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("shallow clone") && err.contains("git fetch --unshallow"), "{err}");
    assert!(err.contains("fetch-depth: 0") && err.contains("--allow-shallow"), "{err}");

    let out = keyfence(&["scan", "--history", "--allow-shallow"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("PARTIAL: the repository is a shallow clone"), "{}", stdout(&out));
    let report = json(&keyfence(&["scan", "--history", "--allow-shallow", "--format", "json"]));
    assert!(report["partial"].as_str().is_some_and(|p| p.contains("shallow")), "{report:#}");
}

#[test]
fn a_commit_only_a_pull_request_ref_reaches_is_named_as_such() {
    let repo = Repo::new();
    repo.commit_file("README", "hello\n", "base");
    repo.git(&["checkout", "-q", "-b", "contribution"]);
    let keyed = repo.commit_file("creds", &credentials(KEY_ID, SECRET), "a pull request with a key");
    repo.git(&["update-ref", "refs/pull/497/head", &keyed]);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["branch", "-q", "-D", "contribution"]);

    let out = repo.keyfence(&["scan", "--history"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let human = stdout(&out);
    assert!(human.contains("only on refs/pull/497/head, on no branch or tag"), "{human}");
    let report = json(&repo.keyfence(&["scan", "--history", "--format", "json"]));
    assert_eq!(report["findings"][0]["only_reachable_from"], "refs/pull/497/head", "{report:#}");

    // Once a branch has it, nothing is said.
    repo.git(&["branch", "kept", &keyed]);
    let human = stdout(&repo.keyfence(&["scan", "--history"]));
    assert!(!human.contains("only on"), "{human}");
}

#[test]
fn incident_steps_are_printed_once_for_all_key_ids() {
    let repo = Repo::new();
    repo.commit_file("one.env", &credentials(KEY_ID, SECRET), "one");
    repo.commit_file("two.env", &credentials(KEY_ID_2, SECRET_2), "two");
    let human = stdout(&repo.keyfence(&["scan", "--history"]));
    assert_eq!(human.matches("1. Deactivate the key now").count(), 1, "{human}");
    assert!(
        human.contains(&format!("For each of these 2 keys (KEY_ID below is each of {KEY_ID} {KEY_ID_2})")),
        "{human}"
    );
    assert!(human.contains("--access-key-id KEY_ID --status Inactive"), "{human}");
    // Each key is still named with what is known of it.
    assert!(human.contains(&format!("{KEY_ID}: ")) && human.contains(&format!("{KEY_ID_2}: ")), "{human}");
}

#[test]
fn history_of_two_repositories_in_one_run_reports_both_and_exits_with_the_worst() {
    let (one, two) = (Repo::new(), Repo::new());
    one.commit_file("creds", &credentials(KEY_ID, SECRET), "one");
    two.commit_file("app.env", &credentials(KEY_ID_2, SECRET_2), "two");
    let parent = one.path().parent().unwrap().to_path_buf();
    let (a, b) = (one.path().to_str().unwrap(), two.path().to_str().unwrap());
    let run = |args: &[&str]| {
        let mut cmd = crate::util::keyfence();
        git_env(&mut cmd);
        cmd.current_dir(&parent).args(args).output().unwrap()
    };

    let out = run(&["scan", "--history", a, b, "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    let found: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["repository"].as_str().unwrap().to_string(), f["path"].as_str().unwrap().to_string()))
        .collect();
    let expected =
        [(a, "creds"), (a, "creds"), (b, "app.env"), (b, "app.env")].map(|(r, p)| (r.to_string(), p.to_string()));
    assert_eq!(found, expected, "{report:#}");
    let human = stdout(&run(&["scan", "--history", a, b]));
    assert!(human.contains(&format!("{a}: creds")) && human.contains(&format!("{b}: app.env")), "{human}");

    // A path that is no repository is exit 2 naming it; the others are
    // still reported.
    let nothing = tempfile::tempdir().unwrap();
    let gone = nothing.path().to_str().unwrap();
    let out = run(&["scan", "--history", a, gone, "--format", "json"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("repository {gone}")), "{}", stderr(&out));
    assert_eq!(json(&out)["findings"].as_array().unwrap().len(), 2);
    // Staged and range scans still take one repository.
    assert_eq!(code(&run(&["scan", "--staged", a, b])), 2);
}

/// keyfence in `dir` under `script`, a pseudo-terminal: what the screen got.
fn on_a_terminal(dir: &std::path::Path, args: &str) -> (i32, String) {
    let command = format!("'{}' {args}", env!("CARGO_BIN_EXE_keyfence"));
    let out = std::process::Command::new("script")
        .current_dir(dir)
        .args(["-qec", &command, "/dev/null"])
        .output()
        .expect("`script` (util-linux) runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_commit_walk_after_the_objects_has_its_own_progress_and_rates_are_whole_numbers() {
    let repo = Repo::new();
    for n in 0..30 {
        repo.commit_file(&format!("file-{n}"), &format!("line {n}\n"), "more");
    }
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    let (code, screen) = on_a_terminal(repo.path(), "scan --history");
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("commits walked to place findings"), "no progress for the walk: {screen}");
    // `57,087.6035/s` was indicatif's own rate.
    let rates: Vec<&str> = screen.split(['(', ' ']).filter(|w| w.ends_with("/s,")).collect();
    assert!(!rates.is_empty(), "{screen}");
    assert!(
        rates.iter().all(|r| r.trim_end_matches("/s,").chars().all(|c| c.is_ascii_digit() || c == ',')),
        "{rates:?}"
    );
}

#[test]
fn a_clean_history_whose_objects_all_resolve_needs_no_commit_walk_and_a_gap_still_fails_closed() {
    let repo = Repo::new();
    for n in 0..5 {
        repo.commit_file(&format!("f{n}"), &format!("clean {n}\n"), "work");
    }
    let (status, screen) = on_a_terminal(repo.path(), "scan --history");
    assert_eq!(status, 0, "{screen}");
    assert!(screen.contains("objects") && !screen.contains("commits walked"), "{screen}");

    // A dangling tree naming a blob that is gone: the names do not all
    // resolve, so the walk runs, and finds nothing reachable missing.
    let doomed = git_stdin(&repo, &["hash-object", "-w", "--stdin"], "only a dangling tree has me\n");
    git_stdin(&repo, &["mktree"], &format!("100644 blob {doomed}\tdangling\n"));
    std::fs::remove_file(loose_path(&repo, &doomed)).unwrap();
    let (status, screen) = on_a_terminal(repo.path(), "scan --history");
    assert_eq!(status, 0, "{screen}");
    assert!(screen.contains("commits walked"), "{screen}");

    // A reachable blob that is gone is still exit 2.
    let gone = repo.git(&["rev-parse", "HEAD:f4"]);
    std::fs::remove_file(loose_path(&repo, &gone)).unwrap();
    let out = repo.keyfence(&["scan", "--history"]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(stderr(&out).contains(&gone), "{}", stderr(&out));
}

/// (path, commit, later versions) of every finding of a JSON history report.
fn places(repo: &Repo) -> Vec<(String, String, u64)> {
    let out = repo.keyfence(&["scan", "--history", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let mut places: Vec<_> = json(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let field = |name: &str| f[name].as_str().unwrap().to_string();
            (field("path"), field("commit"), f["later_versions"].as_u64().unwrap_or(0))
        })
        .collect();
    places.sort();
    places.dedup();
    places
}

/// The same places whether the objects are loose or packed: packed, the
/// trees come from the traversal's record instead of the object database.
fn places_loose_and_packed(repo: &Repo) -> Vec<(String, String, u64)> {
    let loose = places(repo);
    repo.git(&["repack", "-adq"]);
    repo.git(&["prune-packed"]);
    assert_eq!(places(repo), loose, "packed and loose differ");
    loose
}

#[test]
fn history_attribution_of_a_blob_at_two_paths_in_one_commit_places_it_at_both() {
    let repo = Repo::new();
    repo.commit_file("README", "start\n", "start");
    let creds = credentials(KEY_ID, SECRET);
    repo.write("one/creds", &creds);
    repo.write("two/deeper/creds", &creds);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "twice"]);
    let both = repo.git(&["rev-parse", "HEAD"]);
    let paths: Vec<_> =
        places_loose_and_packed(&repo).into_iter().map(|(path, commit, _)| (path, commit == both)).collect();
    assert_eq!(paths, [("one/creds".to_string(), true), ("two/deeper/creds".to_string(), true)]);
}

#[test]
fn history_attribution_of_a_tree_shared_by_many_commits_is_its_first_commit() {
    let repo = Repo::new();
    let first = repo.commit_file("keys/creds", &credentials(KEY_ID, SECRET), "key");
    // Forty commits that leave keys/ (one tree) as it is.
    for n in 0..40 {
        repo.commit_file("churn.txt", &format!("{n}\n"), "churn");
    }
    assert_eq!(places_loose_and_packed(&repo), [("keys/creds".to_string(), first, 0)]);
}

#[test]
fn history_attribution_of_a_subtree_moved_between_directories_is_at_the_move() {
    let repo = Repo::new();
    let added = repo.commit_file("old/place/creds", &credentials(KEY_ID, SECRET), "key");
    repo.commit_file("old/other", "x\n", "more");
    std::fs::create_dir_all(repo.path().join("new")).unwrap();
    repo.git(&["mv", "old/place", "new/place"]);
    repo.git(&["commit", "-q", "-m", "move"]);
    let moved = repo.git(&["rev-parse", "HEAD"]);
    assert_eq!(
        places_loose_and_packed(&repo),
        [("new/place/creds".to_string(), moved, 0), ("old/place/creds".to_string(), added, 0)]
    );
}

#[test]
fn history_attribution_in_a_packed_repository_still_fails_closed_on_a_missing_reachable_blob() {
    let repo = Repo::new();
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    repo.commit_file("notes.txt", "nothing here\n", "notes");
    let gone = repo.git(&["rev-parse", "HEAD:notes.txt"]);
    // Pack everything but that blob: the traversal's record names it missing.
    repo.git(&["repack", "-adq"]);
    let packed: Vec<String> = repo
        .git(&["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"])
        .lines()
        .filter(|id| *id != gone)
        .map(str::to_string)
        .collect();
    let pack = git_stdin(&repo, &["pack-objects", "-q", ".git/objects/pack/pack"], &(packed.join("\n") + "\n"));
    for entry in std::fs::read_dir(objects(&repo).join("pack")).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().contains(&pack) {
            std::fs::remove_file(path).unwrap();
        }
    }
    let out = repo.keyfence(&["scan", "--history", "--format", "json"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains(&gone) && stderr(&out).contains("notes.txt"), "{}", stderr(&out));
    assert_eq!(findings(&json(&out)).len(), 2, "{}", stdout(&out));
    let out = repo.keyfence(&["scan", "--history", "--skip-missing"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("notes.txt"), "{}", stderr(&out));
}
