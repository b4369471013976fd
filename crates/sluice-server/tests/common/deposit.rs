//! Deposit-address helpers shared by the deposit tests.

use serde_json::{Value, json};
use sluice_domain::deposit_key::{ChainFamily, ExtendedPublicKey};

use super::{START, TestApp};

/// BIP-32 test vector 1, m/0'.
pub const V1_M_0H: &str = "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw";

/// m/44'/60'/0' of the "abandon ×11 about" mnemonic (derived independently by
/// `scripts/bip44-account-xpub.py`): as a deposit key, flows 0 and 1 get that mnemonic's
/// published first two Ethereum accounts.
pub const BIP44_ETH_ACCOUNT: &str = "xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt";
pub const PUBLISHED_ACCOUNTS: [&str; 2] = [
    "0x9858EfFD232B4033E47d90003D41EC34EcaEda94",
    "0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0",
];

/// A deposit-address source on Base (chain 8453).
pub fn deposit_source() -> Value {
    json!({"sourceType": "deposit_address", "fromChainId": "8453", "fromChainName": "EVM"})
}

/// Stores `key` as the test environment's EVM deposit key.
pub async fn set_evm_key(app: &TestApp, key: &str) -> ExtendedPublicKey {
    let parsed = ExtendedPublicKey::parse(key).unwrap();
    let record = sluice_store::DepositKeyRecord {
        environment_id: app.env_id,
        family: ChainFamily::Evm,
        xpub: parsed.to_base58(),
        fingerprint: parsed.fingerprint(),
        next_index: 0,
        updated_at: START,
    };
    app.store.set_deposit_key(&record).await.unwrap();
    parsed
}
