//! Bech32 families (BIP-173 bech32 and BIP-350 bech32m): Bitcoin segwit, Cosmos, Aleo, Spark
//! and Midnight. The checksum variant is checked exactly (`bech32::decode` would accept
//! either). Canonical form: lower case.

use bech32::primitives::decode::CheckedHrpstring;
use bech32::{Bech32, Bech32m, Checksum};

/// Bitcoin segwit: bech32 for witness v0 (20- or 32-byte program), bech32m for v1+ (BIP-141
/// program lengths), HRP `bc` (mainnet), `tb` (testnet and signet) or `bcrt` (regtest).
pub(super) fn parse_bitcoin_segwit(s: &str) -> Result<String, String> {
    let (hrp, _version, _program) =
        bech32::segwit::decode(s).map_err(|e| format!("invalid segwit address: {e}"))?;
    let hrp = hrp.to_lowercase();
    if !["bc", "tb", "bcrt"].contains(&hrp.as_str()) {
        return Err(format!(
            "unknown network prefix {hrp:?} (expected bc, tb or bcrt)"
        ));
    }
    Ok(s.to_ascii_lowercase())
}

/// Decodes `s` with checksum `Ck`, requiring zero padding; returns the HRP and the data.
fn decode<Ck: Checksum>(s: &str, variant: &str) -> Result<(String, Vec<u8>), String> {
    let checked = CheckedHrpstring::new::<Ck>(s).map_err(|e| format!("invalid {variant}: {e}"))?;
    checked
        .validate_segwit_padding()
        .map_err(|e| format!("invalid {variant} padding: {e}"))?;
    Ok((checked.hrp().to_lowercase(), checked.byte_iter().collect()))
}

/// COSMOS: bech32 (not bech32m), any HRP, 20- or 32-byte data.
pub(super) fn parse_cosmos(s: &str) -> Result<String, String> {
    let (_, data) = decode::<Bech32>(s, "bech32")?;
    if data.len() != 20 && data.len() != 32 {
        return Err(format!("data is {} bytes, not 20 or 32", data.len()));
    }
    Ok(s.to_ascii_lowercase())
}

/// ALEO: bech32m, HRP `aleo`, 32-byte data.
pub(super) fn parse_aleo(s: &str) -> Result<String, String> {
    let (hrp, data) = decode::<Bech32m>(s, "bech32m")?;
    if hrp != "aleo" {
        return Err(format!("prefix {hrp:?} is not \"aleo\""));
    }
    if data.len() != 32 {
        return Err(format!("data is {} bytes, not 32", data.len()));
    }
    Ok(s.to_ascii_lowercase())
}

/// The network prefixes of Spark addresses: `spark` (mainnet), `sparkt` (testnet), `sparkrt`
/// (regtest), `sparks` (signet), `sparkl` (local), and their legacy short forms.
pub const SPARK_PREFIXES: [&str; 10] = [
    "spark", "sparkt", "sparkrt", "sparks", "sparkl", "sp", "spt", "sprt", "sps", "spl",
];

/// SPARK: bech32m with a Spark network prefix; the data is the address message, whose field 1
/// (`0x0a 0x21`) holds a 33-byte compressed secp256k1 public key that must lie on the curve.
pub(super) fn parse_spark(s: &str) -> Result<String, String> {
    let (hrp, data) = decode::<Bech32m>(s, "bech32m")?;
    if !SPARK_PREFIXES.contains(&hrp.as_str()) {
        return Err(format!("unknown network prefix {hrp:?}"));
    }
    let key = match data.as_slice() {
        [0x0a, 0x21, rest @ ..] if rest.len() >= 33 => &rest[..33],
        _ => return Err("does not start with a 33-byte identity public key (field 1)".to_owned()),
    };
    k256::PublicKey::from_sec1_bytes(key)
        .map_err(|_| "identity key is not a point on secp256k1".to_owned())?;
    if key[0] != 0x02 && key[0] != 0x03 {
        return Err("identity key is not in compressed form".to_owned());
    }
    Ok(s.to_ascii_lowercase())
}

/// MIDNIGHT: bech32m, HRP `mn_addr` (mainnet) or `mn_addr_<network>` (`preprod`, `preview`,
/// `testnet`, `undeployed`, …), 32-byte data: an unshielded payment address.
pub(super) fn parse_midnight(s: &str) -> Result<String, String> {
    let (hrp, data) = decode::<Bech32m>(s, "bech32m")?;
    let network_ok = match hrp.strip_prefix("mn_addr") {
        Some("") => true,
        Some(rest) => rest.strip_prefix('_').is_some_and(|n| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        }),
        None => false,
    };
    if !network_ok {
        return Err(format!(
            "prefix {hrp:?} is not mn_addr or mn_addr_<network>"
        ));
    }
    if data.len() != 32 {
        return Err(format!("data is {} bytes, not 32", data.len()));
    }
    Ok(s.to_ascii_lowercase())
}
