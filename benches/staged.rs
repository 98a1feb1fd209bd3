//! The pre-commit path in process: `staged::list` + `Pipeline::scan_listing`
//! over a real index, minus
//! process start-up (which `benches/compare.sh` measures end to end against
//! `git diff --cached --name-only`).
//!
//! The repository is built once per run in a temporary directory with the git
//! CLI: 400 files in 20 directories committed, then 6 of them edited and
//! staged (one with a fake key, so the added-line filter runs too). The
//! index, the HEAD tree and the blobs are in the OS page cache after the
//! first iteration, as they are when a hook runs right after `git add`.
//!
//! Benchmarks (`cargo bench --bench staged`):
//! - `staged/6-files`: open the repository, diff the index against HEAD
//!   (cache-tree aware), read and scan the 6 staged blobs.
//! - `staged/nothing-staged`: the same with a clean index: the fixed cost of
//!   every commit.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use keyfence::pipeline::Pipeline;
use keyfence::rules::RuleSet;
use keyfence::scan::Scanner;
use keyfence::source::git::{self, ReadOptions};
use keyfence::source::staged;

fn git_in(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.invalid")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.invalid")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// A repository with 400 committed files; `staged` of them edited and added.
fn repository(staged: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    git_in(dir.path(), &["init", "-q", "-b", "main"]);
    for d in 0..20 {
        for f in 0..20 {
            let path = dir.path().join(format!("dir{d:02}/file{f:02}.txt"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let body: String = (0..60).map(|line| format!("line {line} of file {f} in directory {d}\n")).collect();
            std::fs::write(path, body).unwrap();
        }
    }
    git_in(dir.path(), &["add", "."]);
    git_in(dir.path(), &["commit", "-q", "-m", "base"]);
    for n in 0..staged {
        let path = dir.path().join(format!("dir{:02}/file{:02}.txt", n * 3, n));
        let mut body = std::fs::read_to_string(&path).unwrap();
        body.push_str(if n == 0 { "aws_access_key_id = AKIA2E3MTGS5LTN4WCQV\n" } else { "one more line\n" });
        std::fs::write(&path, body).unwrap();
    }
    git_in(dir.path(), &["add", "."]);
    dir
}

fn bench(c: &mut Criterion, name: &str, staged_files: usize, expected_findings: usize) {
    let repo_dir = repository(staged_files);
    let rules = RuleSet::builtin();
    let mut group = c.benchmark_group("staged");
    group.sample_size(50).measurement_time(Duration::from_secs(5));
    group.bench_function(name, |b| {
        b.iter(|| {
            let repo = git::open(repo_dir.path()).expect("opens");
            let scanner = Scanner::new(&rules).expect("builds");
            let pipeline = Pipeline::new(&scanner);
            let options = ReadOptions { max_blob_size: u64::MAX, skip_missing: false };
            pipeline.scan_listing(&repo, &staged::list(&repo, &options).expect("lists"));
            let outcome = pipeline.finish();
            assert_eq!(outcome.findings.len(), expected_findings);
            outcome
        })
    });
    group.finish();
}

fn staged_benches(c: &mut Criterion) {
    bench(c, "6-files", 6, 1);
    bench(c, "nothing-staged", 0, 0);
}

criterion_group!(benches, staged_benches);
criterion_main!(benches);
