//! The configured chains at run time: each chain ID with its settings, its family adapter
//! (`sluice_chain::ChainFamily`, the only way the server reaches a node) and whether its node
//! has proven it serves that chain (spec §10.4). A node that answers for another network would
//! have Sluice quote, sign and settle real payments against the wrong chain, so nothing is
//! quoted, prepared or settled on a chain until the node's network ID matched.
//! `serve` proves every chain at start (a mismatch stops it); a node unreachable then is
//! asked again before its first use, at most every `RECHECK` while it stays unreachable.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sluice_chain::bitcoin::BitcoinChain;
use sluice_chain::solana::{Pubkey, SolanaChain, SolanaToken};
use sluice_chain::tron::TronChain;
use sluice_chain::{ChainFamily, EvmChain};
use sluice_domain::{ChainName, Timestamp};

use crate::config::{ChainConfig, Config, chain_key};

/// How often an unproven chain's node is asked again, in seconds.
const RECHECK_SECS: i64 = 5;

/// What is known of a chain's node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// Not asked yet.
    Unchecked,
    /// The node reported the configured network (`eth_chainId` on EVM).
    Proven,
    /// The node did not answer (the error, without the RPC URL, which may hold an API key).
    Unreachable(String),
    /// The node serves another chain; `reported` as people read it ("chain ID 1").
    Mismatch { reported: String },
}

impl Identity {
    /// For `/readyz` and error messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Unchecked => "not checked yet".into(),
            Self::Proven => "ok".into(),
            Self::Unreachable(e) => format!("unreachable ({e})"),
            Self::Mismatch { reported } => {
                format!("wrong network: the node reports {reported}")
            }
        }
    }
}

pub struct ChainRuntime {
    pub config: ChainConfig,
    /// [`ChainConfig::key`]: what names the chain's stored watch state (cursor, seen
    /// transfers, sightings) and its payments, since Bitcoin's chain ID "1" is Ethereum's too.
    pub key: String,
    /// The chain's family adapter: every node call goes through it.
    pub node: Box<dyn ChainFamily>,
    identity: Mutex<(Identity, Option<Timestamp>)>,
}

impl ChainRuntime {
    pub fn new(config: ChainConfig, node: Box<dyn ChainFamily>) -> Self {
        Self {
            key: config.key(),
            config,
            node,
            identity: Mutex::new((Identity::Unchecked, None)),
        }
    }

    pub fn identity(&self) -> Identity {
        self.identity.lock().expect("identity lock").0.clone()
    }

    /// `Ok` once the node has proven it serves the configured chain; asks it (again) when
    /// not proven yet, unless it was asked less than `RECHECK_SECS` before `now`.
    pub async fn ensure_proven(&self, now: Timestamp) -> Result<(), Identity> {
        {
            let known = self.identity.lock().expect("identity lock");
            match &*known {
                (Identity::Proven, _) => return Ok(()),
                (other, Some(at)) if now < at.plus_seconds(RECHECK_SECS) => {
                    return Err(other.clone());
                }
                _ => {}
            }
        }
        let identity = match self.node.network_id().await {
            Ok(id) if id == self.config.expected_network() => Identity::Proven,
            Ok(reported) => Identity::Mismatch {
                reported: self.config.network_label(&reported),
            },
            Err(e) => Identity::Unreachable(without_url(&e)),
        };
        if let Identity::Mismatch { reported } = &identity {
            tracing::error!(chain.id = %self.config.chain_id, chain.reported = %reported, "the chain's node serves another chain; nothing is quoted, prepared or settled on it");
        }
        *self.identity.lock().expect("identity lock") = (identity.clone(), Some(now));
        match identity {
            Identity::Proven => Ok(()),
            other => Err(other),
        }
    }

    /// The native token's sentinel on this chain (`tokenAddress`).
    pub fn native_token(&self) -> &'static str {
        if self.config.is_bitcoin() {
            sluice_chain::bitcoin::BITCOIN_TOKEN
        } else if self.config.is_tron() {
            sluice_chain::tron::TRX_TOKEN
        } else if self.config.is_solana() {
            sluice_chain::solana::SOL_TOKEN
        } else {
            sluice_domain::deposit_transfer::NATIVE_TOKEN
        }
    }

    /// Whether two token addresses of this chain are the same: EVM hex compares in any
    /// case, base58 (TRON, Solana) exactly.
    pub fn same_token(&self, a: &str, b: &str) -> bool {
        if self.base58() {
            a == b
        } else {
            a.eq_ignore_ascii_case(b)
        }
    }

    /// The configured tokens as the family's scan names them (lower-case hex on EVM).
    pub fn watched_tokens(&self) -> Vec<String> {
        let base58 = self.base58();
        self.config
            .tokens
            .iter()
            .map(|t| {
                if base58 {
                    t.address.clone()
                } else {
                    t.address.to_ascii_lowercase()
                }
            })
            .collect()
    }

    /// Whether the chain spells addresses in base58, whose case is meaningful.
    fn base58(&self) -> bool {
        self.config.is_tron() || self.config.is_solana()
    }

    /// Whether the deposit watcher sees transfers of `token` on this chain: the native token,
    /// or one of the chain's configured tokens (the only contracts its `eth_getLogs` names).
    pub fn watches_token(&self, token: &str) -> bool {
        self.same_token(token, self.native_token())
            || self
                .config
                .tokens
                .iter()
                .any(|t| self.same_token(&t.address, token))
    }
}

/// An RPC error as text that never includes the RPC URL (it may carry an API key).
fn without_url(e: &sluice_chain::evm::RpcError) -> String {
    use sluice_chain::evm::RpcError;
    match e {
        RpcError::Transport(t) if t.is_timeout() => "timed out".into(),
        RpcError::Transport(t) if t.is_connect() => "cannot connect".into(),
        RpcError::Transport(_) => "transport error".into(),
        other => other.to_string(),
    }
}

/// The adapter of the chain's family. Adding a family means one arm here (and its module in
/// `sluice-chain`, its config keys, its test chain); config parsing refuses families that
/// have none yet.
fn family_adapter(config: &ChainConfig, timeout: Duration) -> Box<dyn ChainFamily> {
    if config.is_solana() {
        let tokens = config.tokens.iter().filter_map(|t| {
            Some(SolanaToken {
                mint: Pubkey::parse(&t.address)?,
                decimals: t.decimals,
                token_2022: t.token_2022,
            })
        });
        return Box::new(SolanaChain::new(
            config.rpc_url.as_str(),
            config.commitment().as_str(),
            tokens.collect(),
            timeout,
        ));
    }
    if config.is_tron() {
        return Box::new(TronChain::new(
            config.rpc_url.as_str(),
            config.api_key.as_ref().map(|k| k.0.clone()),
            config.fee_limit_sun(),
            timeout,
        ));
    }
    if config.is_bitcoin() {
        return Box::new(BitcoinChain::new(
            config.rpc_url.as_str(),
            config
                .bitcoin_auth()
                .expect("a validated Bitcoin chain has credentials"),
            config
                .network
                .expect("a validated Bitcoin chain has a network"),
            config.fee_rate_sat_vb(),
            timeout,
        ));
    }
    Box::new(EvmChain::new(
        config.rpc_url.as_str(),
        timeout,
        config.native_symbol(),
    ))
}

/// The configured chains by key ([`ChainConfig::key`]: Bitcoin's `"1"` is not Ethereum's).
#[derive(Default, Clone)]
pub struct Chains {
    by_key: HashMap<String, Arc<ChainRuntime>>,
}

impl Chains {
    pub fn from_config(config: &Config) -> Self {
        let timeout = Duration::from_secs(config.tracker.rpc_timeout_secs);
        let by_key = config
            .chains
            .iter()
            .map(|c| {
                (
                    c.key(),
                    Arc::new(ChainRuntime::new(c.clone(), family_adapter(c, timeout))),
                )
            })
            .collect();
        Self { by_key }
    }

    /// Every configured chain, in key order.
    pub fn all(&self) -> Vec<Arc<ChainRuntime>> {
        let mut chains: Vec<_> = self.by_key.values().cloned().collect();
        chains.sort_by_key(|c| c.config.key());
        chains
    }

    /// The chain `name` `chain_id`, if configured (`ETH` and `EVM` name the same chains).
    pub fn get(&self, name: ChainName, chain_id: &str) -> Option<Arc<ChainRuntime>> {
        self.by_key.get(&chain_key(name, chain_id)).cloned()
    }
}
