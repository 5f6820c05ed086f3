#!/usr/bin/env bash
# Sync with real clients on 127.0.0.1 (`make devp2p-sync`): ethrex syncs from geth (v1.17.10),
# geth syncs from ethrex, ethereumjs (0.10.5) syncs from ethrex.
#
# Each syncing node starts empty (genesis only), is peered with a serving node that imported the
# chain, and is driven through its Engine API as a consensus client would: engine_newPayloadV4 of
# the head where the client needs it (geth, ethereumjs), then engine_forkchoiceUpdatedV3 to the
# head repeated until VALID (at most $SYNC_LIMIT s, default 180); both calls are made from the
# chain file by sync.py. Every answer must be SYNCING, ACCEPTED or VALID, never INVALID. At the
# end the syncing node's latest block must be the head, hash and state root. Two chains:
#   the devp2p chain, go-ethereum v1.17.5's devp2p test chain (a custom post-merge genesis,
#   Cancun at 60, Prague at 120, 600 blocks with transactions; the one rlpx.sh and peers.sh use):
#   1. ethrex syncs from geth, `--syncmode full` (all 600 blocks executed), then a fresh ethrex
#      with `--syncmode snap` (the state of block 536 over snap/1, 64 blocks executed);
#   2. geth syncs from ethrex, `--syncmode full`, then a fresh geth with `--syncmode snap` (a known
#      limit of eth/69 stops the latter: see geth_from_ethrex);
#   3. ethereumjs syncs from ethrex (eth/68; its beacon sync: skeleton back from the head, then
#      execution);
#   the chaingen chain (section 4), 200 Osaka blocks from tooling/chaingen:
#   4. geth syncs from ethrex with `--syncmode snap` (ethrex serves account and storage ranges,
#      codes and trie nodes), and ethrex from geth with `--syncmode snap`.
# Each sync's time and blocks/s are printed, with the syncing node's log lines about the sync and
# geth's warnings, errors and dropped peers. KEEP_WORK=1 keeps the nodes' logs and data.
# Tools are installed pinned by tooling/cl-mock/clients.sh (geth, ethereumjs) and into
# target/tools/py (eth-account, for keccak); without Go the script prints SKIP. Every process it
# starts is killed by PID on exit (ethereumjs with SIGKILL: it ignores SIGTERM); every wait is
# bounded. Prints one line per check, FAIL lines naming what failed, and exits non-zero when any
# check failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
TOOLS="$ROOT/target/tools"
CHAIN_VERSION=v1.17.5
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ethrex-target}"
ETHREX="${ETHREX:-$CARGO_TARGET_DIR/debug/ethrex}"
GETH="$TOOLS/bin/geth"
PY="$TOOLS/py"
CHAINGEN="${CHAINGEN:-$CARGO_TARGET_DIR/debug/ethrex-chaingen}"
EJS="$TOOLS/ethereumjs/node_modules/.bin/ethereumjs"
# How long one sync may take (seconds).
SYNC_LIMIT="${SYNC_LIMIT:-180}"

command -v go >/dev/null 2>&1 || { echo "SKIP devp2p sync: no Go toolchain on PATH"; exit 0; }
command -v jq >/dev/null 2>&1 || { echo "SKIP devp2p sync: no jq on PATH"; exit 0; }
bash tooling/cl-mock/clients.sh --install-only || exit 1
[ -x "$GETH" ] || { echo "SKIP devp2p sync: geth is not installed"; exit 0; }
if [ ! -d "$PY/eth_utils" ]; then
    echo "installing eth-account 0.14.0 into $PY (pip)"
    python3 -m pip install --quiet --disable-pip-version-check --target "$PY" eth-account==0.14.0 \
        >/dev/null 2>&1 || { echo "SKIP devp2p sync: pip install eth-account==0.14.0 failed"; exit 0; }
fi
GOMODCACHE="$(go env GOMODCACHE 2>/dev/null || echo "$HOME/go/pkg/mod")"
CHAIN="$GOMODCACHE/github.com/ethereum/go-ethereum@$CHAIN_VERSION/cmd/devp2p/internal/ethtest/testdata"
if [ ! -f "$CHAIN/chain.rlp" ]; then
    (cd /tmp && GOFLAGS=-mod=mod go mod download "github.com/ethereum/go-ethereum@$CHAIN_VERSION") >/dev/null 2>&1
fi
[ -f "$CHAIN/chain.rlp" ] || { echo "FAIL devp2p sync: the test chain is not at $CHAIN"; exit 1; }

WORK="$(mktemp -d)"
ETHREX_PID=""
GETH_PID=""
EJS_PID=""
cleanup() {
    [ -n "$ETHREX_PID" ] && { kill "$ETHREX_PID" 2>/dev/null; wait "$ETHREX_PID" 2>/dev/null; }
    [ -n "$GETH_PID" ] && { kill "$GETH_PID" 2>/dev/null; wait "$GETH_PID" 2>/dev/null; }
    [ -n "$EJS_PID" ] && { kill -9 "$EJS_PID" 2>/dev/null; wait "$EJS_PID" 2>/dev/null; }
    if [ -n "${KEEP_WORK:-}" ]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
source tests/devp2p/lib.sh
new_ports

# use_chain NAME GENESIS RLP: the chain the next checks sync: its files, head, head's calls
# (engine_newPayloadV4 and forkchoiceUpdatedV3, by sync.py), and serving nodes' data directories
# ($WORK/ethrex-NAME-src, $WORK/geth-NAME-src) with it imported.
use_chain() {
    C_NAME="$1" C_GENESIS="$2" C_RLP="$3"
    PYTHONPATH="$PY" python3 tests/devp2p/sync.py head "$C_RLP" >"$WORK/$C_NAME-head.json" \
        || fatal "sync.py head $C_RLP"
    head -1 "$WORK/$C_NAME-head.json" >"$WORK/$C_NAME-newpayload.json"
    tail -1 "$WORK/$C_NAME-head.json" >"$WORK/$C_NAME-fcu.json"
    HEAD=$(jq -r '.params[0].blockHash' "$WORK/$C_NAME-newpayload.json")
    HEAD_ROOT=$(jq -r '.params[0].stateRoot' "$WORK/$C_NAME-newpayload.json")
    HEAD_NUMBER=$(jq -r '.params[0].blockNumber' "$WORK/$C_NAME-newpayload.json")
    CHAIN_ID=$(jq -r .config.chainId "$C_GENESIS")
    local started
    started=$(now)
    "$ETHREX" import --network "$C_GENESIS" --datadir "$WORK/ethrex-$C_NAME-src" "$C_RLP" \
        >"$WORK/ethrex-$C_NAME-import.log" 2>&1 || fatal "ethrex import of the $C_NAME chain"
    "$GETH" init --datadir "$WORK/geth-$C_NAME-src" --state.scheme path "$C_GENESIS" >"$WORK/geth-$C_NAME-import.log" 2>&1 \
        && "$GETH" import --datadir "$WORK/geth-$C_NAME-src" "$C_RLP" >>"$WORK/geth-$C_NAME-import.log" 2>&1 \
        || fatal "geth init/import of the $C_NAME chain"
    ok "$C_NAME chain: ethrex and geth imported its $((HEAD_NUMBER)) blocks ($(secs "$started") s), head ${HEAD:0:10}…"
}

# ethrex_from_geth MODE...: geth serves the chain; for each MODE a fresh ethrex syncs from it.
ethrex_from_geth() {
    local mode log started status
    start_geth "$WORK/geth-$C_NAME-src" "$WORK/geth-$C_NAME-src.log" --syncmode full
    status=$(engine "http://127.0.0.1:$G_AUTH" "$WORK/$C_NAME-fcu.json" | jq -r .result.payloadStatus.status)
    [ "$status" = VALID ] || fatal "geth's forkchoiceUpdated to the head of the $C_NAME chain: $status"
    G_ENODE=$(enode "$G_RPC")
    for mode in "$@"; do
        log="$WORK/ethrex-$C_NAME-$mode.log"
        start_ethrex "$C_GENESIS" "$WORK/ethrex-$C_NAME-$mode" "$log" --syncmode "$mode" --bootnodes "$G_ENODE"
        rpc "$E_RPC" admin_addPeer "[\"$G_ENODE\"]" >/dev/null || fail "ethrex's admin_addPeer(geth)"
        started=$(now)
        if drive "ethrex ($mode) from geth" "http://127.0.0.1:$E_AUTH" "$ETHREX_PID"; then
            same_head "$C_NAME chain: ethrex syncs from geth, --syncmode $mode" "$E_RPC" "$(secs "$started")"
        fi
        show_log "$log" "snap sync|sync: (reached|.*headers from)|WARN|ERROR"
        stop ETHREX
    done
    stop GETH
}

# geth_from_ethrex MODE...: ethrex serves the chain; for each MODE a fresh geth syncs from it,
# driven like a consensus client (newPayload of the head, then forkchoiceUpdated). geth logs at
# debug level; its warnings and errors are printed.
#
# geth drops a peer for a message over its 10 MiB limit (the devp2p chain's block 11 has
# 10.6 MB of receipts: served in parts over eth/70) or for a GetTrieNodes answer with a node it
# did not ask for; either ends the check at once as a failure.
TOO_LONG="Removing p2p peer.*err=\"message too long"
HEAL_DROP="Removing p2p peer.*err=\"unexpected healing trienode"
geth_from_ethrex() {
    local mode log started answer status
    start_ethrex "$C_GENESIS" "$WORK/ethrex-$C_NAME-src" "$WORK/ethrex-$C_NAME-src.log" --bootnodes ""
    E_ENODE=$(enode "$E_RPC")
    for mode in "$@"; do
        log="$WORK/geth-$C_NAME-$mode.log"
        "$GETH" init --datadir "$WORK/geth-$C_NAME-$mode" --state.scheme path "$C_GENESIS" >"$log" 2>&1 \
            || fatal "geth init ($mode)"
        start_geth "$WORK/geth-$C_NAME-$mode" "$log" --syncmode "$mode" --verbosity 4
        [ "$(rpc "$G_RPC" admin_addPeer "[\"$E_ENODE\"]")" = true ] || fail "geth's admin_addPeer(ethrex)"
        started=$(now)
        answer=$(engine "http://127.0.0.1:$G_AUTH" "$WORK/$C_NAME-newpayload.json")
        status=$(jq -r '.result.status // empty' <<<"$answer" 2>/dev/null)
        case "$status" in
            SYNCING | ACCEPTED | VALID)
                drive "geth ($mode) from ethrex" "http://127.0.0.1:$G_AUTH" "$GETH_PID" "$log" "$TOO_LONG|$HEAL_DROP"
                case $? in
                    0)
                        DRIVE_STATUSES=" newPayload $status, forkchoiceUpdated$DRIVE_STATUSES"
                        same_head "$C_NAME chain: geth syncs from ethrex, --syncmode $mode" "$G_RPC" "$(secs "$started")"
                        grep -aE "Syncing: state (download|healing)|Served snap|Fetching (batch of )?trie" "$log" \
                            | grep -avE "Served snap" | tail -3 | cut -c1-220 | sed 's/^/     /'
                        ;;
                    2)
                        fail "$C_NAME chain: geth ($mode) drops ethrex after $(secs "$started") s:"
                        grep -aE "$TOO_LONG|$HEAL_DROP|Unexpected healing" "$log" | tail -2 | cut -c1-220 | sed 's/^/     /'
                        ;;
                esac
                ;;
            *) fail "geth ($mode) answered newPayload of the head with: $answer" ;;
        esac
        grep -aE "^(WARN|ERROR)" "$log" \
            | grep -avE "Sanitizing|network ID|Nil finalized|Head block is not reachable|missing parent|forced head needed|Beacon backfilling failed.*canceled" \
            | tail -10 | cut -c1-220 | sed 's/^/     /'
        grep -aE "snap.*(fail|invalid|unexpected|bad|stale)|Dropping|Removing p2p peer.*err=" "$log" \
            | grep -avE "$TOO_LONG|client quitting|disconnect requested" | tail -10 | cut -c1-220 | sed 's/^/     /'
        stop GETH
    done
}

# --- The devp2p chain: 1. ethrex syncs from geth; 2. geth syncs from ethrex.
use_chain devp2p "$CHAIN/genesis.json" "$CHAIN/chain.rlp"
ethrex_from_geth full snap
geth_from_ethrex full snap
# ethrex keeps serving the devp2p chain for ethereumjs.

# --- 3. ethereumjs syncs from ethrex (eth/68).
if [ ! -x "$EJS" ]; then
    echo "SKIP ethereumjs: not installed (see tooling/cl-mock/clients.sh)"
else
    J_P2P=$(free_port); J_HTTP=$(free_port); J_AUTH=$(free_port); J_WS=$(free_port)
    J_RPC="http://127.0.0.1:$J_HTTP"
    mkdir -p "$WORK/ejs"
    (cd "$WORK/ejs" && exec "$EJS" --gethGenesis "$CHAIN/genesis.json" --dataDir "$WORK/ejs/data" \
        --port "$J_P2P" --discDns false --discV4 false \
        --rpc --rpcAddr 127.0.0.1 --rpcPort "$J_HTTP" --rpcEngine --rpcEngineAddr 127.0.0.1 \
        --rpcEnginePort "$J_AUTH" --wsEnginePort "$J_WS" --jwtSecret "$WORK/jwt.hex" \
        --logFile false >"$WORK/ethereumjs.log" 2>&1) &
    EJS_PID=$!
    # No job notice when it is killed (stop() polls for its end).
    disown "$EJS_PID"
    for _ in $(seq 1 300); do
        rpc "$J_RPC" eth_blockNumber '[]' >/dev/null 2>&1 && break
        kill -0 "$EJS_PID" 2>/dev/null || fatal "ethereumjs exited at start"
        sleep 0.2
    done
    rpc "$J_RPC" eth_blockNumber '[]' >/dev/null 2>&1 || fatal "ethereumjs did not answer JSON-RPC within 60 s"
    rpc "$J_RPC" admin_addPeer "[{\"address\":\"127.0.0.1\",\"tcpPort\":$E_P2P,\"udpPort\":$E_P2P}]" >/dev/null \
        || fail "ethereumjs's admin_addPeer(ethrex)"
    started=$(now)
    answer=$(engine "http://127.0.0.1:$J_AUTH" "$WORK/devp2p-newpayload.json")
    status=$(jq -r '.result.status // empty' <<<"$answer" 2>/dev/null)
    case "$status" in
        SYNCING | ACCEPTED | VALID)
            if drive "ethereumjs from ethrex" "http://127.0.0.1:$J_AUTH" "$EJS_PID"; then
                DRIVE_STATUSES=" newPayload $status, forkchoiceUpdated$DRIVE_STATUSES"
                same_head "devp2p chain: ethereumjs syncs from ethrex" "$J_RPC" "$(secs "$started")"
            fi
            ;;
        *) fail "ethereumjs answered newPayload of the head with: $answer" ;;
    esac
    [ $FAILED -eq 0 ] || show_log "$WORK/ethereumjs.log" "SYNCING|skeleton|error|warn|fail|invalid"
    stop EJS
fi
stop ETHREX

# --- 4. The chaingen chain (tooling/chaingen: Osaka at genesis, 200 blocks of ETH transfers, half
# to fresh addresses, and ERC20 transfers from 1,000 senders — a few thousand accounts and the
# token's storage, receipts small): geth's snap sync from ethrex (account and storage ranges,
# codes, and trie nodes for geth's healing), and ethrex's from geth.
if [ ! -x "$CHAINGEN" ]; then
    fail "chaingen chain: $CHAINGEN is not built (cargo build -p ethrex-chaingen)"
else
    started=$(now)
    "$CHAINGEN" --blocks 200 --senders 1000 --gas-limit 4000000 --out "$WORK/chaingen" >"$WORK/chaingen.log" 2>&1 \
        || fatal "ethrex-chaingen"
    echo "     $(tail -3 "$WORK/chaingen.log" | head -1) ($(secs "$started") s)"
    use_chain chaingen "$WORK/chaingen/genesis.json" "$WORK/chaingen/chain.rlp"
    ethrex_from_geth snap
    geth_from_ethrex snap
    stop ETHREX
fi

if [ $FAILED -ne 0 ]; then
    echo "devp2p sync: FAILED"
    for log in "$WORK"/ethrex-*-src.log; do echo "--- $(basename "$log") (last 25 lines)"; tail -25 "$log"; done
fi
exit $FAILED
