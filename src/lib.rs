//! keyfence: a git secret scanner for AWS credentials.
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

pub mod baseline;
pub mod blob;
pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod exit;
pub mod finding;
pub mod hooks;
pub mod pipeline;
pub mod providers;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod suppress;
