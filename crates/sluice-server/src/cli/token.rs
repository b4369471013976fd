//! `sluice token …`: API tokens. A token's secret is printed once, at creation; listing
//! shows prefixes, scopes and times, never a secret or a hash.

use clap::Subcommand;
use serde_json::json;
use sluice_domain::{EnvironmentId, Timestamp};
use sluice_store::{SCOPES, Store};

use super::{CliResult, load_env};
use crate::console;
use crate::provision::new_token;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// List the environment's tokens, live and revoked, one JSON line each: prefix, scopes,
    /// created, last used (to within a minute), revoked. Never a secret.
    List {
        /// The environment whose tokens are listed.
        #[arg(long)]
        env: EnvironmentId,
    },
    /// Create an API token (default: every scope).
    Create {
        /// The environment, by the ID `env create` or `env list` printed.
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

pub(super) async fn run(store: &dyn Store, command: TokenCommand, now: Timestamp) -> CliResult {
    match command {
        TokenCommand::List { env } => {
            load_env(store, env).await?;
            let tokens = store.api_tokens(env).await?;
            for token in &tokens {
                println!(
                    "{}",
                    json!({
                        "prefix": token.prefix,
                        "scopes": token.scopes,
                        "createdAt": token.created_at,
                        "lastUsedAt": token.last_used_at,
                        "revokedAt": token.revoked_at,
                    })
                );
            }
            console::notice(format_args!(
                "{} token(s), {} live",
                tokens.len(),
                tokens.iter().filter(|t| t.revoked_at.is_none()).count()
            ));
        }
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
            console::notice(format_args!(
                "Created token {} for environment {env}. It is shown only once.",
                record.prefix
            ));
        }
        TokenCommand::Revoke { token_prefix } => {
            let revoked = store.revoke_api_tokens(&token_prefix, now).await?;
            if revoked == 0 {
                return Err(format!("no live token with prefix {token_prefix:?}").into());
            }
            console::notice(format_args!(
                "revoked {revoked} token(s) with prefix {token_prefix}"
            ));
        }
    }
    Ok(())
}
