#!/usr/bin/env bash
# The deposit watcher's RPC calls per block with few and with many open flows (docs/benchmarks.md,
# "Deposit watcher RPC calls"). Runs the suite's own measurement, through a counting JSON-RPC
# proxy in front of a real anvil, with FLOWS open deposit flows in the large run (default 10000)
# on SQLite and PostgreSQL, and prints the calls by method for each.
# Needs anvil (scripts/test.sh installs it) and, for the PostgreSQL run, the local server.
set -euo pipefail
cd "$(dirname "$0")/.."
FLOWS="${FLOWS:-10000}"
SLUICE_DEPOSIT_FLOWS="$FLOWS" SLUICE_REQUIRE_ANVIL=1 \
  cargo test -q --release -p sluice-server --test deposit_watcher \
  rpc_calls_per_block_do_not_grow_with_open_flows -- --nocapture 2>&1 |
  grep -E "RPC calls|test result"
