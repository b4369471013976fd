//! The output script an address pays to. Bitcoin nodes describe outputs by their script
//! (`scriptPubKey.hex`), and forks of Bitcoin Core spell the same script with their own
//! address prefixes (Litecoin's regtest writes `rltc1…` where Bitcoin writes `bcrt1…`), so
//! Sluice matches outputs by script: the same bytes whatever the network's spelling.

use sha2::{Digest, Sha256};

/// The `scriptPubKey` of a Bitcoin address: segwit (bech32 v0, bech32m v1–16, any HRP), or
/// base58check P2PKH (version 0x00 / 0x6f) and P2SH (0x05 / 0xc4). `None` for anything else.
pub fn bitcoin_output_script(address: &str) -> Option<Vec<u8>> {
    if let Ok((_, version, program)) = bech32::segwit::decode(address) {
        let op = match version.to_u8() {
            0 => 0x00,
            v => 0x50 + v,
        };
        let len = u8::try_from(program.len()).ok()?;
        return Some([&[op, len][..], &program].concat());
    }
    let bytes = bs58::decode(address).into_vec().ok()?;
    let (payload, check) = bytes.split_at(bytes.len().checked_sub(4)?);
    let digest = Sha256::digest(Sha256::digest(payload));
    if payload.len() != 21 || check != &digest[..4] {
        return None;
    }
    let hash = &payload[1..];
    match payload[0] {
        0x00 | 0x6f => Some([&[0x76, 0xa9, 0x14][..], hash, &[0x88, 0xac]].concat()),
        0x05 | 0xc4 => Some([&[0xa9, 0x14][..], hash, &[0x87]].concat()),
        _ => None,
    }
}

/// The segwit address (bech32 for v0, bech32m for v1–16) of an output script under `hrp`;
/// `None` for a script that is not a segwit output.
pub fn segwit_address(script: &[u8], hrp: &str) -> Option<String> {
    let [op, len, program @ ..] = script else {
        return None;
    };
    let version = match *op {
        0x00 => 0,
        0x51..=0x60 => op - 0x50,
        _ => return None,
    };
    if usize::from(*len) != program.len() {
        return None;
    }
    let hrp = bech32::Hrp::parse(hrp).ok()?;
    let version = bech32::Fe32::try_from(version).ok()?;
    bech32::segwit::encode(hrp, version, program).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &[u8]) -> String {
        data_encoding::HEXLOWER.encode(s)
    }

    #[test]
    fn scripts_of_each_kind() {
        // BIP-173 / BIP-350 test vectors.
        let p2wpkh = bitcoin_output_script("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4").unwrap();
        assert_eq!(hex(&p2wpkh), "0014751e76e8199196d454941c45d1b3a323f1433bd6");
        let taproot =
            bitcoin_output_script("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0")
                .unwrap();
        assert_eq!(
            hex(&taproot),
            "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
        );
        // The same program under another network's prefix is the same script.
        let regtest =
            bitcoin_output_script("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080").unwrap();
        assert_eq!(regtest, p2wpkh);
        // Genesis coinbase P2PKH; a P2SH.
        let p2pkh = bitcoin_output_script("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa").unwrap();
        assert_eq!(
            hex(&p2pkh),
            "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac"
        );
        let p2sh = bitcoin_output_script("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy").unwrap();
        assert_eq!(hex(&p2sh), "a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87");
        assert_eq!(
            bitcoin_output_script("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"),
            None
        );
        assert_eq!(bitcoin_output_script("not an address"), None);
    }

    #[test]
    fn segwit_scripts_spell_back_under_any_prefix() {
        for address in [
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        ] {
            let script = bitcoin_output_script(address).unwrap();
            assert_eq!(segwit_address(&script, "bc").as_deref(), Some(address));
        }
        let script = bitcoin_output_script("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4").unwrap();
        assert_eq!(
            segwit_address(&script, "bcrt").as_deref(),
            Some("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080")
        );
        let p2pkh = bitcoin_output_script("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa").unwrap();
        assert_eq!(segwit_address(&p2pkh, "bc"), None);
        assert_eq!(
            segwit_address(&[0x00, 0x14, 1, 2], "bc"),
            None,
            "length mismatch"
        );
    }
}
