//! The ethrex side of `ethrex-bench evm`: the pre-state in an [`InMemoryDb`], an Osaka block,
//! and a legacy transaction per case, executed by [`ethrex_vm::Evm`].

use std::collections::HashMap;

use alloy_primitives::{B256, Bytes, TxKind, U256};
use ethrex_common::{
    BlobParams, Fork,
    types::{LegacyTx, Transaction},
};
use ethrex_vm::{BlockEnv, Evm, InMemoryDb};

use super::{
    Outcome,
    cases::{
        BLOCK_GAS_LIMIT, COINBASE, Case, Contract, GAS_PRICE, SENDER, SENDER_BALANCE, TX_GAS_LIMIT,
    },
};

/// The pre-state and block shared by every case.
pub struct EthrexState {
    db: InMemoryDb,
    env: BlockEnv,
}

impl EthrexState {
    pub fn new() -> Result<Self, String> {
        let mut db = InMemoryDb::default();
        db.insert_account(SENDER, 0, SENDER_BALANCE, Bytes::new(), HashMap::new());
        for contract in Contract::ALL {
            db.insert_account(
                contract.address(),
                1,
                U256::ZERO,
                contract.code()?,
                HashMap::new(),
            );
        }
        let env = BlockEnv {
            fork: Fork::Osaka,
            chain_id: 1,
            number: 1,
            coinbase: COINBASE,
            timestamp: 1,
            gas_limit: BLOCK_GAS_LIMIT,
            base_fee: Some(U256::from(GAS_PRICE)),
            difficulty: U256::ZERO,
            prev_randao: Some(B256::ZERO),
            excess_blob_gas: Some(0),
            blob_params: Some(BlobParams::PRAGUE),
            blob_base_fee_override: None,
        };
        Ok(EthrexState { db, env })
    }

    /// The transaction of `case`. The VM does not check signatures (the caller passes the
    /// sender), so r = s = 1, v = 27 (a pre-EIP-155 legacy transaction) will do.
    pub fn transaction(case: &Case) -> Transaction {
        Transaction::Legacy(LegacyTx {
            nonce: 0,
            gas_price: U256::from(GAS_PRICE),
            gas_limit: TX_GAS_LIMIT,
            to: TxKind::Call(case.to),
            value: U256::ZERO,
            data: case.calldata.clone(),
            v: 27,
            r: U256::from(1),
            s: U256::from(1),
        })
    }

    /// Builds a fresh EVM over the pre-state and executes `tx`: what the benchmark times.
    pub fn execute(&self, tx: &Transaction) -> Result<Outcome, String> {
        let mut evm = Evm::new(&self.db, self.env.clone());
        let result = evm
            .transact(tx, SENDER)
            .map_err(|err| format!("ethrex: {err}"))?;
        Ok(Outcome {
            success: result.success,
            gas_used: result.gas_used,
            output: result.output,
        })
    }
}
