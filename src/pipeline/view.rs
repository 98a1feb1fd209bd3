//! A text scanned a second time after a change that may reveal a value:
//! base64 runs decoded (`base64.rs`), split string literals joined
//! (`joined.rs`). A `View` is that text and, for each changed place, where
//! it came from in the blob. Only findings that start inside a changed
//! place are kept, and they are named by the blob's line and column, so
//! the added-line filter, baselines and reports see the blob's lines.

use std::collections::HashMap;
use std::ops::Range;

use super::{Pipeline, SCRATCH};
use crate::blob::Origin;
use crate::finding::{self, Finding};
use crate::scan::lines;

/// One changed place: bytes of the view, and where they start in the blob.
pub struct Span {
    pub view: Range<usize>,
    pub text_at: usize,
    /// Each view byte is the blob byte as far in (a piece of a joined
    /// literal), rather than the whole span standing for one place (a
    /// decoded run, named by its start).
    pub exact: bool,
}

pub struct View {
    pub bytes: Vec<u8>,
    /// Sorted by `view.start`, not overlapping.
    pub spans: Vec<Span>,
    /// What a finding in it says it was (`Finding::encoding`).
    pub encoding: &'static str,
}

impl Pipeline<'_> {
    /// The findings `view` holds that `text` as it is does not.
    pub(super) fn view_findings(&self, text: &[u8], view: View, origin: &Origin) -> Vec<Finding> {
        let (mut found, ends) = SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let matches = self.scanner.scan(&view.bytes, &mut scratch);
            let ends: HashMap<usize, usize> = matches.iter().map(|m| (m.start, m.end)).collect();
            (finding::from_matches_with(self.scanner, &view.bytes, matches, origin, self.line_model), ends)
        });
        let line_starts: Vec<usize> =
            std::iter::once(0).chain(lines::breaks(&view.bytes, 0, view.bytes.len()).map(|i| i + 1)).collect();
        found.retain_mut(|f| {
            let at = line_starts.get(f.line as usize - 1).map_or(usize::MAX, |s| s + f.column as usize - 1);
            let i = view.spans.partition_point(|s| s.view.end <= at);
            let Some(span) = view.spans.get(i).filter(|s| s.view.contains(&at)) else { return false };
            // A value within one piece of a joined literal is in the blob as
            // it is: the scan of the blob found it already.
            if span.exact && ends.get(&at).is_some_and(|&end| end <= span.view.end) {
                return false;
            }
            let outer = if span.exact { span.text_at + (at - span.view.start) } else { span.text_at };
            let (line_start, _) = lines::line_at(text, outer);
            f.line = lines::breaks(text, 0, outer).count() as u32 + 1;
            f.column = (outer - line_start) as u32 + 1;
            f.column_chars = String::from_utf8_lossy(&text[line_start..outer]).chars().count() as u32 + 1;
            f.encoding = Some(view.encoding);
            true
        });
        found
    }
}
