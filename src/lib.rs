//! keyfence: a git secret scanner (AWS credentials first; every provider is data, see `providers`).
//!
//! The crate reads like its data flow:
//!
//! ```text
//! source ──> blobs ──> prefilter ──> verify ──> findings ──> report + exit code
//!  dir        (bytes +   one packed     per-rule regex    added-line     human / json /
//!  staged      origin)   Teddy search   on a window +     filter, inline jsonl
//!  range                 over literal   entropy + pairing allow, finger-
//!  history               anchors                          print, redact
//!  message
//! ```
//!
//! Sources never scan and push blobs into a sink; the scanner knows nothing
//! about git. `pipeline` is the sink: it owns the threads of listed sources
//! (staged, range), the per-thread scratch and every findings policy; the
//! sources that find blobs on their own threads (`ignore`'s walker, gix's
//! pack traversal) hand them to the same sink.

// In data-flow order (docs/architecture.md); blank lines keep
// rustfmt from sorting it.

// Leaves: errors, the exit status, what a blob is.
pub mod error;

pub mod exit;

pub mod blob;

// What to look for, and who issued it.
pub mod rules;

pub mod providers;

// Matching, then matches become findings.
pub mod scan;

pub mod finding;

// What may suppress a finding: project config, baselines, the suppressors.
pub mod config;

pub mod baseline;

pub mod suppress;

// Blobs in, findings out.
pub mod source;

pub mod pipeline;

pub mod report;

// Assembly and the front ends.
pub mod engine;

pub mod hooks;

pub mod cli;
