//! `[[chains]]` and `[price_feed]`: each chain's node, confirmations and tokens, and the
//! HTTP price feed. EVM-family chains (`EVM`, `ETH`, `TEMPO`) and Bitcoin (`BTC`) can be
//! configured; each family's own keys are refused on the other.

use std::path::PathBuf;

use serde::Deserialize;
use sluice_chain::bitcoin::{BitcoinAuth, BitcoinNetwork};
use sluice_domain::ChainName;
use url::Url;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    pub chain_name: ChainName,
    /// Decimal for EVM-family chains; for Bitcoin `"1"` (mainnet, Dynamic's ID) or the
    /// network's name (spec §10).
    pub chain_id: String,
    /// The node's JSON-RPC endpoint (http or https). It may carry a provider's API key, so
    /// it is never logged or shown.
    pub rpc_url: Url,
    /// Blocks a transaction needs (its own included) before it counts; see
    /// [`ChainConfig::confirmations`] for the defaults.
    #[serde(default)]
    pub confirmations: Option<u64>,
    /// The native token's symbol, for prices and fees; `ETH` on EVM chains, `BTC` on
    /// Bitcoin unless set.
    #[serde(default)]
    pub native_symbol: Option<String>,
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
    /// Coinbase Onramp's name for this chain (`base`, `ethereum`, …); known chain IDs need
    /// none.
    #[serde(default)]
    pub onramp_network: Option<String>,
    /// The network's name on the payment page ("Base"); known chain IDs need none (see
    /// [`ChainConfig::display_name`]).
    #[serde(default)]
    pub display_name: Option<String>,
    /// Bitcoin: `bitcoin`, `testnet`, `signet` or `regtest`; the node must report it.
    #[serde(default)]
    pub network: Option<BitcoinNetwork>,
    /// Bitcoin: the node's `rpcuser`/`rpcpassword`, or its cookie file (one of the two).
    #[serde(default)]
    pub rpc_user: Option<String>,
    #[serde(default)]
    pub rpc_password: Option<Secret>,
    #[serde(default)]
    pub rpc_cookie_file: Option<PathBuf>,
    /// Bitcoin: the fee rate in sat/vB when the node has no estimate (`estimatesmartfee`).
    #[serde(default)]
    pub fee_rate_sat_vb: Option<u64>,
    /// TRON: a provider's API key, sent as `TRON-PRO-API-KEY`.
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// TRON: the most TRX (in sun) a payer's TRC-20 transfer may burn for energy.
    #[serde(default)]
    pub fee_limit_sun: Option<i64>,
    /// TRON: block 0's ID, for a network other than mainnet, Shasta and Nile.
    #[serde(default)]
    pub genesis_block_id: Option<String>,
    /// Solana: when a transaction counts as landed, `finalized` (the default) or `confirmed`.
    #[serde(default)]
    pub commitment: Option<Commitment>,
    /// Solana: the genesis hash, for a network other than mainnet-beta, testnet and devnet.
    #[serde(default)]
    pub genesis_hash: Option<String>,
}

/// A Solana commitment level Sluice accepts as settled (`processed` can be rolled back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Commitment {
    Finalized,
    Confirmed,
}

impl Commitment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Finalized => "finalized",
            Self::Confirmed => "confirmed",
        }
    }
}

/// A setting that must never reach a log line: `Debug` shows that it is set, not its value.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// The fee rate of a Bitcoin payment when the node has no estimate, in sat/vB.
pub const DEFAULT_FEE_RATE_SAT_VB: u64 = 2;

impl ChainConfig {
    /// Whether this is a Bitcoin chain.
    pub fn is_bitcoin(&self) -> bool {
        self.chain_name == ChainName::Btc
    }

    /// Whether this is a TRON chain.
    pub fn is_tron(&self) -> bool {
        self.chain_name == ChainName::Tron
    }

    /// Whether this is a Solana chain (otherwise Bitcoin, TRON or EVM-family; nothing else
    /// parses).
    pub fn is_solana(&self) -> bool {
        self.chain_name == ChainName::Sol
    }

    /// Solana: the commitment that counts as landed.
    pub fn commitment(&self) -> Commitment {
        self.commitment.unwrap_or(Commitment::Finalized)
    }

    /// The native token's symbol.
    pub fn native_symbol(&self) -> &str {
        match &self.native_symbol {
            Some(symbol) => symbol,
            None if self.is_bitcoin() => "BTC",
            None if self.is_tron() => "TRX",
            None if self.is_solana() => "SOL",
            None => "ETH",
        }
    }

    /// Blocks a transaction needs, its own included: as configured, else 19 on TRON (its
    /// solidification threshold) and 2 elsewhere. On Solana the commitment decides instead:
    /// a slot the commitment has reached is settled, so one is enough.
    pub fn confirmations(&self) -> u64 {
        if self.is_solana() {
            return 1;
        }
        self.confirmations
            .unwrap_or(if self.is_tron() { 19 } else { 2 })
            .max(1)
    }

    /// TRON: the fee limit of a TRC-20 payment, in sun.
    pub fn fee_limit_sun(&self) -> i64 {
        self.fee_limit_sun
            .unwrap_or(sluice_chain::tron::chain::DEFAULT_FEE_LIMIT_SUN)
    }

    /// The chain's key among the configured chains and in the chain watch's stored state
    /// (cursors, seen transfers, sightings): the chain ID for EVM-family chains, as always,
    /// and `<name>:<chain ID>` for the others ([`chain_key`]).
    pub fn key(&self) -> String {
        chain_key(self.chain_name, &self.chain_id)
    }

    /// What the node must report as its network (spec §10.4): the chain ID on EVM, the
    /// network's name on Bitcoin.
    pub fn expected_network(&self) -> String {
        if self.is_solana() {
            let known = sluice_chain::solana::chain::known_genesis(&self.chain_id);
            return self
                .genesis_hash
                .as_deref()
                .or(known)
                .unwrap_or_default()
                .to_owned();
        }
        if self.is_tron() {
            let known = sluice_chain::tron::chain::known_genesis(&self.chain_id);
            return self
                .genesis_block_id
                .as_deref()
                .or(known)
                .unwrap_or_default()
                .to_ascii_lowercase();
        }
        match self.network {
            Some(network) if self.is_bitcoin() => network.as_str().to_owned(),
            _ => self.chain_id.clone(),
        }
    }

    /// A network identity as people read it: "chain ID 8453", "network regtest".
    pub fn network_label(&self, id: &str) -> String {
        if self.is_bitcoin() {
            format!("network {id}")
        } else if self.is_tron() {
            format!("genesis block {id}")
        } else if self.is_solana() {
            format!("genesis hash {id}")
        } else {
            format!("chain ID {id}")
        }
    }

    /// How Sluice logs in to a Bitcoin node (validation made sure there is a way).
    pub fn bitcoin_auth(&self) -> Option<BitcoinAuth> {
        match (&self.rpc_cookie_file, &self.rpc_user, &self.rpc_password) {
            (Some(path), _, _) => Some(BitcoinAuth::CookieFile(path.clone())),
            (None, Some(user), Some(password)) => Some(BitcoinAuth::UserPassword {
                user: user.clone(),
                password: password.0.clone(),
            }),
            _ => None,
        }
    }

    /// The fallback fee rate of a Bitcoin chain, in sat/vB.
    pub fn fee_rate_sat_vb(&self) -> u64 {
        self.fee_rate_sat_vb.unwrap_or(DEFAULT_FEE_RATE_SAT_VB)
    }
    /// What payers read as the network: the configured name, else the usual name of a
    /// well-known chain ID, else "Chain <id>", so the page never shows a bare number.
    pub fn display_name(&self) -> String {
        if let Some(name) = &self.display_name {
            return name.trim().to_owned();
        }
        if let Some(network) = self.network.filter(|_| self.is_bitcoin()) {
            return match network {
                BitcoinNetwork::Bitcoin => "Bitcoin",
                BitcoinNetwork::Testnet => "Bitcoin testnet",
                BitcoinNetwork::Signet => "Bitcoin signet",
                BitcoinNetwork::Regtest => "Bitcoin regtest",
            }
            .to_owned();
        }
        if self.is_tron() {
            return match self.chain_id.as_str() {
                "728126428" => "TRON".to_owned(),
                "2494104990" => "TRON Shasta testnet".to_owned(),
                "3448148188" => "TRON Nile testnet".to_owned(),
                id => format!("TRON chain {id}"),
            };
        }
        if self.is_solana() {
            return match self.chain_id.as_str() {
                "101" => "Solana".to_owned(),
                "102" => "Solana testnet".to_owned(),
                "103" => "Solana devnet".to_owned(),
                id => format!("Solana chain {id}"),
            };
        }
        let known = match self.chain_id.as_str() {
            "1" => "Ethereum",
            "10" => "OP Mainnet",
            "137" => "Polygon",
            "8453" => "Base",
            "42161" => "Arbitrum One",
            "31337" => "Local chain (31337)",
            id => return format!("Chain {id}"),
        };
        known.to_owned()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    pub address: String,
    pub symbol: String,
    pub decimals: u8,
    /// Solana: the mint is a Token-2022 mint (such mints are refused unless this says so).
    #[serde(default)]
    pub token_2022: bool,
}

/// A Coinbase-style spot price API: `GET {url}/v2/prices/{BASE}-{CURRENCY}/spot` answering
/// `{"data": {"amount": "3000.12", "base": "ETH", "currency": "USD"}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceFeedConfig {
    pub url: Url,
    #[serde(default = "default_price_ttl")]
    pub cache_secs: u64,
}

/// The key of a chain, as [`ChainConfig::key`] spells it: the chain ID for the EVM family,
/// `<name>:<chain ID>` for every other (Bitcoin's "1" is Ethereum's too, and TRON's chain IDs
/// are also the IDs of its EVM-compatible JSON-RPC).
pub fn chain_key(name: ChainName, chain_id: &str) -> String {
    if name.is_evm_family() {
        chain_id.to_owned()
    } else {
        format!("{name}:{chain_id}")
    }
}
fn default_price_ttl() -> u64 {
    30
}

#[cfg(test)]
mod tests;
