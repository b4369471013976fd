//! Checkpoints off the write path. In WAL mode a commit appends the pages it changed to the
//! WAL; a checkpoint copies them back into the database file and syncs it. By default SQLite
//! checkpoints inside the commit that takes the WAL past 1,000 pages, so the group-commit
//! writer stopped taking writes while it copied. At a million flows a batch of attaches on
//! old flows changes pages all over the file (each row and every index the write moves), so
//! that happened every other batch (issue 21; the figures are in docs/benchmarks.md).
//!
//! Here a thread with its own connection checkpoints in `PASSIVE` mode, which never waits for
//! and never blocks the writer or a reader, each time the writer reports another
//! `Thresholds::wake` pages in the WAL. Durability is unchanged: a commit is durable once its
//! WAL frames are synced, which the writer still does before it answers.
//!
//! SQLite starts the WAL file over only once all of it has been copied back, and a passive
//! checkpoint under steady writes never catches the end. So once the WAL holds
//! `Thresholds::catch_up` pages the writer checkpoints once itself, between batches, copying
//! only the tail the thread has not copied yet; its next batch then starts the WAL from the
//! beginning, which keeps the WAL file near that length (64 MiB at 4 KiB pages). When the
//! thread cannot keep up, that tail is long and the writer pauses to copy it: backpressure,
//! not an unbounded WAL.

use std::cell::Cell;
use std::os::raw::c_int;
use std::path::Path;
use std::sync::mpsc::{self, SyncSender, TrySendError};

use rusqlite::hooks::Wal;
use rusqlite::{Connection, OpenFlags};
use sluice_store::{StoreError, StoreResult};

use crate::native::db;

/// When the WAL is copied back, in WAL pages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Thresholds {
    /// New pages that wake the checkpoint thread.
    pub wake: i64,
    /// Pages at which the writer copies the rest back itself so that the WAL can start over.
    pub catch_up: i64,
}

impl Default for Thresholds {
    /// Wakes at SQLite's own autocheckpoint threshold; catches up at 64 MiB of WAL.
    fn default() -> Self {
        Self {
            wake: 1_000,
            catch_up: 16_000,
        }
    }
}

thread_local! {
    /// The WAL's length in pages after the last commit on this thread's writer connection.
    static WAL_FRAMES: Cell<i64> = const { Cell::new(0) };
}

/// SQLite calls this on the committing thread (the writer's) after each commit; it replaces
/// the connection's autocheckpoint.
fn note_wal_length(_wal: &Wal, frames: c_int) -> rusqlite::Result<()> {
    WAL_FRAMES.with(|length| length.set(i64::from(frames)));
    Ok(())
}

/// The writer's side: decides after each commit whether to wake the thread or catch up.
/// Dropping it (when the writer thread ends) ends the checkpoint thread.
pub(crate) struct Checkpointer {
    wake: SyncSender<()>,
    woken_at: i64,
    thresholds: Thresholds,
}

impl Checkpointer {
    /// Takes over checkpointing from `writer`'s commits and starts the thread.
    pub(crate) fn start(
        path: &Path,
        writer: &Connection,
        thresholds: Thresholds,
    ) -> StoreResult<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(db)?;
        conn.execute_batch("PRAGMA synchronous = FULL;")
            .map_err(db)?;
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        std::thread::Builder::new()
            .name("sluice-sqlite-checkpoint".into())
            .spawn(move || {
                while woken.recv().is_ok() {
                    passive_checkpoint(&conn);
                }
            })
            .map_err(|e| StoreError::Database(Box::new(e)))?;
        writer.wal_hook(Some(note_wal_length));
        Ok(Self {
            wake,
            woken_at: 0,
            thresholds,
        })
    }

    /// After each commit, on the writer thread.
    pub(crate) fn after_commit(&mut self, writer: &Connection) {
        let frames = WAL_FRAMES.with(Cell::get);
        if frames < self.woken_at {
            // The WAL started over.
            self.woken_at = 0;
        }
        if frames >= self.thresholds.catch_up {
            passive_checkpoint(writer);
        } else if frames >= self.woken_at + self.thresholds.wake {
            self.woken_at = frames;
            if let Err(TrySendError::Disconnected(())) = self.wake.try_send(()) {
                tracing::error!("the SQLite checkpoint thread has stopped");
            }
        }
    }
}

/// Copies back what it can without waiting; a checkpoint already running elsewhere makes
/// this one a no-op, which is fine: the next commit asks again.
fn passive_checkpoint(conn: &Connection) {
    let outcome = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
    });
    match outcome {
        Ok((wal, copied)) => tracing::trace!(wal, copied, "WAL checkpoint"),
        Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; the next one retries"),
    }
}

#[cfg(test)]
mod tests;
