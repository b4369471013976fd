//! The operator's deposit commands: `sluice env set-deposit-key`, `sluice env show`,
//! `sluice env deposit-addresses`, `sluice env raise-deposit-index` and
//! `sluice env set-exchange`.
//! A key given here is checked before it is stored; a private key or seed phrase is refused
//! with a message that never repeats it, and nothing about it is logged.

use std::collections::BTreeMap;

use serde_json::json;
use sluice_domain::deposit_key::{ChainFamily, ExtendedPublicKey, Network};
use sluice_domain::deposit_transfer::DepositTransfer;
use sluice_domain::{EnvironmentId, Timestamp};
use sluice_store::{DepositKeyRecord, Environment, ExchangeRecord, Store};

use crate::console;
use crate::provision::CliResult;

pub async fn set_key(
    store: &dyn Store,
    env: EnvironmentId,
    family: &str,
    xpub: &str,
    now: Timestamp,
) -> CliResult {
    let family = parse_family(family)?;
    let key = ExtendedPublicKey::parse(xpub).map_err(|e| format!("--xpub: {e}"))?;
    let first = key
        .deposit_address(family, 0)
        .ok_or("this key cannot derive child 0/0; use another account key")?;
    let record = DepositKeyRecord {
        environment_id: env,
        family,
        xpub: key.to_base58(),
        fingerprint: key.fingerprint(),
        next_index: 0,
        updated_at: now,
    };
    store.set_deposit_key(&record).await?;
    console::notice(format_args!(
        "environment {env}: {} deposit key {} ({}) stored; derivation 0/0 is {first}. \
         Check that your wallet shows this address for the same key.",
        family.as_str(),
        record.fingerprint,
        network_name(key.network()),
    ));
    Ok(())
}

/// `sluice env raise-deposit-index`.
pub async fn raise_index(
    store: &dyn Store,
    env: EnvironmentId,
    family: &str,
    next: u32,
) -> CliResult {
    let family = parse_family(family)?;
    let before = store
        .deposit_keys(env)
        .await?
        .into_iter()
        .find(|k| k.family == family)
        .map(|k| k.next_index);
    let now = store
        .raise_deposit_index(env, family, i64::from(next))
        .await?
        .ok_or_else(|| {
            format!(
                "environment {env} has no {} deposit key; set one with `sluice env set-deposit-key`",
                family.as_str()
            )
        })?;
    let fam = family.as_str();
    match before {
        Some(before) if before >= i64::from(next) => console::notice(format_args!(
            "environment {env}: {fam} deposit addresses already continue at index {now}; nothing changed"
        )),
        _ => console::notice(format_args!(
            "environment {env}: {fam} deposit addresses continue at index {now} (was {})",
            before.unwrap_or(0)
        )),
    }
    Ok(())
}

fn parse_family(family: &str) -> Result<ChainFamily, String> {
    ChainFamily::parse(&family.to_ascii_uppercase())
        .ok_or_else(|| format!("unknown chain family {family:?}; use EVM, BTC or TRON"))
}

pub async fn show(store: &dyn Store, env: &Environment) -> CliResult {
    let keys = store.deposit_keys(env.id).await?;
    let keys: Vec<_> = keys
        .iter()
        .map(|k| {
            json!({
                "chainFamily": k.family.as_str(),
                "fingerprint": k.fingerprint,
                "nextIndex": k.next_index,
                "updatedAt": k.updated_at,
            })
        })
        .collect();
    let shown = json!({
        "environmentId": env.id,
        "name": env.name,
        "displayName": env.display_name,
        "allowedOrigins": env.allowed_origins,
        "enabledChains": env.enabled_chains,
        "depositKeys": keys,
        "createdAt": env.created_at,
    });
    println!("{}", serde_json::to_string_pretty(&shown)?);
    Ok(())
}

/// One JSON object per line (index order within each family), so that large lists stream
/// and tools can read them line by line.
pub async fn list_addresses(store: &dyn Store, env: EnvironmentId) -> CliResult {
    let addresses = store.deposit_addresses(env).await?;
    for a in &addresses {
        let deposits = match store.flow(env, a.flow_id).await? {
            Some(flow) => flow.deposits,
            None => Vec::new(),
        };
        let line = json!({
            "chainFamily": a.family.as_str(),
            "derivationPath": format!("0/{}", a.derivation_index),
            "index": a.derivation_index,
            "address": a.address,
            "flowId": a.flow_id,
            "createdAt": a.created_at,
            "received": received_by_token(&deposits),
        });
        println!("{line}");
    }
    console::notice(format_args!("{} deposit addresses", addresses.len()));
    Ok(())
}

/// What arrived at an address, summed per chain and token (counted or not: it is all the
/// merchant's money), with how much of it counted towards the flow.
fn received_by_token(deposits: &[DepositTransfer]) -> Vec<serde_json::Value> {
    let mut sums: BTreeMap<(&str, &str), (u128, u128, usize)> = BTreeMap::new();
    for d in deposits {
        let amount: u128 = d.amount.parse().unwrap_or(0);
        let entry = sums.entry((&d.chain_id, &d.token_address)).or_default();
        entry.0 = entry.0.saturating_add(amount);
        if d.counted {
            entry.1 = entry.1.saturating_add(amount);
        }
        entry.2 += 1;
    }
    sums.into_iter()
        .map(|((chain_id, token), (amount, counted, transfers))| {
            json!({"chainId": chain_id, "tokenAddress": token, "amount": amount.to_string(),
                   "countedAmount": counted.to_string(), "transfers": transfers})
        })
        .collect()
}

fn network_name(network: Network) -> &'static str {
    match network {
        Network::Main => "mainnet",
        Network::Test => "testnet",
    }
}

/// `set-exchange`: checks the provider and that the key file holds a usable key (its content
/// is never printed), and returns the settings to store, with the file's absolute path.
pub fn exchange_record(
    env: EnvironmentId,
    provider: &str,
    api_key_name: String,
    api_key_file: &std::path::Path,
    now: Timestamp,
) -> Result<ExchangeRecord, Box<dyn std::error::Error>> {
    match provider {
        "coinbase" => {}
        "kraken" => return Err("kraken offers no public purchase link, so it cannot fund a flow; only coinbase can be configured".into()),
        other => return Err(format!("unknown exchange provider {other:?}; use coinbase").into()),
    }
    if api_key_name.trim().is_empty() {
        return Err("--api-key-name must not be empty".into());
    }
    let path = std::path::absolute(api_key_file)?;
    let record = ExchangeRecord {
        environment_id: env,
        provider: provider.to_owned(),
        api_key_name,
        api_key_file: path.to_string_lossy().into_owned(),
        updated_at: now,
    };
    crate::payments::exchanges::read_key(&record)?;
    Ok(record)
}
