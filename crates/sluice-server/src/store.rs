//! Choosing the backend from the database URL's scheme: `sqlite://…` (the embedded default)
//! or `postgres://…` / `postgresql://…`. Both apply their pending migrations on connect.

use std::sync::Arc;

use sluice_store::{Store, StoreError};
use sluice_store_postgres::PostgresStore;
use sluice_store_sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedScheme(String),
    #[error("could not open the database {url}: {source}")]
    Store {
        /// The database URL, password redacted.
        url: String,
        source: StoreError,
    },
}

pub async fn connect(url: &str) -> Result<Arc<dyn Store>, ConnectError> {
    let named = |source| ConnectError::Store {
        url: redact(url),
        source,
    };
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await.map_err(named)?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await.map_err(named)?))
    } else {
        Err(ConnectError::UnsupportedScheme(redact(url)))
    }
}

/// The file of a `sqlite://PATH[?options]` URL (`None` for other backends and in-memory
/// databases).
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:" && !url.contains("mode=memory"))
        .then(|| std::path::PathBuf::from(path))
}

/// A database URL with any password replaced, fit for logs and error messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite://sluice.db"), "sqlite://sluice.db");
    }
}
