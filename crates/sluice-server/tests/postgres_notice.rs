//! Says, in the test run's own output, whether the PostgreSQL half of the suite and the EVM
//! chain tests ran. The nextest configuration shows these tests' output even when they pass.

mod common;

#[tokio::test]
async fn postgres_availability() {
    if common::TestDb::create(common::Backend::Postgres)
        .await
        .is_some()
    {
        eprintln!("PostgreSQL tests ran against {}", common::admin_url());
    }
}

#[tokio::test]
async fn anvil_availability() {
    if common::evm::Anvil::start().await.is_some() {
        eprintln!("EVM chain tests ran against a local anvil node");
    }
}
