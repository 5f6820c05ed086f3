//! Full sync between our own nodes over loopback TCP: node A produces a real chain (dev
//! producer: built, executed and imported blocks with transfers); node B, from the same
//! genesis, syncs to A's head through a session and ends with A's head hash and state root; a
//! peer that has nothing is skipped; a body that does not match its header is refused.

use alloy_primitives::{Address, Bytes};
use ethrex_blockchain::{
    dev::{DevBlockConfig, EmptyBlocks, produce_block},
    mempool::Mempool,
};
use ethrex_common::Fork;
use ethrex_storage::Store;
use ethrex_test_utils::{GenesisBuilder, TxBuilder};
use tokio::net::TcpListener;

use super::{
    scripted_peer::{Script, scripted_peer, wait_until_dropped},
    *,
};
use crate::{
    NodeKey,
    eth::EthContext,
    rlpx::{Connection, ConnectionConfig},
};

pub(super) const WAIT: Duration = Duration::from_secs(60);

pub(super) struct Peers(pub(super) Vec<EthPeer>);

impl PeerHandles for Peers {
    fn handles(&self) -> Vec<EthPeer> {
        self.0.clone()
    }

    fn handle(&self, id: &alloy_primitives::B512) -> Option<EthPeer> {
        self.0.iter().find(|p| p.remote_id() == *id).cloned()
    }
}

fn new_chain() -> Arc<Blockchain> {
    chain_from(GenesisBuilder::new(Fork::Prague))
}

pub(super) fn chain_from(genesis: GenesisBuilder) -> Arc<Blockchain> {
    let store = Store::in_memory();
    store.init_genesis(&genesis.build()).unwrap();
    Arc::new(Blockchain::new(store).unwrap())
}

/// `blocks` blocks on `chain`, each with one transfer of dev account 0, the first with
/// `nonce`.
pub(super) fn produce(chain: &Blockchain, blocks: u64, nonce: u64) {
    let mempool = Mempool::new(100);
    let config = DevBlockConfig {
        gas_limit: 30_000_000,
        extra_data: Bytes::new(),
        max_blobs: None,
        fee_recipient: Address::repeat_byte(0xfe),
    };
    let start = chain.store().head_header().unwrap().unwrap().timestamp;
    for i in 0..blocks {
        let tx = TxBuilder::new().nonce(nonce + i).value(1 + i).eip1559();
        mempool.add_transaction(chain, tx).unwrap();
        produce_block(
            chain,
            &mempool,
            &config,
            start + 12 * (i + 1),
            EmptyBlocks::Produce,
        )
        .unwrap()
        .unwrap();
    }
}

pub(super) fn config() -> ConnectionConfig {
    ConnectionConfig {
        key: NodeKey::random(),
        client_id: "ethrex/test".into(),
        protocols: crate::protocols(),
        listen_port: 30303,
        handshake_timeout: Duration::from_secs(5),
    }
}

/// A session from `client`'s store to a server over `server`'s store: the client's handle
/// (the server side's task keeps serving in the background).
pub(super) async fn connect(client: &Blockchain, server: &Blockchain) -> EthPeer {
    let (client_config, server_config) = (config(), config());
    let server_id = server_config.key.public_key();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server_context = EthContext::new(server.store().clone(), server.config().chain_id);
    let serving = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let conn = Connection::accept(stream, &server_config).await.unwrap();
        EthPeer::start(conn, server_context).await.unwrap()
    });
    let conn = Connection::connect(addr, server_id, &client_config)
        .await
        .unwrap();
    let client_context = EthContext::new(client.store().clone(), client.config().chain_id);
    let (peer, _task) = EthPeer::start(conn, client_context).await.unwrap();
    let (server_handle, _) = serving.await.unwrap();
    // The server's handle must live as long as the session.
    std::mem::forget(server_handle);
    peer
}

pub(super) async fn wait_until_synced(sync: &FullSync, chain: &Blockchain, head: B256) {
    let deadline = Instant::now() + WAIT;
    while chain.store().head_hash().unwrap() != Some(head) || sync.is_syncing() {
        assert!(
            Instant::now() < deadline,
            "not synced: {:?}",
            sync.progress()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_syncs_a_produced_chain_from_a_peer_skipping_one_that_has_nothing() {
    let (a, b, empty) = (new_chain(), new_chain(), new_chain());
    produce(&a, 40, 0);
    let a_head = a.store().head_header().unwrap().unwrap();
    let peers = vec![connect(&b, &empty).await, connect(&b, &a).await];
    let config = SyncConfig {
        header_batch: 16,
        body_batch: 7,
        import_batch: 15,
        requests_per_peer: 2,
        ..SyncConfig::default()
    };
    let sync = FullSync::start(Arc::clone(&b), Arc::new(Peers(peers)), config);
    let handoff = sync.handoff();
    assert!(!handoff.is_syncing());
    handoff.sync_to(a_head.hash_slow());
    assert!(handoff.is_syncing(), "syncing as soon as handed a head");
    wait_until_synced(&sync, &b, a_head.hash_slow()).await;
    let b_head = b.store().head_header().unwrap().unwrap();
    assert_eq!(b_head, a_head);
    assert!(b.store().has_state(&b_head.state_root));
    let progress = sync.progress();
    assert_eq!(progress.imported, 40, "{progress:?}");
    // Every block's receipts were recomputed by executing it: they match A's.
    for number in [1, 20, 40] {
        let hash = a.store().canonical_hash(number).unwrap().unwrap();
        assert_eq!(
            b.store().receipts(&hash).unwrap(),
            a.store().receipts(&hash).unwrap()
        );
    }
    // A newer head extends the chain from where it stopped.
    produce(&a, 5, 40);
    let next = a.store().head_hash().unwrap().unwrap();
    handoff.sync_to(next);
    wait_until_synced(&sync, &b, next).await;
    assert_eq!(sync.progress().imported, 5);
    sync.stop().await;
}

#[test]
fn a_body_must_match_its_header() {
    let chain = new_chain();
    produce(&chain, 2, 0);
    let block = chain
        .store()
        .block_by_hash(&chain.store().head_hash().unwrap().unwrap());
    let block = block.unwrap().unwrap();
    assert!(body_matches(&block.header, &block.body));
    let mut other = block.body.clone();
    other.transactions.pop();
    assert!(!body_matches(&block.header, &other));
    let mut other = block.body.clone();
    other.withdrawals = None;
    assert!(!body_matches(&block.header, &other));
    let mut other = block.body;
    other.ommers.push(block.header.clone());
    assert!(!body_matches(&block.header, &other));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_sending_wrong_bodies_is_disconnected_and_the_sync_completes_from_another() {
    let (a, b) = (new_chain(), new_chain());
    produce(&a, 12, 0);
    let a_head = a.store().head_hash().unwrap().unwrap();
    let (liar, disconnected) = scripted_peer(&b, &a, Script::WrongBodies).await;
    let liar_handle = liar.clone();
    let honest = connect(&b, &a).await;
    let config = SyncConfig {
        header_batch: 64,
        body_batch: 3,
        import_batch: 64,
        requests_per_peer: 1,
        ..SyncConfig::default()
    };
    // The liar first: it gets the first body requests.
    let sync = FullSync::start(Arc::clone(&b), Arc::new(Peers(vec![liar, honest])), config);
    sync.handoff().sync_to(a_head);
    wait_until_synced(&sync, &b, a_head).await;
    assert_eq!(
        b.store().head_header().unwrap().unwrap().state_root,
        a.store().head_header().unwrap().unwrap().state_root
    );
    wait_until_dropped(&liar_handle, &disconnected).await;
    sync.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_node_snap_syncs_the_pivot_state_then_executes_the_rest() {
    let (a, b) = (new_chain(), new_chain());
    produce(&a, 60, 0);
    let a_head = a.store().head_header().unwrap().unwrap();
    let peers = vec![connect(&b, &a).await, connect(&b, &a).await];
    let config = SyncConfig {
        header_batch: 32,
        body_batch: 16,
        import_batch: 8,
        requests_per_peer: 2,
        snap: true,
        pivot_distance: 10,
        snap_min_blocks: 20,
        ..SyncConfig::default()
    };
    let sync = FullSync::start(Arc::clone(&b), Arc::new(Peers(peers)), config);
    sync.handoff().sync_to(a_head.hash_slow());
    wait_until_synced(&sync, &b, a_head.hash_slow()).await;
    let b_head = b.store().head_header().unwrap().unwrap();
    assert_eq!(b_head, a_head);
    assert!(b.store().has_state(&b_head.state_root));
    // Only the 10 blocks above the pivot (#50) were executed.
    assert_eq!(sync.progress().imported, 10, "{:?}", sync.progress());
    // The state of the pivot and the chain below it came from A: receipts, bodies, balances.
    for number in [1, 25, 50] {
        let hash = a.store().canonical_hash(number).unwrap().unwrap();
        assert_eq!(b.store().canonical_hash(number).unwrap(), Some(hash));
        assert_eq!(
            b.store().receipts(&hash).unwrap(),
            a.store().receipts(&hash).unwrap()
        );
        assert_eq!(
            b.store().block_by_hash(&hash).unwrap(),
            a.store().block_by_hash(&hash).unwrap()
        );
    }
    let reader = b.store().state_at(b_head.state_root).unwrap();
    let recipient = ethrex_test_utils::tx::DEFAULT_RECIPIENT;
    assert_eq!(
        reader.account_state(&recipient).unwrap().map(|a| a.balance),
        a.store()
            .state_at(a_head.state_root)
            .unwrap()
            .account_state(&recipient)
            .unwrap()
            .map(|a| a.balance)
    );
    sync.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_trie_larger_than_one_answer_is_fetched_in_proven_pieces() {
    // 40,000 slots: ~1.5 MB of storage, three 512 KiB answers at least.
    let big = Address::repeat_byte(0xb1);
    let genesis = || {
        GenesisBuilder::new(Fork::Prague).contract(
            big,
            vec![0x60, 0x00, 0x54],
            (1..=40_000u64).map(|i| {
                (
                    alloy_primitives::U256::from(i),
                    alloy_primitives::U256::from(i),
                )
            }),
        )
    };
    let (a, b) = (chain_from(genesis()), chain_from(genesis()));
    produce(&a, 30, 0);
    let a_head = a.store().head_header().unwrap().unwrap();
    let config = SyncConfig {
        snap: true,
        pivot_distance: 5,
        snap_min_blocks: 10,
        ..SyncConfig::default()
    };
    let sync = FullSync::start(
        Arc::clone(&b),
        Arc::new(Peers(vec![connect(&b, &a).await])),
        config,
    );
    sync.handoff().sync_to(a_head.hash_slow());
    wait_until_synced(&sync, &b, a_head.hash_slow()).await;
    assert_eq!(sync.progress().imported, 5);
    let b_head = b.store().head_header().unwrap().unwrap();
    assert_eq!(b_head.state_root, a_head.state_root);
    let reader = b.store().state_at(b_head.state_root).unwrap();
    for slot in [1u64, 12_345, 40_000] {
        assert_eq!(
            reader
                .storage_value(&big, &alloy_primitives::U256::from(slot))
                .unwrap(),
            alloy_primitives::U256::from(slot)
        );
    }
    sync.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_download_stopped_midway_resumes_from_what_was_staged() {
    let big = Address::repeat_byte(0xb2);
    let genesis = || {
        GenesisBuilder::new(Fork::Prague).contract(
            big,
            vec![0x60, 0x00, 0x54],
            (1..=20_000u64).map(|i| {
                (
                    alloy_primitives::U256::from(i),
                    alloy_primitives::U256::from(i),
                )
            }),
        )
    };
    let (a, b) = (chain_from(genesis()), chain_from(genesis()));
    produce(&a, 30, 0);
    let a_head = a.store().head_header().unwrap().unwrap();
    // 8 KiB answers: the big storage comes in ~90 pieces.
    let config = SyncConfig {
        snap: true,
        pivot_distance: 5,
        snap_min_blocks: 10,
        snap_response_bytes: 8 * 1024,
        ..SyncConfig::default()
    };
    let big_hash = alloy_primitives::keccak256(big);
    let first = FullSync::start(
        Arc::clone(&b),
        Arc::new(Peers(vec![connect(&b, &a).await])),
        config,
    );
    first.handoff().sync_to(a_head.hash_slow());
    // Stop it once a third of the big storage is staged.
    let staging = b.store().snap_staging();
    let deadline = Instant::now() + WAIT;
    loop {
        let staged = staging.load().unwrap();
        if staged
            .storage
            .get(&big_hash)
            .is_some_and(|s| s.len() >= 7_000)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the download never got a third through"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.stop().await;
    let staged = staging.load().unwrap();
    let staged_items = staged.accounts.len()
        + staged
            .storage
            .values()
            .map(std::collections::BTreeMap::len)
            .sum::<usize>()
        + staged.codes.len();
    assert!(matches!(
        staging.storage_progress(&big_hash).unwrap(),
        ethrex_storage::SnapProgress::From(_)
    ));
    assert_eq!(
        b.store().head_header().unwrap().unwrap().number,
        0,
        "nothing installed yet"
    );

    // A new sync task on the same store (a restart) resumes on the same pivot.
    let second = FullSync::start(
        Arc::clone(&b),
        Arc::new(Peers(vec![connect(&b, &a).await])),
        config,
    );
    second.handoff().sync_to(a_head.hash_slow());
    wait_until_synced(&second, &b, a_head.hash_slow()).await;
    assert_eq!(
        b.store().head_header().unwrap().unwrap().state_root,
        a_head.state_root
    );
    assert_eq!(
        staging.pivot().unwrap(),
        None,
        "the staging area is emptied"
    );
    // Everything the full state holds, against what the second run fetched.
    let reader = a
        .store()
        .state_at(a.store().header_by_number(25).unwrap().unwrap().state_root)
        .unwrap();
    let mut total = 0usize;
    reader
        .for_each_leaf_from(
            ethrex_storage::TrieOwner::Accounts,
            &B256::ZERO,
            &mut |_, _| {
                total += 1;
                std::ops::ControlFlow::Continue(())
            },
        )
        .unwrap();
    let slots: usize = 20_000
        + staged
            .storage
            .iter()
            .filter(|(k, _)| **k != big_hash)
            .map(|(_, s)| s.len())
            .sum::<usize>();
    let refetched =
        (second.progress().state_items as usize).saturating_sub(total + slots - staged_items);
    assert!(
        refetched * 10 <= staged_items,
        "re-fetched {refetched} of the {staged_items} staged items (second run fetched {})",
        second.progress().state_items
    );
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_serving_account_ranges_that_do_not_verify_is_disconnected_during_snap_sync() {
    let (a, b) = (new_chain(), new_chain());
    produce(&a, 30, 0);
    let a_head = a.store().head_header().unwrap().unwrap();
    let (liar, disconnected) = scripted_peer(&b, &a, Script::WrongAccountRanges).await;
    let liar_handle = liar.clone();
    let honest = connect(&b, &a).await;
    let config = SyncConfig {
        snap: true,
        pivot_distance: 5,
        snap_min_blocks: 10,
        ..SyncConfig::default()
    };
    let sync = FullSync::start(Arc::clone(&b), Arc::new(Peers(vec![liar, honest])), config);
    sync.handoff().sync_to(a_head.hash_slow());
    wait_until_synced(&sync, &b, a_head.hash_slow()).await;
    assert_eq!(
        b.store().head_header().unwrap().unwrap().state_root,
        a_head.state_root
    );
    assert_eq!(sync.progress().imported, 5, "the state came by snap");
    wait_until_dropped(&liar_handle, &disconnected).await;
    sync.stop().await;
}
