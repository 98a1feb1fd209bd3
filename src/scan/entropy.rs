//! Shannon entropy over a byte slice, in bits per byte, computed from the
//! slice's own byte frequencies (the way gitleaks, trufflehog and detect-secrets
//! compute it, so thresholds carry over).

/// Bits per byte of `bytes`; 0.0 for an empty slice.
pub fn shannon(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::shannon;

    #[test]
    fn known_values() {
        assert_eq!(shannon(b""), 0.0);
        assert_eq!(shannon(b"aaaa"), 0.0);
        assert!((shannon(b"ab") - 1.0).abs() < 1e-9);
        // Measured values quoted in the design notes.
        assert!((shannon(b"AKIAXXXXXXXXXXXXXXXX") - 1.02).abs() < 0.01);
        assert!((shannon(b"ASIAY34FZKBOKMUTVV7A") - 3.88).abs() < 0.01);
    }

    #[test]
    fn hex_never_exceeds_four_bits() {
        let sha1 = b"da39a3ee5e6b4b0d3255bfef95601890afd80709";
        assert!(shannon(sha1) <= 4.0);
    }
}
