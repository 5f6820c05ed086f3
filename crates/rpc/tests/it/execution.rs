//! The execution and tracing methods end to end, over a small chain in memory: a genesis with
//! a few contracts and one block calling them, then `eth_call`, `eth_estimateGas`,
//! `eth_createAccessList` and the `debug_trace*` methods through [`methods::call`].

use std::sync::Arc;

use alloy_primitives::{Address, B256, Bytes, U256, hex};
use ethrex_blockchain::{BlockAttributes, Blockchain, mempool::Mempool, payload::build_on};
use ethrex_common::{
    Fork, Genesis,
    types::{Header, Transaction},
};
use ethrex_rpc::{RpcContext, RpcError, methods};
use ethrex_test_utils::{GenesisBuilder, TxBuilder, dev_address};
use serde_json::{Value, json};

/// Returns the two bytes 0xffee.
const RETURNER: Address = Address::repeat_byte(0x0a);
/// Reverts with `Error("boom")`.
const REVERTER: Address = Address::repeat_byte(0x0b);
/// Returns storage slot 1 (holding 42).
const READER: Address = Address::repeat_byte(0x0c);
/// Calls RETURNER with all its gas and returns what it returned.
const FORWARDER: Address = Address::repeat_byte(0x0d);
/// Spends gas in a loop until less than 5,000 is left (its estimate is found by search).
const BURNER: Address = Address::repeat_byte(0x0e);

/// Dev account 0, which signs the block's transactions.
fn sender() -> Address {
    dev_address(0)
}

/// `Error("boom")` revert data.
fn boom() -> Vec<u8> {
    let mut data = hex!("08c379a0").to_vec();
    data.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
    data.extend_from_slice(&U256::from(4).to_be_bytes::<32>());
    let mut text = [0u8; 32];
    text[..4].copy_from_slice(b"boom");
    data.extend_from_slice(&text);
    data
}

fn reverter_code() -> Vec<u8> {
    // CODECOPY the payload after these 12 bytes, then REVERT with it.
    let mut code = hex!("6064600c60003960646000fd").to_vec();
    code.extend(boom());
    code
}

fn forwarder_code() -> Vec<u8> {
    // CALL(gas, RETURNER, 0, 0, 0, 0, 32), RETURN(30, 2)
    let mut code = hex!("6020600060006000600073").to_vec();
    code.extend_from_slice(RETURNER.as_slice());
    code.extend_from_slice(&hex!("5af15060026000f3"));
    code
}

/// A Cancun genesis (base fee 7 wei) holding the contracts above.
fn genesis() -> Genesis {
    GenesisBuilder::new(Fork::Cancun)
        .base_fee(7)
        .contract(RETURNER, hex!("61ffee6000526002601ef3"), [])
        .contract(REVERTER, reverter_code(), [])
        .contract(
            READER,
            hex!("60015460005260206000f3"),
            [(U256::from(1), U256::from(42))],
        )
        .contract(FORWARDER, forwarder_code(), [])
        // JUMPDEST GAS PUSH2 5000 LT ISZERO PUSH1 0 JUMPI STOP
        .contract(BURNER, hex!("5b5a611388101560005700"), [])
        .build()
}

/// A call of `to` with 100,000 gas (fee cap 1,000 wei, tip 1 wei), signed by dev account 0.
fn call_tx(nonce: u64, to: Address) -> Transaction {
    TxBuilder::new()
        .nonce(nonce)
        .to(to)
        .gas_limit(100_000)
        .fees(1_000, 1)
        .eip1559()
}

/// Adds a block with `txs` on the head.
fn add_block(chain: &Blockchain, txs: Vec<Transaction>) {
    let head: Header = chain.store().head_header().unwrap().unwrap();
    let attributes = BlockAttributes {
        timestamp: head.timestamp + 12,
        fee_recipient: Address::repeat_byte(0xfe),
        prev_randao: B256::ZERO,
        gas_limit: head.gas_limit,
        extra_data: Bytes::new(),
        withdrawals: Some(Vec::new()),
        parent_beacon_block_root: Some(B256::ZERO),
    };
    let built = build_on(chain, &head, attributes, txs).unwrap();
    assert!(built.skipped.is_empty(), "{:?}", built.skipped);
    assert!(chain.import_block(&built.block).unwrap());
}

/// A chain whose block 1 calls FORWARDER (tx 0) and READER (tx 1).
fn context() -> RpcContext {
    let genesis = genesis();
    let store = ethrex_storage::Store::in_memory();
    store.init_genesis(&genesis).unwrap();
    let chain = Blockchain::new(store).unwrap();
    add_block(&chain, vec![call_tx(0, FORWARDER), call_tx(1, READER)]);
    let mut ctx = RpcContext::new(Arc::new(chain), Arc::new(Mempool::new(16)), "test".into());
    ctx.genesis = Some(Arc::new(genesis));
    ctx
}

fn call(ctx: &RpcContext, method: &str, params: Value) -> Result<Value, RpcError> {
    methods::call(ctx, method, params)?.into_value()
}

fn block_tx_hash(ctx: &RpcContext, index: usize) -> B256 {
    let block = ctx.store.block_by_number(1).unwrap().unwrap();
    block.body.transactions[index].hash()
}

#[test]
fn eth_call_returns_the_output() {
    let ctx = context();
    let result = call(&ctx, "eth_call", json!([{ "to": RETURNER }, "latest"])).unwrap();
    assert_eq!(result, json!("0xffee"));
    let result = call(&ctx, "eth_call", json!([{ "to": READER }])).unwrap();
    assert_eq!(result, json!(format!("{:#066x}", 42)));
}

#[test]
fn eth_call_revert_is_code_3_with_reason_and_data() {
    let ctx = context();
    let error = call(&ctx, "eth_call", json!([{ "to": REVERTER }, "latest"])).unwrap_err();
    assert_eq!(error.code, 3);
    assert_eq!(error.message, "execution reverted: boom");
    assert_eq!(error.data, Some(json!(Bytes::from(boom()).to_string())));
}

#[test]
fn eth_call_applies_state_overrides() {
    let ctx = context();
    let slot = format!("{:#066x}", 1);
    let overrides =
        json!({ READER.to_string(): { "stateDiff": { slot.clone(): format!("{:#066x}", 7) } } });
    let result = call(
        &ctx,
        "eth_call",
        json!([{ "to": READER }, "latest", overrides]),
    )
    .unwrap();
    assert_eq!(result, json!(format!("{:#066x}", 7)));
    let code = json!({ RETURNER.to_string(): { "code": "0x60016000526001601ff3" } });
    let result = call(
        &ctx,
        "eth_call",
        json!([{ "to": RETURNER }, "latest", code]),
    )
    .unwrap();
    assert_eq!(result, json!("0x01"));
}

#[test]
fn eth_call_without_funds_for_the_value_fails_like_geth() {
    let ctx = context();
    let poor = Address::repeat_byte(0x99);
    let error = call(
        &ctx,
        "eth_call",
        json!([{ "from": poor, "to": RETURNER, "value": "0x1" }]),
    )
    .unwrap_err();
    assert_eq!(error.code, -32000);
    assert!(
        error
            .message
            .starts_with("err: insufficient funds for gas * price + value"),
        "{}",
        error.message
    );
}

fn estimate(ctx: &RpcContext, args: Value) -> u64 {
    let result = call(ctx, "eth_estimateGas", json!([args])).unwrap();
    u64::from_str_radix(result.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

fn succeeds_with(ctx: &RpcContext, args: &Value, gas: u64) -> bool {
    let mut args = args.clone();
    args["gas"] = json!(format!("{gas:#x}"));
    call(ctx, "eth_call", json!([args])).is_ok()
}

#[test]
fn estimate_of_a_transfer_is_21000() {
    let ctx = context();
    let args = json!({ "from": sender(), "to": Address::repeat_byte(0x77), "value": "0x1" });
    assert_eq!(estimate(&ctx, args), 21_000);
}

#[test]
fn estimate_of_a_contract_call_is_the_least_gas_that_succeeds() {
    let ctx = context();
    for to in [FORWARDER, BURNER] {
        let args = json!({ "from": sender(), "to": to });
        let gas = estimate(&ctx, args.clone());
        assert!(gas > 21_000);
        assert!(succeeds_with(&ctx, &args, gas), "{to}: {gas} fails");
        assert!(
            !succeeds_with(&ctx, &args, gas - 1),
            "{to}: {} succeeds",
            gas - 1
        );
    }
}

#[test]
fn estimate_of_a_revert_is_the_revert_error() {
    let ctx = context();
    let error = call(&ctx, "eth_estimateGas", json!([{ "to": REVERTER }])).unwrap_err();
    assert_eq!(
        (error.code, error.message.as_str()),
        (3, "execution reverted: boom")
    );
}

#[test]
fn access_list_holds_the_slot_read() {
    let ctx = context();
    let result = call(
        &ctx,
        "eth_createAccessList",
        json!([{ "from": sender(), "to": READER }, "latest"]),
    )
    .unwrap();
    assert_eq!(
        result["accessList"],
        json!([{ "address": READER, "storageKeys": [format!("{:#066x}", 1)] }])
    );
    assert!(result.get("error").is_none());
    // Declaring the slot makes the call cheaper than when it is cold.
    let plain = call(
        &ctx,
        "eth_estimateGas",
        json!([{ "from": sender(), "to": READER }]),
    )
    .unwrap();
    assert_ne!(result["gasUsed"], plain);
}

#[test]
fn access_list_of_a_revert_reports_the_error() {
    let ctx = context();
    let result = call(&ctx, "eth_createAccessList", json!([{ "to": REVERTER }])).unwrap();
    assert_eq!(result["error"], json!("execution reverted"));
    assert_eq!(result["accessList"], json!([]));
}

#[test]
fn struct_logger_traces_each_step() {
    let ctx = context();
    let trace = call(
        &ctx,
        "debug_traceCall",
        json!([{ "to": RETURNER }, "latest"]),
    )
    .unwrap();
    let ops: Vec<&str> = trace["structLogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["op"].as_str().unwrap())
        .collect();
    assert_eq!(
        ops,
        ["PUSH2", "PUSH1", "MSTORE", "PUSH1", "PUSH1", "RETURN"]
    );
    assert_eq!(trace["failed"], json!(false));
    assert_eq!(trace["returnValue"], json!("0xffee"));
    assert_eq!(trace["structLogs"][1]["stack"], json!(["0xffee"]));
}

#[test]
fn struct_logger_records_storage_reads() {
    let ctx = context();
    let hash = block_tx_hash(&ctx, 1);
    let trace = call(&ctx, "debug_traceTransaction", json!([hash])).unwrap();
    let logs = trace["structLogs"].as_array().unwrap();
    let sload = logs.iter().find(|l| l["op"] == "SLOAD").unwrap();
    assert_eq!(
        sload["storage"],
        json!({ format!("{:#066x}", 1): format!("{:#066x}", 42) })
    );
    // Intrinsic, a cold SLOAD, four PUSH1 and an MSTORE growing memory by a word.
    assert_eq!(trace["gas"], json!(21_000 + 2_100 + 4 * 3 + 6));
}

#[test]
fn call_tracer_shows_the_call_tree() {
    let ctx = context();
    let hash = block_tx_hash(&ctx, 0);
    let trace = call(
        &ctx,
        "debug_traceTransaction",
        json!([hash, { "tracer": "callTracer" }]),
    )
    .unwrap();
    assert_eq!(trace["type"], json!("CALL"));
    assert_eq!(trace["from"], json!(format!("{:#x}", sender())));
    assert_eq!(trace["to"], json!(format!("{:#x}", FORWARDER)));
    assert_eq!(trace["gas"], json!("0x186a0"));
    assert_eq!(trace["output"], json!("0xffee"));
    let calls = trace["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["type"], json!("CALL"));
    assert_eq!(calls[0]["to"], json!(format!("{:#x}", RETURNER)));
    let top_only = call(
        &ctx,
        "debug_traceTransaction",
        json!([hash, { "tracer": "callTracer", "tracerConfig": { "onlyTopCall": true } }]),
    )
    .unwrap();
    assert!(top_only.get("calls").is_none());
}

#[test]
fn prestate_tracer_shows_accounts_before_and_in_diff_mode_what_changed() {
    let ctx = context();
    let hash = block_tx_hash(&ctx, 1);
    let pre = call(
        &ctx,
        "debug_traceTransaction",
        json!([hash, { "tracer": "prestateTracer" }]),
    )
    .unwrap();
    let reader = format!("{:#x}", READER);
    assert_eq!(
        pre[&reader]["storage"],
        json!({ format!("{:#066x}", 1): format!("{:#066x}", 42) })
    );
    assert_eq!(pre[format!("{:#x}", sender())]["nonce"], json!(1));
    let diff = call(
        &ctx,
        "debug_traceTransaction",
        json!([hash, { "tracer": "prestateTracer", "tracerConfig": { "diffMode": true } }]),
    )
    .unwrap();
    assert!(diff["pre"].get(&reader).is_none(), "READER did not change");
    assert_eq!(diff["post"][format!("{:#x}", sender())]["nonce"], json!(2));
}

#[test]
fn trace_block_traces_every_transaction() {
    let ctx = context();
    let traces = call(
        &ctx,
        "debug_traceBlockByNumber",
        json!(["0x1", { "tracer": "callTracer" }]),
    )
    .unwrap();
    let traces = traces.as_array().unwrap();
    assert_eq!(traces.len(), 2);
    assert_eq!(traces[1]["txHash"], json!(block_tx_hash(&ctx, 1)));
    let genesis = call(&ctx, "debug_traceBlockByNumber", json!(["0x0"])).unwrap_err();
    assert_eq!(genesis.message, "genesis is not traceable");
}

#[test]
fn trace_rebuilds_a_state_no_longer_held_from_the_genesis() {
    let ctx = context();
    let expected = call(
        &ctx,
        "debug_traceTransaction",
        json!([block_tx_hash(&ctx, 1)]),
    )
    .unwrap();
    // Keep one state only: block 1's parent (the genesis) state is then flattened away.
    ctx.store.set_state_window(1);
    add_block(&ctx.chain, vec![call_tx(2, RETURNER)]);
    add_block(&ctx.chain, vec![call_tx(3, RETURNER)]);
    let genesis = ctx.store.header_by_number(0).unwrap().unwrap();
    assert!(!ctx.store.has_state(&genesis.state_root));
    let rebuilt = call(
        &ctx,
        "debug_traceTransaction",
        json!([block_tx_hash(&ctx, 1)]),
    )
    .unwrap();
    assert_eq!(rebuilt, expected);
}

#[test]
fn simulate_runs_calls_in_blocks_on_top_of_the_head() {
    let ctx = context();
    let poor = Address::repeat_byte(0x55);
    let options = json!({
        "blockStateCalls": [
            {
                "stateOverrides": { poor.to_string(): { "balance": "0x3e8" } },
                "calls": [
                    { "from": poor, "to": Address::repeat_byte(0x56), "value": "0x3e8" },
                    { "from": sender(), "to": REVERTER },
                ]
            },
            { "calls": [{ "from": sender(), "to": READER }] }
        ],
        "traceTransfers": true
    });
    let blocks = call(&ctx, "eth_simulateV1", json!([options, "latest"])).unwrap();
    let blocks = blocks.as_array().unwrap();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0]["number"], json!("0x2"));
    assert_eq!(blocks[1]["parentHash"], blocks[0]["hash"]);
    let calls = blocks[0]["calls"].as_array().unwrap();
    assert_eq!(calls[0]["status"], json!("0x1"));
    assert_eq!(calls[0]["gasUsed"], json!("0x5208"));
    assert_eq!(
        calls[0]["logs"][0]["address"],
        json!("0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee")
    );
    assert_eq!(calls[1]["status"], json!("0x0"));
    assert_eq!(calls[1]["error"]["code"], json!(3));
    assert_eq!(
        calls[1]["error"]["message"],
        json!("execution reverted: boom")
    );
    let read = &blocks[1]["calls"][0]["returnData"];
    assert_eq!(read, &json!(format!("{:#066x}", 42)));
    let unfunded = json!({ "blockStateCalls": [{ "calls": [{ "from": poor, "to": READER, "value": "0x1" }] }] });
    let error = call(&ctx, "eth_simulateV1", json!([unfunded])).unwrap_err();
    assert_eq!(error.code, -38014);
    let disordered = json!({ "blockStateCalls": [
        { "blockOverrides": { "number": "0x5" } },
        { "blockOverrides": { "number": "0x4" } }
    ] });
    let error = call(&ctx, "eth_simulateV1", json!([disordered])).unwrap_err();
    assert_eq!(error.code, -38020);
}
