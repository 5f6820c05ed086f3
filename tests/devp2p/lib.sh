# Helpers shared by tests/devp2p/sync.sh (`make devp2p-sync`) and tests/devp2p/bench-sync.sh
# (`make bench-sync`); sourced from the repository's root. The caller sets WORK (a scratch
# directory), ETHREX and GETH (binaries), C_NAME (the chain: $WORK/$C_NAME-fcu.json holds its
# head's forkchoiceUpdated), CHAIN_ID, HEAD, HEAD_ROOT and HEAD_NUMBER, and keeps ETHREX_PID and
# GETH_PID (killed by its EXIT trap). new_ports picks the JWT secret and the nodes' free ports.
# DRIVE_HOOK, if set, names a command drive runs at every round (bench-sync.sh samples metrics).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }

FAILED=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; FAILED=1; }
fatal() {
    echo "FAIL $*"
    for log in "$WORK"/*.log; do echo "--- $(basename "$log") (last 25 lines)"; tail -25 "$log"; done
    exit 1
}
# show_log FILE PATTERN: the log's lines matching PATTERN (the last 20), indented.
show_log() { grep -aiE "$2" "$1" | tail -20 | sed 's/^/     /'; }

# rpc URL METHOD PARAMS: the call's result (JSON), or nothing (and status 1) on an error.
rpc() {
    local answer
    answer=$(curl -s -m 5 -H 'Content-Type: application/json' \
        -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":$3}" "$1") || return 1
    jq -e 'has("result")' <<<"$answer" >/dev/null 2>&1 || { echo "$answer" >&2; return 1; }
    jq -c .result <<<"$answer"
}
# engine URL FILE: the Engine API call in FILE, with a fresh JWT; prints the whole answer.
engine() {
    local token
    token=$(python3 tests/devp2p/peers.py jwt "$WORK/jwt.hex")
    curl -s -m 10 -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
        -d @"$2" "$1"
}
# wait_rpc URL PID NAME: until the node answers eth_blockNumber (20 s).
wait_rpc() {
    for _ in $(seq 1 200); do
        rpc "$1" eth_blockNumber '[]' >/dev/null 2>&1 && return 0
        kill -0 "$2" 2>/dev/null || fatal "$3 exited at start"
        sleep 0.1
    done
    fatal "$3 did not answer JSON-RPC within 20 s"
}
stop() {
    local var="${1}_PID"
    local pid="${!var}"
    [ -n "$pid" ] || return 0
    if [ "$1" = EJS ]; then kill -9 "$pid" 2>/dev/null; else kill "$pid" 2>/dev/null; fi
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    printf -v "$var" '%s' ""
}
enode() {
    rpc "$1" admin_nodeInfo '[]' | jq -r .enode | sed -E 's/@[^:]+:/@127.0.0.1:/; s/\?.*$//'
}

# new_ports: fresh JWT secret ($WORK/jwt.hex) and free ports for the next ethrex (E_*) and geth (G_*).
new_ports() {
    [ -f "$WORK/jwt.hex" ] || openssl rand -hex 32 >"$WORK/jwt.hex" 2>/dev/null \
        || python3 -c 'import secrets; print(secrets.token_hex(32))' >"$WORK/jwt.hex"
    E_P2P=$(free_port); E_HTTP=$(free_port); E_AUTH=$(free_port)
    G_P2P=$(free_port); G_HTTP=$(free_port); G_AUTH=$(free_port)
    E_RPC="http://127.0.0.1:$E_HTTP"
    G_RPC="http://127.0.0.1:$G_HTTP"
}

# start_ethrex GENESIS DATADIR LOG ARGS...
start_ethrex() {
    local genesis="$1" datadir="$2" log="$3"
    shift 3
    "$ETHREX" --network "$genesis" --datadir "$datadir" --p2p.addr 127.0.0.1 \
        --p2p.port "$E_P2P" --discovery.port "$E_P2P" --http.addr 127.0.0.1 --http.port "$E_HTTP" \
        --authrpc.addr 127.0.0.1 --authrpc.port "$E_AUTH" --authrpc.jwtsecret "$WORK/jwt.hex" \
        --log.color never "$@" >>"$log" 2>&1 &
    ETHREX_PID=$!
    wait_rpc "$E_RPC" "$ETHREX_PID" ethrex
}
# start_geth DATADIR LOG ARGS...
start_geth() {
    local datadir="$1" log="$2"
    shift 2
    "$GETH" --datadir "$datadir" --networkid "$CHAIN_ID" --nat none \
        --port "$G_P2P" --discovery.port "$G_P2P" --ipcdisable --bootnodes "" \
        --http --http.addr 127.0.0.1 --http.port "$G_HTTP" --http.api eth,net,admin \
        --authrpc.addr 127.0.0.1 --authrpc.port "$G_AUTH" --authrpc.jwtsecret "$WORK/jwt.hex" \
        "$@" >>"$log" 2>&1 &
    GETH_PID=$!
    wait_rpc "$G_RPC" "$GETH_PID" geth
}

# drive NAME AUTH_URL PID [LOG PATTERN]: forkchoiceUpdated to the head every 0.5 s until VALID,
# at most $SYNC_LIMIT s; every answer must be SYNCING, ACCEPTED or VALID. Sets DRIVE_STATUSES
# (the distinct answers, in order) and returns 0 on VALID, 2 (no FAIL printed) as soon as LOG
# has a line matching PATTERN.
drive() {
    local name="$1" auth="$2" pid="$3" log="${4:-}" pattern="${5:-}" answer status start
    DRIVE_STATUSES=""
    start=$(now)
    while python3 -c "import sys; sys.exit(0 if float(sys.argv[2]) - float(sys.argv[1]) < $SYNC_LIMIT else 1)" "$start" "$(now)"; do
        kill -0 "$pid" 2>/dev/null || { fail "$name exited while syncing"; return 1; }
        [ -z "${DRIVE_HOOK:-}" ] || $DRIVE_HOOK
        [ -n "$pattern" ] && grep -qaE "$pattern" "$log" && return 2
        answer=$(engine "$auth" "$WORK/$C_NAME-fcu.json")
        status=$(jq -r '.result.payloadStatus.status // empty' <<<"$answer" 2>/dev/null)
        case "$status" in
            SYNCING | ACCEPTED | VALID) ;;
            *) fail "$name answered forkchoiceUpdated with: $answer"; return 1 ;;
        esac
        [[ " $DRIVE_STATUSES " == *" $status "* ]] || DRIVE_STATUSES="$DRIVE_STATUSES $status"
        [ "$status" = VALID ] && return 0
        sleep 0.5
    done
    fail "$name: forkchoiceUpdated not VALID after $SYNC_LIMIT s (answers:$DRIVE_STATUSES)"
    return 1
}
# same_head LABEL URL SECONDS: the node's latest block is the chain's head (hash and state root).
same_head() {
    local label="$1" url="$2" took="$3" block hash root number
    block=$(rpc "$url" eth_getBlockByNumber '["latest",false]')
    hash=$(jq -r .hash <<<"$block")
    root=$(jq -r .stateRoot <<<"$block")
    number=$(jq -r .number <<<"$block")
    if [ "$hash" != "$HEAD" ] || [ "$root" != "$HEAD_ROOT" ]; then
        fail "$label: latest block #$((number)) $hash root $root, not the head #$((HEAD_NUMBER)) $HEAD root $HEAD_ROOT"
        return 1
    fi
    local rate
    rate=$(python3 -c "import sys; print(f'{int(sys.argv[1], 16) / float(sys.argv[2]):.0f}')" "$number" "$took")
    ok "$label: head #$((number)) ${hash:0:10}…, state root ${root:0:10}… in $took s ($rate blocks/s; answers:$DRIVE_STATUSES)"
}
