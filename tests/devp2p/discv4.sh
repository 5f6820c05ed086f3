#!/usr/bin/env bash
# geth's devp2p discovery v4 conformance suite (`devp2p discv4 test`, the one hive runs) against
# a real `ethrex` on 127.0.0.1 (the tester also uses 127.0.0.2). Installs, pinned and once,
# go-ethereum's devp2p v1.17.10 into target/tools/bin; skipped, saying why, when it cannot.
# Uses the dev profile's ethrex ($CARGO_TARGET_DIR/debug/ethrex); build it first.
set -uo pipefail
cd "$(dirname "$0")/../.."
VERSION=v1.17.10
TOOLS="$PWD/target/tools"
DEVP2P="$TOOLS/bin/devp2p"
ETHREX="${ETHREX:-${CARGO_TARGET_DIR:-$HOME/.cache/ethrex-target}/debug/ethrex}"

if [ ! -x "$DEVP2P" ]; then
    if ! command -v go >/dev/null 2>&1; then
        echo "SKIP devp2p discv4: no Go toolchain on PATH"; exit 0
    fi
    echo "installing devp2p $VERSION into $TOOLS/bin (go install)"
    GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install "github.com/ethereum/go-ethereum/cmd/devp2p@$VERSION" \
        || { echo "SKIP devp2p discv4: go install github.com/ethereum/go-ethereum/cmd/devp2p@$VERSION failed"; exit 0; }
fi

WORK="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
cat >"$WORK/genesis.json" <<'JSON'
{"config": {"chainId": 4242, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0,
  "eip158Block": 0, "byzantiumBlock": 0, "constantinopleBlock": 0, "petersburgBlock": 0,
  "istanbulBlock": 0, "berlinBlock": 0, "londonBlock": 0, "mergeNetsplitBlock": 0,
  "terminalTotalDifficulty": 0, "shanghaiTime": 0},
 "difficulty": "0x0", "gasLimit": "0x1c9c380", "baseFeePerGas": "0x3b9aca00", "alloc": {}}
JSON
"$ETHREX" --network "$WORK/genesis.json" --datadir memory --p2p.addr 127.0.0.1 \
    --discovery.port "$PORT" --p2p.port 0 --http.addr 127.0.0.1 --http.port 0 \
    --authrpc.port 0 --authrpc.jwtsecret "$WORK/jwt.hex" --log.color never >"$WORK/node.log" 2>&1 &
NODE=$!
cleanup() { kill "$NODE" 2>/dev/null; wait "$NODE" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
ENODE=""
for _ in $(seq 1 100); do
    ENODE=$(grep -o "enode://[^ ]*" "$WORK/node.log" | head -1)
    [ -n "$ENODE" ] && break
    kill -0 "$NODE" 2>/dev/null || { echo "devp2p discv4: the node exited"; cat "$WORK/node.log"; exit 1; }
    sleep 0.1
done
[ -n "$ENODE" ] || { echo "devp2p discv4: no enode in the node's log"; exit 1; }
OUT=$(timeout 300 "$DEVP2P" discv4 test --remote "$ENODE" --listen1 127.0.0.1 --listen2 127.0.0.2 2>&1)
STATUS=$?
echo "$OUT" | grep -E "^-- (OK|FAIL)|tests passed"
# Every test must pass: "N/N tests passed" with equal counts, and a zero exit.
if [ $STATUS -ne 0 ] || ! echo "$OUT" | grep -qE "^([0-9]+)/\1 tests passed"; then
    echo "$OUT" | tail -30; echo "devp2p discv4: FAILED"; exit 1
fi
