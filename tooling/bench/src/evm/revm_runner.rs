//! The revm side of `ethrex-bench evm`: the same pre-state in a `CacheDB`, the same Osaka block
//! and transaction, executed by revm's mainnet EVM.

use alloy_primitives::{B256, Bytes, TxKind, U256};
use revm::{
    ExecuteEvm, MainBuilder,
    bytecode::Bytecode,
    context::{BlockEnv, TxEnv},
    context_interface::block::BlobExcessGasAndPrice,
    database::{CacheDB, EmptyDB},
    database_interface::WrapDatabaseRef,
    handler::MainnetContext,
    primitives::{eip4844::BLOB_BASE_FEE_UPDATE_FRACTION_PRAGUE, hardfork::SpecId},
    state::AccountInfo,
};

use super::{
    Outcome,
    cases::{
        BLOCK_GAS_LIMIT, COINBASE, Case, Contract, GAS_PRICE, SENDER, SENDER_BALANCE, TX_GAS_LIMIT,
    },
};

/// The pre-state and block shared by every case.
pub struct RevmState {
    db: CacheDB<EmptyDB>,
    block: BlockEnv,
}

impl RevmState {
    pub fn new() -> Result<Self, String> {
        let mut db = CacheDB::new(EmptyDB::new());
        db.insert_account_info(SENDER, AccountInfo::from_balance(SENDER_BALANCE));
        for contract in Contract::ALL {
            let code = Bytecode::new_raw(contract.code()?);
            db.insert_account_info(
                contract.address(),
                AccountInfo::from_bytecode(code).with_nonce(1),
            );
        }
        let block = BlockEnv {
            number: U256::from(1),
            beneficiary: COINBASE,
            timestamp: U256::from(1),
            gas_limit: BLOCK_GAS_LIMIT,
            basefee: GAS_PRICE,
            difficulty: U256::ZERO,
            prevrandao: Some(B256::ZERO),
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new(
                0,
                BLOB_BASE_FEE_UPDATE_FRACTION_PRAGUE,
            )),
            ..Default::default()
        };
        Ok(RevmState { db, block })
    }

    /// The transaction of `case`: legacy, no chain id, like the ethrex one.
    pub fn transaction(case: &Case) -> Result<TxEnv, String> {
        TxEnv::builder()
            .tx_type(Some(0))
            .caller(SENDER)
            .gas_limit(TX_GAS_LIMIT)
            .gas_price(u128::from(GAS_PRICE))
            .kind(TxKind::Call(case.to))
            .value(U256::ZERO)
            .data(case.calldata.clone())
            .nonce(0)
            .chain_id(None)
            .build()
            .map_err(|err| format!("revm transaction: {err:?}"))
    }

    /// Builds a fresh EVM over the pre-state and executes `tx`: what the benchmark times.
    pub fn execute(&self, tx: &TxEnv) -> Result<Outcome, String> {
        let mut evm = MainnetContext::new(WrapDatabaseRef(&self.db), SpecId::OSAKA)
            .with_block(self.block.clone())
            .build_mainnet();
        let result = evm
            .transact(tx.clone())
            .map_err(|err| format!("revm: {err}"))?
            .result;
        Ok(Outcome {
            success: result.is_success(),
            gas_used: result.tx_gas_used(),
            output: result.into_output().unwrap_or_else(Bytes::new),
        })
    }
}
