//! The sha256 digest that pins a component: parsed from a setting, computed
//! over a component's bytes, shown as lowercase hexadecimal.

use std::fmt;

use sha2::Digest as _;

/// A sha256 digest; shown as 64 lowercase hexadecimal digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Sha256([u8; 32]);

impl Sha256 {
    pub fn of(bytes: &[u8]) -> Self {
        Self(sha2::Sha256::digest(bytes).into())
    }

    /// 64 hexadecimal digits, either case; nothing else (no `sha256:`
    /// prefix, no spaces inside).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.as_bytes();
        if text.len() != 64 {
            return None;
        }
        let mut digest = [0u8; 32];
        for (byte, pair) in digest.iter_mut().zip(text.chunks(2)) {
            let pair = std::str::from_utf8(pair).ok()?;
            if !pair.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            *byte = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(Self(digest))
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{self}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_reads_back_as_it_prints_and_nothing_else_parses() {
        let digest = Sha256::of(b"abc");
        let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(digest.to_string(), hex);
        assert_eq!(Sha256::parse(hex), Some(digest));
        assert_eq!(Sha256::parse(&hex.to_uppercase()), Some(digest));
        for bad in [
            "",
            &hex[1..],
            &format!("{hex}0"),
            &format!("sha256:{hex}"),
            &hex.replace('b', "g"),
            &hex.replacen("ba", "+a", 1),
            &hex.replacen("ba", "é", 1),
        ] {
            assert_eq!(Sha256::parse(bad), None, "{bad:?}");
        }
    }
}
