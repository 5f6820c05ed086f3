//! The headers+bodies half of `ethrex-bench p2p`: a chain imported into a fresh RocksDB store
//! (as `ethrex import` does), and the [`Client`] that fetches the whole chain from a peer, round
//! after round: every header by number in batches (GetBlockHeaders), then every body by hash in
//! batches (GetBlockBodies), each phase with a fixed number of requests in flight. Clients of
//! two servers take turns round by round, so a load change on the machine hits both alike.
//!
//! A fresh session is opened (untimed) whenever the next round would take the current one past
//! `session_requests` requests: what is measured is how fast a session serves, not a per-peer
//! request budget the serving node may enforce (a syncer spreads its requests over many peers).
//!
//! Every answer is checked: a header batch must hold exactly the asked headers (their hashes are
//! the chain file's), a body batch one body per asked hash. Bytes are the RLP length of the
//! headers and bodies received (before snappy and framing).

use std::{
    future::Future,
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_primitives::B256;
use alloy_rlp::{Decodable, Encodable};
use ethrex_blockchain::Blockchain;
use ethrex_common::{Genesis, types::Block};
use ethrex_p2p::eth::{EthPeer, HashOrNumber, HeadersQuery};

use super::session::Link;
use ethrex_storage::Store;
use tokio::task::JoinSet;

/// How the client fetches the chain.
#[derive(Debug, Clone, Copy)]
pub struct FetchParams {
    pub header_batch: u64,
    pub body_batch: usize,
    pub inflight: usize,
    pub duration: Duration,
    /// The most requests sent over one session.
    pub session_requests: u64,
}

/// What the timed rounds fetched.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fetched {
    pub rounds: u64,
    pub blocks: u64,
    pub bytes: u64,
    pub headers_time: Duration,
    pub bodies_time: Duration,
}

impl Fetched {
    pub fn elapsed(&self) -> Duration {
        self.headers_time + self.bodies_time
    }

    pub fn blocks_per_sec(&self) -> f64 {
        self.blocks as f64 / self.elapsed().as_secs_f64()
    }

    pub fn headers_per_sec(&self) -> f64 {
        self.blocks as f64 / self.headers_time.as_secs_f64()
    }

    pub fn bodies_per_sec(&self) -> f64 {
        self.blocks as f64 / self.bodies_time.as_secs_f64()
    }

    pub fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed().as_secs_f64()
    }
}

/// The blocks of a chain file (consecutive RLP blocks).
pub fn read_blocks(path: &Path) -> Result<Vec<Block>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut buf = bytes.as_slice();
    let mut blocks = Vec::new();
    while !buf.is_empty() {
        blocks.push(Block::decode(&mut buf).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    Ok(blocks)
}

/// A RocksDB store at `dir` holding `genesis` and `blocks`, imported in one batch.
pub fn import(genesis: &Genesis, blocks: &[Block], dir: &Path) -> Result<Store, String> {
    let store = Store::open(dir).map_err(|e| e.to_string())?;
    store.init_genesis(genesis).map_err(|e| e.to_string())?;
    let chain = Blockchain::new(store).map_err(|e| e.to_string())?;
    chain
        .import_blocks(blocks)
        .map_err(|e| format!("importing the chain: {e}"))?;
    Ok(chain.store().clone())
}

/// A client fetching the chain whose blocks 1.. have `hashes`, over sessions `connect` opens.
pub struct Client<C> {
    connect: C,
    link: Link,
    /// Requests sent over `link`.
    sent: u64,
    per_round: u64,
    hashes: Arc<Vec<B256>>,
    params: FetchParams,
    /// The timed rounds so far.
    pub fetched: Fetched,
}

impl<C: AsyncFnMut() -> Result<Link, String>> Client<C> {
    /// Connects and fetches the chain once, untimed.
    pub async fn new(
        mut connect: C,
        hashes: Arc<Vec<B256>>,
        params: FetchParams,
    ) -> Result<Self, String> {
        let count = hashes.len() as u64;
        let per_round = count.div_ceil(params.header_batch.max(1))
            + count.div_ceil(params.body_batch.max(1) as u64);
        let link = connect().await?;
        round(&link.client, &hashes, params).await?;
        Ok(Self {
            connect,
            link,
            sent: per_round,
            per_round,
            hashes,
            params,
            fetched: Fetched::default(),
        })
    }

    /// Whether the timed rounds have lasted `params.duration`.
    pub fn done(&self) -> bool {
        self.fetched.elapsed() >= self.params.duration
    }

    /// One timed round (after a new session, untimed, if this one has sent enough).
    pub async fn round(&mut self) -> Result<(), String> {
        if self.sent + self.per_round > self.params.session_requests {
            self.link = (self.connect)().await?;
            self.sent = 0;
        }
        self.sent += self.per_round;
        let one = round(&self.link.client, &self.hashes, self.params).await?;
        let total = &mut self.fetched;
        total.rounds += 1;
        total.blocks += one.blocks;
        total.bytes += one.bytes;
        total.headers_time += one.headers_time;
        total.bodies_time += one.bodies_time;
        Ok(())
    }
}

/// One pass over the whole chain: every header, then every body.
async fn round(
    peer: &EthPeer,
    hashes: &Arc<Vec<B256>>,
    params: FetchParams,
) -> Result<Fetched, String> {
    let count = hashes.len();
    let header_batch = usize::try_from(params.header_batch).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let header_bytes = in_parallel(params.inflight, count.div_ceil(header_batch), {
        let (peer, hashes) = (peer.clone(), hashes.clone());
        move |job| {
            headers(
                peer.clone(),
                hashes.clone(),
                job * header_batch,
                header_batch,
            )
        }
    })
    .await?;
    let headers_time = started.elapsed();
    let started = Instant::now();
    let body_batch = params.body_batch;
    let body_bytes = in_parallel(params.inflight, count.div_ceil(body_batch), {
        let (peer, hashes) = (peer.clone(), hashes.clone());
        move |job| bodies(peer.clone(), hashes.clone(), job * body_batch, body_batch)
    })
    .await?;
    Ok(Fetched {
        rounds: 1,
        blocks: count as u64,
        bytes: header_bytes + body_bytes,
        headers_time,
        bodies_time: started.elapsed(),
    })
}

/// Headers of blocks `start + 1 ..` (at most `batch`), checked against `hashes`; their bytes.
async fn headers(
    peer: EthPeer,
    hashes: Arc<Vec<B256>>,
    start: usize,
    batch: usize,
) -> Result<u64, String> {
    let expected = &hashes[start..(start + batch).min(hashes.len())];
    let query = HeadersQuery {
        origin: HashOrNumber::Number(start as u64 + 1),
        amount: expected.len() as u64,
        skip: 0,
        reverse: false,
    };
    let headers = peer
        .request_headers(query)
        .await
        .map_err(|e| format!("GetBlockHeaders from #{}: {e}", start + 1))?;
    if headers.len() != expected.len() {
        return Err(format!(
            "GetBlockHeaders from #{}: {} headers served, {} asked",
            start + 1,
            headers.len(),
            expected.len()
        ));
    }
    let mut bytes = 0;
    for (header, hash) in headers.iter().zip(expected) {
        if header.hash_slow() != *hash {
            return Err(format!("header #{} is not the chain's", header.number));
        }
        bytes += header.length() as u64;
    }
    Ok(bytes)
}

/// Bodies of `hashes[start..]` (at most `batch`), one per hash; their bytes.
async fn bodies(
    peer: EthPeer,
    hashes: Arc<Vec<B256>>,
    start: usize,
    batch: usize,
) -> Result<u64, String> {
    let asked = hashes[start..(start + batch).min(hashes.len())].to_vec();
    let count = asked.len();
    let bodies = peer
        .request_bodies(asked)
        .await
        .map_err(|e| format!("GetBlockBodies from #{}: {e}", start + 1))?;
    if bodies.len() != count {
        return Err(format!(
            "GetBlockBodies from #{}: {} bodies served, {count} asked",
            start + 1,
            bodies.len()
        ));
    }
    Ok(bodies.iter().map(|b| b.length() as u64).sum())
}

/// Runs `work(0..jobs)` on `inflight` tasks, each taking the next job when its last is done;
/// the sum of their results.
async fn in_parallel<F, Fut>(inflight: usize, jobs: usize, work: F) -> Result<u64, String>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<u64, String>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    for _ in 0..inflight.max(1) {
        let (next, work) = (next.clone(), work.clone());
        tasks.spawn(async move {
            let mut sum = 0;
            loop {
                let job = next.fetch_add(1, Ordering::Relaxed);
                if job >= jobs {
                    return Ok::<u64, String>(sum);
                }
                sum += work(job).await?;
            }
        });
    }
    let mut total = 0;
    while let Some(done) = tasks.join_next().await {
        total += done.map_err(|e| e.to_string())??;
    }
    Ok(total)
}
