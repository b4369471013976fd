#!/usr/bin/env bash
# The chain watcher's RPC calls per block with few and with many open flows (docs/benchmarks.md,
# "Chain watcher RPC calls"). Runs the suite's own measurements, through a counting JSON-RPC
# proxy in front of a real anvil, on SQLite and PostgreSQL, and prints the calls by method:
#   deposits: 10 vs FLOWS open deposit-address flows (default 10000), two deposits in 20 blocks;
#   wallet:   10 vs PAYMENTS broadcast wallet payments whose hashes never land (default 10000),
#             two real wallet payments in 20 blocks;
#   bitcoin:  10 vs FLOWS open BTC deposit-address flows on a real regtest node (litecoind),
#             two deposits in 20 blocks;
#   tron:     11 vs 11 + FLOWS open TRON deposit-address flows on the FullNode double (tests/
#             common/tron_node.rs), 10 blocks.
# Needs anvil and litecoind (scripts/test.sh installs both) and, for the PostgreSQL runs, the
# local server; the TRON part needs TRON's JS SDK (tools/tron). ONLY=deposits|wallet|bitcoin|tron
# runs one part.
set -euo pipefail
cd "$(dirname "$0")/.."
FLOWS="${FLOWS:-10000}"
PAYMENTS="${PAYMENTS:-10000}"
ONLY="${ONLY:-}"
if [ -z "$ONLY" ] || [ "$ONLY" = deposits ]; then
echo "== deposit-address flows (10 vs $FLOWS)"
SLUICE_DEPOSIT_FLOWS="$FLOWS" SLUICE_REQUIRE_ANVIL=1 \
  cargo test -q --release -p sluice-server --test deposit_watcher \
  rpc_calls_per_block_do_not_grow_with_open_flows -- --nocapture 2>&1 |
  grep -E "RPC calls|test result"
fi
if [ -z "$ONLY" ] || [ "$ONLY" = wallet ]; then
echo "== wallet payments (10 vs $PAYMENTS)"
SLUICE_WALLET_PAYMENTS="$PAYMENTS" SLUICE_REQUIRE_ANVIL=1 \
  cargo test -q --release -p sluice-server --test wallet_scan \
  rpc_calls_per_block_do_not_grow_with_open_payments -- --nocapture --test-threads 1 2>&1 |
  grep -E "RPC calls|test result|panicked"
fi
if [ -z "$ONLY" ] || [ "$ONLY" = bitcoin ]; then
echo "== Bitcoin deposit-address flows (10 vs $FLOWS)"
SLUICE_DEPOSIT_FLOWS="$FLOWS" SLUICE_REQUIRE_BITCOIN=1 \
  cargo test -q --release -p sluice-server --test bitcoin_deposits \
  node_calls_per_block_do_not_grow_with_open_flows -- --nocapture --test-threads 1 2>&1 |
  grep -E "RPC calls|test result|panicked"
fi
if [ -z "$ONLY" ] || [ "$ONLY" = tron ]; then
echo "== TRON deposit-address flows (11 vs 11 + $FLOWS)"
SLUICE_DEPOSIT_FLOWS="$FLOWS" SLUICE_REQUIRE_TRON=1 SLUICE_REQUIRE_ANVIL=1 \
  cargo test -q --release -p sluice-server --test tron_deposits \
  another_instance_takes_the_scan_over_and_calls_do_not_grow_with_flows -- --nocapture --test-threads 1 2>&1 |
  grep -E "RPC calls|test result|panicked"
fi
