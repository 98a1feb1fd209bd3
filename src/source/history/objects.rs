//! The objects of a history scan: which object directories (the
//! repository's and its alternates'), their packs and loose objects, and
//! reading every blob in them once. Packs go through gix-pack's delta-tree
//! traversal (every object inflated once, bases before deltas, on gix's own
//! threads) with each entry's CRC32 checked; loose objects are read on
//! rayon's threads. Every blob read goes to `Blobs`; progress is counted
//! through the sink.

use gix::odb::pack;
use gix::ObjectId;
use rayon::prelude::*;
use std::path::PathBuf;

use super::super::git::{context, one_line};
use super::super::Progress;
use super::integrity::Recent;
use super::traverse::{self, Pass};
use super::Blobs;
use crate::error::Error;

/// The object directories to read: the repository's own, then those it
/// borrows from through `objects/info/alternates` (`git clone --shared` or
/// `--reference`), whose objects are as much part of its history.
pub(super) fn object_dirs(repo: &gix::Repository) -> Result<Vec<PathBuf>, Error> {
    let store = repo.objects.store_ref();
    let mut dirs = vec![store.path().to_path_buf()];
    for dir in store.alternate_db_paths().map_err(context("cannot read objects/info/alternates"))? {
        let same = |a: &std::path::Path, b: &std::path::Path| {
            a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
        };
        if !dirs.iter().any(|known| same(known, &dir)) {
            dirs.push(dir);
        }
    }
    Ok(dirs)
}

pub(super) fn pack_indexes(objects_dir: &std::path::Path) -> Result<Vec<PathBuf>, Error> {
    let pack_dir = objects_dir.join("pack");
    let entries = match std::fs::read_dir(&pack_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(Error::Io { path: pack_dir, source }),
    };
    let mut indexes = Vec::new();
    for entry in entries {
        let path = entry.map_err(|source| Error::Io { path: pack_dir.clone(), source })?.path();
        if path.extension().is_some_and(|e| e == "idx") {
            indexes.push(path);
        }
    }
    indexes.sort();
    Ok(indexes)
}

/// Whether a listed pack can be opened now. A pack being copied into place
/// by something other than git (which renames a finished file in) shows up
/// as an empty or short index for a moment: the first listing leaves such a
/// pack to `rescan`, which waits for it (`settle`).
pub(super) fn readable(index_path: &std::path::Path, hash: gix::hash::Kind) -> bool {
    pack::index::File::at(index_path, hash).is_ok()
        && pack::data::File::at(index_path.with_extension("pack"), hash).is_ok()
}

/// How long `rescan` waits for a pack that cannot be opened yet, in steps.
const SETTLE_STEPS: u32 = 10;
const SETTLE_STEP: std::time::Duration = std::time::Duration::from_millis(50);

/// Wait (a short, bounded while) for a pack to become readable; a pack
/// still unreadable after that is reported by `scan_pack` as corrupt.
fn settle(index_path: &std::path::Path, hash: gix::hash::Kind) {
    for _ in 0..SETTLE_STEPS {
        if !index_path.exists() || readable(index_path, hash) {
            return;
        }
        std::thread::sleep(SETTLE_STEP);
    }
}

pub(super) fn scan_pack(
    repo: &gix::Repository,
    index_path: &std::path::Path,
    pass: Pass,
    threads: usize,
    blobs: &Blobs,
) -> Result<(), Error> {
    let hash = repo.object_hash();
    let pack_path = index_path.with_extension("pack");
    // A pack a concurrent repack deleted since it was listed: its objects
    // are in the packs `rescan` finds.
    let index = match pack::index::File::at(index_path, hash) {
        Ok(index) => index,
        Err(_) if !index_path.exists() => return Ok(()),
        Err(e) => return Err(context(format!("corrupt pack index {}", index_path.display()))(e)),
    };
    let data = match pack::data::File::at(&pack_path, hash) {
        Ok(data) => data,
        Err(_) if !pack_path.exists() => return Ok(()),
        Err(e) => return Err(context(format!("corrupt pack {}", pack_path.display()))(e)),
    };
    // Checksums are skipped for speed (hashing every object costs as much as
    // scanning it), but a flipped byte inside a deflate stream can still
    // inflate to garbage of the right size: each entry's CRC32 from the
    // index (cheap, over the compressed bytes) catches that, as git's
    // index-pack does. Entries are contiguous, so one ends where the next
    // begins.
    let pack_end = data.pack_end() as u64;
    let offsets = SortedOffsets::of(&index, pack_end);
    let entry_crc_matches = |entry: &pack::index::Entry| {
        let Some(expected) = entry.crc32 else { return true };
        let end = offsets.after(entry.pack_offset).unwrap_or(pack_end);
        end > entry.pack_offset
            && end <= pack_end
            && data.entry_crc32(entry.pack_offset, (end - entry.pack_offset) as usize) == expected
    };
    let entry_at = |position: u32| pack::index::Entry {
        oid: index.oid_at_index(position).to_owned(),
        pack_offset: index.pack_offset_at_index(position),
        crc32: index.crc32_at_index(position),
    };
    // Sizes come from each entry's header before inflating: an object
    // larger than the limit fails the traversal instead of being inflated
    // (a 1 GiB blob of zeros packs to 1 MB), and the pack is read object by
    // object instead.
    let limit = alloc_limit(blobs.max_blob_size);
    let mut recent = Recent::default();
    let traversed = traverse::traverse(&index, &data, pass, threads, limit, move |kind, bytes, position| {
        let entry = entry_at(position);
        if !entry_crc_matches(&entry) {
            use gix::error::ErrorExt;
            return Err(gix::error::corruption(format!(
                "{kind} {} at offset {} does not match its CRC32 in the index",
                entry.oid, entry.pack_offset
            ))
            .raise());
        }
        blobs.sink.progress(Progress::Object { blob: kind == gix::object::Kind::Blob, bytes: bytes.len() as u64 });
        blobs.integrity.check(&entry.oid, kind, bytes, &mut recent);
        if kind == gix::object::Kind::Blob && blobs.first_time(&entry.oid) {
            blobs.scan(entry.oid, bytes);
        }
        Ok(())
    });
    traversed.or_else(|e| {
        // The traversal reports "an inspector failed" and keeps the object
        // that did in its cause.
        let causes = one_line(crate::error::with_causes(&e));
        if causes.contains(TOO_LARGE) {
            blobs.integrity.unchecked();
            return match pass {
                Pass::Blobs => scan_pack_by_lookup(repo, &index, &entry_crc_matches, blobs),
                // Blobs were read in the first pass; a huge tree leaves
                // the walk to the object database.
                Pass::Rest => Ok(()),
            };
        }
        let mut message = format!("cannot read pack {}: {causes}", pack_path.display());
        // A decoding error does not say which object; the CRC32s do.
        if let Some(entry) = index.iter().find(|entry| !entry_crc_matches(entry)) {
            if !message.contains(&entry.oid.to_string()) {
                message.push_str(&format!(
                    " (object {} at offset {} does not match its CRC32 in the index)",
                    entry.oid, entry.pack_offset
                ));
            }
        }
        Err(Error::Git(message))
    })
}

/// What gix-pack says when an entry is larger than `alloc_limit_bytes`.
const TOO_LARGE: &str = "Entry too large to fit in memory";

/// The largest object the traversal inflates: the blob size cap, but at
/// least 64 MiB so that a small cap does not send every pack with a large
/// tree down the slow path (a larger blob is still skipped once read).
fn alloc_limit(max_blob_size: u64) -> usize {
    usize::try_from(max_blob_size.max(64 << 20)).unwrap_or(usize::MAX)
}

/// Every entry's offset in a pack, ascending, to find where an entry ends.
/// In 32 bits when the pack is under 4 GiB, as nearly all are: on git/git
/// that is 3.4 MB less at the scan's peak.
enum SortedOffsets {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl SortedOffsets {
    fn of(index: &pack::index::File, pack_end: u64) -> SortedOffsets {
        let positions = 0..index.num_objects();
        match u32::try_from(pack_end) {
            Ok(_) => {
                let mut offsets: Vec<u32> =
                    positions.map(|position| index.pack_offset_at_index(position) as u32).collect();
                offsets.sort_unstable();
                SortedOffsets::Narrow(offsets)
            }
            Err(_) => SortedOffsets::Wide(index.sorted_offsets()),
        }
    }

    /// The first offset after `offset`.
    fn after(&self, offset: u64) -> Option<u64> {
        match self {
            SortedOffsets::Narrow(offsets) => {
                offsets.get(offsets.partition_point(|&o| u64::from(o) <= offset)).map(|&o| u64::from(o))
            }
            SortedOffsets::Wide(offsets) => offsets.get(offsets.partition_point(|&o| o <= offset)).copied(),
        }
    }
}

/// A pack holding an object over the traversal's limit, read one object at
/// a time: each blob's size from its header (a delta's from its delta
/// header), so one over the cap is skipped without being inflated. Slower
/// (every delta chain resolved on its own), and only for such packs; blobs
/// the traversal already read are not read again.
fn scan_pack_by_lookup(
    repo: &gix::Repository,
    index: &pack::index::File,
    entry_crc_matches: &dyn Fn(&pack::index::Entry) -> bool,
    blobs: &Blobs,
) -> Result<(), Error> {
    for entry in index.iter() {
        let id = entry.oid;
        if !entry_crc_matches(&entry) {
            return Err(Error::Git(format!(
                "object {id} at offset {} does not match its CRC32 in the index",
                entry.pack_offset
            )));
        }
        let header = repo.find_header(id).map_err(context(format!("cannot read packed object {id}")))?;
        if header.kind() != gix::object::Kind::Blob || !blobs.first_time(&id) {
            continue;
        }
        blobs.sink.progress(Progress::Object { blob: true, bytes: header.size() });
        if header.size() > blobs.max_blob_size {
            blobs.skip_too_large(id, header.size());
            continue;
        }
        let object = repo.find_object(id).map_err(context(format!("cannot read packed object {id}")))?;
        blobs.scan(id, &object.data);
    }
    Ok(())
}

/// Loose objects live in `objects/xx/yyyy…`; they are never deltas, so a
/// plain lookup per object is as cheap as it gets.
pub(super) fn loose_ids(objects_dir: &std::path::Path) -> Result<Vec<ObjectId>, Error> {
    let mut ids = Vec::new();
    let fanout =
        std::fs::read_dir(objects_dir).map_err(|source| Error::Io { path: objects_dir.to_path_buf(), source })?;
    for dir in fanout {
        let dir = dir.map_err(|source| Error::Io { path: objects_dir.to_path_buf(), source })?.path();
        let Some(prefix) = dir.file_name().and_then(|n| n.to_str()).filter(|n| n.len() == 2 && is_hex(n)) else {
            continue;
        };
        // A directory a concurrent `git prune-packed` emptied and removed:
        // its objects are in a new pack, which `rescan` reads.
        let files = match std::fs::read_dir(&dir) {
            Ok(files) => files,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(Error::Io { path: dir, source }),
        };
        for file in files {
            let file = match file {
                Ok(file) => file,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(Error::Io { path: dir.clone(), source }),
            };
            let name = file.file_name();
            let Some(rest) = name.to_str().filter(|n| is_hex(n)) else {
                continue;
            };
            if let Ok(id) = ObjectId::from_hex(format!("{prefix}{rest}").as_bytes()) {
                ids.push(id);
            }
        }
    }
    Ok(ids)
}

/// What `scan_loose` could not read: objects gone by the time they were
/// read (a concurrent `git gc` packed and pruned them), and objects whose
/// read failed, with the error, for `rescan` to try once more.
#[derive(Default)]
pub(super) struct Unread {
    pub(super) vanished: Vec<ObjectId>,
    pub(super) failed: Vec<(ObjectId, Error)>,
}

impl Unread {
    pub(super) fn extend(&mut self, other: Unread) {
        self.vanished.extend(other.vanished);
        self.failed.extend(other.failed);
    }
}

/// Read the loose objects of `pass`. A read that fails is not an error yet:
/// while a `git gc` runs, the object may be half-way between its loose file
/// and its new pack (and gix reading the pack directory then may meet a
/// pack still being written). `rescan` reads it again.
pub(super) fn scan_loose(repo: &gix::Repository, ids: &[ObjectId], pass: Pass, blobs: &Blobs) -> Unread {
    let shared = repo.clone().into_sync();
    let unread = std::sync::Mutex::new(Unread::default());
    let vanished = |id| unread.lock().expect("lock").vanished.push(id);
    let failed =
        |id, e| unread.lock().expect("lock").failed.push((id, context(format!("corrupt loose object {id}"))(e)));
    ids.par_iter().for_each_init(
        || (shared.to_thread_local(), Recent::default()),
        |(repo, recent), &id| {
            let header = match repo.try_find_header(id) {
                Ok(Some(header)) => header,
                Ok(None) => return vanished(id),
                Err(e) => return failed(id, e),
            };
            let is_blob = header.kind() == gix::object::Kind::Blob;
            if is_blob != (pass == Pass::Blobs) {
                return;
            }
            blobs.sink.progress(Progress::Object { blob: is_blob, bytes: header.size() });
            if !is_blob {
                // Loose trees and commits are few (recent work): read them
                // for what they name.
                match repo.try_find_object(id) {
                    Ok(Some(object)) => blobs.integrity.check(&id, object.kind, &object.data, recent),
                    _ => blobs.integrity.unchecked(),
                }
                return;
            }
            if !blobs.first_time(&id) {
                return;
            }
            if header.size() > blobs.max_blob_size {
                return blobs.skip_too_large(id, header.size());
            }
            match repo.try_find_object(id) {
                Ok(Some(object)) => blobs.scan(id, &object.data),
                Ok(None) => {
                    blobs.forget(&id);
                    vanished(id)
                }
                Err(e) => {
                    blobs.forget(&id);
                    failed(id, e)
                }
            }
        },
    );
    unread.into_inner().expect("lock")
}

/// The second look after a concurrent change: packs that appeared since
/// the listing, or could not be opened then, are scanned (blobs already
/// read are not read again), and every loose object that vanished or failed
/// to read is looked up again through a fresh handle on the object
/// database. One that has vanished for good is named as a change made
/// during the scan; one that fails again is reported with its first error.
pub(super) fn rescan(
    repo: &gix::Repository,
    scanned: &[PathBuf],
    unread: Unread,
    threads: usize,
    blobs: &Blobs,
) -> Result<(), Error> {
    for objects_dir in object_dirs(repo)? {
        for index_path in pack_indexes(&objects_dir)? {
            if !scanned.contains(&index_path) {
                // Its objects are not among those names were looked up in.
                blobs.integrity.unchecked();
                settle(&index_path, repo.object_hash());
                scan_pack(repo, &index_path, Pass::Blobs, threads, blobs)?;
                scan_pack(repo, &index_path, Pass::Rest, threads, blobs)?;
            }
        }
    }
    let Unread { vanished, failed } = unread;
    if vanished.is_empty() && failed.is_empty() {
        return Ok(());
    }
    blobs.integrity.unchecked();
    let fresh = gix::open_opts(repo.git_dir(), repo.open_options().clone())
        .map_err(context(format!("cannot open {} again", repo.git_dir().display())))?;
    let changed = |id: ObjectId| {
        Error::Git(format!(
            "object {id} disappeared while the history was read and is in no pack either: the repository changed \
             during the scan (a concurrent git gc or repack?); run the scan again"
        ))
    };
    let retries = vanished.into_iter().map(|id| (id, None)).chain(failed.into_iter().map(|(id, e)| (id, Some(e))));
    for (id, first_error) in retries {
        let fail = |e| first_error.unwrap_or_else(|| context(format!("cannot read object {id}"))(e));
        let header = match fresh.try_find_header(id) {
            Ok(Some(header)) => header,
            Ok(None) => return Err(changed(id)),
            Err(e) => return Err(fail(e)),
        };
        if header.kind() != gix::object::Kind::Blob || !blobs.first_time(&id) {
            continue;
        }
        if header.size() > blobs.max_blob_size {
            blobs.skip_too_large(id, header.size());
            continue;
        }
        match fresh.try_find_object(id) {
            Ok(Some(object)) => blobs.scan(id, &object.data),
            Ok(None) => return Err(changed(id)),
            Err(e) => return Err(fail(e)),
        }
    }
    Ok(())
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::super::git;
    use std::sync::Mutex;

    use gix::ObjectId;

    use super::super::super::{Lines, Progress, Sink};
    use super::super::Blobs;
    use crate::blob::{Origin, SkipReason};
    use crate::error::Error;

    #[derive(Default)]
    struct Scanned(Mutex<Vec<ObjectId>>);

    impl Sink for Scanned {
        fn blob(&self, _: &[u8], _: &Origin, _: Lines<'_>) {}
        fn read(&self, _: &mut dyn std::io::Read, _: &Origin, _: u64) -> std::io::Result<()> {
            Ok(())
        }
        fn unplaced(&self, _: &[u8], id: ObjectId) -> bool {
            self.0.lock().unwrap().push(id);
            false
        }
        fn place(&self, _: ObjectId, _: &[crate::source::Placed]) {}
        fn skip(&self, _: &Origin, _: SkipReason) {}
        fn error(&self, _: Error) {}
        fn progress(&self, _: Progress) {}
    }

    /// A repository with one file `f` holding `text`, committed unless
    /// `stage_only`; returns it and the blob's id.
    fn repo_with_file(text: &str, stage_only: bool) -> (tempfile::TempDir, ObjectId) {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        std::fs::write(dir.path().join("f"), text).unwrap();
        git(dir.path(), &["add", "f"]);
        if !stage_only {
            git(dir.path(), &["commit", "-qm", "c"]);
        }
        let blob = ObjectId::from_hex(git(dir.path(), &["rev-parse", ":f"]).as_bytes()).unwrap();
        (dir, blob)
    }

    /// What a history scan reads into, with `listed` packs and `loose` ids.
    fn blobs<'s>(
        sink: &'s Scanned,
        repo: &gix::Repository,
        listed: &[std::path::PathBuf],
        loose: &[ObjectId],
    ) -> Blobs<'s> {
        let integrity = super::super::integrity::Integrity::new(repo, listed, loose);
        Blobs {
            sink,
            seen: super::super::Seen::for_objects(integrity.objects()),
            found: Mutex::default(),
            too_large: Mutex::default(),
            max_blob_size: 1 << 20,
            integrity,
        }
    }

    #[test]
    fn a_loose_object_packed_and_pruned_by_a_concurrent_gc_is_read_from_its_new_pack() {
        let (dir, blob) = repo_with_file("moved by gc\n", false);
        let repo = gix::open(dir.path()).unwrap();
        let listed = super::pack_indexes(repo.objects.store_ref().path()).unwrap();
        // Listed as loose, then the gc runs.
        git(dir.path(), &["gc", "-q", "--prune=now"]);
        let sink = Scanned::default();
        let blobs = blobs(&sink, &repo, &listed, &[blob]);
        let unread = super::scan_loose(&repo, &[blob], super::Pass::Blobs, &blobs);
        super::rescan(&repo, &listed, unread, 1, &blobs).unwrap();
        assert_eq!(*sink.0.lock().unwrap(), [blob]);

        // Gone for good: a change during the scan, not corruption.
        let gone = ObjectId::from_hex(b"1111111111111111111111111111111111111111").unwrap();
        let gone_for_good = super::Unread { vanished: vec![gone], ..Default::default() };
        let error = super::rescan(&repo, &listed, gone_for_good, 1, &blobs).unwrap_err().to_string();
        assert!(
            error.contains(&format!("object {gone} disappeared")) && error.contains("concurrent git gc"),
            "{error}"
        );
        assert!(!error.contains("corrupt"), "{error}");
    }

    #[test]
    fn a_pack_still_being_copied_in_when_listed_is_read_once_complete() {
        let (dir, blob) = repo_with_file("packed while listed\n", false);
        git(dir.path(), &["repack", "-qad"]);
        let repo = gix::open(dir.path()).unwrap();
        let [index_path] = super::pack_indexes(repo.objects.store_ref().path()).unwrap().try_into().unwrap();
        // The index as a copy that has created the file but not written it yet.
        let complete = std::fs::read(&index_path).unwrap();
        std::fs::write(&index_path, b"").unwrap();
        assert!(!super::readable(&index_path, repo.object_hash()));
        let copy = {
            let index_path = index_path.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(120));
                std::fs::write(&index_path, complete).unwrap();
            })
        };
        let sink = Scanned::default();
        let blobs = blobs(&sink, &repo, &[], &[]);
        super::rescan(&repo, &[], super::Unread::default(), 1, &blobs).unwrap();
        copy.join().unwrap();
        assert_eq!(*sink.0.lock().unwrap(), [blob]);
    }

    #[test]
    fn a_loose_blob_whose_read_failed_is_scanned_by_the_retry() {
        let (dir, blob) = repo_with_file("read twice\n", true);
        let repo = gix::open(dir.path()).unwrap();
        let sink = Scanned::default();
        let blobs = blobs(&sink, &repo, &[], &[blob]);
        // As `scan_loose` leaves a blob it claimed and could not read.
        assert!(blobs.first_time(&blob));
        blobs.forget(&blob);
        let failed = super::Unread { failed: vec![(blob, Error::Git("transient".into()))], ..Default::default() };
        super::rescan(&repo, &[], failed, 1, &blobs).unwrap();
        assert_eq!(*sink.0.lock().unwrap(), [blob]);
    }
}
