//! Plain files and directories for `keyfence scan [PATH...]`, walked with
//! `ignore` (ripgrep's walker): hidden files included, `.git/` skipped,
//! `.gitignore` respected unless `--no-ignore`. Files are read whole and
//! handed to the pipeline from the walker's own threads.
//!
//! Paths given on the command line are always scanned, as ripgrep does: an
//! ignored file named explicitly, `-` (standard input), and non-regular files
//! such as a named pipe, `/dev/stdin` or a shell's `<(command)`. Those are
//! read until their writer closes them (as `cat` would), and never past the
//! size cap. Inside a directory walk, pipes and devices are left alone: one
//! that nobody writes to would block the scan forever.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use crate::blob::Origin;
use crate::error::Error;
use crate::pipeline::Pipeline;

#[derive(Debug, Clone)]
pub struct WalkOptions {
    pub no_ignore: bool,
    pub threads: usize,
    pub max_file_size: u64,
}

/// The path that stands for standard input, as in ripgrep and most tools.
const STDIN: &str = "-";

/// Scan every file under `roots`. Unreadable paths are recorded as errors on
/// the pipeline (the scan goes on, and the exit code becomes 2).
pub fn scan_paths(roots: &[PathBuf], options: &WalkOptions, pipeline: &Pipeline) {
    let mut walk_roots: Vec<&PathBuf> = Vec::new();
    for root in dedup(roots) {
        if root.as_os_str() == STDIN {
            let origin = Origin::file(Path::new("<stdin>"));
            scan_stream(std::io::stdin().lock(), root, &origin, options, pipeline);
            continue;
        }
        if let Err(source) = std::fs::symlink_metadata(root) {
            pipeline.error(Error::Io { path: root.clone(), source });
            continue;
        }
        // The walker yields only directories and regular files, and would
        // drop a pipe or device given by name without a word: read it here.
        match std::fs::metadata(root) {
            Ok(meta) if !meta.is_dir() && !meta.is_file() => match std::fs::File::open(root) {
                Ok(file) => scan_stream(file, root, &Origin::file(root), options, pipeline),
                Err(source) => pipeline.error(Error::Io { path: root.clone(), source }),
            },
            _ => walk_roots.push(root),
        }
    }
    let Some((first, rest)) = walk_roots.split_first() else {
        return;
    };
    let mut builder = WalkBuilder::new(first);
    for root in rest {
        builder.add(root);
    }
    builder
        .hidden(false)
        .follow_links(false)
        .threads(options.threads)
        .filter_entry(|entry| entry.file_name() != ".git");
    if options.no_ignore {
        builder.standard_filters(false).hidden(false);
    } else {
        // Respect .gitignore even outside a git repository, as a user who
        // points keyfence at an unpacked tarball would expect.
        builder.require_git(false);
    }
    builder.build_parallel().run(|| {
        Box::new(|entry| {
            match entry {
                Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => {
                    scan_file(entry.path(), options, pipeline)
                }
                Ok(_) => {}
                Err(err) => pipeline.error(Error::Walk(format!("cannot walk: {err}"))),
            }
            WalkState::Continue
        })
    });
}

/// The roots without repeats (`k k`, `s s/`, `./k k`): each would be read
/// and counted twice. Different spellings of one file (`../d/k k`) are left
/// alone, as ripgrep leaves them.
fn dedup(roots: &[PathBuf]) -> Vec<&PathBuf> {
    let mut seen: Vec<Vec<Component<'_>>> = Vec::new();
    let mut unique = Vec::new();
    for root in roots {
        let key: Vec<Component<'_>> = root.components().filter(|c| *c != Component::CurDir).collect();
        if !seen.contains(&key) {
            seen.push(key);
            unique.push(root);
        }
    }
    unique
}

fn scan_file(path: &Path, options: &WalkOptions, pipeline: &Pipeline) {
    // `./x` reads worse than `x`, and `.gitallowed` patterns name `x`.
    let origin = Origin::file(path.strip_prefix(".").unwrap_or(path));
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > options.max_file_size => {
            pipeline.skip_too_large(&origin, meta.len());
            return;
        }
        Ok(_) => {}
        Err(source) => return pipeline.error(Error::Io { path: path.to_path_buf(), source }),
    }
    match std::fs::File::open(path) {
        Ok(file) => scan_stream(file, path, &origin, options, pipeline),
        Err(source) => pipeline.error(Error::Io { path: path.to_path_buf(), source }),
    }
}

/// Read and scan one file or stream. The first 8 KB decide whether it is
/// binary, so a 200 MB image under the size cap is not read whole only to be
/// skipped; the rest is read up to the cap (a stream has no size to check
/// first: `/dev/zero` must not be read forever).
fn scan_stream(mut reader: impl Read, path: &Path, origin: &Origin, options: &WalkOptions, pipeline: &Pipeline) {
    let mut bytes = Vec::new();
    let cap = options.max_file_size;
    let result = (&mut reader).take(crate::blob::BINARY_PROBE as u64).read_to_end(&mut bytes).and_then(|_| {
        if pipeline.skip_if_binary(&bytes) {
            return Ok(false);
        }
        reader.take(cap.saturating_add(1).saturating_sub(bytes.len() as u64)).read_to_end(&mut bytes)?;
        Ok(true)
    });
    match result {
        Ok(false) => {}
        Ok(true) if bytes.len() as u64 > cap => pipeline.skip_too_large(origin, bytes.len() as u64),
        Ok(true) => pipeline.scan_and_record(&bytes, origin),
        Err(source) => pipeline.error(Error::Io { path: path.to_path_buf(), source }),
    }
}
