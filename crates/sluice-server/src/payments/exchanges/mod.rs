//! Exchanges that fund flows through a purchase link (today: Coinbase Onramp). An
//! environment's exchange settings name an API key file; each server reads the files at
//! start (`Exchanges::load`) and keeps the keys in memory, so an exchange is offered (P2,
//! attach) exactly when this server can sign for it. Kraken has no public purchase link and
//! is refused at attach (see `sluice_domain::attach`).

pub mod cdp_key;
pub mod coinbase;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use sluice_domain::EnvironmentId;
use sluice_domain::attach::ExchangeProvider;
use sluice_store::{ExchangeRecord, Store, StoreError};

use cdp_key::CdpKey;
use coinbase::{CoinbaseConfig, OnrampClient};

/// How P2 lists an exchange.
pub fn label(provider: ExchangeProvider) -> &'static str {
    match provider {
        ExchangeProvider::Coinbase => "Coinbase",
        ExchangeProvider::Kraken => "Kraken",
    }
}

/// Reads and parses the key file of `record`; the error names the file, never its content.
pub fn read_key(record: &ExchangeRecord) -> Result<CdpKey, String> {
    let path = &record.api_key_file;
    let content = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the API key file {path}: {e}"))?;
    CdpKey::parse(&record.api_key_name, &content)
        .map_err(|e| format!("the API key file {path} holds no usable key: {e}"))
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("environment {env}, exchange {provider}: {message}")]
    Key {
        env: EnvironmentId,
        provider: String,
        message: String,
    },
}

pub struct Exchanges {
    keys: RwLock<HashMap<(EnvironmentId, ExchangeProvider), Arc<CdpKey>>>,
    pub onramp: OnrampClient,
}

impl Exchanges {
    pub fn new(config: CoinbaseConfig) -> Self {
        Self {
            keys: RwLock::new(HashMap::new()),
            onramp: OnrampClient::new(config),
        }
    }

    /// Reads every environment's exchange keys (at start). A key that cannot be read stops
    /// the load with an error naming the environment and the file.
    pub async fn load(&self, store: &dyn Store) -> Result<usize, LoadError> {
        let mut keys = HashMap::new();
        for record in store.all_exchanges().await? {
            let Ok(provider) = record.provider.parse::<ExchangeProvider>() else {
                continue; // a provider this version does not know: not offered
            };
            let key = read_key(&record).map_err(|message| LoadError::Key {
                env: record.environment_id,
                provider: record.provider.clone(),
                message,
            })?;
            keys.insert((record.environment_id, provider), Arc::new(key));
        }
        let loaded = keys.len();
        *self.keys.write().expect("not poisoned") = keys;
        Ok(loaded)
    }

    /// The exchanges this server can use for `env`, in a stable order.
    pub fn configured(&self, env: EnvironmentId) -> Vec<ExchangeProvider> {
        let keys = self.keys.read().expect("not poisoned");
        let mut providers: Vec<_> = keys
            .keys()
            .filter(|(e, _)| *e == env)
            .map(|(_, p)| *p)
            .collect();
        providers.sort_by_key(|p| p.as_str());
        providers
    }

    pub fn key(&self, env: EnvironmentId, provider: ExchangeProvider) -> Option<Arc<CdpKey>> {
        self.keys
            .read()
            .expect("not poisoned")
            .get(&(env, provider))
            .cloned()
    }
}
