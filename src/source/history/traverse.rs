//! One pack read in two passes by kind: first its blobs, then its trees,
//! commits and tags, each part one gix-pack delta-tree traversal over
//! only the entries of its kind (the second pass is two: commits and tags,
//! then trees, so that a delta tree of every tree and commit at once is
//! never in memory: on git/git 203,000 commits' entries, ~10 MB). A
//! delta's base is always of its own kind, so each part is a whole delta
//! forest and nothing is inflated twice.
//!
//! Why two passes: git writes trees before blobs, so a single traversal
//! decodes a tree before the blobs it names are scanned. With every blob
//! scanned first, the trees can be recorded knowing which of their blobs
//! have findings (`graph`), and attribution walks that record instead of
//! inflating every tree again through the object database (about 20 s on
//! git/git).

use std::sync::atomic::AtomicBool;

use gix::odb::pack;

/// Which entries of a pack one traversal reads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Pass {
    Blobs,
    Rest,
}

/// A kind as far as the passes care, for every entry in offset order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Blob,
    /// Commits and tags.
    Other,
    /// Trees, and entries whose header cannot be read (the last part's
    /// traversal reports them).
    Tree,
    /// A ref-delta whose base comes later in the pack, not placed yet.
    Unknown,
}

impl Side {
    fn of(kind: gix::object::Kind) -> Side {
        match kind {
            gix::object::Kind::Blob => Side::Blob,
            gix::object::Kind::Tree => Side::Tree,
            gix::object::Kind::Commit | gix::object::Kind::Tag => Side::Other,
        }
    }
}

/// Traverse the entries of `pass`, calling `inspect` with each object's
/// kind, content and position in the index, on `threads` threads.
pub(super) fn traverse(
    index: &pack::index::File,
    data: &pack::data::File,
    pass: Pass,
    threads: usize,
    alloc_limit: usize,
    inspect: impl FnMut(gix::object::Kind, &[u8], u32) -> gix::error::Result + Send + Clone,
) -> gix::error::Result {
    let sides = sides(index, data);
    let parts: &[Side] = match pass {
        Pass::Blobs => &[Side::Blob],
        Pass::Rest => &[Side::Other, Side::Tree],
    };
    for &part in parts {
        let (positions, only) = of_part(&sides, data, part);
        traverse_part(index, data, positions, only, threads, alloc_limit, inspect.clone())?;
    }
    Ok(())
}

fn traverse_part(
    index: &pack::index::File,
    data: &pack::data::File,
    positions: Vec<u32>,
    only: Option<Side>,
    threads: usize,
    alloc_limit: usize,
    inspect: impl FnMut(gix::object::Kind, &[u8], u32) -> gix::error::Result + Send + Clone,
) -> gix::error::Result {
    let tree = pack::cache::delta::Tree::from_offsets_in_pack(
        data.path(),
        positions.into_iter(),
        &|&position| index.pack_offset_at_index(position),
        &|id| Ok(index.lookup(id).map(|position| index.pack_offset_at_index(position))),
        &mut gix::progress::Discard,
        &AtomicBool::new(false),
        index.object_hash(),
    )?;
    let mut inspect = inspect;
    tree.traverse(
        |range, data: &pack::data::File| data.entry_slice(range),
        data,
        data.pack_end() as u64,
        move |&mut position, _progress, context| {
            let Some(kind) = context.entry.header.as_kind() else {
                use gix::error::ErrorExt;
                return Err(gix::error::corruption("a delta resolved to no object kind").raise());
            };
            match only {
                Some(part) if Side::of(kind) != part => Ok(()),
                _ => inspect(kind, context.decompressed, position),
            }
        },
        pack::cache::delta::traverse::Options {
            object_progress: Box::new(gix::progress::Discard),
            size_progress: &mut gix::progress::Discard,
            thread_limit: Some(threads),
            should_interrupt: &AtomicBool::new(false),
            object_hash: index.object_hash(),
            alloc_limit_bytes: Some(alloc_limit),
        },
    )?;
    Ok(())
}

/// Every entry's (offset, index position), by ascending offset, and its side.
struct Sides {
    by_offset: Vec<(u64, u32)>,
    sides: Vec<Side>,
}

/// The side of every entry of the pack. An entry whose header cannot be
/// read goes to the last part, whose traversal then reports the damage.
fn sides(index: &pack::index::File, data: &pack::data::File) -> Sides {
    let mut by_offset: Vec<(u64, u32)> =
        (0..index.num_objects()).map(|position| (index.pack_offset_at_index(position), position)).collect();
    by_offset.sort_unstable();
    let at = |offset: u64| by_offset.binary_search_by_key(&offset, |&(o, _)| o).ok();
    let mut sides = vec![Side::Unknown; by_offset.len()];
    // Ref-deltas to a later base are placed once their base is; a cycle
    // or a base outside the pack stays unknown and goes to `Rest`.
    let mut pending = Vec::new();
    for (n, &(offset, _)) in by_offset.iter().enumerate() {
        use pack::data::entry::Header;
        let base = match data.entry(offset).map(|entry| entry.header) {
            Ok(header @ (Header::Blob | Header::Tree | Header::Commit | Header::Tag)) => {
                sides[n] = header.as_kind().map_or(Side::Tree, Side::of);
                continue;
            }
            Ok(Header::OfsDelta { base_distance }) => {
                Header::verified_base_pack_offset(offset, base_distance).and_then(at)
            }
            Ok(Header::RefDelta { base_id }) => {
                index.lookup(base_id).map(|p| index.pack_offset_at_index(p)).and_then(at)
            }
            Err(_) => None,
        };
        sides[n] = match base {
            Some(base) if sides[base] != Side::Unknown => sides[base],
            // A base later in the pack, or a delta on such a base.
            Some(base) => {
                pending.push((n, base));
                Side::Unknown
            }
            None => Side::Tree,
        };
    }
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|&(n, base)| {
            sides[n] = sides[base];
            sides[n] == Side::Unknown
        });
        if pending.len() == before {
            break;
        }
    }
    Sides { by_offset, sides }
}

/// The index positions of the entries of `part`, by ascending pack offset,
/// and the side of the entries to inspect among them.
///
/// gix-pack reads the first entry given right after the pack's header, so
/// the pack's first entry is always given, and left uninspected when it is
/// of another part. Should it be a delta of another part, the blob part
/// reads the whole pack (its trees are then decoded before every blob is
/// read, and so are not recorded: the walk reads them again) and the others
/// read nothing.
fn of_part(sides: &Sides, data: &pack::data::File, part: Side) -> (Vec<u32>, Option<Side>) {
    let Sides { by_offset, sides } = sides;
    // What the blob part does not read, the others do.
    let wanted = |side: Side| side == part || (part == Side::Tree && side == Side::Unknown);
    let first_is_base =
        by_offset.first().is_some_and(|&(offset, _)| data.entry(offset).is_ok_and(|entry| !entry.header.is_delta()));
    if !first_is_base && sides.first().is_some_and(|&side| !wanted(side)) {
        return match part {
            Side::Blob => (by_offset.iter().map(|&(_, position)| position).collect(), None),
            _ => (Vec::new(), None),
        };
    }
    let positions = by_offset
        .iter()
        .zip(sides.iter().copied())
        .enumerate()
        .filter(|&(n, (_, side))| n == 0 || wanted(side))
        .map(|(_, (&(_, position), _))| position)
        .collect();
    (positions, Some(part))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::super::git;
    use super::*;

    #[test]
    fn the_passes_inspect_every_object_of_a_pack_once_by_kind() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        // Enough versions of the same files and directories that the
        // repack makes deltas of blobs, trees and commits alike.
        for i in 0..40 {
            std::fs::create_dir_all(dir.path().join(format!("d{}", i % 3))).unwrap();
            let text: String = (0..50).map(|line| format!("line {line} of version {}\n", i / 2)).collect();
            std::fs::write(dir.path().join(format!("d{}/f", i % 3)), text).unwrap();
            git(dir.path(), &["add", "."]);
            git(dir.path(), &["commit", "-q", "-m", &format!("version {i}")]);
        }
        git(dir.path(), &["tag", "-a", "-m", "tagged", "v1"]);
        git(dir.path(), &["repack", "-adfq", "--depth=50", "--window=50"]);
        let idx = super::super::pack_index_of(dir.path());
        let index = pack::index::File::at(&idx, gix::hash::Kind::Sha1).unwrap();
        let data = pack::data::File::at(idx.with_extension("pack"), gix::hash::Kind::Sha1).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        for pass in [Pass::Blobs, Pass::Rest] {
            let seen = seen.clone();
            traverse(&index, &data, pass, 2, 1 << 30, move |kind, _, position| {
                seen.lock().unwrap().push((pass == Pass::Blobs, kind, position));
                Ok(())
            })
            .unwrap();
        }
        let mut seen = seen.lock().unwrap().clone();
        assert!(seen.iter().all(|&(blob_pass, kind, _)| blob_pass == (kind == gix::object::Kind::Blob)));
        seen.sort_by_key(|&(_, _, position)| position);
        let positions: Vec<u32> = seen.iter().map(|&(_, _, position)| position).collect();
        assert_eq!(positions, (0..index.num_objects()).collect::<Vec<_>>(), "each object once");
        let git_count = git(dir.path(), &["count-objects", "-v"]);
        assert!(git_count.contains(&format!("in-pack: {}", index.num_objects())));
    }
}
