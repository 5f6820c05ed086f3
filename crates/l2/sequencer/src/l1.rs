//! Small helpers the committer and the proof sender share: a view call of an L1 contract
//! decoded with its `sol!` return type, the `BatchCommitted` log of a batch, and a receipt
//! wait that gives up when the sequencer stops.

use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use ethrex_l2_sdk::{
    EthClient, SdkError,
    calls::IOnChainProposer::BatchCommitted,
    client::{CallRequest, LogFilter},
};

use crate::{SequencerError, Shared};

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

/// How often [`wait_for_success`] asks for a receipt.
const RECEIPT_POLL: Duration = Duration::from_millis(200);

/// Waits at most `timeout` for the receipt of `hash`, giving up early when `shared` says stop
/// (a [`SdkError::Timeout`] either way); a revert is [`SdkError::Reverted`] naming `what`.
pub fn wait_for_success(
    client: &EthClient,
    hash: B256,
    what: &str,
    timeout: Duration,
    shared: Option<&Shared>,
) -> Result<(), SdkError> {
    let started = Instant::now();
    loop {
        if let Some(receipt) = client.receipt(hash)? {
            if receipt.succeeded() {
                return Ok(());
            }
            return Err(SdkError::Reverted {
                what: what.to_string(),
                hash,
            });
        }
        let stopping = shared.is_some_and(Shared::stopped);
        if stopping || started.elapsed() >= timeout {
            return Err(SdkError::Timeout {
                what: format!(
                    "the receipt of {what} {hash}{}",
                    if stopping { " (stopping)" } else { "" }
                ),
                waited: started.elapsed(),
            });
        }
        std::thread::sleep(RECEIPT_POLL);
    }
}
