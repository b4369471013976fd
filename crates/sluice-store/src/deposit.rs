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

/// One allocated derivation index: the address it gave and the flow that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositAddressRecord {
    pub family: ChainFamily,
    pub derivation_index: i64,
    pub address: String,
    pub flow_id: sluice_domain::FlowId,
    pub created_at: Timestamp,
}

/// The address of derivation index `index` under a stored (normalised) key.
pub fn derive_deposit_address(
    xpub: &str,
    family: ChainFamily,
    index: i64,
) -> Result<String, crate::StoreError> {
    let key = sluice_domain::deposit_key::ExtendedPublicKey::parse(xpub)
        .map_err(|e| crate::StoreError::Corrupt(format!("stored deposit key: {e}")))?;
    let index = u32::try_from(index)
        .ok()
        .filter(|i| *i < 1 << 31)
        .ok_or_else(|| {
            crate::StoreError::Conflict(
                "the deposit key's 2^31 receive addresses are used up".into(),
            )
        })?;
    key.deposit_address(family, index).ok_or_else(|| {
        // BIP-32: a child whose tweak is out of range does not exist (probability < 2^-127).
        crate::StoreError::Conflict(format!("derivation index {index} has no valid key"))
    })
}

/// Why there is no address to allocate: the environment has no key for the family.
pub fn no_deposit_key(family: ChainFamily) -> sluice_domain::transitions::Rejection {
    sluice_domain::transitions::Rejection::DepositUnavailable(format!(
        "This environment has no {} deposit key; its operator sets one with `sluice env set-deposit-key`.",
        family.as_str()
    ))
}
