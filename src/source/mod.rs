//! Sources turn "what the user asked to scan" into blobs: bytes plus where
//! they came from. Sources never scan; they hand each blob to the pipeline
//! and, for git sources, narrow its findings to the lines a change added.

pub mod git;
pub mod history;
pub mod message;
pub mod range;
pub mod staged;
pub mod worktree;
