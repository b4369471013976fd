//! Addresses. Every address field first matches the generic pattern `^[A-Za-z0-9_-]{18,100}$`
//! (at most 255 characters before `too_long`), then the rule of its chain (spec §8). A parsed
//! address is returned in canonical form (EVM: the EIP-55 checksummed spelling), which is what
//! is stored and compared.
//!
//! EVM-family rules are enforced here; the per-chain rules of the other families are the
//! subject of a follow-up issue and, until then, only the generic pattern applies to them.

use sha3::{Digest, Keccak256};

use crate::chain::ChainName;

/// Why an address was refused, mapped one-to-one to the per-field codes of spec §2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressError {
    /// Longer than 255 characters: `too_long`.
    TooLong,
    /// Fails the generic pattern: `pattern`.
    Pattern,
    /// Fails the chain's own rule: `invalid_address`, with the reason.
    Invalid(String),
}

impl AddressError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLong => "too_long",
            Self::Pattern => "pattern",
            Self::Invalid(_) => "invalid_address",
        }
    }
}

/// The generic address pattern of spec §2.
pub fn check_generic(s: &str) -> Result<(), AddressError> {
    if s.len() > 255 {
        return Err(AddressError::TooLong);
    }
    let ok_len = (18..=100).contains(&s.len());
    if ok_len
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        Ok(())
    } else {
        Err(AddressError::Pattern)
    }
}

/// Parses `s` as an address on `chain` and returns its canonical spelling.
pub fn parse(chain: ChainName, s: &str) -> Result<String, AddressError> {
    check_generic(s)?;
    if chain.is_evm_family() {
        return parse_evm(s)
            .map_err(|why| AddressError::Invalid(format!("{why} ({chain} address)")));
    }
    Ok(s.to_owned())
}

/// `0x` + 40 hex digits; mixed case must be the EIP-55 checksum, all-lower and all-upper
/// are accepted as unchecksummed. Returns the checksummed form.
pub fn parse_evm(s: &str) -> Result<String, &'static str> {
    let hex = s.strip_prefix("0x").ok_or("must start with 0x")?;
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("must be 0x followed by 40 hex digits");
    }
    let checksummed = eip55(hex);
    let has_lower = hex.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = hex.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper && checksummed[2..] != *hex {
        return Err("mixed-case address does not match its EIP-55 checksum");
    }
    Ok(checksummed)
}

/// EIP-55: the i-th hex letter is upper case iff the i-th nibble of keccak256(lowercase hex)
/// is at least 8.
fn eip55(hex: &str) -> String {
    let lower = hex.to_ascii_lowercase();
    let hash = Keccak256::digest(lower.as_bytes());
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, c) in lower.chars().enumerate() {
        let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
        out.push(if nibble >= 8 {
            c.to_ascii_uppercase()
        } else {
            c
        });
    }
    out
}

/// The key under which an address is screened and compared across chains: `0x` hex
/// addresses are case-insensitive, everything else is exact.
pub fn screening_key(address: &str) -> String {
    if address.starts_with("0x") {
        address.to_ascii_lowercase()
    } else {
        address.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Vitalik's address, the standard EIP-55 example.
    const VITALIK: &str = "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045";

    #[test]
    fn evm_checksum_rules() {
        assert_eq!(parse(ChainName::Evm, VITALIK).unwrap(), VITALIK);
        let lower = VITALIK.to_ascii_lowercase();
        assert_eq!(parse(ChainName::Eth, &lower).unwrap(), VITALIK);
        let upper = format!("0x{}", VITALIK[2..].to_ascii_uppercase());
        assert_eq!(parse(ChainName::Tempo, &upper).unwrap(), VITALIK);
        let flipped = VITALIK.replacen("dA6", "Da6", 1);
        assert_eq!(
            parse(ChainName::Evm, &flipped).unwrap_err().code(),
            "invalid_address"
        );
        assert_eq!(
            parse(ChainName::Evm, &VITALIK[..41]).unwrap_err().code(),
            "invalid_address"
        );
        assert_eq!(
            parse(ChainName::Evm, &VITALIK[2..]).unwrap_err().code(),
            "invalid_address"
        );
    }

    #[test]
    fn eip55_reference_vectors() {
        // From the EIP-55 specification's test cases.
        for v in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            assert_eq!(parse_evm(v).unwrap(), v);
        }
    }

    #[test]
    fn generic_pattern() {
        assert_eq!(check_generic("short"), Err(AddressError::Pattern));
        assert_eq!(check_generic(&"a".repeat(101)), Err(AddressError::Pattern));
        assert_eq!(check_generic(&"a".repeat(256)), Err(AddressError::TooLong));
        assert_eq!(
            check_generic("0:abcdefabcdefabcdefabcdef"),
            Err(AddressError::Pattern)
        );
        assert_eq!(check_generic("abcdefghij_klmnop-q"), Ok(()));
    }

    proptest! {
        #[test]
        fn checksummed_form_round_trips(bytes in any::<[u8; 20]>()) {
            let lower: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let canonical = parse_evm(&format!("0x{lower}")).unwrap();
            prop_assert_eq!(parse_evm(&canonical).unwrap(), canonical.clone());
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,120}") {
            for chain in ChainName::ALL {
                let _ = parse(*chain, &s);
            }
        }
    }
}
