//! One configured Solana chain: its network's identity (the genesis hash, and each accepted
//! mint under the token program configured for it) and where watched payments are. Solana
//! cannot list a block's transactions cheaply, so the scan never reads blocks: it asks for
//! the watched signatures' statuses, 256 a call (`getSignatureStatuses`), so its calls grow
//! with open payments / 256 and not with slots.
//!
//! A block is named by its slot. At the configured commitment a slot's block is settled
//! (`finalized`: rooted, never rolled back; `confirmed`: voted on by a supermajority), so the
//! chain watch's reorg checks, which compare block hashes, compare slots here.

use std::collections::HashMap;
use std::time::Duration;

use super::pubkey::{Pubkey, TOKEN_2022_PROGRAM, TOKEN_PROGRAM};
use super::rpc::{SignatureStatus, SolanaRpc};
use crate::RpcError;
use crate::family::{ScannedRange, Sighting, Watch};

/// The genesis hash of Solana's public clusters, by chain ID (spec §10: 101 mainnet-beta,
/// 102 testnet, 103 devnet).
pub fn known_genesis(chain_id: &str) -> Option<&'static str> {
    match chain_id {
        "101" => Some("5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d"),
        "102" => Some("4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY"),
        "103" => Some("EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG"),
        _ => None,
    }
}

/// Blocks past a blockhash's own for which Solana accepts a transaction made on it
/// (`MAX_PROCESSING_AGE`).
pub const BLOCKHASH_LIFETIME: u64 = 150;

/// An accepted SPL mint.
#[derive(Debug, Clone)]
pub struct SolanaToken {
    pub mint: Pubkey,
    pub decimals: u8,
    /// Whether the mint is a Token-2022 mint (refused unless configured so).
    pub token_2022: bool,
}

impl SolanaToken {
    pub fn program(&self) -> Pubkey {
        Pubkey::program(if self.token_2022 {
            TOKEN_2022_PROGRAM
        } else {
            TOKEN_PROGRAM
        })
    }
}

pub struct SolanaChain {
    rpc: SolanaRpc,
    /// `finalized` or `confirmed`: what counts as landed.
    commitment: String,
    tokens: HashMap<String, SolanaToken>,
}

impl SolanaChain {
    pub fn new(url: &str, commitment: &str, tokens: Vec<SolanaToken>, timeout: Duration) -> Self {
        Self {
            rpc: SolanaRpc::new(url, commitment, timeout),
            commitment: commitment.to_owned(),
            tokens: tokens
                .into_iter()
                .map(|t| (t.mint.to_string(), t))
                .collect(),
        }
    }

    pub fn rpc(&self) -> &SolanaRpc {
        &self.rpc
    }

    /// The configured mint `text`; a token the configuration does not name is refused.
    pub fn token(&self, text: &str) -> Result<&SolanaToken, RpcError> {
        self.tokens
            .get(text)
            .ok_or_else(|| RpcError::Malformed(format!("{text} is not a configured mint")))
    }

    /// The network's identity as the node shows it: the genesis hash when every configured
    /// mint exists under the token program configured for it, else what is wrong, so that
    /// the chain is refused like a node of another network (spec §10.4).
    pub async fn identity(&self) -> Result<String, RpcError> {
        let genesis = self.rpc.genesis_hash().await?;
        let mut mints: Vec<_> = self.tokens.values().collect();
        mints.sort_by_key(|t| t.mint.to_string());
        for token in mints {
            let owner = self.rpc.account_owner(&token.mint.to_string()).await?;
            let wanted = token.program().to_string();
            match owner {
                Some(owner) if owner == wanted => {}
                Some(owner) if owner == TOKEN_2022_PROGRAM => {
                    return Ok(format!(
                        "{genesis}, where {} is a Token-2022 mint (accepted only with token_2022 = true)",
                        token.mint
                    ));
                }
                Some(owner) => {
                    return Ok(format!(
                        "{genesis}, where {} is an account of {owner}, not a mint of {wanted}",
                        token.mint
                    ));
                }
                None => {
                    return Ok(format!(
                        "{genesis}, where mint {} does not exist",
                        token.mint
                    ));
                }
            }
        }
        Ok(genesis)
    }

    /// Whether a status has reached the configured commitment.
    fn settled(&self, status: &SignatureStatus) -> bool {
        match status.confirmation_status.as_deref() {
            Some("finalized") => true,
            Some("confirmed") => self.commitment == "confirmed",
            // An old node leaves `confirmationStatus` out: `confirmations: null` is rooted.
            None => status.confirmations.is_none(),
            _ => false,
        }
    }

    /// Where `signature` landed, if it has at the configured commitment.
    pub async fn landed(&self, signature: &str) -> Result<Option<Sighting>, RpcError> {
        let statuses = self.rpc.signature_statuses(&[signature.to_owned()]).await?;
        Ok(statuses
            .into_iter()
            .flatten()
            .find(|s| self.settled(s))
            .map(|s| sighting(signature, s.slot)))
    }

    /// The watched payments that landed at the configured commitment in a slot up to `to`
    /// (one landed later is sighted by a later step, once the head has passed it).
    pub async fn scan(&self, to: u64, watch: &Watch<'_>) -> Result<ScannedRange, RpcError> {
        let mut signatures: Vec<String> = watch.payments.iter().cloned().collect();
        signatures.sort();
        let statuses = self.rpc.signature_statuses(&signatures).await?;
        let payments = signatures
            .iter()
            .zip(statuses)
            .filter_map(|(signature, status)| {
                let status = status.filter(|s| self.settled(s) && s.slot <= to)?;
                Some(sighting(signature, status.slot))
            })
            .collect();
        Ok(ScannedRange {
            payments,
            ..ScannedRange::default()
        })
    }
}

/// A block's name on Solana: its slot.
pub fn slot_name(slot: u64) -> String {
    slot.to_string()
}

fn sighting(signature: &str, slot: u64) -> Sighting {
    Sighting {
        tx_hash: signature.to_owned(),
        block_number: slot,
        block_hash: slot_name(slot),
    }
}
