//! Detection depth (#16): credentials inside archives (zip and its kin,
//! tar, tar.gz, gz, bz2, xz), bounded against bombs, corrupt and deep archives.
//! Fixtures are built in the tests with the crates keyfence reads them with,
//! bzip2 and xz ones with python3's modules.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::util::{code, credentials, findings, json, run_in, stderr, Repo, KEY_ID, SECRET};

fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        out.start_file(*name, options).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = tar::Builder::new(Vec::new());
    for (name, bytes) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        out.append_data(&mut header, name, *bytes).unwrap();
    }
    out.into_inner().unwrap()
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut out = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    out.write_all(bytes).unwrap();
    out.finish().unwrap()
}

fn creds() -> Vec<u8> {
    credentials(KEY_ID, SECRET).into_bytes()
}

/// The four archive shapes of the issue, each holding the fake key pair.
fn write_archives(dir: &std::path::Path) {
    let creds = creds();
    std::fs::write(dir.join("lambda.zip"), zip(&[("config/credentials", &creds)])).unwrap();
    let jar = zip(&[("app.properties", &creds)]);
    std::fs::write(dir.join("bundle.zip"), zip(&[("lib/b.jar", &jar)])).unwrap();
    std::fs::write(dir.join("home.tar.gz"), gz(&tar(&[("home/.aws/credentials", &creds)]))).unwrap();
    std::fs::write(dir.join("creds.ini.gz"), gz(&creds)).unwrap();
}

const MEMBERS: [&str; 4] = [
    "bundle.zip!lib/b.jar!app.properties",
    "creds.ini.gz!creds.ini",
    "home.tar.gz!home/.aws/credentials",
    "lambda.zip!config/credentials",
];

fn paths_with(report: &serde_json::Value, rule: &str) -> Vec<String> {
    let mut paths: Vec<String> = findings(report).into_iter().filter(|f| f.0 == rule).map(|f| f.1).collect();
    paths.sort();
    paths
}

/// `scan PATH` over the archives `write` makes finds both halves of the key
/// pair in each of `members`, at the member's own lines; the JSON report and
/// its raw bytes are returned for the caller's own checks.
fn assert_found_by_scan_path(write: fn(&std::path::Path), members: &[&str]) -> (serde_json::Value, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path());
    let out = run_in(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(paths_with(&report, "aws-access-key-id"), members, "{report:#}");
    assert_eq!(paths_with(&report, "aws-secret-access-key"), members, "{report:#}");
    assert!(findings(&report).iter().all(|f| f.2 == 2 || f.2 == 3), "lines are the member's: {report:#}");
    (report, out.stdout)
}

/// `scan --history` finds the key in each of `members` of the archives
/// `write` makes, at the commit that added the archives.
fn assert_found_by_history(write: fn(&std::path::Path), members: &[&str]) {
    let repo = Repo::new();
    write(repo.path());
    repo.git(&["add", "."]);
    repo.git(&["commit", "-q", "-m", "archives"]);
    let commit = repo.git(&["rev-parse", "HEAD"]);
    repo.commit_file("README", "nothing here\n", "later");
    let out = repo.keyfence(&["scan", "--history", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(paths_with(&report, "aws-access-key-id"), members, "{report:#}");
    for finding in report["findings"].as_array().unwrap() {
        assert_eq!(finding["commit"].as_str(), Some(commit.as_str()), "{finding:#}");
    }
}

#[test]
fn keys_inside_zip_jar_in_zip_tar_gz_and_gz_are_found_by_scan_path_as_archive_members() {
    let (_, out) = assert_found_by_scan_path(write_archives, &MEMBERS);
    assert!(!out.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()), "no literal secret in json");
}

#[test]
fn keys_inside_archives_are_found_by_history_with_the_archives_commit_and_path() {
    assert_found_by_history(write_archives, &MEMBERS);
}

#[test]
fn a_changed_archive_is_scanned_whole_by_staged_and_range() {
    let repo = Repo::new();
    let creds = creds();
    std::fs::write(repo.path().join("app.jar"), zip(&[("a.properties", &creds)])).unwrap();
    repo.git(&["add", "."]);
    repo.git(&["commit", "-q", "-m", "base"]);
    let base = repo.git(&["rev-parse", "HEAD"]);
    // The key's member is unchanged; another member is added.
    std::fs::write(repo.path().join("app.jar"), zip(&[("a.properties", &creds), ("b.txt", b"hello\n")])).unwrap();
    repo.git(&["add", "."]);
    let staged = repo.keyfence(&["scan", "--staged", "--format", "json"]);
    assert_eq!(code(&staged), 1, "{}", stderr(&staged));
    assert_eq!(paths_with(&json(&staged), "aws-access-key-id"), ["app.jar!a.properties"]);
    repo.git(&["commit", "-q", "-m", "change"]);
    let range = repo.keyfence(&["scan", "--range", &format!("{base}..HEAD"), "--format", "json"]);
    assert_eq!(code(&range), 1, "{}", stderr(&range));
    assert_eq!(paths_with(&json(&range), "aws-access-key-id"), ["app.jar!a.properties"]);
}

#[test]
fn a_zip_bomb_is_skipped_listed_and_never_inflated() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 16 << 20];
    std::fs::write(dir.path().join("bomb.zip"), zip(&[("zeros", &zeros), ("creds", &creds())])).unwrap();
    // The same bomb as a gzip stream, whose header declares no size.
    std::fs::write(dir.path().join("bomb.gz"), gz(&zeros)).unwrap();
    let started = Instant::now();
    let out = run_in(dir.path(), &["scan", "--format", "json", "."]);
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    let report = json(&out);
    let skipped: Vec<(&str, &str)> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["path"].as_str().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    assert!(skipped.iter().any(|(p, r)| *p == "bomb.zip!zeros" && r.contains("zip bomb")), "{report:#}");
    assert!(skipped.iter().any(|(p, r)| *p == "bomb.gz" && r.contains("zip bomb")), "{report:#}");
    assert!(stderr(&out).contains("skipped bomb.zip!zeros"), "{}", stderr(&out));
    // The bomb's neighbour is still read.
    assert_eq!(paths_with(&report, "aws-access-key-id"), ["bomb.zip!creds"], "{report:#}");
    assert_eq!(report["stats"]["bytes_scanned"], creds().len(), "nothing of the bomb was scanned");
}

#[test]
fn a_corrupt_archive_is_listed_as_skipped_and_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut broken = zip(&[("config/credentials", &creds())]);
    broken.truncate(broken.len() - 30);
    std::fs::write(dir.path().join("broken.zip"), broken).unwrap();
    let mut tgz = gz(&tar(&[("x", &creds())]));
    tgz.truncate(20);
    std::fs::write(dir.path().join("broken.tgz"), tgz).unwrap();
    let out = run_in(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    for path in ["broken.zip", "broken.tgz"] {
        assert!(
            report["skipped"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["path"] == path && s["reason"] == "corrupt or unreadable archive"),
            "{path}: {report:#}"
        );
    }
    assert_eq!(report["errors"].as_array().unwrap().len(), 0);
    assert_eq!(report["stats"]["skipped_in_archives"], 2);
}

#[test]
fn no_archives_skips_archives_as_binary() {
    let dir = tempfile::tempdir().unwrap();
    write_archives(dir.path());
    let out = run_in(dir.path(), &["scan", "--no-archives", "--format", "json", "."]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["stats"]["skipped_binary"], 4);
}

#[test]
fn archives_nested_deeper_than_three_are_listed_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let creds = creds();
    let mut nested = zip(&[("deep.txt", &creds)]);
    for level in 0..3 {
        nested = zip(&[(&format!("l{level}.zip"), &nested), ("k.txt", &creds)]);
    }
    std::fs::write(dir.path().join("top.zip"), nested).unwrap();
    let out = run_in(dir.path(), &["scan", "--format", "json", "."]);
    let report = json(&out);
    assert_eq!(
        paths_with(&report, "aws-access-key-id"),
        ["top.zip!k.txt", "top.zip!l2.zip!k.txt", "top.zip!l2.zip!l1.zip!k.txt"],
        "{report:#}"
    );
    assert_eq!(report["skipped"][0]["path"], "top.zip!l2.zip!l1.zip!l0.zip", "{report:#}");
    assert!(report["skipped"][0]["reason"].as_str().unwrap().contains("deeper than 3"));
}

#[test]
fn an_archive_member_above_max_blob_size_is_skipped_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let big = credentials(KEY_ID, SECRET).repeat(200);
    std::fs::write(dir.path().join("a.zip"), zip(&[("big.ini", big.as_bytes()), ("small.ini", &creds())])).unwrap();
    let out = run_in(dir.path(), &["scan", "--max-blob-size", "4096", "--format", "json", "."]);
    let report = json(&out);
    assert_eq!(paths_with(&report, "aws-access-key-id"), ["a.zip!small.ini"], "{report:#}");
    assert_eq!(report["skipped"][0]["path"], "a.zip!big.ini", "{report:#}");
    assert_eq!(report["skipped"][0]["size"], big.len());
}

// --- bzip2 and xz, written by python3 (an encoder keyfence does not link) ---

/// What `python3 -c script` writes for `input` on its stdin.
fn python(script: &str, input: &[u8]) -> Vec<u8> {
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 builds the bzip2 and xz fixtures");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python3 -c {script}");
    out.stdout
}

const OUT: &str = "import sys; out = sys.stdout.buffer.write; data = sys.stdin.buffer.read()\n";

fn bz2(bytes: &[u8]) -> Vec<u8> {
    python(&format!("{OUT}import bz2; out(bz2.compress(data))"), bytes)
}

fn xz(bytes: &[u8]) -> Vec<u8> {
    python(&format!("{OUT}import lzma; out(lzma.compress(data))"), bytes)
}

/// A tar of one member `name` holding stdin, compressed as tarfile's `mode` says (`w:bz2`, `w:xz`).
fn python_tar(mode: &str, name: &str, bytes: &[u8]) -> Vec<u8> {
    let script = format!(
        "{OUT}import io, tarfile\nbuf = io.BytesIO()\nwith tarfile.open(fileobj=buf, mode='{mode}') as t:\n    \
         info = tarfile.TarInfo('{name}'); info.size = len(data); t.addfile(info, io.BytesIO(data))\nout(buf.getvalue())"
    );
    python(&script, bytes)
}

/// A zip whose member is compressed with bzip2 (method 12), as python's zipfile writes it.
fn bzip2_zip(name: &str, bytes: &[u8]) -> Vec<u8> {
    let script = format!(
        "{OUT}import io, zipfile\nbuf = io.BytesIO()\nwith zipfile.ZipFile(buf, 'w', zipfile.ZIP_BZIP2) as z:\n    \
         z.writestr('{name}', data)\nout(buf.getvalue())"
    );
    python(&script, bytes)
}

fn write_bzip2_and_xz_archives(dir: &std::path::Path) {
    let creds = creds();
    std::fs::write(dir.join("creds.ini.bz2"), bz2(&creds)).unwrap();
    std::fs::write(dir.join("creds.ini.xz"), xz(&creds)).unwrap();
    std::fs::write(dir.join("home.tar.bz2"), python_tar("w:bz2", "home/.aws/credentials", &creds)).unwrap();
    std::fs::write(dir.join("home.txz"), python_tar("w:xz", "home/.aws/credentials", &creds)).unwrap();
    std::fs::write(dir.join("legacy.zip"), bzip2_zip("config/credentials", &creds)).unwrap();
}

const BZIP2_AND_XZ_MEMBERS: [&str; 5] = [
    "creds.ini.bz2!creds.ini",
    "creds.ini.xz!creds.ini",
    "home.tar.bz2!home/.aws/credentials",
    "home.txz!home/.aws/credentials",
    "legacy.zip!config/credentials",
];

#[test]
fn keys_inside_bz2_xz_tar_bz2_tar_xz_and_bzip2_zip_members_are_found_by_scan_path() {
    let (report, _) = assert_found_by_scan_path(write_bzip2_and_xz_archives, &BZIP2_AND_XZ_MEMBERS);
    assert_eq!(report["skipped"].as_array().unwrap().len(), 0, "{report:#}");
}

#[test]
fn keys_inside_bz2_and_xz_archives_are_found_by_history_with_the_archives_commit_and_path() {
    assert_found_by_history(write_bzip2_and_xz_archives, &BZIP2_AND_XZ_MEMBERS);
}

/// `(path, reason)` of every skipped blob.
fn skipped(report: &serde_json::Value) -> Vec<(String, String)> {
    let all = report["skipped"].as_array().unwrap().iter();
    all.map(|s| (s["path"].as_str().unwrap().to_string(), s["reason"].as_str().unwrap().to_string())).collect()
}

#[test]
fn a_bz2_or_xz_bomb_is_skipped_listed_and_never_inflated() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 16 << 20];
    std::fs::write(dir.path().join("bomb.bz2"), bz2(&zeros)).unwrap();
    std::fs::write(dir.path().join("bomb.tar.xz"), python_tar("w:xz", "zeros", &zeros)).unwrap();
    std::fs::write(dir.path().join("creds.ini.bz2"), bz2(&creds())).unwrap();
    let started = Instant::now();
    let out = run_in(dir.path(), &["scan", "--format", "json", "."]);
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    let skipped = skipped(&report);
    for path in ["bomb.bz2", "bomb.tar.xz"] {
        assert!(skipped.iter().any(|(p, r)| p == path && r.contains("zip bomb")), "{path}: {report:#}");
    }
    assert!(stderr(&out).contains("skipped bomb.bz2"), "{}", stderr(&out));
    assert_eq!(paths_with(&report, "aws-access-key-id"), ["creds.ini.bz2!creds.ini"], "{report:#}");
    assert_eq!(report["stats"]["bytes_scanned"], creds().len(), "nothing of the bombs was scanned");
}

#[test]
fn a_corrupt_xz_or_bz2_is_listed_as_skipped_and_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut truncated = xz(&creds());
    truncated.truncate(truncated.len() / 2);
    std::fs::write(dir.path().join("truncated.xz"), truncated).unwrap();
    let mut flipped = xz(&creds());
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    std::fs::write(dir.path().join("flipped.xz"), flipped).unwrap();
    let mut tbz = python_tar("w:bz2", "x", &creds());
    tbz.truncate(30);
    std::fs::write(dir.path().join("broken.tbz2"), tbz).unwrap();
    let out = run_in(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    let skipped = skipped(&report);
    for path in ["truncated.xz", "flipped.xz", "broken.tbz2"] {
        assert!(skipped.contains(&(path.into(), "corrupt or unreadable archive".into())), "{path}: {report:#}");
    }
    assert_eq!(report["errors"].as_array().unwrap().len(), 0);
    assert_eq!(report["stats"]["skipped_in_archives"], 3);
}

#[test]
fn an_xz_that_asks_for_a_huge_dictionary_is_listed_and_not_allocated() {
    // A 1-filter block header (12 bytes after the 12-byte stream header)
    // whose LZMA2 dictionary property is set to 40 (4 GiB), its CRC32 redone.
    let script = format!(
        "{OUT}import lzma, zlib, struct\nx = bytearray(lzma.compress(data))\n\
         assert x[12:16] == bytes([2, 0, 0x21, 1]), x[12:16]\nx[16] = 40\n\
         x[20:24] = struct.pack('<I', zlib.crc32(bytes(x[12:20])))\nout(bytes(x))"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("greedy.xz"), python(&script, &creds())).unwrap();
    let out = run_in(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(
        skipped(&report),
        [("greedy.xz".into(), "decompressing needs over 128 MiB of memory (xz dictionary), not inflated".into())]
    );
}

#[test]
fn a_bz2_or_xz_member_above_max_blob_size_is_skipped_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let big = credentials(KEY_ID, SECRET).repeat(200);
    std::fs::write(dir.path().join("big.ini.xz"), xz(big.as_bytes())).unwrap();
    std::fs::write(dir.path().join("home.tar.bz2"), python_tar("w:bz2", "big.ini", big.as_bytes())).unwrap();
    let out = run_in(dir.path(), &["scan", "--max-blob-size", "4096", "--format", "json", "."]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    let skipped = skipped(&report);
    // A compressed tar is inflated whole before it is read, as tar.gz is:
    // the tar is the blob the bound applies to.
    for path in ["big.ini.xz", "home.tar.bz2"] {
        assert!(skipped.iter().any(|(p, r)| p == path && r.contains("--max-blob-size")), "{path}: {report:#}");
    }
}

#[test]
fn no_archives_leaves_bz2_and_xz_unopened() {
    let dir = tempfile::tempdir().unwrap();
    write_bzip2_and_xz_archives(dir.path());
    let out = run_in(dir.path(), &["scan", "--no-archives", "--format", "json", "."]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["findings"].as_array().unwrap().len(), 0);
}

// --- base64 ---

fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

/// `(rule, path, line, column, encoding)` of every finding.
fn located(report: &serde_json::Value) -> Vec<(String, String, u64, u64, String)> {
    let mut all: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["encoding"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    all.sort();
    all
}

fn scan_dir(files: &[(&str, String)]) -> (i32, serde_json::Value, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = run_in(dir.path(), &["scan", "--format", "json", "."]);
    (code(&out), json(&out), stderr(&out))
}

#[test]
fn base64_credentials_in_a_kubernetes_secret_are_decoded_and_named_by_the_encoded_run() {
    let (id, secret) = (b64(KEY_ID.as_bytes()), b64(SECRET.as_bytes()));
    let manifest = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: aws\ntype: Opaque\ndata:\n  \
         aws_access_key_id: {id}\n  aws_secret_access_key: {secret}\n"
    );
    let (code, report, stderr) = scan_dir(&[("secret.yaml", manifest)]);
    assert_eq!(code, 1, "{stderr}");
    let b64 = "base64".to_string();
    assert_eq!(
        located(&report),
        [
            ("aws-access-key-id".into(), "secret.yaml".into(), 7, 22, b64.clone()),
            ("aws-secret-access-key".into(), "secret.yaml".into(), 8, 26, b64),
        ],
        "{report:#}"
    );
    let text = report.to_string();
    assert!(!text.contains(SECRET), "no literal secret in json");
    assert_eq!(report["findings"][1]["paired_key_id"], KEY_ID, "{report:#}");
}

#[test]
fn base64_credentials_in_docker_config_npmrc_and_basic_auth_headers_are_decoded() {
    let pair = b64(format!("{KEY_ID}:{SECRET}").as_bytes());
    let docker = format!(
        "{{\n  \"auths\": {{\n    \"registry.example.invalid\": {{\n      \"auth\": \"{pair}\"\n    }}\n  }}\n}}\n"
    );
    let npmrc = format!("registry=https://npm.example.invalid/\n_auth={pair}\nalways-auth=true\n");
    let curl = format!("#!/bin/sh\ncurl -H \"Authorization: Basic {pair}\" https://api.example.invalid/\n");
    let (code, report, stderr) = scan_dir(&[("config.json", docker), (".npmrc", npmrc), ("call.sh", curl)]);
    assert_eq!(code, 1, "{stderr}");
    let ids: Vec<_> = located(&report).into_iter().filter(|f| f.0 == "aws-access-key-id").collect();
    assert_eq!(
        ids,
        [
            ("aws-access-key-id".into(), ".npmrc".into(), 2, 7, "base64".into()),
            ("aws-access-key-id".into(), "call.sh".into(), 2, 31, "base64".into()),
            ("aws-access-key-id".into(), "config.json".into(), 4, 16, "base64".into()),
        ],
        "{report:#}"
    );
}

#[test]
fn base64_inside_base64_is_decoded_twice_deep() {
    let twice = b64(b64(credentials(KEY_ID, SECRET).as_bytes()).as_bytes());
    let (code, report, _) = scan_dir(&[("values.yaml", format!("blob: {twice}\n"))]);
    assert_eq!(code, 1);
    assert!(located(&report).iter().all(|f| f.2 == 1 && f.3 == 7 && f.4 == "base64"), "{report:#}");
    assert_eq!(located(&report).len(), 2, "{report:#}");
}

#[test]
fn random_base64_data_uri_images_and_minified_bundles_produce_no_finding() {
    // Pseudo-random bytes: what keys, hashes and compressed blobs encode.
    let random: Vec<u8> = (0u64..3000).map(|i| (i.wrapping_mul(6_364_136_223_846_793_005) >> 29) as u8).collect();
    let blob = format!("ssh-rsa {} user@host\nchecksum: {}\n", b64(&random), b64(&random[..48]));
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    png.extend_from_slice(&random[..600]);
    let css = format!(".logo{{background:url(data:image/png;base64,{})}}\n", b64(&png));
    let bundle = format!(
        "!function(e){{var t={{}};function n(r){{if(t[r])return t[r].exports}}}}([function(e,t,n){{\"use strict\";\
         var AbCdEfGhIjKlMnOpQrStUvWx0123=n(1),ZyXwVuTsRqPoNmLkJiHgFeDcBa98=\"{}\";}}]);\n",
        b64(&random[100..400])
    );
    let (code, report, stderr) = scan_dir(&[("keys.txt", blob), ("site.css", css), ("app.min.js", bundle)]);
    assert_eq!(code, 0, "{report:#} {stderr}");
}

#[test]
fn a_base64_finding_says_decoded_in_the_human_report() {
    let manifest = format!("data:\n  credentials: {}\n", b64(credentials(KEY_ID, SECRET).as_bytes()));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.yaml"), manifest).unwrap();
    let out = run_in(dir.path(), &["scan", "."]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = crate::util::stdout(&out);
    let line = report.lines().find(|l| l.contains("aws-secret-access-key")).expect("the secret's line");
    assert!(line.contains("2:16") && line.contains("decoded from base64"), "{report}");
}

// --- AWS near misses and placeholders ---

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `n` pseudo-random characters of `alphabet`, different for each seed.
fn chars(seed: u64, n: usize, alphabet: &[u8]) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

/// A fake STS session token, started as AWS starts them, whose `+` and `/`
/// are 38 and 40 characters apart: URL-encoded, the pieces between two
/// escapes are as long as a secret key.
fn session_token(seed: u64) -> String {
    let piece = |i, n| chars(seed + i, n, ALNUM);
    format!("IQoJb3JpZ2luX2VjE{}+{}/{}+{}=", piece(0, 30), piece(1, 38), piece(2, 40), piece(3, 60))
}

fn url_encoded(token: &str) -> String {
    token.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")
}

/// `(rule, path)` of every finding, sorted.
fn rules_and_paths(report: &serde_json::Value) -> Vec<(String, String)> {
    let mut all: Vec<_> = findings(report).into_iter().map(|f| (f.0, f.1)).collect();
    all.sort();
    all
}

#[test]
fn key_ids_of_placeholder_accounts_hex_words_and_example_ids_are_not_findings() {
    // 123456789012 decodes from AKIARZPUZDIKKUWCQVTN, 000000000000 from AKIAQAAAAAAAKU...
    let text = "mock_key = \"AKIARZPUZDIKKUWCQVTN\"\nzero = AKIAQAAAAAAAKUWCQVTN\n\
                hex = AKIADEADBEEFDEADBEEF\ndocs = AKIAEXAMPLEPBUMBC3GA\n";
    let (code, report, stderr) = scan_dir(&[("mocks.py", format!("{text}real = {KEY_ID}\n"))]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(findings(&report), [("aws-access-key-id".into(), "mocks.py".into(), 5)], "{report:#}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mocks.py"), text).unwrap();
    let out = run_in(dir.path(), &["scan", "--include-examples", "--format", "json", "."]);
    let lines: Vec<u64> = findings(&json(&out)).into_iter().map(|f| f.2).collect();
    assert_eq!(lines, [1, 2, 3, 4], "--include-examples shows them: {}", crate::util::stdout(&out));
}

#[test]
fn a_url_encoded_session_token_in_a_presigned_url_is_one_token_finding_and_never_a_secret() {
    let token = session_token(1);
    let url = format!(
        "curl 'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAY34FZKBOKMUTVV7A%2F20261201%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261201T000000Z&X-Amz-Security-Token={}&X-Amz-Signature={}'\n",
        url_encoded(&token),
        chars(9, 64, b"0123456789abcdef")
    );
    let env = format!("AWS_SESSION_TOKEN={token}\n");
    let (code, report, stderr) = scan_dir(&[("fetch.sh", url), ("session.env", env)]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        rules_and_paths(&report),
        [
            ("aws-access-key-id".into(), "fetch.sh".into()),
            ("aws-session-token".into(), "fetch.sh".into()),
            ("aws-session-token".into(), "session.env".into()),
        ],
        "{report:#}"
    );
    let tokens: Vec<_> =
        report["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "aws-session-token").collect();
    assert_eq!(tokens[0]["fingerprint"], tokens[1]["fingerprint"], "encoded and plain are one token: {report:#}");
    assert_eq!(tokens[0]["column"], 199, "{report:#}");
}

#[test]
fn session_tokens_by_shape_under_a_session_name_and_as_a_jwt_are_found_whole() {
    let shaped = format!("FwoGZXIvYXdzE{}", chars(4, 200, ALNUM));
    let log = format!("2026-12-01T10:00:00Z DEBUG sigv4 token={shaped} region=eu-west-1\n");
    // No shape prefix: found by its name beside the key id.
    let named = format!("{}+{}", chars(5, 220, ALNUM), chars(8, 20, ALNUM));
    let fixture = format!(
        "{{\n  \"access_key\": \"ASIAY34FZKBOKMUTVV7A\",\n  \"secret\": \"{SECRET}\",\n  \"session\": \"{}\"\n}}\n",
        named
    );
    let jwt = format!("eyJhbGciOiJIUzI1NiJ9.eyJ{}.{}", chars(6, 140, ALNUM), chars(7, 43, ALNUM));
    let broker = format!("{{\"SessionToken\": \"{jwt}\"}}\n");
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [("sigv4.log", &log), ("fixture.json", &fixture), ("broker.json", &broker)] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = run_in(dir.path(), &["scan", "--show-secrets", "--format", "json", "."]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    let value = |path: &str, rule: &str| {
        let found = report["findings"].as_array().unwrap().iter().find(|f| f["path"] == path && f["rule"] == rule);
        found.unwrap_or_else(|| panic!("{path} {rule}: {report:#}"))["secret"].as_str().unwrap().to_string()
    };
    assert_eq!(value("sigv4.log", "aws-session-token-shape"), shaped);
    assert_eq!(value("broker.json", "aws-session-token"), jwt);
    let session = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "fixture.json" && f["rule"] == "aws-session-token");
    let session = session.unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(session["paired_key_id"], "ASIAY34FZKBOKMUTVV7A", "{report:#}");
}

#[test]
fn an_xml_secret_on_the_line_after_its_element_tag_is_found_without_a_key_id() {
    let xml = format!("<Credentials>\n  <SecretAccessKey>\n    {SECRET}\n  </SecretAccessKey>\n</Credentials>\n");
    let (code, report, stderr) = scan_dir(&[("response.xml", xml)]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(findings(&report), [("aws-secret-access-key".into(), "response.xml".into(), 3)], "{report:#}");
}

#[test]
fn two_keys_in_one_base64_run_are_two_findings_at_the_run() {
    use crate::util::{KEY_ID_2, SECRET_2};
    let file = format!(
        "{}[ci]\naws_access_key_id = {KEY_ID_2}\naws_secret_access_key = {SECRET_2}\n",
        credentials(KEY_ID, SECRET)
    );
    let (code, report, stderr) = scan_dir(&[("values.yaml", format!("awsCredentials: {}\n", b64(file.as_bytes())))]);
    assert_eq!(code, 1, "{stderr}");
    let ids: Vec<_> =
        report["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "aws-access-key-id").collect();
    let mut shown: Vec<_> = ids.iter().map(|f| f["secret"].as_str().unwrap()).collect();
    shown.sort();
    assert_eq!(shown, [KEY_ID, KEY_ID_2], "{report:#}");
    assert!(ids.iter().all(|f| f["line"] == 1 && f["column"] == 17), "{report:#}");
}

// --- split string literals ---

#[test]
fn keys_split_into_string_literals_are_found_in_python_js_java_go_and_more() {
    let (id_a, id_b) = KEY_ID.split_at(4);
    let (s_a, s_b) = SECRET.split_at(17);
    let files = [
        ("app.py", format!("import boto3\n\nKEY = \"{id_a}\" + \"{id_b}\"\nSECRET = (\"{s_a}\"\n          \"{s_b}\")\n")),
        ("app.js", format!("const client = new S3({{\n  accessKeyId: ['{id_a}', '{id_b}'].join(''),\n  secretAccessKey: `{s_a}` + `{s_b}`,\n}});\n")),
        ("App.java", format!("class App {{\n  String id = \"{id_a}\" +\n      \"{id_b}\";\n  String secret = String.join(\"\", \"{s_a}\", \"{s_b}\");\n}}\n")),
        ("main.go", format!("package main\n\nvar id = strings.Join([]string{{\"{id_a}\", \"{id_b}\"}}, \"\")\nvar secret = \"{s_a}\" + \"{s_b}\"\n")),
        ("App.cs", format!("var id = string.Concat(\"{id_a}\", \"{id_b}\");\n")),
        ("app.rb", format!("id = \"{id_a}\" \"{id_b}\"\n")),
        ("app.php", format!("<?php\n$id = '{id_a}' . '{id_b}';\n")),
        ("run.sh", format!("export AWS_ACCESS_KEY_ID='{id_a}'\"{id_b}\"\n")),
    ];
    let (code, report, stderr) = scan_dir(&files.iter().map(|(n, t)| (*n, t.clone())).collect::<Vec<_>>());
    assert_eq!(code, 1, "{stderr}");
    let located = located(&report);
    let joined = |rule: &str, path: &str, line: u64, column: u64| {
        (rule.to_string(), path.to_string(), line, column, "concatenation".to_string())
    };
    assert_eq!(
        located,
        [
            joined("aws-access-key-id", "App.cs", 1, 25),
            joined("aws-access-key-id", "App.java", 2, 16),
            joined("aws-access-key-id", "app.js", 2, 18),
            joined("aws-access-key-id", "app.php", 2, 8),
            joined("aws-access-key-id", "app.py", 3, 8),
            joined("aws-access-key-id", "app.rb", 1, 7),
            joined("aws-access-key-id", "main.go", 3, 33),
            joined("aws-access-key-id", "run.sh", 1, 27),
            joined("aws-secret-access-key", "App.java", 4, 36),
            joined("aws-secret-access-key", "app.js", 3, 21),
            joined("aws-secret-access-key", "app.py", 4, 12),
            joined("aws-secret-access-key", "main.go", 4, 15),
        ],
        "{report:#}"
    );
    assert_eq!(report["findings"].as_array().unwrap().iter().filter(|f| f["paired_key_id"] == KEY_ID).count(), 4);
}

#[test]
fn literals_that_join_to_no_key_and_keys_in_one_literal_are_not_joined_findings() {
    let code_text = format!(
        "msg = \"AKIA\" + \" keys start so\"\nf(\"{}\", \"{}\")\nkey = \"{KEY_ID}\" + suffix\n",
        &KEY_ID[..4],
        &KEY_ID[4..]
    );
    let (code, report, stderr) = scan_dir(&[("notes.py", code_text)]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(located(&report), [("aws-access-key-id".into(), "notes.py".into(), 3, 8, String::new())], "{report:#}");
}

#[test]
fn staged_reports_decoded_and_joined_keys_only_on_the_lines_the_change_adds() {
    use crate::util::{KEY_ID_2, SECRET_2};
    let repo = Repo::new();
    let old = format!("data:\n  old: {}\n", b64(credentials(KEY_ID, SECRET).as_bytes()));
    repo.commit_file("secret.yaml", &old, "old secret");
    let (a, b) = KEY_ID.split_at(4);
    repo.commit_file("keys.py", &format!("OLD = \"{a}\" + \"{b}\"\n"), "old key");
    repo.write("secret.yaml", &format!("{old}  new: {}\n", b64(credentials(KEY_ID_2, SECRET_2).as_bytes())));
    let (a, b) = KEY_ID_2.split_at(4);
    repo.write(
        "keys.py",
        &format!("x = 1\nOLD = \"{}\" + \"{}\"\nNEW = \"{a}\" + \"{b}\"\n", &KEY_ID[..4], &KEY_ID[4..]),
    );
    repo.git(&["add", "."]);
    let out = repo.keyfence(&["scan", "--staged", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(
        located(&report),
        [
            ("aws-access-key-id".into(), "keys.py".into(), 3, 8, "concatenation".into()),
            ("aws-access-key-id".into(), "secret.yaml".into(), 3, 8, "base64".into()),
            ("aws-secret-access-key".into(), "secret.yaml".into(), 3, 8, "base64".into()),
        ],
        "{report:#}"
    );
    let ids: Vec<_> = report["findings"].as_array().unwrap().iter().map(|f| f["secret"].as_str().unwrap()).collect();
    assert!(ids.iter().filter(|s| s.starts_with("AKIA")).all(|s| *s == KEY_ID_2), "{report:#}");
}

#[test]
fn a_secret_of_letters_of_one_case_like_an_html_anchor_is_not_a_secret_key() {
    // Node's crypto docs, seen as a false positive in a real repository:
    // 40 lowercase letters right after `Secret`, entropy 4.005 (floor 4.0).
    let docs = "- [`diffieHellman.computeSecret(otherPublicKey[, inputEncoding][, outputEncoding])`]\
                (#diffiehellmancomputesecretotherpublickey-inputencoding-outputencoding)\n\
                aws_secret_access_key = DIFFIEHELLMANCOMPUTESECRETOTHERPUBLICKEY\n";
    // Letters of both cases are still a key's alphabet.
    let letters = chars(16, 40, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    let (code, report, stderr) = scan_dir(&[("crypto.md", format!("{docs}aws_secret_access_key = {letters}\n"))]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(findings(&report), [("aws-secret-access-key".into(), "crypto.md".into(), 3)], "{report:#}");
}

/// A text file can start like an archive (`ustar` at byte 257 is a tar's
/// magic): when it does not open as one, its lines are still scanned, so
/// that a padded header cannot hide a key behind "corrupt archive".
#[test]
fn text_that_looks_like_an_archive_but_does_not_open_is_scanned_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}ustar{}\n{}", " ".repeat(257), " ".repeat(300), credentials(KEY_ID, SECRET));
    std::fs::write(dir.path().join("notes.txt"), text).unwrap();
    let out = run_in(dir.path(), &["scan", "--format", "json", "notes.txt"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    let rules: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"aws-secret-access-key"), "{report:#}");
}
