//! `sluice`: the binary. Parses the command line, sets up logging, runs the command.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use sluice_server::cli::{Cli, run};

/// mimalloc: a request allocates and frees many small buffers across threads (JSON, rows,
/// HTTP), where glibc's allocator showed up as a tenth of the server's time under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SLUICE_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // SLUICE_LOG_FORMAT=json: one JSON object per line, for log shippers.
    if std::env::var("SLUICE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().init();
    } else {
        logs.with_ansi(std::io::stderr().is_terminal()).init();
    }
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
