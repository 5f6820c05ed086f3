#!/usr/bin/env bash
# The CL-mock cross-checks with real clients (`make cl-mock-clients`): installs, pinned and once,
# geth v1.17.10 (go install, into target/tools/bin) and @ethereumjs/client 0.10.5 (npm, into
# target/tools/ethereumjs), then runs the ignored `clients::` tests of tooling/cl-mock against
# them. A client that cannot be installed is skipped with the reason; its test then prints SKIP.
# `clients.sh --install-only` installs and stops there (tests/devp2p/peers.sh uses it).
set -uo pipefail
cd "$(dirname "$0")/../.."
TOOLS="$PWD/target/tools"
GETH_VERSION=v1.17.10
EJS_VERSION=0.10.5
GETH_BIN="$TOOLS/bin/geth"
EJS_DIR="$TOOLS/ethereumjs"
EJS_BIN="$EJS_DIR/node_modules/.bin/ethereumjs"

# (Read the whole output: `grep -q` would close the pipe early and, under pipefail, fail the test.)
installed_geth=$("$GETH_BIN" version 2>/dev/null || true)
if [[ "$installed_geth" == *"Version: ${GETH_VERSION#v}-stable"* ]]; then
    echo "geth $GETH_VERSION: $GETH_BIN"
elif ! command -v go >/dev/null 2>&1; then
    echo "SKIP geth: no Go toolchain on PATH"
else
    echo "installing geth $GETH_VERSION into $TOOLS/bin (go install, a few minutes)"
    GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install "github.com/ethereum/go-ethereum/cmd/geth@$GETH_VERSION" \
        || echo "SKIP geth: go install github.com/ethereum/go-ethereum/cmd/geth@$GETH_VERSION failed"
fi

installed_ejs=$(node -p "require('$EJS_DIR/node_modules/@ethereumjs/client/package.json').version" 2>/dev/null)
if [ "$installed_ejs" = "$EJS_VERSION" ] && [ -x "$EJS_BIN" ]; then
    echo "@ethereumjs/client $EJS_VERSION: $EJS_BIN"
elif ! command -v npm >/dev/null 2>&1; then
    echo "SKIP ethereumjs: no npm on PATH"
else
    echo "installing @ethereumjs/client $EJS_VERSION into $EJS_DIR (npm)"
    npm install --silent --no-audit --no-fund --prefix "$EJS_DIR" "@ethereumjs/client@$EJS_VERSION" \
        || echo "SKIP ethereumjs: npm install @ethereumjs/client@$EJS_VERSION failed"
fi

[ "${1:-}" = --install-only ] && exit 0
[ -x "$GETH_BIN" ] && export GETH="$GETH_BIN"
[ -x "$EJS_BIN" ] && export ETHEREUMJS="$EJS_BIN"
cargo build -p ethrex || exit 1
status=0
cargo test -p cl-mock --test it clients:: -- --ignored --nocapture --test-threads 1 || status=1
# RLPx interop: our handshake, Hello and snappy Ping/Pong with geth, both directions.
if [ -x "$GETH_BIN" ]; then
    ETHREX_GETH="$GETH_BIN" cargo test -p ethrex-p2p --lib geth -- --ignored --nocapture || status=1
else
    echo "SKIP rlpx geth interop: geth not installed"
fi
exit $status
