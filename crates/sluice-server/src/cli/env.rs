//! `sluice env …`: environments (tenants), their origins, chains, deny list, display name,
//! deposit keys and exchange settings. Deposit and exchange commands live in `deposits`.

use clap::Subcommand;
use serde_json::json;
use sluice_domain::{ChainName, EnvironmentId, Timestamp, origin};
use sluice_store::Store;

use super::{CliResult, deposits, load_env, new_environment};
use crate::console;

#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// List every environment, one JSON line each (ID, name, display name, origins, chains,
    /// created); never a token.
    List,
    /// Create an environment and its first API token (all scopes).
    Create {
        /// The operator's label for it (payers never see it; see set-display).
        #[arg(long)]
        name: String,
        /// An allowed browser origin (scheme://host[:port], or :* for any port). Repeatable.
        #[arg(long = "origin")]
        origins: Vec<String>,
    },
    /// Allow one more browser origin.
    AddOrigin {
        /// The environment, by the ID `env create` or `env list` printed.
        #[arg(long)]
        env: EnvironmentId,
        /// scheme://host[:port], lower case, no path; http://localhost:* allows any port.
        #[arg(long)]
        origin: String,
    },
    /// Put an address on (or, with --remove, take it off) the environment's deny list.
    DenyAddress {
        /// The environment, by the ID `env create` or `env list` printed.
        #[arg(long)]
        env: EnvironmentId,
        /// The address, in any of its chain's accepted spellings.
        #[arg(long, allow_hyphen_values = true)]
        address: String,
        /// Take the address off the list instead.
        #[arg(long)]
        remove: bool,
    },
    /// Store the extended public key (xpub, tpub, zpub or vpub) from which each flow's
    /// deposit address is derived, replacing an earlier one for that chain family. Never a
    /// private key or seed phrase: those are refused.
    SetDepositKey {
        /// The environment, by the ID `env create` or `env list` printed.
        #[arg(long)]
        env: EnvironmentId,
        /// EVM (every EVM chain), BTC or TRON.
        #[arg(long)]
        chain_family: String,
        /// The account-level extended public key (xpub, tpub, zpub or vpub).
        #[arg(long)]
        xpub: String,
    },
    /// List every deposit address handed out (chain family, derivation index 0/i, address,
    /// flow), to import into the merchant's wallet or reconcile against it.
    DepositAddresses {
        /// The environment, by the ID `env create` or `env list` printed.
        #[arg(long)]
        env: EnvironmentId,
    },
    /// After restoring a backup: hand out deposit addresses from derivation index N on, so
    /// that no address given to a payer after the backup was taken is given out again.
    /// Never lowers the index. Run it before any server starts on the restored database.
    RaiseDepositIndex {
        /// The environment, by the ID `env create` or `env list` printed.
        #[arg(long)]
        env: EnvironmentId,
        /// EVM, BTC or TRON.
        #[arg(long)]
        chain_family: String,
        /// The lowest index that may be handed out from now on: one more than the highest
        /// index the merchant's wallet or the newest `env deposit-addresses` export shows.
        #[arg(long, value_name = "N")]
        next: u32,
    },
    /// Let payers buy through an exchange: stores the API key's name and the path of the file
    /// holding it (read by each server at start; never printed). Only coinbase (Onramp).
    SetExchange {
        /// The environment, by the ID `env create` or `env list` printed.
        #[arg(long)]
        env: EnvironmentId,
        /// The exchange: coinbase.
        #[arg(long)]
        provider: String,
        /// The CDP API key's name (organizations/…/apiKeys/…).
        #[arg(long)]
        api_key_name: String,
        /// The file holding the CDP API key's private key (PEM or base64); each server
        /// reads it at start, so it must exist on every server host.
        #[arg(long)]
        api_key_file: std::path::PathBuf,
    },
    /// Set the merchant name payers see on the hosted payment page ("Pay NAME").
    SetDisplay {
        /// The environment whose payment page shows the name.
        #[arg(long)]
        env: EnvironmentId,
        /// The name as payers should see it: 1 to 100 characters after trimming spaces, no
        /// control or text-direction characters.
        #[arg(long)]
        name: String,
    },
    /// Print the environment: display name, origins, chains, and deposit-key fingerprints
    /// (never a key).
    Show {
        /// The environment, by the ID `env create` or `env list` printed.
        #[arg(long)]
        env: EnvironmentId,
    },
    /// Restrict the chains the environment accepts, or accept every chain again with --all.
    SetChains {
        /// The environment, by the ID `env create` or `env list` printed.
        #[arg(long)]
        env: EnvironmentId,
        /// A chain name the environment accepts (EVM, ETH, BTC, …). Repeatable.
        #[arg(long = "chain", required_unless_present = "all")]
        chains: Vec<String>,
        /// Accept every chain name again.
        #[arg(long, conflicts_with = "chains")]
        all: bool,
    },
}

pub(super) async fn run(store: &dyn Store, command: EnvCommand, now: Timestamp) -> CliResult {
    match command {
        EnvCommand::List => list(store).await?,
        EnvCommand::Create { name, origins } => {
            for o in &origins {
                origin::validate_entry(o)?;
            }
            let (env, token, secret) = new_environment(&name, origins, now);
            store.create_environment(&env, &token).await?;
            println!("{}", json!({ "environmentId": env.id, "apiToken": secret }));
            console::notice(format_args!(
                "Created environment {} ({name}). The API token is shown only once.",
                env.id
            ));
        }
        EnvCommand::AddOrigin { env, origin } => {
            origin::validate_entry(&origin)?;
            let mut record = load_env(store, env).await?;
            if !record.allowed_origins.contains(&origin) {
                record.allowed_origins.push(origin.clone());
                store.update_environment(&record).await?;
            }
            console::notice(format_args!("{origin} is allowed for environment {env}"));
        }
        EnvCommand::DenyAddress {
            env,
            address,
            remove,
        } => {
            load_env(store, env).await?;
            let key = sluice_domain::address::screening_key(address.trim());
            store.set_denied(env, &key, !remove).await?;
            console::notice(format_args!(
                "{address} is {} the deny list of environment {env}",
                if remove { "off" } else { "on" }
            ));
        }
        EnvCommand::SetDepositKey {
            env,
            chain_family,
            xpub,
        } => {
            load_env(store, env).await?;
            deposits::set_key(store, env, &chain_family, &xpub, now).await?;
        }
        EnvCommand::RaiseDepositIndex {
            env,
            chain_family,
            next,
        } => {
            load_env(store, env).await?;
            deposits::raise_index(store, env, &chain_family, next).await?;
        }
        EnvCommand::SetExchange {
            env,
            provider,
            api_key_name,
            api_key_file,
        } => {
            load_env(store, env).await?;
            let record =
                deposits::exchange_record(env, &provider, api_key_name, &api_key_file, now)?;
            store.set_exchange(&record).await?;
            console::notice(format_args!(
                "environment {env}: {provider} configured with API key {} (file {}); restart the servers to load it",
                record.api_key_name, record.api_key_file
            ));
        }
        EnvCommand::DepositAddresses { env } => {
            load_env(store, env).await?;
            deposits::list_addresses(store, env).await?;
        }
        EnvCommand::SetDisplay { env, name } => {
            let shown = sluice_domain::display_name::check(&name)
                .map_err(|e| format!("--name: the display name {e}"))?;
            let mut record = load_env(store, env).await?;
            record.display_name = Some(shown.clone());
            store.update_environment(&record).await?;
            console::notice(format_args!(
                "environment {env}: payers see \"Pay {shown}\" on the payment page"
            ));
        }
        EnvCommand::Show { env } => {
            let record = load_env(store, env).await?;
            deposits::show(store, &record).await?;
        }
        EnvCommand::SetChains { env, chains, all } => {
            let mut record = load_env(store, env).await?;
            record.enabled_chains = if all {
                None
            } else {
                let parsed = chains
                    .iter()
                    .map(|c| {
                        c.parse::<ChainName>().map_err(|()| {
                            format!(
                                "unknown chain {c:?}; use one of: {}",
                                ChainName::spellings()
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Some(parsed)
            };
            store.update_environment(&record).await?;
            console::notice(format_args!(
                "environment {env} accepts {}",
                if all {
                    "every chain".to_owned()
                } else {
                    chains.join(", ")
                }
            ));
        }
    }
    Ok(())
}

async fn list(store: &dyn Store) -> CliResult {
    let all = store.environments().await?;
    for env in &all {
        let chains = env
            .enabled_chains
            .as_ref()
            .map(|c| c.iter().map(|n| n.as_str()).collect::<Vec<_>>());
        println!(
            "{}",
            json!({
                "environmentId": env.id,
                "name": env.name,
                "displayName": env.display_name,
                "allowedOrigins": env.allowed_origins,
                "enabledChains": chains,
                "createdAt": env.created_at,
            })
        );
    }
    console::notice(format_args!("{} environment(s)", all.len()));
    Ok(())
}
