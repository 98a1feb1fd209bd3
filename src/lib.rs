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
//! Sources never scan, the scanner knows nothing about git, and only `pipeline`
//! knows about threads.

pub mod baseline;
pub mod cli;
pub mod config;
pub mod error;
pub mod finding;
pub mod hook;
pub mod pipeline;
pub mod providers;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
