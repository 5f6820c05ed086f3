//! The L1 watcher: every `watch_interval` it reads the bridge's `PrivilegedTxSent` events from
//! the L1 blocks not yet scanned, up to `block_delay` blocks below the L1 head, turns each into
//! the privileged transaction the L2 must include (type 0x7e: the event's sender, recipient,
//! id, value, gas limit and data, on the L2's chain id), and queues them with the new cursor in
//! one write — a restart neither loses nor repeats one. Every `l1_fee_update_interval` it reads
//! the L1 blob base fee (`eth_blobBaseFee`) for the L1 data fee.
//!
//! L1 errors are logged and retried at the next tick. At most [`MAX_RANGE`] L1 blocks are
//! scanned per request.

use std::time::{Duration, Instant};

use alloy_primitives::{Address, U64, U256};
use alloy_sol_types::SolEvent;
use ethrex_common::types::PrivilegedL2Tx;
use ethrex_l2_sdk::{
    EthClient,
    calls::ICommonBridge::PrivilegedTxSent,
    client::{Log, LogFilter},
};

use crate::{SequencerError, Shared, WatcherConfig, state::RollupState};

/// The most L1 blocks one `eth_getLogs` spans.
pub const MAX_RANGE: u64 = 5_000;

/// The watcher's state between ticks.
#[derive(Debug)]
pub struct Watcher {
    client: EthClient,
    bridge: Address,
    l2_chain_id: u64,
    config: WatcherConfig,
    state: RollupState,
    last_fee_read: Option<Instant>,
}

impl Watcher {
    pub fn new(
        client: EthClient,
        bridge: Address,
        l2_chain_id: u64,
        config: WatcherConfig,
        state: RollupState,
    ) -> Self {
        Watcher {
            client,
            bridge,
            l2_chain_id,
            config,
            state,
            last_fee_read: None,
        }
    }

    /// One tick: the blob base fee when due, then every confirmed L1 block not yet scanned.
    /// Returns how many privileged transactions were queued.
    pub fn step(&mut self, shared: &Shared) -> Result<usize, SequencerError> {
        let interval = Duration::from_millis(self.config.l1_fee_update_interval_ms);
        if self.last_fee_read.is_none_or(|at| at.elapsed() >= interval) {
            let fee: U256 = self
                .client
                .request("eth_blobBaseFee", serde_json::json!([]))?;
            shared.set_l1_blob_base_fee(u64::try_from(fee).unwrap_or(u64::MAX));
            self.last_fee_read = Some(Instant::now());
        }
        let head = self.client.block_number()?;
        let Some(confirmed) = head.checked_sub(self.config.block_delay) else {
            return Ok(0);
        };
        let mut queued = 0;
        loop {
            let from = match self.state.l1_cursor()? {
                Some(cursor) => cursor.saturating_add(1),
                None => self.config.start_block,
            };
            if from > confirmed || shared.stopped() {
                return Ok(queued);
            }
            let to = confirmed.min(from.saturating_add(MAX_RANGE - 1));
            let logs = self.client.logs(&LogFilter {
                from_block: from,
                to_block: to,
                addresses: vec![self.bridge],
                topic0: vec![PrivilegedTxSent::SIGNATURE_HASH],
            })?;
            let txs = logs
                .iter()
                .map(|log| privileged_from_log(log, self.l2_chain_id))
                .collect::<Result<Vec<_>, _>>()?;
            for tx in &txs {
                tracing::info!(
                    "L1 watcher: privileged transaction {} from {} to {} (value {})",
                    tx.transaction_id,
                    tx.from,
                    tx.to,
                    tx.value
                );
            }
            self.state.queue_privileged(&txs, to)?;
            queued += txs.len();
        }
    }
}

/// The privileged transaction a `PrivilegedTxSent` log asks for.
pub fn privileged_from_log(log: &Log, l2_chain_id: u64) -> Result<PrivilegedL2Tx, SequencerError> {
    let where_ = || {
        format!(
            "log {} of L1 transaction {}",
            log.log_index.unwrap_or(U64::ZERO),
            log.transaction_hash.unwrap_or_default()
        )
    };
    let event = PrivilegedTxSent::decode_raw_log(log.topics.iter().copied(), &log.data)
        .map_err(|e| SequencerError::MalformedEvent(format!("{}: {e}", where_())))?;
    let id = u64::try_from(event.transactionId).map_err(|_| {
        SequencerError::MalformedEvent(format!("{}: transaction id above 2^64", where_()))
    })?;
    let gas_limit = u64::try_from(event.gasLimit).map_err(|_| {
        SequencerError::MalformedEvent(format!("{}: gas limit above 2^64", where_()))
    })?;
    Ok(PrivilegedL2Tx::new(
        l2_chain_id,
        id,
        gas_limit,
        event.from,
        event.to,
        event.value,
        event.data,
    ))
}
