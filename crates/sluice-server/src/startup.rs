//! `sluice serve`: checks everything a start needs before it creates anything, then runs the
//! server and its workers until a signal. A start that fails (a missing config file, a
//! PostgreSQL deployment without its webhook key, a port in use, a second server on the same
//! SQLite file) exits with a message and leaves nothing behind that changes the next start:
//! in particular the default environment, whose API token is printed only once, is created
//! only after every check has passed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use serde_json::json;
use sluice_domain::{Clock, SystemClock};
use sluice_store::Store;
use tokio_util::sync::CancellationToken;

use crate::chains::Identity;
use crate::config::Config;
use crate::console;
use crate::provision::{CliResult, new_environment};
use crate::public_url::PublicUrl;
use crate::webhooks::WebhookKey;
use crate::{AppState, store};

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
    /// Serve `/metrics` only here (a private address such as 127.0.0.1:9090 or an internal
    /// interface), not on --listen. Default: `/metrics` is on --listen.
    #[arg(long, env = "SLUICE_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
    /// Seconds between expiry sweeps when there is nothing to expire.
    #[arg(long, env = "SLUICE_EXPIRY_INTERVAL_SECS", default_value_t = 5)]
    pub expiry_interval_secs: u64,
}

pub async fn serve(args: ServeArgs, database_url: &str) -> CliResult {
    let config = Config::load(args.config.as_deref())?;
    let _lock = lock_sqlite_file(database_url)?;
    let public_url = public_url(&args)?;
    let webhook_key = webhook_key(&config, database_url)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let metrics_listener = match args.metrics_listen {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen on {addr} (--metrics-listen): {e}"))?,
        ),
        None => None,
    };
    let store = store::connect(database_url).await?;
    let app =
        AppState::with_config(store, Arc::new(SystemClock), config).with_webhook_key(webhook_key);
    let app = match public_url {
        Some(url) => app.with_public_url(url),
        None => app,
    };
    let app = match metrics_listener {
        Some(_) => app.with_metrics_elsewhere(),
        None => app,
    };
    let exchanges = app.exchanges.load(app.store.as_ref()).await?;
    prove_chains(&app).await?;
    create_default_environment(app.store.as_ref()).await?;
    if let Some(metrics) = &metrics_listener {
        console::notice(format_args!(
            "metrics on http://{}/metrics (and not on the main listener)",
            metrics.local_addr()?
        ));
    }
    console::notice(format_args!(
        "sluice listening on http://{} ({} database, {} chain(s) configured)",
        listener.local_addr()?,
        app.store.backend(),
        app.config.chains.len()
    ));
    if exchanges > 0 {
        console::notice(format_args!("{exchanges} exchange API key(s) loaded"));
    }
    run(listener, metrics_listener, app, args.expiry_interval_secs).await
}

/// Every configured chain's node must serve the configured chain (spec §10.4): a node that
/// reports another chain ID stops the start; one that does not answer is asked again before
/// its first use, and nothing is quoted, prepared or settled on it until it has answered.
async fn prove_chains(app: &AppState) -> CliResult {
    for chain in app.chains.all() {
        let (name, id) = (&chain.config.chain_name, &chain.config.chain_id);
        let expected = chain.config.network_label(&chain.config.expected_network());
        match chain.ensure_proven(SystemClock.now()).await {
            Ok(()) => {}
            Err(Identity::Mismatch { reported }) => {
                return Err(format!(
                    "chain {name} {id}: its node (rpc_url) reports {reported}, not {expected}; fix rpc_url or the chain's settings"
                )
                .into());
            }
            Err(other) => console::warning(format_args!(
                "chain {name} {id}: the node is {}; it is asked again before first use, and nothing is quoted, prepared or settled on it until it answers {expected}",
                other.describe()
            )),
        }
    }
    Ok(())
}

/// The first start of an empty database creates the default environment and prints its API
/// token, once.
async fn create_default_environment(store: &dyn Store) -> CliResult {
    let (env, token, secret) = new_environment(
        "default",
        vec!["http://localhost:*".into()],
        SystemClock.now(),
    );
    if store.create_first_environment(&env, &token).await? {
        println!("{}", json!({ "environmentId": env.id, "apiToken": secret }));
        console::notice(format_args!(
            "Created the default environment {} (origins http://localhost:*). The API token above is shown only once.",
            env.id
        ));
    }
    Ok(())
}

/// Where payers reach this server: `--public-url`, else the listen address — unless that is
/// the unspecified address (`0.0.0.0`, `::`), which no browser can open: then there is no
/// public URL, and payment links need a `baseUrl` until one is configured.
fn public_url(args: &ServeArgs) -> Result<Option<PublicUrl>, String> {
    if let Some(text) = &args.public_url {
        let url = PublicUrl::parse(text)?;
        if url.host_is_unspecified() {
            return Err(format!(
                "--public-url {text:?}: 0.0.0.0 and [::] are not addresses a payer can open; use the host name or address payers reach"
            ));
        }
        return Ok(Some(url));
    }
    if args.listen.ip().is_unspecified() {
        console::warning(format_args!(
            "listening on {} without --public-url: payment links without baseUrl are refused and the hosted page has no address to link to; pass --public-url https://your.host",
            args.listen
        ));
        return Ok(None);
    }
    Ok(Some(PublicUrl::parse(&format!("http://{}", args.listen))?))
}

/// A lock on `<database file>.lock`, held until the process exits (the operating system
/// releases it even after `kill -9`). Two servers on one SQLite file would each cache what
/// they wrote and read stale rows; several instances need PostgreSQL.
pub struct SqliteLock(#[allow(dead_code)] Option<std::fs::File>);

fn lock_sqlite_file(database_url: &str) -> Result<SqliteLock, String> {
    let Some(path) = store::sqlite_path(database_url) else {
        return Ok(SqliteLock(None));
    };
    let lock_path = PathBuf::from(format!("{}.lock", path.display()));
    let file = open_private(&lock_path, false)
        .map_err(|e| format!("cannot open the lock file {}: {e}", lock_path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(SqliteLock(Some(file))),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "another `sluice serve` is running on {} (it holds {}); stop it first — several instances need PostgreSQL",
            path.display(),
            lock_path.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(format!("cannot lock {}: {e}", lock_path.display()))
        }
    }
}

/// Opens (creating if needed) a file only its owner can read.
fn open_private(path: &Path, create_new: bool) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if create_new {
        options.create_new(true);
    } else {
        options.create(true).truncate(false);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
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
        store::sqlite_path(database_url),
    ) {
        (Some(path), _) => path.clone(),
        (None, Some(db)) => PathBuf::from(format!("{}.webhook-key", db.display())),
        (None, None) => {
            return Err("set SLUICE_WEBHOOK_KEY (base64 of 32 random bytes, e.g. `openssl rand -base64 32`) or webhooks.signing_key_file, the same on every instance".into());
        }
    };
    if path.exists() {
        let text = std::fs::read_to_string(&path)?;
        return Ok(WebhookKey::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    let key = WebhookKey::random();
    std::io::Write::write_all(&mut open_private(&path, true)?, key.encode().as_bytes())?;
    console::notice(format_args!(
        "Created the webhook key {} (keep it with the database; it signs every webhook).",
        path.display()
    ));
    Ok(key)
}

/// Runs the server with its workers (`crate::run`), and the metrics listener if there is
/// one, until a signal.
async fn run(
    listener: tokio::net::TcpListener,
    metrics_listener: Option<tokio::net::TcpListener>,
    app: AppState,
    expiry_secs: u64,
) -> CliResult {
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    if let Some(metrics) = metrics_listener {
        let (router, http) = (
            crate::http::metrics::router(app.clone()),
            app.config.http.clone(),
        );
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            if let Err(e) = crate::connections::serve(metrics, router, &http, shutdown).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    let workers = crate::Workers::Background {
        expiry_interval: Duration::from_secs(expiry_secs),
    };
    crate::run(listener, app, workers, shutdown).await?;
    console::notice(format_args!("sluice stopped"));
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
    console::notice(format_args!(
        "shutting down: finishing requests in flight (up to http.shutdown_grace_secs)"
    ));
    shutdown.cancel();
}
