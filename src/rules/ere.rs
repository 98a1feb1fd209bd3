//! POSIX ERE (the GNU grep dialect git-secrets patterns are written in) to
//! Rust regex syntax. Pure text to text: no git, no config, no rules. A
//! construct with no faithful translation is refused with a reason, never
//! guessed; `ere_proptests.rs` checks the translation against GNU grep.

use regex::bytes::{Regex, RegexBuilder};

/// Translate a POSIX ERE (GNU grep dialect) into Rust regex syntax, keeping
/// matches inside one line. Errors say what is not supported.
pub fn translate_ere(ere: &str) -> std::result::Result<String, String> {
    let chars: Vec<char> = ere.chars().collect();
    let mut out = String::with_capacity(ere.len() + 8);
    let mut i = 0;
    // Whether the previous token can take a quantifier. POSIX leaves a
    // quantifier at the start of an expression undefined; GNU grep ignores
    // it (`*a` matches like `a`), and so do we.
    let mut after_atom = false;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '\\' => {
                let next = *chars.get(i).ok_or("trailing backslash")?;
                out.push_str(&translate_escape(next)?);
                i += 1;
                after_atom = true;
            }
            '[' => {
                i = translate_bracket(&chars, i - 1, &mut out)?;
                after_atom = true;
            }
            '{' => match interval(&chars, i - 1) {
                Some((text, end)) if after_atom => {
                    out.push_str(&text);
                    i = end;
                    reject_stacked(&chars, i, '}')?;
                    after_atom = false;
                }
                Some((_, end)) => i = end,
                None => {
                    out.push_str("\\{");
                    after_atom = true;
                }
            },
            '(' if chars.get(i) == Some(&'?') => return Err("'(?' is Perl syntax, not POSIX ERE".into()),
            // GNU lets a quantifier repeat `^`: `^*` and `^?` may match zero
            // anchors, which leaves no anchor at all.
            '^' if matches!(chars.get(i), Some('*' | '?')) => {
                i += 1;
                after_atom = false;
            }
            '(' | '|' | '^' => {
                out.push(c);
                after_atom = false;
            }
            '*' | '+' | '?' if after_atom => {
                out.push(c);
                reject_stacked(&chars, i, c)?;
                after_atom = false;
            }
            '*' | '+' | '?' => {}
            '$' if matches!(chars.get(i), Some('*' | '+' | '?' | '{')) => {
                return Err("a quantifier after the anchor '$' is not supported".into());
            }
            '.' | '$' | ')' => {
                out.push(c);
                after_atom = true;
            }
            _ => {
                // Includes a lone `}`: a literal in GNU's reading.
                out.push_str(&regex::escape(&c.to_string()));
                after_atom = true;
            }
        }
    }
    Ok(out)
}

/// `a**`, `a+?` or `a{2}?` mean something else in Rust (laziness) or
/// nothing at all; refuse rather than guess.
fn reject_stacked(chars: &[char], next: usize, previous: char) -> std::result::Result<(), String> {
    match chars.get(next) {
        Some(&q @ ('*' | '+' | '?' | '{')) => Err(format!("stacked quantifiers '{previous}{q}' are not supported")),
        _ => Ok(()),
    }
}

fn translate_escape(next: char) -> std::result::Result<String, String> {
    Ok(match next {
        's' => r"[\t\x0B\x0C\r ]".into(),
        'S' => r"[^\t\x0B\x0C\r \n]".into(),
        'w' => "[0-9A-Za-z_]".into(),
        'W' => r"[^0-9A-Za-z_\n]".into(),
        'b' => r"\b".into(),
        'B' => r"\B".into(),
        '<' => r"\b{start}".into(),
        '>' => r"\b{end}".into(),
        '1'..='9' => return Err(format!("back-reference \\{next} is not supported")),
        c if c.is_ascii_alphanumeric() => return Err(format!("escape \\{c} is not POSIX ERE")),
        c => regex::escape(&c.to_string()),
    })
}

/// `{n}`, `{n,}`, `{n,m}`, `{,m}` starting at `chars[at]`: the Rust text and
/// the index after `}`; `None` when it is not an interval (then `{` is literal).
fn interval(chars: &[char], at: usize) -> Option<(String, usize)> {
    let close = chars[at..].iter().position(|&c| c == '}')? + at;
    let body: String = chars[at + 1..close].iter().collect();
    let (low, high) = match body.split_once(',') {
        Some((low, high)) => (low, Some(high)),
        None => (body.as_str(), None),
    };
    let valid = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    // `{,}` is GNU's `*`; `{}` and `{,x}` are not intervals.
    if !valid(low) || !high.is_none_or(valid) || (low.is_empty() && high.is_none()) {
        return None;
    }
    let low = if low.is_empty() { "0" } else { low };
    let text = match high {
        None => format!("{{{low}}}"),
        Some(high) => format!("{{{low},{high}}}"),
    };
    Some((text, close + 1))
}

/// A bracket expression starting at `chars[at] == '['`; returns the index
/// after its closing `]`.
fn translate_bracket(chars: &[char], at: usize, out: &mut String) -> std::result::Result<usize, String> {
    let mut i = at + 1;
    out.push('[');
    let negated = chars.get(i) == Some(&'^');
    if negated {
        out.push('^');
        i += 1;
    }
    let first = i;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("unterminated bracket expression".into());
        };
        match c {
            ']' if i > first => break,
            '[' if matches!(chars.get(i + 1), Some(':')) => {
                let end = (i + 2..chars.len().saturating_sub(1))
                    .find(|&j| chars[j] == ':' && chars[j + 1] == ']')
                    .ok_or("unterminated character class")?;
                let name: String = chars[i + 2..end].iter().collect();
                const CLASSES: [&str; 12] = [
                    "alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper",
                    "xdigit",
                ];
                if !CLASSES.contains(&name.as_str()) {
                    return Err(format!("unknown character class [:{name}:]"));
                }
                out.push_str(&format!("[:{name}:]"));
                i = end + 2;
                continue;
            }
            '[' if matches!(chars.get(i + 1), Some('=' | '.')) => {
                return Err("collating elements and equivalence classes are not supported".into())
            }
            '-' if chars.get(i + 1) == Some(&'-') => return Err("'--' inside a bracket expression is ambiguous".into()),
            // POSIX takes a backslash in brackets literally; Rust escapes.
            '\\' | '[' | ']' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
        i += 1;
    }
    if negated {
        // grep is line-oriented: a negated class never matches a newline.
        out.push_str("\\n");
    }
    out.push(']');
    Ok(i + 1)
}

/// Compile a translated pattern the way git-secrets patterns run: bytes,
/// no Unicode classes. The error is the regex crate's last line.
pub(crate) fn compile(source: &str) -> std::result::Result<Regex, String> {
    RegexBuilder::new(source)
        .unicode(false)
        .build()
        .map_err(|e| e.to_string().lines().last().unwrap_or("does not compile").trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(ere: &str, hay: &str) -> bool {
        compile(&translate_ere(ere).unwrap()).unwrap().is_match(hay.as_bytes())
    }

    #[test]
    fn ere_specifics() {
        assert!(matches("a{2,}", "aaa"));
        assert!(matches("a{,2}b", "b"));
        assert!(matches("x{", "x{"));
        assert!(matches("*a", "a"));
        assert!(matches("a{,}b", "aab"));
        assert!(matches("[]a]", "]"));
        assert!(matches("[[:digit:]]+", "42"));
        assert!(!matches("a[^b]c", "a\nc"));
        assert!(!matches("a\\sc", "a\nc"));
        assert!(matches("\\<me\\>", "a me b"));
        assert!(matches("@todo", "@todo stuff"));
        assert!(matches("foo=\"baz{1,5}\"", "foo=\"bazzz\""));
        for bad in ["(a)\\1", "(?i)x", "\\d+", "[[:nope:]]", "[a", "a**", "[[=a=]]"] {
            assert!(translate_ere(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
#[path = "ere_proptests.rs"]
mod proptests;
