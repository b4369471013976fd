//! Deposit keys as stored: one extended public key per environment and chain family, and the
//! next derivation index to hand out. The index belongs to the (environment, family) pair,
//! not to the key, so replacing a key never makes an index come round again.

use sluice_domain::deposit_key::ChainFamily;
use sluice_domain::{EnvironmentId, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositKeyRecord {
    pub environment_id: EnvironmentId,
    pub family: ChainFamily,
    /// The normalised form (`xpub`/`tpub`): public, but it links every deposit address of
    /// the environment, so it is shown only to the operator's CLI, never in the API.
    pub xpub: String,
    /// BIP-32 fingerprint of the key, what the CLI and logs show.
    pub fingerprint: String,
    /// The index the next flow gets; indexes below it are taken.
    pub next_index: i64,
    pub updated_at: Timestamp,
}

/// Reads a stored chain family; anything else is corrupt data.
pub fn decode_family(text: &str) -> Result<ChainFamily, crate::StoreError> {
    ChainFamily::parse(text)
        .ok_or_else(|| crate::StoreError::Corrupt(format!("chain family {text:?}")))
}
