//! Which Bitcoin network a chain is, as configured (`network = "bitcoin" | "testnet" |
//! "signet" | "regtest"`), as its node names it (`getblockchaininfo.chain`), and how its
//! deposit addresses are spelled.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BitcoinNetwork {
    Bitcoin,
    Testnet,
    Signet,
    Regtest,
}

impl BitcoinNetwork {
    /// As configured.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bitcoin => "bitcoin",
            Self::Testnet => "testnet",
            Self::Signet => "signet",
            Self::Regtest => "regtest",
        }
    }

    /// Bitcoin's genesis block hash on this network, where it is fixed: `None` on signet (each
    /// signet has its own) and regtest (local by definition; Litecoin's regtest, which the
    /// tests run, has another).
    pub fn genesis_hash(self) -> Option<&'static str> {
        match self {
            Self::Bitcoin => {
                Some("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f")
            }
            Self::Testnet => {
                Some("000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943")
            }
            Self::Signet | Self::Regtest => None,
        }
    }

    /// Whether `address` is spelled for this network: `bc1…`, `1…`, `3…` on mainnet; `tb1…`,
    /// `m…`, `n…`, `2…` on the test networks, and `bcrt1…` too on regtest. A wallet refuses an
    /// address of another network, though the script it stands for would be the same.
    pub fn spells(self, address: &str) -> bool {
        let lower = address.to_ascii_lowercase();
        let test = lower.starts_with("tb1")
            || matches!(address.as_bytes().first(), Some(b'm' | b'n' | b'2'));
        match self {
            Self::Bitcoin => {
                lower.starts_with("bc1") || matches!(address.as_bytes().first(), Some(b'1' | b'3'))
            }
            Self::Testnet | Self::Signet => test,
            Self::Regtest => test || lower.starts_with("bcrt1"),
        }
    }

    /// As a node names it in `getblockchaininfo`.
    pub fn from_node(chain: &str) -> Option<Self> {
        match chain {
            "main" => Some(Self::Bitcoin),
            "test" => Some(Self::Testnet),
            "signet" => Some(Self::Signet),
            "regtest" => Some(Self::Regtest),
            _ => None,
        }
    }

    /// The network's own address prefix (`bcrt` on regtest), for naming an output's address.
    pub fn hrp(self) -> &'static str {
        match self {
            Self::Bitcoin => "bc",
            Self::Testnet | Self::Signet => "tb",
            Self::Regtest => "bcrt",
        }
    }

    /// The prefix deposit addresses are spelled with: what an xpub (`bc`) or a tpub (`tb`)
    /// derives, which is also how Sluice hands them out. Regtest shares the test keys, so its
    /// deposit addresses read `tb1…` (the same script as `bcrt1…`).
    pub fn deposit_hrp(self) -> &'static str {
        match self {
            Self::Bitcoin => "bc",
            Self::Testnet | Self::Signet | Self::Regtest => "tb",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BitcoinNetwork::*;

    #[test]
    fn addresses_are_spelled_for_their_network() {
        let main = [
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        ];
        let test = [
            "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
            "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
            "2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc",
        ];
        for a in main {
            assert!(
                Bitcoin.spells(a) && !Testnet.spells(a) && !Regtest.spells(a),
                "{a}"
            );
        }
        for a in test {
            assert!(
                !Bitcoin.spells(a) && Testnet.spells(a) && Signet.spells(a) && Regtest.spells(a),
                "{a}"
            );
        }
        assert!(Regtest.spells("bcrt1qzyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3lgth6c"));
        assert!(!Testnet.spells("bcrt1qzyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3lgth6c"));
    }
}
