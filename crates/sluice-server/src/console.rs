//! Messages for the person running `sluice`: start-up lines, warnings, what a command did.
//! With `SLUICE_LOG_FORMAT=json` they go through the log as JSON objects like every other
//! line, so whatever reads standard error sees nothing but JSON; otherwise they are plain
//! lines. Also sets the log up, refusing a format or filter it does not understand rather
//! than logging in a way nobody asked for.

use std::fmt::Display;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

static JSON: AtomicBool = AtomicBool::new(false);

const DEFAULT_FILTER: &str = "info,sqlx=warn";

/// Sets up logging from `SLUICE_LOG` (an `EnvFilter`) and `SLUICE_LOG_FORMAT` (`text`, the
/// default, or `json`).
pub fn init_logging() -> Result<(), String> {
    let json = match std::env::var("SLUICE_LOG_FORMAT").as_deref() {
        Err(_) | Ok("") | Ok("text") => false,
        Ok("json") => true,
        Ok(other) => {
            return Err(format!(
                "SLUICE_LOG_FORMAT={other:?} is not a log format; use text (the default) or json"
            ));
        }
    };
    let filter = match std::env::var("SLUICE_LOG") {
        Ok(text) if !text.trim().is_empty() => tracing_subscriber::EnvFilter::try_new(&text)
            .map_err(|e| format!("SLUICE_LOG={text:?} is not a log filter: {e}"))?,
        _ => DEFAULT_FILTER.into(),
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        logs.json().init();
    } else {
        logs.with_ansi(std::io::stderr().is_terminal()).init();
    }
    JSON.store(json, Ordering::Relaxed);
    Ok(())
}

fn json() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// Something the operator should know (a server listening, a command done).
pub fn notice(message: impl Display) {
    if json() {
        tracing::info!(target: "sluice", "{message}");
    } else {
        eprintln!("{message}");
    }
}

/// Something the operator should act on; the process carries on.
pub fn warning(message: impl Display) {
    if json() {
        tracing::warn!(target: "sluice", "{message}");
    } else {
        eprintln!("warning: {message}");
    }
}

/// Why a command failed; the process then exits non-zero.
pub fn failure(message: impl Display) {
    if json() {
        tracing::error!(target: "sluice", "{message}");
    } else {
        eprintln!("error: {message}");
    }
}
