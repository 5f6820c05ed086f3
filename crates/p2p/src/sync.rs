//! Sync ([`FullSync`]): reaching a head the consensus client names by downloading the chain
//! from peers and executing every block — or, with [`SyncConfig::snap`] on a node still at its
//! genesis, downloading the state of a pivot block [`SyncConfig::pivot_distance`] below the
//! target (`snap.rs`: accounts, storage, codes over snap/1, every range proof-checked), the
//! bodies and receipts up to it, installing all that in one write
//! ([`ethrex_storage::Store::install_synced_state`], which checks every root), then executing
//! the blocks above the pivot. What the state download verified is staged in the store as it
//! arrives ([`ethrex_storage::SnapStaging`]), so a restart (or a retry) resumes it: on the
//! staged pivot when it is within 96 blocks of the target, otherwise on a new pivot
//! [`SyncConfig::pivot_distance`] below it that keeps everything staged (re-pivoting: the
//! ranges not done continue against the new root, then healing over GetTrieNodes repairs what
//! changed — `snap.rs` and `snap/heal.rs`). A pivot that leaves the peers' window mid-download
//! or mid-healing fails the attempt; the next one (after [`RETRY_AFTER`], with the newest
//! target) re-pivots that way.
//!
//! The Engine API hands an unknown head over through [`SyncHandoff::sync_to`] (the handle is
//! [`FullSync::handoff`]). The sync task then:
//! 1. **Headers**, backwards from the target by hash (GetBlockHeaders, reverse, at most
//!    [`SyncConfig::header_batch`] per request), each checked to be the parent of the one
//!    before, until a header whose parent is stored here with its state (the fork point).
//!    A peer answering with a header that does not link is disconnected; one that has nothing
//!    is skipped.
//! 2. **Bodies**, in ascending order, [`SyncConfig::body_batch`] per request, spread over every
//!    peer with several requests in flight; each body is checked against its header
//!    (transactions, ommers and withdrawals roots) and a peer sending a wrong one is
//!    disconnected; what a peer left out is asked of another.
//! 3. **Execution** through the normal pipeline ([`Blockchain::import_blocks`]), in batches of
//!    [`SyncConfig::import_batch`] blocks, each batch one atomic commit that moves the head.
//!    Progress is therefore persisted batch by batch: after a restart the node's head is the
//!    last committed batch and the next sync starts from there (headers above it are fetched
//!    again; nothing executed is redone).
//!
//! Downloads are counted in the `ethrex_sync_{headers,bodies,blocks}_total` metrics (what a
//! restart fetches again shows there), and [`FullSync::progress`] gives the phase and counts
//! `eth_syncing` reports.
//!
//! A newer target arriving during a sync is taken up when the current one ends (its chain
//! extends the one just imported). A failed sync (no peers, bad peers, an invalid block) is
//! logged and retried after [`RETRY_AFTER`] while the target stands; an invalid block ends
//! the attempt with its error. [`FullSync::progress`] tells what the sync is doing.
//!
//! Limits: the fork point must be a block whose state this node holds (its head, or one of
//! the recent blocks kept as diff layers); the headers of one sync are held in memory
//! (~600 bytes each).

use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_primitives::B256;
use ethrex_blockchain::{Blockchain, sync::SyncHandoff};
use ethrex_common::types::{Block, BlockBody, Header, Receipt, receipts_root};
use tokio::{sync::Notify, task::JoinHandle, task::JoinSet};

use crate::{
    eth::{EthPeer, HashOrNumber, HeadersQuery},
    peers::PeerHandles,
    rlpx::DisconnectReason,
};

/// How long a failed sync waits before trying again.
pub const RETRY_AFTER: Duration = Duration::from_secs(3);

/// How the sync batches its work.
#[derive(Debug, Clone, Copy)]
pub struct SyncConfig {
    /// Headers asked per request.
    pub header_batch: u64,
    /// Bodies asked per request.
    pub body_batch: usize,
    /// Blocks executed and committed together.
    pub import_batch: usize,
    /// Body requests in flight per peer.
    pub requests_per_peer: usize,
    /// Snap sync: a node still at its genesis, more than `snap_min_blocks` behind, downloads
    /// the state of the block `pivot_distance` below the target instead of executing the
    /// chain up to it.
    pub snap: bool,
    pub pivot_distance: u64,
    pub snap_min_blocks: u64,
    /// The byte limit of every snap request.
    pub snap_response_bytes: u64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            header_batch: 512,
            body_batch: 128,
            import_batch: 1024,
            requests_per_peer: 2,
            snap: false,
            pivot_distance: 64,
            snap_min_blocks: 128,
            snap_response_bytes: snap::RESPONSE_BYTES,
        }
    }
}

/// The step a sync is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncPhase {
    /// Nothing to do.
    #[default]
    Idle,
    /// Downloading headers back from the target.
    Headers,
    /// Snap sync: downloading the pivot's state, bodies and receipts.
    State,
    /// Snap sync: healing the downloaded state towards the pivot's root (GetTrieNodes).
    Healing,
    /// Downloading bodies and executing blocks.
    Blocks,
}

impl SyncPhase {
    /// The phase's name, as `eth_syncing` and the logs show it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Headers => "headers",
            Self::State => "state",
            Self::Healing => "healing",
            Self::Blocks => "blocks",
        }
    }
}

/// What the sync is doing (for logs, `eth_syncing` and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncProgress {
    /// The step it is at.
    pub phase: SyncPhase,
    /// The head being synced to, if any.
    pub target: Option<B256>,
    /// The number of the target, once its header is known.
    pub highest: Option<u64>,
    /// The block the sync started from (the fork point).
    pub starting: u64,
    /// Headers downloaded for the current target.
    pub headers: u64,
    /// Blocks executed and committed for the current target.
    pub imported: u64,
    /// Snap sync: state items (accounts, slots, codes, trie nodes) downloaded since this sync
    /// task started.
    pub state_items: u64,
    /// Snap sync: trie nodes fetched by healing since this sync task started.
    pub healed_nodes: u64,
}

/// Why one sync attempt stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("no peer to sync from")]
    NoPeers,
    #[error("no peer has block {0}")]
    Unavailable(B256),
    #[error("chain import failed: {0}")]
    Import(String),
    #[error(transparent)]
    Store(#[from] ethrex_storage::StoreError),
    #[error("the fork point {0} is older than the states this node holds")]
    ForkPointTooOld(B256),
    #[error("no peer serves the pivot's state (it may have left their window)")]
    StateUnavailable,
    #[error("healing towards state root {0} does not converge")]
    HealingStuck(B256),
}

/// State shared by the task and the handles.
#[derive(Debug, Default)]
struct Shared {
    /// The newest target not yet taken up.
    next: Mutex<Option<B256>>,
    wake: Notify,
    syncing: AtomicBool,
    progress: Mutex<SyncProgress>,
    /// Snap sync's counters, live.
    state: Arc<snap::StateCounters>,
    /// The last attempt found no peer serving the staged pivot's state.
    stale_pivot: AtomicBool,
}

impl Shared {
    fn progress(&self) -> std::sync::MutexGuard<'_, SyncProgress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The Engine API's hand-off to the sync.
#[derive(Debug)]
struct Handoff(Arc<Shared>);

impl SyncHandoff for Handoff {
    fn sync_to(&self, head: B256) {
        *self.0.next.lock().unwrap_or_else(PoisonError::into_inner) = Some(head);
        self.0.syncing.store(true, Ordering::SeqCst);
        self.0.wake.notify_one();
    }

    fn is_syncing(&self) -> bool {
        self.0.syncing.load(Ordering::SeqCst)
    }
}

/// The running full sync.
pub struct FullSync {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
    snap: bool,
}

impl FullSync {
    /// Starts the sync task over `chain`, downloading from `peers`.
    pub fn start(chain: Arc<Blockchain>, peers: Arc<dyn PeerHandles>, config: SyncConfig) -> Self {
        let shared = Arc::new(Shared::default());
        let syncer = Syncer {
            chain,
            peers,
            config,
            shared: Arc::clone(&shared),
        };
        Self {
            shared,
            task: tokio::spawn(syncer.run()),
            snap: config.snap,
        }
    }

    /// How this node syncs (as `eth_syncing` names it): `snap` or `full`.
    pub fn mode(&self) -> &'static str {
        if self.snap { "snap" } else { "full" }
    }

    /// The hand-off to give the Engine API.
    pub fn handoff(&self) -> Arc<dyn SyncHandoff> {
        Arc::new(Handoff(Arc::clone(&self.shared)))
    }

    /// What the sync is doing.
    pub fn progress(&self) -> SyncProgress {
        let mut progress = *self.shared.progress();
        let state = &self.shared.state;
        progress.state_items = state.fetched();
        progress.healed_nodes = state.healed();
        if progress.phase == SyncPhase::State && state.healing() {
            progress.phase = SyncPhase::Healing;
        }
        progress
    }

    /// Whether a sync is running or waiting to run.
    pub fn is_syncing(&self) -> bool {
        self.shared.syncing.load(Ordering::SeqCst)
    }

    /// Stops the task (a batch being executed finishes its commit on its own thread).
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

struct Syncer {
    chain: Arc<Blockchain>,
    peers: Arc<dyn PeerHandles>,
    config: SyncConfig,
    shared: Arc<Shared>,
}

impl Syncer {
    async fn run(self) {
        loop {
            let target = self
                .shared
                .next
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            let Some(target) = target else {
                self.shared.syncing.store(false, Ordering::SeqCst);
                {
                    let mut progress = self.shared.progress();
                    progress.target = None;
                    progress.phase = SyncPhase::Idle;
                }
                self.shared.wake.notified().await;
                continue;
            };
            self.shared.syncing.store(true, Ordering::SeqCst);
            let started = Instant::now();
            match self.sync_to(target).await {
                Ok(0) => {}
                Ok(blocks) => {
                    let secs = started.elapsed().as_secs_f64();
                    tracing::info!(
                        "sync: reached {target}: {blocks} blocks in {secs:.1} s ({:.0} blocks/s)",
                        blocks as f64 / secs.max(1e-9)
                    );
                }
                Err(e) => {
                    if matches!(e, SyncError::StateUnavailable) {
                        // The pivot's state is gone from the peers: the next attempt re-pivots.
                        self.shared.stale_pivot.store(true, Ordering::SeqCst);
                    }
                    tracing::warn!("sync to {target} failed: {e}; retrying in {RETRY_AFTER:?}");
                    tokio::time::sleep(RETRY_AFTER).await;
                    let mut next = self
                        .shared
                        .next
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    next.get_or_insert(target);
                }
            }
        }
    }

    /// Syncs to `target`; the number of blocks imported.
    async fn sync_to(&self, target: B256) -> Result<u64, SyncError> {
        let store = self.chain.store();
        if let Some(header) = store.header_by_hash(&target)?
            && store.has_state(&header.state_root)
        {
            return Ok(0);
        }
        {
            let mut progress = self.shared.progress();
            *progress = SyncProgress {
                phase: SyncPhase::Headers,
                target: Some(target),
                ..SyncProgress::default()
            };
        }
        let headers = self.fetch_headers(target).await?;
        let Some(first) = headers.first() else {
            return Ok(0);
        };
        let starting = first.number.saturating_sub(1);
        {
            let mut progress = self.shared.progress();
            progress.phase = SyncPhase::Blocks;
            progress.starting = starting;
            progress.highest = headers.last().map(|h| h.number);
        }
        tracing::info!(
            "sync: {} headers from #{} to #{}, fetching bodies",
            headers.len(),
            first.number,
            headers.last().map_or(0, |h| h.number)
        );
        let mut headers = &headers[..];
        let at_genesis = store.head_header()?.is_none_or(|head| head.number == 0);
        if self.config.snap && at_genesis && headers.len() as u64 > self.config.snap_min_blocks {
            let pivot = self.pick_pivot(headers)?;
            self.snap_to(&headers[..=pivot]).await?;
            headers = &headers[pivot + 1..];
        }
        let mut imported = 0;
        let started = Instant::now();
        for batch in headers.chunks(self.config.import_batch.max(1)) {
            let blocks = self.fetch_bodies(batch).await?;
            let chain = Arc::clone(&self.chain);
            let count = blocks.len() as u64;
            let last = blocks.last().map_or(0, |b| b.header.number);
            tokio::task::spawn_blocking(move || chain.import_blocks(&blocks))
                .await
                .map_err(|e| SyncError::Import(e.to_string()))?
                .map_err(|e| SyncError::Import(e.to_string()))?;
            imported += count;
            self.shared.progress().imported = imported;
            ethrex_metrics::record_sync_blocks(count);
            ethrex_metrics::set_block_height(last);
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            tracing::info!(
                "sync: imported #{last} ({imported}/{} blocks, {:.0} blocks/s)",
                headers.len(),
                imported as f64 / secs
            );
        }
        Ok(imported)
    }

    /// The index in `headers` of the pivot: the one a previous attempt staged a state for, if
    /// it is still recent enough to be served (within 96 blocks of the target, and the last
    /// attempt did not find it gone), otherwise the header [`SyncConfig::pivot_distance`] below
    /// the target (what is staged is kept: see the module docs).
    fn pick_pivot(&self, headers: &[Header]) -> Result<usize, SyncError> {
        let last = headers.len() - 1;
        let fresh = last - (self.config.pivot_distance as usize).min(last);
        let stale = self.shared.stale_pivot.swap(false, Ordering::SeqCst);
        if let Some((hash, _)) = self.chain.store().snap_staging().pivot()? {
            let staged = (headers.iter()).rposition(|h| h.hash_slow() == hash);
            let recent = |index: &usize| last - index <= 96 && !(stale && *index < fresh);
            if let Some(index) = staged.filter(recent) {
                tracing::info!(
                    "snap sync: resuming the state download of #{}",
                    headers[index].number
                );
                return Ok(index);
            }
            tracing::info!(
                "snap sync: re-pivoting to #{}, keeping the state staged for {hash}",
                headers[fresh].number
            );
        }
        Ok(fresh)
    }

    /// Snap sync up to the last of `headers` (the pivot, all from the genesis' child): its
    /// state from the peers, the blocks and receipts below it, installed in one write.
    async fn snap_to(&self, headers: &[Header]) -> Result<(), SyncError> {
        let Some(pivot) = headers.last() else {
            return Ok(());
        };
        {
            let mut progress = self.shared.progress();
            progress.phase = SyncPhase::State;
        }
        tracing::info!(
            "snap sync: pivot #{} {}, state root {}",
            pivot.number,
            pivot.hash_slow(),
            pivot.state_root
        );
        let started = Instant::now();
        let staging = self.chain.store().snap_staging();
        let state = snap::download_state(
            &*self.peers,
            &staging,
            pivot.hash_slow(),
            pivot.state_root,
            &self.shared.state,
            self.config.snap_response_bytes,
        )
        .await?;
        let blocks = self.fetch_bodies(headers).await?;
        let receipts = self.fetch_receipts(headers).await?;
        let blocks: Vec<(Block, Vec<Receipt>)> = blocks.into_iter().zip(receipts).collect();
        let store = self.chain.store().clone();
        tokio::task::spawn_blocking(move || store.install_synced_state(&state, &blocks))
            .await
            .map_err(|e| SyncError::Import(e.to_string()))??;
        staging.clear()?;
        self.shared.progress().phase = SyncPhase::Blocks;
        ethrex_metrics::set_block_height(pivot.number);
        tracing::info!(
            "snap sync: state of #{} installed in {:.1} s",
            pivot.number,
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }

    /// The receipts of `headers`' blocks, each list checked against its header.
    async fn fetch_receipts(&self, headers: &[Header]) -> Result<Vec<Vec<Receipt>>, SyncError> {
        let mut receipts: Vec<Vec<Receipt>> = Vec::with_capacity(headers.len());
        let mut turn = 0usize;
        let mut failures = 0usize;
        while receipts.len() < headers.len() {
            let peers = self.peers.handles();
            if peers.is_empty() {
                return Err(SyncError::NoPeers);
            }
            let chunk = &headers[receipts.len()
                ..(receipts.len() + self.config.body_batch.max(1)).min(headers.len())];
            let peer = &peers[turn % peers.len()];
            turn += 1;
            let hashes: Vec<B256> = chunk.iter().map(Header::hash_slow).collect();
            let answer = match peer.request_receipts(hashes).await {
                Ok(answer) if !answer.is_empty() => answer,
                Ok(_) | Err(_) => {
                    failures += 1;
                    if failures > 4 * peers.len() {
                        return Err(SyncError::Unavailable(chunk[0].hash_slow()));
                    }
                    continue;
                }
            };
            if answer.len() > chunk.len()
                || (chunk.iter().zip(&answer)).any(|(h, r)| receipts_root(r) != h.receipts_root)
            {
                penalise(peer, "receipts that do not match their headers").await;
                failures += 1;
                continue;
            }
            failures = 0;
            receipts.extend(answer);
        }
        Ok(receipts)
    }

    /// The headers from the fork point's child up to `target`, ascending.
    async fn fetch_headers(&self, target: B256) -> Result<Vec<Header>, SyncError> {
        let store = self.chain.store();
        let mut headers: Vec<Header> = Vec::new();
        let mut wanted = target;
        let mut tried_without_progress = 0usize;
        loop {
            let peers = self.peers.handles();
            if peers.is_empty() {
                return Err(SyncError::NoPeers);
            }
            if tried_without_progress >= peers.len() {
                return Err(SyncError::Unavailable(wanted));
            }
            let peer = &peers[(headers.len() / 64 + tried_without_progress) % peers.len()];
            let query = HeadersQuery {
                origin: HashOrNumber::Hash(wanted),
                amount: self.config.header_batch,
                skip: 0,
                reverse: true,
            };
            let answer = match peer.request_headers(query).await {
                Ok(answer) => answer,
                Err(e) => {
                    tracing::debug!("sync: headers from {} failed: {e}", peer.remote_id());
                    tried_without_progress += 1;
                    continue;
                }
            };
            if answer.is_empty() {
                tried_without_progress += 1;
                continue;
            }
            let mut expected = wanted;
            let mut linked = Vec::with_capacity(answer.len());
            let mut broken = false;
            for header in answer {
                if header.hash_slow() != expected {
                    broken = true;
                    break;
                }
                expected = header.parent_hash;
                linked.push(header);
            }
            if broken || linked.is_empty() {
                penalise(peer, "headers that do not link").await;
                tried_without_progress += 1;
                continue;
            }
            tried_without_progress = 0;
            ethrex_metrics::record_sync_headers(linked.len() as u64);
            let mut reached = false;
            for header in linked {
                let parent = header.parent_hash;
                headers.push(header);
                if let Some(parent_header) = store.header_by_hash(&parent)? {
                    if !store.has_state(&parent_header.state_root) {
                        return Err(SyncError::ForkPointTooOld(parent));
                    }
                    reached = true;
                    break;
                }
            }
            self.shared.progress().headers = headers.len() as u64;
            if reached {
                headers.reverse();
                return Ok(headers);
            }
            wanted = expected;
            if headers.len() % 8192 < self.config.header_batch as usize {
                tracing::info!("sync: {} headers downloaded, at #{}", headers.len(), {
                    headers.last().map_or(0, |h| h.number)
                });
            }
        }
    }

    /// The blocks of `headers` (ascending), their bodies fetched from the peers in parallel.
    async fn fetch_bodies(&self, headers: &[Header]) -> Result<Vec<Block>, SyncError> {
        let hashes: Vec<B256> = headers.iter().map(Header::hash_slow).collect();
        let mut bodies: Vec<Option<BlockBody>> = vec![None; headers.len()];
        // Pending index ranges of `headers`.
        let mut queue: VecDeque<Vec<usize>> = (0..headers.len())
            .collect::<Vec<_>>()
            .chunks(self.config.body_batch.max(1))
            .map(<[usize]>::to_vec)
            .collect();
        let mut failures = 0usize;
        let mut requests: JoinSet<BodiesAnswer> = JoinSet::new();
        let mut next_peer = 0usize;
        loop {
            let peers = self.peers.handles();
            if peers.is_empty() && requests.is_empty() {
                return Err(SyncError::NoPeers);
            }
            let slots = peers.len() * self.config.requests_per_peer.max(1);
            while !peers.is_empty()
                && requests.len() < slots
                && let Some(indices) = queue.pop_front()
            {
                let peer = peers[next_peer % peers.len()].clone();
                next_peer += 1;
                let wanted: Vec<B256> = indices.iter().map(|i| hashes[*i]).collect();
                requests.spawn(async move {
                    let result = peer.request_bodies(wanted).await.map_err(|e| e.to_string());
                    (peer, indices, result)
                });
            }
            let Some(done) = requests.join_next().await else {
                break; // nothing in flight and nothing queued: all bodies are here
            };
            let Ok((peer, indices, result)) = done else {
                continue;
            };
            let answer = match result {
                Ok(answer) => answer,
                Err(e) => {
                    tracing::debug!("sync: bodies from {} failed: {e}", peer.remote_id());
                    failures += 1;
                    queue.push_back(indices);
                    if failures > 16 * peers.len().max(1) {
                        return Err(SyncError::Unavailable(hashes[queue[0][0]]));
                    }
                    continue;
                }
            };
            if answer.len() > indices.len() {
                penalise(&peer, "more bodies than asked").await;
                queue.push_back(indices);
                continue;
            }
            let mut bad = false;
            for (index, body) in indices.iter().zip(answer.iter()) {
                if !body_matches(&headers[*index], body) {
                    bad = true;
                    break;
                }
            }
            if bad {
                penalise(&peer, "a body that does not match its header").await;
                queue.push_back(indices);
                continue;
            }
            let delivered = answer.len();
            ethrex_metrics::record_sync_bodies(delivered as u64);
            for (index, body) in indices.iter().zip(answer) {
                bodies[*index] = Some(body);
            }
            if delivered < indices.len() {
                if delivered == 0 {
                    failures += 1;
                    if failures > 16 * peers.len().max(1) {
                        return Err(SyncError::Unavailable(hashes[indices[0]]));
                    }
                }
                queue.push_back(indices[delivered..].to_vec());
            }
            if queue.is_empty() && requests.is_empty() {
                break;
            }
        }
        headers
            .iter()
            .zip(bodies)
            .map(|(header, body)| {
                body.map(|body| Block::new(header.clone(), body))
                    .ok_or_else(|| SyncError::Unavailable(header.hash_slow()))
            })
            .collect()
    }
}

/// A body request's outcome: who was asked, for which of the headers, and the answer.
type BodiesAnswer = (EthPeer, Vec<usize>, Result<Vec<BlockBody>, String>);

/// Whether `body` is the one `header` commits to (transactions, ommers, withdrawals), by the
/// import pipeline's own check.
pub fn body_matches(header: &Header, body: &BlockBody) -> bool {
    ethrex_blockchain::check_body_commitments(header, body).is_ok()
}

async fn penalise(peer: &EthPeer, why: &str) {
    tracing::debug!("sync: disconnecting {}: {why}", peer.remote_id());
    peer.disconnect(DisconnectReason::BreachOfProtocol).await;
}

#[cfg(test)]
mod heal_tests;
#[cfg(test)]
mod scripted_peer;
pub mod snap;
#[cfg(test)]
mod tests;
