//! Engine throughput: `Scanner::scan` in bytes per second on real source text,
//! plus the fixed cost a pre-commit hook pays to build a scanner.
//!
//! The corpus is text every machine has: the Python standard library (`*.py`,
//! `site-packages` excluded), read in sorted path order and concatenated up
//! to 32 MiB (all of it when it is smaller). Without python3 it falls back to the `*.rs` files in the
//! cargo registry, then to generated text; the bench prints which it used.
//! Nothing is committed as data, so the corpus is the same on every run of one
//! machine but may differ between Python versions.
//!
//! Benchmarks (`cargo bench --bench engine`):
//! - `prefilter/no-hits`: one scan of the whole corpus with every match the
//!   engine would report scrubbed out first (asserted zero before timing).
//!   The Teddy prefilter plus verification of keyword hits that do not confirm.
//! - `scan/dense-hits`: the same corpus with a fake credentials block every
//!   ~4 KiB; asserts two matches per block before timing.
//! - `scan/small-blobs`: the clean corpus as 4 KiB blobs scanned one after the
//!   other with one reused `Scratch`, which is what a repository looks like.
//! - `pipeline/small-blobs`, `pipeline/small-blobs-decoding`: the same blobs
//!   through the pipeline (binary probe, findings), without and with the
//!   search for base64 runs to decode and split string literals to join
//!   (#16): their cost on ordinary text.
//! - `startup/scanner-new`: `RuleSet::builtin()` + `Scanner::new` + one scan of
//!   a small clean file, paid on every commit by a pre-commit hook.
//!
//! The targets these answer to are in `../shared/design.md` §6 (prefilter
//! ≥ 3 GB/s per core on source text) and the prefilter measurements in
//! `../shared/notes/gix-and-detection.md` §3.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use keyfence::blob::Origin;
use keyfence::finding::from_matches;
use keyfence::pipeline::Pipeline;
use keyfence::rules::RuleSet;
use keyfence::scan::{Scanner, Scratch};

const CORPUS_SIZE: usize = 32 << 20;
const MIN_CORPUS_SIZE: usize = 16 << 20;
/// One fake credentials block per this many corpus bytes in `scan/dense-hits`.
const HIT_EVERY: usize = 4 << 10;
const BLOB_SIZE: usize = 4 << 10;

/// The concatenated corpus and where each file starts in it.
struct Corpus {
    what: String,
    bytes: Vec<u8>,
    /// `(path, start, end)` per file, in corpus order.
    files: Vec<(String, usize, usize)>,
}

fn corpus() -> Corpus {
    if let Some(stdlib) = python_stdlib() {
        let paths = source_files(&stdlib, "py", Some("site-packages"));
        if let Some(corpus) = concatenate(&stdlib, &paths, "python3 stdlib") {
            return corpus;
        }
    }
    if let Some(registry) = cargo_registry_src() {
        let paths = source_files(&registry, "rs", None);
        if let Some(corpus) = concatenate(&registry, &paths, "cargo registry Rust sources") {
            return corpus;
        }
    }
    generated()
}

/// The stdlib directory, asked of python3 once.
fn python_stdlib() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args(["-c", "import sysconfig;print(sysconfig.get_paths()['stdlib'])"])
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    (out.status.success() && path.is_dir()).then_some(path)
}

fn cargo_registry_src() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let src = home.join("registry").join("src");
    src.is_dir().then_some(src)
}

/// Every `*.ext` file under `root` (symlinks not followed), sorted by path so
/// the corpus does not depend on directory order.
fn source_files(root: &Path, ext: &str, skip_dir: Option<&str>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                if skip_dir.is_none_or(|skip| entry.file_name() != skip) {
                    dirs.push(path);
                }
            } else if kind.is_file() && path.extension().is_some_and(|e| e == ext) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Whole files in order until `CORPUS_SIZE` is reached; the last one is cut.
/// A tree with less text than that is used whole (CPython 3.11's stdlib is
/// 30 MiB of `*.py`) if it reaches `MIN_CORPUS_SIZE`; repeating files to pad
/// it would make the text less real.
fn concatenate(root: &Path, paths: &[PathBuf], what: &str) -> Option<Corpus> {
    let mut bytes = Vec::with_capacity(CORPUS_SIZE);
    let mut files = Vec::new();
    for path in paths {
        let Ok(mut content) = std::fs::read(path) else {
            continue;
        };
        if !content.ends_with(b"\n") {
            content.push(b'\n');
        }
        let start = bytes.len();
        let take = content.len().min(CORPUS_SIZE - start);
        bytes.extend_from_slice(&content[..take]);
        let name = path.strip_prefix(root).unwrap_or(path).display().to_string();
        files.push((name, start, bytes.len()));
        if bytes.len() == CORPUS_SIZE {
            break;
        }
    }
    (bytes.len() >= MIN_CORPUS_SIZE).then(|| Corpus {
        what: format!("{what} {} ({} files)", root.display(), files.len()),
        bytes,
        files,
    })
}

/// Last resort: pseudo-code lines from a fixed word list, deterministic.
fn generated() -> Corpus {
    const WORDS: &[&str] = &[
        "def", "return", "self", "value", "import", "from", "class", "if", "else", "for", "in", "None", "data", "key",
        "config", "path", "result", "items", "name", "error", "=", "(", ")", ":", "#", "0", "1", "len",
    ];
    let mut rng = SplitMix64(0x6b65_7966_656e_6365);
    let mut bytes = Vec::with_capacity(CORPUS_SIZE + 128);
    while bytes.len() < CORPUS_SIZE {
        bytes.extend_from_slice(&b"        "[..4 * (rng.next() % 3) as usize]);
        for _ in 0..3 + rng.next() % 9 {
            bytes.extend_from_slice(WORDS[(rng.next() % WORDS.len() as u64) as usize].as_bytes());
            bytes.push(b' ');
        }
        bytes.push(b'\n');
    }
    bytes.truncate(CORPUS_SIZE);
    Corpus {
        what: "generated text (no python3 stdlib and no cargo registry found)".to_string(),
        bytes,
        files: vec![("generated".to_string(), 0, CORPUS_SIZE)],
    }
}

/// Overwrite every value the engine reports with `x` until a scan is clean, so
/// no-hits measures the hot path alone. Returns how many values were removed.
fn scrub(scanner: &Scanner, bytes: &mut [u8]) -> usize {
    let mut scratch = Scratch::default();
    let mut removed = 0;
    for _ in 0..8 {
        let spans: Vec<_> = scanner.scan(bytes, &mut scratch).iter().map(|m| (m.start, m.end)).collect();
        if spans.is_empty() {
            break;
        }
        removed += spans.len();
        for (start, end) in spans {
            bytes[start..end].fill(b'x');
        }
    }
    removed
}

/// A tiny deterministic generator for fake key material.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len).map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char).collect()
    }
}

/// A fake `~/.aws/credentials` profile. The blank lines keep the corpus out of
/// the three-line pairing window around the key id.
fn credentials_block(rng: &mut SplitMix64) -> String {
    const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let key_id = format!("AKIA{}", rng.string(BASE32, 16));
    let secret = rng.string(BASE64, 40);
    format!("\n\n\n\n[bench]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n\n\n\n\n")
}

/// The clean corpus with a credentials block after the first line break past
/// every `HIT_EVERY` bytes. Returns the text and the number of blocks; each
/// block was checked on its own to give exactly two matches (a random value
/// can, rarely, fail the entropy or placeholder checks, and is redrawn).
fn with_dense_hits(scanner: &Scanner, clean: &[u8]) -> (Vec<u8>, usize) {
    let mut rng = SplitMix64(0x4b45_5946_454e_4345);
    let mut scratch = Scratch::default();
    let mut out = Vec::with_capacity(clean.len() + clean.len() / HIT_EVERY * 160);
    let mut blocks = 0;
    let mut at = 0;
    while at < clean.len() {
        let cut = (at + HIT_EVERY).min(clean.len());
        let cut = memchr::memchr(b'\n', &clean[cut..]).map_or(clean.len(), |i| cut + i + 1);
        out.extend_from_slice(&clean[at..cut]);
        at = cut;
        let block = loop {
            let block = credentials_block(&mut rng);
            if scanner.scan(block.as_bytes(), &mut scratch).len() == 2 {
                break block;
            }
        };
        out.extend_from_slice(block.as_bytes());
        blocks += 1;
    }
    (out, blocks)
}

/// A small clean file for the startup bench: the first between 2 and 16 KiB.
fn small_file(corpus: &Corpus, clean: &[u8]) -> (String, Vec<u8>) {
    corpus
        .files
        .iter()
        .find(|(_, start, end)| (2 << 10..=16 << 10).contains(&(end - start)))
        .map(|(name, start, end)| (name.clone(), clean[*start..*end].to_vec()))
        .unwrap_or_else(|| ("first 8 KiB".to_string(), clean[..8 << 10].to_vec()))
}

fn engine(c: &mut Criterion) {
    let corpus = corpus();
    let rules = RuleSet::builtin();
    let scanner = Scanner::new(&rules).expect("built-in rules compile");
    let mut scratch = Scratch::default();

    let mut clean = corpus.bytes.clone();
    let removed = scrub(&scanner, &mut clean);
    assert!(scanner.scan(&clean, &mut scratch).is_empty(), "scrubbed corpus still has matches");
    let (dense, blocks) = with_dense_hits(&scanner, &clean);
    assert_eq!(
        scanner.scan(&dense, &mut scratch).len(),
        2 * blocks,
        "dense corpus: expected two matches per credentials block"
    );
    let blob_matches: usize = clean.chunks(BLOB_SIZE).map(|blob| scanner.scan(blob, &mut scratch).len()).sum();
    let (small_name, small) = small_file(&corpus, &clean);
    println!(
        "corpus: {}; {} bytes, {removed} matching values scrubbed; dense-hits: {blocks} blocks, {} bytes; \
         small-blobs: {blob_matches} matches; startup file: {small_name} ({} bytes)",
        corpus.what,
        clean.len(),
        dense.len(),
        small.len()
    );

    // Each iteration of the 32 MiB benches takes milliseconds; flat sampling
    // with few samples keeps `cargo bench --bench engine` to about a minute.
    let mut group = c.benchmark_group("prefilter");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Bytes(clean.len() as u64));
    group.bench_function("no-hits", |b| b.iter(|| black_box(scanner.scan(black_box(&clean), &mut scratch).len())));
    group.finish();

    let mut group = c.benchmark_group("scan");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Bytes(dense.len() as u64));
    group.bench_function("dense-hits", |b| b.iter(|| black_box(scanner.scan(black_box(&dense), &mut scratch).len())));
    // Matches to findings (line text, redactions, fingerprints): linear in
    // the number of matches, however many share the blob.
    let origin = Origin { path: b"dense".to_vec(), commit: None, blob_id: None };
    group.bench_function("dense-findings", |b| {
        b.iter(|| {
            let matches = scanner.scan(black_box(&dense), &mut scratch).to_vec();
            black_box(from_matches(&scanner, &dense, &matches, &origin).len())
        })
    });
    group.throughput(Throughput::Bytes(clean.len() as u64));
    group.bench_function("small-blobs", |b| {
        b.iter(|| {
            let mut found = 0;
            for blob in clean.chunks(BLOB_SIZE) {
                found += scanner.scan(black_box(blob), &mut scratch).len();
            }
            black_box(found)
        })
    });
    group.finish();

    // The pipeline on the same 4 KiB blobs, without and with decoding
    // (#16): the cost of looking for base64 runs and joined literals.
    let mut group = c.benchmark_group("pipeline");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Bytes(clean.len() as u64));
    for (name, decoding) in [("small-blobs", false), ("small-blobs-decoding", true)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let pipeline = Pipeline::new(&scanner).with_decoding(decoding);
                for blob in clean.chunks(BLOB_SIZE) {
                    pipeline.scan_and_record(black_box(blob), &origin);
                }
                black_box(pipeline.finish().findings.len())
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("startup");
    group.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    group.bench_function("scanner-new", |b| {
        b.iter(|| {
            let rules = RuleSet::builtin();
            let scanner = Scanner::new(&rules).expect("built-in rules compile");
            let mut scratch = Scratch::default();
            black_box(scanner.scan(black_box(&small), &mut scratch).len())
        })
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
