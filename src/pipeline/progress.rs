//! The progress bar of long scans (history), drawn on stderr only for a
//! person at a terminal: objects read out of those expected, blobs and bytes
//! scanned, rate and ETA; then one bar per later phase (the commit walk
//! that places findings). Sources only report counts (`source::Progress`);
//! drawing is the pipeline's.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock};

use crate::source::Progress;

#[derive(Default)]
pub(super) struct Bar {
    wanted: bool,
    /// Created on the first `Expect`, when wanted and stderr is a terminal.
    bar: OnceLock<indicatif::ProgressBar>,
    /// The bar of the phase after the objects, if one started.
    phase: Mutex<Option<indicatif::ProgressBar>>,
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
            Progress::Phase { what, total } => self.phase(what, total),
            Progress::Step => {
                if let Some(bar) = self.phase.lock().expect("lock").as_ref() {
                    bar.inc(1);
                }
            }
            Progress::Done => self.finish(),
        }
    }

    /// Per-object work is done: the objects bar ends and the phase's
    /// starts, so the screen never sits still on a full bar.
    fn phase(&self, what: &'static str, total: u64) {
        let Some(objects) = self.bar.get() else { return };
        objects.finish_and_clear();
        let bar = indicatif::ProgressBar::new(total);
        let template = if total == 0 {
            "{spinner} {elapsed_precise} {msg}"
        } else {
            "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} {msg} ({rate}, ETA {eta})"
        };
        bar.set_style(style(template));
        bar.set_message(what);
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        if let Some(old) = self.phase.lock().expect("lock").replace(bar) {
            old.finish_and_clear();
        }
    }

    fn start(&self, objects: u64) {
        use std::io::IsTerminal;
        if !self.wanted || !std::io::stderr().is_terminal() {
            return;
        }
        let bar = self.bar.get_or_init(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(style(
                "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} objects, {msg} ({rate}, ETA {eta})",
            ));
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
        if let Some(bar) = self.phase.lock().expect("lock").take() {
            bar.finish_and_clear();
        }
    }
}

/// A bar style whose `{rate}` is a whole number per second with thousands
/// separators (indicatif's `{per_sec}` prints `57,087.6035/s`).
fn style(template: &str) -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template(template)
        .expect("the template is valid")
        .with_key("rate", |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
            let _ = write!(out, "{}/s", thousands(state.per_sec() as u64));
        })
        .progress_chars("=> ")
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_rate_is_a_whole_number_with_thousands_separators() {
        assert_eq!(super::thousands(57_087), "57,087");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1_000_000), "1,000,000");
        assert_eq!(super::thousands(0), "0");
    }
}
