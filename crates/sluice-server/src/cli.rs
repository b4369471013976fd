//! The `sluice` command line. Every command that opens the database applies pending
//! migrations first. Commands that create something print exactly one line of JSON on
//! standard output (for scripts); everything meant for people goes to standard error.

use clap::{Parser, Subcommand};
use serde_json::json;
use sluice_domain::{ChainName, Clock, EnvironmentId, SystemClock, Timestamp};
use sluice_store::{Environment, SCOPES, Store};

use crate::provision::new_token;
pub use crate::provision::{CliResult, new_environment};
pub use crate::startup::ServeArgs;
use crate::store;
use sluice_domain::origin;

#[derive(Debug, Parser)]
#[command(name = "sluice", version, about = "Self-hosted crypto payment flows")]
pub struct Cli {
    /// Database: sqlite://PATH (created if missing) or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "SLUICE_DATABASE_URL",
        default_value = "sqlite://sluice.db",
        hide_env_values = true
    )]
    pub database_url: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server and its background workers.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage environments (tenants).
    #[command(subcommand)]
    Env(EnvCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the OpenAPI 3.1 document of every route (what `GET /api/v0/openapi.json`
    /// serves); opens no database.
    Openapi,
}

#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// Create an environment and its first API token (all scopes).
    Create {
        #[arg(long)]
        name: String,
        /// An allowed browser origin (scheme://host[:port], or :* for any port). Repeatable.
        #[arg(long = "origin")]
        origins: Vec<String>,
    },
    /// Allow one more browser origin.
    AddOrigin {
        #[arg(long)]
        env: EnvironmentId,
        #[arg(long)]
        origin: String,
    },
    /// Put an address on (or, with --remove, take it off) the environment's deny list.
    DenyAddress {
        #[arg(long)]
        env: EnvironmentId,
        #[arg(long, allow_hyphen_values = true)]
        address: String,
        #[arg(long)]
        remove: bool,
    },
    /// Store the extended public key (xpub, tpub, zpub or vpub) from which each flow's
    /// deposit address is derived, replacing an earlier one for that chain family. Never a
    /// private key or seed phrase: those are refused.
    SetDepositKey {
        #[arg(long)]
        env: EnvironmentId,
        /// EVM (every EVM chain) or BTC.
        #[arg(long)]
        chain_family: String,
        #[arg(long)]
        xpub: String,
    },
    /// List every deposit address handed out (chain family, derivation index 0/i, address,
    /// flow), to import into the merchant's wallet or reconcile against it.
    DepositAddresses {
        #[arg(long)]
        env: EnvironmentId,
    },
    /// After restoring a backup: hand out deposit addresses from derivation index N on, so
    /// that no address given to a payer after the backup was taken is given out again.
    /// Never lowers the index. Run it before any server starts on the restored database.
    RaiseDepositIndex {
        #[arg(long)]
        env: EnvironmentId,
        /// EVM or BTC.
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
        #[arg(long)]
        env: EnvironmentId,
        #[arg(long)]
        provider: String,
        #[arg(long)]
        api_key_name: String,
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
        #[arg(long)]
        env: EnvironmentId,
    },
    /// Restrict the chains the environment accepts, or accept every chain again with --all.
    SetChains {
        #[arg(long)]
        env: EnvironmentId,
        #[arg(long = "chain", required_unless_present = "all")]
        chains: Vec<String>,
        #[arg(long, conflicts_with = "chains")]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token (default: every scope).
    Create {
        #[arg(long)]
        env: EnvironmentId,
        /// flow.read, flow.write or webhook.write. Repeatable.
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// Revoke every token whose prefix (the 8 characters after `slc_`) is this.
    Revoke {
        /// Prefixes are base64url and may start with `-`.
        #[arg(long, allow_hyphen_values = true)]
        token_prefix: String,
    },
}

pub async fn run(cli: Cli) -> CliResult {
    if let Command::Openapi = cli.command {
        print!("{}", crate::http::openapi::document_json());
        return Ok(());
    }
    if let Command::Serve(args) = cli.command {
        return crate::startup::serve(args, &cli.database_url).await;
    }
    let store = store::connect(&cli.database_url).await?;
    let now = SystemClock.now();
    match cli.command {
        Command::Serve(_) => unreachable!("answered before the database is opened"),
        Command::Migrate => {
            eprintln!("migrations applied ({})", store.backend());
            Ok(())
        }
        Command::Env(command) => env_command(store.as_ref(), command, now).await,
        Command::Token(command) => token_command(store.as_ref(), command, now).await,
        Command::Openapi => unreachable!("answered before the database is opened"),
    }
}

async fn load_env(
    store: &dyn Store,
    id: EnvironmentId,
) -> Result<Environment, Box<dyn std::error::Error>> {
    store
        .environment(id)
        .await?
        .ok_or_else(|| format!("no environment {id}").into())
}

async fn env_command(store: &dyn Store, command: EnvCommand, now: Timestamp) -> CliResult {
    match command {
        EnvCommand::Create { name, origins } => {
            for o in &origins {
                origin::validate_entry(o)?;
            }
            let (env, token, secret) = new_environment(&name, origins, now);
            store.create_environment(&env, &token).await?;
            println!("{}", json!({ "environmentId": env.id, "apiToken": secret }));
            eprintln!(
                "Created environment {} ({name}). The API token is shown only once.",
                env.id
            );
        }
        EnvCommand::AddOrigin { env, origin } => {
            origin::validate_entry(&origin)?;
            let mut record = load_env(store, env).await?;
            if !record.allowed_origins.contains(&origin) {
                record.allowed_origins.push(origin.clone());
                store.update_environment(&record).await?;
            }
            eprintln!("{origin} is allowed for environment {env}");
        }
        EnvCommand::DenyAddress {
            env,
            address,
            remove,
        } => {
            load_env(store, env).await?;
            let key = sluice_domain::address::screening_key(address.trim());
            store.set_denied(env, &key, !remove).await?;
            eprintln!(
                "{address} is {} the deny list of environment {env}",
                if remove { "off" } else { "on" }
            );
        }
        EnvCommand::SetDepositKey {
            env,
            chain_family,
            xpub,
        } => {
            load_env(store, env).await?;
            crate::deposit_cli::set_key(store, env, &chain_family, &xpub, now).await?;
        }
        EnvCommand::RaiseDepositIndex {
            env,
            chain_family,
            next,
        } => {
            load_env(store, env).await?;
            crate::deposit_cli::raise_index(store, env, &chain_family, next).await?;
        }
        EnvCommand::SetExchange {
            env,
            provider,
            api_key_name,
            api_key_file,
        } => {
            load_env(store, env).await?;
            let record = crate::deposit_cli::exchange_record(
                env,
                &provider,
                api_key_name,
                &api_key_file,
                now,
            )?;
            store.set_exchange(&record).await?;
            eprintln!(
                "environment {env}: {provider} configured with API key {} (file {}); restart the servers to load it",
                record.api_key_name, record.api_key_file
            );
        }
        EnvCommand::DepositAddresses { env } => {
            load_env(store, env).await?;
            crate::deposit_cli::list_addresses(store, env).await?;
        }
        EnvCommand::SetDisplay { env, name } => {
            let shown = sluice_domain::display_name::check(&name)
                .map_err(|e| format!("--name: the display name {e}"))?;
            let mut record = load_env(store, env).await?;
            record.display_name = Some(shown.clone());
            store.update_environment(&record).await?;
            eprintln!("environment {env}: payers see \"Pay {shown}\" on the payment page");
        }
        EnvCommand::Show { env } => {
            let record = load_env(store, env).await?;
            crate::deposit_cli::show(store, &record).await?;
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
            eprintln!(
                "environment {env} accepts {}",
                if all {
                    "every chain".to_owned()
                } else {
                    chains.join(", ")
                }
            );
        }
    }
    Ok(())
}

async fn token_command(store: &dyn Store, command: TokenCommand, now: Timestamp) -> CliResult {
    match command {
        TokenCommand::Create { env, scopes } => {
            load_env(store, env).await?;
            let scopes = if scopes.is_empty() {
                SCOPES.iter().map(|s| (*s).to_owned()).collect()
            } else {
                scopes
            };
            if let Some(bad) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
                return Err(format!(
                    "unknown scope {bad:?}; use flow.read, flow.write or webhook.write"
                )
                .into());
            }
            let (record, secret) = new_token(env, scopes, now);
            store.create_api_token(&record).await?;
            println!(
                "{}",
                json!({ "apiToken": secret, "prefix": record.prefix, "scopes": record.scopes })
            );
            eprintln!(
                "Created token {} for environment {env}. It is shown only once.",
                record.prefix
            );
        }
        TokenCommand::Revoke { token_prefix } => {
            let revoked = store.revoke_api_tokens(&token_prefix, now).await?;
            if revoked == 0 {
                return Err(format!("no live token with prefix {token_prefix:?}").into());
            }
            eprintln!("revoked {revoked} token(s) with prefix {token_prefix}");
        }
    }
    Ok(())
}
