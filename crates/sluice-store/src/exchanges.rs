//! Exchange settings as stored: which exchange an environment uses and where its API key is.
//! The key stays in its file (read by each server at start); the database holds its name and
//! path only.

use sluice_domain::{EnvironmentId, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeRecord {
    pub environment_id: EnvironmentId,
    /// `coinbase`.
    pub provider: String,
    /// The API key's name (CDP: `organizations/…/apiKeys/…` or the key ID); not a secret.
    pub api_key_name: String,
    /// Absolute path of the file holding the private key.
    pub api_key_file: String,
    pub updated_at: Timestamp,
}
