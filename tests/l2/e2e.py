#!/usr/bin/env python3
"""`make l2-e2e`: the rollup end to end, driving the real `ethrex` binary with npm `cast`.

Steps (each prints what it checked and its time; a failure prints the logs' tails and exits 1):
  1. `ethrex l2 --dev` with all three fee vaults and a coinbase: the README's cast round trip
     (deposit, L2 transfer, withdraw, proof, claim), the exact fee shares of the transfer, a
     contract deployment on the L2, the claim's exact L1 balance change, a double and two forged
     claims reverting.
  2. An L1 contract calling the bridge's sendToL2: the L2 transaction's sender is aliased.
  3. ERC20 round trip: TestToken on L1, TestTokenL2 on L2, depositERC20, withdrawERC20, claim;
     and a deposit naming an L2 token that represents another L1 token: refused on the L2, sent
     back as an L1 message, claimed on L1 with the privileged transaction's proof.
  8. Bad input to ethrex_getWithdrawalProof (same rollup as step 1).
  4+5. A second rollup with 100 ms blocks and 20 s commits and an external prover: a batch of
     >= 129 blocks, the prover SIGKILLed while it proves it, another prover: verified on L1.
  1b. On that rollup, whose base fee fell near its floor: step 1's exact fee check again, now
     with an L1 data fee of several gas (rounded up).
  6. An external `ethrex --dev` L1 (disk), `ethrex l2 deploy`, `ethrex l2` on a disk datadir:
     SIGTERM, a deposit sent while it is down and left past its deadline, restart: the deposit
     is included, nothing before the restart is lost, new batches commit (forced inclusion).
  8b. Step 6's L1 stopped under the running sequencer, then restarted: retries, no panic,
     batches commit and verify again, deposits flow.
  7. npm anvil as the L1: deploy, a deposit reaches the L2, a batch commits and verifies.

Tools: cast from target/l2-e2e (`make l2-e2e` installs npm @foundry-rs/cast there), anvil from
target/l2-anvil (`make l2-anvil`); without cast everything is SKIPPED, without anvil step 7.
Every process listens on 127.0.0.1 on free ports and is killed (by pid) on exit.
Environment: ETHREX (the binary; default $CARGO_TARGET_DIR/debug/ethrex), L2_E2E_STEPS=6,7 (only
those steps; "1", "2", "3" and "8" share a rollup), L2_E2E_KEEP=1 (keep the logs' folder).
"""

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET_DIR = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/ethrex-target"))
ETHREX = os.environ.get("ETHREX", os.path.join(TARGET_DIR, "debug", "ethrex"))
ARTIFACTS = os.path.join(ROOT, "crates", "l2", "contracts", "artifacts")
L2_GENESIS = os.path.join(ROOT, "fixtures", "genesis", "l2.json")
KEYS_FILE = os.path.join(ROOT, "crates", "common", "networks", "dev-keys.txt")

L2_BRIDGE = "0x000000000000000000000000000000000000ffff"
ALIAS_OFFSET = 0xEE110000000000000000000000000000000011FF
ETHER = 10**18
# The L1 data fee's constants (crates/vm/src/l2_hook.rs): bytes of a blob, bytes of its payload.
BLOB_BYTES, BLOB_PAYLOAD_BYTES = 131072, 126976


def platform_binary(package_dir, name):
    """The platform binary npm installed (not npm's node wrapper, so that a kill stops it)."""
    found = glob.glob(os.path.join(ROOT, "target", package_dir, "node_modules", "@foundry-rs",
                                   f"{name}-*", "bin", name))
    return found[0] if found else None


CAST = platform_binary("l2-e2e", "cast")
ANVIL = platform_binary("l2-anvil", "anvil")


def dev_keys():
    """The dev chain's rich accounts (0-based, as `dev-keys.txt` lists them): (key, address)."""
    with open(KEYS_FILE) as f:
        return [tuple(line.split()[:2]) for line in f if line.strip() and not line.startswith("#")]


KEYS = dev_keys()


# ---------------------------------------------------------------------------------------------
# Output, failures, timing


class StepFailed(Exception):
    pass


class Skipped(Exception):
    """A step that cannot run here (a tool missing): reported as SKIPPED, never as a pass."""


RESULTS = []  # (step, status, seconds)
PROCS = []  # every process started, killed on exit


def say(msg):
    print(f"    {msg}", flush=True)


def check(cond, msg):
    if not cond:
        raise StepFailed(msg)


def wait_until(what, timeout, poll, interval=0.2, procs=()):
    """Polls `poll()` until it returns something truthy (returned); fails after `timeout` s or
    when one of `procs` exits."""
    deadline = time.monotonic() + timeout
    while True:
        value = poll()
        if value:
            return value
        for proc in procs:
            if proc.p.poll() is not None:
                raise StepFailed(f"{what}: {proc.name} exited ({proc.p.returncode}) while waiting")
        if time.monotonic() > deadline:
            raise StepFailed(f"{what}: not after {timeout} s")
        time.sleep(interval)


def run_step(number, title, body):
    """Runs one step: prints its title, its checks (from `body`) and its time. A failure prints
    the tails of the logs of the processes still running or started by the step, and stops the
    script."""
    print(f"\n== step {number}: {title}", flush=True)
    started = time.monotonic()
    first_proc = len(PROCS)
    try:
        body()
    except Skipped as e:
        took = time.monotonic() - started
        print(f"   SKIPPED: {e}", flush=True)
        RESULTS.append((number, title, "SKIPPED", took))
        return
    except Exception as e:  # noqa: BLE001 - any error fails the step, with the logs
        if not isinstance(e, StepFailed):
            traceback.print_exc()
        took = time.monotonic() - started
        print(f"   FAILED ({took:.1f} s): {e}", flush=True)
        shown = set()
        for i, proc in enumerate(PROCS):
            if (i >= first_proc or proc.p.poll() is None) and proc.log_path not in shown:  # a restarted process shares its log
                shown.add(proc.log_path)
                proc.print_tail()
        RESULTS.append((number, title, "FAILED", took))
        summary()
        sys.exit(1)
    took = time.monotonic() - started
    print(f"   ok ({took:.1f} s)", flush=True)
    RESULTS.append((number, title, "ok", took))


def summary():
    print("\n== summary", flush=True)
    for number, title, status, took in RESULTS:
        print(f"   step {number:<4} {status:<14} {took:6.1f} s  {title}")
    print(f"   total {time.monotonic() - T0:.1f} s", flush=True)


# ---------------------------------------------------------------------------------------------
# Processes


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A process whose output goes to a log file; killed (by pid) when the script exits."""

    def __init__(self, name, args, workdir):
        self.name = name
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.log = open(self.log_path, "a")
        # A restart appends to the same log: only what this process wrote counts.
        self.offset = self.log.tell()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": workdir}
        self.args = args
        self.p = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT,
                                  env=env, stdin=subprocess.DEVNULL)
        PROCS.append(self)

    def text(self):
        with open(self.log_path, errors="replace") as f:
            f.seek(self.offset)
            return f.read()

    def wait_log(self, needle, timeout):
        wait_until(f"{self.name}: {needle!r} in its log", timeout,
                   lambda: needle in self.text(), procs=[self])

    def signal(self, sig):
        if self.p.poll() is None:
            os.kill(self.p.pid, sig)

    def stop(self, timeout=30):
        """SIGTERM, then its exit status (SIGKILL after `timeout` s: then a failure)."""
        self.signal(signal.SIGTERM)
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.p.wait()
            raise StepFailed(f"{self.name}: still running {timeout} s after SIGTERM")

    def kill(self):
        self.signal(signal.SIGKILL)
        self.p.wait()

    def print_tail(self, lines=25):
        print(f"   --- {self.name} ({self.log_path}), last {lines} lines:")
        with open(self.log_path, errors="replace") as f:
            text = f.read()
        for line in text.splitlines()[-lines:]:
            print(f"   | {line}")


def cleanup():
    for proc in PROCS:
        if proc.p.poll() is None:
            proc.signal(signal.SIGKILL)
            proc.p.wait()


# ---------------------------------------------------------------------------------------------
# JSON-RPC and cast


class RpcError(StepFailed):
    def __init__(self, error):
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")


def rpc_raw(url, method, *params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    req = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as answer:
        return json.load(answer)


def rpc_or_none(url, method, *params):
    """The result, or None while nothing answers at `url` (a node starting up)."""
    try:
        return rpc(url, method, *params)
    except (urllib.error.URLError, ConnectionError):
        return None


def rpc(url, method, *params):
    answer = rpc_raw(url, method, *params)
    if "error" in answer:
        raise RpcError(answer["error"])
    return answer["result"]


def cast(*args, timeout=60):
    """cast's output (stripped); a failure raises StepFailed with its error."""
    out = subprocess.run([CAST, *map(str, args)], capture_output=True, text=True,
                         timeout=timeout, cwd=ROOT)
    if out.returncode != 0:
        raise StepFailed(f"cast {' '.join(map(str, args))[:200]}: {out.stderr.strip()[:600]}")
    return out.stdout.strip()


def send(rpc_url, key, *args):
    """`cast send … --json`: the receipt, which must succeed."""
    receipt = json.loads(cast("send", "--rpc-url", rpc_url, "--private-key", key, "--json", *args))
    check(receipt["status"] == "0x1", f"cast send {args[:2]}: reverted: {receipt}")
    return receipt


def send_reverting(rpc_url, key, expected_reason, *args):
    """Sends with a fixed gas limit (no estimate, which would refuse it): the mined receipt must
    show a revert, and eth_call the expected reason (returned)."""
    tx = cast("send", "--rpc-url", rpc_url, "--private-key", key, "--gas-limit", 500000,
              "--async", *args)
    receipt = wait_until("the receipt", 30, lambda: rpc(rpc_url, "eth_getTransactionReceipt", tx))
    check(receipt["status"] == "0x0", f"expected a revert, got {receipt}")
    out = subprocess.run([CAST, "call", "--rpc-url", rpc_url, "--from", cast("wallet", "address", key),
                          *map(str, args)], capture_output=True, text=True, timeout=30)
    reason = out.stderr.strip().splitlines()[0] if out.returncode else "(the call succeeds now)"
    reason = reason[reason.find("execution reverted"):].split(", data:")[0]
    check(expected_reason in reason, f"revert reason {reason!r}, expected {expected_reason!r}")
    return receipt, reason


def balance(url, address, block="latest"):
    return int(cast("balance", "--rpc-url", url, "--block", block, address))


def call_uint(url, to, sig, *args):
    return int(cast("call", "--rpc-url", url, to, sig, *args).split()[0])


def artifact(name, kind="bin"):
    with open(os.path.join(ARTIFACTS, f"{name}.{kind}")) as f:
        return "0x" + f.read().strip()


def read_env(path):
    values = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                key, value = line.strip().split("=", 1)
                values[key] = value
    return values


def privileged_l2_tx(l1_receipt):
    """From an L1 receipt's PrivilegedTxSent event: the L2 transaction's hash — keccak(from ‖
    to ‖ id ‖ value ‖ gas limit ‖ keccak(data)), recomputed here —, its sender and its id."""
    topic = cast("keccak", "PrivilegedTxSent(address,address,uint256,uint256,uint256,bytes)")
    event = next(log for log in l1_receipt["logs"] if log["topics"][0] == topic)
    sender, to = event["topics"][1][-40:], event["topics"][2][-40:]
    tx_id = int(event["topics"][3], 16)
    decoded = cast("abi-decode", "f()(uint256,uint256,bytes)", event["data"]).splitlines()
    value, gas_limit, data = (line.split()[0] for line in decoded)
    preimage = (sender + to + f"{tx_id:064x}" + f"{int(value):064x}" + f"{int(gas_limit):064x}"
                + cast("keccak", data)[2:])
    return cast("keccak", "0x" + preimage), "0x" + sender, tx_id


def batch_of_block(rollup, block):
    """The sealed batch holding L2 block `block`, or None."""
    for number in range(rpc(rollup.l2, "ethrex_batchNumber"), 0, -1):
        batch = rollup.batch(number)
        if batch["first_block"] <= block <= batch["last_block"]:
            return batch
    return None


def alias(address):
    return (int(address, 16) + ALIAS_OFFSET) % 2**160


def same_address(a, b):
    return a is not None and b is not None and int(a, 16) == int(b, 16)


# ---------------------------------------------------------------------------------------------
# Rollups


class Rollup:
    """`ethrex l2` and the URLs and contracts it uses."""

    def __init__(self, name, workdir, args, l1_url=None, env_file=None, bridge=None,
                 proposer=None, dev=True):
        self.name, self.workdir, self.args = name, workdir, args
        self.l2_port, self.coordinator_port = free_port(), free_port()
        self.l2 = f"http://127.0.0.1:{self.l2_port}"
        self.dev = dev
        self.l1 = l1_url
        self.env_file = env_file or os.path.join(workdir, f"{name}.env")
        self.bridge, self.proposer = bridge, proposer
        self.l1_port = free_port() if dev and l1_url is None else None
        if self.l1_port:
            self.l1 = f"http://127.0.0.1:{self.l1_port}"
        self.proc = None

    def start(self, timeout=120):
        args = [ETHREX, "--log.color", "never", "l2", "--http.port", self.l2_port,
                "--proof-coordinator.port", self.coordinator_port]
        if self.dev:
            args += ["--dev", "--env-file-path", self.env_file]
            if self.l1_port:
                args += ["--dev.l1-http-port", self.l1_port]
        else:
            args += ["--eth.rpc-url", self.l1, "--l1.bridge-address", self.bridge,
                     "--l1.on-chain-proposer-address", self.proposer]
        self.proc = Proc(self.name, [str(a) for a in args + self.args], self.workdir)
        self.proc.wait_log("sequencer started", timeout)
        if self.dev:
            env = read_env(self.env_file)
            self.bridge = env["ETHREX_WATCHER_BRIDGE_ADDRESS"]
            self.proposer = env["ETHREX_COMMITTER_ON_CHAIN_PROPOSER_ADDRESS"]

    def head(self):
        return int(rpc(self.l2, "eth_blockNumber"), 16)

    def last_verified(self):
        return call_uint(self.l1, self.proposer, "lastVerifiedBatch()(uint256)")

    def last_committed(self):
        return call_uint(self.l1, self.proposer, "lastCommittedBatch()(uint256)")

    def batch(self, number):
        return rpc(self.l2, "ethrex_getBatchByNumber", hex(number), False)

    def recorded(self, number, field):
        """Batch `number` once ethrex_getBatchByNumber gives its `field` (commit_tx, verify_tx):
        the committer and the proof sender record their transaction after its receipt, so
        just after the L1 moved."""
        def poll():
            batch = self.batch(number)
            return batch if batch and batch[field] else None
        return wait_until(f"batch {number}'s {field} recorded", 15, poll, procs=[self.proc])

    def wait_l2_balance(self, address, amount, timeout=60):
        return wait_until(f"L2 balance of {address} = {amount}", timeout,
                          lambda: balance(self.l2, address) == amount, procs=[self.proc])

    def wait_verified(self, batch, timeout=90, procs=None):
        wait_until(f"batch {batch} verified on L1", timeout,
                   lambda: self.last_verified() >= batch, interval=0.3,
                   procs=procs if procs is not None else [self.proc])

    def withdrawal_proof(self, tx_hash, timeout=60):
        """Waits for the withdrawal's proof, then for its batch to be verified on L1."""
        proof = wait_until("the withdrawal proof", timeout,
                           lambda: json.loads(cast("rpc", "--rpc-url", self.l2,
                                                   "ethrex_getWithdrawalProof", tx_hash)),
                           procs=[self.proc])
        check(len(proof) == 1, f"one L1 message expected: {proof}")
        self.wait_verified(proof[0]["batch_number"])
        return proof[0]


def eth_send_fee_check(rollup, receipt, vaults, value):
    """The fee shares of an L2 transfer, recomputed from its receipt, its block and the fee
    parameters the block was built with, against each vault's balance change over the block."""
    l2 = rollup.l2
    n = int(receipt["blockNumber"], 16)
    block = rpc(l2, "eth_getBlockByNumber", hex(n), True)
    others = [t for t in block["transactions"] if t["hash"] != receipt["transactionHash"]]
    check(all(t["type"] == "0x7e" for t in others),
          f"block {n} has other fee-paying transactions: {others}")
    tx = rpc(l2, "eth_getTransactionByHash", receipt["transactionHash"])
    # cast re-encodes the signed transaction from its fields (no eth_getRawTransactionByHash).
    raw = cast("tx", "--rpc-url", l2, "--raw", receipt["transactionHash"])
    check(cast("keccak", raw) == receipt["transactionHash"], "the re-encoded tx hashes to its hash")
    base = int(block["baseFeePerGas"], 16)
    fee_arg = {"block_number": n}
    operator = rpc(l2, "ethrex_getOperatorFee", fee_arg)
    blob_base_fee = rpc(l2, "ethrex_getL1BlobBaseFee", fee_arg)
    check(same_address(rpc(l2, "ethrex_getBaseFeeVaultAddress", fee_arg), vaults["base"]),
          "ethrex_getBaseFeeVaultAddress")
    check(same_address(rpc(l2, "ethrex_getOperatorFeeVaultAddress", fee_arg), vaults["operator"]),
          "ethrex_getOperatorFeeVaultAddress")
    max_fee, max_priority = int(tx["maxFeePerGas"], 16), int(tx["maxPriorityFeePerGas"], 16)
    tip = min(max_priority, max_fee - base - operator)
    effective = int(receipt["effectiveGasPrice"], 16)
    check(effective == base + tip,
          f"effectiveGasPrice {effective} != base {base} + priority {tip}")
    price = base + operator + tip
    raw_len = (len(raw) - 2) // 2
    l1_fee = (blob_base_fee * BLOB_BYTES // BLOB_PAYLOAD_BYTES) * raw_len
    l1_gas = -(-l1_fee // price)
    gas_used = int(receipt["gasUsed"], 16)
    execution = gas_used - l1_gas
    check(execution == 21000, f"gasUsed {gas_used} - L1 gas {l1_gas} != 21000 (a plain transfer)")
    expected = {
        "base": execution * base,
        "operator": execution * operator,
        "l1": l1_gas * price,
        "coinbase": execution * tip,
    }
    for vault, want in expected.items():
        got = balance(l2, vaults[vault], hex(n)) - balance(l2, vaults[vault], hex(n - 1))
        check(got == want, f"{vault} vault got {got}, expected {want}")
    sender = tx["from"]
    spent = balance(l2, sender, hex(n - 1)) - balance(l2, sender, hex(n))
    check(spent == value + gas_used * price,
          f"the sender paid {spent}, expected {value} + {gas_used} x {price}")
    check(sum(expected.values()) == gas_used * price, "the shares add up to what the sender paid")
    rounded = " (rounded up)" if l1_fee % price else ""
    say(f"fees of the transfer (block {n}): base fee {base}, operator fee {operator}, priority "
        f"{tip}, L1 blob base fee {blob_base_fee}, {raw_len}-byte tx -> L1 fee {l1_fee} wei = "
        f"{l1_gas} gas at {price}{rounded}; gasUsed {gas_used} = 21000 + {l1_gas}")
    say(f"vault deltas exact: base {expected['base']}, operator {expected['operator']}, "
        f"L1 {expected['l1']}, coinbase {expected['coinbase']}; sender paid value + gasUsed x {price}")
    return l1_gas


# ---------------------------------------------------------------------------------------------
# Step 1, 2, 3, 8: one `ethrex l2 --dev`

VAULTS = {
    "coinbase": "0x00000000000000000000000000000000000c0113",
    "base": "0x0000000000000000000000000000000000ba5e00",
    "operator": "0x00000000000000000000000000000000000093e0",
    "l1": "0x00000000000000000000000000000000000011f0",
}
OPERATOR_FEE = 1_000_000
LOW_OPERATOR_FEE = 5


def vault_flags(operator_fee):
    return ["--block-producer.coinbase-address", VAULTS["coinbase"],
            "--block-producer.base-fee-vault-address", VAULTS["base"],
            "--block-producer.operator-fee-vault-address", VAULTS["operator"],
            "--block-producer.operator-fee-per-gas", operator_fee,
            "--block-producer.l1-fee-vault-address", VAULTS["l1"]]


def step1_dev_round_trip(ctx):
    work = ctx["work"]
    rollup = Rollup("l2-dev", work, [
        "--block-producer.block-time", "500", "--committer.commit-time", "1500",
        "--watcher.watch-interval", "300", "--proof-coordinator.send-interval", "500",
        *vault_flags(OPERATOR_FEE)])
    ctx["dev"] = rollup
    rollup.start()
    L1, L2 = rollup.l1, rollup.l2
    say(f"ethrex l2 --dev: L1 {L1}, L2 {L2}, coordinator :{rollup.coordinator_port}; "
        f"bridge {rollup.bridge}, proposer {rollup.proposer} (from the env file)")
    check(int(cast("chain-id", "--rpc-url", L2)) == 65536999, "L2 chain id")

    # The README's round trip, with its variables.
    KEY, ME = KEYS[1]
    check(KEY == "0xbcdf20249abf0ed6d944c0288fad489e33f66b3960d9e6229c1cd214ed3bbe31"
          and ME.lower() == "0x8943545177806ed17b9f23f0a21ee5948ecaa776", "README's account #1")
    aa, bb = "0x00000000000000000000000000000000000000aa", "0x00000000000000000000000000000000000000bb"
    started = time.monotonic()
    send(L1, KEY, rollup.bridge, "deposit(address)", aa, "--value", "1ether")
    rollup.wait_l2_balance(aa, ETHER, timeout=30)
    say(f"deposit of 1 ether -> L2 balance of {aa} exactly 1 ether after "
        f"{time.monotonic() - started:.1f} s")

    receipt = send(L2, KEY, bb, "--value", "0.1ether")
    check(balance(L2, bb) == ETHER // 10, "0.1 ether at 0x…bb")
    say(f"L2 transfer of 0.1 ether mined in block {int(receipt['blockNumber'], 16)}")
    eth_send_fee_check(rollup, receipt, VAULTS, ETHER // 10)

    # A deployment on the L2.
    receipt = send(L2, KEY, "--create", artifact("BridgeCaller"))
    deployed = receipt["contractAddress"]
    code = cast("code", "--rpc-url", L2, deployed)
    check(code == artifact("BridgeCaller", "bin-runtime"), f"code at {deployed}: {code[:80]}…")
    say(f"cast send --create: BridgeCaller deployed on the L2 at {deployed}; cast code = its "
        f"runtime code ({(len(code) - 2) // 2} bytes)")

    # Withdraw 0.5 ether to our L1 address; proof; verification; claims.
    receipt = send(L2, KEY, L2_BRIDGE, "withdraw(address)", ME, "--value", "0.5ether")
    tx_hash = receipt["transactionHash"]
    started = time.monotonic()
    proof = rollup.withdrawal_proof(tx_hash)
    batch, message_id = proof["batch_number"], proof["message_id"]
    say(f"withdraw 0.5 ether: proof {json.dumps(proof)}; batch {batch} verified on L1 after "
        f"{time.monotonic() - started:.1f} s")
    claim = ["claimWithdrawal(bytes32,uint256,uint256,uint256,bytes32[])", tx_hash]
    proof_arg = "[" + ",".join(proof["merkle_proof"]) + "]"

    _, why = send_reverting(L1, KEY, "invalid withdrawal proof", rollup.bridge, *claim, "0.6ether",
                            batch, message_id, proof_arg)
    say(f"forged claim (0.6 instead of 0.5 ether) reverts: {why}")
    OTHER_KEY, OTHER = KEYS[2]
    _, why = send_reverting(L1, OTHER_KEY, "invalid withdrawal proof", rollup.bridge, *claim,
                            "0.5ether", batch, message_id, proof_arg)
    say(f"forged claim (someone else's withdrawal, claimed by {OTHER}) reverts: {why}")

    receipt = send(L1, KEY, rollup.bridge, *claim, "0.5ether", batch, message_id, proof_arg)
    n = int(receipt["blockNumber"], 16)
    change = balance(L1, ME, hex(n)) - balance(L1, ME, hex(n - 1))
    gas_cost = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    check(change == ETHER // 2 - gas_cost, f"L1 balance change {change} != 0.5 ether - {gas_cost}")
    say(f"claim: L1 balance of {ME} changed by exactly 0.5 ether - gas ({gas_cost} wei)")
    _, why = send_reverting(L1, KEY, "already claimed", rollup.bridge, *claim, "0.5ether", batch,
                            message_id, proof_arg)
    say(f"double claim reverts: {why}")


def step2_aliased_send_to_l2(ctx):
    rollup = ctx["dev"]
    L1, L2 = rollup.l1, rollup.l2
    key, _ = KEYS[4]
    receipt = send(L1, key, "--create", artifact("BridgeCaller"))
    caller = receipt["contractAddress"]
    target = "0x00000000000000000000000000000000000A11A5"
    receipt = send(L1, key, caller, "callSendToL2(address,(address,uint256,uint256,bytes))",
                   rollup.bridge, f"({target},100000,0,0x1234)")
    l2_hash, l1_from, tx_id = privileged_l2_tx(receipt)
    expected = alias(caller)
    check(int(l1_from, 16) == expected,
          f"PrivilegedTxSent from {l1_from}, expected {caller} + offset = {expected:#042x}")
    tx = wait_until("the privileged transaction on the L2", 30,
                    lambda: rpc(L2, "eth_getTransactionByHash", l2_hash), procs=[rollup.proc])
    wait_until("its receipt", 30, lambda: rpc(L2, "eth_getTransactionReceipt", l2_hash))
    check(int(tx["from"], 16) == expected, f"L2 tx from {tx['from']}, expected {expected:#042x}")
    check(same_address(tx["to"], target) and tx["type"] == "0x7e", f"L2 tx {tx}")
    say(f"BridgeCaller {caller} on L1 called sendToL2 (id {tx_id}); on the L2 transaction "
        f"{l2_hash[:18]}… (type 0x7e) is from {tx['from']} = caller + "
        f"0xEe11…11Ff mod 2^160, to {target}")


def step3_erc20_round_trip(ctx):
    rollup = ctx["dev"]
    L1, L2 = rollup.l1, rollup.l2
    key, user = KEYS[3]
    amount = 12345 * 10**15
    token_l1 = send(L1, key, "--create", artifact("TestToken"))["contractAddress"]
    ctor = cast("abi-encode", "constructor(address)", token_l1)[2:]
    # Deployed by another account, so that the two tokens' addresses differ.
    token_l2 = send(L2, KEYS[5][0], "--create", artifact("TestTokenL2") + ctor)["contractAddress"]
    check(not same_address(token_l1, token_l2), "distinct token addresses")
    check(same_address(cast("call", "--rpc-url", L2, token_l2, "l1Address()(address)"), token_l1),
          "TestTokenL2.l1Address() is the L1 token")
    say(f"TestToken on L1 at {token_l1}, TestTokenL2 on L2 at {token_l2} (l1Address() = L1 token)")
    send(L1, key, token_l1, "mint(address,uint256)", user, amount)
    send(L1, key, token_l1, "approve(address,uint256)", rollup.bridge, amount)
    l1_before = call_uint(L1, token_l1, "balanceOf(address)(uint256)", user)
    send(L1, key, rollup.bridge, "depositERC20(address,address,address,uint256)", token_l1,
         token_l2, user, amount)
    check(call_uint(L1, token_l1, "balanceOf(address)(uint256)", rollup.bridge) == amount,
          "the bridge holds the deposit")
    started = time.monotonic()
    wait_until("the ERC20 deposit on the L2", 30,
               lambda: call_uint(L2, token_l2, "balanceOf(address)(uint256)", user) == amount,
               procs=[rollup.proc])
    say(f"depositERC20 {amount} -> L2 balanceOf({user}) = {amount} after "
        f"{time.monotonic() - started:.1f} s")
    receipt = send(L2, key, L2_BRIDGE, "withdrawERC20(address,address,uint256)", token_l2, user,
                   amount)
    check(call_uint(L2, token_l2, "balanceOf(address)(uint256)", user) == 0, "burned on the L2")
    proof = rollup.withdrawal_proof(receipt["transactionHash"])
    say(f"withdrawERC20: burned on the L2; message {proof['message_id']} in batch "
        f"{proof['batch_number']}, verified on L1")
    send(L1, key, rollup.bridge,
         "claimWithdrawalERC20(bytes32,address,address,uint256,uint256,uint256,bytes32[])",
         receipt["transactionHash"], token_l1, token_l2, amount, proof["batch_number"],
         proof["message_id"], "[" + ",".join(proof["merkle_proof"]) + "]")
    after = call_uint(L1, token_l1, "balanceOf(address)(uint256)", user)
    check(after == l1_before, f"L1 token balance {after}, expected {l1_before} back")
    check(call_uint(L1, token_l1, "balanceOf(address)(uint256)", rollup.bridge) == 0,
          "the bridge released the tokens")
    say(f"claimWithdrawalERC20: L1 balanceOf({user}) back to {after}, the bridge holds 0")

    # A deposit naming an L2 token that does not represent the L1 token: the mint fails on the
    # L2, which sends the deposit back as an L1 message of the privileged transaction itself.
    ctor = cast("abi-encode", "constructor(address)", "0x000000000000000000000000000000000000dEaD")[2:]
    impostor = send(L2, KEYS[5][0], "--create", artifact("TestTokenL2") + ctor)["contractAddress"]
    back = 777
    send(L1, key, token_l1, "approve(address,uint256)", rollup.bridge, back)
    receipt = send(L1, key, rollup.bridge, "depositERC20(address,address,address,uint256)",
                   token_l1, impostor, user, back)
    l2_hash, _, _ = privileged_l2_tx(receipt)
    # Unknown to the L2 (an error) until the watcher has turned the deposit into its tx.
    l2_receipt = wait_until("the deposit's L2 transaction", 30,
                            lambda: rpc(L2, "eth_getTransactionReceipt", l2_hash))
    proof = rollup.withdrawal_proof(l2_hash)
    check(call_uint(L2, impostor, "balanceOf(address)(uint256)", user) == 0, "nothing minted")
    check(call_uint(L1, token_l1, "balanceOf(address)(uint256)", user) == after - back,
          "the deposit left the user's L1 balance")
    send(L1, key, rollup.bridge,
         "claimWithdrawalERC20(bytes32,address,address,uint256,uint256,uint256,bytes32[])",
         l2_hash, token_l1, impostor, back, proof["batch_number"], proof["message_id"],
         "[" + ",".join(proof["merkle_proof"]) + "]")
    check(call_uint(L1, token_l1, "balanceOf(address)(uint256)", user) == after,
          "the refused deposit came back")
    say(f"depositERC20 to an L2 token whose l1Address() is another: its privileged tx "
        f"{l2_hash[:14]}… (status {l2_receipt['status']}) minted nothing and sent message "
        f"{proof['message_id']} back; claimed on L1 with that tx's proof: {back} tokens back")


def step8_bad_input(ctx):
    rollup = ctx["dev"]
    answer = rpc_raw(rollup.l2, "ethrex_getWithdrawalProof", "0x1234")
    check(answer.get("error", {}).get("code") == -32602, f"malformed hash: {answer}")
    say(f"ethrex_getWithdrawalProof(\"0x1234\") -> {answer['error']}")
    unknown = "0x" + "ab" * 32
    answer = rpc_raw(rollup.l2, "ethrex_getWithdrawalProof", unknown)
    check("error" in answer, f"unknown tx hash: {answer}")
    say(f"ethrex_getWithdrawalProof(<unknown hash>) -> {answer['error']}")
    check(rollup.proc.p.poll() is None, "the sequencer is still running")
    code = rollup.proc.stop()
    check(code == 0, f"SIGTERM: exit {code}")
    say("the sequencer still runs after both; SIGTERM: exit 0")


# ---------------------------------------------------------------------------------------------
# Steps 4 and 5: a long batch, its prover killed mid-proof


def prover(name, work, coordinator_port):
    return Proc(name, [ETHREX, "--log.color", "never", "l2", "prover", "--proof-coordinators",
                       f"tcp://127.0.0.1:{coordinator_port}", "--proving-time", "200"], work)


def step45_long_batch_and_killed_prover(ctx):
    work = ctx["work"]
    rollup = Rollup("l2-long", work, [
        "--dev.no-prover", "--block-producer.block-time", "100",
        "--committer.commit-time", "20000", "--watcher.watch-interval", "1000",
        "--proof-coordinator.send-interval", "500", "--watcher.l1-fee-update-interval-ms", "1000",
        *vault_flags(LOW_OPERATOR_FEE)])
    rollup.start()
    ctx["long"] = rollup
    say(f"ethrex l2 --dev --dev.no-prover, 100 ms blocks, 20 s commits (L2 {rollup.l2})")

    def long_batch():
        n = rpc(rollup.l2, "ethrex_batchNumber")
        for number in range(1, n + 1):
            batch = rollup.batch(number)
            if batch and batch["last_block"] - batch["first_block"] + 1 >= 129:
                return batch
        return None

    started = time.monotonic()
    batch = wait_until("a batch of >= 129 blocks", 60, long_batch, interval=0.5,
                       procs=[rollup.proc])
    number, size = batch["number"], batch["last_block"] - batch["first_block"] + 1
    say(f"batch {number}: blocks {batch['first_block']}..={batch['last_block']} ({size} blocks), "
        f"sealed {time.monotonic() - started:.1f} s after the start")
    wait_until(f"batch {number} committed on L1", 30, lambda: rollup.last_committed() >= number,
               procs=[rollup.proc])
    check(rollup.last_verified() < number, "not verified before any prover runs")
    say(f"batch {number} committed on L1, unverified (no prover yet)")

    first = prover("prover-1", work, rollup.coordinator_port)
    needle = f"proving batch batch_number={number} "
    wait_until(f"prover-1 proving batch {number}", 60, lambda: needle in first.text(),
               interval=0.02, procs=[first, rollup.proc])
    first.kill()
    proved = f"batch proved and submitted batch_number={number} " in first.text()
    check(not proved, f"prover-1 finished batch {number} before it was killed")
    check(rollup.last_verified() < number, f"batch {number} verified without a proof")
    say(f"prover-1 SIGKILLed while proving batch {number} (it had not submitted it)")

    started = time.monotonic()
    second = prover("prover-2", work, rollup.coordinator_port)
    rollup.wait_verified(number, timeout=120, procs=[rollup.proc, second])
    say(f"prover-2 proved it: batch {number} ({size} blocks) verified on L1 "
        f"{time.monotonic() - started:.1f} s after prover-2 started")
    rollup.recorded(number, "verify_tx")
    second.stop()


def step1b_fees_at_a_low_base_fee(ctx):
    """After 200 empty blocks the L2 base fee is near its floor: a transfer's L1 data fee is then
    several gas (rounded up), which the fee check of step 1 (1 gas there) cannot show."""
    rollup = ctx["long"]
    key, _ = KEYS[8]
    base = int(rpc(rollup.l2, "eth_getBlockByNumber", "latest", False)["baseFeePerGas"], 16)
    # A 4 wei tip under a fee cap of base + 13: at base + operator 5 + tip 4 per gas the L1 gas
    # ⌈len/price⌉ rounds up (unless the length happens to be a multiple of the price).
    receipt = send(rollup.l2, key, "0x00000000000000000000000000000000000000cc", "--value", "5",
                   "--priority-gas-price", "4", "--gas-price", base + LOW_OPERATOR_FEE + 8)
    say(f"L2 base fee {base} wei; a transfer with a 4 wei tip and a {LOW_OPERATOR_FEE} wei "
        f"operator fee")
    l1_gas = eth_send_fee_check(rollup, receipt, VAULTS, 5)
    check(l1_gas > 1, f"the L1 data fee is {l1_gas} gas: the base fee did not fall")
    check(rollup.proc.stop() == 0, "SIGTERM: exit 0")


# ---------------------------------------------------------------------------------------------
# Step 6: external L1, deploy, disk datadir, restart over an expired deposit


def deploy(work, l1_url, key, committer, proof_sender, env_file, extra=()):
    out = subprocess.run(
        [ETHREX, "--log.color", "never", "l2", "deploy", "--eth-rpc-url", l1_url,
         "--private-key", key, "--committer.l1-address", committer,
         "--proof-sender.l1-address", proof_sender, "--genesis-l2-path", L2_GENESIS,
         "--env-file-path", env_file, *extra],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "HOME": work})
    check(out.returncode == 0, f"ethrex l2 deploy: exit {out.returncode}: {out.stdout[-1500:]}"
          f"{out.stderr[-1500:]}")
    env = read_env(env_file)
    return env["ETHREX_WATCHER_BRIDGE_ADDRESS"], env["ETHREX_COMMITTER_ON_CHAIN_PROPOSER_ADDRESS"]


def l1_timestamp(url):
    return int(rpc(url, "eth_getBlockByNumber", "latest", False)["timestamp"], 16)


def step6_restart(ctx):
    work = os.path.join(ctx["work"], "restart")
    os.makedirs(work)
    l1_port = free_port()
    l1_url = f"http://127.0.0.1:{l1_port}"
    l1 = Proc("l1-restart", [ETHREX, "--log.color", "never", "--dev", "--datadir",
                             os.path.join(work, "l1"), "--http.port", str(l1_port),
                             "--authrpc.port", "0", "--authrpc.jwtsecret",
                             os.path.join(work, "jwt.hex")], work)
    wait_until("the L1 answers", 30, lambda: rpc_or_none(l1_url, "eth_chainId"), procs=[l1])
    deployer_key, deployer = KEYS[189]
    proof_key, proof_sender = KEYS[190]
    max_wait = 6
    bridge, proposer = deploy(work, l1_url, deployer_key, deployer, proof_sender,
                              os.path.join(work, "deploy.env"),
                              ["--inclusion-max-wait", str(max_wait)])
    say(f"ethrex --dev L1 on disk ({l1_url}); ethrex l2 deploy --inclusion-max-wait {max_wait}: "
        f"bridge {bridge}")
    datadir = os.path.join(work, "l2")
    flags = ["--datadir", datadir, "--committer.l1-private-key", deployer_key,
             "--proof-coordinator.l1-private-key", proof_key,
             "--block-producer.block-time", "300", "--committer.commit-time", "1000",
             "--watcher.watch-interval", "300", "--watcher.block-delay", "0",
             "--proof-coordinator.send-interval", "500"]
    rollup = Rollup("l2-restart", work, flags, l1_url=l1_url, bridge=bridge, proposer=proposer,
                    dev=False)
    rollup.start()
    the_prover = prover("prover-restart", work, rollup.coordinator_port)
    L2 = rollup.l2
    key, _ = KEYS[7]
    first_to = "0x00000000000000000000000000000000000000f1"
    send(l1_url, key, bridge, "deposit(address)", first_to, "--value", "1ether")
    rollup.wait_l2_balance(first_to, ETHER)
    transfer = send(L2, key, "0x00000000000000000000000000000000000000f2", "--value", "7")
    wait_until("a batch holding the transfer committed and verified", 60,
               lambda: rollup.last_verified() >= 1 and rpc(L2, "ethrex_getWithdrawalProof",
                                                           transfer["transactionHash"]) is not None,
               procs=[rollup.proc, the_prover])
    committed = rollup.last_committed()
    wait_until(f"batch {committed} verified", 60, lambda: rollup.last_verified() >= committed)
    head = rollup.head()
    head_hash = rpc(L2, "eth_getBlockByNumber", hex(head), False)["hash"]
    batches = {n: rollup.batch(n) for n in range(1, rpc(L2, "ethrex_batchNumber") + 1)}
    code = rollup.proc.stop()
    check(code == 0, f"SIGTERM: exit {code}")
    say(f"before SIGTERM: head #{head}, {len(batches)} sealed batches, {committed} committed "
        f"and verified; sequencer exit 0")

    # A deposit while the sequencer is down, left past its deadline.
    down_to = "0x00000000000000000000000000000000000000f3"
    receipt = send(l1_url, key, bridge, "deposit(address)", down_to, "--value", "2ether")
    deposit_time = l1_timestamp(l1_url)
    deadline = deposit_time + max_wait

    def l1_time_passes():
        send(l1_url, key, "0x00000000000000000000000000000000000000f4", "--value", "1")
        return l1_timestamp(l1_url) > deadline
    wait_until("the L1 past the deposit's deadline", max_wait + 30, l1_time_passes, interval=1)
    expired = cast("call", "--rpc-url", l1_url, bridge, "hasExpiredPrivilegedTransactions()(bool)")
    check(expired == "true", f"hasExpiredPrivilegedTransactions() = {expired}")
    say(f"deposit of 2 ether sent while down (L1 block {int(receipt['blockNumber'], 16)}); L1 "
        f"time moved past its deadline: hasExpiredPrivilegedTransactions() = true")

    rollup.start()
    # An L2 transaction at once: its batch must also consume the overdue deposit, or L1 refuses it.
    after_restart = cast("send", "--rpc-url", L2, "--private-key", key, "--async",
                         "0x00000000000000000000000000000000000000f5", "--value", "9")
    check(rpc(L2, "eth_getBlockByNumber", hex(head), False)["hash"] == head_hash,
          f"block #{head} changed across the restart")
    check(rpc(L2, "eth_getTransactionByHash", transfer["transactionHash"]) is not None,
          "the L2 transfer before the restart is gone")
    for n, before in batches.items():
        after = rollup.batch(n)
        # The L1 transactions may have been sent between the snapshot and the SIGTERM.
        changed = {k: (v, after.get(k)) for k, v in before.items()
                   if after.get(k) != v and not (k in ("commit_tx", "verify_tx") and v is None)}
        check(not changed, f"batch {n} changed across the restart: {changed}")
    say(f"restarted on the same datadir: head #{head} {head_hash[:14]}… and batches "
        f"1..={len(batches)} unchanged")
    started = time.monotonic()
    rollup.wait_l2_balance(down_to, 2 * ETHER, timeout=60)
    say(f"the deposit made while down reached the L2 {time.monotonic() - started:.1f} s after "
        f"the restart")
    l2_hash, _, _ = privileged_l2_tx(receipt)
    l2_block = int(rpc(L2, "eth_getTransactionReceipt", l2_hash)["blockNumber"], 16)
    check(l2_block > head, f"the deposit is in block {l2_block}, not after the restart's #{head}")
    batch = wait_until("the deposit's batch sealed", 30, lambda: batch_of_block(rollup, l2_block),
                       procs=[rollup.proc])
    number = batch["number"]
    wait_until(f"batch {number} committed and the expired deposit consumed", 60,
               lambda: rollup.last_committed() >= number and cast(
                   "call", "--rpc-url", l1_url, bridge,
                   "hasExpiredPrivilegedTransactions()(bool)") == "false",
               procs=[rollup.proc])
    rollup.wait_verified(number, procs=[rollup.proc, the_prover])
    say(f"its L2 transaction {l2_hash[:14]}… (block {l2_block}) is in batch {number}, committed "
        f"and verified; hasExpiredPrivilegedTransactions() = false")
    tx_block = int(wait_until("the L2 transfer sent at the restart", 30, lambda: rpc(
        L2, "eth_getTransactionReceipt", after_restart))["blockNumber"], 16)
    batch = wait_until("its batch sealed", 30, lambda: batch_of_block(rollup, tx_block),
                       procs=[rollup.proc])
    rollup.wait_verified(batch["number"], procs=[rollup.proc, the_prover])
    say(f"an L2 transfer sent right after the restart (block {tx_block}, batch {batch['number']}) "
        f"committed and verified too")
    ctx["restart"] = {"l1": l1, "l1_args": l1.args, "work": work, "rollup": rollup,
                      "prover": the_prover, "key": key}


def step8b_l1_down(ctx):
    """The L1 of step 6 stops for a few seconds under the running sequencer, then comes back on
    its datadir and port: the sequencer retries (no panic, still serving) and commits again."""
    env = ctx["restart"]
    l1, rollup, the_prover = env["l1"], env["rollup"], env["prover"]
    committed = rollup.last_committed()
    check(l1.stop() == 0, "the L1's SIGTERM")
    down_at = time.monotonic()
    time.sleep(4)
    head = rollup.head()
    time.sleep(1)
    check(rollup.proc.p.poll() is None, "the sequencer exited while the L1 was down")
    check(rollup.head() > head, "no L2 block while the L1 is down")
    log = rollup.proc.text()
    check("panicked" not in log, "a panic in the sequencer's log")
    retries = sum(1 for line in log.splitlines()[-200:] if "WARN" in line or "ERROR" in line)
    say(f"L1 stopped: after {time.monotonic() - down_at:.1f} s the sequencer still runs and "
        f"serves (head #{rollup.head()}), {retries} warnings logged, no panic")
    l1 = Proc("l1-restart", env["l1_args"], env["work"])
    env["l1"] = l1
    wait_until("the L1 back", 30, lambda: rpc_or_none(rollup.l1, "eth_chainId"), procs=[l1])
    started = time.monotonic()
    wait_until("a batch committed after the L1 came back", 60,
               lambda: rollup.last_committed() > committed, procs=[rollup.proc, l1])
    new = rollup.last_committed()
    rollup.wait_verified(new, procs=[rollup.proc, the_prover, l1])
    key = env["key"]
    send(rollup.l1, key, rollup.bridge, "deposit(address)",
         "0x00000000000000000000000000000000000000f6", "--value", "1ether")
    rollup.wait_l2_balance("0x00000000000000000000000000000000000000f6", ETHER, timeout=30)
    say(f"L1 restarted on its datadir and port: batch {new} committed and verified "
        f"{time.monotonic() - started:.1f} s later; a new deposit reaches the L2")
    the_prover.stop()
    check(rollup.proc.stop() == 0, "SIGTERM: exit 0")
    l1.stop()


# ---------------------------------------------------------------------------------------------
# Step 7: anvil as the L1


def anvil_accounts(banner):
    """anvil's rich accounts, from its start-up banner: (key, address), in its order."""
    addresses, keys, section = [], [], None
    for line in banner.splitlines():
        if line.startswith("Available Accounts"):
            section = addresses
        elif line.startswith("Private Keys"):
            section = keys
        elif line.startswith("Wallet") or line.startswith("Base Fee"):
            section = None
        elif section is not None and line.startswith("("):
            section.append(line.split()[1])
    check(len(keys) >= 4 and len(keys) == len(addresses), f"anvil's accounts: {banner[:600]}")
    return list(zip(keys, addresses))


def step7_anvil(ctx):
    if ANVIL is None:
        raise Skipped("anvil is not installed (make l2-anvil installs npm @foundry-rs/anvil)")
    work = os.path.join(ctx["work"], "anvil")
    os.makedirs(work)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    anvil = Proc("anvil", [ANVIL, "--host", "127.0.0.1", "--port", str(port)], work)
    anvil.wait_log("Listening on", 30)
    info = rpc(url, "anvil_nodeInfo")
    say(f"anvil {url}: default hardfork {info['hardFork']} (Osaka or later: the committer's "
        f"default cell-proof sidecars)")
    (deployer_key, _), (committer_key, committer), (proof_key, proof_sender), (user_key, _) = \
        anvil_accounts(anvil.text())[:4]
    bridge, proposer = deploy(work, url, deployer_key, committer, proof_sender,
                              os.path.join(work, "anvil.env"))
    say(f"ethrex l2 deploy on anvil: bridge {bridge}, proposer {proposer}")
    rollup = Rollup("l2-anvil", work, [
        "--datadir", "memory", "--committer.l1-private-key", committer_key,
        "--proof-coordinator.l1-private-key", proof_key,
        "--block-producer.block-time", "300", "--committer.commit-time", "1000",
        "--watcher.watch-interval", "300", "--watcher.block-delay", "0",
        "--proof-coordinator.send-interval", "500"], l1_url=url, bridge=bridge,
        proposer=proposer, dev=False)
    rollup.start()
    the_prover = prover("prover-anvil", work, rollup.coordinator_port)
    to = "0x00000000000000000000000000000000000000a7"
    started = time.monotonic()
    receipt = send(url, user_key, bridge, "deposit(address)", to, "--value", "3ether")
    rollup.wait_l2_balance(to, 3 * ETHER)
    l2_hash, _, _ = privileged_l2_tx(receipt)
    l2_block = int(rpc(rollup.l2, "eth_getTransactionReceipt", l2_hash)["blockNumber"], 16)
    say(f"deposit on anvil -> L2 balance 3 ether after {time.monotonic() - started:.1f} s "
        f"(L2 block {l2_block})")
    batch = wait_until("the deposit's batch sealed", 30, lambda: batch_of_block(rollup, l2_block),
                       procs=[rollup.proc])
    number = batch["number"]
    wait_until(f"batch {number} committed on anvil", 60,
               lambda: rollup.last_committed() >= number, procs=[rollup.proc])
    rollup.wait_verified(number, procs=[rollup.proc, the_prover])
    batch = rollup.recorded(number, "commit_tx")
    commit = rpc(url, "eth_getTransactionByHash", batch["commit_tx"])
    check(commit and commit["type"] == "0x3", f"commit transaction on anvil: {commit}")
    check(len(commit.get("blobVersionedHashes") or []) == 1
          and commit["blobVersionedHashes"][0] == batch["blob_versioned_hash"],
          f"the commit's blob is the batch's: {commit.get('blobVersionedHashes')}")
    say(f"batch {number} (blocks {batch['first_block']}..={batch['last_block']}, the deposit's) "
        f"committed on anvil by a blob transaction carrying its blob, and verified "
        f"(lastVerifiedBatch = {rollup.last_verified()})")
    the_prover.stop()
    check(rollup.proc.stop() == 0, "SIGTERM: exit 0")
    anvil.kill()


# ---------------------------------------------------------------------------------------------


def main():
    global T0
    T0 = time.monotonic()
    if CAST is None:
        print("l2-e2e: SKIPPED: cast is not installed in target/l2-e2e (npm unreachable?)")
        return 0
    if not os.access(ETHREX, os.X_OK):
        print(f"l2-e2e: FAILED: no ethrex binary at {ETHREX} (cargo build --bin ethrex)")
        return 1
    work = tempfile.mkdtemp(prefix="ethrex-l2-e2e-")
    ctx = {"work": work}
    print(f"l2-e2e: {ETHREX}, {CAST}, logs in {work}")
    only = os.environ.get("L2_E2E_STEPS")  # e.g. "6,7": only those (step 1 runs for 2, 3, 8)
    wanted = lambda *steps: not only or any(s in only.split(",") for s in steps)
    if wanted("1", "2", "3", "8"):
        run_step(1, "ethrex l2 --dev: README round trip, exact fees, deployment, claims",
                 lambda: step1_dev_round_trip(ctx))
        run_step(2, "aliased sendToL2 from an L1 contract", lambda: step2_aliased_send_to_l2(ctx))
        run_step(3, "ERC20 round trip", lambda: step3_erc20_round_trip(ctx))
        run_step(8, "bad input to ethrex_getWithdrawalProof", lambda: step8_bad_input(ctx))
    if wanted("4", "5"):
        run_step("4+5", ">= 129-block batch verified; prover SIGKILLed mid-batch",
                 lambda: step45_long_batch_and_killed_prover(ctx))
        run_step("1b", "exact fees at a low L2 base fee (same rollup)",
                 lambda: step1b_fees_at_a_low_base_fee(ctx))
    if wanted("6", "8b"):
        run_step(6, "restart on a disk datadir over an expired deposit", lambda: step6_restart(ctx))
        run_step("8b", "the L1 down under the sequencer, then back", lambda: step8b_l1_down(ctx))
    if wanted("7"):
        run_step(7, "anvil as the L1", lambda: step7_anvil(ctx))
    summary()
    cleanup()
    skipped = [r for r in RESULTS if r[2] != "ok"]
    if not os.environ.get("L2_E2E_KEEP"):
        shutil.rmtree(work, ignore_errors=True)
    print(f"l2-e2e: all passed{f', {len(skipped)} skipped' if skipped else ''}")
    return 0


T0 = time.monotonic()

if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sys.exit(main())
    finally:
        cleanup()
