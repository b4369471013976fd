//! The configured chains at run time: each EVM chain ID with its settings and RPC client.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sluice_chain::EvmRpc;

use crate::config::{ChainConfig, Config};

pub struct ChainRuntime {
    pub config: ChainConfig,
    pub rpc: EvmRpc,
}

impl ChainRuntime {
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
                    Arc::new(ChainRuntime {
                        config: c.clone(),
                        rpc: EvmRpc::new(&c.rpc_url, timeout),
                    }),
                )
            })
            .collect();
        Self { by_chain_id }
    }

    /// Every configured EVM chain, in chain-ID order.
    pub fn all(&self) -> Vec<Arc<ChainRuntime>> {
        let mut chains: Vec<_> = self.by_chain_id.values().cloned().collect();
        chains.sort_by(|a, b| a.config.chain_id.cmp(&b.config.chain_id));
        chains
    }

    /// The EVM chain with this chain ID, if configured.
    pub fn evm(&self, chain_id: &str) -> Option<Arc<ChainRuntime>> {
        self.by_chain_id.get(chain_id).cloned()
    }
}
