#!/usr/bin/env bash
# Sync benchmark on 127.0.0.1 (`make bench-sync`): ethrex and geth (v1.17.10) syncing the same
# chain from the same ethrex node, full and snap, one after the other.
#
# 1. A chaingen chain (tooling/chaingen: Osaka at genesis; $BLOCKS blocks, default 2,500, of ETH
#    and ERC20 transfers filling a $GAS_LIMIT/2 gas target, from $SENDERS funded senders, default
#    50,000, half the ETH transfers to fresh addresses): ~180,000 transactions and a state of
#    ~95,000 accounts. Generated once (~70 s) into target/bench-sync-chain/ and reused.
# 2. A serving ethrex (the source) imports it into a fresh datadir and listens; then, each from an
#    empty datadir (genesis only) and alone with the source: ethrex --syncmode full, geth
#    --syncmode full, ethrex --syncmode snap, geth --syncmode snap. Each is driven to the head
#    through its Engine API as tests/devp2p/sync.sh does (lib.sh: newPayload of the head for geth,
#    then forkchoiceUpdated of the head every 0.5 s until VALID, at most $SYNC_LIMIT s, default
#    300), and must end with the head's hash and state root.
# 3. One table: client, mode, blocks (the head's number), seconds (from the first Engine API call
#    to VALID), blocks/s; for snap syncs the accounts of the synced state (ethrex: its log line
#    `snap sync: N accounts`; geth: its eth/protocols/snap/sync/accounts gauge), the state phase
#    (the span during which snap messages arrived, sampled every round of the drive from the
#    client's metrics: ethrex_p2p_message_bytes_total{protocol="snap",direction="in"}; geth's
#    p2p/ingress/snap/1/* meters), accounts/s and MB/s over that phase; for every sync the TCP
#    bytes the source sent on its connections to the syncing node (`ss`, read at the end: the same
#    measure for both clients). Then the ratio ethrex/geth of the sync times, per mode.
#
# ethrex counts a message's RLP payload (after snappy decompression), geth its size on the wire
# (compressed, framed): the snap MB columns differ in that; the wire MB column does not.
# Without Go (or geth), or with SKIP_GETH=1, the geth rows say SKIP and ethrex is still measured. Every process is
# killed by PID on exit; every wait is bounded. Exits non-zero when a sync fails.
# KEEP_WORK=1 keeps the nodes' logs and data.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
TOOLS="$ROOT/target/tools"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ethrex-target}"
ETHREX="${ETHREX:-$CARGO_TARGET_DIR/debug/ethrex}"
CHAINGEN="${CHAINGEN:-$CARGO_TARGET_DIR/debug/ethrex-chaingen}"
GETH="$TOOLS/bin/geth"
PY="$TOOLS/py"
BLOCKS="${BLOCKS:-2500}"
SENDERS="${SENDERS:-50000}"
GAS_LIMIT="${GAS_LIMIT:-4000000}"
SYNC_LIMIT="${SYNC_LIMIT:-300}"
CHAIN_DIR="$ROOT/target/bench-sync-chain/$BLOCKS-$SENDERS-$GAS_LIMIT"

command -v jq >/dev/null 2>&1 || { echo "SKIP bench-sync: no jq on PATH"; exit 0; }
command -v ss >/dev/null 2>&1 || { echo "SKIP bench-sync: no ss on PATH (iproute2)"; exit 0; }
[ -x "$ETHREX" ] || { echo "FAIL bench-sync: $ETHREX is not built (cargo build --bin ethrex)"; exit 1; }
[ -x "$CHAINGEN" ] || { echo "FAIL bench-sync: $CHAINGEN is not built (cargo build -p ethrex-chaingen)"; exit 1; }
GETH_SKIP=""
if [ -n "${SKIP_GETH:-}" ]; then
    GETH_SKIP="SKIP_GETH is set"
elif ! command -v go >/dev/null 2>&1 && [ ! -x "$GETH" ]; then
    GETH_SKIP="no Go toolchain on PATH"
else
    bash tooling/cl-mock/clients.sh --install-only >/dev/null 2>&1
    [ -x "$GETH" ] || GETH_SKIP="geth v1.17.10 could not be installed (tooling/cl-mock/clients.sh)"
fi
if [ ! -d "$PY/eth_utils" ]; then
    echo "installing eth-account 0.14.0 into $PY (pip)"
    python3 -m pip install --quiet --disable-pip-version-check --target "$PY" eth-account==0.14.0 \
        >/dev/null 2>&1 || { echo "SKIP bench-sync: pip install eth-account==0.14.0 failed"; exit 0; }
fi

WORK="$(mktemp -d)"
SRC_PID=""
ETHREX_PID=""
GETH_PID=""
cleanup() {
    local pid
    for pid in "$ETHREX_PID" "$GETH_PID" "$SRC_PID"; do
        [ -n "$pid" ] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
    done
    if [ -n "${KEEP_WORK:-}" ]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
source tests/devp2p/lib.sh
new_ports

# --- 1. The chain (generated once).
if [ ! -f "$CHAIN_DIR/chain.rlp" ]; then
    started=$(now)
    rm -rf "$CHAIN_DIR.tmp"
    "$CHAINGEN" --blocks "$BLOCKS" --senders "$SENDERS" --gas-limit "$GAS_LIMIT" --out "$CHAIN_DIR.tmp" \
        >"$WORK/chaingen.log" 2>&1 || fatal "ethrex-chaingen"
    mv "$CHAIN_DIR.tmp" "$CHAIN_DIR"
    echo "chain: $(tail -3 "$WORK/chaingen.log" | head -1), generated into $CHAIN_DIR in $(secs "$started") s"
else
    echo "chain: $CHAIN_DIR (generated before)"
fi
C_NAME=bench C_GENESIS="$CHAIN_DIR/genesis.json" C_RLP="$CHAIN_DIR/chain.rlp"
PYTHONPATH="$PY" python3 tests/devp2p/sync.py head "$C_RLP" >"$WORK/bench-head.json" || fatal "sync.py head $C_RLP"
head -1 "$WORK/bench-head.json" >"$WORK/bench-newpayload.json"
tail -1 "$WORK/bench-head.json" >"$WORK/bench-fcu.json"
HEAD=$(jq -r '.params[0].blockHash' "$WORK/bench-newpayload.json")
HEAD_ROOT=$(jq -r '.params[0].stateRoot' "$WORK/bench-newpayload.json")
HEAD_NUMBER=$(jq -r '.params[0].blockNumber' "$WORK/bench-newpayload.json")
CHAIN_ID=$(jq -r .config.chainId "$C_GENESIS")
ALLOC=$(jq '.alloc | length' "$C_GENESIS")

# --- 2. The source.
started=$(now)
"$ETHREX" import --network "$C_GENESIS" --datadir "$WORK/src" "$C_RLP" >"$WORK/src-import.log" 2>&1 \
    || fatal "ethrex import of the chain"
echo "source: ethrex imported $((HEAD_NUMBER)) blocks (genesis of $ALLOC accounts) in $(secs "$started") s, head ${HEAD:0:10}…"
start_ethrex "$C_GENESIS" "$WORK/src" "$WORK/src.log" --bootnodes ""
SRC_PID=$ETHREX_PID ETHREX_PID=""
SRC_P2P=$E_P2P
SRC_ENODE=$(enode "$E_RPC")
[ -n "$SRC_ENODE" ] || fatal "the source's enode"
new_ports

# The sampling of the syncing node's snap bytes (DRIVE_HOOK): "time bytes" per drive round.
SAMPLES=""
METRICS_URL=""
snap_bytes() {
    local page
    page=$(curl -s -m 2 "$METRICS_URL") || return 1
    case "$METRICS_URL" in
        */metrics)
            awk '/^ethrex_p2p_message_bytes_total\{/ && /protocol="snap"/ && /direction="in"/ { s += $NF }
                 END { printf "%d\n", s }' <<<"$page" ;;
        *)
            awk '/^p2p_ingress_snap_[0-9]+_0x[0-9a-f]+ / { s += $NF } END { printf "%d\n", s }' <<<"$page" ;;
    esac
}
sample() {
    local bytes
    bytes=$(snap_bytes) && echo "$(now) $bytes" >>"$SAMPLES"
}
# metric NAME: the value of an unlabelled metric on $METRICS_URL (empty if absent).
metric() { curl -s -m 2 "$METRICS_URL" | awk -v n="$1" '$1 == n { printf "%d\n", $NF }' | tail -1; }
# wire_bytes SYNC_P2P: TCP bytes sent by the source on its open connections to the syncing node.
wire_bytes() {
    ss -tniH state established "( sport = :$SRC_P2P or dport = :$1 )" \
        | grep -oE 'bytes_sent:[0-9]+' | cut -d: -f2 | awk '{ s += $1 } END { printf "%d\n", s }'
}

# One row per sync in $WORK/rows: client mode status blocks seconds accounts bytes wire samples.
record() { echo "$*" >>"$WORK/rows"; }

# finish CLIENT MODE URL STARTED SYNC_P2P STATUS: checks the head and records the row.
finish() {
    local client="$1" mode="$2" url="$3" started="$4" p2p="$5" status="$6" took accounts="-" bytes="-"
    took=$(secs "$started")
    if [ "$status" -ne 0 ] || ! same_head "$client --syncmode $mode from the ethrex source" "$url" "$took"; then
        record "$client" "$mode" FAIL - "$took" - - - -
        return
    fi
    [ -z "$DRIVE_HOOK" ] || sample
    if [ "$mode" = snap ]; then
        if [ "$client" = ethrex ]; then
            accounts=$(grep -aoE 'snap sync: [0-9]+ accounts' "$LOG" | tail -1 | grep -oE '[0-9]+')
            echo "     ethrex_sync_state_items_total $(metric ethrex_sync_state_items_total) (accounts, slots and codes)"
        else
            accounts=$(metric eth_protocols_snap_sync_accounts)
            grep -aE "Syncing: state download in progress" "$LOG" | tail -1 | cut -c1-220 | sed 's/^/     /'
        fi
        bytes=$(tail -1 "$SAMPLES" | cut -d' ' -f2)
    fi
    record "$client" "$mode" ok "$((HEAD_NUMBER))" "$took" "${accounts:--}" "${bytes:--}" "$(wire_bytes "$p2p")" "$SAMPLES"
}

# sync_ethrex MODE: a fresh ethrex syncs from the source.
sync_ethrex() {
    local mode="$1" started status=0 met
    LOG="$WORK/ethrex-$mode.log"
    met=$(free_port)
    METRICS_URL="http://127.0.0.1:$met/metrics" SAMPLES="$WORK/samples-ethrex-$mode"
    : >"$SAMPLES"
    start_ethrex "$C_GENESIS" "$WORK/ethrex-$mode" "$LOG" --syncmode "$mode" --bootnodes "$SRC_ENODE" \
        --metrics --metrics.addr 127.0.0.1 --metrics.port "$met"
    rpc "$E_RPC" admin_addPeer "[\"$SRC_ENODE\"]" >/dev/null || fail "ethrex's admin_addPeer(source)"
    DRIVE_HOOK=""; [ "$mode" = snap ] && DRIVE_HOOK=sample
    started=$(now)
    drive "ethrex ($mode)" "http://127.0.0.1:$E_AUTH" "$ETHREX_PID" || status=1
    finish ethrex "$mode" "$E_RPC" "$started" "$E_P2P" "$status"
    [ "$status" -eq 0 ] || show_log "$LOG" "snap sync|sync:|WARN|ERROR"
    stop ETHREX
    new_ports
}

# sync_geth MODE: a fresh geth syncs from the source: newPayload of the head, then
# forkchoiceUpdated until VALID. A drop of the source for an oversized message or an unexpected
# healing answer ends it as a failure at once.
DROPPED="Removing p2p peer.*err=\"(message too long|unexpected healing trienode)"
sync_geth() {
    local mode="$1" started status=0 met answer
    if [ -n "$GETH_SKIP" ]; then
        record geth "$mode" SKIP - - - - - -
        return
    fi
    LOG="$WORK/geth-$mode.log"
    met=$(free_port)
    METRICS_URL="http://127.0.0.1:$met/debug/metrics/prometheus" SAMPLES="$WORK/samples-geth-$mode"
    : >"$SAMPLES"
    started=$(now)
    "$GETH" init --datadir "$WORK/geth-$mode" --state.scheme path "$C_GENESIS" >"$LOG" 2>&1 || fatal "geth init ($mode)"
    echo "     geth init ($ALLOC accounts): $(secs "$started") s"
    start_geth "$WORK/geth-$mode" "$LOG" --syncmode "$mode" \
        --metrics --metrics.addr 127.0.0.1 --metrics.port "$met"
    [ "$(rpc "$G_RPC" admin_addPeer "[\"$SRC_ENODE\"]")" = true ] || fail "geth's admin_addPeer(source)"
    DRIVE_HOOK=""; [ "$mode" = snap ] && DRIVE_HOOK=sample
    started=$(now)
    answer=$(engine "http://127.0.0.1:$G_AUTH" "$WORK/bench-newpayload.json")
    case "$(jq -r '.result.status // empty' <<<"$answer" 2>/dev/null)" in
        SYNCING | ACCEPTED | VALID)
            drive "geth ($mode)" "http://127.0.0.1:$G_AUTH" "$GETH_PID" "$LOG" "$DROPPED"
            case $? in
                0) ;;
                2) fail "geth ($mode) dropped the source:"; grep -aE "$DROPPED" "$LOG" | tail -2 | cut -c1-220; status=1 ;;
                *) status=1 ;;
            esac
            ;;
        *) fail "geth ($mode) answered newPayload of the head with: $answer"; status=1 ;;
    esac
    finish geth "$mode" "$G_RPC" "$started" "$G_P2P" "$status"
    [ "$status" -eq 0 ] || show_log "$LOG" "^(WARN|ERROR)|Syncing"
    stop GETH
    new_ports
}

sync_ethrex full
sync_geth full
sync_ethrex snap
sync_geth snap
stop ETHREX
SRC_LOG_TAIL=$(tail -5 "$WORK/src.log")
kill "$SRC_PID" 2>/dev/null; wait "$SRC_PID" 2>/dev/null; SRC_PID=""

# --- 3. The table.
echo
python3 - "$WORK/rows" <<'EOF'
import sys

rows = [line.split() for line in open(sys.argv[1])]


def phase(path):
    """(seconds, bytes) of the span in which snap bytes arrived, from the samples."""
    try:
        samples = [tuple(map(float, l.split())) for l in open(path) if l.strip()]
    except OSError:
        return None
    if not samples or samples[-1][1] == 0:
        return None
    final = samples[-1][1]
    start = samples[0][0]
    for t, b in samples:
        if b > 0:
            break
        start = t
    end = next(t for t, b in samples if b == final)
    return max(end - start, 0.001), final


head = f"{'client':<7} {'mode':<5} {'blocks':>6} {'seconds':>8} {'blocks/s':>9} {'accounts':>9} {'state s':>8} {'accounts/s':>11} {'snap MB':>8} {'MB/s':>6} {'wire MB':>8}"
print(head)
times = {}
for client, mode, status, blocks, secs, accounts, nbytes, wire, samples in rows:
    if status != "ok":
        note = "SKIP (see below)" if status == "SKIP" else f"FAIL after {secs} s"
        print(f"{client:<7} {mode:<5} {note}")
        continue
    secs_f = float(secs)
    times[(client, mode)] = secs_f
    line = f"{client:<7} {mode:<5} {int(blocks):>6} {secs_f:>8.1f} {int(blocks) / secs_f:>9.1f}"
    p = phase(samples) if mode == "snap" else None
    if mode == "snap" and p:
        seconds, b = p
        acc = int(accounts) if accounts != "-" else None
        rate = f"{acc / seconds:>11.0f}" if acc else f"{'n/a':>11}"
        line += f" {acc if acc else 'n/a':>9} {seconds:>8.1f} {rate} {b / 1e6:>8.2f} {b / 1e6 / seconds:>6.2f}"
    else:
        line += f" {'-':>9} {'-':>8} {'-':>11} {'-':>8} {'-':>6}"
    line += f" {int(wire) / 1e6:>8.2f}"
    print(line)
for mode in ("full", "snap"):
    e, g = times.get(("ethrex", mode)), times.get(("geth", mode))
    if e and g:
        print(f"ratio ethrex/geth, {mode} sync time: {e / g:.2f}x (below 1: ethrex syncs faster)")
    else:
        print(f"ratio ethrex/geth, {mode} sync time: n/a (a sync was skipped or failed)")
EOF
[ -n "$GETH_SKIP" ] && echo "SKIP geth: $GETH_SKIP"
if [ $FAILED -ne 0 ]; then
    echo "bench-sync: FAILED"
    echo "--- source log (last lines)"
    echo "$SRC_LOG_TAIL"
fi
exit $FAILED
