//! Addresses. Every address field first matches the generic pattern `^[A-Za-z0-9_-]{18,100}$`
//! (at most 255 characters before `too_long`), then the rule of its chain (spec §8), one parser
//! per encoding family. A parsed address is returned in canonical form (EVM: EIP-55; bech32:
//! lower case; 0x-hex families: lower case, padded where the chain defines a long form), which
//! is what is stored and compared. `docs/ADDRESSES.md` lists each rule with its source.

mod base32;
mod base58;
mod bech;
mod bitcoin_script;
mod hex;
mod ton;

pub use bitcoin_script::{bitcoin_output_script, segwit_address};
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
    let parsed = match chain {
        ChainName::Eth | ChainName::Evm | ChainName::Tempo => parse_evm(s).map_err(str::to_owned),
        ChainName::Sol | ChainName::Eclipse => base58::parse_solana(s),
        ChainName::Tron => base58::parse_tron(s),
        ChainName::Btc => parse_bitcoin(s),
        ChainName::Cosmos => bech::parse_cosmos(s),
        ChainName::Aleo => bech::parse_aleo(s),
        ChainName::Spark => bech::parse_spark(s),
        ChainName::Midnight => bech::parse_midnight(s),
        ChainName::Sui | ChainName::Aptos => hex::parse_padded(s),
        ChainName::Stark => hex::parse_stark(s),
        ChainName::Flow => hex::parse_flow(s),
        ChainName::Algo => base32::parse_algorand(s),
        ChainName::Stellar => base32::parse_stellar(s),
        ChainName::Ton => ton::parse(s),
    };
    parsed.map_err(|why| AddressError::Invalid(format!("{why} ({chain} address)")))
}

/// Segwit (bech32/bech32m) when it carries a segwit prefix, else base58check.
fn parse_bitcoin(s: &str) -> Result<String, String> {
    let lower = s.to_ascii_lowercase();
    if ["bc1", "tb1", "bcrt1"].iter().any(|p| lower.starts_with(p)) {
        bech::parse_bitcoin_segwit(s)
    } else {
        base58::parse_bitcoin_legacy(s)
    }
}

/// CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection), used by TON and
/// Stellar addresses.
pub(crate) fn crc16_xmodem(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
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
pub(crate) fn eip55(hex: &str) -> String {
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
mod tests;
