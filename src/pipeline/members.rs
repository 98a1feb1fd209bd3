//! The pipeline's side of archives: a blob whose first bytes say it is an
//! archive is opened (`archive.rs`) instead of skipped as binary, and each
//! member goes back through the same scan as a blob named `ARCHIVE!MEMBER`.
//! Nesting depth and the inflate budget follow the recursion on this
//! thread: members are expanded where their archive is, never elsewhere.

use std::cell::Cell;

use super::archive::{self, Budget, Skip, MAX_DEPTH};
use super::Pipeline;
use crate::blob::{ArchiveSkip, Origin, SkipReason};
use crate::finding::Finding;
use crate::source::Sink;

thread_local! {
    /// How many archives the blob being scanned on this thread is inside.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// What the top-level archive being opened on this thread may still inflate.
    static BUDGET: Budget = Budget::default();
}

impl Pipeline<'_> {
    /// Whether a blob starting with `prefix` is an archive to open.
    pub(super) fn opens_archive(&self, prefix: &[u8]) -> bool {
        self.archives.is_some() && archive::kind(prefix).is_some()
    }

    /// The findings in the members of `bytes`, if it is an archive to open;
    /// `None` for any other blob. Skipped members and archives are listed.
    pub(super) fn archive_findings(&self, bytes: &[u8], origin: &Origin) -> Option<Vec<Finding>> {
        let max_member = self.archives?;
        let kind = archive::kind(bytes)?;
        let depth = DEPTH.get();
        if depth >= MAX_DEPTH {
            self.skip(origin, SkipReason::Archive(ArchiveSkip::TooDeep));
            return Some(Vec::new());
        }
        let mut found = Vec::new();
        let result = BUDGET.with(|budget| {
            if depth == 0 {
                budget.reset();
            }
            DEPTH.set(depth + 1);
            let result = archive::expand(bytes, kind, &origin.path, max_member, budget, &mut |(name, member)| {
                let at = origin.member(&name);
                match member {
                    Ok(bytes) => found.extend(self.findings_in(&bytes, &at)),
                    Err(skip) => self.skip(&at, reason(skip)),
                }
            });
            DEPTH.set(depth);
            result
        });
        if let Err(skip) = result {
            self.skip(origin, reason(skip));
            // Text can start like an archive (`ustar` at byte 257, a bzip2
            // magic): listing it as a corrupt archive would leave its lines
            // unread, so text that does not open is scanned as text too.
            if skip == Skip::Archive(ArchiveSkip::Corrupt) && !crate::blob::looks_binary(bytes) {
                found.extend(self.text_findings(bytes, origin));
            }
        }
        Some(found)
    }
}

/// The path of a finding found in the unplaced blob `id` (`blob <id>`, or
/// `blob <id>!member` inside an archive), once the blob is found at `at`.
/// A compressed stream that does not record its file's name named its member
/// after `blob <id>`: it is named after the placed archive now.
pub(super) fn placed(unplaced: &[u8], id: gix::ObjectId, at: &[u8]) -> Vec<u8> {
    let prefix = format!("blob {id}").into_bytes();
    let member = unplaced.strip_prefix(&prefix[..]).unwrap_or(b"");
    let named_after_blob = [b"!", &prefix[..]].concat();
    match member.strip_prefix(&named_after_blob[..]) {
        Some(rest) if rest.is_empty() || rest.starts_with(b"!") => {
            [at, b"!", &archive::decompressed_name(at), rest].concat()
        }
        _ => [at, member].concat(),
    }
}

fn reason(skip: Skip) -> SkipReason {
    match skip {
        Skip::TooLarge(size) => SkipReason::TooLarge(size),
        Skip::Archive(why) => SkipReason::Archive(why),
    }
}
