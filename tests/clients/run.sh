#!/usr/bin/env bash
# Real clients against `ethrex --dev`: cast (npm @foundry-rs/cast) sends ETH, deploys a contract
# compiled with solc (npm solc), calls and transacts it, reads its logs and a receipt; web3.py
# (PyPI) signs and sends an EIP-1559 transaction; a WebSocket client gets newHeads and logs
# notifications; `cast send --blob` gets a blob transaction included with its blob gas accounted.
#
# Tools are installed on first use into target/clients (ignored). The node binary is the dev
# profile's ethrex ($CARGO_TARGET_DIR/debug/ethrex); build it first (make build).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/tests/clients"
TOOLS="$ROOT/target/clients"
ETHREX="${ETHREX:-${CARGO_TARGET_DIR:-$HOME/.cache/ethrex-target}/debug/ethrex}"
mkdir -p "$TOOLS"

if [ ! -x "$TOOLS/node_modules/.bin/cast" ] || [ ! -d "$TOOLS/node_modules/ws" ]; then
  echo "clients: installing cast, solc and ws from npm into $TOOLS"
  npm install --prefix "$TOOLS" --no-audit --no-fund --silent \
    @foundry-rs/cast@1.7.1 solc@0.8.28 ws@8 >/dev/null
fi
if [ ! -d "$TOOLS/py/web3" ]; then
  echo "clients: installing web3 and eth-account from PyPI into $TOOLS/py"
  python3 -m pip install --quiet --disable-pip-version-check --target "$TOOLS/py" \
    web3==7.* eth-account >/dev/null 2>&1
fi
CAST="$TOOLS/node_modules/.bin/cast"
SOLCJS="$TOOLS/node_modules/.bin/solcjs"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HTTP_PORT=$(free_port); WS_PORT=$(free_port)
RPC="http://127.0.0.1:$HTTP_PORT"; WS="ws://127.0.0.1:$WS_PORT"
WORK="$(mktemp -d)"
"$ETHREX" --dev --datadir memory --http.addr 127.0.0.1 --http.port "$HTTP_PORT" \
  --ws.enabled --ws.addr 127.0.0.1 --ws.port "$WS_PORT" \
  --authrpc.port 0 --authrpc.jwtsecret "$WORK/jwt.hex" --log.color never >"$WORK/node.log" 2>&1 &
NODE=$!
cleanup() { kill "$NODE" 2>/dev/null || true; wait "$NODE" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
fail() { echo "clients: FAILED: $*"; echo "--- node log (tail)"; tail -30 "$WORK/node.log"; exit 1; }

for _ in $(seq 1 120); do
  "$CAST" chain-id --rpc-url "$RPC" >/dev/null 2>&1 && break
  kill -0 "$NODE" 2>/dev/null || fail "the node exited"
  sleep 0.5
done
"$CAST" chain-id --rpc-url "$RPC" >/dev/null || fail "the node does not answer"

KEYS="$ROOT/../shared/fixtures/dev-keys.txt"
[ -f "$KEYS" ] || KEYS="$ROOT/crates/common/networks/dev-keys.txt"
key() { grep -v '^#' "$KEYS" | sed -n "$1p" | cut -d' ' -f1; }
addr() { grep -v '^#' "$KEYS" | sed -n "$1p" | cut -d' ' -f2; }
KEY1=$(key 1); KEY2=$(key 2); ADDR3=$(addr 3)

# (a) cast: ETH transfer, deploy, call, transact, logs, receipt.
BEFORE=$("$CAST" balance --rpc-url "$RPC" "$ADDR3")
"$CAST" send --rpc-url "$RPC" --private-key "$KEY1" "$ADDR3" --value 1ether --json >"$WORK/send.json" \
  || fail "cast send (ETH)"
grep -q '"status":"0x1"' "$WORK/send.json" || fail "ETH transfer receipt: $(cat "$WORK/send.json")"
AFTER=$("$CAST" balance --rpc-url "$RPC" "$ADDR3")
python3 -c "import sys; b,a=int(sys.argv[1]),int(sys.argv[2]); assert a-b==10**18, (b,a)" "$BEFORE" "$AFTER" \
  || fail "balance after 1 ether: $BEFORE -> $AFTER"
echo "cast: sent 1 ether"

(cd "$WORK" && "$SOLCJS" --bin --abi -o out "$HERE/Counter.sol" >/dev/null) || fail "solcjs"
BIN=$(cat "$WORK"/out/*Counter.bin)
"$CAST" send --rpc-url "$RPC" --private-key "$KEY1" --create "0x$BIN" --json >"$WORK/deploy.json" \
  || fail "cast send --create"
COUNTER=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["contractAddress"])' "$WORK/deploy.json")
[ "$("$CAST" code --rpc-url "$RPC" "$COUNTER")" != "0x" ] || fail "no code at $COUNTER"
[ "$("$CAST" call --rpc-url "$RPC" "$COUNTER" 'count()(uint256)')" = "0" ] || fail "count() != 0"
echo "cast: deployed Counter at $COUNTER"

# (c) WebSocket subscriptions, while (a) goes on with a transaction.
# Node resolves ES-module imports next to the script: run a copy inside $TOOLS.
cp "$HERE/ws_test.mjs" "$TOOLS/ws_test.mjs"
node "$TOOLS/ws_test.mjs" "$WS" "$COUNTER" >"$WORK/ws.log" 2>&1 &
WSPID=$!
for _ in $(seq 1 60); do grep -q subscribed "$WORK/ws.log" && break; sleep 0.5; done
grep -q subscribed "$WORK/ws.log" || fail "ws client did not subscribe: $(cat "$WORK/ws.log")"

"$CAST" send --rpc-url "$RPC" --private-key "$KEY1" "$COUNTER" 'increment()' --json >"$WORK/inc.json" \
  || fail "cast send increment()"
TX=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["transactionHash"])' "$WORK/inc.json")
[ "$("$CAST" call --rpc-url "$RPC" "$COUNTER" 'count()(uint256)')" = "1" ] || fail "count() != 1"
"$CAST" receipt --rpc-url "$RPC" "$TX" --json >"$WORK/receipt.json" || fail "cast receipt"
grep -q '"status":"0x1"' "$WORK/receipt.json" || fail "receipt status: $(cat "$WORK/receipt.json")"
"$CAST" logs --rpc-url "$RPC" --from-block 0 --address "$COUNTER" 'Incremented(address,uint256)' --json \
  >"$WORK/logs.json" || fail "cast logs"
python3 -c 'import json,sys; logs=json.load(open(sys.argv[1])); assert len(logs)==1, logs' "$WORK/logs.json" \
  || fail "logs: $(cat "$WORK/logs.json")"
echo "cast: called, transacted, read 1 log and the receipt"
wait "$WSPID" || fail "ws: $(cat "$WORK/ws.log")"
cat "$WORK/ws.log"

# (b) web3.py: a signed EIP-1559 transaction.
PYTHONPATH="$TOOLS/py" python3 "$HERE/web3_test.py" "$RPC" "$KEY2" "$ADDR3" || fail "web3.py"

# (d) a blob transaction.
head -c 1000 /dev/urandom >"$WORK/blob.bin"
"$CAST" send --rpc-url "$RPC" --private-key "$KEY2" --blob --path "$WORK/blob.bin" "$ADDR3" --json \
  >"$WORK/blob.json" || fail "cast send --blob"
python3 - "$WORK/blob.json" <<'PY' || fail "blob receipt: $(cat "$WORK/blob.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "0x1", r
assert r["type"] == "0x3", r
assert int(r["blobGasUsed"], 16) == 131072, r
assert int(r["blobGasPrice"], 16) >= 1, r
PY
BLOCK=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["blockNumber"])' "$WORK/blob.json")
"$CAST" block --rpc-url "$RPC" "$BLOCK" --json >"$WORK/block.json" || fail "cast block"
python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); assert int(b["blobGasUsed"],16)==131072, b' \
  "$WORK/block.json" || fail "block blob gas: $(cat "$WORK/block.json")"
echo "cast: blob transaction included, 131072 blob gas"
echo "clients: all passed"
