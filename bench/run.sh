#!/usr/bin/env bash
# Benchmarks Sluice with wrk against a release build, on SQLite and on PostgreSQL, and writes
# the figures to docs/benchmarks.md. Scenarios, each for $DURATION at $CONNS connections:
#   healthz  GET /healthz (the no-database baseline, same load generator, same run)
#   get      GET  /api/v0/sdk/{env}/flow/{id}          (payer view, ids cycled)
#   attach   POST /api/v0/sdk/{env}/flow/{id}/source   (ids cycled: first attaches, then re-attaches)
#   create   POST /api/v0/server/{env}/flow/payment
# PROFILE=production benches the whole-program-optimised build; BACKENDS and OUT pick a subset
# and another output file. Rate limits are off (SLUICE_RATE_LIMIT_ENABLED=false). Durability
# is not: SQLite WAL with synchronous=FULL, PostgreSQL synchronous_commit=on, as in production.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-8s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
FLOWS=${FLOWS:-3000}
PG_ADMIN=${SLUICE_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
PORT=18900
OUT=${OUT:-docs/benchmarks.md}
BACKENDS=${BACKENDS:-sqlite postgres}   # a subset for quick iterations, e.g. BACKENDS=sqlite

PROFILE=${PROFILE:-release}            # or production (whole-program optimisation, slower build)

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
if [ -z "${BIN:-}" ]; then                # BIN=path benches an already built binary
  cargo build --profile "$PROFILE" -q
  BIN=target/$PROFILE/sluice
fi
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

body='{"amount":"25.00","currency":"USD","settlementConfig":{"strategy":"cheapest","settlements":[{"chainName":"EVM","chainId":"8453","tokenAddress":"0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913","symbol":"USDC","tokenDecimals":6}]},"destinationConfig":{"destinations":[{"chainName":"EVM","type":"address","identifier":"0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045"}]}}'
source_body='{"sourceType":"wallet","fromAddress":"0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045","fromChainId":"8453","fromChainName":"EVM"}'

# A wrk script: cycles through the flow IDs in ids.lua for {id} in the path.
lua() { # method path-template body
  cat > "$WORK/script.lua" <<LUA
dofile("$WORK/ids.lua")
local i = 0
local method, template, body = "$1", "$2", [[$3]]
request = function()
  i = i + 1
  local path = template:gsub("{id}", ids[(i % #ids) + 1])
  return wrk.format(method, path, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $TOKEN"}, body ~= "" and body or nil)
end
done = function(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT %.0f %.2f %.2f %.2f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
}

run() { # name -> appends a table row
  local out; out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$WORK/script.lua" "http://127.0.0.1:$PORT" 2>&1)
  local r; r=$(grep '^RESULT' <<<"$out" | head -n 1)
  read -r _ rps p50 p99 p999 non2xx errors <<<"$r"
  local rss; rss=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$SERVER/status")
  echo "| $BACKEND | $1 | $rps | $p50 | $p99 | $p999 | $non2xx | $errors | $rss |" >> "$WORK/rows"
  echo "$BACKEND $1: $rps req/s, p50 $p50 ms, p99 $p99 ms, p99.9 $p999 ms, non-2xx $non2xx, peak RSS $rss MiB" >&2
  eval "RPS_$1=$rps"
}

bench_backend() { # backend url
  BACKEND=$1
  SLUICE_DATABASE_URL=$2 SLUICE_RATE_LIMIT_ENABLED=false SLUICE_LOG=warn SLUICE_WEBHOOK_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8 \
    "$BIN" serve --listen "127.0.0.1:$PORT" > "$WORK/env.json" 2> "$WORK/serve.log" &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  ENV=$(python3 -c "import json;print(json.load(open('$WORK/env.json'))['environmentId'])")
  TOKEN=$(python3 -c "import json;print(json.load(open('$WORK/env.json'))['apiToken'])")
  python3 - "$PORT" "$ENV" "$TOKEN" "$FLOWS" "$body" "$WORK/ids.lua" <<'PY'
import http.client, json, sys
port, env, token, n, body, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
c = http.client.HTTPConnection("127.0.0.1", int(port))
ids = []
for _ in range(n):
    c.request("POST", f"/api/v0/server/{env}/flow/payment", body, {"Authorization": f"Bearer {token}"})
    ids.append(json.loads(c.getresponse().read())["flow"]["id"])
open(out, "w").write("ids = {" + ",".join(f'"{i}"' for i in ids) + "}\n")
PY
  lua GET "/healthz" "";                                     run healthz
  lua GET "/api/v0/sdk/$ENV/flow/{id}" "";                   run get
  lua POST "/api/v0/sdk/$ENV/flow/{id}/source" "$source_body"; run attach
  lua POST "/api/v0/server/$ENV/flow/payment" "$body";       run create
  [ -n "${RPS_attach:-}" ] && [ -n "${RPS_get:-}" ] && python3 -c "print(f'| $BACKEND | attach / healthz | {100*$RPS_attach/$RPS_healthz:.1f} % | get / healthz | {100*$RPS_get/$RPS_healthz:.1f} % | | | | |')" >> "$WORK/ratios"
  kill -TERM "$SERVER"; wait "$SERVER" || true
}

: > "$WORK/rows"; : > "$WORK/ratios"
for backend in $BACKENDS; do
  case $backend in
    sqlite) bench_backend sqlite "sqlite://$WORK/bench.db" ;;
    postgres)
      psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS sluice_bench WITH (FORCE)" -c "CREATE DATABASE sluice_bench"
      bench_backend postgres "${PG_ADMIN%/*}/sluice_bench"
      psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS sluice_bench WITH (FORCE)" ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
done

{
  echo "# Benchmarks"
  echo
  echo "Generated by \`bench/run.sh\` on $(date -u +%Y-%m-%d) — $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB,"
  echo "$(uname -sr); load generator and server share the machine. Command:"
  echo "\`wrk -t$THREADS -c$CONNS -d$DURATION --latency\` per scenario against \`cargo build --profile $PROFILE\`, $FLOWS flows cycled for \`get\` and \`attach\`"
  echo "(so attach mixes first attaches and re-attaches). Durability as in production: SQLite WAL with"
  echo "\`synchronous=FULL\`, PostgreSQL \`synchronous_commit=on\` (local server, default settings)."
  echo "Latencies in ms; peak RSS is the server's high-water mark so far (MiB)."
  echo
  echo "| Backend | Scenario | req/s | p50 | p99 | p99.9 | non-2xx | socket errors | peak RSS |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  cat "$WORK/rows"
  echo
  echo "| Backend | Ratio | | Ratio | | | | | |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  cat "$WORK/ratios"
  echo
  if [ -f docs/benchmarks-notes.md ]; then cat docs/benchmarks-notes.md; fi
} > "$OUT"
echo "wrote $OUT" >&2
