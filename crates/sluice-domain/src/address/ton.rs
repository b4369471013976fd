//! TON user-friendly addresses. Only the 48-character base64url form can pass the generic
//! pattern (the raw `0:<hex>` form and standard base64 with `+`/`/` cannot), so that is the one
//! parsed here.

use data_encoding::BASE64URL_NOPAD;

/// 36 bytes: tag (0x11 bounceable, 0x51 non-bounceable, either optionally | 0x80 test-only),
/// workchain (0x00 basechain or 0xff masterchain), 32-byte account, CRC-16/XMODEM of the first
/// 34 bytes, big-endian (`@ton/core` `Address.parseFriendly`).
pub(super) fn parse(s: &str) -> Result<String, String> {
    if s.len() != 48 {
        return Err(format!(
            "must be the 48-character user-friendly form, not {} characters",
            s.len()
        ));
    }
    let bytes = BASE64URL_NOPAD
        .decode(s.as_bytes())
        .map_err(|e| format!("not base64url: {e}"))?;
    let (body, crc) = bytes.split_at(34);
    if !matches!(body[0] & 0x7f, 0x11 | 0x51) {
        return Err(format!("unknown flags byte 0x{:02x}", body[0]));
    }
    if !matches!(body[1], 0x00 | 0xff) {
        return Err(format!("unknown workchain 0x{:02x}", body[1]));
    }
    if super::crc16_xmodem(body).to_be_bytes() != *crc {
        return Err("checksum does not match".to_owned());
    }
    Ok(s.to_owned())
}
