//! Says, in the test run's own output, whether the PostgreSQL half of the suite ran. The
//! nextest configuration shows this one test's output even when it passes.

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
