//! The rollup's RPC through `ethrex_rpc::methods::call` with [`L2Rpc`] as the extra namespace:
//! batches, withdrawal proofs that verify against the batch root with the contracts' hashes,
//! the fee parameter methods, bad input; and the rollup's fees on `eth_estimateGas` (larger by
//! exactly the L1 gas with an L1 fee vault), `eth_gasPrice` and receipts.

use std::sync::Arc;

use alloy_primitives::{Address, B256, U256, keccak256};
use ethrex_l2_contracts::{
    ETH_TOKEN_ADDRESS,
    hashes::{withdrawal_data_hash, withdrawal_leaf},
};
use ethrex_l2_sequencer::{BlockProducerConfig, rpc::L2Rpc};
use ethrex_rpc::{ExtraMethods, RpcContext, RpcError, methods};
use ethrex_test_utils::tx::dev_address;
use serde_json::{Value, json};

use crate::l2_chain::{GWEI, L1_BLOB_BASE_FEE, L1_RECEIVER, L2, fees, producer_config, sample};

fn context(l2: &L2, config: BlockProducerConfig) -> RpcContext {
    let mut ctx = RpcContext::new(
        Arc::clone(&l2.chain),
        Arc::clone(&l2.mempool),
        "test".into(),
    );
    let rpc = L2Rpc::new(Arc::clone(&l2.chain), l2.state.clone())
        .with_mempool(Arc::clone(&l2.mempool))
        .with_block_producer(config, Arc::clone(&l2.shared));
    ctx.extra = Some(Arc::new(rpc));
    ctx
}

fn call(ctx: &RpcContext, method: &str, params: Value) -> Result<Value, RpcError> {
    methods::call(ctx, method, params).and_then(|out| out.into_value())
}

fn ok(ctx: &RpcContext, method: &str, params: Value) -> Value {
    call(ctx, method, params).unwrap_or_else(|e| panic!("{method}: {e}"))
}

fn quantity(value: &Value) -> u64 {
    u64::from_str_radix(value.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

/// OpenZeppelin's `MerkleProof.processProof`: the leaf folded with each sibling, pairs sorted.
fn process_proof(leaf: B256, proof: &[B256]) -> B256 {
    proof.iter().fold(leaf, |node, sibling| {
        let (low, high) = if node <= *sibling {
            (node, *sibling)
        } else {
            (*sibling, node)
        };
        keccak256([low.as_slice(), high.as_slice()].concat())
    })
}

#[test]
fn batches_and_withdrawal_proofs() {
    let (l2, withdrawals) = sample();
    let ctx = context(&l2, producer_config());
    assert_eq!(ok(&ctx, "ethrex_batchNumber", json!([])), json!(0));
    assert_eq!(
        ok(&ctx, "ethrex_getBatchByNumber", json!(["0x1", false])),
        Value::Null
    );
    let hash = withdrawals[0].hash();
    assert_eq!(
        ok(&ctx, "ethrex_getWithdrawalProof", json!([hash])),
        Value::Null,
        "in a block, not yet in a sealed batch"
    );

    let batch = l2.seal(1, 3, true);
    assert_eq!(ok(&ctx, "ethrex_batchNumber", json!([])), json!(1));
    let got = ok(&ctx, "ethrex_getBatchByNumber", json!(["0x1", false]));
    assert_eq!(
        got,
        json!({
            "number": 1,
            "first_block": 1,
            "last_block": 3,
            "state_root": batch.state_root,
            "blob_versioned_hash": batch.blob_versioned_hash,
            "privileged_transactions_hash": batch.privileged_transactions_hash,
            "l1_messages_merkle_root": batch.l1_messages_merkle_root,
            "commit_tx": batch.commit_tx,
            "verify_tx": null,
        })
    );
    let full = ok(&ctx, "ethrex_getBatchByNumber", json!([1, true]));
    let last_hash = l2.chain.store().canonical_hash(3).unwrap().unwrap();
    assert_eq!(full["block_hashes"].as_array().unwrap().len(), 3);
    assert_eq!(full["block_hashes"][2], json!(last_hash));

    // Each withdrawal's proof verifies against the batch's root.
    let root = batch.l1_messages_merkle_root;
    assert_ne!(root, B256::ZERO);
    let mut ids = Vec::new();
    for (i, tx) in withdrawals.iter().enumerate() {
        let proofs = ok(&ctx, "ethrex_getWithdrawalProof", json!([tx.hash()]));
        let proofs = proofs.as_array().unwrap();
        assert_eq!(proofs.len(), 1, "one message per withdrawal");
        let entry = &proofs[0];
        assert_eq!(entry["batch_number"], json!(1));
        let id = entry["message_id"].as_u64().unwrap();
        let amount = U256::from((i as u64 + 1) * GWEI);
        let data = withdrawal_data_hash(ETH_TOKEN_ADDRESS, ETH_TOKEN_ADDRESS, L1_RECEIVER, amount);
        assert_eq!(entry["message_hash"], json!(data));
        let proof: Vec<B256> = serde_json::from_value(entry["merkle_proof"].clone()).unwrap();
        assert!(!proof.is_empty(), "three leaves: a real path");
        let leaf = withdrawal_leaf(tx.hash(), data, U256::from(id));
        assert_eq!(process_proof(leaf, &proof), root, "withdrawal {i}");
        // Any other leaf does not verify with it.
        let forged = withdrawal_leaf(tx.hash(), data, U256::from(id + 10));
        assert_ne!(process_proof(forged, &proof), root);
        ids.push(id);
    }
    ids.sort_unstable();
    assert_eq!(ids, [1, 2, 3], "the Messenger's ids from 1");

    // A transaction without messages: no proofs.
    let block1 = l2.chain.store().block_by_number(1).unwrap().unwrap();
    let plain = block1.body.transactions.last().unwrap().hash();
    assert_eq!(
        ok(&ctx, "ethrex_getWithdrawalProof", json!([plain])),
        json!([])
    );

    // Bad input.
    for bad in [
        json!(["0x1234"]),
        json!(["ab".repeat(32)]),
        json!([1]),
        json!([]),
    ] {
        let e = call(&ctx, "ethrex_getWithdrawalProof", bad.clone()).unwrap_err();
        assert_eq!(e.code, -32602, "{bad}");
    }
    let unknown = call(
        &ctx,
        "ethrex_getWithdrawalProof",
        json!([B256::repeat_byte(9)]),
    )
    .unwrap_err();
    assert_eq!(unknown.code, -32000);
    assert!(unknown.message.contains("not found"), "{}", unknown.message);
    assert_eq!(
        call(&ctx, "ethrex_getBatchByNumber", json!(["7"]))
            .unwrap_err()
            .code,
        -32602
    );
    assert_eq!(
        ok(&ctx, "ethrex_getBatchByNumber", json!(["0x7", false])),
        Value::Null
    );
    // The extra namespace never shadows the node's methods, and unknown ones stay -32601.
    assert_eq!(ok(&ctx, "eth_chainId", json!([])), json!("0x3e803e7"));
    assert_eq!(
        call(&ctx, "ethrex_nope", json!([])).unwrap_err().code,
        -32601
    );
}

#[test]
fn fee_parameters_by_block() {
    let (l2, _) = sample();
    let ctx = context(&l2, producer_config());
    let config = producer_config();
    for params in [
        json!([{"block_number": 2}]),
        json!(["0x2"]),
        json!([2]),
        json!([]),
    ] {
        let get = |method: &str| ok(&ctx, method, params.clone());
        assert_eq!(
            get("ethrex_getBaseFeeVaultAddress"),
            json!(config.base_fee_vault)
        );
        assert_eq!(
            get("ethrex_getOperatorFeeVaultAddress"),
            json!(config.operator_fee_vault)
        );
        assert_eq!(
            get("ethrex_getOperatorFee"),
            json!(config.operator_fee_per_gas)
        );
        assert_eq!(get("ethrex_getL1BlobBaseFee"), json!(L1_BLOB_BASE_FEE));
    }
    let genesis = call(&ctx, "ethrex_getOperatorFee", json!([{"block_number": 0}])).unwrap_err();
    assert!(genesis.message.contains("no recorded fee parameters"));
    let missing = call(&ctx, "ethrex_getOperatorFee", json!([{"block_number": 99}])).unwrap_err();
    assert!(missing.message.contains("not found"));
    let bad = call(&ctx, "ethrex_getOperatorFee", json!([{"number": 1}])).unwrap_err();
    assert_eq!(bad.code, -32602);
}

#[test]
fn estimates_prices_and_receipts_follow_the_rollup_fees() {
    let (l2, _) = sample();
    let recipient = Address::repeat_byte(0x77);
    let from = dev_address(5);
    let args = json!({
        "from": from,
        "to": recipient,
        "value": "0x1",
        "maxFeePerGas": format!("{:#x}", 10 * GWEI),
        "maxPriorityFeePerGas": format!("{GWEI:#x}"),
    });

    // Without an L1 fee vault a transfer needs 21000.
    let no_l1 = BlockProducerConfig {
        l1_fee_vault: None,
        ..producer_config()
    };
    let without = quantity(&ok(&context(&l2, no_l1), "eth_estimateGas", json!([args])));
    assert_eq!(without, 21_000);

    // With one, exactly the L1 gas of the signed transaction more, at P = base + operator + tip.
    let ctx = context(&l2, producer_config());
    let estimate = quantity(&ok(&ctx, "eth_estimateGas", json!([args])));
    let signed =
        crate::l2_chain::eip1559(5, 0, recipient, U256::from(1), Default::default(), estimate);
    // The call runs on the head block's environment: its base fee prices the L1 gas.
    let head = l2.chain.store().head_header().unwrap().unwrap();
    let price = U256::from(head.base_fee_per_gas.unwrap() + fees().operator_fee_per_gas + GWEI);
    let l1_fee = ethrex_vm::l1_fee(&fees(), signed.encode_2718().len());
    let l1_gas = ethrex_vm::l1_gas(l1_fee, price);
    assert!(l1_gas > 0);
    assert_eq!(estimate, without + l1_gas);

    // The estimate is exactly what the transaction uses when sent.
    let number = l2.produce(vec![signed.clone()]);
    let receipt = ok(&ctx, "eth_getTransactionReceipt", json!([signed.hash()]));
    assert_eq!(quantity(&receipt["gasUsed"]), estimate);
    // effectiveGasPrice = base + min(tip, max fee − base − operator).
    let block = l2.chain.store().block_by_number(number).unwrap().unwrap();
    let base = block.header.base_fee_per_gas.unwrap();
    assert_eq!(quantity(&receipt["effectiveGasPrice"]), base + GWEI);

    // A deposit's receipt: it paid nothing.
    let block1 = l2.chain.store().block_by_number(1).unwrap().unwrap();
    let deposit = ok(
        &ctx,
        "eth_getTransactionReceipt",
        json!([block1.body.transactions[0].hash()]),
    );
    assert_eq!(deposit["effectiveGasPrice"], json!("0x0"));

    // eth_gasPrice = next base fee + operator fee + suggested tip.
    let gas_price = quantity(&ok(&ctx, "eth_gasPrice", json!([])));
    let next_base = quantity(&ok(&ctx, "eth_baseFee", json!([])));
    let tip = quantity(&ok(&ctx, "eth_maxPriorityFeePerGas", json!([])));
    assert_eq!(tip, GWEI, "the sampled priority fees");
    assert_eq!(gas_price, next_base + fees().operator_fee_per_gas + tip);

    // eth_call runs under the rollup's rules: a fee below base + operator is refused.
    let low = json!({
        "from": from, "to": recipient,
        "maxFeePerGas": format!("{:#x}", next_base + 1),
        "maxPriorityFeePerGas": "0x0",
    });
    let refused = call(&ctx, "eth_call", json!([low])).unwrap_err();
    assert!(refused.message.contains("operator"), "{}", refused.message);
    assert_eq!(
        ok(&ctx, "eth_call", json!([{"from": from, "to": recipient}])),
        json!("0x")
    );
}

/// An extra namespace that claims every method: it is still only asked about unknown ones.
struct Greedy;

impl ExtraMethods for Greedy {
    fn call(&self, _: &str, _: &Value) -> Option<Result<Value, RpcError>> {
        Some(Ok(json!("greedy")))
    }
}

#[test]
fn the_extra_namespace_only_adds_methods() {
    let l2 = L2::new();
    let mut ctx = RpcContext::new(
        Arc::clone(&l2.chain),
        Arc::clone(&l2.mempool),
        "test".into(),
    );
    ctx.extra = Some(Arc::new(Greedy));
    assert_eq!(ok(&ctx, "eth_blockNumber", json!([])), json!("0x0"));
    assert_eq!(ok(&ctx, "anything_else", json!([])), json!("greedy"));
    // Without the sequencer's fee source, calls are priced at the head's (the genesis has none:
    // nothing charged beyond L1's rules).
    let args = json!({"from": dev_address(0), "to": Address::repeat_byte(1), "value": "0x1"});
    assert_eq!(
        quantity(&ok(&ctx, "eth_estimateGas", json!([args]))),
        21_000
    );
}

#[test]
fn malformed_params_never_panic() {
    let (l2, _) = sample();
    l2.seal(1, 3, true);
    let ctx = context(&l2, producer_config());
    let methods = [
        "ethrex_batchNumber",
        "ethrex_getBatchByNumber",
        "ethrex_getWithdrawalProof",
        "ethrex_getBaseFeeVaultAddress",
        "ethrex_getOperatorFeeVaultAddress",
        "ethrex_getOperatorFee",
        "ethrex_getL1BlobBaseFee",
    ];
    let junk = [
        json!(null),
        json!({}),
        json!("0x1"),
        json!([null]),
        json!([{}]),
        json!([[]]),
        json!(["0xffffffffffffffffff"]),
        json!([u64::MAX]),
        json!([-1]),
        json!([1.5]),
        json!(["0x1", "yes"]),
        json!(["0x1", true, 3]),
        json!([{"block_number": {"block_number": 1}}]),
        json!([{"block_number": 1, "extra": 2}]),
    ];
    for method in methods {
        for params in &junk {
            match call(&ctx, method, params.clone()) {
                Ok(_) => {}
                Err(e) => assert!([-32602, -32000].contains(&e.code), "{method} {params}: {e}"),
            }
        }
    }
}
