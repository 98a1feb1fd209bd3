//! Split string literals: code that builds a key from pieces, a known
//! evasion and a real habit. Within one statement, literals joined by `+`
//! (Python, JS/TS, Java, C#, Go, Ruby), `.` (PHP), `..` (Lua), written side
//! by side (Python, Ruby, C, shell `'a'"b"`), or listed in a join with an
//! empty separator (`"".join([...])`, `[...].join("")`,
//! `strings.Join([]string{...}, "")`, `String.join("", ...)`,
//! `string.Concat(...)`, `implode([...])`) are joined into one literal.
//!
//! Only the lines around the blob's keyword hits (what the scan of the blob
//! found for its prefilter) are read: a rule matches only at a keyword, so
//! a piece must hold one whole (`"AKIA" + "…"`, `secret = "…" + "…"`). Text
//! without keywords, most of it, costs nothing; a pass over every quote of
//! a source file cost several times the prefilter.
//!
//! The joined literals go into a view of their lines only (`view.rs`),
//! which is scanned; a finding counts only when its value starts in a piece
//! and runs past it, so a value that one literal holds whole is left to the
//! scan of the text, and nothing changes for text that joins to no rule's
//! match.

use std::ops::Range;

use memchr::{memchr3, memchr3_iter};

use super::view::{Span, View};
use crate::scan::HIT_SPACING;

/// Whitespace allowed between a piece and its operator, and between the
/// operator and the next piece (line breaks included: a statement may
/// continue on the next line).
const MAX_GAP: usize = 64;
/// How far before a list its join call may start (`strings.Join([]string{`).
const JOIN_CALL_REACH: usize = 40;
/// Lines read around a keyword: a statement may start a line or two
/// before the piece holding it, and continue a line or two after.
const LINES_AROUND: usize = 2;
/// Pieces joined in one blob at most: a file of `''''…` would otherwise
/// cost dozens of bytes of bookkeeping per byte. Code holds far fewer.
const MAX_PIECES: usize = 16 * 1024;

/// What stands between two pieces.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Joint {
    /// `+`, `.`, `..`, or nothing: one literal whatever the context.
    Concatenation,
    /// `,`: one literal only inside a join with an empty separator.
    Comma,
}

/// The closing quote of the literal opening at `open`, on its line.
/// String contents are a large share of code: they are skipped with
/// `memchr3`, not byte by byte.
fn closing(text: &[u8], open: usize) -> Option<usize> {
    let quote = text[open];
    let mut i = open + 1;
    loop {
        i += memchr3(quote, b'\\', b'\n', text.get(i..)?)?;
        match text[i] {
            b'\\' => i += 2,
            b'\n' => return None,
            _ => return Some(i),
        }
    }
}

fn is_quote(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'`')
}

/// `at` past at most `MAX_GAP` bytes of whitespace.
fn skip_gap(text: &[u8], at: usize) -> usize {
    let gap = text[at.min(text.len())..].iter().take(MAX_GAP).take_while(|b| b.is_ascii_whitespace()).count();
    at + gap
}

/// After a literal closing at `close`: the joint to the next literal and
/// where that one opens.
fn next_piece(text: &[u8], close: usize) -> Option<(Joint, usize)> {
    // Most quotes open a literal, or close one before `)`, `:` or `;`: the
    // byte after says so at once.
    let after = *text.get(close + 1)?;
    if !(after.is_ascii_whitespace() || is_quote(after) || matches!(after, b'+' | b'.' | b',')) {
        return None;
    }
    let at = skip_gap(text, close + 1);
    let (joint, width) = match text.get(at..)? {
        [b'.', b'.', ..] => (Joint::Concatenation, 2),
        [b'+' | b'.', ..] => (Joint::Concatenation, 1),
        [b',', ..] => (Joint::Comma, 1),
        _ => (Joint::Concatenation, 0),
    };
    let start = skip_gap(text, at + width);
    // A string prefix may come first: Python's b"" r"" f"", C#'s @"" $"".
    let prefix = text[start.min(text.len())..].iter().take(2).take_while(|b| b"bBrRuUfF@$".contains(b)).count();
    let open = start + prefix;
    text.get(open).copied().filter(|&b| is_quote(b)).map(|_| (joint, open))
}

/// Whether the comma-separated literals from `open` to `close` are the
/// items of a join with an empty separator.
fn in_join(text: &[u8], open: usize, close: usize) -> bool {
    let after = text[close + 1..].trim_ascii_start();
    if after.starts_with(b"].join(") || after.starts_with(b"].join ") {
        return true;
    }
    let before = &text[open.saturating_sub(JOIN_CALL_REACH)..open];
    let opens_list = before.trim_ascii_end().last().is_some_and(|b| matches!(b, b'(' | b'[' | b'{'));
    opens_list
        && [&b"join("[..], b"Join(", b"concat(", b"Concat(", b"implode("]
            .iter()
            .any(|call| before.windows(call.len()).any(|w| w == *call))
}

/// The runs of two or more literals that join into one, near the keyword
/// hits `hits` (sorted): each as the content ranges of its pieces. Only
/// the lines around a hit are read, so text with no keyword costs nothing
/// here; a key split inside its keyword (`"AK" + "IA…"`) is not found, as
/// no rule anchored at that keyword could find it.
fn chains(text: &[u8], hits: &[usize]) -> Vec<Vec<Range<usize>>> {
    let mut found = Vec::new();
    let mut next = 0;
    let mut budget = MAX_PIECES;
    for &hit in hits {
        if hit < next {
            continue;
        }
        // Searches stay within the bytes after the lines already read.
        let mut from = hit;
        for _ in 0..=LINES_AROUND {
            from = memchr::memrchr(b'\n', &text[next..from]).map_or(next, |i| next + i);
        }
        let from = if from == next { next } else { from + 1 };
        // A hit stands for the others in the bytes after it (`HIT_SPACING`).
        let mut until = (hit + HIT_SPACING).min(text.len());
        for _ in 0..=LINES_AROUND {
            until = memchr::memchr(b'\n', &text[until.min(text.len())..]).map_or(text.len(), |i| until + i + 1);
        }
        next = read_chains(text, from..until.min(text.len()), &mut budget, &mut found);
        if budget == 0 {
            break;
        }
    }
    found
}

/// Read the literals of `lines` (and of a chain that runs past them) into
/// `found`'s chains; returns where reading stopped.
fn read_chains(text: &[u8], lines: Range<usize>, budget: &mut usize, found: &mut Vec<Vec<Range<usize>>>) -> usize {
    let mut next = lines.start;
    for open in memchr3_iter(b'"', b'\'', b'`', &text[lines.clone()]).map(|i| lines.start + i) {
        if open < next {
            continue;
        }
        let Some(close) = closing(text, open) else { continue };
        let mut pieces = vec![(Joint::Concatenation, open + 1..close)];
        let mut last = close;
        while let Some((joint, open)) = next_piece(text, last).filter(|_| pieces.len() < *budget) {
            let Some(close) = closing(text, open) else { break };
            pieces.push((joint, open + 1..close));
            last = close;
        }
        next = last + 1;
        if pieces.len() < 2 {
            continue;
        }
        *budget -= pieces.len();
        let commas_join = in_join(text, open, last);
        // Without a join, a comma ends one literal (function arguments).
        let mut chain: Vec<Range<usize>> = Vec::new();
        for (joint, piece) in pieces {
            if joint == Joint::Comma && !commas_join {
                found.extend((chain.len() > 1).then(|| std::mem::take(&mut chain)));
                chain.clear();
            }
            chain.push(piece);
        }
        found.extend((chain.len() > 1).then_some(chain));
        if *budget == 0 {
            break;
        }
    }
    next.max(lines.end)
}

/// The lines of `text` that hold joined literals near the keyword hits
/// `hits`, each joined into one, one view line per statement. `None` when
/// nothing joins.
pub(super) fn joined_view(text: &[u8], hits: &[usize]) -> Option<View> {
    let chains = chains(text, hits);
    if chains.is_empty() {
        return None;
    }
    let mut bytes = Vec::new();
    let mut spans = Vec::new();
    // The view line being written: copied from the text up to `copied`,
    // and ending where the text's line does (`None` before the first).
    let mut copied = 0;
    let mut line_end: Option<usize> = None;
    let end_of_line = |at: usize| memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
    for chain in &chains {
        let (first, last) = (chain[0].start - 1, chain[chain.len() - 1].end);
        // Searches stay within the bytes after the last line written, so a
        // long line with many chains is walked once.
        match line_end {
            Some(end) if first < end => {}
            _ => {
                if let Some(end) = line_end {
                    bytes.extend_from_slice(&text[copied..end]);
                    bytes.push(b'\n');
                }
                let floor = line_end.unwrap_or(0);
                copied = memchr::memrchr(b'\n', &text[floor..first]).map_or(floor, |i| floor + i + 1);
                line_end = Some(end_of_line(last));
            }
        }
        if line_end.is_some_and(|end| last >= end) {
            line_end = Some(end_of_line(last));
        }
        bytes.extend_from_slice(&text[copied..=first]);
        for piece in chain {
            spans.push(Span { view: bytes.len()..bytes.len() + piece.len(), text_at: piece.start, exact: true });
            bytes.extend_from_slice(&text[piece.clone()]);
        }
        bytes.push(text[last]);
        copied = last + 1;
    }
    let end = line_end.unwrap_or(copied).max(copied);
    bytes.extend_from_slice(&text[copied..end]);
    bytes.push(b'\n');
    Some(View { bytes, spans, encoding: "concatenation" })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line start is a keyword hit.
    fn everywhere(text: &[u8]) -> Vec<usize> {
        std::iter::once(0).chain(memchr::memchr_iter(b'\n', text).map(|i| i + 1)).collect()
    }

    fn joined(text: &str) -> String {
        let text = text.as_bytes();
        joined_view(text, &everywhere(text)).map(|v| String::from_utf8(v.bytes).unwrap()).unwrap_or_default()
    }

    #[test]
    fn literals_joined_by_operators_side_by_side_and_in_joins_become_one() {
        assert_eq!(joined("x = 1\nkey = \"AK\" + \"IA\"  # c\ny = 2\n"), "key = \"AKIA\"  # c\n");
        assert_eq!(joined("$k = 'AK' . 'IA';"), "$k = 'AKIA';\n");
        assert_eq!(joined("k = ('AK'\n     'IA')\n"), "k = ('AKIA')\n");
        assert_eq!(joined("k = \"\".join([\"AK\", \"IA\"])"), "k = \"\".join([\"AKIA\"])\n");
        assert_eq!(
            joined("k := strings.Join([]string{\"AK\", \"IA\"}, \"\")"),
            "k := strings.Join([]string{\"AKIA\"}, \"\")\n"
        );
        assert_eq!(joined("const k = ['AK', 'IA'].join('');"), "const k = ['AKIA'].join('');\n");
        assert_eq!(joined("s = a .. \"AK\" .. \"IA\""), "s = a .. \"AKIA\"\n");
        assert_eq!(joined("k = b'AK' rb'IA'"), "k = b'AKIA'\n");
        assert_eq!(joined("var k = @\"AK\" + $\"IA\";"), "var k = @\"AKIA\";\n");
    }

    #[test]
    fn arguments_and_lone_literals_are_not_joined() {
        assert_eq!(joined("f(\"AK\", \"IA\")\nlog('it''s')"), "log('its')\n");
        assert_eq!(joined("x = \"AKIA\"\ny = {\"a\": \"b\", \"c\": \"d\"}\n"), "");
    }

    #[test]
    fn a_blob_of_quotes_joins_a_bounded_number_of_pieces() {
        let quotes = "'a'".repeat(MAX_PIECES * 4);
        let view = joined_view(quotes.as_bytes(), &[0]).unwrap();
        assert_eq!(view.spans.len(), MAX_PIECES);
    }

    #[test]
    fn only_lines_near_a_keyword_are_read() {
        // Past the hit's 2 lines and the `HIT_SPACING` bytes it stands for.
        let text = format!("a = 'A' + 'B'\n\n\n\n\nkey = 'C' + 'D'{}last = 'E' + 'F'\n", "\n".repeat(HIT_SPACING));
        let hit = text.find("key").unwrap();
        let view = joined_view(text.as_bytes(), &[hit]).unwrap();
        assert_eq!(view.bytes, b"key = 'CD'\n");
    }

    #[test]
    fn two_statements_on_one_line_share_one_view_line() {
        let text = b"a = 'A' + 'B'; b = 'C' + 'D'\nnext";
        let view = joined_view(text, &everywhere(text)).unwrap();
        assert_eq!(view.bytes, b"a = 'AB'; b = 'CD'\n");
        assert_eq!(view.spans.iter().map(|s| s.text_at).collect::<Vec<_>>(), [5, 11, 20, 26]);
    }
}
