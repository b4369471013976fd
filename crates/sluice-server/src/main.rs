//! `sluice`: the binary. Parses the command line, sets up logging, runs the command.

use std::process::ExitCode;

use clap::Parser;
use sluice_server::cli::{Cli, run};
use sluice_server::console;

/// mimalloc: a request allocates and frees many small buffers across threads (JSON, rows,
/// HTTP), where glibc's allocator showed up as a tenth of the server's time under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    if let Err(e) = console::init_logging() {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            console::failure(e);
            ExitCode::FAILURE
        }
    }
}
