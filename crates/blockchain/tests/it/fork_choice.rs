//! `Blockchain` over a real store: two branches built with `build_block`, fork choice between
//! them (reorg both ways), reads of each branch's state, and the window limit.

use alloy_primitives::{Address, B256, U256, address};
use ethrex_blockchain::{Blockchain, ChainError};
use ethrex_common::{
    Fork,
    types::{Block, Header, Transaction},
};
use ethrex_storage::ForkChoice;
use ethrex_test_utils::{GenesisBuilder, TxBuilder};
use ethrex_vm::Database;

use crate::{build, new_chain};

/// A chain from a Shanghai genesis funding the dev accounts.
fn shanghai_chain() -> Blockchain {
    new_chain(&GenesisBuilder::new(Fork::Shanghai).build())
}

/// A transfer of `value` wei to `to`, signed by dev account 0.
fn transfer(nonce: u64, to: Address, value: u64) -> Transaction {
    TxBuilder::new().nonce(nonce).to(to).value(value).eip1559()
}

fn balance(chain: &Blockchain, root: B256, who: Address) -> U256 {
    let state = chain.store().state_at(root).unwrap();
    state
        .account(&who)
        .unwrap()
        .map_or(U256::ZERO, |a| a.balance)
}

#[test]
fn reorg_between_two_branches_and_back() {
    let (alice, bob) = (
        address!("00000000000000000000000000000000000a11ce"),
        address!("0000000000000000000000000000000000000b0b"),
    );
    let chain = shanghai_chain();
    let genesis = chain.store().head_header().unwrap().unwrap();

    // Common block 1, then branch A pays alice (blocks 2, 3), branch B pays bob (2', 3', 4').
    let one = build(&chain, &genesis, vec![transfer(0, alice, 1)], 0);
    assert!(chain.import_block(&one).unwrap());
    let mut a = vec![one.clone()];
    for i in 0..2 {
        let parent = a.last().unwrap().header.clone();
        let block = build(&chain, &parent, vec![transfer(1 + i, alice, 10)], 1);
        assert!(
            chain.import_block(&block).unwrap(),
            "post-merge blocks become the head"
        );
        a.push(block);
    }
    let mut b = vec![one];
    for i in 0..3 {
        let parent = b.last().unwrap().header.clone();
        let block = build(&chain, &parent, vec![transfer(1 + i, bob, 7)], 2);
        chain.add_block(&block).unwrap();
        b.push(block);
    }
    let head_a = a[2].header.hash_slow();
    let head_b = b[3].header.hash_slow();
    assert_eq!(chain.store().head_hash().unwrap(), Some(head_a));
    // Both branches' states are readable.
    assert_eq!(
        balance(&chain, a[2].header.state_root, alice),
        U256::from(21)
    );
    assert_eq!(balance(&chain, b[3].header.state_root, bob), U256::from(21));
    assert_eq!(
        balance(&chain, b[3].header.state_root, alice),
        U256::from(1)
    );

    chain
        .set_fork_choice(ForkChoice {
            head: head_b,
            safe: Some(b[1].header.hash_slow()),
            finalized: None,
        })
        .unwrap();
    let store = chain.store();
    assert_eq!(store.head_hash().unwrap(), Some(head_b));
    assert_eq!(
        store.canonical_hash(2).unwrap(),
        Some(b[1].header.hash_slow())
    );
    assert_eq!(store.canonical_hash(4).unwrap(), Some(head_b));
    let tx = &b[2].body.transactions[0];
    assert_eq!(
        store.tx_location(&tx.hash()).unwrap().map(|l| l.block_hash),
        Some(b[2].header.hash_slow())
    );

    // And back: block 4 is no longer canonical.
    chain.set_head(head_a).unwrap();
    assert_eq!(store.head_hash().unwrap(), Some(head_a));
    assert_eq!(store.canonical_hash(3).unwrap(), Some(head_a));
    assert_eq!(store.canonical_hash(4).unwrap(), None);

    // A block on branch B imports on its (non-head) parent's state.
    let parent = b[3].header.clone();
    let five = build(&chain, &parent, vec![transfer(4, bob, 7)], 2);
    assert!(chain.import_block(&five).unwrap());
    assert_eq!(balance(&chain, five.header.state_root, bob), U256::from(28));

    // Unknown heads are refused without changing anything.
    let err = chain.set_head(B256::repeat_byte(9)).unwrap_err();
    assert!(matches!(err, ChainError::UnknownHead(_)), "{err}");
    assert_eq!(store.head_hash().unwrap(), Some(five.header.hash_slow()));
}

#[test]
fn a_branch_older_than_the_window_cannot_be_extended_or_chosen() {
    let chain = shanghai_chain();
    chain.store().set_state_window(2);
    let genesis = chain.store().head_header().unwrap().unwrap();
    let side = build(
        &chain,
        &genesis,
        vec![transfer(0, Address::repeat_byte(5), 1)],
        9,
    );
    chain.add_block(&side).unwrap();
    let mut parent = genesis;
    for nonce in 0..4 {
        let block = build(
            &chain,
            &parent,
            vec![transfer(nonce, Address::repeat_byte(6), 1)],
            1,
        );
        assert!(chain.import_block(&block).unwrap());
        parent = block.header;
    }
    // The disk state is now block 2's: the side branch from genesis was pruned.
    let err = chain.set_head(side.header.hash_slow()).unwrap_err();
    assert!(
        matches!(err, ChainError::HeadStateUnavailable { number: 1, .. }),
        "{err}"
    );
    let child = Block::new(
        Header {
            parent_hash: side.header.hash_slow(),
            number: 2,
            ..side.header.clone()
        },
        side.body.clone(),
    );
    let err = chain.add_block(&child).unwrap_err();
    assert!(
        matches!(err, ChainError::ParentStateUnavailable { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("no longer available"), "{err}");
}
