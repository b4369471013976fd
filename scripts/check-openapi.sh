#!/usr/bin/env bash
# Checks the committed openapi.json with tools that are not ours:
#  1. openapi-spec-validator: the document is valid OpenAPI 3.1;
#  2. schemathesis: a running server (fresh SQLite file, one environment and one flow) answers
#     generated requests with statuses, content types and bodies the document declares, and
#     never with a 5xx. Not checked: that every schema-valid body is accepted, because some
#     rules no schema can state (an address's checksum, a chain the environment has not
#     enabled) rightly refuse such a body with 422.
# The Python tools are pinned in tools/openapi/requirements.txt and installed into
# target/openapi-venv on first use. The Rust test `openapi_document_is_current` checks that the
# file is what the code generates.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/openapi-venv
if [ ! -x "$venv/bin/schemathesis" ] || ! cmp -s tools/openapi/requirements.txt "$venv/requirements.txt"; then
  echo "Installing the OpenAPI checkers into $venv (pip)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tools/openapi/requirements.txt
  cp tools/openapi/requirements.txt "$venv/requirements.txt"
fi

"$venv/bin/openapi-spec-validator" openapi.json

cargo build --quiet --bin sluice
work=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

SLUICE_RATE_LIMIT_ENABLED=false target/debug/sluice --database-url "sqlite://$work/check.db" \
  serve --listen 127.0.0.1:0 >"$work/first-start.json" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/server.log" && break
  sleep 0.1
done
base=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/server.log" | head -n 1)
[ -n "$base" ] || { echo "the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

read -r SLUICE_CHECK_ENV SLUICE_CHECK_TOKEN < <(python3 -c \
  'import json,sys; d=json.load(sys.stdin); print(d["environmentId"], d["apiToken"])' <"$work/first-start.json")
SLUICE_CHECK_FLOW=$(curl -sf -X POST "$base/api/v0/server/$SLUICE_CHECK_ENV/flow/payment" \
  -H "Authorization: Bearer $SLUICE_CHECK_TOKEN" -H 'Content-Type: application/json' -d '{
    "amount": "10", "currency": "USD",
    "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "EVM", "chainId": "1",
      "tokenAddress": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", "symbol": "USDC", "tokenDecimals": 6}]},
    "destinationConfig": {"destinations": [{"chainName": "EVM", "type": "address",
      "identifier": "0x1111111111111111111111111111111111111111"}]}}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["flow"]["id"])')
export SLUICE_CHECK_ENV SLUICE_CHECK_TOKEN SLUICE_CHECK_FLOW

# Run from the scratch directory: schemathesis keeps a cache of past failures in the working
# directory, and each run should stand on its own.
root=$(pwd)
cd "$work"
"$root/$venv/bin/schemathesis" --config-file "$root/tools/openapi/schemathesis.toml" run "$base/api/v0/openapi.json" \
  --checks all --exclude-checks positive_data_acceptance --phases examples,fuzzing --max-examples "${SLUICE_OPENAPI_EXAMPLES:-40}" \
  --seed 1 --no-color
