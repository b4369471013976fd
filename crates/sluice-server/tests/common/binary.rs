//! Runs the `sluice` binary as an operator would.

use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_sluice");

/// base64 of 32 bytes, shared by every test instance.
pub const TEST_WEBHOOK_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

/// A `sluice serve` process on a free port, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    /// The default environment line, if this start created it.
    pub stdout: String,
}

pub async fn start_server(db: &str) -> Server {
    start_server_with(db, &[]).await
}

pub async fn start_server_with(db: &str, extra: &[&str]) -> Server {
    use std::process::Stdio;
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env("SLUICE_DATABASE_URL", db)
        .env("SLUICE_LOG", "warn")
        .env("SLUICE_WEBHOOK_KEY", TEST_WEBHOOK_KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn sluice serve");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let base = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("sluice serve exited before listening");
        if let Some(rest) = line.strip_prefix("sluice listening on ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let mut stdout = String::new();
    if let Some(out) = child.stdout.take() {
        // The default environment line, if any, was printed before "listening".
        let mut out_lines = BufReader::new(out).lines();
        if let Ok(Ok(Some(line))) =
            tokio::time::timeout(std::time::Duration::from_millis(200), out_lines.next_line()).await
        {
            stdout = line;
        }
    }
    Server {
        child,
        base,
        stdout,
    }
}

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

/// A `sluice serve` on a free port at debug level with JSON logs, every line it logs kept, for
/// tests that check what a server writes to its log; every line must be JSON. Killed when
/// dropped.
pub struct LoggedServer {
    child: tokio::process::Child,
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
    logs: Vec<String>,
    pub base: String,
    /// The default environment and its API token, as the first start printed them.
    pub env: String,
    pub token: String,
}

impl LoggedServer {
    pub async fn start(db: &str, config: &std::path::Path, env: &[(&str, &str)]) -> Self {
        Self::start_with(db, config, env, &[]).await
    }

    /// [`Self::start`] with more `serve` arguments.
    pub async fn start_with(
        db: &str,
        config: &std::path::Path,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Self {
        use std::process::Stdio;
        use tokio::io::{AsyncBufReadExt, BufReader};
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(config)
            .args(args)
            .env("SLUICE_DATABASE_URL", db)
            .env("SLUICE_LOG", "debug")
            .env("SLUICE_LOG_FORMAT", "json")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn sluice serve");
        let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = stderr.next_line().await {
                let _ = tx.send(line);
            }
        });
        let mut logs = Vec::new();
        let base = loop {
            let line = lines
                .recv()
                .await
                .expect("sluice serve exited before listening");
            logs.push(line.clone());
            let message = log_message(&line);
            if let Some(rest) = message.strip_prefix("sluice listening on ") {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let created: serde_json::Value =
            serde_json::from_str(&out.next_line().await.unwrap().unwrap()).unwrap();
        Self {
            child,
            lines,
            logs,
            base,
            env: created["environmentId"].as_str().unwrap().to_owned(),
            token: created["apiToken"].as_str().unwrap().to_owned(),
        }
    }

    /// The messages logged up to and including `sluice listening on`.
    pub fn start_messages(&self) -> Vec<String> {
        self.logs.iter().map(|l| log_message(l)).collect()
    }

    /// SIGTERM, a clean exit within 10 s (asserted), and everything the server logged.
    pub async fn stop(mut self) -> String {
        let pid = self.child.id().unwrap().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        assert!(killed.unwrap().success());
        let status = tokio::time::timeout(std::time::Duration::from_secs(10), self.child.wait())
            .await
            .expect("exits within 10 s")
            .unwrap();
        assert!(status.success(), "SIGTERM exits 0, got {status}");
        while let Ok(line) = self.lines.try_recv() {
            self.logs.push(line);
        }
        for line in &self.logs {
            log_message(line);
        }
        self.logs.join("\n")
    }
}

/// The message of one JSON log line; panics on a line that is not JSON (JSON mode must print
/// nothing else).
pub fn log_message(line: &str) -> String {
    let entry: serde_json::Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("SLUICE_LOG_FORMAT=json printed a non-JSON line ({e}): {line}"));
    entry["fields"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
