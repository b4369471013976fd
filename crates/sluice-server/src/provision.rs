//! What the command-line modules share: their result type, and how a new environment and its
//! first API token are made (by `sluice env create`, by the first `sluice serve`, by tests).
//! Kept apart so that `cli` and `startup` import it instead of each other.

use sluice_domain::token::{api_token_prefix, mint_api_token};
use sluice_domain::{EnvironmentId, Timestamp};
use sluice_store::{ApiTokenRecord, Environment, SCOPES};

/// What a command answers: success, or a message for the operator.
pub type CliResult = Result<(), Box<dyn std::error::Error>>;

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
        display_name: None,
        created_at: now,
    };
    let scopes = SCOPES.iter().map(|s| (*s).to_owned()).collect();
    let (token, secret) = new_token(env.id, scopes, now);
    (env, token, secret)
}

pub(crate) fn new_token(
    env: EnvironmentId,
    scopes: Vec<String>,
    now: Timestamp,
) -> (ApiTokenRecord, String) {
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
