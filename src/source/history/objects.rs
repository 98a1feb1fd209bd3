//! The objects of a history scan: which object directories (the
//! repository's and its alternates'), their packs and loose objects, and
//! reading every blob in them once. Packs go through gix-pack's delta-tree
//! traversal (every object inflated once, bases before deltas, on gix's own
//! threads) with each entry's CRC32 checked; loose objects are read on
//! rayon's threads. Every blob read goes to `Blobs`; progress is counted
//! through the sink.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use gix::odb::pack;
use gix::ObjectId;
use rayon::prelude::*;

use super::super::git::{context, one_line};
use super::super::Progress;
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

/// How many objects the packs hold, for progress.
pub(super) fn packed_objects(indexes: &[PathBuf], hash: gix::hash::Kind) -> u64 {
    indexes
        .iter()
        .filter_map(|path| pack::index::File::at(path, hash).ok())
        .map(|index| u64::from(index.num_objects()))
        .sum()
}

pub(super) fn scan_pack(
    repo: &gix::Repository,
    index_path: &std::path::Path,
    threads: usize,
    blobs: &Blobs,
) -> Result<(), Error> {
    let hash = repo.object_hash();
    let pack_path = index_path.with_extension("pack");
    let index = pack::index::File::at(index_path, hash)
        .map_err(context(format!("corrupt pack index {}", index_path.display())))?;
    let data =
        pack::data::File::at(&pack_path, hash).map_err(context(format!("corrupt pack {}", pack_path.display())))?;
    // Checksums are skipped for speed (hashing every object costs as much as
    // scanning it), but a flipped byte inside a deflate stream can still
    // inflate to garbage of the right size: each entry's CRC32 from the
    // index (cheap, over the compressed bytes) catches that, as git's
    // index-pack does. Entries are contiguous, so one ends where the next
    // begins.
    let offsets = index.sorted_offsets();
    let pack_end = data.pack_end() as u64;
    let entry_crc_matches = |entry: &pack::index::Entry| {
        let Some(expected) = entry.crc32 else { return true };
        let next = offsets.partition_point(|&o| o <= entry.pack_offset);
        let end = offsets.get(next).copied().unwrap_or(pack_end);
        end > entry.pack_offset
            && end <= pack_end
            && data.entry_crc32(entry.pack_offset, (end - entry.pack_offset) as usize) == expected
    };
    let traversed = index
        .traverse(
            &data,
            &mut gix::progress::Discard,
            &AtomicBool::new(false),
            |kind, bytes, entry, _progress| {
                if !entry_crc_matches(entry) {
                    use gix::error::ErrorExt;
                    return Err(gix::error::corruption(format!(
                        "{kind} {} at offset {} does not match its CRC32 in the index",
                        entry.oid, entry.pack_offset
                    ))
                    .raise());
                }
                blobs
                    .sink
                    .progress(Progress::Object { blob: kind == gix::object::Kind::Blob, bytes: bytes.len() as u64 });
                if kind == gix::object::Kind::Blob && blobs.seen.first_time(&entry.oid) {
                    blobs.scan(entry.oid, bytes);
                }
                Ok(())
            },
            pack::index::traverse::Options {
                traversal: pack::index::traverse::Algorithm::DeltaTreeLookup,
                thread_limit: Some(threads),
                check: pack::index::traverse::SafetyCheck::SkipFileAndObjectChecksumVerification,
                // Sizes come from each entry's header before inflating: an
                // object larger than this fails the traversal instead of
                // being inflated (a 1 GiB blob of zeros packs to 1 MB),
                // and the pack is read object by object instead.
                alloc_limit_bytes: Some(alloc_limit(blobs.max_blob_size)),
                make_pack_lookup_cache: || pack::cache::Never,
            },
        )
        .map(|_| ());
    traversed.or_else(|e| {
        // The traversal reports "an inspector failed" and keeps the object
        // that did in its cause.
        let causes = one_line(crate::error::with_causes(&e));
        if causes.contains(TOO_LARGE) {
            return scan_pack_by_lookup(repo, &index, &entry_crc_matches, blobs);
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
        if header.kind() != gix::object::Kind::Blob || !blobs.seen.first_time(&id) {
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
        let files = std::fs::read_dir(&dir).map_err(|source| Error::Io { path: dir.clone(), source })?;
        for file in files {
            let file = file.map_err(|source| Error::Io { path: dir.clone(), source })?;
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

pub(super) fn scan_loose(repo: &gix::Repository, ids: &[ObjectId], blobs: &Blobs) -> Result<(), Error> {
    let shared = repo.clone().into_sync();
    ids.par_iter().try_for_each_init(
        || shared.to_thread_local(),
        |repo, &id| -> Result<(), Error> {
            let header = repo.find_header(id).map_err(context(format!("corrupt loose object {id}")))?;
            let is_blob = header.kind() == gix::object::Kind::Blob;
            blobs.sink.progress(Progress::Object { blob: is_blob, bytes: header.size() });
            if !is_blob || !blobs.seen.first_time(&id) {
                return Ok(());
            }
            if header.size() > blobs.max_blob_size {
                blobs.skip_too_large(id, header.size());
                return Ok(());
            }
            let object = repo.find_object(id).map_err(context(format!("corrupt loose object {id}")))?;
            blobs.scan(id, &object.data);
            Ok(())
        },
    )
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}
