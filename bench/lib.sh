# Shared by the wrk benchmarks (sourced): the request bodies, starting a `sluice serve` with
# benchmark settings, and creating the flows a scenario cycles through.
# shellcheck shell=bash

body='{"amount":"25.00","currency":"USD","settlementConfig":{"strategy":"cheapest","settlements":[{"chainName":"EVM","chainId":"8453","tokenAddress":"0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913","symbol":"USDC","tokenDecimals":6}]},"destinationConfig":{"destinations":[{"chainName":"EVM","type":"address","identifier":"0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045"}]}}'
source_body='{"sourceType":"wallet","fromAddress":"0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045","fromChainId":"8453","fromChainName":"EVM"}'

# start_sluice DATABASE_URL PORT WORKDIR: starts "$BIN" serve in the background (rate limits
# off, durability as in production), waits for /healthz, sets SERVER (its pid), ENV and TOKEN.
start_sluice() {
  SLUICE_DATABASE_URL=$1 SLUICE_RATE_LIMIT_ENABLED=false SLUICE_LOG=warn SLUICE_WEBHOOK_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8 \
    "$BIN" serve --listen "127.0.0.1:$2" > "$3/env.json" 2> "$3/serve.log" &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/healthz" >/dev/null && break; sleep 0.1; done
  ENV=$(python3 -c "import json;print(json.load(open('$3/env.json'))['environmentId'])")
  TOKEN=$(python3 -c "import json;print(json.load(open('$3/env.json'))['apiToken'])")
}

# create_flows PORT COUNT OUT.lua: creates COUNT payment flows and writes their IDs as a Lua
# table `ids` for the wrk scripts.
create_flows() {
  python3 - "$1" "$ENV" "$TOKEN" "$2" "$body" "$3" <<'PY'
import http.client, json, sys
port, env, token, n, body, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
c = http.client.HTTPConnection("127.0.0.1", int(port))
ids = []
for _ in range(n):
    c.request("POST", f"/api/v0/server/{env}/flow/payment", body, {"Authorization": f"Bearer {token}"})
    ids.append(json.loads(c.getresponse().read())["flow"]["id"])
open(out, "w").write("ids = {" + ",".join(f'"{i}"' for i in ids) + "}\n")
PY
}
