#!/usr/bin/env bash
# The whole test suite. Installs what the tests need that cargo does not bring (anvil, a real
# local EVM node, from the npm package @foundry-rs/anvil-linux-amd64, into tools/evm), then
# runs every test with cargo-nextest (extra arguments go to nextest), then checks openapi.json
# with independent validators (scripts/check-openapi.sh; needs python3).
#
# PostgreSQL tests use SLUICE_TEST_DATABASE_URL (default
# postgres://postgres@127.0.0.1:5432/postgres); without a reachable server, or without anvil,
# those tests pass without running and say so, unless SLUICE_REQUIRE_POSTGRES=1 or
# SLUICE_REQUIRE_ANVIL=1 (as CI sets them); likewise the browser tests without Chromium
# (SLUICE_REQUIRE_BROWSER=1), the Bitcoin tests without litecoind (SLUICE_REQUIRE_BITCOIN=1) and
# the TRON tests without TRON's JS SDK in tools/tron (SLUICE_REQUIRE_TRON=1).
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

# The payment page's browser tests: Debian's Chromium (installed with apt-get when missing and
# this runs as root) driven by playwright-core, with axe-core (npm, into tools/browser).
if [ ! -x "${SLUICE_CHROMIUM:-/usr/bin/chromium}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Chromium for the browser tests (apt-get install chromium)"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  else
    echo "No Chromium at /usr/bin/chromium: the browser tests will not run (apt-get install chromium)" >&2
  fi
fi
# The Bitcoin tests: Debian's litecoind, a fork of Bitcoin Core 0.21 run on regtest (the same
# blocks, scripts, PSBTs and JSON-RPC; only its address prefixes differ).
if ! command -v "${SLUICE_LITECOIND:-litecoind}" >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing litecoind for the Bitcoin tests (apt-get install litecoind)"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends litecoind >/dev/null
  else
    echo "No litecoind: the Bitcoin tests will not run (apt-get install litecoind)" >&2
  fi
fi
# The TRON tests' oracle: TRON's official JS SDK (tronweb) and ethers, offline (tools/tron).
if [ ! -d tools/tron/node_modules/tronweb ] && command -v npm >/dev/null; then
  echo "Installing TRON's JS SDK for the TRON tests into tools/tron (npm ci)"
  npm ci --prefix tools/tron --no-audit --no-fund --ignore-scripts
fi
if [ ! -d tools/browser/node_modules/playwright-core ] && command -v npm >/dev/null; then
  echo "Installing the browser test tools into tools/browser (npm ci)"
  npm ci --prefix tools/browser --no-audit --no-fund --ignore-scripts
fi

cargo nextest run --workspace "$@"

# The OpenAPI document, checked by independent tools against the OpenAPI 3.1 schema and against
# the running server (Python venv in target/, installed on first use).
scripts/check-openapi.sh
