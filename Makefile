# ethrex — the two commands: `make run` (the main job) and `make test` (every check).
# Builds share one cargo profile (dev, with optimised dependencies) so that nothing compiles twice,
# and a target directory outside the work tree so that builds survive between checkouts.

SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(HOME)/.cache/ethrex-target
FIXTURES_SRC ?= $(abspath ../shared/fixtures)
FIXTURES_DIR := target/fixtures
NETWORK ?= mainnet
EF_TESTS := cargo run --quiet -p ef-tests --

.PHONY: all deps build run test lint unit ef-tests engine-replay engine-replay-ci fixtures bench bench-p2p bench-sync import-bench rpc-compat clients cl-mock-clients devp2p-discv4 devp2p-rlpx cli-docs clean-fixtures fuzz-p2p contracts contracts-check l2-genesis l2-anvil l2-kzg-check l2-e2e mpt-cross-check devp2p-peers devp2p-sync

all: build

## deps: install what the build and tests need and is missing (libclang for RocksDB, zstd).
deps:
	@missing=""; \
	command -v zstd >/dev/null 2>&1 || missing="$$missing zstd"; \
	dpkg -s libclang-dev >/dev/null 2>&1 || missing="$$missing libclang-dev"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; \
	fi
	@command -v cargo-nextest >/dev/null 2>&1 || cargo install --locked cargo-nextest

build: deps
	cargo build --workspace

## run: the main job: a local dev chain (`ethrex --dev`), JSON-RPC on 127.0.0.1:8545 (HTTP) and
## :8546 (WebSocket), until Ctrl-C.
run: deps
	cargo run --quiet --bin ethrex -- --dev --datadir memory --ws.enabled --authrpc.jwtsecret target/dev-jwt.hex

## fixtures: unpack every ../shared/fixtures/*.tar.zst into target/fixtures/<archive name>/ (once).
ARCHIVES := $(notdir $(basename $(basename $(wildcard $(FIXTURES_SRC)/*.tar.zst))))
LEGACY := $(FIXTURES_DIR)/ethereum-tests-legacy
EEST_STATE := $(FIXTURES_DIR)/eest-v5.4.0-state_tests
EEST_BLOCKCHAIN := $(FIXTURES_DIR)/eest-v5.4.0-blockchain_tests
fixtures: deps $(foreach a,$(ARCHIVES),$(FIXTURES_DIR)/$(a)/.unpacked)

$(FIXTURES_DIR)/%/.unpacked: $(FIXTURES_SRC)/%.tar.zst
	@mkdir -p $(@D)
	zstd -dc $< | tar -x -C $(@D)
	@touch $@

clean-fixtures:
	rm -rf $(FIXTURES_DIR)

## test: formatting, lints, unit and integration tests, the fixture suites, the engine replay of
## the Cancun/Prague/Osaka blockchain tests, the execution-apis JSON-RPC suite against the real
## binary, real clients against `ethrex --dev`, the CL mock with geth and ethereumjs, and geth's
## devp2p discv4, eth and snap suites, geth and ethereumjs as real peers, and sync with them.
test: deps lint contracts-check l2-anvil l2-kzg-check mpt-cross-check unit l2-e2e ef-tests engine-replay-ci rpc-compat clients cl-mock-clients devp2p-discv4 devp2p-rlpx devp2p-peers devp2p-sync

## contracts: the rollup's Solidity contracts (crates/l2/contracts): installs the pinned npm
## solc@0.8.31 and OpenZeppelin 5.7.0 into target/contracts-deps (once) and rewrites the committed
## artifacts (ABI, creation and deployed code) in crates/l2/contracts/artifacts.
contracts:
	crates/l2/contracts/contracts.sh build

## contracts-check: recompiles into a temporary folder and fails if the committed artifacts differ
## (skips, saying so, when npm cannot install the pinned packages).
contracts-check:
	crates/l2/contracts/contracts.sh check

## l2-genesis: regenerates fixtures/genesis/l2.json (the L2 genesis: the dev chain's schedule and
## rich accounts, chain id 65536999, CommonBridgeL2 and Messenger) from the embedded data; a unit
## test of ethrex-l2-sdk fails when the committed file differs.
l2-genesis:
	cargo run --quiet -p ethrex-l2-sdk --bin ethrex-l2-genesis -- fixtures/genesis/l2.json

## l2-anvil: installs npm @foundry-rs/anvil into target/l2-anvil (ignored) for the test that
## deploys the rollup contracts on anvil too (it skips, saying so, without it); no npm retries,
## so an unreachable registry skips in seconds.
ANVIL_VERSION := 1.7.1
l2-anvil:
	@if [ -x target/l2-anvil/node_modules/.bin/anvil ] && \
	   grep -q '"version": "$(ANVIL_VERSION)"' target/l2-anvil/node_modules/@foundry-rs/anvil/package.json 2>/dev/null; then \
		:; \
	elif npm install --prefix target/l2-anvil --no-audit --no-fund --silent --fetch-retries=0 \
		@foundry-rs/anvil@$(ANVIL_VERSION) >/dev/null 2>&1; then \
		echo "l2-anvil: installed @foundry-rs/anvil@$(ANVIL_VERSION) into target/l2-anvil"; \
	else \
		echo "l2-anvil: SKIPPED: could not install @foundry-rs/anvil@$(ANVIL_VERSION) (npm registry unreachable?)"; \
	fi

## mpt-cross-check: range proofs as the node serves them over snap/1 (accounts and storage:
## whole, cut, from between two keys, to the end), and tampered copies, checked by an independent
## verifier, npm @ethereumjs/mpt's verifyMerkleRangeProof (installed into target/mpt-check,
## once): it must agree with ethrex on every one (skips, saying so, when npm is unreachable).
MPT_VERSION := 10.1.0
mpt-cross-check:
	@if [ -f target/mpt-check/node_modules/@ethereumjs/mpt/package.json ] && \
	   grep -q '"version": "$(MPT_VERSION)"' target/mpt-check/node_modules/@ethereumjs/mpt/package.json; then \
		:; \
	elif ! npm install --prefix target/mpt-check --no-audit --no-fund --silent --fetch-retries=0 \
		@ethereumjs/mpt@$(MPT_VERSION) @ethereumjs/util@$(MPT_VERSION) >/dev/null 2>&1; then \
		echo "mpt-cross-check: SKIPPED: could not install @ethereumjs/mpt@$(MPT_VERSION) (npm registry unreachable?)"; \
		exit 0; \
	fi; \
	ETHREX_RANGE_VECTORS=$(CURDIR)/target/range-vectors.json cargo nextest run --no-fail-fast -p ethrex-p2p \
		-E 'test(served_ranges_and_tampered_ones_make_cross_check_vectors)' && \
	node tests/mpt/verify.mjs target/range-vectors.json target/mpt-check/node_modules

## l2-kzg-check: the batch blobs' KZG commitments, versioned hashes, blob proofs and cell proofs
## (ethrex-l2-common) compared byte for byte with PyPI ckzg 2.1.8's, installed into the ignored
## venv target/l2-kzg-venv (once); ckzg verifies our proofs (skips, saying so, when pip cannot
## install ckzg; ~1 min warm).
l2-kzg-check:
	bash tests/l2/kzg-check.sh

## l2-e2e: the rollup end to end (tests/l2/e2e.py): the real binary driven by npm
## @foundry-rs/cast, installed pinned into target/l2-e2e (ignored): `ethrex l2 --dev` (the
## README's cast round trip, exact fee shares per vault, a deployment, exact/double/forged
## claims, aliased sendToL2, ERC20 round trip, bad input), a >= 129-block batch verified after its
## prover was SIGKILLed, a restart on a disk datadir over an expired deposit, anvil (make
## l2-anvil) as the L1. Prints each step's checks and time (~2 min); SKIPPED without npm.
CAST_VERSION := 1.7.1
l2-e2e: deps l2-anvil
	cargo build -p ethrex
	@if [ -x target/l2-e2e/node_modules/.bin/cast ] && \
	   grep -q '"version": "$(CAST_VERSION)"' target/l2-e2e/node_modules/@foundry-rs/cast/package.json 2>/dev/null; then \
		:; \
	elif npm install --prefix target/l2-e2e --no-audit --no-fund --silent --fetch-retries=0 \
		@foundry-rs/cast@$(CAST_VERSION) >/dev/null 2>&1; then \
		echo "l2-e2e: installed @foundry-rs/cast@$(CAST_VERSION) into target/l2-e2e"; \
	else \
		rm -rf target/l2-e2e; \
	fi
	python3 tests/l2/e2e.py

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

unit:
	cargo nextest run --workspace --no-fail-fast

## fuzz-p2p: every p2p decoder property test (RLPx frames and auth/ack, p2p Hello/Disconnect,
## discv4 packets, every eth/68, eth/69 and snap/1 message) on random inputs for FUZZ_SECS
## seconds each (default 60), two at a time; prints how many cases each ran (also in
## target/fuzz-p2p.log). `make unit` runs them for 256 to 2000 cases each: seconds.
FUZZ_SECS ?= 60
fuzz-p2p: deps
	@mkdir -p target
	set -o pipefail; ETHREX_FUZZ_SECS=$(FUZZ_SECS) cargo nextest run -p ethrex-p2p --no-fail-fast \
		--success-output final -E 'test(/::fuzz::/)' 2>&1 | tee target/fuzz-p2p.log
	@grep -E '^ *fuzz ' target/fuzz-p2p.log | sed 's/^ *//'

ef-tests: deps $(LEGACY)/.unpacked $(EEST_STATE)/.unpacked $(EEST_BLOCKCHAIN)/.unpacked
	$(EF_TESTS) trie $(LEGACY)/TrieTests
	$(EF_TESTS) rlp $(LEGACY)/RLPTests
	$(EF_TESTS) transaction $(LEGACY)/TransactionTests
	$(EF_TESTS) state $(LEGACY)/GeneralStateTests
	$(EF_TESTS) state $(EEST_STATE)/state_tests
	$(EF_TESTS) difficulty $(addprefix $(LEGACY)/BasicTests/,difficulty.json difficultyMainNetwork.json difficultyCustomMainNetwork.json difficultyCustomHomestead.json)
	$(EF_TESTS) blockchain $(LEGACY)/BlockchainTests
	$(EF_TESTS) blockchain $(EEST_BLOCKCHAIN)/blockchain_tests

## engine-replay: every post-merge EEST blockchain test (~21,000; network Paris or later,
## transitions included) replayed against a real `ethrex` process through the Engine API
## (newPayload, forkchoiceUpdated over HTTP + JWT), one node per test, ENGINE_JOBS at once;
## prints its time. engine-replay-ci: the cancun, prague and osaka folders only (`make test`).
ENGINE_JOBS ?= 2
ENGINE_REPLAY := $(CARGO_TARGET_DIR)/debug/ef-tests engine --jobs $(ENGINE_JOBS)
engine-replay: deps $(EEST_BLOCKCHAIN)/.unpacked
	cargo build -p ethrex -p ef-tests
	time $(ENGINE_REPLAY) $(EEST_BLOCKCHAIN)/blockchain_tests

engine-replay-ci: deps $(EEST_BLOCKCHAIN)/.unpacked
	cargo build -p ethrex -p ef-tests
	time $(ENGINE_REPLAY) $(addprefix $(EEST_BLOCKCHAIN)/blockchain_tests/,cancun prague osaka)

## bench: benchmarks against the reference implementations (release profile); `dev` runs the
## release ethrex binary against anvil (installed from npm into target/bench-tools if missing).
bench:
	cargo run --release -p ethrex-bench -- trie
	cargo run --release -p ethrex-bench -- evm
	cargo build --release -p ethrex && cargo run --release -p ethrex-bench -- dev

## bench-p2p: headers+bodies served per second by an ethrex session against geth v1.17.10
## (installed pinned into target/tools if missing) over loopback RLPx on go-ethereum's devp2p
## test chain, with their ratio; then snap AccountRange throughput over a 1,000,000-account
## chaingen state (~8 minutes on 2 cores). Dev profile: the numbers are dev-profile numbers.
bench-p2p:
	cargo run -p ethrex-bench -- p2p

## bench-sync: sync over loopback from one ethrex node serving a 2,500-block chaingen chain
## (~94,000 accounts): a fresh ethrex and a fresh geth v1.17.10 (installed pinned into
## target/tools; SKIP without Go) each full-sync, then snap-sync, driven through the Engine API;
## one table of blocks/s, accounts/s and MB/s with the ratio ethrex/geth (~6 min; the chain is
## generated once into target/bench-sync-chain). Dev profile. Not part of `make test`.
bench-sync: deps
	cargo build -p ethrex -p ethrex-chaingen
	bash tests/devp2p/bench-sync.sh

## bench-l2: `ethrex l2 --dev` against `ethrex --dev` in one run: 20,000 transfers from 100 dev
## accounts on each (block time 1000 ms on both), tx/s and their ratio; transfers per full
## blob; deposit → L2 balance and withdrawal → claimable (medians of 5 and 3, dev defaults);
## exec proving s/batch and Mgas/s (~4 minutes). Dev profile. Flags through BENCH_L2_FLAGS
## (e.g. BENCH_L2_FLAGS="--window 1000"; `ethrex-bench l2 --help`).
bench-l2:
	cargo build -p ethrex -p ethrex-bench
	$(CARGO_TARGET_DIR)/debug/ethrex-bench l2 $(BENCH_L2_FLAGS)

## rpc-compat: replay the execution-apis JSON-RPC suite against the real binary.
rpc-compat: deps
	cargo build -p ethrex -p rpc-compat
	$(CARGO_TARGET_DIR)/debug/rpc-compat $(FIXTURES_SRC)/execution-apis/tests

## clients: real clients (cast, solc, web3.py, a WebSocket client) against `ethrex --dev`.
clients: deps
	cargo build -p ethrex
	bash tests/clients/run.sh

## devp2p-discv4: geth's devp2p discovery v4 conformance suite (v1.17.10, installed pinned into
## target/tools) against a real ethrex on 127.0.0.1 / 127.0.0.2.
devp2p-discv4: deps
	cargo build -p ethrex
	bash tests/devp2p/discv4.sh

## devp2p-rlpx: geth's devp2p eth and snap conformance suites (`devp2p rlpx eth-test` and
## `snap-test`, v1.17.5 — the newest whose test chain has no Amsterdam —, installed pinned into
## target/tools) against a real ethrex serving the suite's chain on 127.0.0.1.
devp2p-rlpx: deps
	cargo build -p ethrex
	bash tests/devp2p/rlpx.sh all

## devp2p-peers: geth v1.17.10 and ethereumjs 0.10.5 (installed pinned into target/tools) as real
## peers of ethrex on 127.0.0.1, on a custom post-merge Prague chain all three import: connections
## both ways (admin_addPeer, discovery), Status, transactions both ways with geth, geth serving
## ethrex's header, body and receipt requests, ethereumjs over eth/68 (~1.5 min warm).
devp2p-peers: deps
	cargo build -p ethrex
	bash tests/devp2p/peers.sh

## devp2p-sync: sync with real clients on 127.0.0.1, driven through the Engine API: ethrex syncs
## from geth v1.17.10 (full and snap), geth syncs from ethrex (full and snap), ethereumjs 0.10.5
## syncs from ethrex, on go-ethereum's devp2p test chain (600 Prague blocks) and a chaingen chain;
## head hash and state root compared, times printed (~2.5 min warm).
devp2p-sync: deps
	cargo build -p ethrex -p ethrex-chaingen
	bash tests/devp2p/sync.sh

## cl-mock-clients: the CL mock drives ethrex with geth v1.17.10 (Osaka) and ethereumjs 0.10.5
## (Prague), installed pinned into target/tools; block hashes and state roots compared; and the
## RLPx handshake with geth (~1 min warm).
cl-mock-clients: deps
	bash tooling/cl-mock/clients.sh

## import-bench: generate (once) 1,000 blocks of 30M gas of ETH and ERC20 transfers, then import
## them into a fresh RocksDB and print Mgas/s split into execution, merkleization and storage.
## The first release build compiles RocksDB again (~14 minutes on 2 cores).
BENCH_CHAIN := target/bench-chain
import-bench: deps
	@test -f $(BENCH_CHAIN)/chain.rlp || cargo run --release -p ethrex-chaingen -- \
		--blocks 1000 --gas-limit 60000000 --senders 2000 --out $(BENCH_CHAIN)
	cargo run --release -p ethrex -- --network $(BENCH_CHAIN)/genesis.json import-bench $(BENCH_CHAIN)/chain.rlp

## cli-docs: regenerate docs/CLI.md from `ethrex --help`, `ethrex l2 deploy --help` and `ethrex l2 prover --help`.
cli-docs:
	cargo build --quiet --bin ethrex
	@{ echo '# ethrex command line'; echo; \
	   echo 'Generated from `ethrex --help` by `make cli-docs`; a test fails when it is stale.'; \
	   echo 'Every flag can also be set through the environment variable shown in brackets.'; echo; \
	   echo '```text'; env -i $(CARGO_TARGET_DIR)/debug/ethrex --help; echo '```'; echo; \
	   echo '## ethrex l2'; echo; \
	   echo '```text'; env -i $(CARGO_TARGET_DIR)/debug/ethrex l2 --help; echo '```'; echo; \
	   echo '## ethrex l2 deploy'; echo; \
	   echo '```text'; env -i $(CARGO_TARGET_DIR)/debug/ethrex l2 deploy --help; echo '```'; echo; \
	   echo '## ethrex l2 prover'; echo; \
	   echo '```text'; env -i $(CARGO_TARGET_DIR)/debug/ethrex l2 prover --help; echo '```'; } > docs/CLI.md
