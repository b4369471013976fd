//! The guarded write on a migrated database: every column that changed is written, and a
//! change that moves no indexed column leaves the list indexes' pages alone.

use serde_json::json;
use sluice_domain::create::parse_create;
use sluice_domain::{ExecutionState, FlowMode, RiskState, SettlementState, TokenHash};

use super::*;
use crate::temp_db::TempDb;

/// A database file with Sluice's migrations applied, opened as the writer opens it but with
/// no automatic checkpoint, so that the WAL's length counts the pages written.
async fn migrated() -> (TempDb, Connection) {
    let db = TempDb::new("sluice-native-write");
    let url = format!("sqlite://{}", db.0.display());
    drop(crate::SqliteStore::connect(&url).await.unwrap());
    let conn = Connection::open(&db.0).unwrap();
    // No environment row: these flows' environment is not the point.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; PRAGMA foreign_keys = OFF;",
    )
    .unwrap();
    (db, conn)
}

/// Pages in the WAL: its header is 32 bytes, each frame a 24-byte header and a page.
fn wal_pages(db: &TempDb) -> u64 {
    db.size("-wal").saturating_sub(32) / (4096 + 24)
}

fn flow(created_at: i64, user: usize) -> Flow {
    let body = json!({
        "amount": "1", "currency": "USD", "userId": format!("user-{user}"),
        "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "EVM", "chainId": "1", "tokenAddress": "0x0000000000000000000000000000000000000000", "symbol": "ETH", "tokenDecimals": 18}]},
        "destinationConfig": {"destinations": [{"chainName": "EVM", "type": "address", "identifier": "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045"}]}
    });
    let env = EnvironmentId::from_uuid(uuid::Uuid::nil());
    parse_create(
        body.as_object().unwrap(),
        FlowMode::Payment,
        env,
        Timestamp(created_at),
    )
    .unwrap()
}

fn columns(
    conn: &Connection,
    flow: &Flow,
) -> (String, String, String, Option<Vec<u8>>, i64, i64, i64) {
    conn.query_row(
        "SELECT execution_state, settlement_state, risk_state, session_token_hash, expires_at, \
         updated_at, revision FROM flows WHERE id = ?1",
        [flow.id.to_string()],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        },
    )
    .unwrap()
}

#[tokio::test]
async fn every_changed_column_is_written_and_the_revision_guards() {
    let (_db, conn) = migrated().await;
    let before = flow(1_000, 1);
    insert_flow(&conn, &before, None).unwrap();
    let mut after = before.clone();
    after.execution_state = ExecutionState::SourceAttached;
    after.settlement_state = SettlementState::Settling;
    after.risk_state = RiskState::Review;
    after.session_token_hash = Some(TokenHash([7; 32]));
    after.expires_at = Timestamp(before.expires_at.0 + 5);
    after.updated_at = Timestamp(2_000);
    write_change(&conn, &before, &after).unwrap();
    let hash = Some(vec![7; 32]);
    let expected = (
        "source_attached".into(),
        "settling".into(),
        "review".into(),
        hash,
        after.expires_at.0,
        2_000,
        1,
    );
    assert_eq!(columns(&conn, &after), expected);

    // The same `before` again: its revision is gone, so nothing is written.
    let err = write_change(&conn, &before, &after).unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    after.revision = 1;
    let mut later = after.clone();
    later.session_token_hash = None;
    later.updated_at = Timestamp(3_000);
    write_change(&conn, &after, &later).unwrap();
    assert_eq!(
        columns(&conn, &later).3,
        None,
        "a cleared token hash is written"
    );
    assert_eq!(columns(&conn, &later).6, 2);
}

/// A re-attach changes the doc, the token hash and `updated_at` only. Among 3,000 flows, each
/// index of the old flow's entries is a page no other write shares, so the pages one commit
/// adds to the WAL count the indexes it rewrote: the row's page, `flows_by_update`,
/// `flows_by_user` (an expression on the doc) and the tree's parents. Naming every column
/// in `SET`, as a single statement for all writes would, adds four list indexes' pages.
#[tokio::test]
async fn a_change_of_no_indexed_column_leaves_the_list_indexes_alone() {
    let (db, conn) = migrated().await;
    conn.execute_batch("BEGIN").unwrap();
    let flows: Vec<Flow> = (0..3_000).map(|i| flow(1_000 + i, i as usize)).collect();
    for f in &flows {
        insert_flow(&conn, f, None).unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
    let pages_of = |before: &Flow, after: &Flow| {
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        write_change(&conn, before, after).unwrap();
        wal_pages(&db)
    };

    let old = &flows[1_000];
    let mut reattached = old.clone();
    reattached.session_token_hash = Some(TokenHash([9; 32]));
    reattached.updated_at = Timestamp(10_000);
    let quiet = pages_of(old, &reattached);

    let other = &flows[2_000];
    let mut attached = other.clone();
    attached.execution_state = ExecutionState::SourceAttached;
    attached.session_token_hash = Some(TokenHash([9; 32]));
    attached.updated_at = Timestamp(10_000);
    let moved = pages_of(other, &attached);

    assert!(
        quiet + 3 <= moved,
        "a re-attach wrote {quiet} pages, a state change {moved}: the state's indexes \
         (flows_by_state, flows_by_execution, flows_expiring) should be all the difference"
    );
}
