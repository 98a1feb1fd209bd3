//! One pack read in two passes by kind: first its blobs, then its trees,
//! commits and tags, each pass one gix-pack delta-tree traversal over
//! only the entries of its kind. A delta's base is always of its own kind,
//! so each pass is a whole delta forest and nothing is inflated twice.
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
    Rest,
    /// A ref-delta whose base comes later in the pack, not placed yet.
    Unknown,
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
    let (positions, only) = of_pass(index, data, pass);
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
                Some(pass) if (kind == gix::object::Kind::Blob) != (pass == Pass::Blobs) => Ok(()),
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

/// The index positions of the entries `pass` reads, by ascending pack
/// offset, and the kind of entries to inspect among them. An entry whose
/// header cannot be read goes to the second pass, whose traversal then
/// reports the damage.
///
/// gix-pack reads the first entry given right after the pack's header, so
/// the pack's first entry is always given, and left uninspected when it is
/// of the other pass. Should it be a delta of the other pass, the first
/// pass reads the whole pack (its trees are then decoded before every blob
/// is read, and so are not recorded: the walk reads them again).
fn of_pass(index: &pack::index::File, data: &pack::data::File, pass: Pass) -> (Vec<u32>, Option<Pass>) {
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
            Ok(Header::Blob) => {
                sides[n] = Side::Blob;
                continue;
            }
            Ok(Header::OfsDelta { base_distance }) => {
                Header::verified_base_pack_offset(offset, base_distance).and_then(at)
            }
            Ok(Header::RefDelta { base_id }) => {
                index.lookup(base_id).map(|p| index.pack_offset_at_index(p)).and_then(at)
            }
            Ok(_) | Err(_) => None,
        };
        sides[n] = match base {
            Some(base) if sides[base] != Side::Unknown => sides[base],
            // A base later in the pack, or a delta on such a base.
            Some(base) => {
                pending.push((n, base));
                Side::Unknown
            }
            None => Side::Rest,
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
    let wanted = |side: Side| match pass {
        Pass::Blobs => side == Side::Blob,
        Pass::Rest => side != Side::Blob,
    };
    let first_is_base =
        by_offset.first().is_some_and(|&(offset, _)| data.entry(offset).is_ok_and(|entry| !entry.header.is_delta()));
    if !first_is_base && sides.first().is_some_and(|&side| !wanted(side)) {
        return match pass {
            Pass::Blobs => (by_offset.iter().map(|&(_, position)| position).collect(), None),
            Pass::Rest => (Vec::new(), None),
        };
    }
    let positions = by_offset
        .iter()
        .zip(sides)
        .enumerate()
        .filter(|&(n, (_, side))| n == 0 || wanted(side))
        .map(|(_, (&(_, position), _))| position)
        .collect();
    (positions, Some(pass))
}
