//! TRON addresses as bytes: 21 of them, `0x41` and the 20 an Ethereum address would have.

use std::fmt;

/// A TRON account or contract address.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TronAddress(pub [u8; 21]);

/// The first byte of every mainnet (and testnet) TRON address.
pub const PREFIX: u8 = 0x41;

impl TronAddress {
    /// From its base58check spelling (`T…`); `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = bs58::decode(text)
            .with_check(Some(PREFIX))
            .into_vec()
            .ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    /// From the 20 bytes an Ethereum address has (as the TVM's `address` type holds them).
    pub fn from_evm(bytes: [u8; 20]) -> Self {
        let mut out = [PREFIX; 21];
        out[1..].copy_from_slice(&bytes);
        Self(out)
    }

    /// The 20 bytes without the prefix, as an ABI `address` word holds them.
    pub fn evm_bytes(&self) -> [u8; 20] {
        self.0[1..].try_into().expect("20 bytes")
    }

    /// `41…` in hex, as TRON's HTTP API spells addresses when `visible` is false.
    pub fn to_hex(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.0)
    }
}

impl fmt::Display for TronAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl fmt::Debug for TronAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TronAddress({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zero_address_is_the_trx_sentinel_and_usdt_round_trips() {
        assert_eq!(
            TronAddress::from_evm([0; 20]).to_string(),
            crate::tron::TRX_TOKEN
        );
        let usdt = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
        let parsed = TronAddress::parse(usdt).unwrap();
        assert_eq!(parsed.to_string(), usdt);
        assert_eq!(
            parsed.to_hex(),
            "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"
        );
        assert!(TronAddress::parse("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u").is_none());
        assert!(TronAddress::parse("0xa614f803b6fd780986a42c78ec9c7f77e6ded13c").is_none());
    }
}
