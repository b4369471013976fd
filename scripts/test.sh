#!/usr/bin/env bash
# The whole test suite. Installs what the tests need that cargo does not bring (anvil, a real
# local EVM node, from the npm package @foundry-rs/anvil-linux-amd64, into tools/evm), then
# runs every test with cargo-nextest. Extra arguments go to nextest.
#
# PostgreSQL tests use SLUICE_TEST_DATABASE_URL (default
# postgres://postgres@127.0.0.1:5432/postgres); without a reachable server, or without anvil,
# those tests pass without running and say so, unless SLUICE_REQUIRE_POSTGRES=1 or
# SLUICE_REQUIRE_ANVIL=1 (as CI sets them).
set -euo pipefail
cd "$(dirname "$0")/.."

anvil=tools/evm/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil
if [ ! -x "$anvil" ]; then
  if command -v npm >/dev/null; then
    echo "Installing anvil into tools/evm (npm ci)"
    npm ci --prefix tools/evm --no-audit --no-fund --ignore-scripts
  else
    echo "npm not found: the EVM chain tests will not run" >&2
  fi
fi

exec cargo nextest run --workspace "$@"
