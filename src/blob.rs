//! What every stage says about a blob, and nothing that needs another
//! module: where it came from (`Origin`), why one was not scanned
//! (`SkipReason`), the set of blob ids already scanned (`SeenBlobs`), and the
//! text probes (binary or UTF-16) that decide how its bytes are read. A leaf:
//! it imports no other module of the crate.

use std::sync::Mutex;

use gix::ObjectId;

/// git calls a blob binary when a NUL byte is among its first 8000 bytes:
/// `buffer_is_binary()` in git's `xdiff-interface.c` looks at
/// `FIRST_FEW_BYTES` (8000) bytes, and `git grep -I`, `git diff` and so
/// git-secrets follow it. Exactly that many, so a NUL at byte 8100 does not
/// make keyfence skip what git shows as text.
pub const BINARY_PROBE: usize = 8000;

/// Where a blob came from. Paths are raw bytes: git paths need not be UTF-8.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub path: Vec<u8>,
    /// Hex id of the commit that introduced the blob (range and history).
    pub commit: Option<String>,
    /// Hex git object id of the blob, when it came from a repository.
    pub blob_id: Option<String>,
}

impl Origin {
    pub fn file(path: &std::path::Path) -> Origin {
        Origin { path: path_bytes(path), ..Origin::default() }
    }

    /// A member of the archive this origin names: `ARCHIVE!MEMBER`, with the
    /// archive's commit and blob (`a.zip!lib/b.jar!x` when nested).
    pub fn member(&self, name: &[u8]) -> Origin {
        Origin { path: [&self.path[..], b"!", name].concat(), ..self.clone() }
    }

    /// The path for people: lossy UTF-8, with control characters escaped so a
    /// file name cannot forge output lines.
    pub fn display_path(&self) -> String {
        escape_for_terminal(&self.path)
    }
}

/// Why a blob was not scanned. Reported on stderr and in the stats: a
/// scanner must never skip silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Larger than `--max-blob-size` (the size in bytes).
    TooLarge(u64),
    /// Not in the object database (a partial clone), with `--skip-missing`.
    Missing,
    /// An archive, or a member of one, that was not opened.
    Archive(ArchiveSkip),
}

/// Why an archive or one of its members was not read (`pipeline/archive.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveSkip {
    /// Not a readable archive of the kind its first bytes say.
    Corrupt,
    /// Encrypted, or compressed with a method keyfence does not inflate.
    Unsupported,
    /// It would inflate more than 100 times its compressed size: a zip bomb.
    Bomb,
    /// Its archive already inflated to the 1 GiB an archive may.
    Budget,
    /// An archive inside three archives.
    TooDeep,
    /// Decompressing it needs more memory than keyfence gives a decoder
    /// (an xz dictionary over 128 MiB).
    Memory,
}

impl ArchiveSkip {
    pub fn describe(self) -> &'static str {
        match self {
            ArchiveSkip::Corrupt => "corrupt or unreadable archive",
            ArchiveSkip::Unsupported => "archive member encrypted or compressed with an unsupported method",
            ArchiveSkip::Bomb => "compression ratio over 100:1 (zip bomb?), not inflated",
            ArchiveSkip::Budget => "archive inflates past 1 GiB, the rest not inflated",
            ArchiveSkip::TooDeep => "archive nested deeper than 3 archives, not opened",
            ArchiveSkip::Memory => "decompressing needs over 128 MiB of memory (xz dictionary), not inflated",
        }
    }
}

impl SkipReason {
    pub fn describe(self) -> String {
        match self {
            SkipReason::TooLarge(size) => format!("{size} bytes, larger than --max-blob-size"),
            SkipReason::Missing => "object missing from the repository (partial clone?), --skip-missing".into(),
            SkipReason::Archive(why) => why.describe().into(),
        }
    }
}

/// Raw bytes of a path, lossless on Unix.
pub fn path_bytes(path: &std::path::Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned().into_bytes()
    }
}

/// Lossy UTF-8 with control characters (newline, escape, ...) shown as
/// `\n`, `\x1b`, and the invisible characters that reorder or break a line
/// (bidi overrides and isolates, U+2028/U+2029, zero-width and other format
/// characters) shown as `\u{202e}`, so neither a path nor a matched line can
/// inject terminal sequences, fake extra lines of output, or display as
/// something it is not.
pub fn escape_for_terminal(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push('\t'),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if is_invisible_format(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Unicode's line and paragraph separators (Zl, Zp) and format characters
/// (Cf): bidi embeddings, overrides, isolates and marks, zero-width spaces
/// and joiners, the byte-order mark, soft hyphen, interlinear annotation and
/// tag characters. None is visible, and each can make text display other
/// than it reads (Trojan Source) or break a line where a log viewer shows it.
fn is_invisible_format(c: char) -> bool {
    matches!(c as u32,
        0x00ad | 0x0600..=0x0605 | 0x061c | 0x06dd | 0x070f | 0x0890..=0x0891 | 0x08e2 | 0x180e
        | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff
        | 0xfff9..=0xfffb | 0x110bd | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3
        | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f)
}

/// Blob ids already scanned, sharded so pack threads rarely contend.
pub struct SeenBlobs {
    shards: Vec<Mutex<gix::hashtable::HashSet<ObjectId>>>,
}

impl Default for SeenBlobs {
    fn default() -> Self {
        SeenBlobs { shards: (0..64).map(|_| Mutex::default()).collect() }
    }
}

impl SeenBlobs {
    fn shard(&self, id: &gix::oid) -> &Mutex<gix::hashtable::HashSet<ObjectId>> {
        &self.shards[id.as_bytes()[0] as usize % self.shards.len()]
    }

    pub fn contains(&self, id: &gix::oid) -> bool {
        self.shard(id).lock().expect("lock").contains(id)
    }

    /// True the first time `id` is offered.
    pub fn first_time(&self, id: &gix::oid) -> bool {
        self.shard(id).lock().expect("lock").insert(id.to_owned())
    }

    /// Take back a `first_time` whose read then failed, so that the next
    /// reader of `id` (a retry, another pack) scans it.
    pub fn forget(&self, id: &gix::oid) {
        self.shard(id).lock().expect("lock").remove(id);
    }
}

/// Whether a blob starting with `probe` (its first `BINARY_PROBE` bytes are
/// enough) is binary: a NUL byte early on, and not UTF-16 text.
pub fn looks_binary(probe: &[u8]) -> bool {
    let probe = &probe[..probe.len().min(BINARY_PROBE)];
    memchr::memchr(0, probe).is_some() && utf16_order(probe).is_none()
}

/// Whether a blob is plain text for certain: no NUL in its first
/// `BINARY_PROBE` bytes and no byte-order mark, so neither UTF-16 nor
/// binary. Nearly every blob is, and one search says so, where `text_of`
/// and `looks_binary` would each search it again.
pub fn plain_text(bytes: &[u8]) -> bool {
    let probe = &bytes[..bytes.len().min(BINARY_PROBE)];
    memchr::memchr(0, probe).is_none() && !matches!(probe, [0xff, 0xfe, ..] | [0xfe, 0xff, ..])
}

type Utf16Order = fn([u8; 2]) -> u16;

/// The bytes a blob is scanned as: UTF-16 decoded to UTF-8 (see
/// `utf16_to_utf8`), anything else as it is. Findings carry line numbers of
/// this text, so whatever compares lines with them (the added-line filter)
/// must split this text too, never the raw bytes.
pub fn text_of(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    utf16_to_utf8(bytes).map_or(std::borrow::Cow::Borrowed(bytes), std::borrow::Cow::Owned)
}

/// The text of a UTF-16 blob as UTF-8 bytes (see `utf16_order`), or `None`
/// when the blob is to be scanned as it is.
///
/// Only the code units up to the one holding the blob's last NUL byte are
/// decoded; the NUL-free bytes after it are kept as they are. Every UTF-16
/// unit of an ASCII character holds a NUL, so those bytes cannot hold an
/// ASCII key as UTF-16, but they can as plain text: ASCII lines a shell
/// appended (`>>`) to a UTF-16 log. For the same reason a blob that starts
/// with a byte-order mark but has no NUL at all (a Latin-1 file starting
/// `ÿþ`) is not UTF-16.
pub fn utf16_to_utf8(bytes: &[u8]) -> Option<Vec<u8>> {
    let (from, skip) = utf16_order(&bytes[..bytes.len().min(BINARY_PROBE)])?;
    let body = &bytes[skip..];
    let units_end = body.len().min(memchr::memrchr(0, body)? / 2 * 2 + 2);
    let units = body[..units_end].chunks_exact(2).map(|pair| from([pair[0], pair[1]]));
    let text: String = char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect();
    let mut out = text.into_bytes();
    out.extend_from_slice(&body[units_end..]);
    Some(out)
}

/// The byte order of a UTF-16 blob, and how many bytes its byte-order mark
/// takes, judged from its start. With a mark it is taken as given. Without
/// one (.NET's `Encoding.Unicode.GetBytes`, some Windows exports) it is
/// guessed, because skipping such a file as binary would hide a key in plain
/// text: mostly-ASCII text puts a NUL in the high byte of at least half of
/// its units and in the low byte of few (U+3000, U+0100, U+4E00 and the
/// other U+xx00 characters), and decodes to no control characters but
/// whitespace. Binary formats break one of these within a few bytes. Only
/// the bytes up to the last NUL are judged (see `utf16_to_utf8`).
pub fn utf16_order(probe: &[u8]) -> Option<(Utf16Order, usize)> {
    match probe.get(..2)? {
        [0xff, 0xfe] => return Some((u16::from_le_bytes, 2)),
        [0xfe, 0xff] => return Some((u16::from_be_bytes, 2)),
        _ => {}
    }
    // Every blob comes through here first: text without a NUL (nearly all
    // of it) cannot be mark-less UTF-16, and one SIMD search says so.
    let last_nul = memchr::memrchr(0, probe)?;
    let judged = &probe[..probe.len().min(last_nul / 2 * 2 + 2)];
    let pairs: Vec<[u8; 2]> = judged.chunks_exact(2).map(|p| [p[0], p[1]]).collect();
    let zeros = |byte: usize| pairs.iter().filter(|p| p[byte] == 0).count();
    let (zero_first, zero_second) = (zeros(0), zeros(1));
    let mostly_ascii = |high: usize, low: usize| pairs.len() >= 2 && high * 2 >= pairs.len() && low * 4 <= high;
    let from: Utf16Order = if mostly_ascii(zero_second, zero_first) {
        u16::from_le_bytes
    } else if mostly_ascii(zero_first, zero_second) {
        u16::from_be_bytes
    } else {
        return None;
    };
    // The probe may end inside a surrogate pair: leave its last unit out.
    let units = pairs[..pairs.len() - 1].iter().map(|&p| from(p));
    let text_like =
        char::decode_utf16(units).all(|c| c.is_ok_and(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c')));
    text_like.then_some((from, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_no_nul_in_the_probe_and_no_byte_order_mark() {
        assert!(plain_text(b"aws_secret_access_key = x\n"));
        assert!(!plain_text(b"a\0b"));
        assert!(!plain_text(b"\xff\xfeno NUL at all"));
        assert!(!plain_text(b"\xfe\xffno NUL at all"));
        let mut late_nul = vec![b'a'; BINARY_PROBE];
        late_nul.push(0);
        assert!(plain_text(&late_nul), "a NUL past the probe is git's text too");
        // What it stands for: neither UTF-16 nor binary.
        for text in [&b"plain"[..], &late_nul] {
            assert!(!looks_binary(text) && utf16_to_utf8(text).is_none());
        }
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_for_terminal(b"a\nb\x1b[31m\xffc"), "a\\nb\\x1b[31m\u{fffd}c");
    }

    #[test]
    fn bidi_controls_line_separators_and_format_characters_are_escaped() {
        let text = "a\u{202e}b\u{2028}c\u{2029}d\u{2066}e\u{200b}f\u{feff}g\u{e0041}h 上";
        assert_eq!(
            escape_for_terminal(text.as_bytes()),
            "a\\u{202e}b\\u{2028}c\\u{2029}d\\u{2066}e\\u{200b}f\\u{feff}g\\u{e0041}h 上"
        );
    }

    #[test]
    fn the_binary_probe_is_gits_first_few_bytes() {
        assert_eq!(BINARY_PROBE, 8000);
        let mut late = vec![b'x'; 8000];
        late.push(0);
        assert!(!looks_binary(&late));
        late[7999] = 0;
        assert!(looks_binary(&late));
    }

    #[test]
    fn utf16_without_a_mark_may_hold_characters_with_a_zero_low_byte() {
        for odd in ['\u{3000}', '\u{100}', '\u{4e00}'] {
            let text = format!("; x{odd}y\r\naws_access_key_id = AKIA2E3MTGS5LTN4WCQV\r\n");
            let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
            assert_eq!(utf16_to_utf8(&le).as_deref(), Some(text.as_bytes()), "{odd:?}");
            assert_eq!(utf16_to_utf8(&be).as_deref(), Some(text.as_bytes()), "{odd:?}");
        }
    }

    #[test]
    fn only_the_units_up_to_the_last_nul_are_utf16() {
        // A byte-order mark and no NUL: Latin-1 "ÿþ", not UTF-16.
        assert_eq!(utf16_to_utf8(b"\xff\xfe\nkey = AKIA2E3MTGS5LTN4WCQV\n"), None);
        // ASCII a shell appended to a UTF-16 log stays ASCII.
        let mut log: Vec<u8> =
            [0xff, 0xfe].into_iter().chain("start\r\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        log.extend_from_slice(b"key = AKIA2E3MTGS5LTN4WCQV\n");
        assert_eq!(utf16_to_utf8(&log).as_deref(), Some(&b"start\r\nkey = AKIA2E3MTGS5LTN4WCQV\n"[..]));
        // The same without a mark: judged only up to the last NUL.
        assert_eq!(utf16_to_utf8(&log[2..]).as_deref(), Some(&b"start\r\nkey = AKIA2E3MTGS5LTN4WCQV\n"[..]));
    }

    #[test]
    fn utf16_without_a_byte_order_mark_is_told_from_binary() {
        let text = "[default]\r\naws_access_key_id = AKIA2E3MTGS5LTN4WCQV\r\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(utf16_to_utf8(&le).as_deref(), Some(text.as_bytes()));
        assert_eq!(utf16_to_utf8(&be).as_deref(), Some(text.as_bytes()));
        // An ELF header, a run of NULs, u16 numbers: binary, not text.
        for binary in [&b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00"[..], &[0u8; 64], &[1, 0, 2, 0, 3, 0, 4, 0]] {
            assert!(utf16_order(binary).is_none(), "{binary:?}");
        }
    }
}
