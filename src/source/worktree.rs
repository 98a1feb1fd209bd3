//! Plain files and directories for `keyfence scan [PATH...]`, walked with
//! `ignore` (ripgrep's walker): hidden files included, `.git/` skipped,
//! `.gitignore` respected unless `--no-ignore` (in a repository: git's view,
//! see [`scan_paths`]). Files are opened here and
//! handed to the sink, which reads them, from the walker's own threads.
//!
//! Paths given on the command line are always scanned, as ripgrep does: an
//! ignored file named explicitly, `-` (standard input), and non-regular files
//! such as a named pipe, `/dev/stdin` or a shell's `<(command)`. Those are
//! read until their writer closes them (as `cat` would), and never past the
//! size cap. Inside a directory walk, pipes and devices are left alone: one
//! that nobody writes to would block the scan forever.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use super::Sink;
use crate::blob::{Origin, SkipReason};
use crate::error::Error;

#[derive(Debug, Clone)]
pub struct WalkOptions {
    pub no_ignore: bool,
    pub threads: usize,
    pub max_file_size: u64,
}

/// The path that stands for standard input, as in ripgrep and most tools.
const STDIN: &str = "-";

/// Scan every file under `roots`. Unreadable paths are recorded as errors on
/// the sink (the scan goes on, and the exit code becomes 2).
///
/// With `repo` (the roots are in that repository) and without `no_ignore`,
/// the files are git's: everything it tracks, plus the untracked files it
/// would not ignore. Ignore rules are git's (`.gitignore` from the
/// repository's top down, never above it; `.git/info/exclude`; the global
/// excludes file), not `ignore`'s `.ignore`, and a tracked file is scanned
/// even where a `.gitignore` matches it. Outside a repository, `.gitignore`
/// and `.ignore` files are respected as in an unpacked tarball.
pub fn scan_paths(roots: &[PathBuf], options: &WalkOptions, repo: Option<&gix::Repository>, sink: &dyn Sink) {
    let mut walk_roots: Vec<&PathBuf> = Vec::new();
    for root in dedup(roots) {
        if root.as_os_str() == STDIN || names_stdin(root) {
            if stdin_was_closed() {
                let source = std::io::Error::other("it is closed (nothing to read; was it `<&-`?)");
                sink.error(Error::Io { path: PathBuf::from("standard input"), source });
            } else if root.as_os_str() == STDIN {
                let origin = Origin::file(Path::new("<stdin>"));
                scan_stream(std::io::stdin().lock(), Path::new("standard input"), &origin, options, sink);
            } else {
                match std::fs::File::open(root) {
                    Ok(file) => scan_stream(file, root, &Origin::file(root), options, sink),
                    Err(source) => sink.error(Error::Io { path: root.clone(), source }),
                }
            }
            continue;
        }
        if let Err(source) = std::fs::symlink_metadata(root) {
            sink.error(Error::Io { path: root.clone(), source });
            continue;
        }
        // The walker yields only directories and regular files, and would
        // drop a pipe or device given by name without a word: read it here.
        match std::fs::metadata(root) {
            Ok(meta) if !meta.is_dir() && !meta.is_file() => match std::fs::File::open(root) {
                Ok(file) => scan_stream(file, root, &Origin::file(root), options, sink),
                Err(source) => sink.error(Error::Io { path: root.clone(), source }),
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
    let repo = repo.filter(|_| !options.no_ignore);
    if options.no_ignore {
        builder.standard_filters(false).hidden(false);
    } else if repo.is_some() {
        builder.require_git(true).ignore(false);
    } else {
        // Respect .gitignore even outside a git repository, as a user who
        // points keyfence at an unpacked tarball would expect.
        builder.require_git(false);
    }
    let walked = repo.map(|_| Walked::new(&walk_roots));
    builder.build_parallel().run(|| {
        Box::new(|entry| {
            match entry {
                Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => {
                    if let Some(walked) = &walked {
                        walked.visit(entry.path());
                    }
                    scan_file(entry.path(), options, sink)
                }
                Ok(_) => {}
                Err(err) => sink.error(Error::Walk(format!("cannot walk: {err}"))),
            }
            WalkState::Continue
        })
    });
    if let (Some(repo), Some(walked)) = (repo, walked) {
        walked.scan_ignored_tracked(repo, options, sink);
    }
}

/// The files a walk saw, by absolute path, so that the tracked files it
/// left out (a `.gitignore` matches them) are scanned after it.
struct Walked {
    /// Each walk root as given, and made absolute with symlinks resolved.
    roots: Vec<(PathBuf, PathBuf)>,
    seen: Mutex<HashSet<PathBuf>>,
}

impl Walked {
    fn new(roots: &[&PathBuf]) -> Walked {
        let roots = roots.iter().filter_map(|r| Some(((*r).clone(), std::fs::canonicalize(r).ok()?))).collect();
        Walked { roots, seen: Mutex::new(HashSet::new()) }
    }

    fn absolute(&self, path: &Path) -> Option<PathBuf> {
        self.roots.iter().find_map(|(root, real)| Some(real.join(path.strip_prefix(root).ok()?)))
    }

    fn visit(&self, path: &Path) {
        if let Some(absolute) = self.absolute(path) {
            self.seen.lock().unwrap_or_else(|e| e.into_inner()).insert(absolute);
        }
    }

    /// Every regular file in the index under a root that the walk did not
    /// see, named as the walk would have named it.
    fn scan_ignored_tracked(self, repo: &gix::Repository, options: &WalkOptions, sink: &dyn Sink) {
        let Some(top) = repo.workdir().and_then(|w| std::fs::canonicalize(w).ok()) else { return };
        let index = match repo.index_or_empty() {
            Ok(index) => index,
            Err(e) => return sink.error(Error::Git(format!("cannot read the index: {e}"))),
        };
        let seen = self.seen.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut done = HashSet::new();
        for entry in index.entries() {
            use gix::index::entry::Mode;
            if !matches!(entry.mode, Mode::FILE | Mode::FILE_EXECUTABLE) {
                continue;
            }
            let Ok(relative) = gix::path::from_bstr(entry.path(&index)) else { continue };
            let absolute = top.join(relative);
            if seen.contains(&absolute) || !done.insert(absolute.clone()) {
                continue;
            }
            let Some(shown) =
                self.roots.iter().find_map(|(root, real)| Some(root.join(absolute.strip_prefix(real).ok()?)))
            else {
                continue;
            };
            // Deleted from the work tree (or outside a sparse checkout): nothing on disk to scan.
            if std::fs::symlink_metadata(&absolute).is_ok_and(|m| m.is_file()) {
                scan_file(&shown, options, sink);
            }
        }
    }
}

/// The names Linux and the BSDs give standard input.
fn names_stdin(path: &Path) -> bool {
    ["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"].iter().any(|name| path == Path::new(name))
}

/// Whether standard input was closed when keyfence started (`<&-`, a
/// daemon's closed descriptors). The Rust runtime reopens a closed fd 0 as
/// `/dev/null` read-write (std's `sanitize_standard_fds`), which would read
/// as an empty, clean input; a shell's `</dev/null` opens it read-only. So:
/// fd 0 is `/dev/null` and takes a zero-byte write.
#[cfg(unix)]
fn stdin_was_closed() -> bool {
    use std::io::Write;
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else { return true };
    let mut file = std::fs::File::from(fd);
    let (Ok(on_fd), Ok(null)) = (file.metadata(), std::fs::metadata("/dev/null")) else { return false };
    on_fd.rdev() == null.rdev() && !on_fd.is_file() && file.write(&[]).is_ok()
}

#[cfg(not(unix))]
fn stdin_was_closed() -> bool {
    false
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

fn scan_file(path: &Path, options: &WalkOptions, sink: &dyn Sink) {
    // `./x` reads worse than `x`, and `.gitallowed` patterns name `x`.
    let origin = Origin::file(path.strip_prefix(".").unwrap_or(path));
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > options.max_file_size => {
            sink.skip(&origin, SkipReason::TooLarge(meta.len()));
            return;
        }
        Ok(_) => {}
        Err(source) => return sink.error(Error::Io { path: path.to_path_buf(), source }),
    }
    match std::fs::File::open(path) {
        Ok(file) => scan_stream(file, path, &origin, options, sink),
        Err(source) => sink.error(Error::Io { path: path.to_path_buf(), source }),
    }
}

/// Hand one file or stream to the sink, which reads it up to the size cap
/// (a stream has no size to check first: `/dev/zero` must not be read
/// forever) and stops early when it is binary.
fn scan_stream(mut reader: impl Read, path: &Path, origin: &Origin, options: &WalkOptions, sink: &dyn Sink) {
    if let Err(source) = sink.read(&mut reader, origin, options.max_file_size) {
        sink.error(Error::Io { path: path.to_path_buf(), source });
    }
}
