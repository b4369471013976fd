#!/usr/bin/env bash
# Webhook delivery throughput (docs/benchmarks.md, "Webhook delivery throughput"): queues
# DELIVERIES deliveries (default 6400) for ENDPOINTS fast loopback receivers (default 16),
# then runs the production delivery loop (default concurrency: 64 in flight, 4 per endpoint)
# until every one is delivered and recorded, on SQLite and on PostgreSQL (the suite's local
# server, SLUICE_TEST_DATABASE_URL; it creates and drops its own database). Runs the suite's
# own measurement in release and prints deliveries per second for each backend.
set -euo pipefail
cd "$(dirname "$0")/.."
SLUICE_BENCH_DELIVERIES="${DELIVERIES:-6400}" SLUICE_BENCH_ENDPOINTS="${ENDPOINTS:-16}" \
  SLUICE_REQUIRE_POSTGRES=1 \
  cargo test -q --release -p sluice-server --test webhook_fairness \
  delivery_throughput_to_fast_receivers -- --nocapture --test-threads 1 2>&1 |
  grep -E "webhook throughput|test result"
