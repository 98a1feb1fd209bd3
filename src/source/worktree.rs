//! Plain files and directories for `keyfence scan [PATH...]`, walked with
//! `ignore` (ripgrep's walker): hidden files included, `.git/` skipped,
//! `.gitignore` respected unless `--no-ignore`. Files are read whole and
//! handed to the pipeline from the walker's own threads.

use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use super::Origin;
use crate::error::Error;
use crate::pipeline::Pipeline;

#[derive(Debug, Clone)]
pub struct WalkOptions {
    pub no_ignore: bool,
    pub threads: usize,
    pub max_file_size: u64,
}

/// Scan every file under `roots`. Unreadable paths are recorded as errors on
/// the pipeline (the scan goes on, and the exit code becomes 2).
pub fn scan_paths(roots: &[PathBuf], options: &WalkOptions, pipeline: &Pipeline) {
    for root in roots {
        if let Err(source) = std::fs::symlink_metadata(root) {
            pipeline.error(Error::Io { path: root.clone(), source });
        }
    }
    let existing: Vec<&PathBuf> = roots.iter().filter(|r| r.symlink_metadata().is_ok()).collect();
    let Some((first, rest)) = existing.split_first() else {
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
    match std::fs::read(path) {
        Ok(bytes) => pipeline.scan_and_record(&bytes, &origin),
        Err(source) => pipeline.error(Error::Io { path: path.to_path_buf(), source }),
    }
}
