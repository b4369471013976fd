#!/usr/bin/env bash
# Keyed flow creation (S1 with Idempotency-Key) while attaches load the server: the latency a
# merchant's backend sees when payers are busy. For $DURATION, wrk runs attaches at $CONNS
# connections and, at the same time, S1 creates at $CREATE_CONNS connections — first with a
# fresh Idempotency-Key per request, then without one — and prints the creates' latencies.
# BIN=path benches a built binary (default: cargo build --release); BACKEND=sqlite|postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-8s}
CONNS=${CONNS:-64}
CREATE_CONNS=${CREATE_CONNS:-4}
FLOWS=${FLOWS:-3000}
BACKEND=${BACKEND:-sqlite}
PG_ADMIN=${SLUICE_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
PORT=18910
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
if [ -z "${BIN:-}" ]; then
  cargo build --release -q
  BIN=target/release/sluice
fi
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
case $BACKEND in
  sqlite) DB="sqlite://$WORK/bench.db" ;;
  postgres)
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS sluice_keyed WITH (FORCE)" -c "CREATE DATABASE sluice_keyed"
    DB="${PG_ADMIN%/*}/sluice_keyed" ;;
esac
source bench/lib.sh
start_sluice "$DB" "$PORT" "$WORK"
create_flows "$PORT" "$FLOWS" "$WORK/ids.lua"
cat > "$WORK/attach.lua" <<LUA
dofile("$WORK/ids.lua")
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/api/v0/sdk/$ENV/flow/" .. ids[(i % #ids) + 1] .. "/source", {["Content-Type"] = "application/json"}, [[$source_body]])
end
LUA
create_lua() { # keyed?
  cat > "$WORK/create.lua" <<LUA
local i, prefix = 0, tostring(os.time()) .. tostring(math.random(1e9))
local keyed = $1
request = function()
  i = i + 1
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $TOKEN"}
  if keyed then headers["Idempotency-Key"] = prefix .. "-" .. i end
  return wrk.format("POST", "/api/v0/server/$ENV/flow/payment", headers, [[$body]])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.0f %.2f %.2f %.2f %.2f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000, summary.errors.status))
end
LUA
}
measure() { # label keyed?
  create_lua "$2"
  wrk -t1 -c"$CONNS" -d"$DURATION" -s "$WORK/attach.lua" "http://127.0.0.1:$PORT" > "$WORK/attach.out" 2>&1 &
  local attach=$!
  local r; r=$(wrk -t1 -c"$CREATE_CONNS" -d"$DURATION" -s "$WORK/create.lua" "http://127.0.0.1:$PORT" | grep '^RESULT')
  wait "$attach"
  local attach_rps; attach_rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$WORK/attach.out")
  read -r _ rps p50 p95 p99 max non2xx <<<"$r"
  echo "| $BACKEND | $1 | $rps | $p50 | $p95 | $p99 | $max | $non2xx | $attach_rps |"
}
echo "| Backend | S1 under attach load | creates/s | p50 | p95 | p99 | max | non-2xx | attaches/s |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
measure "with Idempotency-Key" true
measure "without a key" false
