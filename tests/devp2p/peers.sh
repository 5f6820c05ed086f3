#!/usr/bin/env bash
# geth (v1.17.10) and ethereumjs (0.10.5) as real peers of ethrex on 127.0.0.1 (`make devp2p-peers`).
#
# geth and ethrex both import go-ethereum v1.17.5's devp2p test chain (a custom post-merge
# genesis, Cancun at 60, Prague at 120, 600 blocks; the chain tests/devp2p/rlpx.sh serves), then
# run with p2p and discovery on loopback, no mining; geth is told the chain's head through its
# Engine API (forkchoiceUpdated), without which it accepts no transactions from peers. Checks:
#   1. connections: ethrex dials geth (ethrex's admin_addPeer), then, ethrex restarted, geth
#      dials ethrex (geth's admin_addPeer), then discovery alone (geth's --bootnodes = ethrex,
#      then ethrex's --bootnodes = geth, both restarted): each time both admin_peers list the
#      other with eth/68 or eth/69 and both heads are the chain's head. Through discovery it is
#      ethrex that dials either way: geth dials only discovered nodes whose record has an `eth`
#      entry with a compatible fork id, and ethrex's record has none yet;
#   2. transactions both ways: a transfer sent to geth appears in ethrex's pool and one sent to
#      ethrex in geth's pool, within 10 s;
#   3. geth serves ethrex's requests: the ignored test `geth_peer` of ethrex-p2p's integration
#      tests (crates/p2p/tests/it/geth_peer.rs) asks geth for headers, bodies and receipts over
#      eth/69 and compares them with the chain it imports itself;
#   4. ethereumjs as an eth/68 peer on the same chain: connections both ways (admin_addPeer each
#      way), eth/68 on both sides and ethrex's head in ethereumjs's Status; then, on a fresh
#      genesis-only Prague chain (see the section's comment), transactions both ways.
# Tools are installed pinned by tooling/cl-mock/clients.sh (geth, ethereumjs) and into
# target/tools/py (eth-account, signing); without Go the script prints SKIP. Every process it
# starts is killed by PID on exit; every wait is bounded. Prints one line per check, FAIL lines
# naming what failed, and exits non-zero when any check failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
TOOLS="$ROOT/target/tools"
CHAIN_VERSION=v1.17.5
# The Makefile's target dir (the geth_peer test is built there too).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ethrex-target}"
ETHREX="${ETHREX:-$CARGO_TARGET_DIR/debug/ethrex}"
GETH="$TOOLS/bin/geth"
EJS="$TOOLS/ethereumjs/node_modules/.bin/ethereumjs"
PY="$TOOLS/py"

command -v go >/dev/null 2>&1 || { echo "SKIP devp2p peers: no Go toolchain on PATH"; exit 0; }
command -v jq >/dev/null 2>&1 || { echo "SKIP devp2p peers: no jq on PATH"; exit 0; }
# geth v1.17.10 and ethereumjs 0.10.5, pinned, as the CL-mock checks install them.
bash tooling/cl-mock/clients.sh --install-only || exit 1
[ -x "$GETH" ] || { echo "SKIP devp2p peers: geth is not installed"; exit 0; }
if [ ! -d "$PY/eth_account" ]; then
    echo "installing eth-account 0.14.0 into $PY (pip)"
    python3 -m pip install --quiet --disable-pip-version-check --target "$PY" eth-account==0.14.0 \
        >/dev/null 2>&1 || { echo "SKIP devp2p peers: pip install eth-account==0.14.0 failed"; exit 0; }
fi
GOMODCACHE="$(go env GOMODCACHE 2>/dev/null || echo "$HOME/go/pkg/mod")"
CHAIN="$GOMODCACHE/github.com/ethereum/go-ethereum@$CHAIN_VERSION/cmd/devp2p/internal/ethtest/testdata"
if [ ! -f "$CHAIN/chain.rlp" ]; then
    (cd /tmp && GOFLAGS=-mod=mod go mod download "github.com/ethereum/go-ethereum@$CHAIN_VERSION") >/dev/null 2>&1
fi
[ -f "$CHAIN/chain.rlp" ] || { echo "FAIL devp2p peers: the test chain is not at $CHAIN"; exit 1; }
CHAIN_ID=$(jq -r .config.chainId "$CHAIN/genesis.json")
# Built before any node runs, so that no check waits for the compiler.
cargo nextest run -p ethrex-p2p --test it --no-run >"/tmp/devp2p-peers-build.$$.log" 2>&1 \
    || { tail -30 "/tmp/devp2p-peers-build.$$.log"; echo "FAIL devp2p peers: building the geth_peer test"; exit 1; }
rm -f "/tmp/devp2p-peers-build.$$.log"
HEAD=$(jq -r '.params[0].headBlockHash' "$CHAIN/headfcu.json")

WORK="$(mktemp -d)"
ETHREX_PID=""
GETH_PID=""
EJS_PID=""
cleanup() {
    [ -n "$ETHREX_PID" ] && { kill "$ETHREX_PID" 2>/dev/null; wait "$ETHREX_PID" 2>/dev/null; }
    [ -n "$GETH_PID" ] && { kill "$GETH_PID" 2>/dev/null; wait "$GETH_PID" 2>/dev/null; }
    # ethereumjs ignores SIGTERM.
    [ -n "$EJS_PID" ] && { kill -9 "$EJS_PID" 2>/dev/null; wait "$EJS_PID" 2>/dev/null; }
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f} s')" "$1" "$(now)"; }

FAILED=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; FAILED=1; }
# fatal: a failure the later checks cannot run after.
fatal() {
    echo "FAIL $*"
    for log in "$WORK"/*.log; do echo "--- $(basename "$log") (last 25 lines)"; tail -25 "$log"; done
    exit 1
}

# rpc URL METHOD PARAMS: the call's result (JSON), or nothing (and status 1) on an error.
rpc() {
    local answer
    answer=$(curl -s -m 5 -H 'Content-Type: application/json' \
        -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":$3}" "$1") || return 1
    jq -e 'has("result")' <<<"$answer" >/dev/null 2>&1 || { echo "$answer" >&2; return 1; }
    jq -c .result <<<"$answer"
}

# wait_rpc URL PID NAME: until the node answers eth_blockNumber (10 s).
wait_rpc() {
    for _ in $(seq 1 100); do
        rpc "$1" eth_blockNumber '[]' >/dev/null 2>&1 && return 0
        kill -0 "$2" 2>/dev/null || fatal "$3 exited at start"
        sleep 0.1
    done
    fatal "$3 did not answer JSON-RPC within 10 s"
}

openssl rand -hex 32 >"$WORK/jwt.hex" 2>/dev/null || python3 -c 'import secrets; print(secrets.token_hex(32))' >"$WORK/jwt.hex"
E_P2P=$(free_port); E_HTTP=$(free_port); E_AUTH=$(free_port)
G_P2P=$(free_port); G_HTTP=$(free_port); G_AUTH=$(free_port)
E_RPC="http://127.0.0.1:$E_HTTP"
G_RPC="http://127.0.0.1:$G_HTTP"

# --- Both nodes import the chain.
started=$(now)
"$ETHREX" import --network "$CHAIN/genesis.json" --datadir "$WORK/ethrex" "$CHAIN/chain.rlp" \
    >"$WORK/ethrex-import.log" 2>&1 || fatal "ethrex import of the test chain"
"$GETH" init --datadir "$WORK/geth" --state.scheme path "$CHAIN/genesis.json" >"$WORK/geth-import.log" 2>&1 \
    && "$GETH" import --datadir "$WORK/geth" "$CHAIN/chain.rlp" >>"$WORK/geth-import.log" 2>&1 \
    || fatal "geth init/import of the test chain"
ok "both nodes imported the 600-block test chain ($(since "$started"))"

# start_ethrex ARGS...: ethrex on $E_GENESIS in $E_DATADIR (the imported chain unless changed; the
# same datadir keeps the same node key).
E_GENESIS="$CHAIN/genesis.json"
E_DATADIR="$WORK/ethrex"
start_ethrex() {
    "$ETHREX" --network "$E_GENESIS" --datadir "$E_DATADIR" --p2p.addr 127.0.0.1 \
        --p2p.port "$E_P2P" --discovery.port "$E_P2P" --http.addr 127.0.0.1 --http.port "$E_HTTP" \
        --authrpc.addr 127.0.0.1 --authrpc.port "$E_AUTH" --authrpc.jwtsecret "$WORK/jwt.hex" \
        --log.color never "$@" >>"$WORK/ethrex.log" 2>&1 &
    ETHREX_PID=$!
    wait_rpc "$E_RPC" "$ETHREX_PID" ethrex
}
# start_geth ARGS...: geth on the imported chain, then forkchoiceUpdated to the chain's head.
start_geth() {
    "$GETH" --datadir "$WORK/geth" --networkid "$CHAIN_ID" --syncmode full --nat none \
        --port "$G_P2P" --discovery.port "$G_P2P" --ipcdisable \
        --http --http.addr 127.0.0.1 --http.port "$G_HTTP" --http.api eth,net,admin,txpool \
        --authrpc.addr 127.0.0.1 --authrpc.port "$G_AUTH" --authrpc.jwtsecret "$WORK/jwt.hex" \
        "$@" >>"$WORK/geth.log" 2>&1 &
    GETH_PID=$!
    wait_rpc "$G_RPC" "$GETH_PID" geth
    local token status
    token=$(python3 tests/devp2p/peers.py jwt "$WORK/jwt.hex")
    status=$(curl -s -m 5 -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
        -d @"$CHAIN/headfcu.json" "http://127.0.0.1:$G_AUTH" | jq -r .result.payloadStatus.status)
    [ "$status" = VALID ] || fatal "geth's forkchoiceUpdated to the head: $status"
}
# stop NAME: SIGTERM to the node's PID, SIGKILL after 10 s (at once for ethereumjs, which ignores
# SIGTERM).
stop() {
    local var="${1}_PID"
    local pid="${!var}"
    if [ "$1" = EJS ]; then kill -9 "$pid" 2>/dev/null; else kill "$pid" 2>/dev/null; fi
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    printf -v "$var" '%s' ""
}
# enode URL: the node's enode URL with host 127.0.0.1.
enode() {
    rpc "$1" admin_nodeInfo '[]' | jq -r .enode | sed -E 's/@[^:]+:/@127.0.0.1:/; s/\?.*$//'
}
pubkey() { sed -E 's|enode://([0-9a-f]+)@.*|\1|' <<<"$1"; }

# peer_entry URL PUBKEY: the admin_peers entry of that node, if listed.
peer_entry() {
    rpc "$1" admin_peers '[]' | jq -c --arg key "$2" '.[] | select(.enode | contains($key))' 2>/dev/null
}
# check_pair LABEL WAIT EXPECT: within WAIT seconds, each node lists the other with eth/68,
# eth/69 or eth/70; then both heads must be the chain's head. EXPECT "ethrex-dialed"/"geth-dialed"/"any":
# who must have dialed.
check_pair() {
    local label="$1" limit="$2" expect="$3" start e_entry g_entry
    start=$(now)
    for _ in $(seq 1 $((limit * 5))); do
        e_entry=$(peer_entry "$E_RPC" "$(pubkey "$G_ENODE")")
        g_entry=$(peer_entry "$G_RPC" "$(pubkey "$E_ENODE")")
        [ -n "$e_entry" ] && [ -n "$g_entry" ] \
            && [[ "$(jq -r .protocols.eth.version <<<"$g_entry")" =~ ^(6[89]|70)$ ]] && break
        sleep 0.2
    done
    if [ -z "$e_entry" ] || [ -z "$g_entry" ]; then
        fail "$label: not connected within $limit s (ethrex lists geth: ${e_entry:+yes}${e_entry:-no}; geth lists ethrex: ${g_entry:+yes}${g_entry:-no})"
        return 1
    fi
    local took e_version g_version e_inbound g_inbound e_head g_head
    took=$(since "$start")
    e_version=$(jq -r .protocols.eth.version <<<"$e_entry")
    g_version=$(jq -r .protocols.eth.version <<<"$g_entry")
    e_inbound=$(jq -r .network.inbound <<<"$e_entry")
    g_inbound=$(jq -r .network.inbound <<<"$g_entry")
    e_head=$(rpc "$E_RPC" eth_getBlockByNumber '["latest",false]' | jq -r .hash)
    g_head=$(rpc "$G_RPC" eth_getBlockByNumber '["latest",false]' | jq -r .hash)
    local who="geth dialed"
    [ "$e_inbound" = false ] && who="ethrex dialed"
    if [ "$e_version" != "$g_version" ] || ! [[ "$e_version" =~ ^(6[89]|70)$ ]]; then
        fail "$label: eth versions differ or are unknown: ethrex says eth/$e_version, geth says eth/$g_version"
    elif [ "$e_inbound" = "$g_inbound" ]; then
        fail "$label: both nodes say inbound=$e_inbound"
    elif [ "$e_head" != "$HEAD" ] || [ "$g_head" != "$HEAD" ]; then
        fail "$label: heads differ from the chain's $HEAD: ethrex $e_head, geth $g_head"
    elif [ "$expect" = ethrex-dialed ] && [ "$e_inbound" != false ]; then
        fail "$label: geth dialed, ethrex was to"
    elif [ "$expect" = geth-dialed ] && [ "$e_inbound" != true ]; then
        fail "$label: ethrex dialed, geth was to"
    else
        ok "$label: connected in $took ($who), eth/$e_version on both sides, both heads #600 ${HEAD:0:10}…"
        return 0
    fi
    return 1
}
# wait_gone: until neither node lists the other (10 s).
wait_gone() {
    for _ in $(seq 1 50); do
        [ -z "$(peer_entry "$G_RPC" "$(pubkey "$E_ENODE")" 2>/dev/null)" ] && return 0
        sleep 0.2
    done
    fail "geth still lists ethrex 10 s after it stopped"
}

# --- 1. Connections.
start_geth --bootnodes ""
start_ethrex --bootnodes ""
G_ENODE=$(enode "$G_RPC")
E_ENODE=$(enode "$E_RPC")
echo "geth:   $G_ENODE"
echo "ethrex: $E_ENODE"

[ "$(rpc "$E_RPC" admin_addPeer "[\"$G_ENODE\"]")" = true ] || fail "ethrex's admin_addPeer(geth) did not return true"
check_pair "ethrex -> geth (ethrex's admin_addPeer)" 30 ethrex-dialed

stop ETHREX
wait_gone
start_ethrex --bootnodes ""
[ "$(rpc "$G_RPC" admin_addPeer "[\"$E_ENODE\"]")" = true ] || fail "geth's admin_addPeer(ethrex) did not return true"
check_pair "geth -> ethrex (geth's admin_addPeer, ethrex restarted)" 30 geth-dialed

# Discovery only: both restarted (geth forgets its static peer), one's bootnode is the other.
stop ETHREX
stop GETH
start_geth --bootnodes "$E_ENODE"
start_ethrex --bootnodes ""
check_pair "discovery (geth's --bootnodes = ethrex)" 30 any
stop ETHREX
stop GETH
start_geth --bootnodes ""
start_ethrex --bootnodes "$G_ENODE"
check_pair "discovery (ethrex's --bootnodes = geth)" 30 any \
    || fatal "no connection left for the transaction and request checks"

# --- 2. Transactions both ways (geth accepts peers' transactions since its forkchoiceUpdated).
ACCOUNTS="$CHAIN/accounts.json"
# in_pool URL HASH: the node's txpool_content holds the transaction (pending or queued).
in_pool() {
    rpc "$1" txpool_content '[]' | jq -e --arg h "$2" \
        '[.pending, .queued] | .. | objects | select(.hash? == $h)' >/dev/null 2>&1
}
# send_tx FROM_NAME FROM_URL TO_NAME TO_URL ACCOUNT_INDEX: a transfer signed by that account of
# accounts.json, sent to FROM, must be in TO's pool within 10 s.
send_tx() {
    local from_name="$1" from="$2" to_name="$3" to="$4" index="$5"
    local addr key recipient nonce base_fee raw hash sent start
    addr=$(jq -r "keys[$index]" "$ACCOUNTS")
    key=$(jq -r --arg a "$addr" '.[$a].key' "$ACCOUNTS")
    recipient=$(jq -r "keys[$((index + 1))]" "$ACCOUNTS")
    nonce=$(rpc "$from" eth_getTransactionCount "[\"$addr\",\"pending\"]" | jq -r .)
    base_fee=$(rpc "$from" eth_getBlockByNumber '["latest",false]' | jq -r .baseFeePerGas)
    read -r raw hash < <(PYTHONPATH="$PY" python3 tests/devp2p/peers.py sign "$key" "$recipient" "$nonce" "$CHAIN_ID" "$base_fee")
    [ -n "${hash:-}" ] || { fail "signing a transfer from $addr"; return; }
    sent=$(rpc "$from" eth_sendRawTransaction "[\"$raw\"]" 2>&1 | tr -d '"')
    [ "$sent" = "$hash" ] || { fail "$from_name refused the transfer $hash: $sent"; return; }
    in_pool "$from" "$hash" || { fail "$hash is not in the pool of $from_name, which it was sent to"; return; }
    start=$(now)
    for _ in $(seq 1 50); do
        if in_pool "$to" "$hash"; then
            ok "transaction sent to $from_name is in $to_name's pool after $(since "$start") ($hash)"
            return
        fi
        sleep 0.2
    done
    fail "transaction $hash sent to $from_name is not in $to_name's pool after 10 s"
}
send_tx geth "$G_RPC" ethrex "$E_RPC" 0
send_tx ethrex "$E_RPC" geth "$G_RPC" 2

# --- 3. geth answers our header, body and receipt requests (eth/69: geth v1.17.10 speaks eth/69
# to eth/72, no longer eth/68).
started=$(now)
if ETHREX_GETH_ENODE="$G_ENODE" ETHREX_PEER_CHAIN="$CHAIN" cargo nextest run -p ethrex-p2p --test it \
    --run-ignored only --no-capture geth_peer >"$WORK/geth-peer-test.log" 2>&1; then
    grep -E "geth's headers" "$WORK/geth-peer-test.log" | sed 's/^/     /'
    ok "geth serves ethrex's header, body and receipt requests over eth/69 ($(since "$started"))"
else
    grep -E -A4 "panicked" "$WORK/geth-peer-test.log" | head -30
    fail "geth_peer tests (crates/p2p/tests/it/geth_peer.rs)"
fi

# --- 4. ethereumjs 0.10.5 as an eth/68 peer (no eth/69, no snap) on the same chain, which it
# imports at start (--loadBlocksFromRlp, the hive way). It never calls itself synchronized on this
# chain (its head's timestamp is 6000, in 1970; ethereumjs wants one within 60 s of now), so it
# refuses eth_sendRawTransaction and runs no transaction pool: transactions are exchanged on a
# fresh genesis instead (below).
if [ ! -x "$EJS" ]; then
    echo "SKIP ethereumjs: not installed (see tooling/cl-mock/clients.sh)"
else
    stop GETH
    stop ETHREX
    start_ethrex --bootnodes ""
    J_P2P=$(free_port); J_HTTP=$(free_port); J_AUTH=$(free_port); J_WS=$(free_port)
    J_RPC="http://127.0.0.1:$J_HTTP"
    # start_ejs GENESIS DIR WANT_BLOCK ARGS...: ethereumjs on GENESIS (geth's format) in DIR (its
    # log and audit files go to its working directory), until its head is block WANT_BLOCK (180 s).
    start_ejs() {
        local genesis="$1" dir="$2" want="$3"
        shift 3
        mkdir -p "$dir"
        (cd "$dir" && exec "$EJS" --gethGenesis "$genesis" --dataDir "$dir/data" \
            --port "$J_P2P" --discDns false --discV4 true \
            --rpc --rpcAddr 127.0.0.1 --rpcPort "$J_HTTP" --rpcEngine --rpcEngineAddr 127.0.0.1 \
            --rpcEnginePort "$J_AUTH" --wsEnginePort "$J_WS" --jwtSecret "$WORK/jwt.hex" \
            --logFile false "$@" >"$WORK/ethereumjs.log" 2>&1) &
        EJS_PID=$!
        for _ in $(seq 1 900); do
            [ "$(rpc "$J_RPC" eth_blockNumber '[]' 2>/dev/null)" = "\"$want\"" ] && break
            kill -0 "$EJS_PID" 2>/dev/null || fatal "ethereumjs exited at start"
            sleep 0.2
        done
        [ "$(rpc "$J_RPC" eth_blockNumber '[]' 2>/dev/null)" = "\"$want\"" ] \
            || fatal "ethereumjs's head is not block $want 180 s after its start"
        J_KEY=$(rpc "$J_RPC" admin_nodeInfo '[]' | jq -r .id)
        J_ENODE="enode://$J_KEY@127.0.0.1:$J_P2P"
    }
    started=$(now)
    start_ejs "$CHAIN/genesis.json" "$WORK/ejs" 0x258 --loadBlocksFromRlp "$CHAIN/chain.rlp"
    ok "ethereumjs imported the chain and answers JSON-RPC ($(since "$started"))"
    # check_ejs LABEL EXPECT_INBOUND: within 30 s, ethrex lists ethereumjs with eth/68 (inbound
    # as expected) and ethereumjs lists ethrex with eth/68 and $HEAD as its head.
    check_ejs() {
        local label="$1" inbound="$2" start e_entry j_entry
        start=$(now)
        for _ in $(seq 1 150); do
            e_entry=$(peer_entry "$E_RPC" "$J_KEY")
            j_entry=$(rpc "$J_RPC" admin_peers '[]' | jq -c '.[] | select(.name // "" | startswith("ethrex"))' 2>/dev/null | head -1)
            [ -n "$e_entry" ] && [ -n "$j_entry" ] && break
            sleep 0.2
        done
        if [ -z "$e_entry" ] || [ -z "$j_entry" ]; then
            fail "$label: not connected within 30 s (ethrex lists ethereumjs: ${e_entry:+yes}${e_entry:-no}; ethereumjs lists ethrex: ${j_entry:+yes}${j_entry:-no})"
            return 1
        fi
        local took e_version j_version j_head e_inbound
        took=$(since "$start")
        e_version=$(jq -r .protocols.eth.version <<<"$e_entry")
        e_inbound=$(jq -r .network.inbound <<<"$e_entry")
        j_version=$(jq -r .protocols.eth.version <<<"$j_entry")
        j_head=$(jq -r .protocols.eth.head <<<"$j_entry")
        if [ "$e_version" != 68 ] || [ "$j_version" != 68 ]; then
            fail "$label: ethrex says eth/$e_version, ethereumjs says eth/$j_version (both must say 68)"
        elif [ "$e_inbound" != "$inbound" ]; then
            fail "$label: ethrex says inbound=$e_inbound"
        elif [ "$j_head" != "$HEAD" ]; then
            fail "$label: ethereumjs has ethrex's head as $j_head, not $HEAD"
        else
            ok "$label: connected in $took, eth/68 on both sides, ethereumjs has ethrex's head ${HEAD:0:10}…"
            return 0
        fi
        return 1
    }
    [ "$(rpc "$E_RPC" admin_addPeer "[\"$J_ENODE\"]")" = true ] || fail "ethrex's admin_addPeer(ethereumjs) did not return true"
    check_ejs "ethrex -> ethereumjs (ethrex's admin_addPeer)" false
    stop ETHREX
    start_ethrex --bootnodes ""
    rpc "$J_RPC" admin_addPeer "[{\"address\":\"127.0.0.1\",\"tcpPort\":$E_P2P,\"udpPort\":$E_P2P}]" >/dev/null \
        || fail "ethereumjs's admin_addPeer(ethrex) failed"
    check_ejs "ethereumjs -> ethrex (ethereumjs's admin_addPeer, ethrex restarted)" true
    # The limitation above, checked: ethereumjs refuses transactions on this chain.
    refusal=$(rpc "$J_RPC" eth_sendRawTransaction '["0x00"]' 2>&1)
    if ! grep -q "not aware of the current chain height" <<<"$refusal"; then
        fail "ethereumjs's eth_sendRawTransaction answered unexpectedly on the test chain: $refusal"
    fi
    # Transactions, then, on a fresh chain: the test chain's genesis (its funded accounts) with
    # Cancun and Prague at genesis and today's timestamp, a genesis-only chain both hold;
    # ethereumjs runs as a single node (its head's recency alone makes it synchronized).
    stop ETHREX
    stop EJS
    jq --arg ts "$(printf '0x%x' "$(date +%s)")" '.timestamp = $ts | .difficulty = "0x0"
        | .config.terminalTotalDifficulty = 0 | .config.cancunTime = 0 | .config.pragueTime = 0' \
        "$CHAIN/genesis.json" >"$WORK/fresh-genesis.json"
    E_GENESIS="$WORK/fresh-genesis.json"
    E_DATADIR="$WORK/ethrex-fresh"
    start_ethrex --bootnodes ""
    start_ejs "$E_GENESIS" "$WORK/ejs-fresh" 0x0 --isSingleNode
    HEAD=$(rpc "$E_RPC" eth_getBlockByNumber '["0x0",false]' | jq -r .hash)
    J_GENESIS=$(rpc "$J_RPC" eth_getBlockByNumber '["0x0",false]' | jq -r .hash)
    [ "$HEAD" = "$J_GENESIS" ] || fail "the fresh genesis: ethrex's is $HEAD, ethereumjs's $J_GENESIS"
    [ "$(rpc "$E_RPC" admin_addPeer "[\"$J_ENODE\"]")" = true ] || fail "ethrex's admin_addPeer(ethereumjs) did not return true"
    if check_ejs "ethrex -> ethereumjs on a fresh Prague genesis" false; then
        send_tx ethereumjs "$J_RPC" ethrex "$E_RPC" 4
        send_tx ethrex "$E_RPC" ethereumjs "$J_RPC" 6
    fi
fi

[ $FAILED -eq 0 ] || { echo "devp2p peers: FAILED"; for log in "$WORK"/ethrex.log "$WORK"/geth.log; do echo "--- $(basename "$log") (last 25 lines)"; tail -25 "$log"; done; }
exit $FAILED
