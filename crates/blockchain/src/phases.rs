//! The phases of a block's execution around its transactions, public for blocks executed
//! outside the import path (`eth_simulateV1`): what precedes the transactions, a transaction's
//! receipt, the EIP-7685 requests and the pre-merge block reward that follow them. Import and
//! building run the same code (`run_block`).

use alloy_consensus::Eip658Value;
use alloy_primitives::{B256, Log};
use ethrex_common::{
    ChainConfig, Fork,
    types::{Header, Receipt, Transaction},
};
use ethrex_vm::Evm;

use crate::{
    Result,
    execution::{apply_pre_transactions, apply_rewards, receipt, requests},
    header::fork_of,
};

/// What precedes a block's transactions: the DAO fork's state change (on that block only) and
/// the EIP-4788 (beacon root) and EIP-2935 (parent hash) system calls, as the fork of `header`
/// has them.
pub fn apply_block_prologue(
    config: &ChainConfig,
    header: &Header,
    evm: &mut Evm<'_>,
) -> Result<()> {
    apply_pre_transactions(config, header, evm)
}

/// The receipt of a transaction (with an EIP-658 status) after `cumulative_gas` of the block.
pub fn transaction_receipt(
    tx: &Transaction,
    success: bool,
    cumulative_gas: u64,
    logs: Vec<Log>,
) -> Receipt {
    receipt(tx, Eip658Value::Eip658(success), cumulative_gas, logs)
}

/// From Prague on, the block's EIP-7685 requests hash: deposits from the receipts' logs, then
/// the EIP-7002 and EIP-7251 system calls (which change the state); `None` before.
pub fn block_requests_hash(
    config: &ChainConfig,
    header: &Header,
    evm: &mut Evm<'_>,
    receipts: &[Receipt],
) -> Result<Option<B256>> {
    if fork_of(config, header) < Fork::Prague {
        return Ok(None);
    }
    requests(config, evm, receipts).map(Some)
}

/// Before the merge, the block reward to the coinbase of `header` (a block without ommers).
pub fn apply_block_rewards(config: &ChainConfig, header: &Header, evm: &mut Evm<'_>) -> Result<()> {
    apply_rewards(evm, fork_of(config, header), header, &[])
}
