//! Submitting transactions: `eth_sendRawTransaction`. The transaction (network encoding: a blob
//! transaction with its sidecar) is validated against the head and enters the mempool; its hash
//! is announced to `newPendingTransactions` subscribers and to the context's transaction
//! listener (the dev-mode block producer).
//!
//! Errors are geth's: -32602 when the parameter is not hex bytes, -32000 with the decoder's
//! "rlp: ..." message or the mempool's ("nonce too low: ...", "already known", ...). A
//! privileged transaction (type 0x7e) is refused: only the L1 bridge creates those.

use alloy_primitives::Bytes;
use ethrex_blockchain::mempool::MempoolError;
use ethrex_common::{
    CommonError,
    types::{Transaction, decode_transaction},
};
use serde_json::Value;

use super::params::Params;
use crate::{RpcContext, RpcError};

pub fn send_raw_transaction(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let raw: Bytes = p.required(0)?;
    let tx = decode_transaction(&raw).map_err(decode_error)?;
    if matches!(tx, Transaction::Privileged(_)) {
        return Err(RpcError::server(
            "privileged transactions (type 0x7e) come from the L1 bridge and cannot be sent",
        ));
    }
    let hash = ctx
        .mempool
        .add_transaction(&ctx.chain, tx)
        .map_err(pool_error)?;
    // No subscriber is not an error.
    let _ = ctx.events.pending_transactions.send(hash);
    if let Some(listener) = &ctx.on_transaction {
        listener();
    }
    Ok(Value::String(hash.to_string()))
}

fn decode_error(e: CommonError) -> RpcError {
    match e {
        CommonError::Rlp { source, .. } => RpcError::server(format!("rlp: {source}")),
        CommonError::TrailingBytes { .. } => {
            RpcError::server("rlp: input contains more than one value")
        }
        other => RpcError::server(other.to_string()),
    }
}

/// A refusal is the client's problem (-32000); a state that cannot be read is the node's.
pub(crate) fn pool_error(e: MempoolError) -> RpcError {
    match e {
        MempoolError::State(_) => RpcError::internal(e.to_string()),
        refused => RpcError::server(refused.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use alloy_primitives::{TxKind, U256, hex};
    use ethrex_blockchain::{Blockchain, mempool::Mempool};
    use ethrex_common::{
        dev::{DEV_CHAIN_ID, DEV_GAS_LIMIT, dev_accounts, dev_genesis},
        types::{Eip1559Tx, Transaction},
    };
    use ethrex_storage::Store;
    use serde_json::json;

    use serde_json::Value;

    use crate::{RpcContext, RpcError};

    fn call(ctx: &RpcContext, method: &str, params: Value) -> Result<Value, RpcError> {
        crate::methods::call(ctx, method, params)?.into_value()
    }

    fn dev_context() -> RpcContext {
        let store = Store::in_memory();
        store
            .init_genesis(&dev_genesis(DEV_GAS_LIMIT).unwrap())
            .unwrap();
        let chain = Arc::new(Blockchain::new(store).unwrap());
        RpcContext::new(chain, Arc::new(Mempool::new(100)), "test".into())
    }

    /// A transfer from dev account 0, signed, in its network encoding.
    fn raw_transfer(nonce: u64, fee_cap: u64, tip: u64) -> String {
        let tx = Transaction::Eip1559(Eip1559Tx {
            chain_id: DEV_CHAIN_ID,
            nonce,
            max_priority_fee_per_gas: U256::from(tip),
            max_fee_per_gas: U256::from(fee_cap),
            gas_limit: 21_000,
            to: TxKind::Call(alloy_primitives::Address::repeat_byte(0x22)),
            value: U256::from(5),
            ..Default::default()
        });
        let secret = dev_accounts().unwrap()[0].secret;
        let tx = tx.sign(&secret).unwrap();
        format!("0x{}", hex::encode(tx.encode_network()))
    }

    fn error(ctx: &RpcContext, method: &str, params: serde_json::Value) -> (i64, String) {
        let e = call(ctx, method, params).unwrap_err();
        (e.code, e.message)
    }

    #[test]
    fn a_sent_transaction_is_announced_and_shows_in_the_txpool() {
        let mut ctx = dev_context();
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        ctx.on_transaction = Some(Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        }));
        let mut pending = ctx.events.pending_transactions.subscribe();
        let raw = raw_transfer(0, 2_000_000_000, 1);
        let hash = call(&ctx, "eth_sendRawTransaction", json!([raw])).unwrap();
        assert_eq!(pending.try_recv().unwrap().to_string(), hash);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // A nonce gap: queued.
        call(
            &ctx,
            "eth_sendRawTransaction",
            json!([raw_transfer(5, 2_000_000_000, 1)]),
        )
        .unwrap();

        let status = call(&ctx, "txpool_status", json!([])).unwrap();
        assert_eq!(status, json!({"pending": "0x1", "queued": "0x1"}));
        let sender = dev_accounts().unwrap()[0].address.to_string();
        let content = call(&ctx, "txpool_content", json!([])).unwrap();
        assert_eq!(content["pending"][&sender]["0"]["hash"], hash);
        assert_eq!(content["pending"][&sender]["0"]["blockHash"], json!(null));
        assert_eq!(content["queued"][&sender]["5"]["nonce"], "0x5");
        let from = call(&ctx, "txpool_contentFrom", json!([sender])).unwrap();
        assert_eq!(from["pending"]["0"]["hash"], hash);
        let inspect = call(&ctx, "txpool_inspect", json!([])).unwrap();
        assert_eq!(
            inspect["pending"][&sender]["0"],
            "0x2222222222222222222222222222222222222222: 5 wei + 21000 gas × 2000000000 wei"
        );
    }

    #[test]
    fn a_privileged_transaction_is_refused() {
        let ctx = dev_context();
        let tx = Transaction::Privileged(ethrex_common::types::PrivilegedL2Tx::new(
            DEV_CHAIN_ID,
            0,
            100_000,
            ethrex_common::types::L2_BRIDGE_ADDRESS,
            alloy_primitives::Address::repeat_byte(0x22),
            U256::from(1),
            Default::default(),
        ));
        let raw = format!("0x{}", hex::encode(tx.encode_2718()));
        let (code, message) = error(&ctx, "eth_sendRawTransaction", json!([raw]));
        assert_eq!(code, -32000);
        assert!(message.contains("type 0x7e"), "{message}");
        assert_eq!(ctx.mempool.len(), 0);
    }

    #[test]
    fn refusals_carry_geths_codes_and_messages() {
        let ctx = dev_context();
        let raw = raw_transfer(0, 2_000_000_000, 1);
        call(&ctx, "eth_sendRawTransaction", json!([raw])).unwrap();
        assert_eq!(
            error(&ctx, "eth_sendRawTransaction", json!([raw])),
            (-32000, "already known".into())
        );
        let (code, message) = error(
            &ctx,
            "eth_sendRawTransaction",
            json!([raw_transfer(0, 2_000_000_000, 1).replace("0x02", "0x02ff")]),
        );
        assert_eq!(code, -32000);
        assert!(message.starts_with("rlp: "), "{message}");
        let (code, _) = error(&ctx, "eth_sendRawTransaction", json!(["0xzz"]));
        assert_eq!(code, -32602);
        let (code, message) = error(
            &ctx,
            "eth_sendRawTransaction",
            json!([raw_transfer(0, 2_100_000_000, 1)]),
        );
        assert_eq!(
            (code, message.as_str()),
            (-32000, "replacement transaction underpriced")
        );
    }
}
