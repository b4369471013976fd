//! The `sluice` command line. Every command that opens the database applies pending
//! migrations first. Commands that create something print exactly one line of JSON on
//! standard output (for scripts); everything meant for people goes to standard error.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde_json::json;
use sluice_domain::token::{api_token_prefix, mint_api_token};
use sluice_domain::{ChainName, Clock, EnvironmentId, SystemClock, Timestamp};
use sluice_store::{ApiTokenRecord, Environment, SCOPES, Store};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::webhooks::WebhookKey;
use crate::workers::delivery::DeliveryWorker;
use crate::workers::deposits::DepositWatcher;
use crate::workers::expiry::ExpirySweeper;
use crate::workers::tracker::SettlementTracker;
use crate::{AppState, origin, store, workers};

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

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SLUICE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Configuration file (chains, prices, timings); see config/default.toml.
    #[arg(long, env = "SLUICE_CONFIG")]
    pub config: Option<String>,
    /// Where payers reach this server (the hosted payment page's links); default: the listen
    /// address. Its origin is allowed on every environment's payer routes.
    #[arg(long, env = "SLUICE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seconds between expiry sweeps when there is nothing to expire.
    #[arg(long, env = "SLUICE_EXPIRY_INTERVAL_SECS", default_value_t = 5)]
    pub expiry_interval_secs: u64,
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
    /// Print the environment: origins, chains, and deposit-key fingerprints (never a key).
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

pub type CliResult = Result<(), Box<dyn std::error::Error>>;

pub async fn run(cli: Cli) -> CliResult {
    if let Command::Openapi = cli.command {
        print!("{}", crate::openapi::document_json());
        return Ok(());
    }
    let store = store::connect(&cli.database_url).await?;
    let now = SystemClock.now();
    match cli.command {
        Command::Serve(args) => serve(store, args, &cli.database_url).await,
        Command::Migrate => {
            eprintln!("migrations applied ({})", store.backend());
            Ok(())
        }
        Command::Env(command) => env_command(store.as_ref(), command, now).await,
        Command::Token(command) => token_command(store.as_ref(), command, now).await,
        Command::Openapi => unreachable!("answered before the database is opened"),
    }
}

/// A new environment record with its first all-scopes token; returns the token's clear text.
pub fn new_environment(
    name: &str,
    origins: Vec<String>,
    now: Timestamp,
) -> (Environment, ApiTokenRecord, String) {
    let env = Environment {
        id: EnvironmentId::new_random(),
        name: name.to_owned(),
        allowed_origins: origins,
        enabled_chains: None,
        created_at: now,
    };
    let scopes = SCOPES.iter().map(|s| (*s).to_owned()).collect();
    let (token, secret) = new_token(env.id, scopes, now);
    (env, token, secret)
}

fn new_token(env: EnvironmentId, scopes: Vec<String>, now: Timestamp) -> (ApiTokenRecord, String) {
    let minted = mint_api_token();
    let prefix = api_token_prefix(&minted.secret)
        .expect("minted tokens have a prefix")
        .to_owned();
    let record = ApiTokenRecord {
        environment_id: env,
        prefix,
        hash: minted.hash,
        scopes,
        created_at: now,
        revoked_at: None,
    };
    (record, minted.secret)
}

/// The webhook key, from `SLUICE_WEBHOOK_KEY`, else `webhooks.signing_key_file`, else (SQLite
/// only) a key file beside the database, created on first start. Several instances on one
/// PostgreSQL database must share one key, so PostgreSQL requires it to be configured.
fn webhook_key(
    config: &Config,
    database_url: &str,
) -> Result<WebhookKey, Box<dyn std::error::Error>> {
    if let Ok(text) = std::env::var("SLUICE_WEBHOOK_KEY") {
        return Ok(WebhookKey::parse(&text).map_err(|e| format!("SLUICE_WEBHOOK_KEY: {e}"))?);
    }
    let path = match (
        &config.webhooks.signing_key_file,
        database_url.strip_prefix("sqlite://"),
    ) {
        (Some(path), _) => std::path::PathBuf::from(path),
        (None, Some(db)) => std::path::PathBuf::from(format!(
            "{}.webhook-key",
            db.split('?').next().unwrap_or(db)
        )),
        (None, None) => {
            return Err("set SLUICE_WEBHOOK_KEY (base64 of 32 random bytes, e.g. `openssl rand -base64 32`) or webhooks.signing_key_file, the same on every instance".into());
        }
    };
    if path.exists() {
        let text = std::fs::read_to_string(&path)?;
        return Ok(WebhookKey::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    let key = WebhookKey::random();
    write_private(&path, &key.encode())?;
    eprintln!(
        "Created the webhook key {} (keep it with the database; it signs every webhook).",
        path.display()
    );
    Ok(key)
}

/// Writes a file only its owner can read.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

async fn serve(store: Arc<dyn Store>, args: ServeArgs, database_url: &str) -> CliResult {
    let now = SystemClock.now();
    let (env, token, secret) = new_environment("default", vec!["http://localhost:*".into()], now);
    if store.create_first_environment(&env, &token).await? {
        println!("{}", json!({ "environmentId": env.id, "apiToken": secret }));
        eprintln!(
            "Created the default environment {} (origins http://localhost:*). The API token above is shown only once.",
            env.id
        );
    }
    let config = Config::load(args.config.as_deref())?;
    let webhook_key = webhook_key(&config, database_url)?;
    let tracker_interval = Duration::from_secs(config.tracker.interval_secs);
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    eprintln!(
        "sluice listening on http://{} ({} database, {} chain(s) configured)",
        listener.local_addr()?,
        store.backend(),
        config.chains.len()
    );
    let webhook_interval = Duration::from_secs(config.webhooks.worker_interval_secs);
    let app =
        AppState::with_config(store, Arc::new(SystemClock), config).with_webhook_key(webhook_key);
    let public_url = match &args.public_url {
        Some(text) => crate::public_url::PublicUrl::parse(text)?,
        None => crate::public_url::PublicUrl::parse(&format!("http://{}", listener.local_addr()?))?,
    };
    let app = app.with_public_url(public_url);
    let exchanges = app.exchanges.load(app.store.as_ref()).await?;
    if exchanges > 0 {
        eprintln!("{exchanges} exchange API key(s) loaded");
    }
    let shutdown = CancellationToken::new();
    let expiry_interval = Duration::from_secs(args.expiry_interval_secs);
    let sweeper = tokio::spawn(workers::run(
        ExpirySweeper::new(app.clone()),
        expiry_interval,
        shutdown.clone(),
    ));
    let tracker = tokio::spawn(workers::run(
        SettlementTracker::new(app.clone()),
        tracker_interval,
        shutdown.clone(),
    ));
    let deliveries = tokio::spawn(workers::dispatch::run(
        Arc::new(DeliveryWorker::new(app.clone())),
        webhook_interval,
        shutdown.clone(),
    ));
    let deposit_interval = Duration::from_secs(app.config.deposits.interval_secs);
    let deposits = tokio::spawn(workers::run(
        DepositWatcher::new(app.clone()),
        deposit_interval,
        shutdown.clone(),
    ));
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    crate::serve(listener, app, shutdown.clone()).await?;
    shutdown.cancel();
    sweeper.await?;
    tracker.await?;
    deliveries.await?;
    deposits.await?;
    eprintln!("sluice stopped");
    Ok(())
}

async fn cancel_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        () = term => {}
    }
    eprintln!("shutting down: finishing requests in flight");
    shutdown.cancel();
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
