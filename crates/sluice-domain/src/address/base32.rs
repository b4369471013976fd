//! RFC 4648 base32 families: Algorand and Stellar public keys. Both alphabets are upper case
//! only, and `data-encoding` refuses non-zero trailing bits (Python's `b32decode`, for one,
//! does not), so each address has exactly one valid spelling.

use data_encoding::BASE32_NOPAD;
use sha2::{Digest, Sha512_256};

/// ALGO: 58 characters → 32-byte key + 4-byte checksum, the last 4 bytes of SHA-512/256 of
/// the key.
pub(super) fn parse_algorand(s: &str) -> Result<String, String> {
    if s.len() != 58 {
        return Err(format!("must be 58 characters, not {}", s.len()));
    }
    let bytes = BASE32_NOPAD
        .decode(s.as_bytes())
        .map_err(|e| format!("not canonical upper-case base32: {e}"))?;
    let (key, checksum) = bytes.split_at(32);
    let hash = Sha512_256::digest(key);
    if hash[28..] != *checksum {
        return Err("checksum does not match".to_owned());
    }
    Ok(s.to_owned())
}

/// STELLAR: strkey `G…`: 56 characters → version byte 0x30 (6 << 3, an ed25519 public key) +
/// 32-byte key + CRC-16/XMODEM of those 33 bytes, little-endian.
pub(super) fn parse_stellar(s: &str) -> Result<String, String> {
    if s.len() != 56 || !s.starts_with('G') {
        return Err("must be a 56-character public key starting with G".to_owned());
    }
    let bytes = BASE32_NOPAD
        .decode(s.as_bytes())
        .map_err(|e| format!("not canonical upper-case base32: {e}"))?;
    let (body, crc) = bytes.split_at(33);
    if body[0] != 0x30 {
        return Err(format!(
            "version byte 0x{:02x} is not an account public key",
            body[0]
        ));
    }
    if super::crc16_xmodem(body).to_le_bytes() != *crc {
        return Err("checksum does not match".to_owned());
    }
    Ok(s.to_owned())
}
