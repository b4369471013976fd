//! Base58 families: Solana/Eclipse public keys, Tron and legacy Bitcoin base58check.

/// SOL, ECLIPSE: base58 (Bitcoin alphabet) decoding to exactly 32 bytes. Base58 is bijective
/// including leading zeros (`1`s), so the input is already canonical.
pub(super) fn parse_solana(s: &str) -> Result<String, String> {
    let bytes = bs58::decode(s)
        .into_vec()
        .map_err(|_| "not base58".to_owned())?;
    if bytes.len() != 32 {
        return Err(format!(
            "decodes to {} bytes, not a 32-byte public key",
            bytes.len()
        ));
    }
    Ok(s.to_owned())
}

/// TRON: base58check of 21 bytes whose first byte is 0x41 (`T…`).
pub(super) fn parse_tron(s: &str) -> Result<String, String> {
    let bytes = bs58::decode(s)
        .with_check(Some(0x41))
        .into_vec()
        .map_err(|e| format!("not base58check with version 0x41: {e}"))?;
    if bytes.len() != 21 {
        return Err(format!("payload is {} bytes, not 21", bytes.len()));
    }
    Ok(s.to_owned())
}

/// Bitcoin base58check: P2PKH (version 0x00 mainnet, 0x6f testnet/signet/regtest) or P2SH
/// (0x05 mainnet, 0xc4 testnet/signet/regtest), each with a 20-byte hash.
pub(super) fn parse_bitcoin_legacy(s: &str) -> Result<String, String> {
    let bytes = bs58::decode(s)
        .with_check(None)
        .into_vec()
        .map_err(|e| format!("neither a segwit address nor valid base58check: {e}"))?;
    match bytes.as_slice() {
        [0x00 | 0x6f | 0x05 | 0xc4, hash @ ..] if hash.len() == 20 => Ok(s.to_owned()),
        [version, ..] if bytes.len() == 21 => {
            Err(format!("unknown base58 version byte 0x{version:02x}"))
        }
        _ => Err(format!(
            "payload is {} bytes, not a version byte and a 20-byte hash",
            bytes.len()
        )),
    }
}
