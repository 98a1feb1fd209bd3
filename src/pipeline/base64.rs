//! Base64-encoded credentials: a Kubernetes Secret's `data:`, Docker's
//! `config.json` `auth`, `.npmrc` `_auth`, `Authorization: Basic` headers.
//!
//! After a text blob is scanned, its base64 runs (at least [`MIN_RUN`]
//! characters of the standard alphabet, valid padding) that decode to
//! mostly printable text are decoded, twice deep at most, into a copy of the
//! lines around them where each run is replaced by what it decodes to. That
//! copy is scanned (so a decoded value keeps its line's key name and its
//! partner a few lines away), and only findings inside a decoded run are kept: they
//! are named by the outer location (line and column of the encoded run) and
//! marked `encoding: base64`. Random base64 (keys, hashes, images as data
//! URIs) decodes to binary and is left alone.
//!
//! Cost on text without base64: a 64-byte mask and a few shifts per 64
//! bytes ([`runs`]; `pipeline/small-blobs-decoding` in `benches/engine.rs`,
//! benches/runs/decoding-2026-12-01.md).

use super::view::{Span, View};
use crate::scan::verify::{decode_base64, STANDARD_ALPHABET};

/// Shortest run decoded, padding included.
pub const MIN_RUN: usize = 24;
/// Runs decoded inside decoded text, the first decode included.
pub const MAX_DEPTH: u32 = 2;
/// A run of `MIN_RUN` characters with up to 2 of padding has at least this
/// many alphabet characters.
const STRIDE: usize = MIN_RUN - 2;

/// Arithmetic rather than a table lookup, so that [`alphabet_mask`]'s loop
/// over 64 bytes compiles to vector compares.
fn alphabet(b: u8) -> bool {
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    letter | (b.wrapping_sub(b'0') < 10) | (b == b'+') | (b == b'/')
}

/// The base64 runs of `text`, as byte ranges padding included.
///
/// Each maximal run of [`STRIDE`] or more alphabet bytes is found by
/// [`next_long_run`], 64 bytes per step, then judged by its padding and
/// the bytes on either side.
pub fn runs(text: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut found = Vec::new();
    let mut from = 0;
    // `start` begins a maximal run: the byte before it is outside the
    // alphabet, or is the end (or padding) of the run before.
    while let Some(start) = next_long_run(text, from) {
        let end = run_end(text, start + STRIDE);
        let core = end - start;
        let pad = text[end..].iter().take(2).take_while(|&&b| b == b'=').count();
        let after = text.get(end + pad).copied();
        // A run inside a longer token (`-`, `_`, `.`, `%` joined) is not one
        // value; `key=value` is one, so `=` may come before but not after.
        let joined = |b: Option<u8>| matches!(b, Some(b'-' | b'_' | b'.' | b'%' | b'\\'));
        let before = start.checked_sub(1).map(|i| text[i]);
        if (core + pad).is_multiple_of(4) && !joined(after) && after != Some(b'=') && !joined(before) {
            found.push(start..end + pad);
        }
        from = end + pad;
    }
    found
}

/// The first position at or after `from` that starts [`STRIDE`] alphabet
/// bytes. Each step takes the alphabet mask of the next 64 bytes and,
/// with the previous step's mask below it, keeps the bits that begin
/// `STRIDE` set bits in a row: a few shifts and ANDs, no branch per byte.
/// Source text rarely has such a run, so nearly every step finds none.
fn next_long_run(text: &[u8], from: usize) -> Option<usize> {
    // Bytes before `from` count as outside the alphabet.
    let mut previous = 0u64;
    let mut at = from;
    while at < text.len() {
        let mask = alphabet_mask(&text[at..]);
        let window = (u128::from(mask) << 64) | u128::from(previous);
        let starts = run_starts(window);
        if starts != 0 {
            // A run wholly inside `previous` was found by the step before.
            return Some(at + starts.trailing_zeros() as usize - 64);
        }
        previous = mask;
        at += 64;
    }
    None
}

/// The bits of `window` that begin [`STRIDE`] set bits in a row.
fn run_starts(window: u128) -> u128 {
    // After each doubling a bit begins `width` set bits; the last step
    // extends 16 to `STRIDE` by overlapping two windows of 16 or fewer.
    const { assert!(STRIDE > 16 && STRIDE <= 32) };
    let mut run = window;
    let mut width = 1;
    while width < 16 {
        run &= run >> width;
        width *= 2;
    }
    run & (run >> (STRIDE - 16))
}

/// Where the run of alphabet bytes that reaches `from` ends: the first
/// byte at or after `from` outside the alphabet, or the text's end.
fn run_end(text: &[u8], mut from: usize) -> usize {
    while from < text.len() {
        let outside = !alphabet_mask(&text[from..]);
        if outside != 0 {
            return (from + outside.trailing_zeros() as usize).min(text.len());
        }
        from += 64;
    }
    text.len()
}

/// Bit `i` set when `text[i]` is an alphabet byte, for the first 64 bytes
/// of `text` (bits past its end clear). The byte-to-flag loop compiles to
/// SSE2 compares and each 8 flags become 8 bits by one multiply: twice the
/// speed of the word-at-a-time range checks this replaced
/// (benches/runs/decoding-2026-12-01.md). The intrinsics themselves would
/// need `unsafe`, which the crate forbids.
fn alphabet_mask(text: &[u8]) -> u64 {
    let mut padded = [0u8; 64];
    let bytes: &[u8; 64] = match text.first_chunk() {
        Some(bytes) => bytes,
        None => {
            padded[..text.len()].copy_from_slice(text);
            &padded
        }
    };
    let mut flags = [0u8; 64];
    for (flag, &b) in flags.iter_mut().zip(bytes) {
        *flag = u8::from(alphabet(b));
    }
    let mut mask = 0;
    for (k, eight) in flags.chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes(eight.try_into().expect("chunks of 8"));
        mask |= (word.wrapping_mul(GATHER) >> 56) << (8 * k);
    }
    mask
}

/// Multiplying eight 0-or-1 byte lanes by this moves lane `i` to bit
/// `56 + i`, each product term to its own bit, so nothing carries.
const GATHER: u64 = 0x0102_0408_1020_4080;

/// The bytes `run` encodes (padding allowed at its end).
pub fn decode(run: &[u8]) -> Option<Vec<u8>> {
    let core = run.strip_suffix(b"==").or_else(|| run.strip_suffix(b"=")).unwrap_or(run);
    decode_base64(core, &STANDARD_ALPHABET)
}

/// Mostly printable text: UTF-8 with no control characters but whitespace,
/// at most one in twenty replaced. Random bytes fail within a few bytes.
pub fn printable(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let (mut total, mut bad) = (0usize, 0usize);
    for c in text.chars() {
        total += 1;
        if c == char::REPLACEMENT_CHARACTER || (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
            bad += 1;
        }
    }
    total > 0 && bad * 20 <= total
}

/// Lines kept around a decoded run in the view: its key name is on its
/// line, and a key id it pairs with within a rule's pairing distance (3).
const CONTEXT_LINES: usize = 3;

/// The lines of `text` around its decodable runs, each run replaced by its
/// text (runs inside it too, `depth` levels deep, where the whole decoded
/// text is kept), each run one span named by its start. `None` when nothing
/// decodes. A large file with one encoded value is not scanned twice.
pub(super) fn decoded_view(text: &[u8], depth: u32) -> Option<View> {
    let mut bytes = Vec::new();
    let mut spans = Vec::new();
    let mut copied = 0;
    // Where the text's lines copied into the view so far end.
    let mut kept_to: Option<usize> = None;
    for run in runs(text) {
        let Some(decoded) = decode(&text[run.clone()]).filter(|d| printable(d)) else { continue };
        let decoded = match depth + 1 < MAX_DEPTH {
            true => decoded_view(&decoded, depth + 1).map_or(decoded, |inner| inner.bytes),
            false => decoded,
        };
        let whole = depth > 0;
        match kept_to {
            Some(end) if run.start < end => {}
            _ => {
                if let Some(end) = kept_to {
                    bytes.extend_from_slice(&text[copied..end]);
                    bytes.push(b'\n');
                }
                // Searched back no further than the lines already kept.
                let floor = kept_to.unwrap_or(0);
                copied = if whole { 0 } else { lines_back(&text[floor..run.start], CONTEXT_LINES) + floor };
            }
        }
        if kept_to.is_none_or(|end| run.end >= end) {
            let ahead = if whole { text.len() - run.end } else { lines_ahead(&text[run.end..], CONTEXT_LINES) };
            kept_to = Some(run.end + ahead);
        }
        bytes.extend_from_slice(&text[copied..run.start]);
        spans.push(Span { view: bytes.len()..bytes.len() + decoded.len(), text_at: run.start, exact: false });
        bytes.extend_from_slice(&decoded);
        copied = run.end;
    }
    let end = kept_to?;
    bytes.extend_from_slice(&text[copied..end.max(copied)]);
    Some(View { bytes, spans, encoding: "base64" })
}

/// Where the line `lines` lines before the end of `text` starts.
fn lines_back(text: &[u8], lines: usize) -> usize {
    memchr::memrchr_iter(b'\n', text).nth(lines).map_or(0, |i| i + 1)
}

/// Where the line `lines` lines after the start of `text` ends (its line
/// break included).
fn lines_ahead(text: &[u8], lines: usize) -> usize {
    memchr::memchr_iter(b'\n', text).nth(lines).map_or(text.len(), |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alphabet_mask_agrees_with_the_byte_test_for_every_byte_in_every_lane() {
        for lane in 0..64 {
            for byte in 0..=255u8 {
                let mut block = [b'Q'; 64];
                block[lane] = byte;
                let expected = !(u64::from(!alphabet(byte)) << lane);
                assert_eq!(alphabet_mask(&block), expected, "byte {byte:#04x} in lane {lane}");
            }
        }
        // A short tail: bits past the end are clear.
        for len in 0..64 {
            assert_eq!(alphabet_mask(&[b'Q'; 64][..len]), (1u64 << len) - 1);
        }
    }

    #[test]
    fn run_starts_are_the_bits_that_begin_stride_set_bits() {
        for len in 0..=40u32 {
            for at in [0u32, 1, 50, 63, 64, 100] {
                let window = if len == 0 { 0 } else { (u128::MAX >> (128 - len)) << at };
                let expected = (0..128u32)
                    .filter(|&k| (k..k + STRIDE as u32).all(|j| j < 128 && window >> j & 1 == 1))
                    .fold(0u128, |acc, k| acc | 1 << k);
                assert_eq!(run_starts(window), expected, "{len} bits at {at}");
            }
        }
    }

    /// `runs` as its definition says: every maximal run of alphabet bytes
    /// of `STRIDE` or more, with its padding, under the same conditions.
    fn runs_by_definition(text: &[u8]) -> Vec<std::ops::Range<usize>> {
        let mut found = Vec::new();
        let mut i = 0;
        while i < text.len() {
            if !alphabet(text[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < text.len() && alphabet(text[i]) {
                i += 1;
            }
            let pad = text[i..].iter().take(2).take_while(|&&b| b == b'=').count();
            let after = text.get(i + pad).copied();
            let joined = |b: Option<u8>| matches!(b, Some(b'-' | b'_' | b'.' | b'%' | b'\\'));
            let before = start.checked_sub(1).map(|j| text[j]);
            let core = i - start;
            if core >= STRIDE && (core + pad) % 4 == 0 && !joined(after) && after != Some(b'=') && !joined(before) {
                found.push(start..i + pad);
            }
        }
        found
    }

    #[test]
    fn runs_finds_what_its_definition_says_for_every_run_length_and_offset() {
        // Runs of every length from 1 to 40, and longer ones that cross
        // 64-byte steps, at varied offsets, between separators of every kind
        // that matters, padded or not.
        let mut text = Vec::new();
        for len in (1..=40usize).chain((41..=200).step_by(7)) {
            for offset in 0..8 {
                for (sep, pad) in [(b' ', ""), (b'"', "="), (b'_', "=="), (b'\n', ""), (b'-', "=")] {
                    text.extend(std::iter::repeat_n(b'.', offset));
                    text.push(sep);
                    text.extend((0..len).map(|i| b"QUtJQTJFM01UR1M1TFRONFdDUVY+/9"[i % 29]));
                    text.extend_from_slice(pad.as_bytes());
                    text.push(sep);
                }
            }
        }
        assert_eq!(runs(&text), runs_by_definition(&text));
    }

    #[test]
    fn base64_runs_need_length_padding_and_a_boundary() {
        let text = b"auth: QUtJQTJFM01UR1M1TFRONFdDUVY= short: QUtJQQ== joined: a-QUtJQTJFM01UR1M1TFRONFdDUVY=";
        let found: Vec<&[u8]> = runs(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(found, [&b"QUtJQTJFM01UR1M1TFRONFdDUVY="[..]]);
        assert_eq!(decode(found[0]).as_deref(), Some(&b"AKIA2E3MTGS5LTN4WCQV"[..]));
    }

    #[test]
    fn a_run_of_the_shortest_length_is_found_at_every_offset() {
        let run = "QUtJQTJFM01UR1M1TFRONF=="; // 22 characters and padding
        for offset in 0..16 {
            let text = format!("{}\"{run}\" and {}x", " ".repeat(offset), "QUtJQTJFM01UR1M1TFRONFdDUVY=");
            let found: Vec<&str> = runs(text.as_bytes()).into_iter().map(|r| &text[r]).collect();
            assert_eq!(found, [run, "QUtJQTJFM01UR1M1TFRONFdDUVY="], "offset {offset}");
        }
        assert!(runs(b" QUtJQTJFM01UR1M1TFRO== ").is_empty(), "20 characters and padding");
    }

    #[test]
    fn the_view_keeps_the_lines_around_a_decoded_run() {
        let far = "x = 1\n".repeat(10);
        let text = format!("{far}id: AKIA2E3MTGS5LTN4WCQV\nauth: QUtJQTJFM01UR1M1TFRONFdDUVY=\nend: 1\n{far}");
        let view = decoded_view(text.as_bytes(), 0).unwrap();
        // Three lines before the run's, and three after.
        let expected = "x = 1\nx = 1\nid: AKIA2E3MTGS5LTN4WCQV\nauth: AKIA2E3MTGS5LTN4WCQV\nend: 1\nx = 1\nx = 1\n";
        assert_eq!(String::from_utf8(view.bytes).unwrap(), expected);
        assert_eq!(view.spans[0].text_at, text.find("QUtJ").unwrap());
    }

    #[test]
    fn random_bytes_are_not_printable_text() {
        let random: Vec<u8> = (0u32..96).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        assert!(!printable(&random));
        assert!(printable(b"user:p4ssw0rd\n"));
    }
}
