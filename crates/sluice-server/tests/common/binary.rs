//! Runs the `sluice` binary as an operator would.

use tokio::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_sluice");

/// Runs a short-lived command; returns (success, stdout, stderr).
pub async fn sluice(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("SLUICE_DATABASE_URL", db)
        .output()
        .await
        .expect("run sluice");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
