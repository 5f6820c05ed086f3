//! `ethrex --dev`: the node on the dev chain (`ethrex_common::dev`), with a producer task that
//! builds its blocks (`ethrex_blockchain::dev`). With `--dev.block-time 0` (the default) the
//! producer wakes on each transaction the mempool takes and builds blocks while transactions are
//! pending, never an empty one; with a block time, it builds one block per interval, empty or
//! not. Each block is logged on one line and published to the WebSocket subscribers.

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::{Address, Bytes, U256};
use ethrex_blockchain::{
    Blockchain,
    dev::{DevBlockConfig, EmptyBlocks, ProducedBlock, produce_block},
    mempool::Mempool,
};
use ethrex_common::dev::{DEV_BALANCE, DEV_GAS_LIMIT, dev_accounts, dev_genesis};
use ethrex_rpc::{Events, NewHead, context::TxListener};
use tokio::{
    sync::{Notify, watch},
    task::JoinHandle,
    time::MissedTickBehavior,
};

use super::{CliError, import::open_store_with};
use crate::cli::Cli;

/// Most bytes of a header's extra data.
const MAX_EXTRA_DATA: usize = 32;

/// The dev chain in `--datadir`, created with the dev genesis if new. Its gas limit is
/// `--builder.gas-limit` when given, [`DEV_GAS_LIMIT`] otherwise.
pub fn open_chain(cli: &Cli) -> Result<Blockchain, CliError> {
    let genesis = dev_genesis(gas_limit(cli))?;
    let chain = Blockchain::new(open_store_with(&cli.node.datadir, &genesis)?)?;
    let accounts = dev_accounts()?;
    if let Some(first) = accounts.first() {
        let ether = DEV_BALANCE / U256::from(1_000_000_000_000_000_000u64);
        tracing::info!(
            "dev mode: {} prefunded accounts with {ether} ETH each, e.g. {} (private key {})",
            accounts.len(),
            first.address,
            first.secret
        );
    }
    Ok(chain)
}

fn gas_limit(cli: &Cli) -> u64 {
    if cli.builder.gas_limit_given {
        cli.builder.gas_limit
    } else {
        DEV_GAS_LIMIT
    }
}

/// The running producer task.
pub struct Producer {
    task: JoinHandle<()>,
    stop: watch::Sender<bool>,
}

impl Producer {
    /// Starts producing blocks of `chain` from `mempool`, publishing them on `events`. Returns
    /// the producer and the listener the RPC calls when a transaction enters the mempool.
    pub fn start(
        cli: &Cli,
        chain: Arc<Blockchain>,
        mempool: Arc<Mempool>,
        events: Arc<Events>,
    ) -> Result<(Producer, TxListener), CliError> {
        let extra_data = cli.builder.extra_data.as_bytes();
        if extra_data.len() > MAX_EXTRA_DATA {
            return Err(CliError::Io(format!(
                "--builder.extra-data is {} bytes, at most {MAX_EXTRA_DATA} fit in a header",
                extra_data.len()
            )));
        }
        let worker = Worker {
            chain,
            mempool,
            events,
            config: DevBlockConfig {
                gas_limit: gas_limit(cli),
                extra_data: Bytes::copy_from_slice(extra_data),
                max_blobs: cli.builder.max_blobs,
                fee_recipient: Address::ZERO,
            },
        };
        let wake = Arc::new(Notify::new());
        let (stop, stopped) = watch::channel(false);
        let block_time = cli.dev.block_time_ms;
        let task = if block_time == 0 {
            tracing::info!("dev mode: a block as soon as transactions are pending");
            tokio::spawn(worker.on_demand(Arc::clone(&wake), stopped))
        } else {
            tracing::info!("dev mode: a block every {block_time} ms");
            tokio::spawn(worker.on_interval(Duration::from_millis(block_time), stopped))
        };
        let listener: TxListener = Arc::new(move || wake.notify_one());
        Ok((Producer { task, stop }, listener))
    }

    /// Stops after the block being built, if any.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// What the producer task owns.
#[derive(Clone)]
struct Worker {
    chain: Arc<Blockchain>,
    mempool: Arc<Mempool>,
    events: Arc<Events>,
    config: DevBlockConfig,
}

impl Worker {
    /// On each wake-up, blocks until no transaction is pending.
    async fn on_demand(self, wake: Arc<Notify>, mut stopped: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = wake.notified() => {}
                _ = stopped.changed() => return,
            }
            while !*stopped.borrow() && self.produce(EmptyBlocks::Skip).await {}
        }
    }

    /// One block per `interval`, with or without transactions.
    async fn on_interval(self, interval: Duration, mut stopped: watch::Receiver<bool>) {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // The first tick is immediate: start one interval after the node.
        ticks.tick().await;
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stopped.changed() => return,
            }
            self.produce(EmptyBlocks::Produce).await;
        }
    }

    /// Produces one block; whether one was produced.
    async fn produce(&self, empty: EmptyBlocks) -> bool {
        let worker = self.clone();
        let result = tokio::task::spawn_blocking(move || {
            produce_block(
                &worker.chain,
                &worker.mempool,
                &worker.config,
                unix_now(),
                empty,
            )
        })
        .await;
        match result {
            Ok(Ok(Some(produced))) => {
                self.publish(produced);
                true
            }
            Ok(Ok(None)) => false,
            Ok(Err(e)) => {
                tracing::error!("dev mode: block production failed: {e}");
                false
            }
            Err(e) => {
                tracing::error!("dev mode: block production stopped: {e}");
                false
            }
        }
    }

    fn publish(&self, produced: ProducedBlock) {
        let header = &produced.block.header;
        tracing::info!(
            "block #{} {}: {} txs, {} gas used, {:.2} Mgas/s, {} ms",
            header.number,
            header.hash_slow(),
            produced.block.body.transactions.len(),
            header.gas_used,
            produced.mgas_per_second(),
            produced.elapsed.as_millis()
        );
        // No subscriber is not an error.
        let _ = self.events.new_heads.send(NewHead {
            block: Arc::new(produced.block),
            receipts: Arc::new(produced.receipts),
        });
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
