//! The progress bar of long scans (history), drawn on stderr only for a
//! person at a terminal: objects read out of those expected, blobs and bytes
//! scanned, rate and ETA. Sources only report counts (`source::Progress`);
//! drawing is the pipeline's.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;

use crate::source::Progress;

#[derive(Default)]
pub(super) struct Bar {
    wanted: bool,
    /// Created on the first `Expect`, when wanted and stderr is a terminal.
    bar: OnceLock<indicatif::ProgressBar>,
    blobs: AtomicU64,
    bytes: AtomicU64,
}

impl Bar {
    pub(super) fn new(wanted: bool) -> Bar {
        Bar { wanted, ..Bar::default() }
    }

    pub(super) fn event(&self, event: Progress) {
        match event {
            Progress::Expect(objects) => self.start(objects),
            Progress::Object { blob, bytes } => self.object(blob, bytes),
            Progress::Done => self.finish(),
        }
    }

    fn start(&self, objects: u64) {
        use std::io::IsTerminal;
        if !self.wanted || !std::io::stderr().is_terminal() {
            return;
        }
        let bar = self.bar.get_or_init(|| {
            let bar = indicatif::ProgressBar::new(0);
            let style = indicatif::ProgressStyle::with_template(
                "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} objects, {msg} ({per_sec}, ETA {eta})",
            )
            .expect("the template is valid")
            .progress_chars("=> ");
            bar.set_style(style);
            bar
        });
        bar.inc_length(objects);
    }

    fn object(&self, is_blob: bool, size: u64) {
        let Some(bar) = self.bar.get() else { return };
        if is_blob {
            let blobs = self.blobs.fetch_add(1, Relaxed) + 1;
            let bytes = self.bytes.fetch_add(size, Relaxed) + size;
            if blobs.is_multiple_of(1024) {
                bar.set_message(format!("{blobs} blobs, {}", indicatif::HumanBytes(bytes)));
            }
        }
        bar.inc(1);
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}
