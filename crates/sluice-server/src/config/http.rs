//! `[http]`: how long a client may take to send its headers and its body, how large its
//! headers may be, how many connections are open at once and how long shutdown waits for
//! requests in flight. Without them one slow or idle client per file descriptor is enough to
//! stop the server answering anyone (issue 15).

use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Time to send a request's headers, from its first byte; slower closes the connection.
    #[serde(default = "default_header_timeout")]
    pub header_read_timeout_secs: u64,
    /// How long a connection may wait for a request (after opening, or after an answer on
    /// a kept-alive connection) before it is closed.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout_secs: u64,
    /// Request line and headers together; larger is `431` and the connection is closed.
    #[serde(default = "default_header_bytes")]
    pub max_header_bytes: usize,
    /// Time to send the whole body once a handler starts reading it (after authentication);
    /// slower is `408 request_timeout`.
    #[serde(default = "default_body_timeout")]
    pub body_read_timeout_secs: u64,
    /// Connections open at once; further ones wait in the listen backlog. Capped below the
    /// process's file-descriptor limit (see [`connection_cap`]).
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// On shutdown, how long requests in flight may take to finish before their connections
    /// are dropped.
    #[serde(default = "default_grace")]
    pub shutdown_grace_secs: u64,
}

fn default_header_timeout() -> u64 {
    10
}
fn default_idle_timeout() -> u64 {
    60
}
fn default_header_bytes() -> usize {
    16 * 1024
}
fn default_body_timeout() -> u64 {
    30
}
fn default_max_connections() -> usize {
    4096
}
fn default_grace() -> u64 {
    20
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_read_timeout_secs: default_header_timeout(),
            idle_timeout_secs: default_idle_timeout(),
            max_header_bytes: default_header_bytes(),
            body_read_timeout_secs: default_body_timeout(),
            max_connections: default_max_connections(),
            shutdown_grace_secs: default_grace(),
        }
    }
}

impl HttpConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.header_read_timeout_secs == 0 {
            return Err("http.header_read_timeout_secs: must be at least 1".into());
        }
        if self.idle_timeout_secs == 0 {
            return Err("http.idle_timeout_secs: must be at least 1".into());
        }
        if self.body_read_timeout_secs == 0 {
            return Err("http.body_read_timeout_secs: must be at least 1".into());
        }
        if !(1024..=1024 * 1024).contains(&self.max_header_bytes) {
            return Err("http.max_header_bytes: must be from 1024 to 1048576".into());
        }
        if self.max_connections == 0 {
            return Err("http.max_connections: must be at least 1".into());
        }
        if self.shutdown_grace_secs > 300 {
            return Err("http.shutdown_grace_secs: must be at most 300".into());
        }
        Ok(())
    }

    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }

    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_secs(self.body_read_timeout_secs)
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}
