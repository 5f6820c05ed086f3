//! Serving over an in-memory store holding a generated state of a few hundred accounts (some
//! with storage and code) on disk and a diff layer above it: every range answer verifies with
//! `ethrex_trie::verify_range` against the requested root.

use alloy_primitives::{Address, U256, keccak256};
use ethrex_common::state::{AccountChange, AccountInfo, StateChanges};
use ethrex_trie::{EMPTY_TRIE_ROOT, verify_range};

use super::*;
use crate::snap::messages::{GetAccountRange, GetStorageRanges};

const ACCOUNTS: u64 = 300;
const MAX_HASH: B256 = B256::repeat_byte(0xff);

fn address(i: u64) -> Address {
    Address::left_padding_from(&i.to_be_bytes())
}

fn code(i: u64) -> Bytes {
    Bytes::from(vec![0x60, (i % 256) as u8, 0x60, 0x00, 0x55])
}

/// Account `i` has storage when `i % 3 == 0` (`i % 40 + 1` slots) and code when `i % 5 == 0`.
fn changes(accounts: std::ops::Range<u64>, salt: u64) -> StateChanges {
    let accounts = accounts
        .map(|i| {
            let code = (i % 5 == 0).then(|| code(i));
            let storage = match i % 3 {
                0 => (0..i % 40 + 1)
                    .map(|s| (U256::from(s), U256::from(i * 1000 + s + salt + 1)))
                    .collect(),
                _ => Vec::new(),
            };
            AccountChange {
                address: address(i),
                info: Some(AccountInfo {
                    nonce: i + salt,
                    balance: U256::from(i * 1_000_000_007),
                    code_hash: code
                        .as_ref()
                        .map_or(ethrex_common::constants::EMPTY_CODE_HASH, keccak256),
                }),
                code,
                storage_cleared: false,
                storage,
            }
        })
        .collect();
    StateChanges { accounts }
}

/// A store whose disk state holds [`ACCOUNTS`] accounts; returns it and the root.
fn store() -> (Store, B256) {
    let store = Store::in_memory();
    let update = store
        .prepare_state_update(EMPTY_TRIE_ROOT, &changes(0..ACCOUNTS, 0))
        .unwrap();
    let root = update.root;
    store.commit_state_update(update).unwrap();
    (store, root)
}

/// The sorted hashed addresses of the state.
fn sorted_hashes() -> Vec<B256> {
    let mut hashes: Vec<B256> = (0..ACCOUNTS).map(|i| keccak256(address(i))).collect();
    hashes.sort();
    hashes
}

fn account_range(store: &Store, root: B256, origin: B256, limit: B256, bytes: u64) -> AccountRange {
    let answer = serve_account_range(
        store,
        &GetAccountRange {
            request_id: 9,
            root_hash: root,
            starting_hash: origin,
            limit_hash: limit,
            response_bytes: bytes,
        },
    )
    .unwrap();
    assert_eq!(answer.request_id, 9);
    answer
}

/// Verifies an account range against `root`; returns whether the trie has more accounts.
fn verify_accounts(root: B256, origin: B256, answer: &AccountRange) -> bool {
    let keys: Vec<B256> = answer.accounts.iter().map(|a| a.hash).collect();
    let values: Vec<Vec<u8>> = answer
        .accounts
        .iter()
        .map(|a| alloy_rlp::encode(a.account.0))
        .collect();
    let proof: Vec<Vec<u8>> = answer.proof.iter().map(|n| n.to_vec()).collect();
    verify_range(root, &origin, &keys, &values, &proof).unwrap()
}

#[test]
fn the_whole_account_trie_comes_without_proof_and_verifies() {
    let (store, root) = store();
    let answer = account_range(&store, root, B256::ZERO, MAX_HASH, 10 * 1024 * 1024);
    assert_eq!(answer.accounts.len(), ACCOUNTS as usize);
    assert!(answer.proof.is_empty());
    let keys: Vec<B256> = answer.accounts.iter().map(|a| a.hash).collect();
    assert_eq!(keys, sorted_hashes());
    assert!(!verify_accounts(root, B256::ZERO, &answer));
    // Contracts keep their code hash and storage root.
    let contract = answer
        .accounts
        .iter()
        .find(|a| a.hash == keccak256(address(15)))
        .unwrap();
    assert_eq!(contract.account.0.code_hash, keccak256(code(15)));
    assert_ne!(contract.account.0.storage_root, EMPTY_TRIE_ROOT);
}

#[test]
fn a_middle_range_stops_at_the_byte_limit_and_verifies_with_its_proofs() {
    let (store, root) = store();
    let hashes = sorted_hashes();
    // An origin between two accounts: the proof shows nothing lies between it and the first.
    let origin = B256::from(U256::from_be_bytes(hashes[99].0) + U256::from(1));
    let answer = account_range(&store, root, origin, MAX_HASH, 3000);
    let n = answer.accounts.len();
    assert!((20..100).contains(&n), "{n} accounts");
    assert_eq!(answer.accounts[0].hash, hashes[100]);
    // geth's count: 32 bytes of hash plus the slim account's RLP, per account.
    let cost = |a: &AccountRangeEntry| 32 + alloy_rlp::encode(a.account).len();
    let size: usize = answer.accounts.iter().map(cost).sum();
    let without_last = size - cost(&answer.accounts[n - 1]);
    assert!(
        size > 3000 && without_last <= 3000,
        "stops once the limit is exceeded"
    );
    assert!(!answer.proof.is_empty());
    assert!(
        verify_accounts(root, origin, &answer),
        "more accounts follow"
    );
    // A gap is caught: dropping an inner account fails verification.
    let mut gapped = answer.clone();
    gapped.accounts.remove(n / 2);
    let keys: Vec<B256> = gapped.accounts.iter().map(|a| a.hash).collect();
    let values: Vec<Vec<u8>> = gapped
        .accounts
        .iter()
        .map(|a| alloy_rlp::encode(a.account.0))
        .collect();
    let proof: Vec<Vec<u8>> = gapped.proof.iter().map(|n| n.to_vec()).collect();
    assert!(verify_range(root, &origin, &keys, &values, &proof).is_err());
}

#[test]
fn a_zero_byte_limit_still_gets_one_account_with_its_proof() {
    let (store, root) = store();
    let hashes = sorted_hashes();
    for origin in [B256::ZERO, hashes[150]] {
        let answer = account_range(&store, root, origin, MAX_HASH, 0);
        assert_eq!(answer.accounts.len(), 1);
        assert_eq!(
            answer.accounts[0].hash,
            if origin.is_zero() { hashes[0] } else { origin }
        );
        assert!(!answer.proof.is_empty());
        assert!(verify_accounts(root, origin, &answer));
    }
}

#[test]
fn the_limit_hash_ends_the_range_after_the_first_account_reaching_it() {
    let (store, root) = store();
    let hashes = sorted_hashes();
    let answer = account_range(&store, root, B256::ZERO, hashes[10], 10 * 1024 * 1024);
    let keys: Vec<B256> = answer.accounts.iter().map(|a| a.hash).collect();
    assert_eq!(keys, hashes[..=10]);
    assert!(verify_accounts(root, B256::ZERO, &answer));
    // No account up to the limit: the first one after it.
    let below = B256::from(U256::from_be_bytes(hashes[20].0) - U256::from(1));
    let origin = B256::from(U256::from_be_bytes(hashes[19].0) + U256::from(1));
    let answer = account_range(&store, root, origin, below, 1024);
    assert_eq!(answer.accounts.len(), 1);
    assert_eq!(answer.accounts[0].hash, hashes[20]);
    assert!(verify_accounts(root, origin, &answer));
}

#[test]
fn unknown_roots_get_empty_answers() {
    let (store, _) = store();
    let unknown = B256::repeat_byte(0x42);
    let answer = account_range(&store, unknown, B256::ZERO, MAX_HASH, 1000);
    assert!(answer.accounts.is_empty() && answer.proof.is_empty());
    let storage = serve_storage_ranges(
        &store,
        &GetStorageRanges {
            request_id: 1,
            root_hash: unknown,
            account_hashes: vec![keccak256(address(0))],
            starting_hash: Bytes::new(),
            limit_hash: Bytes::new(),
            response_bytes: 1000,
        },
    )
    .unwrap();
    assert!(storage.slots.is_empty() && storage.proof.is_empty());
    let nodes = serve_trie_nodes(
        &store,
        &GetTrieNodes {
            request_id: 1,
            root_hash: unknown,
            paths: vec![vec![Bytes::from(vec![0x00])]],
            response_bytes: 1000,
        },
    )
    .unwrap();
    assert!(nodes.nodes.is_empty());
}

#[test]
fn a_diff_layer_root_is_served_too() {
    let (store, disk_root) = store();
    let update = store
        .prepare_state_update(disk_root, &changes(250..ACCOUNTS + 20, 7))
        .unwrap();
    let root = update.root;
    store.add_state_layer(1, update).unwrap();
    let answer = account_range(&store, root, B256::ZERO, MAX_HASH, 10 * 1024 * 1024);
    assert_eq!(answer.accounts.len(), ACCOUNTS as usize + 20);
    assert!(!verify_accounts(root, B256::ZERO, &answer));
    let origin = sorted_hashes()[200];
    let answer = account_range(&store, root, origin, MAX_HASH, 500);
    assert!(verify_accounts(root, origin, &answer));
}

fn storage_ranges(
    store: &Store,
    root: B256,
    accounts: &[u64],
    origin: Bytes,
    bytes: u64,
) -> StorageRanges {
    serve_storage_ranges(
        store,
        &GetStorageRanges {
            request_id: 4,
            root_hash: root,
            account_hashes: accounts.iter().map(|i| keccak256(address(*i))).collect(),
            starting_hash: origin,
            limit_hash: Bytes::new(),
            response_bytes: bytes,
        },
    )
    .unwrap()
}

/// Verifies one account's slot list against its storage root.
fn verify_slots(
    store: &Store,
    root: B256,
    account: u64,
    origin: B256,
    slots: &[StorageSlot],
    proof: &[Bytes],
) -> bool {
    let storage_root = store
        .state_at(root)
        .unwrap()
        .account_by_hash(&keccak256(address(account)))
        .unwrap()
        .unwrap()
        .storage_root;
    let keys: Vec<B256> = slots.iter().map(|s| s.hash).collect();
    let values: Vec<Vec<u8>> = slots.iter().map(|s| s.data.to_vec()).collect();
    let proof: Vec<Vec<u8>> = proof.iter().map(|n| n.to_vec()).collect();
    verify_range(storage_root, &origin, &keys, &values, &proof).unwrap()
}

#[test]
fn one_accounts_storage_whole_or_cut_verifies() {
    let (store, root) = store();
    // Account 39 has 40 slots.
    let whole = storage_ranges(&store, root, &[39], Bytes::new(), 1 << 20);
    assert_eq!(whole.slots.len(), 1);
    assert_eq!(whole.slots[0].len(), 40);
    assert!(whole.proof.is_empty());
    assert!(!verify_slots(
        &store,
        root,
        39,
        B256::ZERO,
        &whole.slots[0],
        &whole.proof
    ));
    // A zero limit: one slot and its proof.
    let one = storage_ranges(&store, root, &[39], Bytes::new(), 0);
    assert_eq!(one.slots[0].len(), 1);
    assert!(!one.proof.is_empty());
    assert!(verify_slots(
        &store,
        root,
        39,
        B256::ZERO,
        &one.slots[0],
        &one.proof
    ));
    // From a middle origin: proven from it.
    let origin = whole.slots[0][20].hash;
    let rest = storage_ranges(&store, root, &[39], Bytes::from(origin.to_vec()), 1 << 20);
    assert_eq!(rest.slots[0], whole.slots[0][20..]);
    assert!(!rest.proof.is_empty());
    assert!(!verify_slots(
        &store,
        root,
        39,
        origin,
        &rest.slots[0],
        &rest.proof
    ));
}

#[test]
fn several_accounts_are_whole_until_the_last_which_carries_the_proof() {
    let (store, root) = store();
    // 3 has 4 slots, 6 has 7, 0 has 1, 1 none, 39 has 40, 42 has 3.
    let accounts = [3, 6, 0, 1, 39, 42];
    let answer = storage_ranges(&store, root, &accounts, Bytes::new(), 600);
    let n = answer.slots.len();
    assert_eq!(n, 5, "cut inside account 39");
    assert_eq!(
        answer.slots[..4].iter().map(Vec::len).collect::<Vec<_>>(),
        vec![4, 7, 1, 0]
    );
    for (account, slots) in accounts.iter().zip(&answer.slots[..4]) {
        assert!(!verify_slots(
            &store,
            root,
            *account,
            B256::ZERO,
            slots,
            &[]
        ));
    }
    assert!(!answer.proof.is_empty());
    assert!(answer.slots[4].len() < 40);
    assert!(verify_slots(
        &store,
        root,
        39,
        B256::ZERO,
        &answer.slots[4],
        &answer.proof
    ));
    // Everything fits: no proof at all.
    let all = storage_ranges(&store, root, &accounts, Bytes::new(), 1 << 20);
    assert_eq!(all.slots.len(), 6);
    assert!(all.proof.is_empty());
    // An account the state lacks: an empty answer.
    let absent = storage_ranges(&store, root, &[3, ACCOUNTS + 1], Bytes::new(), 1 << 20);
    assert!(absent.slots.is_empty());
}

#[test]
fn byte_codes_come_in_request_order_with_unknown_hashes_skipped() {
    let (store, _) = store();
    let request = |hashes: Vec<B256>, bytes| GetByteCodes {
        request_id: 2,
        hashes,
        response_bytes: bytes,
    };
    let hashes = vec![
        keccak256(code(10)),
        B256::repeat_byte(0x99),
        keccak256(code(5)),
    ];
    let answer = serve_byte_codes(&store, &request(hashes.clone(), 1 << 20)).unwrap();
    assert_eq!(answer.request_id, 2);
    assert_eq!(answer.codes, vec![code(10), code(5)]);
    let answer = serve_byte_codes(&store, &request(hashes, 0)).unwrap();
    assert_eq!(answer.codes, vec![code(10)]);
    let answer = serve_byte_codes(&store, &request(vec![B256::repeat_byte(1)], 0)).unwrap();
    assert!(answer.codes.is_empty());
}

#[test]
fn trie_nodes_by_path_hash_to_their_roots() {
    let (store, root) = store();
    let account = keccak256(address(39));
    let storage_root = store
        .state_at(root)
        .unwrap()
        .account_by_hash(&account)
        .unwrap()
        .unwrap()
        .storage_root;
    let answer = serve_trie_nodes(
        &store,
        &GetTrieNodes {
            request_id: 3,
            root_hash: root,
            paths: vec![
                vec![Bytes::from(vec![0x00])],
                vec![Bytes::from(account.to_vec()), Bytes::from(vec![0x00])],
                vec![Bytes::from(vec![0x4f])],
                vec![Bytes::from(vec![0x11]), Bytes::from(vec![0x00])],
            ],
            response_bytes: 1 << 20,
        },
    )
    .unwrap();
    // The last path set names no account (not a full hashed address): nothing for it.
    assert_eq!(answer.nodes.len(), 3);
    assert_eq!(keccak256(&answer.nodes[0]), root);
    assert_eq!(keccak256(&answer.nodes[1]), storage_root);
    assert!(answer.nodes[2].is_empty(), "an invalid path");
    // A storage path set of an absent account adds nothing either; an empty path set is
    // refused.
    let absent = serve_trie_nodes(
        &store,
        &GetTrieNodes {
            request_id: 4,
            root_hash: root,
            paths: vec![
                vec![Bytes::from(vec![0xab; 32]), Bytes::from(vec![0x00])],
                vec![Bytes::from(vec![0x00])],
            ],
            response_bytes: 1 << 20,
        },
    )
    .unwrap();
    assert_eq!(absent.nodes.len(), 1);
    assert_eq!(keccak256(&absent.nodes[0]), root);
    let refused = serve_trie_nodes(
        &store,
        &GetTrieNodes {
            request_id: 5,
            root_hash: root,
            paths: vec![vec![], vec![Bytes::from(vec![0x00])]],
            response_bytes: 1 << 20,
        },
    );
    assert!(
        matches!(refused, Err(SnapError::BadRequest(_))),
        "{refused:?}"
    );
    // A one-nibble path under the root: a child of the root branch.
    let child = serve_trie_nodes(
        &store,
        &GetTrieNodes {
            request_id: 3,
            root_hash: root,
            paths: vec![vec![Bytes::from(vec![0x13])], vec![Bytes::from(vec![0x00])]],
            response_bytes: 0,
        },
    )
    .unwrap();
    assert_eq!(child.nodes.len(), 1, "the byte limit stops after one node");
    assert!(!child.nodes[0].is_empty());
    assert!(
        answer.nodes[0]
            .windows(32)
            .any(|w| w == keccak256(&child.nodes[0]).as_slice())
    );
}

mod vectors;
