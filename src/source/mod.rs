//! Sources turn "what the user asked to scan" into blobs: bytes plus where
//! they came from, pushed into a [`Sink`]. Sources never scan and never
//! filter findings: a git source says which earlier versions a blob replaced
//! ([`Lines::AddedSince`]), and the sink decides what that means for its
//! findings. Sources whose blobs are known up front (staged, range) list them
//! as a [`Listing`] and let the sink's owner spread them over threads; the
//! others push from the threads that find them (`ignore`'s walker, gix's pack
//! traversal, the history's loose-object pass).
//!
//! Policies a source needs (the size cap, whether a missing object is a skip
//! or an error) come in with its options; no source asks its sink for one.

pub mod git;
pub mod history;
pub mod message;
pub mod range;
pub mod staged;
pub mod tracked;
pub mod worktree;

use std::io::Read;

use gix::ObjectId;

use crate::blob::{Origin, SkipReason};
use crate::error::Error;

/// Where sources put what they read. Called from any thread.
pub trait Sink: Sync {
    /// One blob to scan, and which of its lines count.
    fn blob(&self, bytes: &[u8], origin: &Origin, lines: Lines<'_>);

    /// A file or stream to read and scan: read here, so that a binary one
    /// stops after its first 8 KB and nothing past `max_size` is read.
    fn read(&self, reader: &mut dyn Read, origin: &Origin, max_size: u64) -> std::io::Result<()>;

    /// A blob whose commit and path are not known yet (history reads
    /// objects before trees): its findings wait for [`Sink::place`]. Returns
    /// whether it has any, so the source knows which blobs to look for.
    fn unplaced(&self, bytes: &[u8], id: ObjectId) -> bool;

    /// Every place an unplaced blob was committed at: one per path, at the
    /// oldest commit that has it there. Empty when no commit or ref reaches
    /// it.
    fn place(&self, id: ObjectId, at: &[Placed]);

    /// The scan is knowingly incomplete (a shallow clone scanned with
    /// `--allow-shallow`): the report must say so, and why.
    fn partial(&self, _why: String) {}

    /// A blob that was not scanned, and why.
    fn skip(&self, origin: &Origin, reason: SkipReason);

    /// An error; the source goes on where it can.
    fn error(&self, error: Error);

    /// How far a long source (history) has got.
    fn progress(&self, event: Progress);
}

/// One place of a history blob.
#[derive(Debug, Clone)]
pub struct Placed {
    pub origin: Origin,
    /// The commit's position in the history walk (oldest first), so the
    /// sink can tell versions of a path apart and order them.
    pub order: u64,
    /// A ref that reaches the commit when no branch or tag does
    /// (`refs/pull/497/head`).
    pub only_from: Option<String>,
}

/// Which lines of a blob count.
#[derive(Clone, Copy)]
pub enum Lines<'a> {
    All,
    /// Only lines that none of `earlier` has: the versions this blob
    /// replaced (staged: HEAD's; range: each parent's). `read` fetches one,
    /// only when the blob has findings to narrow.
    AddedSince {
        earlier: &'a [ObjectId],
        read: &'a dyn Fn(ObjectId) -> Result<Vec<u8>, Error>,
    },
}

/// Progress of a source that reads every object.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// About this many objects will be reported.
    Expect(u64),
    /// One object read; `blob` with its size.
    Object {
        blob: bool,
        bytes: u64,
    },
    /// The objects are read; what follows is a phase of its own (listing
    /// and walking commits to place findings), of `total` steps, 0 when
    /// not known yet.
    Phase {
        what: &'static str,
        total: u64,
    },
    /// One step of the current phase.
    Step,
    Done,
}

/// Blobs a git source has listed before reading any: the sink's owner runs
/// `read` for every item, on the threads it chooses, each with its own
/// repository handle.
pub trait Listing: Sync {
    type Item: Sync;
    fn items(&self) -> &[Self::Item];
    /// Read one item into `sink`. An error is the item's; the rest go on.
    fn read(&self, repo: &gix::Repository, item: &Self::Item, sink: &dyn Sink) -> Result<(), Error>;
}
