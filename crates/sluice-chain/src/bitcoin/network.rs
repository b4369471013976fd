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
