//! Snap healing and re-pivoting over loopback RLPx: a state staged against one root (R1) is
//! healed to another (R2) that differs in accounts (changed, deleted, added), storage slots
//! (changed, deleted, added), a deleted contract and a new code — exactly R2 afterwards, for a
//! small fraction of a full download; healing stopped part way continues after a restart
//! without refetching what it did, and healing cut by a stale pivot heals towards the next
//! one; storage that changed or vanished since its account was staged is left to healing; a
//! peer answering GetTrieNodes with wrong nodes is disconnected; a whole snap sync whose
//! staged pivot left the window re-pivots, keeps what it had and heals, whether it was stopped
//! or still running; and a pivot no peer serves is replaced even when recent.
//!
//! R1 and R2 are the genesis states of two stores (A1, A2), served by their own sessions; the
//! staging area is a third store's.

use std::{collections::BTreeMap, ops::ControlFlow};

use alloy_primitives::{Address, U256, keccak256};
use alloy_rlp::Decodable;
use ethrex_common::{Fork, constants::EMPTY_CODE_HASH, types::AccountState};
use ethrex_storage::{SnapStaging, Store, SyncedState, TrieOwner};
use ethrex_test_utils::GenesisBuilder;

use super::{
    scripted_peer::{Script, scripted_peer, wait_until_dropped},
    snap::{RESPONSE_BYTES, StateCounters},
    tests::{Peers, WAIT, chain_from, connect, produce, wait_until_synced},
    *,
};

/// Funded accounts besides the dev accounts and system contracts.
const ACCOUNTS: u64 = 3_000;
/// Slots of the big contract.
const SLOTS: u64 = 3_000;
const BIG: Address = Address::repeat_byte(0xb1);
const GONE: Address = Address::repeat_byte(0xd0);
const NEW: Address = Address::repeat_byte(0xe1);
/// The account R2 adds.
const ADDED: Address = Address::repeat_byte(0xad);

fn funded(i: u64) -> Address {
    Address::left_padding_from(&(0x10_0000 + i).to_be_bytes())
}

/// R1 (`second` false) or R2: R2 changes every 50th balance, drops account 7, adds one, changes
/// every 300th slot of the big contract, drops slots 100-104, adds 5 slots, drops contract GONE
/// and adds contract NEW (new code).
fn genesis(second: bool) -> GenesisBuilder {
    let mut genesis = GenesisBuilder::new(Fork::Prague);
    for i in 0..ACCOUNTS {
        if second && i == 7 {
            continue;
        }
        let balance = if second && i % 50 == 0 {
            2_000_000 + i
        } else {
            1_000 + i
        };
        genesis = genesis.fund(funded(i), U256::from(balance));
    }
    let mut slots: Vec<(U256, U256)> = Vec::new();
    for i in 1..=SLOTS {
        if second && (100..105).contains(&i) {
            continue;
        }
        let value = if second && i % 300 == 0 {
            i + 1_000_000
        } else {
            i
        };
        slots.push((U256::from(i), U256::from(value)));
    }
    if second {
        slots.extend((SLOTS + 1..=SLOTS + 5).map(|i| (U256::from(i), U256::from(i))));
        genesis = genesis.fund(ADDED, U256::from(42)).contract(
            NEW,
            vec![0x60, 0x03, 0x54, 0x00],
            [(U256::from(3), U256::from(9))],
        );
    } else {
        genesis = genesis.contract(GONE, vec![0x60, 0x01], [(U256::from(1), U256::from(1))]);
    }
    genesis.contract(BIG, vec![0x60, 0x00, 0x54], slots)
}

/// Every account and slot of `store`'s genesis state, and its codes.
fn full_state(store: &Store) -> SyncedState {
    let root = store.header_by_number(0).unwrap().unwrap().state_root;
    let reader = store.state_at(root).unwrap();
    let mut state = SyncedState::default();
    reader
        .for_each_leaf_from(TrieOwner::Accounts, &B256::ZERO, &mut |key, value| {
            let account = AccountState::decode(&mut value.as_slice()).unwrap();
            state.accounts.insert(key, account);
            ControlFlow::Continue(())
        })
        .unwrap();
    for (hash, account) in &state.accounts {
        if account.code_hash != EMPTY_CODE_HASH {
            let code = store.code(&account.code_hash).unwrap().unwrap();
            state.codes.insert(account.code_hash, code);
        }
        let mut slots = BTreeMap::new();
        reader
            .for_each_leaf_from(TrieOwner::Storage(*hash), &B256::ZERO, &mut |key, value| {
                slots.insert(key, U256::decode(&mut value.as_slice()).unwrap());
                ControlFlow::Continue(())
            })
            .unwrap();
        if !slots.is_empty() {
            state.storage.insert(*hash, slots);
        }
    }
    state
}

fn items(state: &SyncedState) -> u64 {
    let slots: usize = state.storage.values().map(BTreeMap::len).sum();
    (state.accounts.len() + slots + state.codes.len()) as u64
}

/// The genesis block hash and state root of `chain`.
fn pivot(chain: &Blockchain) -> (B256, B256) {
    let header = chain.store().header_by_number(0).unwrap().unwrap();
    (header.hash_slow(), header.state_root)
}

/// A staging area holding the whole of R1 (downloaded from A1).
async fn staged_r1(a1: &Blockchain) -> SnapStaging {
    let staging = Store::in_memory().snap_staging();
    let (hash, root) = pivot(a1);
    let peers = Peers(vec![connect(a1, a1).await]);
    let counters = Arc::new(StateCounters::default());
    snap::download_state(&peers, &staging, hash, root, &counters, RESPONSE_BYTES)
        .await
        .unwrap();
    assert!(!staging.is_mixed().unwrap());
    staging
}

/// Snap-syncs `staging` to A2's root from `peers`.
async fn sync_r2(
    a2: &Blockchain,
    staging: &SnapStaging,
    peers: Vec<EthPeer>,
) -> (Result<SyncedState, SyncError>, Arc<StateCounters>) {
    let (hash, root) = pivot(a2);
    let counters = Arc::new(StateCounters::default());
    let result = snap::download_state(
        &Peers(peers),
        staging,
        hash,
        root,
        &counters,
        RESPONSE_BYTES,
    )
    .await;
    (result, counters)
}

/// The healed state is R2 to the leaf, installs (its root checked) and reads right.
fn assert_is_r2(healed: &SyncedState, a2: &Blockchain) {
    let expected = full_state(a2.store());
    assert_eq!(healed.accounts, expected.accounts, "accounts");
    assert_eq!(healed.storage, expected.storage, "storage");
    for (hash, code) in &expected.codes {
        assert_eq!(healed.codes.get(hash), Some(code), "code {hash}");
    }
    let store = Store::in_memory();
    let genesis = a2.store().header_by_number(0).unwrap().unwrap();
    let block = a2
        .store()
        .block_by_hash(&genesis.hash_slow())
        .unwrap()
        .unwrap();
    store
        .install_synced_state(healed, &[(block, Vec::new())])
        .unwrap();
    let reader = store.state_at(genesis.state_root).unwrap();
    let balance = |address| reader.account_state(&address).unwrap().map(|a| a.balance);
    assert_eq!(balance(funded(50)), Some(U256::from(2_000_050)));
    assert_eq!(balance(funded(51)), Some(U256::from(1_051)));
    assert_eq!(balance(funded(7)), None);
    assert_eq!(balance(ADDED), Some(U256::from(42)));
    assert_eq!(reader.account_state(&GONE).unwrap(), None);
    let slot = |address, slot: u64| reader.storage_value(&address, &U256::from(slot)).unwrap();
    assert_eq!(slot(BIG, 300), U256::from(1_000_300));
    assert_eq!(slot(BIG, 301), U256::from(301));
    assert_eq!(slot(BIG, 102), U256::ZERO);
    assert_eq!(slot(BIG, SLOTS + 3), U256::from(SLOTS + 3));
    assert_eq!(slot(NEW, 3), U256::from(9));
    let new = reader.account_state(&NEW).unwrap().unwrap();
    assert_eq!(
        store.code(&new.code_hash).unwrap().unwrap().as_ref(),
        &[0x60, 0x03, 0x54, 0x00]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_staged_for_one_root_is_healed_to_another_fetching_a_small_part() {
    let (a1, a2) = (chain_from(genesis(false)), chain_from(genesis(true)));
    assert_ne!(pivot(&a1).1, pivot(&a2).1);
    let staging = staged_r1(&a1).await;
    let (healed, counters) = sync_r2(&a2, &staging, vec![connect(&a2, &a2).await]).await;
    let healed = healed.unwrap();
    assert!(staging.is_mixed().unwrap(), "a second pivot mixes the area");
    assert_is_r2(&healed, &a2);
    assert!(staging.heal_queue().unwrap().is_empty());
    let total = items(&full_state(a2.store()));
    let fetched = counters.fetched();
    eprintln!(
        "healed R1 into R2: {fetched} items fetched ({} trie nodes) for a state of {total}",
        counters.healed()
    );
    assert!(counters.healed() > 0, "R2 needed healing");
    assert!(
        fetched * 20 < total,
        "fetched {fetched} items (of which {} trie nodes) for a state of {total}",
        counters.healed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_that_changed_or_vanished_since_the_accounts_were_staged_is_left_to_healing() {
    let (a1, a2) = (chain_from(genesis(false)), chain_from(genesis(true)));
    // R1's accounts are staged (every slice done), none of their storage yet: the big
    // contract's storage changed in R2 (its ranges do not verify against R1's storage root),
    // GONE's is gone with it (no peer serves it), and GONE's code is nowhere.
    let staging = Store::in_memory().snap_staging();
    let (hash, root) = pivot(&a1);
    staging.begin(hash, root).unwrap();
    let r1 = full_state(a1.store());
    let accounts: Vec<(B256, AccountState)> = r1.accounts.into_iter().collect();
    staging.put_accounts(0, &accounts, None).unwrap();
    for slice in 1..16 {
        staging.put_accounts(slice, &[], None).unwrap();
    }
    let (healed, counters) = sync_r2(&a2, &staging, vec![connect(&a2, &a2).await]).await;
    assert_is_r2(&healed.unwrap(), &a2);
    // The big storage came through healing, node by node.
    assert!(
        counters.healed() > SLOTS / 16,
        "{} nodes healed",
        counters.healed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healing_stopped_part_way_continues_after_a_restart_without_refetching() {
    let (a1, a2) = (chain_from(genesis(false)), chain_from(genesis(true)));
    // How many nodes healing takes in one go.
    let baseline = staged_r1(&a1).await;
    let (healed, counters) = sync_r2(&a2, &baseline, vec![connect(&a2, &a2).await]).await;
    healed.unwrap();
    let whole = counters.healed();

    // The same, but the only peer answers 10 nodes at a time and stops serving the root after
    // 12 answers.
    let staging = staged_r1(&a1).await;
    let stop = Script::TrieNodesStopAfter {
        answers: 12,
        nodes: 10,
    };
    let (peer, _) = scripted_peer(&a2, &a2, stop).await;
    let (stopped, first) = sync_r2(&a2, &staging, vec![peer]).await;
    assert!(
        matches!(stopped, Err(SyncError::StateUnavailable)),
        "{stopped:?}"
    );
    let queued = staging.heal_queue().unwrap().len();
    assert!(queued > 0, "the healing queue is in the store");
    assert!(first.healed() > 0 && first.healed() < whole);

    // A restart: a new download over the same store, from an honest peer.
    let (healed, second) = sync_r2(&a2, &staging, vec![connect(&a2, &a2).await]).await;
    assert_is_r2(&healed.unwrap(), &a2);
    eprintln!(
        "healing: {whole} nodes in one go; {} before the stop ({queued} queued), {} after",
        first.healed(),
        second.healed()
    );
    assert!(
        second.healed() + first.healed() <= whole + whole / 20,
        "healed {} then {} nodes; {whole} in one go",
        first.healed(),
        second.healed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healing_cut_by_a_stale_pivot_heals_towards_the_next_pivot_instead() {
    let (a1, a2) = (chain_from(genesis(false)), chain_from(genesis(true)));
    let staging = staged_r1(&a1).await;
    // Healing towards R2 stops part way: R2 left the peer's window.
    let stop = Script::TrieNodesStopAfter {
        answers: 12,
        nodes: 10,
    };
    let (peer, _) = scripted_peer(&a2, &a2, stop).await;
    let (stopped, _) = sync_r2(&a2, &staging, vec![peer]).await;
    assert!(matches!(stopped, Err(SyncError::StateUnavailable)));
    assert!(!staging.heal_queue().unwrap().is_empty());
    let half = staging.load().unwrap();
    let expected = full_state(a1.store());
    assert_ne!(half.accounts, expected.accounts, "some leaves were healed");
    assert_ne!(half.accounts, full_state(a2.store()).accounts, "not all");
    // The next pivot's root is R1 again (any other root would do): its own healing starts
    // from the half-healed leaves and ends exactly at it.
    let (hash, root) = pivot(&a1);
    let peers = Peers(vec![connect(&a1, &a1).await]);
    let counters = Arc::new(StateCounters::default());
    let healed = snap::download_state(&peers, &staging, hash, root, &counters, RESPONSE_BYTES)
        .await
        .unwrap();
    assert_eq!(healed.accounts, expected.accounts);
    assert_eq!(healed.storage, expected.storage);
    assert!(counters.healed() > 0);
    assert!(staging.heal_queue().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_answering_trie_nodes_that_do_not_hash_right_is_disconnected() {
    let (a1, a2) = (chain_from(genesis(false)), chain_from(genesis(true)));
    let staging = staged_r1(&a1).await;
    let (liar, disconnected) = scripted_peer(&a2, &a2, Script::WrongTrieNodes).await;
    let liar_handle = liar.clone();
    // The liar first: it gets the first request.
    let peers = vec![liar, connect(&a2, &a2).await];
    let (healed, _) = sync_r2(&a2, &staging, peers).await;
    assert_is_r2(&healed.unwrap(), &a2);
    wait_until_dropped(&liar_handle, &disconnected).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snap_sync_whose_pivot_left_the_window_re_pivots_keeping_what_it_downloaded() {
    let big = Address::repeat_byte(0xb2);
    let genesis = || {
        GenesisBuilder::new(Fork::Prague).contract(
            big,
            vec![0x60, 0x00, 0x54],
            (1..=20_000u64).map(|i| (U256::from(i), U256::from(i))),
        )
    };
    let (a, b) = (chain_from(genesis()), chain_from(genesis()));
    produce(&a, 30, 0);
    let first_target = a.store().head_hash().unwrap().unwrap();
    let config = SyncConfig {
        snap: true,
        pivot_distance: 5,
        snap_min_blocks: 10,
        snap_response_bytes: 8 * 1024,
        ..SyncConfig::default()
    };
    let first = FullSync::start(
        Arc::clone(&b),
        Arc::new(Peers(vec![connect(&b, &a).await])),
        config,
    );
    first.handoff().sync_to(first_target);
    // Stop once half of the big storage is staged.
    let staging = b.store().snap_staging();
    let big_hash = keccak256(big);
    let deadline = Instant::now() + WAIT;
    while (staging.load().unwrap().storage.get(&big_hash)).is_none_or(|s| s.len() < 10_000) {
        assert!(Instant::now() < deadline, "the download never got half way");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.stop().await;
    let (old_pivot, _) = staging.pivot().unwrap().unwrap();
    let staged = items(&staging.load().unwrap());

    // The chain moves on 150 blocks: the staged pivot is older than A's 128 states.
    produce(&a, 150, 30);
    let a_head = a.store().head_header().unwrap().unwrap();
    let old_root = a
        .store()
        .header_by_hash(&old_pivot)
        .unwrap()
        .unwrap()
        .state_root;
    assert!(
        !a.store().has_state(&old_root),
        "A no longer serves the old pivot"
    );
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
    assert_eq!(second.progress().imported, 5, "the state came by snap");
    let reader = b.store().state_at(a_head.state_root).unwrap();
    for slot in [1u64, 9_999, 20_000] {
        assert_eq!(
            reader.storage_value(&big, &U256::from(slot)).unwrap(),
            U256::from(slot)
        );
    }
    // What was staged was kept: the second run fetched the rest of the big storage (about
    // half of it) and the small part that changed, not the staged half again.
    let fetched = second.progress().state_items;
    eprintln!(
        "re-pivot: {staged} items staged, {fetched} fetched after it ({} trie nodes)",
        second.progress().healed_nodes
    );
    assert!(
        fetched < 20_000 - 10_000 + 2_000,
        "the second run fetched {fetched} items; {staged} were staged"
    );
    assert!(
        second.progress().healed_nodes > 0,
        "the new pivot needed healing"
    );
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pivot_that_goes_stale_mid_download_is_replaced_keeping_the_downloaded_ranges() {
    let big = Address::repeat_byte(0xb3);
    let genesis = || {
        GenesisBuilder::new(Fork::Prague).contract(
            big,
            vec![0x60, 0x00, 0x54],
            (1..=20_000u64).map(|i| (U256::from(i), U256::from(i))),
        )
    };
    let (a, b) = (chain_from(genesis()), chain_from(genesis()));
    produce(&a, 30, 0);
    let paused = Arc::new(AtomicBool::new(false));
    let (peer, _) = scripted_peer(&b, &a, Script::SnapPaused(Arc::clone(&paused))).await;
    let config = SyncConfig {
        snap: true,
        pivot_distance: 5,
        snap_min_blocks: 10,
        snap_response_bytes: 8 * 1024,
        ..SyncConfig::default()
    };
    let sync = FullSync::start(Arc::clone(&b), Arc::new(Peers(vec![peer])), config);
    sync.handoff()
        .sync_to(a.store().head_hash().unwrap().unwrap());
    // Once 8,000 of the big storage's slots are staged, the peer holds its answers while the
    // chain moves on 150 blocks: the pivot (#25) leaves A's 128 states mid-download.
    let staging = b.store().snap_staging();
    let big_hash = keccak256(big);
    let deadline = Instant::now() + WAIT;
    while (staging.load().unwrap().storage.get(&big_hash)).is_none_or(|s| s.len() < 8_000) {
        assert!(
            Instant::now() < deadline,
            "the download never got to 8,000 slots"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    paused.store(true, Ordering::SeqCst);
    let (old_pivot, _) = staging.pivot().unwrap().unwrap();
    produce(&a, 150, 30);
    let old_root = a
        .store()
        .header_by_hash(&old_pivot)
        .unwrap()
        .unwrap()
        .state_root;
    assert!(
        !a.store().has_state(&old_root),
        "A no longer serves the pivot"
    );
    let a_head = a.store().head_header().unwrap().unwrap();
    // The consensus client names the new head; the held answers (empty now) go out.
    sync.handoff().sync_to(a_head.hash_slow());
    paused.store(false, Ordering::SeqCst);
    wait_until_synced(&sync, &b, a_head.hash_slow()).await;
    assert_eq!(
        b.store().head_header().unwrap().unwrap().state_root,
        a_head.state_root
    );
    assert_eq!(sync.progress().imported, 5, "the state came by snap");
    let reader = b.store().state_at(a_head.state_root).unwrap();
    for slot in [1u64, 7_999, 20_000] {
        assert_eq!(
            reader.storage_value(&big, &U256::from(slot)).unwrap(),
            U256::from(slot)
        );
    }
    // The whole sync fetched the state about once: the 8,000 slots staged for the stale pivot
    // were kept (starting over would have fetched them twice, 28,000 items and more).
    let progress = sync.progress();
    eprintln!(
        "stale pivot mid-download: {} items fetched in all ({} trie nodes)",
        progress.state_items, progress.healed_nodes
    );
    assert!(
        progress.state_items < 22_000,
        "fetched {} items",
        progress.state_items
    );
    assert!(progress.healed_nodes > 0, "the new pivot needed healing");
    sync.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pivot_no_peer_serves_is_replaced_even_when_it_is_recent() {
    let (a, b) = (
        chain_from(GenesisBuilder::new(Fork::Prague)),
        chain_from(GenesisBuilder::new(Fork::Prague)),
    );
    produce(&a, 60, 0);
    // The peer keeps fewer states than ours: it has forgotten #55's, the first pivot.
    let forgotten = a.store().header_by_number(55).unwrap().unwrap();
    let (peer, _) = scripted_peer(&b, &a, Script::ForgetRoot(forgotten.state_root)).await;
    let config = SyncConfig {
        snap: true,
        pivot_distance: 5,
        snap_min_blocks: 10,
        ..SyncConfig::default()
    };
    let sync = FullSync::start(Arc::clone(&b), Arc::new(Peers(vec![peer])), config);
    sync.handoff()
        .sync_to(a.store().head_hash().unwrap().unwrap());
    let staging = b.store().snap_staging();
    let deadline = Instant::now() + WAIT;
    while staging.pivot().unwrap().is_none() {
        assert!(Instant::now() < deadline, "no pivot staged");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(
        staging.pivot().unwrap(),
        Some((forgotten.hash_slow(), forgotten.state_root))
    );
    // A newer head 10 blocks on: #55 is within 96 blocks of it, but no peer served it, so the
    // retry takes #65 instead of resuming #55 forever.
    produce(&a, 10, 60);
    let a_head = a.store().head_header().unwrap().unwrap();
    sync.handoff().sync_to(a_head.hash_slow());
    wait_until_synced(&sync, &b, a_head.hash_slow()).await;
    assert_eq!(
        b.store().head_header().unwrap().unwrap().state_root,
        a_head.state_root
    );
    assert_eq!(sync.progress().imported, 5, "the state of #65 came by snap");
    sync.stop().await;
}
