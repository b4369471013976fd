#!/usr/bin/env bash
# The flat-cost benchmark (issue 21): the same release binary against a small and a large
# table, on SQLite and on PostgreSQL. For each backend and size it
#   1. starts `sluice serve` on a fresh database and creates one real flow through the API;
#   2. fills the table with copies of that flow (SQL straight into `flows`, the benchmark's
#      bulk path: ID and userId rewritten per row, 20 flows to a user at any size so that a
#      user's page is a full page at both sizes; 1 in 10 a deposit flow). The newest LIVE
#      flows (1,000) were created in the last half hour with the default `expiresIn` and are live
#      and unpaid: what a merchant creating one every few seconds has open, whatever its
#      history. The rest were created over the 30 days before, in the states history leaves:
#      60 % completed, 10 % failed, 19 % expired, 5 % cancelled, 5 % broadcasted, and 1 %
#      still live on a long `expiresIn` (invoices: the worst case for attach). Then ANALYZE;
#   3. measures with wrk: get (P1, S2) on random flows across the table, attach (P4) on the
#      recent live flows and, separately, on the month-old live ones, create (S1), and S4
#      pages (first page unfiltered and filtered each way, a page deep in the table through
#      its cursor, a user's flows) at 16 concurrent readers;
#   4. records the database's size on disk.
# Figures go to docs/benchmarks-scale.md and into docs/benchmarks.md (between the scale
# markers). SIZES, BACKENDS, DURATION pick a subset: SIZES="10000" BACKENDS=sqlite;
# REPEAT (3) runs each row that many times and reports each column's median.
# AFTER_FILL_SQL runs once each table is filled, ONLY (a regex over scenario names, e.g.
# ONLY=attach) measures a subset; both are for experiments. A run that is not the whole
# matrix should not be committed as the figures: save docs/benchmarks-scale.md first.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-5s}
REPEAT=${REPEAT:-3}
SIZES=${SIZES:-10000 1000000}
BACKENDS=${BACKENDS:-sqlite postgres}
LIVE=${LIVE:-1000}
PG_ADMIN=${SLUICE_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
PORT=18910
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
if [ -z "${BIN:-}" ]; then
  cargo build --release -q
  BIN=target/release/sluice
fi
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
source bench/lib.sh
user_body=${body%\}}',"userId":"bench-user"}'

# fill BACKEND URL COUNT TEMPLATE-ID: the bulk rows, one INSERT … SELECT over 1..COUNT (a
# recursive CTE on SQLite, generate_series on PostgreSQL), then ANALYZE. Times in ms.
fill() {
  local doc
  doc=$(query_db "$1" "$2" "SELECT doc FROM flows WHERE id = '$4'")
  python3 - "$1" "$3" "$4" "$ENV" "$(($(date +%s) * 1000))" "$doc" "$LIVE" > "$WORK/fill.sql" <<'PY'
import sys
backend, count, template, env, now, doc, live = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6], int(sys.argv[7])
hour, span = 3600 * 1000, 30 * 86400 * 1000
old = count - live  # rows 1..old are history, old+1..count the open flows of the last hour
lit = lambda text: "'" + text.replace("'", "''") + "'"
if backend == "sqlite":
    rows, new_id, env_sql = (f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) ",
        "printf('%08x-%04x-4000-8000-%012x', i, i % 65536, i)", lit(env))
    source, analyze = "FROM n", "ANALYZE;"
else:
    rows, new_id, env_sql = "", "md5(i::text || 'bench')::uuid::text", lit(env) + "::uuid"
    # CHECKPOINT: the fill's dirty pages are written now, not during the measurements.
    source, analyze = f"FROM generate_series(1::bigint, {count}) AS i", "VACUUM ANALYZE flows; CHECKPOINT;"
id_col = new_id if backend == "sqlite" else new_id[: -len("::text")]
# The open flows were created over the last half hour, so none expires during the run.
created = (f"CASE WHEN i > {old} THEN {now - hour // 2} + (i - {old}) * {hour // 2 // max(live, 1)} "
           f"ELSE {now - hour - span} + i * {span // max(old, 1)} END")
state = "CASE WHEN i > {old} OR i % 100 = 99 THEN '{live}' WHEN i % 100 < 60 THEN '{done}' WHEN i % 100 < 70 THEN 'failed' WHEN i % 100 < 89 THEN '{lapsed}' WHEN i % 100 < 94 THEN '{ended}' ELSE '{paid}' END"
print(f"""{rows}INSERT INTO flows (id, environment_id, mode, execution_state, settlement_state, risk_state,
  session_token_hash, expires_at, created_at, updated_at, revision, doc)
SELECT {id_col}, {env_sql}, CASE WHEN i % 10 = 0 THEN 'deposit' ELSE 'payment' END,
  {state.format(old=old, live='initiated', done='source_confirmed', lapsed='expired', ended='cancelled', paid='broadcasted')},
  {state.format(old=old, live='none', done='completed', lapsed='none', ended='none', paid='none')},
  'cleared', NULL,
  CASE WHEN i % 100 = 99 AND i <= {old} THEN {now + 86400000} ELSE ({created}) + {hour} END,
  {created}, ({created}) + 1000, 1,
  replace(replace({lit(doc)}, {lit(template)}, {new_id}), '"userId":"bench-user"', '"userId":"user-' || (i % {max(count // 20, 1)}) || '"')
{source};
{analyze}""")
PY
  case $1 in
    sqlite) sqlite3 "${2#sqlite://}" < "$WORK/fill.sql" ;;
    postgres) psql "$2" -q -v ON_ERROR_STOP=1 -f "$WORK/fill.sql" ;;
  esac
}

query_db() { # backend url sql
  case $1 in
    sqlite) sqlite3 "${2#sqlite://}" "$3" ;;
    postgres) psql "$2" -Atc "$3" ;;
  esac
}

lua() { # method path-template body ids-file
  cat > "$WORK/script.lua" <<LUA
dofile("$4")
local i = 0
local method, template, body = "$1", "$2", [[$3]]
request = function()
  i = i + 1
  local path = template:gsub("{id}", ids[(i % #ids) + 1])
  return wrk.format(method, path, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $TOKEN"}, body ~= "" and body or nil)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.0f %.2f %.2f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
LUA
}

run() { # scenario connections: REPEAT runs, each column's median reported
  if [ -n "${ONLY:-}" ] && ! [[ $1 =~ $ONLY ]]; then return; fi
  local out results=""
  for _ in $(seq 1 "$REPEAT"); do
    out=$(wrk -t1 -c"$2" -d"$DURATION" --latency -s "$WORK/script.lua" "http://127.0.0.1:$PORT" 2>&1)
    results+="$(grep '^RESULT' <<<"$out" | head -n 1)"$'\n'
  done
  read -r rps p50 p99 non2xx < <(python3 -c '
import statistics, sys
runs = [line.split()[1:] for line in sys.stdin if line.startswith("RESULT")]
print(*(statistics.median_low(float(r[i]) for r in runs) for i in range(3)), sum(int(r[3]) for r in runs))
' <<<"$results")
  echo "| $BACKEND | $SIZE | $1 | $2 | ${rps%.0} | $p50 | $p99 | $non2xx |" >> "$WORK/rows"
  echo "$BACKEND $SIZE $1: ${rps%.0} req/s, p50 $p50 ms, p99 $p99 ms, non-2xx $non2xx (median of $REPEAT)" >&2
}

ids_file() { # backend url where out
  query_db "$1" "$2" "SELECT id FROM flows WHERE $3 ORDER BY random() LIMIT 5000" \
    | python3 -c "import sys; print('ids = {' + ','.join(repr(l.strip()) for l in sys.stdin if l.strip()) + '}')" > "$4"
}

bench() { # backend url size
  BACKEND=$1 SIZE=$3
  start_sluice "$2" "$PORT" "$WORK"
  local template
  template=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v0/server/$ENV/flow/payment" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "$user_body" | python3 -c "import json,sys; print(json.load(sys.stdin)['flow']['id'])")
  local started=$SECONDS
  fill "$1" "$2" "$(($3 - 1))" "$template"
  echo "$BACKEND $SIZE: table filled in $((SECONDS - started)) s" >&2
  # AFTER_FILL_SQL: an experiment's change to the filled database (drop an index, …).
  if [ -n "${AFTER_FILL_SQL:-}" ]; then query_db "$1" "$2" "$AFTER_FILL_SQL"; fi
  echo "| $BACKEND | $SIZE | $((SECONDS - started)) s |" >> "$WORK/fills"
  ids_file "$1" "$2" "1 = 1" "$WORK/all.lua"
  ids_file "$1" "$2" "execution_state = 'initiated' AND expires_at - created_at <= 3600000" "$WORK/live.lua"
  ids_file "$1" "$2" "execution_state = 'initiated' AND expires_at - created_at > 3600000" "$WORK/invoices.lua"
  local mid; mid=$(query_db "$1" "$2" "SELECT created_at || '.' || id FROM flows ORDER BY created_at LIMIT 1 OFFSET $(($3 / 2))")
  local cursor; cursor=$(python3 -c "import base64,sys; print(base64.urlsafe_b64encode(sys.argv[1].encode()).decode().rstrip('='))" "$mid")
  echo "ids = {'x'}" > "$WORK/none.lua"
  lua GET "/api/v0/sdk/$ENV/flow/{id}" "" "$WORK/all.lua"; run "get (P1)" 64
  lua GET "/api/v0/server/$ENV/flow/{id}" "" "$WORK/all.lua"; run "get (S2)" 64
  lua POST "/api/v0/sdk/$ENV/flow/{id}/source" "$source_body" "$WORK/live.lua"; run "attach (P4)" 64
  lua POST "/api/v0/sdk/$ENV/flow/{id}/source" "$source_body" "$WORK/invoices.lua"; run "attach (P4), month-old flows" 64
  local list="/api/v0/server/$ENV/flows"
  for q in "" "executionState=cancelled" "executionState=failed" "executionState=expired" "executionState=quoted" \
    "settlementState=completed" "mode=deposit" "executionState=failed&mode=deposit" \
    "settlementState=none&mode=deposit&executionState=initiated" "userId=user-123" "cursor=$cursor" \
    "executionState=failed&cursor=$cursor"; do
    local name=${q:-first page, unfiltered}
    name=${name/&cursor=$cursor/, a page in the middle (cursor)}
    name=${name/cursor=$cursor/a page in the middle (cursor)}
    lua GET "$list?$q" "" "$WORK/none.lua"; run "S4 $name" 16
  done
  # Create last: it adds flows (tens of thousands in a run), which would grow the small table.
  lua POST "/api/v0/server/$ENV/flow/payment" "$body" "$WORK/none.lua"; run "create (S1)" 64
  local size
  case $1 in
    sqlite) size=$(du -cm "${2#sqlite://}"* | awk 'END {print $1}') ;;
    postgres) size=$(psql "$2" -Atc "SELECT pg_database_size(current_database()) / 1048576") ;;
  esac
  echo "| $BACKEND | $SIZE | $size MiB | $(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$SERVER/status") MiB |" >> "$WORK/sizes"
  kill -TERM "$SERVER"; wait "$SERVER" || true
}

: > "$WORK/rows"; : > "$WORK/sizes"; : > "$WORK/fills"
for backend in $BACKENDS; do
  for size in $SIZES; do
    case $backend in
      sqlite) rm -f "$WORK"/scale.db*; bench sqlite "sqlite://$WORK/scale.db" "$size" ;;
      postgres)
        psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS sluice_scale WITH (FORCE)" -c "CREATE DATABASE sluice_scale"
        bench postgres "${PG_ADMIN%/*}/sluice_scale" "$size"
        psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS sluice_scale WITH (FORCE)" ;;
    esac
  done
done

{
  echo "## At scale: the same reads at 10,000 and 1,000,000 flows"
  echo
  echo "Generated by \`bench/scale.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores, load generator on the same"
  echo "machine, \`cargo build --release\`). Command: \`SIZES=\"$SIZES\" BACKENDS=\"$BACKENDS\" DURATION=$DURATION REPEAT=$REPEAT bench/scale.sh\`."
  echo "Each row is the median of $REPEAT runs of \`wrk -t1 -c<conns> -d$DURATION --latency\` (each column's own median); get picks random flows across the whole"
  echo "table; attach cycles through the $LIVE live flows of the last half hour (a re-attach replaces the source),"
  echo "and its month-old row through live flows spread over the month (1 % of the history, kept open by"
  echo "a long \`expiresIn\`); S4 rows ask for the same page again and again at 16 concurrent readers."
  echo "Latencies in ms."
  echo
  echo "| Backend | Flows | Scenario | Connections | req/s | p50 | p99 | non-2xx |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  cat "$WORK/rows"
  echo
  echo "| Backend | Flows | Database on disk | Server peak RSS |"
  echo "| --- | --- | --- | --- |"
  cat "$WORK/sizes"
  echo
  echo "| Backend | Flows | Bulk fill (SQL) and ANALYZE |"
  echo "| --- | --- | --- |"
  cat "$WORK/fills"
} > docs/benchmarks-scale.md
python3 - <<'PY'
import re
text = open("docs/benchmarks.md").read()
scale = open("docs/benchmarks-scale.md").read()
block = f"<!-- scale:begin -->\n{scale}<!-- scale:end -->\n"
if "<!-- scale:begin -->" in text:
    text = re.sub(r"<!-- scale:begin -->.*<!-- scale:end -->\n", lambda _: block, text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n" + block
open("docs/benchmarks.md", "w").write(text)
PY
echo "wrote docs/benchmarks-scale.md and its section of docs/benchmarks.md" >&2
