//! The second stage: confirm a candidate value with the checks that regexes
//! cannot express. Pure functions over the value's bytes.

use super::entropy;
use crate::rules::Rule;

/// Why a regex match is not a finding. Kept as a reason (not a bool) so
/// `keyfence` can explain rejections in debug output and tests can assert them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    DocumentationExample,
    LowEntropy,
    Hex,
    Placeholder,
}

pub fn confirm(rule: &Rule, value: &[u8]) -> Result<(), Rejection> {
    let value = &*crate::rules::unescaped(value);
    if rule.ignore_suffixes.iter().any(|s| value.ends_with(s.as_bytes()))
        || rule.ignore_substrings.iter().any(|s| memchr::memmem::find(value, s.as_bytes()).is_some())
    {
        return Err(Rejection::DocumentationExample);
    }
    if rule.reject_hex && value.iter().all(u8::is_ascii_hexdigit) {
        return Err(Rejection::Hex);
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
        assert_eq!(confirm(secret, b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), Err(Rejection::DocumentationExample));
        assert_eq!(confirm(secret, b"9dKq2Lm7Vt+Wx4Yz8Rp1Nb6Hc3Jf5Gs0Ta/EuIoA"), Ok(()));
    }
}
