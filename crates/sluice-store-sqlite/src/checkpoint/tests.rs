//! The checkpointer on a real WAL database with small thresholds: commits stay cheap for the
//! writer, the thread copies pages back, and the WAL file stays bounded.

use std::path::Path;
use std::time::{Duration, Instant};

use super::*;
use crate::temp_db::TempDb;

const PAGE: u64 = 4096;
const SMALL: Thresholds = Thresholds {
    wake: 20,
    catch_up: 200,
};

fn writer(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
         CREATE TABLE IF NOT EXISTS pages (id INTEGER PRIMARY KEY, body BLOB NOT NULL);",
    )
    .unwrap();
    conn
}

/// One commit that adds about one WAL page, then the writer's after-commit step.
fn commit_one_page(conn: &Connection, checkpointer: &mut Checkpointer, id: i64) {
    conn.execute(
        "INSERT INTO pages (id, body) VALUES (?1, zeroblob(3000))",
        [id],
    )
    .unwrap();
    checkpointer.after_commit(conn);
}

#[test]
fn the_wal_starts_over_instead_of_growing_under_steady_writes() {
    let db = TempDb::new("sluice-checkpoint");
    let conn = writer(&db.0);
    let mut checkpointer = Checkpointer::start(&db.0, &conn, SMALL).unwrap();
    for id in 0..1_000 {
        commit_one_page(&conn, &mut checkpointer, id);
    }
    // Without the catch-up the WAL would hold every one of the 1,000 commits' pages.
    let wal_pages = db.size("-wal") / PAGE;
    assert!(
        wal_pages < 2 * SMALL.catch_up as u64,
        "WAL of {wal_pages} pages"
    );
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM pages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1_000);
}

#[test]
fn the_thread_copies_pages_back_without_the_writer() {
    let db = TempDb::new("sluice-checkpoint");
    let conn = writer(&db.0);
    let mut checkpointer = Checkpointer::start(&db.0, &conn, SMALL).unwrap();
    let before = db.size("");
    // Past the wake threshold, short of the catch-up: only the thread checkpoints.
    for id in 0..(SMALL.wake * 3) {
        commit_one_page(&conn, &mut checkpointer, id);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while db.size("") <= before + PAGE * SMALL.wake as u64 {
        assert!(Instant::now() < deadline, "no checkpoint in 10 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    // The commits themselves no longer checkpoint: SQLite's autocheckpoint is off.
    let autocheckpoint: i64 = conn
        .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
        .unwrap();
    assert_eq!(autocheckpoint, 0);
}
