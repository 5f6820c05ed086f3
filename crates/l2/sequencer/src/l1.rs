//! Small helpers the committer and the proof sender share to read the L1 contracts: a view
//! call decoded with its `sol!` return type, and the `BatchCommitted` log of a batch.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use ethrex_l2_sdk::{
    EthClient, SdkError,
    calls::IOnChainProposer::BatchCommitted,
    client::{CallRequest, LogFilter},
};

use crate::SequencerError;

/// How many L1 blocks back [`find_commit_tx`] looks.
pub const COMMIT_LOOKBACK: u64 = 5_000;

/// `eth_call` of `call` on `to` at the latest block, decoded.
pub fn view<C: SolCall>(
    client: &EthClient,
    to: Address,
    call: &C,
) -> Result<C::Return, SequencerError> {
    let answer = client.call(&CallRequest {
        to: Some(to),
        data: call.abi_encode().into(),
        ..Default::default()
    })?;
    C::abi_decode_returns(&answer).map_err(|e| {
        SequencerError::L1(SdkError::Malformed {
            method: "eth_call".into(),
            reason: format!("{} on {to}: {e}", C::SIGNATURE),
        })
    })
}

/// A `uint256` as a `u64` (batch numbers, timestamps), or an error naming `what`.
pub fn to_u64(value: U256, what: &str) -> Result<u64, SequencerError> {
    u64::try_from(value).map_err(|_| SequencerError::Other(format!("{what} {value} is above 2^64")))
}

/// The L1 transaction that committed batch `number` on `proposer`, if its `BatchCommitted`
/// log is among the last [`COMMIT_LOOKBACK`] L1 blocks.
pub fn find_commit_tx(
    client: &EthClient,
    proposer: Address,
    number: u64,
) -> Result<Option<B256>, SequencerError> {
    let head = client.block_number()?;
    let logs = client.logs(&LogFilter {
        from_block: head.saturating_sub(COMMIT_LOOKBACK),
        to_block: head,
        addresses: vec![proposer],
        topic0: vec![BatchCommitted::SIGNATURE_HASH],
    })?;
    let topic = B256::from(U256::from(number));
    Ok(logs
        .iter()
        .find(|log| log.topics.get(1) == Some(&topic))
        .and_then(|log| log.transaction_hash))
}
