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
//! Cost on text without base64: one word-wide check per 8 bytes ([`runs`];
//! `pipeline/small-blobs-decoding` in `benches/engine.rs`).

use super::view::{Span, View};
use crate::scan::verify::{decode_base64, STANDARD_ALPHABET};

/// Shortest run decoded, padding included.
pub const MIN_RUN: usize = 24;
/// Runs decoded inside decoded text, the first decode included.
pub const MAX_DEPTH: u32 = 2;
/// A run of `MIN_RUN` characters with up to 2 of padding has at least this
/// many alphabet characters.
const STRIDE: usize = MIN_RUN - 2;

/// Arithmetic rather than a table lookup, so a block's check vectorizes.
fn alphabet(b: u8) -> bool {
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    letter | (b.wrapping_sub(b'0') < 10) | (b == b'+') | (b == b'/')
}

/// The base64 runs of `text`, as byte ranges padding included.
///
/// Looked for by 8-byte blocks (at offsets from `text`'s start), branch-free
/// within a block: only a block made wholly of the alphabet, with alphabet
/// bytes on both sides, can be inside a run of [`STRIDE`] or more, since a
/// run of 17 or more always holds such a block. Source text rarely has one,
/// and then only a few bytes around it are looked at.
pub fn runs(text: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut found = Vec::new();
    let mut resume = 0;
    let inside = |i: usize| text.get(i).is_some_and(|&b| alphabet(b));
    for at in whole_blocks(text) {
        if at < resume {
            continue;
        }
        if at == 0 || !inside(at - 1) || !inside(at + 8) {
            continue;
        }
        // Most such blocks sit in a word or a path of 10 to 21 characters:
        // when the words on either side end the run, its length is known
        // without walking it byte by byte.
        if let (Some(before), Some(after)) = (word_at(text, at.wrapping_sub(8)), word_at(text, at + 8)) {
            let back = (!alphabet_mask(before) & HIGH).leading_zeros() as usize / 8;
            let ahead = (!alphabet_mask(after) & HIGH).trailing_zeros() as usize / 8;
            if back < 8 && ahead < 8 && back + 8 + ahead < STRIDE {
                continue;
            }
        }
        let mut start = at;
        while start > 0 && alphabet(text[start - 1]) {
            start -= 1;
        }
        let mut end = at + 8;
        while end < text.len() && alphabet(text[end]) {
            end += 1;
        }
        let core = end - start;
        let pad = text[end..].iter().take(2).take_while(|&&b| b == b'=').count();
        let after = text.get(end + pad).copied();
        // A run inside a longer token (`-`, `_`, `.`, `%` joined) is not one
        // value; `key=value` is one, so `=` may come before but not after.
        let joined = |b: Option<u8>| matches!(b, Some(b'-' | b'_' | b'.' | b'%' | b'\\'));
        let before = start.checked_sub(1).map(|i| text[i]);
        if core >= STRIDE && (core + pad).is_multiple_of(4) && !joined(after) && after != Some(b'=') && !joined(before)
        {
            found.push(start..end + pad);
        }
        resume = end + pad;
    }
    found
}

/// The offsets (multiples of 8) of the 8-byte blocks of `text` made wholly
/// of the alphabet, in order. Each block is judged as one `u64`, all eight
/// bytes at once (`all_alphabet`), so text with no such block, most of it,
/// costs a dozen instructions per 8 bytes.
fn whole_blocks(text: &[u8]) -> impl Iterator<Item = usize> + '_ {
    text.chunks_exact(8).enumerate().filter_map(|(k, block)| {
        let word = u64::from_le_bytes(block.try_into().expect("chunks of 8"));
        all_alphabet(word).then_some(k * 8)
    })
}

/// The high bit of every byte lane.
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The 8 bytes of `text` at `at` as a little-endian word (the byte at `at`
/// in the lowest lane), if there are 8.
fn word_at(text: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(text.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

/// Whether all eight bytes of `word` are base64 alphabet characters.
fn all_alphabet(word: u64) -> bool {
    alphabet_mask(word) == HIGH
}

/// The high bit of each lane of `word` that holds a base64 alphabet
/// character, by SWAR range checks: for a byte `x` below 0x80, adding
/// `0x80 - lo` sets its high bit exactly when `x >= lo`, adding `0x7f - hi`
/// exactly when `x > hi`, and neither sum carries into the next byte.
fn alphabet_mask(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let low7 = word & !HIGH;
    let within = |x: u64, lo: u8, hi: u8| {
        let at_least = x + ONES * u64::from(0x80 - lo);
        let above = x + ONES * u64::from(0x7f - hi);
        at_least & !above & HIGH
    };
    let letter = within(low7 | (ONES * 0x20), b'a', b'z');
    // `/` is 0x2f, right below the digits.
    let digit_or_slash = within(low7, b'/', b'9');
    let plus = within(low7, b'+', b'+');
    (letter | digit_or_slash | plus) & !word & HIGH
}

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
    fn all_alphabet_agrees_with_the_byte_test_for_every_byte_in_every_lane() {
        for lane in 0..8 {
            for byte in 0..=255u8 {
                let mut block = *b"QUtJQTJF";
                block[lane] = byte;
                let word = u64::from_le_bytes(block);
                assert_eq!(all_alphabet(word), alphabet(byte), "byte {byte:#04x} in lane {lane}");
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
        // Runs of every length from 1 to 40 at every offset mod 8, between
        // separators of every kind that matters, padded or not.
        let mut text = Vec::new();
        for len in 1..=40usize {
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
    fn whole_blocks_are_the_aligned_blocks_of_alphabet_bytes_tail_included() {
        // Every length from 0 to 100, alphabet and non-alphabet bytes mixed
        // in runs of varying length.
        let text: Vec<u8> = (0..100u32).map(|i| if (i * 7 % 23) < 19 { b'Q' } else { b' ' }).collect();
        for len in 0..=text.len() {
            let text = &text[..len];
            let naive: Vec<usize> = text
                .chunks_exact(8)
                .enumerate()
                .filter(|(_, block)| block.iter().all(|&b| alphabet(b)))
                .map(|(k, _)| k * 8)
                .collect();
            assert_eq!(whole_blocks(text).collect::<Vec<_>>(), naive, "length {len}");
        }
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
