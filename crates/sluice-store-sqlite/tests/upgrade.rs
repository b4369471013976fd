//! Upgrades keep what is stored: a database at an earlier schema, holding deposit keys and
//! addresses, is opened by this build (which applies the pending migrations, among them the
//! rebuild of both tables for TRON, 0012) and still holds every row, and the new family is
//! accepted.

use sluice_domain::deposit_key::ChainFamily;
use sluice_domain::{EnvironmentId, Timestamp};
use sluice_store::DepositStore;
use sluice_store_sqlite::SqliteStore;
use sqlx::Connection;

/// The migrations before TRON joined, copied out so that sqlx can apply only them.
fn migrations_before(version: u32) -> std::path::PathBuf {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let dir = std::env::temp_dir().join(format!("sluice-migrations-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let number: u32 = name[..4].parse().unwrap();
        if number < version {
            std::fs::copy(&path, dir.join(&name)).unwrap();
        }
    }
    dir
}

#[tokio::test]
async fn deposit_keys_and_addresses_survive_the_tron_migration() {
    let path = std::env::temp_dir().join(format!("sluice-upgrade-{}.db", uuid::Uuid::new_v4()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let env = EnvironmentId::new_random();
    let flow = uuid::Uuid::new_v4().to_string();
    {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let old = sqlx::migrate::Migrator::new(migrations_before(12))
            .await
            .unwrap();
        old.run(&mut conn).await.unwrap();
        let rows = format!(
            "INSERT INTO environments (id, name, allowed_origins, created_at) VALUES ('{env}', 'shop', '[]', 1);
             INSERT INTO flows (id, environment_id, mode, execution_state, settlement_state, risk_state, expires_at, created_at, updated_at, revision, doc)
                 VALUES ('{flow}', '{env}', 'deposit', 'quoted', 'none', 'cleared', 9, 1, 1, 1, '{{}}');
             INSERT INTO deposit_keys (environment_id, chain_family, xpub, fingerprint, next_index, updated_at)
                 VALUES ('{env}', 'BTC', 'xpub-of-the-test', 'abcd0123', 1, 1);
             INSERT INTO deposit_addresses (environment_id, chain_family, derivation_index, address, flow_id, created_at)
                 VALUES ('{env}', 'BTC', 0, 'bc1qexample', '{flow}', 1);"
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(rows))
            .execute(&mut conn)
            .await
            .unwrap();
        // TRON is refused by the old schema.
        let tron = format!(
            "INSERT INTO deposit_keys (environment_id, chain_family, xpub, fingerprint, updated_at) VALUES ('{env}', 'TRON', 'x', 'f', 1)"
        );
        assert!(
            sqlx::raw_sql(sqlx::AssertSqlSafe(tron))
                .execute(&mut conn)
                .await
                .is_err()
        );
        conn.close().await.unwrap();
    }
    let store = SqliteStore::connect(&url).await.unwrap();
    let keys = store.deposit_keys(env).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!((keys[0].family, keys[0].next_index), (ChainFamily::Btc, 1));
    let addresses = store.deposit_addresses(env).await.unwrap();
    assert_eq!(addresses.len(), 1);
    assert_eq!(addresses[0].address, "bc1qexample");
    assert_eq!(addresses[0].flow_id.to_string(), flow);
    let record = sluice_store::DepositKeyRecord {
        environment_id: env,
        family: ChainFamily::Tron,
        xpub: "xpub-of-tron".into(),
        fingerprint: "0123abcd".into(),
        next_index: 0,
        updated_at: Timestamp(2),
    };
    store.set_deposit_key(&record).await.unwrap();
    assert_eq!(store.deposit_keys(env).await.unwrap().len(), 2);
    let _ = std::fs::remove_file(&path);
}
