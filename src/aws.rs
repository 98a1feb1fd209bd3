//! Facts about AWS key ids that need no network: which prefixes are
//! credentials, and the account id encoded inside modern AKIA/ASIA ids.

/// What a key-id prefix says about the credential.
pub fn prefix_meaning(key_id: &str) -> Option<&'static str> {
    Some(match key_id.get(..4)? {
        "AKIA" => "long-lived access key of an IAM user (or the root user)",
        "ASIA" => "temporary access key issued by AWS STS (needs its session token)",
        "ABIA" => "AWS STS service bearer token",
        "ACCA" => "context-specific credential",
        "AIDA" => "IAM user unique id (an identifier, not a secret)",
        "AROA" => "IAM role unique id (an identifier, not a secret)",
        "AGPA" => "IAM group unique id (an identifier, not a secret)",
        "ANPA" => "managed policy id (an identifier, not a secret)",
        "ANVA" => "managed policy version id (an identifier, not a secret)",
        "AIPA" => "EC2 instance profile id (an identifier, not a secret)",
        "ASCA" => "certificate id (an identifier, not a secret)",
        "APKA" => "public key id (an identifier, not a secret)",
        _ => return None,
    })
}

/// Why an id carries no account: old-format ids (fifth character `I` or `J`)
/// predate the encoding, so decoding them yields a meaningless number.
pub fn is_legacy_format(key_id: &str) -> bool {
    matches!(key_id.as_bytes().get(4), Some(b'I' | b'J'))
}

/// The 12-digit AWS account id encoded in an AKIA/ASIA key id.
///
/// Layout from Aidan Steele's "AWS Access Key ID formats" (2020), bit offsets
/// corrected by Tal Be'ery (2023): base32-decode the 16 characters after the
/// prefix; the first 48 bits, less the top bit, shifted right by 7, are the
/// account. `None` for legacy ids and anything that is not base32.
pub fn account_id(key_id: &str) -> Option<String> {
    let suffix = key_id.as_bytes().get(4..20)?;
    if key_id.len() != 20 || is_legacy_format(key_id) {
        return None;
    }
    let mut bits: u64 = 0;
    // 10 base32 characters = 50 bits: the 48 we need plus 2 spare.
    for &c in &suffix[..10] {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        bits = (bits << 5) | u64::from(value);
    }
    let first_48 = bits >> 2;
    Some(format!("{:012}", (first_48 & 0x7fff_ffff_ff80) >> 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_published_example() {
        assert_eq!(account_id("ASIAY34FZKBOKMUTVV7A").as_deref(), Some("609629065308"));
    }

    #[test]
    fn legacy_and_malformed_ids_have_no_account() {
        assert_eq!(account_id("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(account_id("AKIAJ44QH8DHBEXAMPLE"), None);
        assert_eq!(account_id("AKIA"), None);
        assert_eq!(account_id("AKIAY34F0KBOKMUTVV7A"), None);
    }

    #[test]
    fn prefixes_are_explained() {
        assert!(prefix_meaning("ASIAY34FZKBOKMUTVV7A").unwrap().contains("STS"));
        assert_eq!(prefix_meaning("XXXX1234"), None);
    }
}
