#!/usr/bin/env bash
# geth's devp2p eth and snap conformance suites (`devp2p rlpx eth-test` / `snap-test`, the ones
# hive runs) against a real `ethrex` on 127.0.0.1 serving the suite's own test chain.
#
# Version: the suites of go-ethereum v1.17.6 and later (v1.17.10 included) ship a test chain that
# runs into Amsterdam (block-level access lists, slot numbers), a fork ethrex does not implement
# yet. v1.17.5 is the newest release whose suite and chain (Cancun at 60, Prague at 120, 600
# blocks) ethrex can serve, so that version is installed, pinned, into target/tools/devp2p-v1.17.5.
# (The discovery suite, tests/devp2p/discv4.sh, runs v1.17.10.)
#
# The node imports the chain (`ethrex import`), then runs with p2p on loopback; the suite drives
# its Engine API (forkchoiceUpdated to the chain's head) with the node's JWT secret.
# Usage: rlpx.sh [eth|snap|all] (default all). Every test must pass: the script prints each
# test's result and fails naming the failing ones. Skipped, saying why, without Go.
set -uo pipefail
cd "$(dirname "$0")/../.."
VERSION=v1.17.5
SUITES="${1:-all}"
TOOLS="$PWD/target/tools/devp2p-$VERSION"
DEVP2P="$TOOLS/bin/devp2p"
ETHREX="${ETHREX:-${CARGO_TARGET_DIR:-$HOME/.cache/ethrex-target}/debug/ethrex}"

if [ ! -x "$DEVP2P" ]; then
    if ! command -v go >/dev/null 2>&1; then
        echo "SKIP devp2p rlpx: no Go toolchain on PATH"; exit 0
    fi
    echo "installing devp2p $VERSION into $TOOLS/bin (go install)"
    GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install "github.com/ethereum/go-ethereum/cmd/devp2p@$VERSION" \
        || { echo "SKIP devp2p rlpx: go install github.com/ethereum/go-ethereum/cmd/devp2p@$VERSION failed"; exit 0; }
fi
GOMODCACHE="$(go env GOMODCACHE 2>/dev/null || echo "$HOME/go/pkg/mod")"
CHAIN="$GOMODCACHE/github.com/ethereum/go-ethereum@$VERSION/cmd/devp2p/internal/ethtest/testdata"
if [ ! -f "$CHAIN/chain.rlp" ]; then
    (cd /tmp && GOFLAGS=-mod=mod go mod download "github.com/ethereum/go-ethereum@$VERSION") >/dev/null 2>&1
fi
[ -f "$CHAIN/chain.rlp" ] || { echo "devp2p rlpx: the suite's chain is not at $CHAIN"; exit 1; }

WORK="$(mktemp -d)"
NODE=""
cleanup() {
    [ -n "$NODE" ] && { kill "$NODE" 2>/dev/null; wait "$NODE" 2>/dev/null; }
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$ETHREX" import --network "$CHAIN/genesis.json" --datadir "$WORK/db" "$CHAIN/chain.rlp" \
    >"$WORK/import.log" 2>&1 \
    || { cat "$WORK/import.log"; echo "devp2p rlpx: importing the suite's chain failed"; exit 1; }
tail -1 "$WORK/import.log"
P2P_PORT=$(free_port)
AUTH_PORT=$(free_port)
openssl rand -hex 32 >"$WORK/jwt.hex" 2>/dev/null || python3 -c 'import secrets; print(secrets.token_hex(32))' >"$WORK/jwt.hex"
"$ETHREX" --network "$CHAIN/genesis.json" --datadir "$WORK/db" --p2p.addr 127.0.0.1 \
    --p2p.port "$P2P_PORT" --discovery.port "$P2P_PORT" --bootnodes "" --http.addr 127.0.0.1 \
    --http.port 0 --authrpc.addr 127.0.0.1 --authrpc.port "$AUTH_PORT" \
    --authrpc.jwtsecret "$WORK/jwt.hex" --log.color never >"$WORK/node.log" 2>&1 &
NODE=$!
ENODE=""
for _ in $(seq 1 100); do
    grep -q "Engine API on" "$WORK/node.log" && ENODE=$(grep -o "enode://[^ ]*" "$WORK/node.log" | head -1)
    [ -n "$ENODE" ] && break
    kill -0 "$NODE" 2>/dev/null || { cat "$WORK/node.log"; echo "devp2p rlpx: the node exited"; exit 1; }
    sleep 0.1
done
[ -n "$ENODE" ] || { cat "$WORK/node.log"; echo "devp2p rlpx: the node did not start"; exit 1; }

FAILED=0
run_suite() {
    local suite="$1"
    local out="$WORK/$suite.out"
    timeout 600 "$DEVP2P" rlpx "$suite-test" --chain "$CHAIN" --node "$ENODE" \
        --engineapi "http://127.0.0.1:$AUTH_PORT" --jwtsecret "0x$(cat "$WORK/jwt.hex")" >"$out" 2>&1
    local status=$?
    echo "== devp2p rlpx $suite-test ($VERSION)"
    grep -E "^-- (OK|FAIL)|tests passed" "$out"
    # Every test must pass: "N/N tests passed" with equal counts, and a zero exit.
    if [ $status -ne 0 ] || ! grep -qE "^([0-9]+)/\1 tests passed" "$out"; then
        grep -B30 -E "^-- FAIL" "$out" | grep -vE "^\s*$" | tail -60
        [ $status -eq 124 ] && echo "devp2p rlpx $suite-test: timed out"
        echo "devp2p rlpx $suite-test: FAILED"
        FAILED=1
    fi
}
case "$SUITES" in
    eth) run_suite eth ;;
    snap) run_suite snap ;;
    all) run_suite eth; run_suite snap ;;
    *) echo "usage: $0 [eth|snap|all]"; exit 2 ;;
esac
if [ $FAILED -ne 0 ]; then
    echo "--- node log (last 40 lines)"; tail -40 "$WORK/node.log"
    exit 1
fi
