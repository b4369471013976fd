//! A database file of the unit tests' own, in the temporary directory, removed with its WAL
//! and shared-memory files when the test ends.

use std::path::PathBuf;

pub(crate) struct TempDb(pub PathBuf);

impl TempDb {
    /// A new, not yet created file named after `prefix` and a random UUID.
    pub fn new(prefix: &str) -> Self {
        let name = format!("{prefix}-{}.db", uuid::Uuid::new_v4());
        Self(std::env::temp_dir().join(name))
    }

    /// The size of the database file with `suffix` (`""`, `"-wal"`, `"-shm"`), 0 if absent.
    pub fn size(&self, suffix: &str) -> u64 {
        std::fs::metadata(format!("{}{suffix}", self.0.display())).map_or(0, |m| m.len())
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}
