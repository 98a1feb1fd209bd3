//! Archives opened in memory: zip and its kin (jar, war, ear, apk, whl,
//! nupkg are zips), tar, and the gzip, bzip2 and xz streams (so tar.gz/tgz,
//! tar.bz2/tbz2, tar.xz/txz). The pipeline calls
//! [`kind`] on a blob it would otherwise skip as binary, and hands each
//! member back to itself as a blob named `ARCHIVE!MEMBER`, so every source
//! gets archives without knowing of them.
//!
//! Bounded, because a repository supplies the archive: members are opened
//! [`MAX_DEPTH`] archives deep at most; one top-level archive inflates to
//! [`MAX_TOTAL`] bytes at most, all its nested members included; a member
//! that would inflate more than [`MAX_RATIO`] times its compressed size (past
//! the first MiB) is a zip bomb, skipped before it is inflated when its
//! header says so and as soon as it passes the ratio when the header lies;
//! a member above `--max-blob-size` is skipped. Each of these, and a corrupt
//! archive, is listed as skipped: none is an error of the repository.

use std::cell::Cell;
use std::io::{self, Read};

use crate::blob::ArchiveSkip;

/// How many archives deep members are opened: `a.zip!b.jar!c.zip!x` is read,
/// an archive inside `x` is skipped and listed.
pub const MAX_DEPTH: u32 = 3;
/// Bytes one top-level archive may inflate to, nested members included.
pub const MAX_TOTAL: u64 = 1 << 30;
/// Inflated bytes per compressed byte a member may reach past [`RATIO_FLOOR`].
/// Text compresses 3-20 times; a zip bomb thousands of times.
pub const MAX_RATIO: u64 = 100;
/// Below this, any ratio is allowed: a small file of repeated lines is not a bomb.
pub const RATIO_FLOOR: u64 = 1 << 20;
/// Memory an xz decoder may allocate. An xz header names its dictionary size
/// (up to 4 GiB) and the decoder allocates it, so a 100-byte file could take
/// gigabytes; `xz -9` needs 65 MiB, so every preset's output is still read.
pub const XZ_MEMORY: u64 = 128 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Zip,
    Tar,
    /// One compressed stream: a file, or a tar read as its members.
    Stream(Codec),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    Bzip2,
    Xz,
}

/// The archive format `bytes` starts with, judged by magic numbers (never by
/// the file name: a renamed zip is still read).
pub fn kind(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Some(Kind::Zip)
    } else if bytes.starts_with(&[0x1f, 0x8b, 0x08]) {
        Some(Kind::Stream(Codec::Gzip))
    } else if is_bzip2(bytes) {
        Some(Kind::Stream(Codec::Bzip2))
    } else if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some(Kind::Stream(Codec::Xz))
    } else if bytes.get(257..262) == Some(b"ustar") {
        Some(Kind::Tar)
    } else {
        None
    }
}

/// `BZh`, a block size digit, then the magic of a first block or of the end
/// of an empty stream: `BZh` alone starts ordinary text too, and a text file
/// taken for a corrupt archive would not be scanned.
fn is_bzip2(bytes: &[u8]) -> bool {
    const BLOCK: &[u8] = b"1AY&SY";
    const END: &[u8] = &[0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
    match bytes {
        [b'B', b'Z', b'h', b'1'..=b'9', rest @ ..] => rest.starts_with(BLOCK) || rest.starts_with(END),
        _ => false,
    }
}

/// Bytes left to inflate for one top-level archive and everything inside it.
pub struct Budget(Cell<u64>);

impl Default for Budget {
    fn default() -> Self {
        Budget(Cell::new(MAX_TOTAL))
    }
}

impl Budget {
    /// A new top-level archive: the whole budget again.
    pub fn reset(&self) {
        self.0.set(MAX_TOTAL);
    }
}

/// A member: its name inside the archive, and its bytes or why it was not read.
pub type Member = (Vec<u8>, Result<Vec<u8>, Skip>);

/// Why a member (or a whole archive) was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    TooLarge(u64),
    Archive(ArchiveSkip),
}

/// Open `bytes` as `kind` and call `each` for every file in it, in order.
/// `Err` skips the whole archive (it is corrupt, or a bomb past its first
/// members); members read before that were already handed over.
pub fn expand(
    bytes: &[u8],
    kind: Kind,
    name: &[u8],
    max_member: u64,
    budget: &Budget,
    each: &mut dyn FnMut(Member),
) -> Result<(), Skip> {
    match kind {
        Kind::Zip => zip_members(bytes, max_member, budget, each),
        Kind::Tar => tar_members(bytes, max_member, budget, each),
        Kind::Stream(codec) => {
            let inflated = inflate(decoder(codec, bytes)?, bytes.len() as u64, budget.0.get(), max_member)?;
            budget.0.set(budget.0.get() - inflated.len() as u64);
            if kind_is_tar(&inflated) {
                // tar.gz, tar.bz2, tar.xz: one archive, named by its members.
                return tar_members(&inflated, max_member, budget, each);
            }
            // Only gzip may record its file's name.
            let header_name = match codec {
                Codec::Gzip => {
                    flate2::read::GzDecoder::new(bytes).header().and_then(|h| h.filename()).map(<[u8]>::to_vec)
                }
                Codec::Bzip2 | Codec::Xz => None,
            };
            each((header_name.unwrap_or_else(|| decompressed_name(name)), Ok(inflated)));
            Ok(())
        }
    }
}

/// A reader of the decompressed `bytes`; every codec reads concatenated
/// streams whole, as its command-line tool does.
fn decoder(codec: Codec, bytes: &[u8]) -> Result<Box<dyn Read + '_>, Skip> {
    Ok(match codec {
        Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(bytes)),
        Codec::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(bytes)),
        Codec::Xz => {
            let stream = liblzma::stream::Stream::new_stream_decoder(XZ_MEMORY, liblzma::stream::CONCATENATED)
                .map_err(|_| Skip::Archive(ArchiveSkip::Memory))?;
            Box::new(liblzma::bufread::XzDecoder::new_stream(bytes, stream))
        }
    })
}

fn kind_is_tar(bytes: &[u8]) -> bool {
    kind(bytes) == Some(Kind::Tar)
}

/// `creds.json.gz` holds `creds.json`; `x.tgz` holds `x.tar` (and so for
/// bzip2 and xz); a stream named otherwise holds a file of its own name.
pub(super) fn decompressed_name(archive: &[u8]) -> Vec<u8> {
    let base = archive.rsplit(|&b| b == b'/' || b == b'!').next().unwrap_or(archive);
    for tar in [&b".tgz"[..], b".tbz2", b".tbz", b".txz"] {
        if let Some(stem) = base.strip_suffix(tar) {
            return [stem, b".tar"].concat();
        }
    }
    let stem = [&b".gz"[..], b".bz2", b".xz"].into_iter().find_map(|suffix| base.strip_suffix(suffix));
    stem.filter(|s| !s.is_empty()).unwrap_or(base).to_vec()
}

/// Read `reader` (a decompressor over `compressed` bytes) to its end, failing
/// as soon as it passes `limit` bytes or the bomb ratio.
fn inflate(reader: impl Read, compressed: u64, limit: u64, max_member: u64) -> Result<Vec<u8>, Skip> {
    let ratio_limit = compressed.saturating_mul(MAX_RATIO).max(RATIO_FLOOR);
    let cap = limit.min(ratio_limit).min(max_member);
    let mut out = Vec::new();
    let read = reader.take(cap.saturating_add(1)).read_to_end(&mut out);
    match read {
        Err(e) if is_memory_limit(&e) => Err(Skip::Archive(ArchiveSkip::Memory)),
        Err(_) => Err(Skip::Archive(ArchiveSkip::Corrupt)),
        Ok(_) if out.len() as u64 <= cap => Ok(out),
        Ok(_) if cap == ratio_limit => Err(Skip::Archive(ArchiveSkip::Bomb)),
        Ok(_) if cap == max_member => Err(Skip::TooLarge(out.len() as u64)),
        Ok(_) => Err(Skip::Archive(ArchiveSkip::Budget)),
    }
}

/// Whether the xz decoder stopped because the stream needs more than [`XZ_MEMORY`].
fn is_memory_limit(e: &io::Error) -> bool {
    let inner = e.get_ref().and_then(|inner| inner.downcast_ref::<liblzma::stream::Error>());
    matches!(inner, Some(liblzma::stream::Error::MemLimit))
}

/// A member of `declared` bytes, `compressed` in the archive: skipped before
/// any inflating when its header alone says it is too large or a bomb.
fn check_declared(declared: u64, compressed: u64, max_member: u64, budget: &Budget) -> Result<(), Skip> {
    if declared > RATIO_FLOOR && declared / compressed.max(1) > MAX_RATIO {
        Err(Skip::Archive(ArchiveSkip::Bomb))
    } else if declared > max_member {
        Err(Skip::TooLarge(declared))
    } else if declared > budget.0.get() {
        Err(Skip::Archive(ArchiveSkip::Budget))
    } else {
        Ok(())
    }
}

fn zip_members(bytes: &[u8], max_member: u64, budget: &Budget, each: &mut dyn FnMut(Member)) -> Result<(), Skip> {
    let corrupt = |_| Skip::Archive(ArchiveSkip::Corrupt);
    let mut archive = zip::ZipArchive::new(io::Cursor::new(bytes)).map_err(corrupt)?;
    for i in 0..archive.len() {
        let listed = archive.name_for_index(i).unwrap_or("?").as_bytes().to_vec();
        let member = match archive.by_index(i) {
            Ok(member) => member,
            Err(zip::result::ZipError::UnsupportedArchive(_)) => {
                each((listed, Err(Skip::Archive(ArchiveSkip::Unsupported))));
                continue;
            }
            Err(e) => return Err(corrupt(e)),
        };
        if member.is_dir() {
            continue;
        }
        let name = member.name_raw().to_vec();
        let (declared, compressed) = (member.size(), member.compressed_size());
        let read = check_declared(declared, compressed, max_member, budget).and_then(|()| {
            // The header may lie: the ratio and caps hold while inflating too.
            inflate(member, compressed, budget.0.get(), max_member)
        });
        let read = read.inspect(|bytes| budget.0.set(budget.0.get() - bytes.len() as u64));
        let budget_spent = read == Err(Skip::Archive(ArchiveSkip::Budget));
        each((name, read));
        if budget_spent {
            return Err(Skip::Archive(ArchiveSkip::Budget));
        }
    }
    Ok(())
}

fn tar_members(bytes: &[u8], max_member: u64, budget: &Budget, each: &mut dyn FnMut(Member)) -> Result<(), Skip> {
    let corrupt = |_| Skip::Archive(ArchiveSkip::Corrupt);
    let mut archive = tar::Archive::new(bytes);
    for entry in archive.entries().map_err(corrupt)? {
        let entry = entry.map_err(corrupt)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path_bytes().into_owned();
        let size = entry.size();
        // A tar stores members whole: its size is the bytes it holds.
        let read = check_declared(size, size, max_member, budget).and_then(|()| {
            let mut out = Vec::new();
            entry.take(size).read_to_end(&mut out).map_err(corrupt)?;
            budget.0.set(budget.0.get() - out.len() as u64);
            Ok(out)
        });
        each((name, read));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_are_known_by_their_magic_numbers() {
        assert_eq!(kind(b"PK\x03\x04rest"), Some(Kind::Zip));
        assert_eq!(kind(&[0x1f, 0x8b, 0x08, 0]), Some(Kind::Stream(Codec::Gzip)));
        assert_eq!(kind(b"BZh91AY&SY\x01"), Some(Kind::Stream(Codec::Bzip2)));
        assert_eq!(kind(b"BZh9\x17\x72\x45\x38\x50\x90\0\0\0\0"), Some(Kind::Stream(Codec::Bzip2)));
        assert_eq!(kind(b"\xfd7zXZ\0\0\x04"), Some(Kind::Stream(Codec::Xz)));
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(kind(&tar), Some(Kind::Tar));
        assert_eq!(kind(b"PK plain text"), None);
        assert_eq!(kind(b"BZh, a text that starts like bzip2"), None);
        assert_eq!(kind(b"BZh9 and more"), None);
    }

    #[test]
    fn a_compressed_stream_is_named_after_its_archive() {
        assert_eq!(decompressed_name(b"dir/creds.json.gz"), b"creds.json");
        assert_eq!(decompressed_name(b"a.zip!backup.tgz"), b"backup.tar");
        assert_eq!(decompressed_name(b"dir/creds.json.bz2"), b"creds.json");
        assert_eq!(decompressed_name(b"home.tbz2"), b"home.tar");
        assert_eq!(decompressed_name(b"notes.txt.xz"), b"notes.txt");
        assert_eq!(decompressed_name(b"home.txz"), b"home.tar");
        assert_eq!(decompressed_name(b".xz"), b".xz");
        assert_eq!(decompressed_name(b"blob"), b"blob");
    }

    #[test]
    fn a_stream_past_the_ratio_stops_being_inflated() {
        let zeros = io::repeat(0).take(64 << 20);
        assert_eq!(inflate(zeros, 1000, u64::MAX, u64::MAX), Err(Skip::Archive(ArchiveSkip::Bomb)));
    }
}
