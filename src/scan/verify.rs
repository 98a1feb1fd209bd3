//! The second stage: confirm a candidate value with the checks that regexes
//! cannot express. Pure functions over the value's bytes.

use super::entropy;
use crate::rules::{Checksum, Rule};

/// Why a regex match is not a finding. Kept as a reason (not a bool) so
/// `keyfence` can explain rejections in debug output and tests can assert them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    DocumentationExample,
    LowEntropy,
    Hex,
    /// Letters of one case only: a word or an identifier, not a key.
    OneCase,
    Placeholder,
    /// The checksum the token format embeds does not match.
    Checksum,
}

pub fn confirm(rule: &Rule, value: &[u8]) -> Result<(), Rejection> {
    let value = &*crate::rules::unescaped(value);
    let example = || {
        rule.ignore_suffixes.iter().any(|s| value.ends_with(s.as_bytes()))
            || rule.ignore_substrings.iter().any(|s| memchr::memmem::find(value, s.as_bytes()).is_some())
            || rule.ignore_values.iter().any(|v| v.as_bytes().eq_ignore_ascii_case(value))
            || crate::providers::is_placeholder(rule, value)
    };
    if !rule.report_examples && example() {
        return Err(Rejection::DocumentationExample);
    }
    if rule.checksum.is_some_and(|checksum| !checksum_holds(checksum, value)) {
        return Err(Rejection::Checksum);
    }
    if rule.reject_hex && value.iter().all(u8::is_ascii_hexdigit) {
        return Err(Rejection::Hex);
    }
    if rule.reject_one_case && (value.iter().all(u8::is_ascii_lowercase) || value.iter().all(u8::is_ascii_uppercase)) {
        return Err(Rejection::OneCase);
    }
    if rule.min_entropy > 0.0 {
        if entropy::shannon(value) < rule.min_entropy {
            return Err(Rejection::LowEntropy);
        }
        if has_keyboard_run(value) {
            return Err(Rejection::Placeholder);
        }
    }
    Ok(())
}

/// Whether `value` carries the checksum its format embeds. Kept apart from
/// `confirm`'s other checks: it is a property of the token format, not of
/// how random the value looks.
fn checksum_holds(checksum: Checksum, value: &[u8]) -> bool {
    match checksum {
        Checksum::Base62Crc32 => {
            let Some(split) = value.len().checked_sub(6).filter(|&s| s >= 30) else {
                return false;
            };
            let (body, check) = (&value[split - 30..split], &value[split..]);
            base62_6(crc32(body)).as_slice() == check
        }
        Checksum::Jwt => {
            let json = |part: Option<&[u8]>| {
                part.and_then(base64_decode)
                    .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
                    .filter(serde_json::Value::is_object)
            };
            let mut parts = value.split(|&b| b == b'.');
            let (header, claims) = (json(parts.next()), json(parts.next()));
            let alg = header.as_ref().and_then(|h| h.get("alg")).and_then(serde_json::Value::as_str);
            claims.is_some() && alg.is_some_and(|alg| !alg.eq_ignore_ascii_case("none"))
        }
        Checksum::DiscordId => {
            let id = value.split(|&b| b == b'.').next().and_then(base64_decode);
            id.is_some_and(|id| (17..=20).contains(&id.len()) && id.iter().all(u8::is_ascii_digit))
        }
        Checksum::Base64Credentials => base64_decode(value).is_some_and(|text| {
            let printable = text.iter().all(|b| (0x20..0x7f).contains(b));
            let split = memchr::memchr(b':', &text);
            printable && split.is_some_and(|at| at > 0 && text.len() - at > 8)
        }),
    }
}

/// Standard or URL-safe base64, padded or not; `None` on any other byte.
fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
    let core = &text[..memchr::memchr(b'=', text).unwrap_or(text.len())];
    decode_base64(core, &EITHER_ALPHABET)
}

/// Not a base64 character, in the tables below.
const NOT: u8 = 0xff;

/// The value of each character of `alphabet` (of the `alphabets`, which
/// share values: `+`/`-` are 62, `/`/`_` 63), `NOT` for every other byte.
const fn values(alphabets: &[&[u8; 64]]) -> [u8; 256] {
    let mut table = [NOT; 256];
    let mut a = 0;
    while a < alphabets.len() {
        let mut i = 0;
        while i < 64 {
            table[alphabets[a][i] as usize] = i as u8;
            i += 1;
        }
        a += 1;
    }
    table
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// The standard alphabet's values (`+`, `/`).
pub(crate) static STANDARD_ALPHABET: [u8; 256] = values(&[STANDARD]);
/// The standard and the URL-safe alphabet's values together.
static EITHER_ALPHABET: [u8; 256] = values(&[STANDARD, URL_SAFE]);

/// The bytes that `core` (base64 without its padding) encodes, reading each
/// character's value from `values`; `None` on a byte it has no value for.
pub(crate) fn decode_base64(core: &[u8], values: &[u8; 256]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(core.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in core {
        let value = values[c as usize];
        if value == NOT {
            return None;
        }
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), bitwise: it runs
/// on 30-byte values that already matched a pattern, so no table is needed.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// `n` in base62 (`0-9A-Za-z`), six digits, zero-padded on the left.
fn base62_6(mut n: u32) -> [u8; 6] {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// Placeholders such as `AKIAABCDEFGHIJKLMNOP` or `...1234567890...` have high
/// entropy but a run of six consecutive ascending characters, which a random
/// 16-char base32 suffix contains with probability ~3e-7.
fn has_keyboard_run(value: &[u8]) -> bool {
    const RUN: usize = 6;
    let mut run = 1;
    for pair in value.windows(2) {
        let ascending = pair[1] == pair[0].wrapping_add(1) && pair[0].is_ascii_alphanumeric();
        run = if ascending { run + 1 } else { 1 };
        if run >= RUN {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    #[test]
    fn rejections_have_reasons() {
        let rules = RuleSet::builtin();
        let key_id = rules.get("aws-access-key-id").unwrap();
        let secret = rules.get("aws-secret-access-key").unwrap();
        assert_eq!(confirm(key_id, b"AKIAIOSFODNN7EXAMPLE"), Err(Rejection::DocumentationExample));
        assert_eq!(confirm(key_id, b"AKIAXXXXXXXXXXXXXXXX"), Err(Rejection::LowEntropy));
        assert_eq!(confirm(key_id, b"AKIAABCDEFGHIJKLMNOP"), Err(Rejection::Placeholder));
        assert_eq!(confirm(key_id, b"AKIA2E3MTGS5LTN4WCQV"), Ok(()));
        assert_eq!(confirm(secret, b"da39a3ee5e6b4b0d3255bfef95601890afd80709"), Err(Rejection::Hex));
        assert_eq!(confirm(secret, b"DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"), Err(Rejection::Hex));
        assert_eq!(confirm(secret, b"diffiehellmancomputesecretotherpublickey"), Err(Rejection::OneCase));
        assert_eq!(confirm(secret, b"DIFFIEHELLMANCOMPUTESECRETOTHERPUBLICKEY"), Err(Rejection::OneCase));
        assert_eq!(confirm(secret, b"DiffieHellmanComputeSecretOtherPublicKey"), Ok(()));
        assert_eq!(confirm(secret, b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), Err(Rejection::DocumentationExample));
        assert_eq!(confirm(secret, b"9dKq2Lm7Vt+Wx4Yz8Rp1Nb6Hc3Jf5Gs0Ta/EuIoA"), Ok(()));
    }

    /// The format checks a regex cannot make, on values assembled here.
    #[test]
    fn format_checks_decode_what_the_format_promises() {
        let b64 = |s: &str| {
            let mut out = String::new();
            for chunk in s.as_bytes().chunks(3) {
                let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
                for i in 0..=chunk.len() {
                    out.push(
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                            [(n >> (18 - 6 * i) & 63) as usize] as char,
                    );
                }
            }
            out
        };
        assert_eq!(base64_decode(b64("hello, world").as_bytes()).unwrap(), b"hello, world");
        let jwt = |header: &str, claims: &str| format!("{}.{}.c2lnbmF0dXJl", b64(header), b64(claims));
        let holds = |check, value: &str| checksum_holds(check, value.as_bytes());
        assert!(holds(Checksum::Jwt, &jwt(r#"{"alg":"HS256"}"#, r#"{"sub":"1"}"#)));
        assert!(!holds(Checksum::Jwt, &jwt(r#"{"alg":"none"}"#, r#"{"sub":"1"}"#)), "unsigned");
        assert!(!holds(Checksum::Jwt, &jwt(r#"{"typ":"JWT"}"#, r#"{"sub":"1"}"#)), "no alg");
        assert!(!holds(Checksum::Jwt, &jwt(r#"{"alg":"HS256"}"#, r#"{"iss":"https://ex"#)), "claims not JSON");
        assert!(holds(Checksum::Base64Credentials, &b64("ci-bot:s3cr3t-t0ken")));
        assert!(!holds(Checksum::Base64Credentials, &b64("ci-bot:")), "no password");
        assert!(!holds(Checksum::Base64Credentials, &b64("no colon at all here")));
        assert!(holds(Checksum::DiscordId, &format!("{}.ILxrbr.x", b64("485819511273617762"))));
        assert!(!holds(Checksum::DiscordId, &format!("{}.ILxrbr.x", b64("747key_for_the_cache"))));
    }

    /// The token is assembled here, so no literal token sits in the source.
    #[test]
    fn base62_crc32_checksum_accepts_its_own_and_rejects_one_changed_character() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926, "the CRC-32 check value");
        assert_eq!(&base62_6(0), b"000000");
        assert_eq!(&base62_6(u32::MAX), b"4gfFC3");
        let body = b"qsR6RZ24lPoQj3oPUlieI2nVsbBi1R";
        let token = [b"ghp_".as_slice(), body, &base62_6(crc32(body))].concat();
        assert!(checksum_holds(Checksum::Base62Crc32, &token));
        let mut wrong = token.clone();
        wrong[10] ^= 0x20;
        assert!(!checksum_holds(Checksum::Base62Crc32, &wrong));
        assert!(!checksum_holds(Checksum::Base62Crc32, b"ghp_short"));
        let rules = RuleSet::builtin();
        let pat = rules.get("github-pat").unwrap();
        assert_eq!(confirm(pat, &token), Ok(()));
        assert_eq!(confirm(pat, &wrong), Err(Rejection::Checksum));
    }
}
