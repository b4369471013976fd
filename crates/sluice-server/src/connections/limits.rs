//! The connection cap: `[http] max_connections` lowered below the process's file-descriptor
//! limit, so that connections never take the descriptors the database pool, chain RPC and
//! webhook deliveries need.

pub use crate::config::HttpConfig;

/// `max_connections`, lowered so that connections never use up the file descriptors the
/// database pool, chain RPC and webhook deliveries need: a quarter of the soft limit (at
/// least 64) stays free.
pub fn connection_cap(configured: usize, file_limit: Option<u64>) -> usize {
    let Some(limit) = file_limit else {
        return configured;
    };
    let headroom = (limit / 4).max(64);
    let available = usize::try_from(limit.saturating_sub(headroom)).unwrap_or(usize::MAX);
    configured.min(available.max(1))
}

/// The soft `RLIMIT_NOFILE`; `None` when unlimited or unknown.
pub fn file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_descriptors_free() {
        assert_eq!(connection_cap(4096, None), 4096);
        assert_eq!(connection_cap(4096, Some(1024)), 768);
        assert_eq!(connection_cap(4096, Some(1_048_576)), 4096);
        assert_eq!(connection_cap(8, Some(1024)), 8);
        assert_eq!(connection_cap(4096, Some(100)), 36);
        assert_eq!(connection_cap(4096, Some(10)), 1);
    }

    #[test]
    fn limits_are_checked() {
        assert!(HttpConfig::default().validate().is_ok());
        let bad = HttpConfig {
            max_header_bytes: 10,
            ..HttpConfig::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .contains("http.max_header_bytes")
        );
    }
}
