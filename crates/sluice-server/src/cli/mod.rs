//! The `sluice` command line. Every command that opens the database applies pending
//! migrations first. Commands that create something print exactly one line of JSON on
//! standard output (for scripts); everything meant for people goes to standard error.

mod deposits;
mod env;
mod token;

use clap::{Parser, Subcommand};
use sluice_domain::{Clock, EnvironmentId, SystemClock};
use sluice_store::{Environment, Store};

pub use crate::provision::{CliResult, new_environment};
pub use crate::startup::ServeArgs;
use crate::{console, store};
pub use env::EnvCommand;
pub use token::TokenCommand;

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
            console::notice(format_args!("migrations applied ({})", store.backend()));
            Ok(())
        }
        Command::Env(command) => env::run(store.as_ref(), command, now).await,
        Command::Token(command) => token::run(store.as_ref(), command, now).await,
        Command::Openapi => unreachable!("answered before the database is opened"),
    }
}

pub(crate) async fn load_env(
    store: &dyn Store,
    id: EnvironmentId,
) -> Result<Environment, Box<dyn std::error::Error>> {
    store
        .environment(id)
        .await?
        .ok_or_else(|| format!("no environment {id}").into())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every command and every option says what it is for in `--help`.
    #[test]
    fn every_command_and_option_has_help_text() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", cmd.get_name());
            if cmd.get_about().is_none() && cmd.get_name() != "help" {
                missing.push(format!("{path} (the command)"));
            }
            for arg in cmd.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && arg.get_help().is_none() {
                    missing.push(format!("{path} --{}", arg.get_id()));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:#?}");
    }
}
