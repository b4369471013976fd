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

use sluice_chain::{ChainFamily, EvmChain};
use sluice_domain::Timestamp;

use crate::config::{ChainConfig, Config};

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
    /// The node serves another chain.
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
                format!("wrong network: the node reports chain ID {reported}")
            }
        }
    }
}

pub struct ChainRuntime {
    pub config: ChainConfig,
    /// The chain's family adapter: every node call goes through it.
    pub node: Box<dyn ChainFamily>,
    identity: Mutex<(Identity, Option<Timestamp>)>,
}

impl ChainRuntime {
    pub fn new(config: ChainConfig, node: Box<dyn ChainFamily>) -> Self {
        Self {
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
            Ok(id) if id == self.config.chain_id => Identity::Proven,
            Ok(reported) => Identity::Mismatch { reported },
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

    /// Whether the deposit watcher sees transfers of `token` on this chain: the native token,
    /// or one of the chain's configured tokens (the only contracts its `eth_getLogs` names).
    pub fn watches_token(&self, token: &str) -> bool {
        token.eq_ignore_ascii_case(sluice_domain::deposit_transfer::NATIVE_TOKEN)
            || self
                .config
                .tokens
                .iter()
                .any(|t| t.address.eq_ignore_ascii_case(token))
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
    Box::new(EvmChain::new(
        config.rpc_url.as_str(),
        timeout,
        &config.native_symbol,
    ))
}

#[derive(Default, Clone)]
pub struct Chains {
    by_chain_id: HashMap<String, Arc<ChainRuntime>>,
}

impl Chains {
    pub fn from_config(config: &Config) -> Self {
        let timeout = Duration::from_secs(config.tracker.rpc_timeout_secs);
        let by_chain_id = config
            .chains
            .iter()
            .map(|c| {
                (
                    c.chain_id.clone(),
                    Arc::new(ChainRuntime::new(c.clone(), family_adapter(c, timeout))),
                )
            })
            .collect();
        Self { by_chain_id }
    }

    /// Every configured chain, in chain-ID order.
    pub fn all(&self) -> Vec<Arc<ChainRuntime>> {
        let mut chains: Vec<_> = self.by_chain_id.values().cloned().collect();
        chains.sort_by(|a, b| a.config.chain_id.cmp(&b.config.chain_id));
        chains
    }

    /// The chain with this chain ID, if configured.
    pub fn get(&self, chain_id: &str) -> Option<Arc<ChainRuntime>> {
        self.by_chain_id.get(chain_id).cloned()
    }
}
