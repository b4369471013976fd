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
